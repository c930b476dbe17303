/// Encoder of the ST_Geometry shape blob, the inverse of ``ShapeBlob/decode(_:grid:)``: what the
/// dataset generator writes into mobile geodatabases (FORMATS.md section 2).
///
/// Polygons are given as the decoder returns them: each outer ring (clockwise, Esri's order)
/// followed by its holes; a new part starts at every clockwise ring. Rings are stored reversed
/// (counter-clockwise outers), as mobile geodatabases store them. Coordinates are rounded to the
/// grid. Curves and M values have no encoding the decoder reads, so they are refused.
package enum ShapeBlobEncoder {
    package static func encode(_ geometry: Geometry?, grid: ShapeGrid, srid: Int) throws -> [UInt8] {
        var points: [(x: Int64, y: Int64, z: Int64)] = []
        var partCounts: [Int] = []
        var kind: Int
        var entity: Int
        let hasZ = geometry?.hasZ ?? false
        if geometry?.hasM == true {
            throw ShapeBlob.fail(.unsupported, "shape blobs with M values have no verified encoding")
        }
        func onGrid(_ v: Vertex) throws -> (x: Int64, y: Int64, z: Int64) {
            let x = ((v.x - grid.xOrigin) * grid.xyScale).rounded()
            let y = ((v.y - grid.yOrigin) * grid.xyScale).rounded()
            let z = hasZ ? ((v.z - grid.zOrigin) * grid.zScale).rounded() : 0
            guard let ix = Int64(exactly: x), let iy = Int64(exactly: y), let iz = Int64(exactly: z) else {
                throw ShapeBlob.fail(.unsupported, "coordinate (\(v.x), \(v.y), \(v.z)) is outside the shape grid")
            }
            return (ix, iy, iz)
        }
        /// Appends parts separated by the (-1, 0) point; each part's count includes its separator.
        func appendParts(_ parts: [[Vertex]]) throws {
            for (i, part) in parts.enumerated() {
                if i > 0 { points.append((-1, 0, 0)) }
                for v in part { points.append(try onGrid(v)) }
            }
        }
        switch geometry?.shape {
        case nil:
            kind = 1; entity = 0
        case .point(let v)?:
            kind = 1; entity = 1
            if !v.x.isNaN { points.append(try onGrid(v)) }
        case .multipoint(let vs)?:
            kind = 2; entity = vs.count > 1 ? 0x41 : 1
            for v in vs { points.append(try onGrid(v)) }
        case .polyline(let paths)?:
            kind = 5; entity = paths.count > 1 ? 0x44 : 4
            try requireLinear(paths)
            partCounts = partSizes(paths.map(\.vertices.count))
            try appendParts(paths.map(\.vertices))
        case .polygon(let rings)?:
            kind = 6
            try requireLinear(rings)
            // Parts: a clockwise ring and the counter-clockwise rings after it; each stored reversed.
            var parts: [[Vertex]] = []
            for ring in rings {
                if try parts.isEmpty || Rings.signedArea(ring) < 0 {
                    parts.append(ring.vertices.reversed())
                } else {
                    parts[parts.count - 1] += ring.vertices.reversed()
                }
            }
            entity = parts.count > 1 ? 0x48 : 8
            partCounts = partSizes(parts.map(\.count))
            try appendParts(parts)
        }
        if points.isEmpty { entity = 0 }
        let n = points.count

        var blob: [UInt8] = [ShapeBlob.magic, UInt8(srid & 0xFF), UInt8((srid >> 8) & 0xFF), UInt8((srid >> 16) & 0xFF),
                             UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8((n >> 24) & 0xFF),
                             UInt8(kind << 2 | (hasZ ? 2 : 0)), UInt8(entity)]
        if n > 10 {
            let real = points.filter { !($0.x == -1 && $0.y == 0) }
            for v in [real.map(\.x).min()!, real.map(\.y).min()!, real.map(\.x).max()!, real.map(\.y).max()!] {
                appendVarint(v, to: &blob)
            }
        }
        if entity & 0x40 != 0 && (kind == 5 || kind == 6) {
            appendVarint(Int64(partCounts.count), to: &blob)
            for c in partCounts { appendVarint(Int64(c), to: &blob) }
        }
        var payload: [UInt8] = []
        var last = (x: Int64(0), y: Int64(0), z: Int64(0))
        for p in points {
            appendVarint(p.x - last.x, to: &payload)
            appendVarint(p.y - last.y, to: &payload)
            last.x = p.x; last.y = p.y
        }
        if hasZ {
            for p in points {
                appendVarint(p.z - last.z, to: &payload)
                last.z = p.z
            }
        }
        var slot: [UInt8] = []
        appendVarint(Int64(payload.count), to: &slot)
        guard slot.count <= 4 else { throw ShapeBlob.fail(.unsupported, "geometry of \(payload.count) bytes is too large for a shape blob") }
        blob += slot + [UInt8](repeating: 0, count: 8 - slot.count)
        return blob + payload
    }

    /// The point counts of every part but the last, each with its separator.
    private static func partSizes(_ counts: [Int]) -> [Int] {
        counts.dropLast().map { $0 + 1 }
    }

    private static func requireLinear(_ paths: [Path]) throws {
        if paths.contains(where: { !$0.isLinear }) {
            throw ShapeBlob.fail(.unsupported, "true curves have no shape blob encoding the decoder reads; densify them first")
        }
    }

    /// The decoder's signed varint: sign in bit 6 of the first byte, 6 then 7 bits a byte.
    static func appendVarint(_ value: Int64, to out: inout [UInt8]) {
        var magnitude = value.magnitude
        var first = UInt8(magnitude & 0x3F)
        if value < 0 { first |= 0x40 }
        magnitude >>= 6
        if magnitude != 0 { first |= 0x80 }
        out.append(first)
        while magnitude != 0 {
            var byte = UInt8(magnitude & 0x7F)
            magnitude >>= 7
            if magnitude != 0 { byte |= 0x80 }
            out.append(byte)
        }
    }
}
