/// A shape blob written for a prepared geometry, with what the catalog and the spatial index need.
struct WrittenShape {
    var blob: [UInt8]
    /// The box of the stored (grid-snapped) coordinates.
    var xmin: Double, ymin: Double, xmax: Double, ymax: Double
    var zmin: Double?, zmax: Double?
}

extension ShapeBlobEncoder {
    /// The shape blob of a prepared geometry as ArcGIS writes it (FORMATS.md section 2): polygons as
    /// the preparer gives them (each exterior, counter-clockwise, followed by its holes, one part per
    /// polygon), lines one part per path, in the grid's integers. nil for an empty geometry, which
    /// ArcGIS stores as NULL. M values are not written (the profile declares none) and curves must
    /// have been densified.
    ///
    /// Bytes that depend on nothing in the geometry are written as ArcGIS writes them for a new
    /// row: the bytes of the payload-length slot after its varint are 0 (ArcGIS leaves there what an
    /// earlier write left, FORMATS.md), and the flags are `01 00 00 00`, `01 01 00 00` with Z, and
    /// `01 10 00 04` for polygons, as the polygons of ArcGIS 10.5.1 and Pro 2.8 samples have them
    /// (10.4 and 10.5.0 wrote `01 00 00 00` / `01 01 00 00` for polygons too). Lines get entity 4;
    /// ArcGIS 10.5.1 wrote 2 for 3 of 144 lines, for a reason no sample shows.
    static func encode(_ geometry: PreparedGeometry, grid: ShapeGrid, srid: Int) throws -> WrittenShape? {
        guard !geometry.isEmpty else { return nil }
        let hasZ = geometry.hasZ
        var xs: [Int64] = [], ys: [Int64] = [], zs: [Int64] = []
        var partCounts: [Int] = []
        let kind: Int
        var entity: Int
        func add(_ v: Vertex) throws {
            let x = ((v.x - grid.xOrigin) * grid.xyScale).rounded()
            let y = ((v.y - grid.yOrigin) * grid.xyScale).rounded()
            let z = hasZ ? ((v.z.isNaN ? 0 : v.z - grid.zOrigin) * grid.zScale).rounded() : 0
            guard let ix = Int64(exactly: x), let iy = Int64(exactly: y), let iz = Int64(exactly: z), ix >= 0, iy >= 0 else {
                throw ShapeBlob.fail(.unsupported, "coordinate (\(v.x), \(v.y)\(hasZ ? ", \(v.z)" : "")) lies outside the coordinate grid of the spatial reference (origin \(grid.xOrigin), \(grid.yOrigin), scale \(grid.xyScale))")
            }
            xs.append(ix); ys.append(iy)
            if hasZ { zs.append(iz) }
        }
        func separator() {
            xs.append(-1); ys.append(0)
            if hasZ { zs.append(0) }
        }
        func addParts(_ parts: [[Path]], closesRings: Bool = false) throws {
            for (i, part) in parts.enumerated() {
                if i > 0 { separator() }
                for path in part {
                    guard path.isLinear else {
                        throw ShapeBlob.fail(.unsupported, "a true curve reached the shape blob writer; curves are densified for this format")
                    }
                    let start = xs.count
                    for v in path.vertices { try add(v) }
                    // A ring ends where it meets its first vertex again (readers split rings so):
                    // one whose end lands on another grid point than its start (a densified
                    // arc's end, a few ulps off) is closed on the grid.
                    if closesRings, xs.count - start >= 2, xs.last != xs[start] || ys.last != ys[start] {
                        let (dx, dy) = (abs(xs.last! - xs[start]), abs(ys.last! - ys[start]))
                        if dx <= 2 && dy <= 2 {
                            xs[xs.count - 1] = xs[start]; ys[ys.count - 1] = ys[start]
                        } else {
                            xs.append(xs[start]); ys.append(ys[start])
                            if hasZ { zs.append(zs[start]) }
                        }
                    }
                    // A ring that meets its first vertex before its end is two rings to a reader
                    // (a ring ends where it closes): the vertex is written twice, ending the one
                    // and starting the next, which verify expects (``WriterProfile/ReadBack/ringsSplitAtTheirStart``).
                    if closesRings {
                        var i = start + 1
                        while i < xs.count - 1 {
                            if xs[i] == xs[start] && ys[i] == ys[start] {
                                xs.insert(xs[i], at: i); ys.insert(ys[i], at: i)
                                if hasZ { zs.insert(zs[i], at: i) }
                                i += 1
                            }
                            i += 1
                        }
                    }
                }
            }
            var counts: [Int] = []
            var last = 0
            for (i, x) in xs.enumerated() where x == -1 && ys[i] == 0 {
                counts.append(i - last + 1)
                last = i + 1
            }
            partCounts = counts
        }
        switch geometry.shape {
        case .point(let v):
            kind = 1; entity = 1
            try add(v)
        case .multipoint(let vs):
            kind = 2; entity = vs.count > 1 ? 0x41 : 1
            for v in vs { try add(v) }
        case .lines(let paths):
            let parts = paths.filter { !$0.vertices.isEmpty }
            kind = 5; entity = parts.count > 1 ? 0x44 : 4
            try addParts(parts.map { [$0] })
        case .polygons(let polygons):
            let parts = polygons.map { $0.filter { !$0.vertices.isEmpty } }.filter { !$0.isEmpty }
            kind = 6; entity = parts.count > 1 ? 0x48 : 8
            try addParts(parts, closesRings: true)
        }
        let n = xs.count
        var minX = Int64.max, minY = Int64.max, maxX = Int64.min, maxY = Int64.min
        var minZ = Int64.max, maxZ = Int64.min
        for i in 0..<n where !(xs[i] == -1 && ys[i] == 0) {
            minX = min(minX, xs[i]); maxX = max(maxX, xs[i])
            minY = min(minY, ys[i]); maxY = max(maxY, ys[i])
            if hasZ { minZ = min(minZ, zs[i]); maxZ = max(maxZ, zs[i]) }
        }
        var blob: [UInt8] = [ShapeBlob.magic, UInt8(srid & 0xFF), UInt8((srid >> 8) & 0xFF), UInt8((srid >> 16) & 0xFF),
                             UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8((n >> 24) & 0xFF),
                             UInt8(kind << 2 | (hasZ ? 2 : 0)), UInt8(entity)]
        blob.reserveCapacity(24 + n * 8)
        if n > 10 {
            for v in [minX, minY, maxX, maxY] { appendVarint(v, to: &blob) }
        }
        if entity & 0x40 != 0 && (kind == 5 || kind == 6) {
            appendVarint(Int64(partCounts.count), to: &blob)
            for c in partCounts { appendVarint(Int64(c), to: &blob) }
        }
        var payload: [UInt8] = []
        payload.reserveCapacity(n * (hasZ ? 9 : 6))
        var lastX: Int64 = 0, lastY: Int64 = 0
        for i in 0..<n {
            appendVarint(xs[i] - lastX, to: &payload)
            appendVarint(ys[i] - lastY, to: &payload)
            lastX = xs[i]; lastY = ys[i]
        }
        if hasZ {
            var lastZ: Int64 = 0
            for z in zs {
                appendVarint(z - lastZ, to: &payload)
                lastZ = z
            }
        }
        var slot: [UInt8] = []
        appendVarint(Int64(payload.count), to: &slot)
        guard slot.count <= 4 else {
            throw ShapeBlob.fail(.tooLarge, "a geometry of \(n) points takes \(payload.count) bytes, more than a shape blob's length field holds (2^27)")
        }
        blob += slot + [UInt8](repeating: 0, count: 4 - slot.count)
        var flags: [UInt8] = [1, hasZ ? 1 : 0, 0, 0]
        if kind == 6 {
            flags[1] |= 0x10
            flags[3] = 4
        }
        blob += flags
        blob += payload
        func real(_ v: Int64, _ origin: Double, _ scale: Double) -> Double { Double(v) / scale + origin }
        return WrittenShape(blob: blob,
                            xmin: real(minX, grid.xOrigin, grid.xyScale), ymin: real(minY, grid.yOrigin, grid.xyScale),
                            xmax: real(maxX, grid.xOrigin, grid.xyScale), ymax: real(maxY, grid.yOrigin, grid.xyScale),
                            zmin: hasZ ? real(minZ, grid.zOrigin, grid.zScale) : nil,
                            zmax: hasZ ? real(maxZ, grid.zOrigin, grid.zScale) : nil)
    }

}
