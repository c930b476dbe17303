/// ISO well-known binary, little-endian: Z = +1000, M = +2000, ZM = +3000 on the type code.
///
/// Points become Point, multipoints MultiPoint; `.lines` a MultiLineString, or a MultiCurve when a
/// path has circular arcs (each part a LineString or a CompoundCurve of LineString and
/// CircularString pieces); `.polygons` a MultiPolygon, or a MultiSurface when a ring has arcs (each
/// polygon a Polygon or a CurvePolygon whose rings are LineStrings or CompoundCurves). Consecutive
/// arcs share one CircularString. An empty shape is an empty collection (an empty point has NaN
/// coordinates, as ISO WKB says).
enum WKB {
    /// ISO WKB type codes (2D).
    enum TypeCode: UInt32 {
        case point = 1, lineString = 2, polygon = 3, multiPoint = 4, multiLineString = 5, multiPolygon = 6
        case circularString = 8, compoundCurve = 9, curvePolygon = 10, multiCurve = 11, multiSurface = 12
    }

    static func encode(_ geometry: PreparedGeometry) -> [UInt8] {
        encode(geometry, keepM: true)
    }

    /// `keepM: false` drops M (for formats that cannot hold it).
    static func encode(_ geometry: PreparedGeometry, keepM: Bool) -> [UInt8] {
        var replaced = 0
        return encode(geometry, keepM: keepM, missingM: nil, replacedMissingM: &replaced)
    }

    /// The M a format stores for `m`: `missingM` in place of a NaN ("no measure") where the format
    /// cannot encode NaN, counted in `replaced`; `m` otherwise.
    @inline(__always)
    static func storedMeasure(_ m: Double, missingM: Double?, replaced: inout Int) -> Double {
        guard m.isNaN, let missingM else { return m }
        replaced += 1
        return missingM
    }

    /// `missingM`: written instead of a NaN M ("no measure") for formats that cannot encode NaN;
    /// `replacedMissingM` counts the substitutions.
    static func encode(_ geometry: PreparedGeometry, keepM: Bool, missingM: Double?,
                       replacedMissingM: inout Int) -> [UInt8] {
        var encoder = Encoder(hasZ: geometry.hasZ, hasM: geometry.hasM && keepM)
        encoder.missingM = missingM
        defer { replacedMissingM += encoder.replacedMissingM }
        encoder.reserve(for: geometry.shape)
        switch geometry.shape {
        case .point(let v):
            encoder.header(.point)
            encoder.vertex(v)
        case .multipoint(let vertices):
            encoder.header(.multiPoint)
            encoder.count(vertices.count)
            for v in vertices {
                encoder.header(.point)
                encoder.vertex(v)
            }
        case .lines(let paths):
            let curved = paths.contains { !$0.curves.isEmpty }
            encoder.header(curved ? .multiCurve : .multiLineString)
            encoder.count(paths.count)
            for path in paths { encoder.curve(path) }
        case .polygons(let polygons):
            let curved = polygons.contains { $0.contains { !$0.curves.isEmpty } }
            encoder.header(curved ? .multiSurface : .multiPolygon)
            encoder.count(polygons.count)
            for rings in polygons {
                if rings.contains(where: { !$0.curves.isEmpty }) {
                    encoder.header(.curvePolygon)
                    encoder.count(rings.count)
                    for ring in rings { encoder.curve(ring) }
                } else {
                    encoder.header(.polygon)
                    encoder.count(rings.count)
                    for ring in rings {
                        encoder.count(ring.vertices.count)
                        for v in ring.vertices { encoder.vertex(v) }
                    }
                }
            }
        }
        return encoder.bytes
    }

    struct Encoder {
        var bytes: [UInt8] = []
        var missingM: Double?
        var replacedMissingM = 0
        let hasZ: Bool
        let hasM: Bool
        let dimensionOffset: UInt32

        init(hasZ: Bool, hasM: Bool) {
            self.hasZ = hasZ
            self.hasM = hasM
            dimensionOffset = (hasZ ? 1000 : 0) + (hasM ? 2000 : 0)
        }

        mutating func reserve(for shape: PreparedGeometry.Shape) {
            let perVertex = 8 * (2 + (hasZ ? 1 : 0) + (hasM ? 1 : 0))
            var vertices = 0, parts = 1
            switch shape {
            case .point: vertices = 1
            case .multipoint(let v): vertices = v.count; parts += v.count
            case .lines(let paths):
                for p in paths { vertices += p.vertices.count + p.curves.count; parts += 1 + 2 * p.curves.count }
            case .polygons(let polygons):
                for rings in polygons {
                    parts += 1
                    for r in rings { vertices += r.vertices.count + r.curves.count; parts += 1 + 2 * r.curves.count }
                }
            }
            bytes.reserveCapacity(vertices * perVertex + parts * 9 + 9)
        }

        @inline(__always) mutating func uint32(_ value: UInt32) {
            let v = value.littleEndian
            bytes.append(UInt8(truncatingIfNeeded: v))
            bytes.append(UInt8(truncatingIfNeeded: v >> 8))
            bytes.append(UInt8(truncatingIfNeeded: v >> 16))
            bytes.append(UInt8(truncatingIfNeeded: v >> 24))
        }

        @inline(__always) mutating func double(_ value: Double) {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }

        @inline(__always) mutating func header(_ type: TypeCode) {
            bytes.append(1)  // little-endian (NDR)
            uint32(type.rawValue + dimensionOffset)
        }

        @inline(__always) mutating func count(_ n: Int) { uint32(UInt32(truncatingIfNeeded: n)) }

        @inline(__always) mutating func vertex(_ v: Vertex) {
            double(v.x)
            double(v.y)
            if hasZ { double(v.z) }
            if hasM { measure(v.m) }
        }

        @inline(__always) mutating func measure(_ m: Double) {
            double(WKB.storedMeasure(m, missingM: missingM, replaced: &replacedMissingM))
        }

        /// The interior point of a circular arc: XY given, Z and M the mean of the segment's ends.
        @inline(__always) mutating func interior(_ p: XY, _ a: Vertex, _ b: Vertex) {
            double(p.x)
            double(p.y)
            if hasZ { double((a.z + b.z) / 2) }
            if hasM { measure((a.m + b.m) / 2) }
        }

        /// A path as a LineString, or a CompoundCurve when it has arcs.
        mutating func curve(_ path: Path) {
            let vertices = path.vertices
            if path.curves.isEmpty {
                header(.lineString)
                count(vertices.count)
                for v in vertices { vertex(v) }
                return
            }
            // Pieces: maximal runs of straight segments, maximal runs of arcs.
            let segmentCount = max(vertices.count - 1, 0)
            var arcInterior: [Int: XY] = [:]
            for c in path.curves {
                if case .circularArc(let interior) = c.kind, c.index < segmentCount { arcInterior[c.index] = interior }
            }
            var pieces: [(isArc: Bool, from: Int, to: Int)] = []  // segment ranges [from, to)
            var i = 0
            while i < segmentCount {
                let isArc = arcInterior[i] != nil
                var j = i + 1
                while j < segmentCount && (arcInterior[j] != nil) == isArc { j += 1 }
                pieces.append((isArc, i, j))
                i = j
            }
            header(.compoundCurve)
            count(pieces.count)
            for piece in pieces {
                if piece.isArc {
                    header(.circularString)
                    count(2 * (piece.to - piece.from) + 1)
                    vertex(vertices[piece.from])
                    for s in piece.from..<piece.to {
                        interior(arcInterior[s]!, vertices[s], vertices[s + 1])
                        vertex(vertices[s + 1])
                    }
                } else {
                    header(.lineString)
                    count(piece.to - piece.from + 1)
                    for k in piece.from...piece.to { vertex(vertices[k]) }
                }
            }
        }
    }
}
