import Foundation
import ReplicaExport

/// Grows a real mobile geodatabase into a large, deterministic one for benchmarks: a copy of a
/// template file (its catalog: GDB_Items, GDB_ServiceItems, registries, st_geometry_columns,
/// spatial reference tables, untouched) whose feature tables are refilled with generated rows.
///
/// Each non-archive feature layer gets `count` rows: every column a value of its stored kind, and a
/// shape blob (``ShapeBlobEncoder``) of the layer's geometry type and Z, inside the extent of the
/// template's own features (so the coordinates suit the layer's spatial reference): points,
/// multipoints, lines of one or two parts, polygons with a hole in every third. The rows depend only
/// on the seed. The template's spatial-index triggers call Esri's SQL functions, which plain SQLite
/// lacks: they are dropped in the copy (the reader never uses the spatial index).
package enum GeodatabaseGenerator {
    /// Writes the grown copy of `template` to `output` (which must not exist); returns the rows
    /// written per layer name. Archive layers and layers without features keep their rows.
    package static func generate(template: URL, output: URL, count: Int, seed: UInt64) throws -> [String: Int] {
        let source = try MobileGeodatabaseSource(url: template)
        var extents: [Int: (minX: Double, minY: Double, maxX: Double, maxY: Double)] = [:]
        for (index, layer) in source.replica.layers.enumerated() where layer.geometryType != nil {
            var box: (minX: Double, minY: Double, maxX: Double, maxY: Double)?
            try source.features(inLayer: index, batchSize: 1_000) { batch in
                for feature in batch {
                    for v in feature.geometry.map(vertices) ?? [] where v.x.isFinite && v.y.isFinite {
                        box = box.map { (min($0.minX, v.x), min($0.minY, v.y), max($0.maxX, v.x), max($0.maxY, v.y)) }
                            ?? (v.x, v.y, v.x, v.y)
                    }
                }
            }
            if let box { extents[index] = box }
        }
        do {
            try FileManager.default.copyItem(at: template, to: output)
        } catch {
            throw ReplicaExportError(.fileSystem, "cannot copy the template geodatabase; the output must not exist yet",
                                     at: ErrorLocation(output: output.path), cause: error as NSError)
        }
        let db = try SQLiteConnection(readWrite: output, create: false)
        var written: [String: Int] = [:]
        var random = SplitMix64(seed: seed)
        for (index, layer) in source.replica.layers.enumerated() {
            let plan = source.plans[index]
            guard let shape = plan.shapeColumn, let grid = plan.grid, !plan.isArchive, let box = extents[index],
                  let type = layer.geometryType else { continue }
            let triggers = try db.rows("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '\(plan.table.replacingOccurrences(of: "'", with: "''"))'") { $0.text(0) ?? "" }
            let columns = plan.columns.map { SQLName.quote($0.name) } + [SQLName.quote(shape)]
            let lengths = plan.columns.map { column in
                layer.fields.first { $0.name.caseInsensitiveCompare(column.name) == .orderedSame }?.length.flatMap { $0 > 0 ? $0 : nil }
            }
            let sql = "INSERT INTO \(SQLName.quote(plan.table)) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
            try db.transaction {
                for trigger in triggers { try db.execute("DROP TRIGGER \(SQLName.quote(trigger))") }
                try db.execute("DELETE FROM \(SQLName.quote(plan.table))")
                let insert = try db.prepare(sql)
                for row in 0..<count {
                    for (i, column) in plan.columns.enumerated() {
                        let at = Int32(i + 1)
                        if column.name == plan.oidColumn { try insert.bind(Int64(row + 1), at: at); continue }
                        switch column.storage {
                        case .int16: try insert.bind(Int64(random.next() % 200) - 100, at: at)
                        case .int32: try insert.bind(Int64(Int32(truncatingIfNeeded: random.next())), at: at)
                        case .int64: try insert.bind(Int64(truncatingIfNeeded: random.next() >> 12), at: at)
                        case .float32: try insert.bind(Double(Float(random.unit() * 1000)), at: at)
                        case .float64: try insert.bind(random.unit() * 2e6 - 1e6, at: at)
                        // Within the column's length: tables CHECK it.
                        case .string: try insert.bind(String("feature \(row) \u{e9}".prefix(lengths[i] ?? 64)), at: at)
                        case .guid: try insert.bind(random.guid(), at: at)
                        // Julian days between 1970 and 2033, whole milliseconds.
                        case .date: try insert.bind(2440587.5 + Double(random.next() % 2_000_000_000_000) / 86_400_000, at: at)
                        default: try insert.bindNull(at: at)
                        }
                    }
                    let geometry = makeGeometry(type, hasZ: layer.hasZ, box: box, row: row, random: &random)
                    try insert.bind(try ShapeBlobEncoder.encode(geometry, grid: grid, srid: 0), at: Int32(plan.columns.count + 1))
                    _ = try insert.step()
                    insert.reset()
                }
            }
            written[layer.name] = count
        }
        return written
    }

    private static func vertices(_ geometry: Geometry) -> [Vertex] {
        switch geometry.shape {
        case .point(let v): return [v]
        case .multipoint(let vs): return vs
        case .polyline(let paths), .polygon(let paths): return paths.flatMap(\.vertices)
        }
    }

    private static func makeGeometry(_ type: GeometryType, hasZ: Bool, box: (minX: Double, minY: Double, maxX: Double, maxY: Double),
                                     row: Int, random: inout SplitMix64) -> Geometry {
        let width = max(box.maxX - box.minX, 1e-3), height = max(box.maxY - box.minY, 1e-3)
        let size = min(width, height) / 1000
        func point(_ dx: Double = 0, _ dy: Double = 0) -> Vertex {
            Vertex(x: box.minX + width * random.unit() + dx, y: box.minY + height * random.unit() + dy,
                   z: hasZ ? (random.unit() * 100).rounded() : 0)
        }
        func square(_ c: Vertex, _ r: Double, clockwise: Bool) -> Path {
            var corners = [Vertex(x: c.x - r, y: c.y - r, z: c.z), Vertex(x: c.x - r, y: c.y + r, z: c.z),
                           Vertex(x: c.x + r, y: c.y + r, z: c.z), Vertex(x: c.x + r, y: c.y - r, z: c.z)]
            if !clockwise { corners = [corners[0]] + corners.dropFirst().reversed() }
            return Path(vertices: corners + [corners[0]])
        }
        switch type {
        case .point:
            return Geometry(.point(point()), hasZ: hasZ)
        case .multipoint:
            return Geometry(.multipoint((0..<(2 + row % 5)).map { _ in point() }), hasZ: hasZ)
        case .polyline:
            let start = point()
            let paths = (0..<(row % 4 == 0 ? 2 : 1)).map { part in
                Path(vertices: (0..<8).map { k in
                    Vertex(x: start.x + size * Double(k), y: start.y + size * Double(part) + size * sin(Double(k)), z: start.z)
                })
            }
            return Geometry(.polyline(paths), hasZ: hasZ)
        case .polygon:
            let center = point()
            var rings = [square(center, size * 4, clockwise: true)]
            if row % 3 == 0 { rings.append(square(center, size, clockwise: false)) }
            return Geometry(.polygon(rings), hasZ: hasZ)
        default:
            return Geometry(.point(point()), hasZ: hasZ)
        }
    }
}

/// A small seeded generator (SplitMix64): the generated rows depend on the seed only.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// In [0, 1).
    package mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    package mutating func guid() -> String {
        let a = next(), b = next()
        return String(format: "{%08X-%04X-4%03X-8%03X-%012llX}", UInt32(a >> 32), UInt16(a >> 16 & 0xFFFF),
                      UInt16(a & 0xFFF), UInt16(b >> 48 & 0xFFF), b & 0xFFFF_FFFF_FFFF)
    }
}
