/// Reads ISO well-known binary (either byte order; also the extended Z/M flag bits GDAL may write)
/// back into the model, for reading outputs through GDAL.
///
/// Multi geometries and their single forms map to the model's four shapes; circular strings become
/// ``CurveKind/circularArc(interior:)`` segments (the interior point's Z and M are dropped: the model's
/// control points carry none). Polygon rings are turned to Esri's orientation (exteriors clockwise,
/// holes counter-clockwise), as ``Geometry/Shape/polygon`` documents. Every count is checked against
/// the bytes left before anything is allocated for it.
struct WKBDecoder {
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var offset: Int
        var description: String { "\(message) at WKB byte \(offset)" }
    }

    private let bytes: [UInt8]
    private var offset = 0
    private var littleEndian = true

    /// The geometry of `bytes`; nil for an empty collection or an empty point.
    static func decode(_ bytes: [UInt8]) throws -> Geometry? {
        var decoder = WKBDecoder(bytes: bytes)
        let geometry = try decoder.geometry()
        guard decoder.offset == bytes.count else {
            throw Failure(message: "\(bytes.count - decoder.offset) bytes after the geometry", offset: decoder.offset)
        }
        return geometry
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private struct Header {
        var code: UInt32
        var hasZ: Bool
        var hasM: Bool
    }

    private mutating func header() throws -> Header {
        guard offset < bytes.count else { throw Failure(message: "the WKB ends before a geometry", offset: offset) }
        switch bytes[offset] {
        case 0: littleEndian = false
        case 1: littleEndian = true
        default: throw Failure(message: "byte order marker \(bytes[offset])", offset: offset)
        }
        offset += 1
        var raw = try uint32()
        // Extended WKB flags (0x80000000 Z, 0x40000000 M) as older GDAL writes them.
        var hasZ = raw & 0x8000_0000 != 0, hasM = raw & 0x4000_0000 != 0
        raw &= 0x0FFF_FFFF
        switch raw / 1000 {
        case 1: hasZ = true
        case 2: hasM = true
        case 3: hasZ = true; hasM = true
        default: break
        }
        return Header(code: raw % 1000, hasZ: hasZ, hasM: hasM)
    }

    private mutating func geometry() throws -> Geometry? {
        let start = offset
        let h = try header()
        let shape: Geometry.Shape
        switch h.code {
        case 1:
            let v = try vertex(h)
            if v.x.isNaN && v.y.isNaN { return nil }
            shape = .point(v)
        case 4:
            var points: [Vertex] = []
            for _ in 0..<(try count(minimumBytes: 21)) {
                let member = try header()
                guard member.code == 1 else { throw Failure(message: "a MultiPoint member of type \(member.code)", offset: offset) }
                points.append(try vertex(member))
            }
            shape = .multipoint(points)
        case 2, 8, 9:
            offset = start
            shape = .polyline([try curve()])
        case 5, 11:
            var paths: [Path] = []
            for _ in 0..<(try count(minimumBytes: 9)) { paths.append(try curve()) }
            shape = .polyline(paths)
        case 3, 10:
            offset = start
            shape = .polygon(try polygon())
        case 6, 12:
            var rings: [Path] = []
            for _ in 0..<(try count(minimumBytes: 9)) { rings += try polygon() }
            shape = .polygon(rings)
        default:
            throw Failure(message: "WKB geometry type \(h.code) has no counterpart in the model", offset: start)
        }
        if case .multipoint(let p) = shape, p.isEmpty { return nil }
        if case .polyline(let p) = shape, p.isEmpty { return nil }
        if case .polygon(let p) = shape, p.isEmpty { return nil }
        return Geometry(shape, hasZ: h.hasZ, hasM: h.hasM)
    }

    /// A LineString, CircularString or CompoundCurve as one path.
    private mutating func curve() throws -> Path {
        let start = offset
        let h = try header()
        var path = Path(vertices: [])
        switch h.code {
        case 2: path.vertices = try vertices(h)
        case 8: try appendArcs(try vertices(h), to: &path, at: start)
        case 9:
            for _ in 0..<(try count(minimumBytes: 9)) {
                let pieceStart = offset
                let piece = try header()
                let points = try vertices(piece)
                switch piece.code {
                case 2:
                    if path.vertices.isEmpty { path.vertices = points } else { path.vertices += points.dropFirst() }
                case 8: try appendArcs(points, to: &path, at: pieceStart)
                default: throw Failure(message: "a CompoundCurve member of type \(piece.code)", offset: pieceStart)
                }
            }
        default: throw Failure(message: "a curve of type \(h.code)", offset: start)
        }
        return path
    }

    /// A CircularString's points (start, interior, end, interior, end...) as arcs on the path.
    private func appendArcs(_ points: [Vertex], to path: inout Path, at position: Int) throws {
        guard points.count >= 3 && points.count % 2 == 1 else {
            throw Failure(message: "a CircularString of \(points.count) points", offset: position)
        }
        if path.vertices.isEmpty { path.vertices.append(points[0]) }
        var i = 1
        while i + 1 < points.count {
            path.curves.append(CurveSegment(index: path.vertices.count - 1, kind: .circularArc(interior: points[i].xy)))
            path.vertices.append(points[i + 1])
            i += 2
        }
    }

    /// A Polygon or CurvePolygon's rings, in Esri's orientation.
    private mutating func polygon() throws -> [Path] {
        let start = offset
        let h = try header()
        var rings: [Path] = []
        switch h.code {
        case 3:
            for _ in 0..<(try count(minimumBytes: 4)) { rings.append(Path(vertices: try vertices(h))) }
        case 10:
            for _ in 0..<(try count(minimumBytes: 9)) { rings.append(try curve()) }
        default: throw Failure(message: "a surface of type \(h.code)", offset: start)
        }
        return rings.enumerated().map { index, ring in
            // Esri: the exterior (the first ring) clockwise, holes counter-clockwise.
            let clockwise = ((try? Rings.signedArea(ring)) ?? Self.chordArea(ring)) < 0
            return clockwise == (index == 0) ? ring : Rings.reversed(ring)
        }
    }

    /// Twice the signed area of the ring's vertices (the chords of any arcs): the orientation of a ring
    /// whose arcs cannot be resolved.
    private static func chordArea(_ ring: Path) -> Double {
        var sum = 0.0
        for (a, b) in zip(ring.vertices, ring.vertices.dropFirst()) { sum += a.x * b.y - b.x * a.y }
        return sum
    }

    private mutating func vertices(_ h: Header) throws -> [Vertex] {
        let size = 8 * (2 + (h.hasZ ? 1 : 0) + (h.hasM ? 1 : 0))
        let n = try count(minimumBytes: size)
        var out: [Vertex] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try vertex(h)) }
        return out
    }

    private mutating func vertex(_ h: Header) throws -> Vertex {
        var v = Vertex(x: try double(), y: try double())
        if h.hasZ { v.z = try double() }
        if h.hasM { v.m = try double() }
        return v
    }

    /// A count, refused when the bytes left cannot hold that many items of `minimumBytes` each.
    private mutating func count(minimumBytes: Int) throws -> Int {
        let at = offset
        let n = Int(try uint32())
        guard n <= (bytes.count - offset) / minimumBytes else {
            throw Failure(message: "a count of \(n) that the \(bytes.count - offset) bytes left cannot hold", offset: at)
        }
        return n
    }

    private mutating func uint32() throws -> UInt32 { try fixedWidth(UInt32.self) }

    private mutating func double() throws -> Double { Double(bitPattern: try fixedWidth(UInt64.self)) }

    /// The next integer of `T`'s width in the current byte order.
    private mutating func fixedWidth<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = T.bitWidth / 8
        guard offset + size <= bytes.count else { throw Failure(message: "the WKB ends inside a number", offset: offset) }
        var value: T = 0
        for i in 0..<size {
            value |= T(bytes[offset + (littleEndian ? i : size - 1 - i)]) << (8 * i)
        }
        offset += size
        return value
    }
}
