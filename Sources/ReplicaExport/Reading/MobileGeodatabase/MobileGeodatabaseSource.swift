import Foundation

/// A mobile geodatabase (`.geodatabase`, SQLite) opened read-only and immutable: a replica made by
/// createReplica with dataFormat=sqlite, or ArcGIS Runtime / Pro content of the same format.
///
/// The catalog (GDB_Items, GDB_TableRegistry, GDB_ColumnRegistry, st_geometry_columns,
/// st_aux_spatial_reference_systems, GDB_ServiceItems) is read at once; features are streamed from
/// a prepared statement, one per cursor. Only current rows of archive (sync) tables are read. Esri's virtual tables,
/// triggers, views and SQL functions are never touched: nothing but plain SQL on plain tables.
package final class MobileGeodatabaseSource: ReplicaSource {
    package let replica: Replica
    package private(set) var diagnostics: [Diagnostic] = []
    package let unreadableLayers: [UnreadableLayer]
    package let url: URL

    let connection: SQLiteConnection
    package let plans: [LayerPlan]
    /// The whole-file check running beside reading, when the file is opened in place.
    private let integrity: IntegrityCheck?

    /// Opens `url`. With `checkIntegrity` (the default) the whole file is checked by SQLite's
    /// `PRAGMA quick_check`, so that damage anywhere in it fails the read even where no row read
    /// touches it. The check runs on a thread and connection of its own while features are read,
    /// and its verdict is awaited when the first layer's features (or attachments) have been read:
    /// an export of a damaged file still fails before anything is committed, without waiting for
    /// the check first (on a large file it took as long as a tenth of an export). A file read from
    /// a private snapshot (a `-wal` or `-journal` beside it) is checked first, as before.
    package convenience init(url: URL) throws {
        try self.init(url: url, checkIntegrity: true)
    }

    package init(url: URL, checkIntegrity: Bool) throws {
        self.url = url
        let file = url.path
        try Self.requireSQLiteFile(url)
        let db = try SQLiteConnection.openInput(url)
        connection = db
        let checkBesideReading = checkIntegrity && db.snapshotDirectory == nil
        var notes: [Diagnostic] = []
        let catalog = try GeodatabaseCatalog(reading: db, file: file, checkIntegrity: checkIntegrity && !checkBesideReading,
                                             notes: &notes)
        let domains = LayerSchemaBuilder.domains(in: catalog.items, file: file, notes: &notes)
        let metadata = catalog.replicaMetadata(defaultName: url.deletingPathExtension().lastPathComponent, file: file, notes: &notes)
        let builder = LayerSchemaBuilder(
            db: db, catalog: catalog, domains: domains,
            resolver: SpatialReferenceResolver(auxSpatialReferences: catalog.auxSpatialReferences), file: file)
        let built = try builder.buildLayers(notes: &notes)
        var layers = built.layers
        let layerPlans = built.plans
        RelationshipReader.attach(to: &layers, plans: layerPlans, catalog: catalog, file: file, notes: &notes)

        // Layers in service-layer-id order.
        let order = layers.indices.sorted { layers[$0].id < layers[$1].id }
        plans = order.map { layerPlans[$0] }
        replica = Replica(name: metadata.name, id: metadata.id, syncModel: metadata.syncModel,
                          replicaServerGen: metadata.replicaServerGen, layerServerGens: metadata.layerServerGens,
                          syncDataOptions: metadata.syncDataOptions, layers: order.map { layers[$0] })
        unreadableLayers = built.unreadable
        diagnostics = notes
        integrity = checkBesideReading ? IntegrityCheck(url: url) : nil
    }

    /// Refuses, in our words and before SQLite does, what cannot be a mobile geodatabase: a missing
    /// file, a directory, a file without SQLite's header.
    private static func requireSQLiteFile(_ url: URL) throws {
        let file = url.path
        let here = ErrorLocation(input: file)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw ReplicaExportError(.fileNotFound, "no such file", at: here)
        }
        guard !isDirectory.boolValue else {
            throw ReplicaExportError(.unreadable, "this is a directory, not a mobile geodatabase file", at: here)
        }
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw ReplicaExportError(.unreadable, "the file cannot be opened for reading", at: here)
        }
        let head = (try? handle.read(upToCount: 100)) ?? Data()
        try? handle.close()
        guard head.count == 100, head.prefix(16) == Data("SQLite format 3\0".utf8) else {
            throw ReplicaExportError(.corrupt, head.isEmpty
                ? "the file is empty; a mobile geodatabase (.geodatabase) is an SQLite database: copy it again from its source"
                : "the file is not an SQLite database, so not a mobile geodatabase (.geodatabase), whatever its name says: check that this is the right file and that it was copied completely",
                at: here)
        }
    }

    // MARK: - Features

    package func featureCursor(inLayer layerIndex: Int, batchSize: Int) throws -> any FeatureCursor {
        let plan = try layerPlan(layerIndex)
        return try GeodatabaseFeatureCursor(connection: connection, file: url.path, plan: plan,
                                            layerName: replica.layers[layerIndex].name, batchSize: batchSize,
                                            integrity: integrity)
    }

    /// Counts the rows a cursor would read (current rows only, in an archive table); nil for no
    /// such layer or when SQLite cannot count them (the cursor would then report why).
    package func featureCount(inLayer layerIndex: Int) -> Int? {
        guard let plan = try? layerPlan(layerIndex) else { return nil }
        return count(plan.table, currentRowsOnly: plan.isArchive)
    }

    /// One `max(length(CAST(column AS BLOB)))` per text column, in one scan of the table (current
    /// rows only, in an archive table). The cursor decodes text as UTF-8, replacing each invalid
    /// byte with U+FFFD (three bytes), and a UTF-16 file's text grows by half as UTF-8: three
    /// times the stored bytes bounds what it yields.
    package func maxTextBytes(inLayer layerIndex: Int) throws -> [String: Int] {
        let plan = try layerPlan(layerIndex)
        let text = plan.columns.filter { $0.storage == .string }.map(\.name)
        guard !text.isEmpty else { return [:] }
        var sql = "SELECT " + text.map { "max(length(CAST(\(SQLName.quote($0)) AS BLOB)))" }.joined(separator: ", ")
            + " FROM \(SQLName.quote(plan.table))"
        if plan.isArchive { sql += " WHERE " + currentRowPredicate }
        let maxima = try connection.rows(sql) { row in text.indices.map { row.isNull(Int32($0)) ? 0 : Int(row.int64(Int32($0))) } }
        guard let stored = maxima.first else { return [:] }
        return Dictionary(uniqueKeysWithValues: zip(text, stored.map { $0 * 3 }))
    }

    private func layerPlan(_ layerIndex: Int) throws -> LayerPlan {
        guard plans.indices.contains(layerIndex) else {
            throw ReplicaExportError(.unexpectedType, "no layer at index \(layerIndex) (the file has \(plans.count))", at: ErrorLocation(input: url.path))
        }
        return plans[layerIndex]
    }

    private func count(_ table: String, currentRowsOnly: Bool) -> Int? {
        var sql = "SELECT count(*) FROM \(SQLName.quote(table))"
        if currentRowsOnly { sql += " WHERE " + currentRowPredicate }
        return (try? connection.rows(sql) { Int($0.int64(0)) })?.first
    }

    // MARK: - Attachments

    /// Counts the rows of the layer's `__ATTACH` table (current rows only, in an archive table);
    /// 0 when the layer has none, nil for no such layer or when SQLite cannot count them.
    package func attachmentCount(inLayer layerIndex: Int) -> Int? {
        guard let plan = try? layerPlan(layerIndex) else { return nil }
        guard let table = plan.attachmentTable else { return 0 }
        return count(table, currentRowsOnly: plan.attachmentIsArchive)
    }

    package func attachments(inLayer layerIndex: Int, _ body: (Attachment) throws -> Void) throws {
        let plan = try layerPlan(layerIndex)
        guard let table = plan.attachmentTable else { return }
        let cols = plan.attachmentColumns
        func pick(_ name: String) -> String { cols.contains(name) ? SQLName.quote(name) : "NULL" }
        var sql = "SELECT \(pick("ATTACHMENTID")), \(pick("GLOBALID")), \(pick("REL_GLOBALID")), \(pick("REL_OBJECTID")), \(pick("CONTENT_TYPE")), \(pick("ATT_NAME")), \(pick("DATA_SIZE")), \(pick("DATA")) FROM \(SQLName.quote(table))"
        if plan.attachmentIsArchive { sql += " WHERE " + currentRowPredicate }
        let stmt = try connection.prepare(sql)
        while try stmt.step() {
            let data: [UInt8]? = stmt.isNull(7) ? nil : stmt.bytes(7)
            try body(Attachment(
                attachmentId: stmt.int64(0), globalId: stmt.text(1), parentGlobalId: stmt.text(2),
                parentObjectId: stmt.isNull(3) ? nil : stmt.int64(3), contentType: stmt.text(4),
                name: stmt.text(5) ?? "attachment_\(stmt.int64(0))",
                size: stmt.isNull(6) ? data.map { Int64($0.count) } : stmt.int64(6), url: nil, data: data))
        }
        try integrity?.verdict()
    }
}
