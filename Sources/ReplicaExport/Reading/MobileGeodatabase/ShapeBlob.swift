/// The coordinate grid of a geometry column: real = integer / scale + origin.
package struct ShapeGrid: Sendable, Equatable, Codable {
    var xOrigin: Double
    var yOrigin: Double
    var xyScale: Double
    var zOrigin: Double
    var zScale: Double
    var mOrigin: Double
    var mScale: Double

    package init(xOrigin: Double, yOrigin: Double, xyScale: Double, zOrigin: Double = 0, zScale: Double = 1,
                mOrigin: Double = 0, mScale: Double = 1) {
        self.xOrigin = xOrigin
        self.yOrigin = yOrigin
        self.xyScale = xyScale
        self.zOrigin = zOrigin
        self.zScale = zScale
        self.mOrigin = mOrigin
        self.mScale = mScale
    }

    /// Half a grid unit in XY, the precision of a stored coordinate.
    var halfUnit: Double { 0.5 / xyScale }
}

/// Decoder of the ST_Geometry shape blob of mobile geodatabases (FORMATS.md section 2).
///
/// Strict: every byte is accounted for, and anything not understood (M values, curves, unknown
/// kinds, trailing bytes, truncation, a stored bounding box that disagrees with the coordinates)
/// throws instead of producing a geometry.
package enum ShapeBlob {
    /// What the fixed header says.
    struct Header: Sendable, Equatable {
        var srid: Int
        /// Points including part separators; 0 = empty.
        var pointCount: Int
        /// 1 point, 2 multipoint, 5 polyline, 6 polygon.
        var kind: Int
        var hasZ: Bool
        var hasM: Bool
        var entity: Int
    }

    /// The decoded geometry (nil when empty) and the stored integer bounding box when there is one.
    package struct Decoded: Sendable, Equatable {
        var header: Header
        package var geometry: Geometry?
        /// xmin, ymin, xmax, ymax in real coordinates, when the blob stores a bounding box (N > 10).
        var storedBox: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)?

        package static func == (a: Decoded, b: Decoded) -> Bool {
            a.header == b.header && a.geometry == b.geometry
                && a.storedBox.map { [$0.xmin, $0.ymin, $0.xmax, $0.ymax] } == b.storedBox.map { [$0.xmin, $0.ymin, $0.xmax, $0.ymax] }
        }
    }

    static let magic: UInt8 = 0x64

    /// Decodes one blob. Errors are `ReplicaExportError`s whose message says what and at which byte of the
    /// blob; the caller adds the file, table and row.
    package static func decode(_ bytes: [UInt8], grid: ShapeGrid) throws -> Decoded {
        try bytes.withUnsafeBytes { try decode($0, grid: grid) }
    }

    package static func decode(_ buffer: UnsafeRawBufferPointer, grid: ShapeGrid) throws -> Decoded {
        var reader = Reader(buffer: buffer)
        let count = buffer.count
        guard count >= 10 else {
            throw fail(.truncated, "shape blob of \(count) bytes is shorter than its 10-byte header")
        }
        guard buffer[0] == magic else {
            throw fail(.corrupt, "shape blob does not start with 0x64 (found 0x\(String(buffer[0], radix: 16)))")
        }
        let srid = Int(buffer[1]) | Int(buffer[2]) << 8 | Int(buffer[3]) << 16
        let n = Int(buffer[4]) | Int(buffer[5]) << 8 | Int(buffer[6]) << 16 | Int(buffer[7]) << 24
        let typeByte = Int(buffer[8])
        let kind = typeByte >> 2
        let hasZ = typeByte & 2 != 0
        let hasM = typeByte & 1 != 0
        let entity = Int(buffer[9])
        let header = Header(srid: srid, pointCount: n, kind: kind, hasZ: hasZ, hasM: hasM, entity: entity)
        guard [1, 2, 5, 6].contains(kind) else {
            throw fail(.unsupported, "shape blob of unknown kind \(kind) (type byte 0x\(String(typeByte, radix: 16))): curves or another geometry type this reader does not decode")
        }
        if hasM {
            throw fail(.unsupported, "shape blob has M values, which no sample file showed and this reader does not decode")
        }
        let baseEntity = entity & ~0x40
        guard [0, 1, 2, 4, 8].contains(baseEntity) else {
            throw fail(.unsupported, "shape blob has unknown entity type 0x\(String(entity, radix: 16))")
        }
        // A sane upper bound: each point needs at least 2 payload bytes.
        guard n <= count else {
            throw fail(.corrupt, "shape blob claims \(n) points in \(count) bytes")
        }
        if kind == 1 && n > 1 {
            throw fail(.corrupt, "point shape blob claims \(n) points")
        }
        // Varints pack a vertex in a few bytes; decoded and copied by the writers it takes far more.
        try MemoryBudget.require(n * MemoryBudget.bytesPerVertex, for: "a geometry of \(n) points", at: ErrorLocation())
        reader.offset = 10
        var box: (Int64, Int64, Int64, Int64)?
        if n > 10 {
            box = (try reader.varint(), try reader.varint(), try reader.varint(), try reader.varint())
        }
        var partCounts: [Int] = []
        if (kind == 5 || kind == 6) && entity & 0x40 != 0 {
            let k = try reader.varint()
            guard k >= 0, k < n else {
                throw fail(.corrupt, "shape blob lists \(k) part sizes for \(n) points")
            }
            var total = 0
            partCounts.reserveCapacity(Int(k))
            for _ in 0..<k {
                let c = try reader.varint()
                guard c >= 2, c <= n else {
                    throw fail(.corrupt, "shape blob part size \(c) is impossible for \(n) points (byte \(reader.offset))")
                }
                total += Int(c)
                guard total < n else {
                    throw fail(.corrupt, "shape blob part sizes add up to \(total), beyond its \(n) points")
                }
                partCounts.append(Int(c))
            }
        }
        // The 4-byte slot that begins with the payload length, then 4 bytes of flags.
        let slot = reader.offset
        guard count - slot >= 8 else {
            throw fail(.truncated, "shape blob ends at byte \(count) inside its length and flags (from byte \(slot))")
        }
        let payloadLength = try reader.varint()
        guard reader.offset - slot <= 4 else {
            throw fail(.corrupt, "shape blob payload length at byte \(slot) does not fit its 4-byte slot")
        }
        reader.offset = slot + 8
        let left = count - reader.offset
        guard payloadLength == Int64(left) else {
            throw fail(.corrupt, "shape blob payload length \(payloadLength) does not match the \(left) bytes that follow (byte \(slot))")
        }
        if n == 0 {
            return Decoded(header: header, geometry: nil, storedBox: nil)
        }

        // Each point takes at least two bytes (an x and a y varint): a count the bytes cannot back is
        // refused before anything is allocated from it.
        guard n <= (count - reader.offset) / 2 else {
            throw fail(.corrupt, "shape blob claims \(n) points but holds \(count - reader.offset) bytes of coordinates")
        }
        // Coordinates.
        var xs = [Int64](repeating: 0, count: n)
        var ys = [Int64](repeating: 0, count: n)
        var x: Int64 = 0, y: Int64 = 0
        for i in 0..<n {
            let (dx, ox) = x.addingReportingOverflow(try reader.varint())
            let (dy, oy) = y.addingReportingOverflow(try reader.varint())
            if ox || oy { throw fail(.corrupt, "shape blob coordinate overflows at point \(i)") }
            x = dx; y = dy
            xs[i] = x; ys[i] = y
        }
        var zs: [Int64] = []
        if hasZ {
            zs = [Int64](repeating: 0, count: n)
            var z: Int64 = 0
            for i in 0..<n {
                let (v, o) = z.addingReportingOverflow(try reader.varint())
                if o { throw fail(.corrupt, "shape blob Z overflows at point \(i)") }
                z = v
                zs[i] = z
            }
        }
        guard reader.offset == count else {
            throw fail(.corrupt, "shape blob has \(count - reader.offset) trailing bytes after its \(n) points (byte \(reader.offset))")
        }

        // Part separators: exactly where the part sizes put them, nowhere else.
        var separators: [Int] = []
        var at = 0
        for c in partCounts {
            at += c
            separators.append(at - 1)
        }
        var nextSeparator = 0
        var minX = Int64.max, minY = Int64.max, maxX = Int64.min, maxY = Int64.min
        for i in 0..<n {
            let isSeparatorPoint = xs[i] == -1 && ys[i] == 0
            let expected = nextSeparator < separators.count && separators[nextSeparator] == i
            if expected {
                guard isSeparatorPoint else {
                    throw fail(.corrupt, "shape blob point \(i) should separate two parts but is (\(xs[i]), \(ys[i]))")
                }
                nextSeparator += 1
                continue
            }
            if isSeparatorPoint {
                throw fail(.corrupt, "shape blob has a part separator at point \(i) that its part sizes do not announce")
            }
            minX = min(minX, xs[i]); maxX = max(maxX, xs[i])
            minY = min(minY, ys[i]); maxY = max(maxY, ys[i])
        }
        if let box {
            guard box == (minX, minY, maxX, maxY) else {
                throw fail(.corrupt, "shape blob's stored bounding box \(box) disagrees with its coordinates (\(minX), \(minY), \(maxX), \(maxY))")
            }
        }

        @inline(__always) func vertex(_ i: Int) -> Vertex {
            Vertex(x: Double(xs[i]) / grid.xyScale + grid.xOrigin,
                   y: Double(ys[i]) / grid.xyScale + grid.yOrigin,
                   z: hasZ ? Double(zs[i]) / grid.zScale + grid.zOrigin : 0)
        }

        let shape: Geometry.Shape
        switch kind {
        case 1:
            shape = .point(vertex(0))
        case 2:
            shape = .multipoint((0..<n).map(vertex))
        default:
            // Parts as index ranges, separators dropped.
            var parts: [Range<Int>] = []
            var start = 0
            for s in separators {
                parts.append(start..<s)
                start = s + 1
            }
            parts.append(start..<n)
            if kind == 5 {
                var paths: [Path] = []
                paths.reserveCapacity(parts.count)
                for part in parts {
                    guard part.count >= 2 else {
                        throw fail(.corrupt, "shape blob line part at point \(part.lowerBound) has \(part.count) vertex")
                    }
                    paths.append(Path(vertices: part.map(vertex)))
                }
                shape = .polyline(paths)
            } else {
                var rings: [Path] = []
                for part in parts {
                    // One outer ring then its holes; each ring ends where it closes.
                    var ringStart = part.lowerBound
                    while ringStart < part.upperBound {
                        var end = ringStart + 1
                        while end < part.upperBound && !(xs[end] == xs[ringStart] && ys[end] == ys[ringStart]) {
                            end += 1
                        }
                        guard end < part.upperBound else {
                            throw fail(.corrupt, "shape blob polygon ring starting at point \(ringStart) does not close")
                        }
                        // A ring without area (A, B, A) is read as written; a lone point is no ring.
                        guard end - ringStart >= 2 else {
                            throw fail(.corrupt, "shape blob polygon ring starting at point \(ringStart) has only \(end - ringStart + 1) vertices")
                        }
                        // Mobile geodatabase exteriors are counter-clockwise: reverse to Esri's clockwise.
                        var vertices: [Vertex] = []
                        vertices.reserveCapacity(end - ringStart + 1)
                        var i = end
                        while i >= ringStart { vertices.append(vertex(i)); i -= 1 }
                        rings.append(Path(vertices: vertices))
                        ringStart = end + 1
                    }
                }
                shape = .polygon(rings)
            }
        }
        let stored = box.map { b in
            (xmin: Double(b.0) / grid.xyScale + grid.xOrigin, ymin: Double(b.1) / grid.xyScale + grid.yOrigin,
             xmax: Double(b.2) / grid.xyScale + grid.xOrigin, ymax: Double(b.3) / grid.xyScale + grid.yOrigin)
        }
        return Decoded(header: header, geometry: Geometry(shape, hasZ: hasZ, hasM: false), storedBox: stored)
    }

    static func fail(_ code: ReplicaExportError.Code, _ message: String) -> ReplicaExportError {
        ReplicaExportError(code, message)
    }

    struct Reader {
        let buffer: UnsafeRawBufferPointer
        var offset = 0

        /// A signed varint: first byte bit 7 more, bit 6 sign, bits 0-5 value; then 7 bits a byte.
        @inline(__always)
        mutating func varint() throws -> Int64 {
            guard offset < buffer.count else {
                throw ShapeBlob.fail(.truncated, "shape blob ends at byte \(offset) inside a varint")
            }
            var byte = buffer[offset]
            offset += 1
            let negative = byte & 0x40 != 0
            var value = UInt64(byte & 0x3F)
            var shift: UInt64 = 6
            while byte & 0x80 != 0 {
                guard offset < buffer.count else {
                    throw ShapeBlob.fail(.truncated, "shape blob ends at byte \(offset) inside a varint")
                }
                byte = buffer[offset]
                offset += 1
                let bits = UInt64(byte & 0x7F)
                guard shift < 63, shift == 0 || bits >> (63 - shift) == 0 else {
                    throw ShapeBlob.fail(.corrupt, "shape blob varint ending at byte \(offset) overflows 63 bits")
                }
                value |= bits << shift
                shift += 7
            }
            return negative ? -Int64(value) : Int64(value)
        }
    }
}
