import Foundation

/// A mobile geodatabase (`.geodatabase`, SQLite) opened read-only and immutable: a replica made by
/// createReplica with dataFormat=sqlite, or ArcGIS Runtime / Pro content of the same format.
///
/// The catalog (GDB_Items, GDB_TableRegistry, GDB_ColumnRegistry, st_geometry_columns,
/// st_aux_spatial_reference_systems, GDB_ServiceItems) is read at once; features are streamed from
/// a prepared statement. Only current rows of archive (sync) tables are read. Esri's virtual tables,
/// triggers, views and SQL functions are never touched: nothing but plain SQL on plain tables.
public final class MobileGeodatabaseSource: ReplicaSource {
    public let replica: Replica
    public private(set) var diagnostics: [Diagnostic] = []
    public let url: URL

    let connection: SQLiteConnection
    let plans: [LayerPlan]

    /// Opens `url`. With `checkIntegrity` (the default) the whole file is checked by SQLite's
    /// `PRAGMA quick_check` first, so that a damaged page is reported at once rather than mid-export.
    public convenience init(url: URL) throws {
        try self.init(url: url, checkIntegrity: true)
    }

    public init(url: URL, checkIntegrity: Bool) throws {
        self.url = url
        let file = url.path
        try Self.requireSQLiteFile(url)
        let db = try SQLiteConnection(readOnlyImmutable: url)
        connection = db
        var notes: [Diagnostic] = []
        let catalog = try GeodatabaseCatalog(reading: db, file: file, checkIntegrity: checkIntegrity, notes: &notes)
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
        diagnostics = notes
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

    public func features(inLayer layerIndex: Int, batchSize: Int, _ body: ([Feature]) throws -> Void) throws {
        guard plans.indices.contains(layerIndex) else {
            throw ReplicaExportError(.unexpectedType, "no layer at index \(layerIndex) (the file has \(plans.count))", at: ErrorLocation(input: url.path))
        }
        let plan = plans[layerIndex]
        let layerName = replica.layers[layerIndex].name
        var selected = plan.columns.map { SQLName.quote($0.name) }
        if let s = plan.shapeColumn { selected.append(SQLName.quote(s)) }
        if selected.isEmpty { selected.append("NULL") }
        var sql = "SELECT \(selected.joined(separator: ", ")) FROM \(SQLName.quote(plan.table))"
        if plan.isArchive { sql += " WHERE " + currentRowPredicate }
        let stmt = try connection.prepare(sql)
        let batchLimit = max(1, batchSize)
        var batch: [Feature] = []
        batch.reserveCapacity(min(batchLimit, 4096))
        let oidIndex = plan.columns.firstIndex { $0.name == plan.oidColumn }
        let shapeIndex = Int32(plan.columns.count)
        var row = 0
        while try stmt.step() {
            var attributes: [Value] = []
            attributes.reserveCapacity(plan.columns.count)
            for (i, column) in plan.columns.enumerated() {
                attributes.append(try value(stmt, Int32(i), column, plan: plan, layer: layerName, row: row))
            }
            var geometry: Geometry?
            if plan.shapeColumn != nil, !stmt.isNull(shapeIndex), let grid = plan.grid {
                guard stmt.type(shapeIndex) == .blob else {
                    throw ReplicaExportError(.corrupt, "the shape column holds a \(stmt.type(shapeIndex)) value, not a shape blob",
                                       at: location(plan, layer: layerName, row: row, oid: oidIndex.map { attributes[$0] }))
                }
                do {
                    geometry = try stmt.withBlob(shapeIndex) { try ShapeBlob.decode($0, grid: grid) }.geometry
                } catch var error as ReplicaExportError {
                    error.location = error.location.filled(from: location(plan, layer: layerName, row: row, oid: oidIndex.map { attributes[$0] }))
                    throw error
                }
            }
            batch.append(Feature(attributes: attributes, geometry: geometry))
            row += 1
            if batch.count == batchLimit {
                try body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try body(batch) }
    }

    func location(_ plan: LayerPlan, layer: String, row: Int, oid: Value?) -> ErrorLocation {
        var detail = "table \(plan.table)"
        if let name = plan.oidColumn, let v = oid?.integerValue { detail += ", \(name) \(v)" }
        return ErrorLocation(input: url.path, layer: layer, featureIndex: row, detail: detail)
    }

    @inline(__always)
    func value(_ stmt: SQLiteStatement, _ i: Int32, _ column: ColumnPlan, plan: LayerPlan, layer: String, row: Int) throws -> Value {
        let type = stmt.type(i)
        if type == .null { return .null }
        func mismatch(_ what: String) -> ReplicaExportError {
            ReplicaExportError(.schemaMismatch, "column '\(column.name)' holds \(what), which does not fit its declared type (\(column.storage))",
                         at: ErrorLocation(input: url.path, layer: layer, featureIndex: row, detail: "table \(plan.table)"))
        }
        func integer() throws -> Int64 {
            switch type {
            case .integer: return stmt.int64(i)
            case .float:
                let d = stmt.double(i)
                guard let v = Int64(exactly: d) else { throw mismatch("the real number \(d)") }
                return v
            default: throw mismatch("a \(type) value")
            }
        }
        switch column.storage {
        case .int16:
            let v = try integer()
            guard let x = Int16(exactly: v) else { throw mismatch("\(v), out of 16-bit range") }
            return .int16(x)
        case .int32:
            let v = try integer()
            guard let x = Int32(exactly: v) else { throw mismatch("\(v), out of 32-bit range") }
            return .int32(x)
        case .int64:
            return .int64(try integer())
        case .float32, .float64:
            guard type == .integer || type == .float else { throw mismatch("a \(type) value") }
            let d = stmt.double(i)
            return column.storage == .float32 ? .float32(Float(d)) : .float64(d)
        case .string:
            switch type {
            case .text: return .string(stmt.text(i) ?? "")
            case .integer: return .string(String(stmt.int64(i)))
            case .float: return .string(String(stmt.double(i)))
            default: return .string(String(decoding: stmt.bytes(i), as: UTF8.self))
            }
        case .guid:
            guard type == .text else { throw mismatch("a \(type) value") }
            return .guid(stmt.text(i) ?? "")
        case .date:
            guard type == .float || type == .integer else { throw mismatch("a \(type) value") }
            return .date(milliseconds: julianDayToUnixMilliseconds(stmt.double(i)))
        case .blob:
            return .blob(stmt.bytes(i))
        default:
            throw mismatch("a value of a kind this reader does not produce")
        }
    }

    // MARK: - Attachments

    public func attachments(inLayer layerIndex: Int, _ body: (Attachment) throws -> Void) throws {
        guard plans.indices.contains(layerIndex) else {
            throw ReplicaExportError(.unexpectedType, "no layer at index \(layerIndex) (the file has \(plans.count))", at: ErrorLocation(input: url.path))
        }
        let plan = plans[layerIndex]
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
    }
}
