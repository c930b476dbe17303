import Foundation
import Testing
@testable import ReplicaExport
import ReplicaExportBenchmarkSupport

/// The spatial index of the `sqlite` format, `st_spindex__<table>_<shape>`, which the writer packs
/// straight into SQLite's rtree shadow tables (``PackedRTree``): on a fresh connection SQLite's own
/// checker passes it, a box query finds exactly what a scan of the boxes finds, and the rtree
/// module goes on inserting, updating and deleting in it.
@Suite struct MobileGeodatabaseSpatialIndexTests {
    /// The grid EPSG:3857 layers are stored on (ArcGIS's default for the system).
    static let grid = MobileGeodatabaseWriter.grid(for: SpatialReference(wkid: 3857))

    /// A coordinate on the grid, so that the stored box is the input's to the bit.
    static func onGrid(_ units: Int64, origin: Double) -> Double { Double(units) / grid.xyScale + origin }

    /// A box per entry: (pkid, minx, maxx, miny, maxy).
    typealias Entry = (id: Int64, minX: Double, maxX: Double, minY: Double, maxY: Double)

    /// A layer `name` of two-vertex lines spread over the world (`entries` of them, ObjectIDs from
    /// 1), with a feature without geometry after every tenth (nulls: true), or only features
    /// without geometry (`entries` of them, `allNull`); and the boxes of the lines.
    static func lines(_ name: String, id: Int, entries: Int, allNull: Bool = false, seed: UInt64 = 1)
        -> (LayerSchema, [PreparedFeature], [Entry]) {
        let layer = LayerSchema(id: id, name: name, kind: .featureLayer, geometryType: .polyline,
                                spatialReference: SpatialReference(wkid: 3857), objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID, nullable: false)], schemaSource: .layerResource)
        var random = SplitMix64(seed: seed)
        var features: [PreparedFeature] = [], boxes: [Entry] = []
        var oid: Int64 = 0
        for i in 0..<entries {
            oid += 1
            if allNull {
                features.append(PreparedFeature(attributes: [.int64(oid)], geometry: nil))
                continue
            }
            // Anywhere in a 40,000 km square, up to 50 km long, on the grid's 0.1 mm.
            let x0 = Int64(random.next() % 400_000_000_000), y0 = Int64(random.next() % 400_000_000_000)
            let x1 = x0 + Int64(random.next() % 500_000_000), y1 = y0 + Int64(random.next() % 500_000_000)
            let a = Vertex(x: onGrid(x0, origin: grid.xOrigin), y: onGrid(y0, origin: grid.yOrigin))
            let b = Vertex(x: onGrid(x1, origin: grid.xOrigin), y: onGrid(y1, origin: grid.yOrigin))
            features.append(PreparedFeature(attributes: [.int64(oid)], geometry: PreparedGeometry(.lines([Path(vertices: [a, b])]))))
            boxes.append((oid, min(a.x, b.x), max(a.x, b.x), min(a.y, b.y), max(a.y, b.y)))
            if i % 10 == 9 {
                oid += 1
                features.append(PreparedFeature(attributes: [.int64(oid)], geometry: nil))
            }
        }
        return (layer, features, boxes)
    }

    /// Writes the layers into one geodatabase, in batches of 1,000 as the exporter delivers them.
    static func write(_ layers: [(LayerSchema, [PreparedFeature])], into dir: URL) throws -> URL {
        let writer = try MobileGeodatabaseWriter(request: WriterFixtures.request(dir, layers: layers.map(\.0)))
        do {
            for (schema, features) in layers {
                try writer.beginLayer(schema)
                for start in stride(from: 0, to: features.count, by: 1000) {
                    try writer.write(Array(features[start..<min(start + 1000, features.count)]))
                }
                try writer.endLayer()
            }
            _ = try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
        return dir.appendingPathComponent("replica.geodatabase")
    }

    /// SQLite's checker of an rtree: 'ok', or what is wrong.
    static func check(_ db: SQLiteConnection, _ index: String) throws -> String {
        try db.rows("SELECT rtreecheck('\(index)')") { $0.text(0) ?? "NULL" }.first ?? ""
    }

    /// The ids a box query through the rtree module finds.
    static func query(_ db: SQLiteConnection, _ index: String, _ w: (minX: Double, maxX: Double, minY: Double, maxY: Double)) throws -> Set<Int64> {
        let statement = try db.prepare("SELECT pkid FROM [\(index)] WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?")
        try statement.bind(w.maxX, at: 1); try statement.bind(w.minX, at: 2)
        try statement.bind(w.maxY, at: 3); try statement.bind(w.minY, at: 4)
        var ids: Set<Int64> = []
        while try statement.step() { ids.insert(statement.int64(0)) }
        return ids
    }

    /// The ids of the boxes that meet the window, each box as the rtree holds it (32-bit floats,
    /// rounded outward), which is what its query compares; and those whose exact box meets it,
    /// which the query must find among them.
    static func scan(_ boxes: [Entry], _ w: (minX: Double, maxX: Double, minY: Double, maxY: Double)) -> (stored: Set<Int64>, exact: Set<Int64>) {
        var stored: Set<Int64> = [], exact: Set<Int64> = []
        for b in boxes {
            if Double(PackedRTree.roundedDown(b.minX)) <= w.maxX && Double(PackedRTree.roundedUp(b.maxX)) >= w.minX
                && Double(PackedRTree.roundedDown(b.minY)) <= w.maxY && Double(PackedRTree.roundedUp(b.maxY)) >= w.minY {
                stored.insert(b.id)
            }
            if b.minX <= w.maxX && b.maxX >= w.minX && b.minY <= w.maxY && b.maxY >= w.minY { exact.insert(b.id) }
        }
        return (stored, exact)
    }

    /// Windows of every size over the boxes' extent, and one that holds everything.
    static func windows(over boxes: [Entry], seed: UInt64) -> [(minX: Double, maxX: Double, minY: Double, maxY: Double)] {
        var random = SplitMix64(seed: seed)
        func unit() -> Double { random.unit() }
        let x0 = boxes.map(\.minX).min() ?? 0, x1 = boxes.map(\.maxX).max() ?? 1
        let y0 = boxes.map(\.minY).min() ?? 0, y1 = boxes.map(\.maxY).max() ?? 1
        var out = [(minX: -Double.greatestFiniteMagnitude, maxX: Double.greatestFiniteMagnitude,
                    minY: -Double.greatestFiniteMagnitude, maxY: Double.greatestFiniteMagnitude)]
        for size in [0.0, 0.001, 0.01, 0.1, 0.5] {
            for _ in 0..<8 {
                let cx = x0 + (x1 - x0) * unit(), cy = y0 + (y1 - y0) * unit()
                let hw = (x1 - x0) * size * unit(), hh = (y1 - y0) * size * unit()
                out.append((cx - hw, cx + hw, cy - hh, cy + hh))
            }
        }
        return out
    }

    /// Every box query finds exactly the boxes a scan finds.
    static func expectQueriesMatch(_ db: SQLiteConnection, _ index: String, _ boxes: [Entry], seed: UInt64,
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
        for w in windows(over: boxes, seed: seed) {
            let found = try query(db, index, w)
            let (stored, exact) = scan(boxes, w)
            #expect(found.count == stored.count && found == stored,
                    "window \(w): \(found.count) found, \(stored.count) expected; not found \(stored.subtracting(found).sorted().prefix(5)), not expected \(found.subtracting(stored).sorted().prefix(5))",
                    sourceLocation: sourceLocation)
            #expect(exact.subtracting(found).isEmpty, "window \(w): \(exact.subtracting(found).sorted().prefix(5)) meet it and were not found",
                    sourceLocation: sourceLocation)
        }
    }

    /// Sizes from one leaf root to three levels: below a node, exactly a full node (51 cells at
    /// pages of 4096 bytes), one more, exactly two full levels, one more, and several thousand;
    /// with the tree's expected depth and node count.
    @Test(arguments: [(0, 0, 1), (1, 0, 1), (50, 0, 1), (51, 0, 1), (52, 1, 3), (2601, 1, 52), (2602, 2, 55), (6000, 2, 122)])
    func theIndexIsPackedPassesSQLitesCheckAndAnswersQueries(entries: Int, depth: Int, nodes: Int) throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-rtree-\(entries)")
        defer { TestPaths.remove(dir) }
        let (layer, features, boxes) = Self.lines("lines", id: 0, entries: entries, seed: UInt64(entries))
        let file = try Self.write([(layer, features)], into: dir)
        #expect(TestPaths.entries(dir) == ["replica.geodatabase"])

        let db = try SQLiteConnection(readOnlyImmutable: file)
        let index = "st_spindex__lines_SHAPE"
        #expect(try Self.check(db, index) == "ok")
        #expect(try db.rows("SELECT rtreedepth(data), length(data) FROM [\(index)_node] WHERE nodeno = 1") { [$0.int64(0), $0.int64(1)] }
                == [[Int64(depth), 1228]])
        #expect(try db.rows("SELECT count(*) FROM [\(index)_node]") { $0.int64(0) } == [Int64(nodes)])
        #expect(try db.rows("SELECT count(*) FROM [\(index)_parent]") { $0.int64(0) } == [Int64(nodes - 1)])
        // One entry per line, at its box, under its row's ObjectID.
        let stored = try db.rows("SELECT pkid, minx, maxx, miny, maxy FROM [\(index)] ORDER BY pkid") {
            [Double($0.int64(0)), $0.double(1), $0.double(2), $0.double(3), $0.double(4)]
        }
        let expected = boxes.map { [Double($0.id), Double(PackedRTree.roundedDown($0.minX)), Double(PackedRTree.roundedUp($0.maxX)),
                                    Double(PackedRTree.roundedDown($0.minY)), Double(PackedRTree.roundedUp($0.maxY))] }
        #expect(stored.count == expected.count && stored == expected,
                "\(stored.count) entries, \(expected.count) expected; first difference \(zip(stored, expected).first { $0 != $1 }.map { "\($0) \($1)" } ?? "")")
        #expect(try db.rows("SELECT count(*) FROM lines WHERE SHAPE IS NOT NULL") { $0.int64(0) } == [Int64(entries)])
        try Self.expectQueriesMatch(db, index, boxes, seed: 7)
    }

    /// The rtree module edits the packed tree as one of its own: inserts that split nodes and grow
    /// the tree, updates that move entries, deletes that empty and remove nodes; after each round
    /// SQLite's check passes and queries find exactly what a scan finds.
    @Test(arguments: [0, 51, 2602, 6000])
    func sqliteGoesOnEditingThePackedTree(entries: Int) throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-rtree-edit-\(entries)")
        defer { TestPaths.remove(dir) }
        let (layer, features, written) = Self.lines("lines", id: 0, entries: entries, seed: 99)
        let file = try Self.write([(layer, features)], into: dir)
        let db = try SQLiteConnection(readWrite: file, create: false)
        let index = "st_spindex__lines_SHAPE"
        var boxes = Dictionary(uniqueKeysWithValues: written.map { ($0.id, $0) })
        var random = SplitMix64(seed: 5)
        func box(_ id: Int64) -> Entry {
            let x = Self.onGrid(Int64(random.next() % 400_000_000_000), origin: Self.grid.xOrigin)
            let y = Self.onGrid(Int64(random.next() % 400_000_000_000), origin: Self.grid.yOrigin)
            return (id, x, x + Double(random.next() % 100_000), y, y + Double(random.next() % 100_000))
        }
        let insert = try db.prepare("INSERT INTO [\(index)] (pkid, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?)")
        let update = try db.prepare("UPDATE [\(index)] SET minx = ?, maxx = ?, miny = ?, maxy = ? WHERE pkid = ?")
        func bind(_ statement: SQLiteStatement, _ b: Entry, from first: Int32) throws {
            try statement.bind(b.minX, at: first); try statement.bind(b.maxX, at: first + 1)
            try statement.bind(b.minY, at: first + 2); try statement.bind(b.maxY, at: first + 3)
        }
        for round in 1...3 {
            try db.transaction {
                // Enough new entries to split the root of a small tree.
                for i in 0..<(entries / 4 + 60) {
                    let b = box(Int64(100_000 * round + i))
                    try insert.bind(b.id, at: 1)
                    try bind(insert, b, from: 2)
                    try insert.run()
                    boxes[b.id] = b
                }
                // Entries moved elsewhere.
                for id in boxes.keys.sorted().enumerated().filter({ $0.offset % 7 == round }).map(\.element) {
                    let b = box(id)
                    try bind(update, b, from: 1)
                    try update.bind(id, at: 5)
                    try update.run()
                    boxes[id] = b
                }
                // Two thirds of the entries of some stretches gone: underfull nodes.
                for id in boxes.keys.sorted() where (id / 64) % 3 == Int64(round % 3) && id % 3 != 0 {
                    try db.execute("DELETE FROM [\(index)] WHERE pkid = \(id)")
                    boxes[id] = nil
                }
            }
            #expect(try Self.check(db, index) == "ok", "round \(round)")
            #expect(try db.rows("SELECT count(*) FROM [\(index)]") { $0.int64(0) } == [Int64(boxes.count)])
            try Self.expectQueriesMatch(db, index, Array(boxes.values), seed: UInt64(round))
        }
    }

    /// Several layers in one file, each with its own tree: a multi-level one whose points among
    /// its lines go to a feature class of their own (two trees built at once), a table between
    /// them, a layer whose features all lack geometry (its tree keeps the empty root), an empty
    /// layer, and a small one; nothing is left beside the file.
    @Test func everyLayerGetsItsOwnTree() throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-rtree-layers")
        defer { TestPaths.remove(dir) }
        var big = Self.lines("big", id: 0, entries: 3000, seed: 3)
        let points = (0..<60).map { i in
            PreparedFeature(attributes: [.int64(Int64(10_000 + i))],
                            geometry: PreparedGeometry(.point(Vertex(x: Double(i) * 1000, y: Double(i) * -500))))
        }
        for (i, point) in points.enumerated() { big.1.insert(point, at: i * 50) }
        let table = LayerSchema(id: 1, name: "notes", kind: .table, objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID, nullable: false)], schemaSource: .layerResource)
        let nulls = Self.lines("nulls", id: 2, entries: 40, allNull: true)
        let empty = Self.lines("empty", id: 3, entries: 0)
        let small = Self.lines("small", id: 4, entries: 7, seed: 4)
        let file = try Self.write([(big.0, big.1), (table, [PreparedFeature(attributes: [.int64(1)], geometry: nil)]),
                                   (nulls.0, nulls.1), (empty.0, empty.1), (small.0, small.1)], into: dir)
        #expect(TestPaths.entries(dir) == ["replica.geodatabase"])
        let db = try SQLiteConnection.openInput(file)
        #expect(try db.rows("PRAGMA integrity_check") { $0.text(0) ?? "" } == ["ok"])
        for (name, boxes) in [("big", big.2), ("nulls", nulls.2), ("empty", empty.2), ("small", small.2)] {
            let index = "st_spindex__\(name)_SHAPE"
            #expect(try Self.check(db, index) == "ok", "\(name)")
            #expect(try db.rows("SELECT count(*) FROM [\(index)]") { $0.int64(0) } == [Int64(boxes.count)], "\(name)")
            try Self.expectQueriesMatch(db, index, boxes, seed: 11)
        }
        // The points' own class, and its tree.
        let classes = try db.rows("SELECT f_table_name, f_geometry_column FROM st_geometry_columns WHERE f_table_name <> 'GDB_Items'") { "\($0.text(0)!)|\($0.text(1)!)" }
        let split = try #require(classes.first { !["big|SHAPE", "nulls|SHAPE", "empty|SHAPE", "small|SHAPE"].contains($0) })
        #expect(classes.count == 5, "\(classes)")
        let splitIndex = "st_spindex__\(split.replacingOccurrences(of: "|", with: "_"))"
        #expect(try Self.check(db, splitIndex) == "ok")
        let pointBoxes: [Entry] = (0..<60).map { i in
            let x = Double(i) * 1000, y = Double(i) * -500
            return (Int64(10_000 + i), x, x, y, y)
        }
        try Self.expectQueriesMatch(db, splitIndex, pointBoxes, seed: 12)
        #expect(try db.rows("SELECT count(*) FROM [st_spindex__nulls_SHAPE_node]") { $0.int64(0) } == [1])
        #expect(try db.rows("SELECT count(*) FROM nulls") { $0.int64(0) } == [40])
    }

    /// A row whose ObjectID was repeated or invalid is given the next free one, and moves on again
    /// when a later feature brings that id as its own: its entry follows it each time.
    @Test func entriesFollowReassignedObjectIDs() throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-rtree-oids")
        defer { TestPaths.remove(dir) }
        let (layer, _, _) = Self.lines("lines", id: 0, entries: 0)
        func line(_ oid: Int64, _ x: Double) -> PreparedFeature {
            PreparedFeature(attributes: [.int64(oid)], geometry: PreparedGeometry(.lines([Path(vertices: [
                Vertex(x: x, y: 0), Vertex(x: x + 1, y: 1)])])))
        }
        // 0 is invalid (the row gets 1), then 1 comes as its own (the first row moves to 2), then 2
        // (it moves to 3), then 2 again (a repeat: the row gets 4).
        let file = try Self.write([(layer, [line(0, 100), line(1, 200), line(2, 300), line(2, 400)])], into: dir)
        let db = try SQLiteConnection(readOnlyImmutable: file)
        #expect(try Self.check(db, "st_spindex__lines_SHAPE") == "ok")
        let entries = try db.rows("SELECT pkid, minx FROM st_spindex__lines_SHAPE ORDER BY pkid") { [$0.int64(0), Int64($0.double(1))] }
        #expect(entries == [[1, 200], [2, 300], [3, 100], [4, 400]])
        // Each entry is its row's: the row's ObjectID and the entry's pkid agree on the place.
        let source = try MobileGeodatabaseSource(url: file, checkIntegrity: false)
        var rows: [[Int64]] = []
        try source.features(inLayer: 0, batchSize: 10) { batch in
            for feature in batch {
                guard case .polyline(let paths)? = feature.geometry?.shape else { continue }
                rows.append([feature.attributes[0].integerValue ?? 0, Int64(paths[0].vertices[0].x)])
            }
        }
        #expect(rows.sorted { $0[0] < $1[0] } == entries)
    }

    /// The box of a value is rounded outward exactly as the rtree module rounds it: what an
    /// insert through the module stores, bit for bit, for values that are floats, values between
    /// floats on either side of zero, and values beyond a float's range.
    @Test func boxesAreRoundedAsTheRtreeModuleRoundsThem() throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-rtree-rounding")
        defer { TestPaths.remove(dir) }
        let db = try SQLiteConnection(readWrite: dir.appendingPathComponent("r.sqlite"))
        try db.execute("CREATE VIRTUAL TABLE r USING rtree(id, x0, x1, y0, y1)")
        let values: [Double] = [0, -0.0, 0.1, -0.1, 1.0 / 3, -1.0 / 3, 16_777_217, -16_777_217, 1e-45, -1e-45, 1e-300, -1e-300,
                                20_037_508.342789244, -20_037_508.342789244, 123_456_789.123, -30_241_100.000_1,
                                3.4028234663852886e38, 3.4028235677973366e38, 1e39, -1e39, .greatestFiniteMagnitude]
        let insert = try db.prepare("INSERT INTO r VALUES (?, ?, ?, ?, ?)")
        for (i, v) in values.enumerated() {
            try insert.bind(Int64(i), at: 1)
            for column in Int32(2)...5 { try insert.bind(v, at: column) }
            try insert.run()
        }
        // Fewer values than a node holds: all in the root, in insertion order.
        let root = try db.rows("SELECT data FROM r_node WHERE nodeno = 1") { $0.bytes(0) }[0]
        func float(_ offset: Int) -> Float {
            Float(bitPattern: root[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
        for (i, v) in values.enumerated() {
            let cell = 4 + i * PackedRTree.cellSize
            #expect(float(cell + 8).bitPattern == PackedRTree.roundedDown(v).bitPattern, "down \(v)")
            #expect(float(cell + 12).bitPattern == PackedRTree.roundedUp(v).bitPattern, "up \(v)")
            // Outward within a float's normal range; beyond it the module's rounding, kept here,
            // is not (1e39 becomes infinity both ways, 1e-300 the least subnormal).
            if v == 0 || (abs(v) >= Double(Float.leastNormalMagnitude) && abs(v) <= Double(Float.greatestFiniteMagnitude)) {
                #expect(Double(PackedRTree.roundedDown(v)) <= v && Double(PackedRTree.roundedUp(v)) >= v, "\(v)")
            }
        }
    }

    /// Consecutive keys of the Hilbert curve are neighbouring cells, and the corners come where
    /// the curve puts them: it starts at the lower left corner and ends at the lower right.
    @Test func theHilbertKeyFollowsTheCurve() {
        let extent = (xmin: 0.0, ymin: 0.0, xmax: 1.0, ymax: 1.0)
        #expect(PackedRTree.hilbertKey(x: 0, y: 0, in: extent) == 0)
        #expect(PackedRTree.hilbertKey(x: 1, y: 0, in: extent) == (1 << 62) - 1)
        #expect(PackedRTree.hilbertKey(x: 0, y: 1, in: extent) < PackedRTree.hilbertKey(x: 1, y: 1, in: extent))
        // Outside the extent, NaN, and an extent of no width are clamped, not trapped.
        #expect(PackedRTree.hilbertKey(x: -5, y: .nan, in: extent) == 0)
        #expect(PackedRTree.hilbertKey(x: 3, y: 3, in: (xmin: 3, ymin: 3, xmax: 3, ymax: 3)) == 0)
        // Along a 64 x 64 grid of cell centres, in key order, each step goes to a neighbour.
        let n = 64
        var cells: [(key: Int64, x: Int, y: Int)] = []
        for x in 0..<n {
            for y in 0..<n {
                cells.append((PackedRTree.hilbertKey(x: (Double(x) + 0.5) / Double(n), y: (Double(y) + 0.5) / Double(n), in: extent), x, y))
            }
        }
        cells.sort { $0.key < $1.key }
        #expect(Set(cells.map(\.key)).count == n * n)
        let jumps = zip(cells, cells.dropFirst()).filter { abs($0.x - $1.x) + abs($0.y - $1.y) != 1 }
        #expect(jumps.isEmpty, "\(jumps.prefix(3))")
    }

    /// Leaves are compact: packed in Hilbert order, 118 leaves of 6,000 boxes scattered over a
    /// square cover about the square a few times over (in arrival order each would cover nearly
    /// all of it).
    @Test func leavesAreSpatiallyCoherent() throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-rtree-leaves")
        defer { TestPaths.remove(dir) }
        let (layer, features, boxes) = Self.lines("lines", id: 0, entries: 6000, seed: 21)
        let file = try Self.write([(layer, features)], into: dir)
        let db = try SQLiteConnection(readOnlyImmutable: file)
        let leaves = try db.rows("SELECT data FROM st_spindex__lines_SHAPE_node WHERE nodeno IN (SELECT nodeno FROM st_spindex__lines_SHAPE_rowid)") { $0.bytes(0) }
        #expect(leaves.count == 118)
        var area = 0.0
        for leaf in leaves {
            func float(_ offset: Int) -> Double {
                Double(Float(bitPattern: leaf[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
            }
            let cells = Int(leaf[2]) << 8 | Int(leaf[3])
            var x0 = Double.infinity, x1 = -Double.infinity, y0 = Double.infinity, y1 = -Double.infinity
            for i in 0..<cells {
                let cell = 4 + i * PackedRTree.cellSize
                x0 = min(x0, float(cell + 8)); x1 = max(x1, float(cell + 12))
                y0 = min(y0, float(cell + 16)); y1 = max(y1, float(cell + 20))
            }
            area += (x1 - x0) * (y1 - y0)
        }
        let extent = (boxes.map(\.maxX).max()! - boxes.map(\.minX).min()!) * (boxes.map(\.maxY).max()! - boxes.map(\.minY).min()!)
        #expect(area < 4 * extent, "leaves cover \(area / extent) times the extent")
    }
}
