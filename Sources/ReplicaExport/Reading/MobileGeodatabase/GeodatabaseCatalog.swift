import Foundation

/// What a mobile geodatabase's catalog tables say, read once when the file is opened: which tables
/// exist, the GDB_Items rows with their parsed definitions, the table and column registries, the
/// registered geometry columns, the custom spatial references and the service's layer JSON.
///
/// Reading it is also where a file is recognized, or refused, as a mobile geodatabase replica.
struct GeodatabaseCatalog {
    /// Lower-cased name to name, tables only (views are Esri's and never read).
    var tables: [String: String] = [:]
    /// GDB_Items in ObjectID order.
    var items: [GDBItem] = []
    /// Lower-cased table name to its OID column (GDB_TableRegistry.rowid_column).
    var rowidColumns: [String: String] = [:]
    /// `table\0column`, lower-cased, to its ArcSDE type code and size (GDB_ColumnRegistry).
    var columnRegistry: [String: (sde: Int, size: Int?)] = [:]
    /// Lower-cased table name to its registered geometry column (st_geometry_columns).
    var geometryColumns: [String: GeometryColumn] = [:]
    /// Custom spatial references by srid (st_aux_spatial_reference_systems).
    var auxSpatialReferences: [Int: AuxSpatialReference] = [:]
    /// Lower-cased dataset name to its layer resource JSON (GDB_ServiceItems.ItemInfo).
    var serviceLayers: [String: [String: Any]] = [:]
    /// The same layer resources in GDB_ServiceItems order.
    var serviceLayersInOrder: [[String: Any]] = []

    /// SQLite's integrity report in one line: its first problem (the "*** in database" header
    /// skipped) and how many more it listed.
    static func firstLine(of problems: [String]) -> String {
        let lines = problems.flatMap { $0.split(whereSeparator: \.isNewline) }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("***") }
        guard let first = lines.first else { return "no details" }
        return lines.count > 1 ? "\(first), and \(lines.count - 1) more problems" : first
    }

    /// `PRAGMA quick_check` of the whole file; throws `corrupt` with SQLite's first problem.
    static func checkIntegrity(of db: SQLiteConnection, file: String) throws {
        let problems = try db.rows("PRAGMA quick_check(5)") { $0.text(0) ?? "" }
        if problems != ["ok"] {
            throw ReplicaExportError(.corrupt, "the SQLite file is damaged (integrity check: \(Self.firstLine(of: problems))); it may be truncated or partly overwritten: copy it again from its source, or export it again from ArcGIS", at: ErrorLocation(input: file))
        }
    }

    /// Reads the catalog. With `checkIntegrity` the whole file is checked by `PRAGMA quick_check`
    /// first. Throws `notAReplica` for a sync delta and for an SQLite file without GDB_Items.
    init(reading db: SQLiteConnection, file: String, checkIntegrity: Bool, notes: inout [Diagnostic]) throws {
        let here = ErrorLocation(input: file)
        if checkIntegrity { try Self.checkIntegrity(of: db, file: file) }

        let applicationID = try db.rows("PRAGMA application_id") { $0.int64(0) }.first ?? 0
        for (type, name) in try db.rows("SELECT type, name FROM sqlite_master WHERE type IN ('table','view')", { ($0.text(0) ?? "", $0.text(1) ?? "") })
        where type == "table" {
            tables[name.lowercased()] = name
        }
        let deltaTables = tables.values.filter(Self.isSyncDeltaTable)
        if !deltaTables.isEmpty && tables["gdb_serviceitems"] == nil {
            throw ReplicaExportError(.notAReplica, "this is a sync DELTA geodatabase (tables \(deltaTables.sorted().prefix(3).joined(separator: ", "))...): the changes of a synchronization, not a replica; export the replica itself (createReplica with dataFormat=sqlite), or apply the delta to it in ArcGIS first", at: here)
        }
        guard tables["gdb_items"] != nil else {
            throw ReplicaExportError(.notAReplica, "an SQLite database but not a mobile geodatabase: it has no GDB_Items catalog (application_id 0x\(String(applicationID, radix: 16)), expected 0x45737269 \"Esri\"); open a .geodatabase made by ArcGIS (createReplica with dataFormat=sqlite, Runtime or Pro)", at: here)
        }
        if applicationID != 0x45737269 {
            notes.append(Diagnostic(.inputIrregular, "application_id is 0x\(String(applicationID, radix: 16)), not 0x45737269 (\"Esri\"); read as a mobile geodatabase because it has GDB_Items", at: here))
        }

        let itemStmt = try db.prepare("SELECT ObjectID, Type, Name, Definition FROM GDB_Items ORDER BY ObjectID")
        while try itemStmt.step() {
            let type = (itemStmt.text(1) ?? "").uppercased()
            let definition = itemStmt.text(3).flatMap { GDBXMLElement.parse($0) }
            items.append(GDBItem(objectID: itemStmt.int64(0), type: type, name: itemStmt.text(2) ?? "",
                                 definition: definition))
        }

        if tables["gdb_tableregistry"] != nil {
            for (t, c) in try db.rows("SELECT table_name, rowid_column FROM GDB_TableRegistry", { ($0.text(0) ?? "", $0.text(1)) }) {
                if let c, !c.isEmpty { rowidColumns[t.lowercased()] = c }
            }
        }
        if tables["gdb_columnregistry"] != nil {
            for (t, c, sde, size) in try db.rows("SELECT table_name, column_name, sde_type, column_size FROM GDB_ColumnRegistry", {
                ($0.text(0) ?? "", $0.text(1) ?? "", Int($0.int64(2)), $0.isNull(3) ? nil : Int($0.int64(3)))
            }) {
                columnRegistry[t.lowercased() + "\u{0}" + c.lowercased()] = (sde, size)
            }
        }
        if tables["st_geometry_columns"] != nil {
            for (t, c, g, s) in try db.rows("SELECT f_table_name, f_geometry_column, geometry_type, srid FROM st_geometry_columns", {
                ($0.text(0) ?? "", $0.text(1) ?? "", Int($0.int64(2)), Int($0.int64(3)))
            }) {
                geometryColumns[t.lowercased()] = GeometryColumn(column: c, geometryType: g, srid: s)
            }
        }
        if tables["st_aux_spatial_reference_systems"] != nil {
            auxSpatialReferences = try SpatialReferenceResolver.readAuxiliarySpatialReferences(db)
        }
        if tables["gdb_serviceitems"] != nil {
            for (name, type, info) in try db.rows("SELECT DatasetName, ItemType, ItemInfo FROM GDB_ServiceItems ORDER BY OBJECTID", {
                ($0.text(0) ?? "", $0.isNull(1) ? -1 : Int($0.int64(1)), $0.text(2))
            }) where type != 0 {
                guard let info, let data = info.data(using: .utf8),
                      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    notes.append(Diagnostic(.inputIrregular, "GDB_ServiceItems entry '\(name)' has no readable layer JSON; its schema comes from the catalog alone", at: here))
                    continue
                }
                serviceLayers[name.lowercased()] = json
                serviceLayersInOrder.append(json)
            }
        }
    }

    /// `GDB_DataChanges*` and `T_<n>_inserts` / `_updates` / `_deletes`: the tables of a sync delta.
    static func isSyncDeltaTable(_ name: String) -> Bool {
        let l = name.lowercased()
        if l.hasPrefix("gdb_datachanges") { return true }
        guard l.hasPrefix("t_") else { return false }
        let rest = l.dropFirst(2)
        guard let underscore = rest.firstIndex(of: "_"), !rest[..<underscore].isEmpty,
              rest[..<underscore].allSatisfy(\.isNumber) else { return false }
        return ["inserts", "updates", "deletes"].contains(String(rest[rest.index(after: underscore)...]))
    }

    /// The feature classes and tables a user exports, in catalog order: Esri's own system, spatial
    /// index and attachment tables are not layers.
    var classItems: [GDBItem] {
        let hidden: (String) -> Bool = { name in
            let l = name.lowercased()
            return l.hasPrefix("gdb_") || l.hasPrefix("st_") || l.hasPrefix("sqlite_") || l.hasSuffix("__attach")
                || l.hasSuffix("__attachrel") || l == "consolidationmapping_gdb"
        }
        return items.filter { ($0.type == GDBItemType.featureClass || $0.type == GDBItemType.table) && !hidden($0.tableName) }
    }

    /// The replica's own description, from its sync replica item when it has one.
    struct ReplicaMetadata {
        var name: String
        var id: String?
        var syncModel: SyncModel?
        var replicaServerGen: Int64?
        var layerServerGens: [Int: Int64] = [:]
        var syncDataOptions: Int?
    }

    /// The replica's name, id, sync model, server generations and syncDataOptions from the sync
    /// replica item's definition; without one, `defaultName` and nothing else.
    func replicaMetadata(defaultName stem: String, file: String, notes: inout [Diagnostic]) -> ReplicaMetadata {
        var metadata = ReplicaMetadata(name: stem)
        guard let item = items.first(where: { $0.type == GDBItemType.syncReplica }), let xml = item.definition else {
            return metadata
        }
        metadata.name = xml.string("ReplicaName") ?? (item.name.isEmpty ? stem : item.name)
        metadata.id = xml.string("ReplicaID")
        switch xml.string("SyncModel") {
        case "esriSyncModelPerLayer": metadata.syncModel = .perLayer
        case "esriSyncModelPerReplica": metadata.syncModel = .perReplica
        case "esriSyncModelNone": metadata.syncModel = SyncModel.none
        case let other?:
            notes.append(Diagnostic(.inputIrregular, "unknown replica sync model '\(other)'", at: ErrorLocation(input: file)))
        case nil: break
        }
        let datasets = xml.descendants("GPSyncDataset")
        for ds in datasets {
            if let id = ds.string("LayerID").flatMap(Int.init), let gen = ds.string("ReplicaServerGen").flatMap(Int64.init) {
                metadata.layerServerGens[id] = gen
            }
        }
        metadata.replicaServerGen = xml.string("ReplicaServerGen").flatMap(Int64.init)
        if metadata.syncModel == .perReplica && metadata.replicaServerGen == nil {
            metadata.replicaServerGen = datasets.compactMap { $0.string("ReplicaServerGen").flatMap(Int64.init) }.max()
        }
        if metadata.syncModel != .perLayer && metadata.syncModel != nil { metadata.layerServerGens = [:] }
        metadata.syncDataOptions = xml.descendants("SyncDataOptions").first.flatMap { Int($0.text.trimmingWhitespace()) }
        return metadata
    }
}
