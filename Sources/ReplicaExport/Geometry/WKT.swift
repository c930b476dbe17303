/// ISO WKT of a prepared geometry, laid out as GDAL 3.6.2 lays out the geometry ``WKB/encode``
/// gives it (`POINT`, `MULTIPOINT ((x y),...)`, `MULTILINESTRING ((x y,...),...)`,
/// `MULTIPOLYGON (((x y,...),...),...)`, with ` Z`, ` M` or ` ZM`), but with each number as its
/// shortest round-trip text (``ValueText/numberText(_:)``) where GDAL keeps 15 significant digits,
/// and at a small part of GDAL's cost (which formats each number through an `ostringstream`).
enum WKT {
    /// The text, or nil where GDAL's own export must be used: circular arcs, an empty geometry or
    /// part, or a non-finite X or Y (GDAL drops empty parts and spells the rest its own way).
    /// A NaN M is written as `missingM` where given (counted in `replacedMissingM`).
    static func text(_ geometry: PreparedGeometry, keepM: Bool, missingM: Double?, replacedMissingM: inout Int) -> String? {
        var writer = Writer(hasZ: geometry.hasZ, hasM: geometry.hasM && keepM, missingM: missingM)
        writer.text.reserveCapacity(24 + 20 * (2 + (writer.hasZ ? 1 : 0) + (writer.hasM ? 1 : 0)) * vertexCount(geometry.shape))
        defer { replacedMissingM += writer.replacedMissingM }
        switch geometry.shape {
        case .point(let v):
            guard v.x.isFinite && v.y.isFinite else { return nil }
            writer.tag("POINT")
            writer.text += "("
            writer.vertex(v)
            writer.text += ")"
        case .multipoint(let vertices):
            guard !vertices.isEmpty, vertices.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { return nil }
            writer.tag("MULTIPOINT")
            writer.text += "("
            for (i, v) in vertices.enumerated() {
                writer.text += i == 0 ? "(" : ",("
                writer.vertex(v)
                writer.text += ")"
            }
            writer.text += ")"
        case .lines(let paths):
            guard !paths.isEmpty, paths.allSatisfy(isPlain) else { return nil }
            writer.tag("MULTILINESTRING")
            writer.text += "("
            for (i, path) in paths.enumerated() {
                if i > 0 { writer.text += "," }
                writer.sequence(path.vertices)
            }
            writer.text += ")"
        case .polygons(let polygons):
            guard !polygons.isEmpty, polygons.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isPlain) }) else { return nil }
            writer.tag("MULTIPOLYGON")
            writer.text += "("
            for (i, rings) in polygons.enumerated() {
                writer.text += i == 0 ? "(" : ",("
                for (j, ring) in rings.enumerated() {
                    if j > 0 { writer.text += "," }
                    writer.sequence(ring.vertices)
                }
                writer.text += ")"
            }
            writer.text += ")"
        }
        return writer.text
    }

    private static func vertexCount(_ shape: PreparedGeometry.Shape) -> Int {
        switch shape {
        case .point: return 1
        case .multipoint(let vertices): return vertices.count
        case .lines(let paths): return paths.reduce(0) { $0 + $1.vertices.count }
        case .polygons(let polygons): return polygons.reduce(0) { $0 + $1.reduce(0) { $0 + $1.vertices.count } }
        }
    }

    /// A path written here: straight segments only, at least one vertex, finite X and Y.
    private static func isPlain(_ path: Path) -> Bool {
        path.curves.isEmpty && !path.vertices.isEmpty && path.vertices.allSatisfy { $0.x.isFinite && $0.y.isFinite }
    }

    private struct Writer {
        var text = ""
        let hasZ: Bool
        let hasM: Bool
        let missingM: Double?
        var replacedMissingM = 0

        init(hasZ: Bool, hasM: Bool, missingM: Double?) {
            self.hasZ = hasZ
            self.hasM = hasM
            self.missingM = missingM
        }

        /// The type's name and dimensions, and the space before the opening parenthesis.
        mutating func tag(_ name: String) {
            text += name
            text += hasZ ? (hasM ? " ZM " : " Z ") : (hasM ? " M " : " ")
        }

        mutating func vertex(_ v: Vertex) {
            text += ValueText.numberText(v.x)
            text += " "
            text += ValueText.numberText(v.y)
            if hasZ {
                text += " "
                text += ValueText.numberText(v.z)
            }
            if hasM {
                text += " "
                text += ValueText.numberText(WKB.storedMeasure(v.m, missingM: missingM, replaced: &replacedMissingM))
            }
        }

        /// `(x y,x y,...)`
        mutating func sequence(_ vertices: [Vertex]) {
            text += "("
            for (i, v) in vertices.enumerated() {
                if i > 0 { text += "," }
                vertex(v)
            }
            text += ")"
        }
    }
}
