/// A layer's spatial index, `st_spindex__<table>_<shape>` (SQLite's rtree module), built once the
/// layer's rows are in: the boxes are collected in a temporary table while the rows are written,
/// then sorted along a Hilbert curve over the layer's extent and packed into full nodes, which are
/// written straight into the rtree's shadow tables (`_node`, `_rowid`, `_parent`) in the format the
/// rtree module reads and goes on editing. Inserting through the module instead costs a descent, a
/// choice of leaf and often a split per feature, several statements on its shadow tables each:
/// most of this format's writing time before.
///
/// The format (SQLite's `ext/rtree/rtree.c`): node 1 is the root; every node is a blob of the
/// node size the module chose when the table was created (read from the root it made); bytes 0-1
/// hold the tree's depth in the root (0: the root is a leaf), bytes 2-3 the cell count, then cells
/// of an 8-byte id (a rowid in a leaf, a child's node number above) and minx, maxx, miny, maxy as
/// 32-bit floats, all big-endian, each box rounded outward as the module rounds what it is given;
/// the rest is zero. `_rowid` maps each entry to its leaf, `_parent` each node but the root to its
/// parent.
///
/// Memory stays flat: entries and node boxes stream through temporary tables (in the temporary
/// file SQLite deletes as it opens it, `PRAGMA temp_store = FILE`), sorted by SQLite's external
/// sorter; nothing here holds more than one node.
final class PackedRTree {
    /// The rtree virtual table, `st_spindex__<table>_<shape>`.
    let table: String
    /// Entries added so far.
    private(set) var count = 0
    private let db: SQLiteConnection
    private let append: SQLiteStatement

    /// Bytes per cell of a two-dimensional float rtree: the id and four coordinates.
    static let cellSize = 8 + 4 * 4

    /// The temporary tables, named after the index so that they cannot be any layer's table
    /// (those never start with `st_`) and always qualified with `temp.`.
    private let entries: String
    private let nodeBoxes: String
    private let leafOfEntry: String

    /// Creates the rtree virtual table as ArcGIS declares it (which writes its empty root) and the
    /// temporary table its entries are collected in.
    init(db: SQLiteConnection, table: String) throws {
        self.db = db
        self.table = table
        entries = "temp.[\(table)_entries]"
        nodeBoxes = "temp.[\(table)_nodes]"
        leafOfEntry = "temp.[\(table)_leaves]"
        try db.execute("CREATE VIRTUAL TABLE [\(table)] USING RTREE (pkid,minx,maxx,miny,maxy)")
        // The rowid as key: appends in ObjectID order, and a renumbered row found at once.
        try db.execute("CREATE TEMP TABLE \(entries) (pkid INTEGER PRIMARY KEY, minx REAL, maxx REAL, miny REAL, maxy REAL)")
        append = try db.prepare("INSERT INTO \(entries) (pkid, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?)")
    }

    /// Registers the SQL function that orders the entries, `packed_rtree_hilbert(minx, maxx, miny,
    /// maxy, extent minx, extent miny, extent maxx, extent maxy)`: the Hilbert key of the box's
    /// centre (``hilbertKey(x:y:in:)``). Once per connection, before any index is built.
    static func registerFunctions(on db: SQLiteConnection) throws {
        try db.registerDeterministicFunction("packed_rtree_hilbert", argumentCount: 8) { a in
            hilbertKey(x: a.double(0) / 2 + a.double(1) / 2, y: a.double(2) / 2 + a.double(3) / 2,
                       in: (a.double(4), a.double(5), a.double(6), a.double(7)))
        }
    }

    /// Adds the entry of row `rowid`, whose shape's box this is.
    func add(rowid: Int64, xmin: Double, xmax: Double, ymin: Double, ymax: Double) throws {
        try append.bind(rowid, at: 1)
        try append.bind(xmin, at: 2)
        try append.bind(xmax, at: 3)
        try append.bind(ymin, at: 4)
        try append.bind(ymax, at: 5)
        try append.run()
        count += 1
    }

    /// The entry of row `old`, if it has one, becomes the entry of row `new` (a row given another
    /// ObjectID).
    func renumber(_ old: Int64, to new: Int64) throws {
        try db.execute("UPDATE \(entries) SET pkid = \(new) WHERE pkid = \(old)")
    }

    /// Writes the tree of the entries added, then drops the temporary tables. `extent` is the
    /// union of the entries' boxes, which the Hilbert key is taken over. No entries: the empty root
    /// the module made stays.
    func build(extent: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)?) throws {
        if count > 0 {
            guard let extent else {
                throw ReplicaExportError(.invalidState, "the spatial index \(table) was given \(count) entries but no extent")
            }
            let nodeSize = try db.rows("SELECT length(data) FROM main.[\(table)_node] WHERE nodeno = 1") { $0.int64(0) }.first ?? 0
            let capacity = (Int(nodeSize) - 4) / Self.cellSize
            guard capacity >= 3 else {
                throw ReplicaExportError(.invalidState, "the spatial index \(table) has a root node of \(nodeSize) bytes, too small for an R-tree")
            }
            try write(capacity: capacity, nodeSize: Int(nodeSize), extent: extent)
        }
        try db.execute("DROP TABLE IF EXISTS \(entries); DROP TABLE IF EXISTS \(nodeBoxes); DROP TABLE IF EXISTS \(leafOfEntry)")
    }

    /// How many cells each level holds, bottom up: level 0 the entries, level i+1 one per node of
    /// level i, up to the first that fits in one node of `capacity` cells, the root.
    static func levelSizes(entries: Int, capacity: Int) -> [Int] {
        var sizes = [entries]
        while sizes.last! > capacity { sizes.append((sizes.last! + capacity - 1) / capacity) }
        return sizes
    }

    /// How many of a level's `cells` the `index`th of its `nodes` nodes holds: spread evenly, so
    /// that no node but the root is left with fewer cells than the module keeps in a node (a third
    /// of the capacity) when it deletes.
    static func cellsInNode(_ index: Int, of nodes: Int, cells: Int) -> Int {
        (index + 1) * cells / nodes - index * cells / nodes
    }

    /// Packs the entries into nodes of `capacity` cells, leaves first, and writes them with their
    /// `_rowid` and `_parent` rows.
    private func write(capacity: Int, nodeSize: Int, extent: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)) throws {
        let sizes = Self.levelSizes(entries: count, capacity: capacity)
        let depth = sizes.count - 1
        let writeNode = try db.prepare("INSERT INTO main.[\(table)_node] (nodeno, data) VALUES (?, ?)")
        let writeRoot = try db.prepare("UPDATE main.[\(table)_node] SET data = ? WHERE nodeno = 1")
        let writeParent = try db.prepare("INSERT INTO main.[\(table)_parent] (nodeno, parentnode) VALUES (?, ?)")
        try db.execute("""
            CREATE TEMP TABLE \(nodeBoxes) (nodeno INTEGER PRIMARY KEY, minx REAL, maxx REAL, miny REAL, maxy REAL);
            CREATE TEMP TABLE \(leafOfEntry) (pkid INTEGER, nodeno INTEGER)
            """)
        let saveBox = try db.prepare("INSERT INTO \(nodeBoxes) (nodeno, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?)")
        let saveLeaf = try db.prepare("INSERT INTO \(leafOfEntry) (pkid, nodeno) VALUES (?, ?)")
        var node = NodeBuffer(size: nodeSize)

        /// Packs the `cells` rows of `rows` (id, minx, maxx, miny, maxy), in their order, into the
        /// nodes of `level`, numbered from `first` (the root, node 1, at the top); `placed` is told
        /// each cell's id and node. Nodes below the root keep their box for the level above.
        /// Returns how many nodes were written.
        func pack(level: Int, cells: Int, first: Int64, rows: SQLiteStatement, box: (SQLiteStatement) -> NodeBuffer.Box,
                  placed: (_ id: Int64, _ node: Int64) throws -> Void) throws -> Int {
            let nodes = level == depth ? 1 : sizes[level + 1]
            var written = 0, target = Self.cellsInNode(0, of: nodes, cells: cells)
            while try rows.step() {
                let id = rows.int64(0)
                node.append(id: id, box: box(rows))
                try placed(id, first + Int64(written))
                guard node.cellCount == target else { continue }
                if level == depth {
                    node.setDepth(depth)
                    try writeRoot.bind(node.bytes, at: 1)
                    try writeRoot.run()
                } else {
                    let number = first + Int64(written)
                    try writeNode.bind(number, at: 1)
                    try writeNode.bind(node.bytes, at: 2)
                    try writeNode.run()
                    try saveBox.bind(number, at: 1)
                    try saveBox.bind(Double(node.box.minX), at: 2); try saveBox.bind(Double(node.box.maxX), at: 3)
                    try saveBox.bind(Double(node.box.minY), at: 4); try saveBox.bind(Double(node.box.maxY), at: 5)
                    try saveBox.run()
                }
                node.clear()
                written += 1
                if written < nodes { target = Self.cellsInNode(written, of: nodes, cells: cells) }
            }
            rows.reset()
            guard written == nodes, node.cellCount == 0 else {
                throw ReplicaExportError(.invalidState, "the spatial index \(table) lost cells while packing level \(level) (\(cells) cells, \(written) of \(nodes) nodes written)")
            }
            return nodes
        }

        // The leaves: the entries in Hilbert order of their boxes' centres (ties by rowid, so that
        // the file does not depend on the sorter), each box rounded outward as the module does.
        let sorted = try db.prepare("""
            SELECT pkid, minx, maxx, miny, maxy FROM \(entries)
            ORDER BY packed_rtree_hilbert(minx, maxx, miny, maxy, ?, ?, ?, ?), pkid
            """)
        try sorted.bind(extent.xmin, at: 1); try sorted.bind(extent.ymin, at: 2)
        try sorted.bind(extent.xmax, at: 3); try sorted.bind(extent.ymax, at: 4)
        var below = (first: Int64(depth == 0 ? 1 : 2), count: 0)
        below.count = try pack(level: 0, cells: count, first: below.first, rows: sorted, box: { row in
            .init(minX: Self.roundedDown(row.double(1)), maxX: Self.roundedUp(row.double(2)),
                  minY: Self.roundedDown(row.double(3)), maxY: Self.roundedUp(row.double(4)))
        }, placed: { rowid, leaf in
            try saveLeaf.bind(rowid, at: 1)
            try saveLeaf.bind(leaf, at: 2)
            try saveLeaf.run()
        })
        // `_rowid` in rowid order: appended, not inserted at random places.
        try db.execute("INSERT INTO main.[\(table)_rowid] (rowid, nodeno) SELECT pkid, nodeno FROM \(leafOfEntry) ORDER BY pkid")

        // Each level above from the boxes of the one below, in node order (the leaves' order).
        let children = try db.prepare("SELECT nodeno, minx, maxx, miny, maxy FROM \(nodeBoxes) WHERE nodeno BETWEEN ? AND ? ORDER BY nodeno")
        var level = 1
        while level <= depth {
            let last = below.first + Int64(below.count) - 1
            try children.bind(below.first, at: 1)
            try children.bind(last, at: 2)
            let first = level == depth ? 1 : last + 1
            let nodes = try pack(level: level, cells: below.count, first: first, rows: children, box: { row in
                // Already floats: the union of the child's rounded cells.
                .init(minX: Float(row.double(1)), maxX: Float(row.double(2)), minY: Float(row.double(3)), maxY: Float(row.double(4)))
            }, placed: { child, parent in
                try writeParent.bind(child, at: 1)
                try writeParent.bind(parent, at: 2)
                try writeParent.run()
            })
            below = (first, nodes)
            level += 1
        }
    }

    // MARK: the rtree module's rounding

    /// `rtreeValueDown` of rtree.c: the largest float not above `value`, as the module computes it
    /// for a box's lower bound.
    static func roundedDown(_ value: Double) -> Float {
        var f = Float(value)
        if Double(f) > value { f = Float(value * (value < 0 ? roundAway : roundTowards)) }
        return f
    }

    /// `rtreeValueUp` of rtree.c: the smallest float not below `value`, for a box's upper bound.
    static func roundedUp(_ value: Double) -> Float {
        var f = Float(value)
        if Double(f) < value { f = Float(value * (value < 0 ? roundTowards : roundAway)) }
        return f
    }

    /// rtree.c's `RNDTOWARDS` and `RNDAWAY`: one float ulp towards and away from zero.
    private static let roundTowards = 1.0 - 1.0 / 8_388_608.0
    private static let roundAway = 1.0 + 1.0 / 8_388_608.0

    // MARK: the Hilbert curve

    /// Bits per axis of the Hilbert key: 2 x 31 bits fit a non-negative Int64.
    static let hilbertBits = 31

    /// The position of (`x`, `y`) along a Hilbert curve through a 2^31 x 2^31 grid laid over
    /// `extent` (points outside it, and NaN, are clamped to its edge): points near each other on the
    /// curve are near each other in the plane, so consecutive entries make compact leaves.
    static func hilbertKey(x: Double, y: Double, in extent: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)) -> Int64 {
        let side = UInt64(1) << hilbertBits
        func cell(_ v: Double, _ low: Double, _ high: Double) -> UInt64 {
            let t = (v - low) / (high - low)
            guard t > 0 else { return 0 }  // NaN too (an empty extent's 0 / 0)
            return t >= 1 ? side - 1 : UInt64(t * Double(side - 1))
        }
        var cx = cell(x, extent.xmin, extent.xmax), cy = cell(y, extent.ymin, extent.ymax)
        var key: UInt64 = 0
        var s = side / 2
        while s > 0 {
            let rx: UInt64 = cx & s != 0 ? 1 : 0
            let ry: UInt64 = cy & s != 0 ? 1 : 0
            key += s * s * ((3 * rx) ^ ry)
            // Rotate the quadrant so that the curve's sub-curve starts and ends where it joins.
            if ry == 0 {
                if rx == 1 {
                    cx = side - 1 - cx
                    cy = side - 1 - cy
                }
                swap(&cx, &cy)
            }
            s /= 2
        }
        return Int64(key)
    }
}

/// One node's blob as it is filled: header, cells, zeros to the node size.
private struct NodeBuffer {
    /// A cell's box, as the rtree stores it.
    struct Box {
        var minX: Float, maxX: Float, minY: Float, maxY: Float
    }

    private(set) var bytes: [UInt8]
    private(set) var cellCount = 0
    /// The union of the cells' boxes: the node's cell in its parent.
    private(set) var box = Box(minX: .infinity, maxX: -.infinity, minY: .infinity, maxY: -.infinity)

    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }

    mutating func append(id: Int64, box cell: Box) {
        let offset = 4 + cellCount * PackedRTree.cellSize
        put(UInt64(bitPattern: id), at: offset)
        put(cell.minX.bitPattern, at: offset + 8)
        put(cell.maxX.bitPattern, at: offset + 12)
        put(cell.minY.bitPattern, at: offset + 16)
        put(cell.maxY.bitPattern, at: offset + 20)
        cellCount += 1
        bytes[2] = UInt8(cellCount >> 8)
        bytes[3] = UInt8(cellCount & 0xFF)
        box.minX = min(box.minX, cell.minX); box.maxX = max(box.maxX, cell.maxX)
        box.minY = min(box.minY, cell.minY); box.maxY = max(box.maxY, cell.maxY)
    }

    /// The tree's depth, in the root's first two bytes.
    mutating func setDepth(_ depth: Int) {
        bytes[0] = UInt8(depth >> 8)
        bytes[1] = UInt8(depth & 0xFF)
    }

    mutating func clear() {
        for i in bytes.indices { bytes[i] = 0 }
        cellCount = 0
        box = Box(minX: .infinity, maxX: -.infinity, minY: .infinity, maxY: -.infinity)
    }

    /// `value` big-endian at `offset`.
    private mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        let size = T.bitWidth / 8
        for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> ((size - 1 - i) * 8)) }
    }
}
