import Foundation

/// The mobile geodatabase (`sqlite`, ArcGIS's createReplica `dataFormat=sqlite`): one
/// `<replica>.geodatabase`, an SQLite file in the layout ArcGIS Pro 2.8 (geodatabase release
/// 10.9.0) creates, written by replica-export through SQLite's C API (no GDAL driver writes it) and
/// read back by its own reader.
///
/// Written: the SQLite header as ArcGIS sets it (application id "Esri", pages of 4096 bytes, UTF-8,
/// rollback journal); the catalog (`GDB_Items` with each class's, domain's and relationship
/// class's XML definition, `GDB_ItemTypes`, `GDB_ItemRelationships`, the table and column
/// registries, `GDB_Layers` with each layer's extent, `st_geometry_columns`,
/// `st_aux_spatial_reference_systems` for coordinate systems known only by WKT), and
/// `GDB_ServiceItems` with each layer's resource JSON as a feature-service replica carries it
/// (aliases, domains, subtypes, relationships); one table per layer with ArcGIS's declared types
/// and constraints, Esri shape blobs on the layer's coordinate grid, dates as Julian days, the
/// GlobalIDs of the input; the `st_spindex__<table>_<shape>` R-tree, packed once the rows are in
/// (``PackedRTree``); attachments in `<table>__ATTACH` with their bytes, related by
/// `<table>__ATTACHREL`; ArcGIS's indexes and spatial-index triggers, created once the rows are in
/// (they call Esri's SQL functions, which only ArcGIS has).
///
/// Read back (``WriterProfile/ReadBack``): coordinates on the layer's grid (the input's, else
/// ArcGIS's default for the system), the spatial reference with that grid, the ObjectID not
/// nullable (ArcGIS's `integer primary key not null`), infinity kept and NaN as NULL (SQLite has
/// no NaN), a repeated or invalid ObjectID replaced (reported), attachments only where the layer
/// declares them and has their bytes (others reported). Features of another geometry type than
/// their layer's go to a feature class of their own, `<table>_<type>s` (a feature class holds one
/// type), with their attachments, as FileGDB and GeoPackage split them.
///
/// Loses: M values and true curves (their shape-blob encodings are not known: no public sample has
/// them; curves are densified, M dropped, both reported); DateOnly, TimeOnly and TimestampOffset
/// fields become text (ISO 8601), which 10.9 has no types for.
enum MobileGeodatabaseFormat {
    static let profile = WriterProfile(
        formatName: "sqlite",
        capabilities: [.domains, .nullability, .aliases, .binaryFields, .zValues, .multipleLayersPerFile,
                       .relationships, .attachments],
        layout: .oneDataset(extension: "geodatabase"), featureID: .objectIDColumn,
        nonFiniteReals: .infinity,
        readBack: .init(reader: .library, coordinates: .resolutionGrid, spatialReferenceGainsGrid: true,
                        objectIDNotNullable: true, attachmentsOnlyDeclaredWithData: true,
                        ringsSplitAtTheirStart: true),
        packaging: .singleFileOrZip,
        // Each insert outside a transaction would be a journal written and removed.
        featuresPerTransaction: 20_000)
}

extension ExportFormat {
    /// A mobile geodatabase (`dataFormat=sqlite`), as ArcGIS Pro 2.8 writes one.
    public static let sqlite = ExportFormat(MobileGeodatabaseFormat.profile.formatName)
}

/// Writes the mobile geodatabase (`sqlite`). Features are inserted in transactions of the profile's
/// ``WriterProfile/featuresPerTransaction`` rows, attachments one at a time through incremental blob I/O: memory
/// does not grow with the number of features nor with attachment sizes.
final class MobileGeodatabaseWriter: FormatWriter {
    static var profile: WriterProfile { MobileGeodatabaseFormat.profile }

    /// Rows written between two commits.
    private let rowsPerTransaction = MobileGeodatabaseFormat.profile.featuresPerTransaction ?? 20_000
    /// Bytes copied into an attachment's blob per write.
    static let blobChunk = 1 << 20

    private let request: WriterRequest
    private let staging: OutputStaging
    private let fileName: String
    private let file: URL
    private var db: SQLiteConnection?
    private(set) var diagnostics: [Diagnostic] = []
    private var outputs: [WrittenOutput] = []
    private let now = Date()
    private var timestamp: Int64 { Int64(now.timeIntervalSince1970) }

    /// The catalog as it grows.
    private var itemCount: Int64 = 0
    private var rootFolderUUID = ""
    private var domainUUIDs: [String: String] = [:]
    private var tableNames: Set<String> = []
    private var nextCustomSRID = 300_001
    private var customSRIDs: [String: Int] = [:]
    /// Per layer id: its table and class item UUID, for relationship classes.
    private var classes: [Int: (table: String, uuid: String)] = [:]
    private var attachmentTables: [String] = []
    /// Names and ids (in GDB_ServiceItems) of the split feature classes.
    private var splitSchemas: SplitLayerSchemas

    /// The layer being written.
    private final class OpenLayer {
        let schema: LayerSchema
        let table: String
        let registrationID: Int64
        let shapeColumn: String?
        let grid: ShapeGrid
        let srid: Int
        let insert: SQLiteStatement
        /// The spatial index, packed when the layer ends.
        let spatialIndex: PackedRTree?
        let oidIndex: Int?
        let globalIDIndex: Int?
        var attachmentInsert: SQLiteStatement?
        var features = 0
        var rowsInTransaction = 0
        var extent: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)?
        var zRange: (Double, Double)?
        var maxOID: Int64 = 0
        /// ObjectIDs given to features whose own was repeated or invalid.
        var reassigned: Set<Int64> = []
        var attachments = 0
        var maxAttachmentID: Int64 = 0
        var losses: [Diagnostic.Code: (LossTally, String)] = [:]
        /// Features of the input's layer seen so far, its split tables' included: the input's
        /// index of the next.
        var inputIndex = 0
        /// The feature classes `<table>_<type>s` that features of other geometry types than the
        /// layer's go to (a feature class holds one type), in order of appearance.
        var splits: [OpenLayer] = []
        /// For a split feature class: the layer whose features it holds, which reports its losses.
        weak var owner: OpenLayer?
        /// For a split feature class with attachments: its features' GlobalIDs, so that their
        /// attachments go to its own `__ATTACH` table (only the features of another type: few).
        var globalIDs: Set<String> = []

        init(schema: LayerSchema, table: String, registrationID: Int64, shapeColumn: String?, grid: ShapeGrid, srid: Int,
             insert: SQLiteStatement, spatialIndex: PackedRTree?) {
            self.schema = schema
            self.table = table
            self.registrationID = registrationID
            self.shapeColumn = shapeColumn
            self.grid = grid
            self.srid = srid
            self.insert = insert
            self.spatialIndex = spatialIndex
            oidIndex = schema.objectIDFieldIndex
            globalIDIndex = schema.globalIdField.flatMap(schema.fieldIndex(named:))
        }

        func loss(_ code: Diagnostic.Code, _ message: String, at location: ErrorLocation) {
            if let owner { return owner.loss(code, message, at: location) }
            var entry = losses[code] ?? (LossTally(), message)
            entry.0.record(at: location)
            losses[code] = entry
        }
    }
    private var open: OpenLayer?

    init(request: WriterRequest) throws {
        self.request = request
        splitSchemas = SplitLayerSchemas(replica: request.replica)
        staging = OutputStaging(outputDirectory: request.outputDirectory, overwrite: request.overwrite)
        fileName = OutputNames.datasetFileName(replicaName: request.replica.name, extension: "geodatabase")
        let location = ErrorLocation(format: Self.formatName, output: fileName)
        try staging.checkAvailable([fileName], at: location)
        let directory = try staging.makeGroup(label: fileName, at: location)
        file = directory.appendingPathComponent(fileName)
        do {
            let db = try SQLiteConnection(readWrite: file, reportedAs: staging.finalURL(fileName).path)
            self.db = db
            try createCatalog(db)
        } catch {
            abort()
            throw error
        }
    }

    func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    private func connection() throws -> SQLiteConnection {
        guard let db else { throw ReplicaExportError(.invalidState, "the geodatabase writer was already committed or aborted") }
        return db
    }

    // MARK: the catalog

    /// The header and the system tables of a new Pro 2.8 geodatabase, with their constant rows
    /// and the replica's domains.
    private func createCatalog(_ db: SQLiteConnection) throws {
        // Header: page size and encoding before the first table; journal off while the file is
        // private (it is renamed into place only when complete), ArcGIS's rollback journal after.
        try db.execute("PRAGMA page_size = 4096; PRAGMA encoding = 'UTF-8'; PRAGMA application_id = 1165193833; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536")
        // The spatial index's entries and sorts go through temporary files (which SQLite unlinks as
        // it opens them, so nothing is ever left beside the output), not memory, whatever the
        // library's compiled default: they grow with the layer.
        try db.execute("PRAGMA temp_store = FILE")
        try db.registerFoldCaseCollation()
        try PackedRTree.registerFunctions(on: db)
        try db.transaction {
            for object in Pro28Template.objects where !Self.isDeferred(object) {
                try db.execute(object.sql)
            }
            try db.execute(Pro28Template.serviceItemsSQL)
            try db.execute("INSERT INTO GDB_Version VALUES (10, 9, 0, '10.9.0.2.8 Geodatabase', 109006, 93001)")
            try db.execute("INSERT INTO st_aux_spatial_reference_systems VALUES (300000, 'ESRI', 300000, 'UNKNOWN', -450359962737.05, -450359962737.05, 10000.0, -100000.0, 10000.0, -100000.0, 10000.0, 1.0e-06, 0.001, 0.001, 1)")
            let types = try db.prepare("INSERT INTO GDB_ItemTypes (UUID, Name, ParentTypeID) VALUES (?, ?, ?)")
            for t in Pro28Template.itemTypes {
                try types.bind(t.0, at: 1); try types.bind(t.1, at: 2); try types.bind(t.2, at: 3)
                try types.run()
            }
            let relTypes = try db.prepare("INSERT INTO GDB_ItemRelationshipTypes (UUID, Name, ForwardLabel, BackwardLabel, OrigItemTypeID, DestItemTypeID, IsContainment) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for t in Pro28Template.itemRelationshipTypes {
                try relTypes.bind(t.0, at: 1); try relTypes.bind(t.1, at: 2); try relTypes.bind(t.2, at: 3)
                try relTypes.bind(t.3, at: 4); try relTypes.bind(t.4, at: 5); try relTypes.bind(t.5, at: 6)
                try relTypes.bind(t.6, at: 7)
                try relTypes.run()
            }
            let tables = try db.prepare("INSERT INTO GDB_TableRegistry (table_name, rowid_column, object_flags, registration_date, minimum_id) VALUES (?, ?, ?, ?, 1)")
            for t in Pro28Template.systemTables {
                try tables.bind(t.0, at: 1); try tables.bind(t.1, at: 2); try tables.bind(t.2, at: 3)
                try tables.bind(timestamp, at: 4)
                try tables.run()
            }
            let columns = try db.prepare("INSERT INTO GDB_ColumnRegistry (table_name, column_name, sde_type, column_size, object_flags, object_id) VALUES (?, ?, ?, ?, ?, ?)")
            for c in Pro28Template.systemColumns {
                try columns.bind(c.0, at: 1); try columns.bind(c.1, at: 2); try columns.bind(c.2, at: 3)
                try columns.bind(c.3, at: 4); try columns.bind(c.4, at: 5); try columns.bind(c.5, at: 6)
                try columns.run()
            }
            for name in ["GDB_ITEMS", "GDB_ITEMRELATIONSHIPS", "GDB_ITEMTYPES", "GDB_ITEMRELATIONSHIPTYPES", "GDB_REPLICALOG"] {
                try db.execute("INSERT INTO GDB_Tables_Last_Modified VALUES ('\(name)', 0)")
            }
            try db.execute("INSERT INTO GDB_Layers (description, table_name, spatial_column, eflags, layer_mask, minx, miny, maxx, maxy, cdate, minimum_id, srid, base_layer_id) VALUES (NULL, 'GDB_Items', 'Shape', 71565457, 0, -180, -90, 180, 90, \(timestamp), 1, 4326, 0)")
            try db.execute("INSERT INTO st_geometry_columns (f_table_name, f_geometry_column, geometry_type, coord_dimension, srid, spatial_index_type) VALUES ('GDB_Items', 'Shape', 6, 2, 4326, 'RTREEXY')")

            rootFolderUUID = try addItem(db, type: "{F3783E6F-65CA-4514-8315-CE3985DAD3B1}", name: "", path: "\\", url: nil)
            _ = try addItem(db, type: "{C673FE0F-7280-404F-8532-20755DD8FC06}", name: "Workspace", path: "", url: nil,
                            properties: 0, subtype1: 1, definition: Pro28Template.workspaceDefinition)
            _ = try addItem(db, type: "{DC64B6E4-DC0F-43BD-B4F5-F22385DCF055}", name: "DEFAULT", path: "", url: nil,
                            definition: CatalogXML.historicalMarker(at: now))
            // Domains, once each, typed like the first field that uses them.
            for layer in request.replica.layers {
                for field in layer.fields {
                    guard let domain = field.domain, domainUUIDs[domain.name] == nil else { continue }
                    let type: String
                    if case .codedValue = domain { type = GDBItemType.codedValueDomain } else { type = GDBItemType.rangeDomain }
                    domainUUIDs[domain.name] = try addItem(db, type: type, name: domain.name, path: "", url: "",
                                                           definition: CatalogXML.domain(domain, fieldType: field.type))
                }
            }
        }
    }

    /// Objects created at the end: the spatial-index triggers of GDB_Items (they call Esri's
    /// functions) and the virtual tables of Esri's modules.
    private static func isDeferred(_ object: (type: String, name: String, sql: String)) -> Bool {
        object.type == "trigger" || object.sql.contains("USING VSRS") || object.sql.contains("USING VTSpindex")
    }

    /// Adds a GDB_Items row and returns its UUID.
    @discardableResult
    private func addItem(_ db: SQLiteConnection, type: String, name: String?, path: String, url: String?,
                         properties: Int64 = 1, subtype1: Int64? = nil, subtype2: Int64? = nil, info1: String? = nil,
                         definition: String? = nil, itemInfo: String? = nil) throws -> String {
        let uuid = "{\(UUID().uuidString)}"
        let insert = try db.prepare("INSERT INTO GDB_Items (UUID, Type, Name, PhysicalName, Path, Url, Properties, DatasetSubtype1, DatasetSubtype2, DatasetInfo1, Definition, ItemInfo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        try insert.bind(uuid, at: 1)
        try insert.bind(type, at: 2)
        try insert.bind(name, at: 3)
        try insert.bind(name?.uppercased(), at: 4)
        try insert.bind(path, at: 5)
        try insert.bind(url, at: 6)
        try insert.bind(properties, at: 7)
        try insert.bind(subtype1, at: 8)
        try insert.bind(subtype2, at: 9)
        try insert.bind(info1, at: 10)
        try insert.bind(definition, at: 11)
        try insert.bind(itemInfo, at: 12)
        try insert.run()
        itemCount += 1
        return uuid
    }

    private func relateItems(_ db: SQLiteConnection, type: String, origin: String, destination: String) throws {
        let insert = try db.prepare("INSERT INTO GDB_ItemRelationships (UUID, Type, OriginID, DestID, Properties) VALUES (?, ?, ?, ?, 1)")
        try insert.bind("{\(UUID().uuidString)}", at: 1)
        try insert.bind(type, at: 2)
        try insert.bind(origin, at: 3)
        try insert.bind(destination, at: 4)
        try insert.run()
    }

    static let datasetInFolder = "{DC78F1AB-34E4-43AC-BA47-1C4EABD0E7C7}"
    static let domainInDataset = "{17E08ADB-2B31-4DCD-8FDD-DF529E88F843}"
    static let datasetsRelatedThrough = "{725BADAB-3452-491B-A795-55F32D67229C}"

    /// A table name ArcGIS accepts: letters, digits and `_`, not starting with a digit, unique
    /// case-insensitively, at most 160 characters.
    private func tableName(for layer: LayerSchema) -> String {
        var base = String(layer.name.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        if base.isEmpty || base.first!.isNumber { base = "T" + base }
        base = String(base.prefix(150))
        var name = base, n = 1
        while tableNames.contains(name.lowercased()) || name.lowercased().hasPrefix("gdb_") || name.lowercased().hasPrefix("st_") {
            name = "\(base)_\(n)"
            n += 1
        }
        tableNames.insert(name.lowercased())
        return name
    }

    /// The grid a layer's shapes are stored on: the input's where it said, else ArcGIS's default
    /// for the coordinate system (FORMATS.md section 2).
    static func grid(for reference: SpatialReference?) -> ShapeGrid {
        if let grid = reference?.grid { return grid }
        if let known = knownDefaultGrid(reference), reference?.xyResolution.map({ abs($0 - 1 / known.xyScale) < 1e-15 }) ?? true {
            return known
        }
        let geographic = reference?.isGeographic ?? false
        let scale = reference?.xyResolution.flatMap { $0 > 0 ? 1 / $0 : nil } ?? (geographic ? 1e9 : 1e4)
        let origin = geographic ? -400 : -(4_503_599_627_370_496 / scale)
        return ShapeGrid(xOrigin: origin, yOrigin: origin, xyScale: scale, zOrigin: -100000, zScale: 10000,
                         mOrigin: -100000, mScale: 10000)
    }

    /// ArcGIS's default grid of the two coordinate systems whose default is known from samples:
    /// WGS 84 (4326) and Web Mercator (3857 / 102100).
    static func knownDefaultGrid(_ reference: SpatialReference?) -> ShapeGrid? {
        switch reference?.preferredWkid {
        case 4326?:
            return ShapeGrid(xOrigin: -400, yOrigin: -400, xyScale: 1e9, zOrigin: -100000, zScale: 10000, mOrigin: -100000, mScale: 10000)
        case 3857?, 102100?, 102113?, 900913?:
            return ShapeGrid(xOrigin: -20037700, yOrigin: -30241100, xyScale: 10000, zOrigin: -100000, zScale: 10000,
                             mOrigin: -100000, mScale: 10000)
        default:
            return nil
        }
    }

    /// The srid of a layer's shape column: its well-known id where its grid is the system's
    /// default (or the default is not known), else a row of its own in
    /// st_aux_spatial_reference_systems from 300001 on, as ArcGIS makes one for a custom grid.
    private func srid(for reference: SpatialReference?, grid: ShapeGrid, db: SQLiteConnection) throws -> Int {
        let code = (reference?.latestWkid ?? reference?.wkid).flatMap { $0 > 0 && $0 < 300_000 ? $0 : nil }
        if let code {
            let known = Self.knownDefaultGrid(reference)
            // A scale written as 999999999.99999988 is ArcGIS's 1e9.
            if known == nil || (known!.xOrigin == grid.xOrigin && known!.yOrigin == grid.yOrigin && abs(known!.xyScale - grid.xyScale) <= 1e-12 * known!.xyScale) {
                return code
            }
        }
        let wkt = reference?.wkt ?? "UNKNOWN"
        let key = "\(code.map(String.init) ?? "")|\(wkt)|\(grid)"
        if let known = customSRIDs[key] { return known }
        let srid = nextCustomSRID
        nextCustomSRID += 1
        let insert = try db.prepare("INSERT INTO st_aux_spatial_reference_systems (srid, auth_name, auth_srid, srtext, falsex, falsey, xyunits, falsez, zunits, falsem, munits, xycluster_tol, zcluster_tol, mcluster_tol, object_flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0.001, 0.001, 1)")
        try insert.bind(Int64(srid), at: 1)
        try insert.bind(code.map { _ in "EPSG" }, at: 2)
        try insert.bind(code.map(Int64.init), at: 3)
        try insert.bind(wkt, at: 4)
        for (i, v) in [grid.xOrigin, grid.yOrigin, grid.xyScale, grid.zOrigin, grid.zScale, grid.mOrigin, grid.mScale].enumerated() {
            try insert.bind(v, at: Int32(5 + i))
        }
        try insert.bind(reference?.xyTolerance ?? 10 / grid.xyScale, at: 12)
        try insert.run()
        customSRIDs[key] = srid
        return srid
    }

    // MARK: layers

    func beginLayer(_ layer: LayerSchema) throws {
        let db = try connection()
        if let current = open {
            throw ReplicaExportError(.invalidState, "beginLayer('\(layer.name)') while layer '\(current.schema.name)' is open")
        }
        let location = ErrorLocation(layer: layer.name, format: Self.formatName, output: fileName)
        let table = tableName(for: layer)
        if table != layer.name {
            diagnostics.append(Diagnostic(.layerRenamed, "stored in table '\(table)' (the layer keeps its name in GDB_ServiceItems)",
                                          at: location, severity: .info))
        }
        let hasGeometry = layer.kind != .table && layer.geometryType != nil
        if hasGeometry && layer.hasM {
            diagnostics.append(Diagnostic(.measuresDropped, "M values dropped: the M encoding of shape blobs is not known (no public sample has one)",
                                          at: location))
        }
        for field in layer.fields where MobileGeodatabaseColumns.storedType(field.type) != field.type {
            diagnostics.append(Diagnostic(.typeChanged, "\(field.type.rawValue) stored as \(MobileGeodatabaseColumns.storedType(field.type).rawValue) (a 10.9 geodatabase has no such type)",
                                          at: location.with(field: field.name)))
        }
        open = try db.transaction { try createTable(for: layer, table: table, db: db) }
        try db.execute("BEGIN")
    }

    /// Creates the table of `layer` (a feature class where it has a geometry type), registered
    /// in the catalog as ArcGIS registers one, with its insert statements, inside the open
    /// transaction.
    private func createTable(for layer: LayerSchema, table: String, db: SQLiteConnection) throws -> OpenLayer {
        let hasGeometry = layer.kind != .table && layer.geometryType != nil
        var shapeColumn: String?
        if hasGeometry {
            var name = "SHAPE"
            while layer.fields.contains(where: { $0.name.lowercased() == name.lowercased() }) { name += "_" }
            shapeColumn = name
        }
        let grid = Self.grid(for: layer.spatialReference)
        let oidIndex = layer.objectIDFieldIndex
        let srid = hasGeometry ? try srid(for: layer.spatialReference, grid: grid, db: db) : 0
        // The table, as Pro 2.8 declares it.
        var columns: [String] = []
        for (i, field) in layer.fields.enumerated() {
            columns.append(MobileGeodatabaseColumns.definition(field, isOID: i == oidIndex))
        }
        if oidIndex == nil { columns.insert("OBJECTID integer primary key not null", at: 0) }
        if let shape = shapeColumn {
            columns.append("\(shape) geometryblob check((typeof(\(shape)) = 'blob' and length(\(shape)) >= 18 and cast(hex(substr(\(shape),1,1)) as integer) = 64) or typeof(\(shape)) = 'null')")
        }
        try db.execute("CREATE TABLE [\(table)] (\(columns.joined(separator: ", ")))")
        let oidName = oidIndex.map { layer.fields[$0].name } ?? "OBJECTID"
        try db.execute("INSERT INTO GDB_TableRegistry (table_name, rowid_column, object_flags, registration_date, minimum_id) VALUES ('\(table)', '\(oidName)', \(hasGeometry ? 16391 : 3), \(timestamp), 1)")
        let registrationID = db.lastInsertRowID
        let registry = try db.prepare("INSERT INTO GDB_ColumnRegistry (table_name, column_name, sde_type, column_size, decimal_digits, object_flags, object_id) VALUES (?, ?, ?, ?, ?, ?, ?)")
        func register(_ column: String, _ r: (sde: Int64, size: Int64?, digits: Int64?, flags: Int64), objectID: Int64? = nil) throws {
            try registry.bind(table, at: 1); try registry.bind(column, at: 2); try registry.bind(r.sde, at: 3)
            try registry.bind(r.size, at: 4); try registry.bind(r.digits, at: 5); try registry.bind(r.flags, at: 6)
            try registry.bind(objectID, at: 7)
            try registry.run()
        }
        if oidIndex == nil { try register("OBJECTID", (2, 0, nil, 3)) }
        for (i, field) in layer.fields.enumerated() {
            try register(field.name, MobileGeodatabaseColumns.registry(field, isOID: i == oidIndex))
        }
        var spatialIndex: PackedRTree?
        if let shape = shapeColumn {
            let geometryCode: Int64
            var eflags: Int64 = 0x4400000 | 0x80 | 1
            switch layer.geometryType {
            case .point?: geometryCode = 1; eflags |= 2
            case .multipoint?: geometryCode = 4; eflags |= 2 | 0x40000
            case .polyline?: geometryCode = 5; eflags |= 4 | 8 | 0x40000
            default: geometryCode = 6; eflags |= 16 | 0x40000
            }
            if layer.hasZ { eflags |= 0x10000 }
            try db.execute("INSERT INTO st_geometry_columns (f_table_name, f_geometry_column, geometry_type, coord_dimension, srid, spatial_index_type) VALUES ('\(table)', '\(shape)', \(geometryCode + (layer.hasZ ? 1000 : 0)), \(layer.hasZ ? 3 : 2), \(srid), 'RTREEXY')")
            try db.execute("INSERT INTO GDB_Layers (description, table_name, spatial_column, eflags, layer_mask, minx, miny, maxx, maxy, cdate, minimum_id, srid, base_layer_id) VALUES (NULL, '\(table)', '\(shape)', \(eflags), 0, 0, 0, 0, 0, \(timestamp), 1, \(srid), 0)")
            try register(shape, (8, nil, nil, 32772), objectID: db.lastInsertRowID)
            spatialIndex = try PackedRTree(db: db, table: "st_spindex__\(table)_\(shape)")
        }
        var names = layer.fields.map { MobileGeodatabaseColumns.quoted($0.name) }
        if let shape = shapeColumn { names.append(shape) }
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        let insert = try db.prepare("INSERT INTO [\(table)] (\(names.joined(separator: ", "))) VALUES (\(placeholders))")
        let state = OpenLayer(schema: layer, table: table, registrationID: registrationID, shapeColumn: shapeColumn,
                              grid: grid, srid: srid, insert: insert, spatialIndex: spatialIndex)
        if layer.hasAttachments {
            state.attachmentInsert = try createAttachmentTable(db, for: state)
        }
        return state
    }

    /// `<table>__ATTACH`, as ArcGIS declares it, and its insert statement.
    private func createAttachmentTable(_ db: SQLiteConnection, for layer: OpenLayer) throws -> SQLiteStatement {
        let table = layer.table + "__ATTACH"
        tableNames.insert(table.lowercased())
        try db.execute("""
            CREATE TABLE [\(table)] (ATTACHMENTID integer primary key not null, GLOBALID uuidtext check(typeof(GLOBALID) = 'text' and length(GLOBALID) = 38) not null, REL_GLOBALID uuidtext check(typeof(REL_GLOBALID) = 'text' and length(REL_GLOBALID) = 38) not null, CONTENT_TYPE text(150) check(typeof(CONTENT_TYPE) = 'text' and not length(CONTENT_TYPE) > 150) not null, ATT_NAME text(250) check(typeof(ATT_NAME) = 'text' and not length(ATT_NAME) > 250) not null, DATA_SIZE int32 check(typeof(DATA_SIZE) = 'integer' and DATA_SIZE >= -2147483648 and DATA_SIZE <= 2147483647) not null, DATA blob check(typeof(DATA) = 'blob' or typeof(DATA) = 'null'))
            """)
        try db.execute("INSERT INTO GDB_TableRegistry (table_name, rowid_column, object_flags, registration_date, minimum_id) VALUES ('\(table)', 'ATTACHMENTID', 3, \(timestamp), 1)")
        for (column, r) in [("ATTACHMENTID", (Int64(2), Int64(0) as Int64?, 3 as Int64)), ("GLOBALID", (12, 38, 256)), ("REL_GLOBALID", (12, 38, 0)),
                            ("CONTENT_TYPE", (5, 150, 0)), ("ATT_NAME", (5, 250, 0)), ("DATA_SIZE", (2, 0, 0)), ("DATA", (6, nil, 4))] {
            try db.execute("INSERT INTO GDB_ColumnRegistry (table_name, column_name, sde_type, column_size, object_flags) VALUES ('\(table)', '\(column)', \(r.0), \(r.1.map(String.init) ?? "NULL"), \(r.2))")
        }
        attachmentTables.append(table)
        return try db.prepare("INSERT INTO [\(table)] (ATTACHMENTID, GLOBALID, REL_GLOBALID, CONTENT_TYPE, ATT_NAME, DATA_SIZE, DATA) VALUES (?, ?, ?, ?, ?, ?, ?)")
    }

    func write(_ features: [PreparedFeature]) throws {
        let db = try connection()
        guard let main = open else { throw ReplicaExportError(.invalidState, "write called outside beginLayer / endLayer") }
        let fields = main.schema.fields
        for feature in features {
            let oid = main.oidIndex.flatMap { feature.attributes[$0].integerValue }
            let place = ErrorLocation(featureIndex: main.inputIndex, objectID: oid)
            main.inputIndex += 1
            let layer = try table(for: feature, of: main, db: db)
            let insert = layer.insert
            for (i, field) in fields.enumerated() {
                try bind(feature.attributes[i], field: field, isOID: i == layer.oidIndex, isGlobalID: i == layer.globalIDIndex,
                         at: Int32(i + 1), to: insert, layer: layer, place: place)
            }
            var shape: WrittenShape?
            if layer.shapeColumn != nil {
                let column = Int32(fields.count + 1)
                if let geometry = feature.geometry {
                    do {
                        shape = try ShapeBlobEncoder.encode(geometry, grid: layer.grid, srid: layer.srid)
                    } catch let error as ReplicaExportError {
                        layer.loss(.geometryDropped, "geometries not written: \(error.message)", at: place)
                    }
                }
                if let shape { try insert.bind(shape.blob, at: column) } else { try insert.bindNull(at: column) }
            }
            if let oidIndex = layer.oidIndex, oid == nil || oid! <= 0 {
                if oid == nil && feature.attributes[oidIndex].isNull {
                    layer.loss(.objectIDReassigned, "ObjectIDs repeated or invalid in the input, given new ones", at: place)
                }
            }
            if let oid, oid > 0, layer.reassigned.contains(oid) {
                // This feature's own ObjectID was given to an earlier feature whose own was
                // repeated or invalid: that row moves on to the next free id.
                try moveReassigned(oid, in: layer, db: db)
            }
            var reassigned = layer.oidIndex != nil && (oid ?? 0) <= 0
            do {
                try insert.run()
            } catch let error as ReplicaExportError where layer.oidIndex != nil && error.code == .invalidState {
                // A repeated ObjectID (the primary key): the row gets the next free one.
                reassigned = true
                try insert.bindNull(at: Int32(layer.oidIndex! + 1))
                for (i, field) in fields.enumerated() where i != layer.oidIndex {
                    try bind(feature.attributes[i], field: field, isOID: false, isGlobalID: i == layer.globalIDIndex,
                             at: Int32(i + 1), to: insert, layer: layer, place: place)
                }
                if let shape { try insert.bind(shape.blob, at: Int32(fields.count + 1)) }
                try insert.run()
                layer.loss(.objectIDReassigned, "ObjectIDs repeated or invalid in the input, given new ones", at: place)
            }
            let rowid = db.lastInsertRowID
            if reassigned { layer.reassigned.insert(rowid) }
            layer.maxOID = max(layer.maxOID, rowid)
            if let shape, let spatialIndex = layer.spatialIndex {
                try spatialIndex.add(rowid: rowid, xmin: shape.xmin, xmax: shape.xmax, ymin: shape.ymin, ymax: shape.ymax)
                if let e = layer.extent {
                    layer.extent = (min(e.xmin, shape.xmin), min(e.ymin, shape.ymin), max(e.xmax, shape.xmax), max(e.ymax, shape.ymax))
                } else {
                    layer.extent = (shape.xmin, shape.ymin, shape.xmax, shape.ymax)
                }
                if let zmin = shape.zmin, let zmax = shape.zmax {
                    layer.zRange = layer.zRange.map { (min($0.0, zmin), max($0.1, zmax)) } ?? (zmin, zmax)
                }
            }
            if layer.owner != nil, layer.attachmentInsert != nil, let gid = layer.globalIDIndex,
               case .guid(let value) = feature.attributes[gid] {
                layer.globalIDs.insert(ValueText.guidBracedUpper(value))
            }
            layer.features += 1
            main.rowsInTransaction += 1
            if main.rowsInTransaction >= rowsPerTransaction {
                try db.execute("COMMIT; BEGIN")
                main.rowsInTransaction = 0
            }
        }
    }

    /// The table a feature goes to: its layer's, or, for a geometry of another type than the
    /// layer's, the feature class `<table>_<type>s` (a feature class holds one geometry type, as
    /// st_geometry_columns and the class XML declare), made when its first feature comes.
    private func table(for feature: PreparedFeature, of main: OpenLayer, db: SQLiteConnection) throws -> OpenLayer {
        guard main.shapeColumn != nil, let type = feature.geometry?.geometryType, main.schema.isOtherGeometryType(type) else {
            return main
        }
        if let split = main.splits.first(where: { $0.schema.geometryType == type }) { return split }
        let schema = splitSchemas.schema(splitting: main.schema, into: type)
        let split = try createTable(for: schema, table: tableName(for: schema), db: db)
        split.owner = main
        main.splits.append(split)
        return split
    }

    /// Moves the row given ObjectID `oid` (its own was repeated or invalid) to the next free id,
    /// with its spatial-index entry, so that the feature whose own id is `oid` keeps it.
    private func moveReassigned(_ oid: Int64, in layer: OpenLayer, db: SQLiteConnection) throws {
        let column = MobileGeodatabaseColumns.quoted(layer.schema.fields[layer.oidIndex!].name)
        let next = max(layer.maxOID, try db.rows("SELECT max(\(column)) FROM [\(layer.table)]") { $0.int64(0) }.first ?? 0) + 1
        try db.execute("UPDATE [\(layer.table)] SET \(column) = \(next) WHERE \(column) = \(oid)")
        try layer.spatialIndex?.renumber(oid, to: next)
        layer.reassigned.remove(oid)
        layer.reassigned.insert(next)
        layer.maxOID = max(layer.maxOID, next)
    }

    /// Binds one attribute as its column holds it; what the column's constraint would refuse is
    /// written as NULL (or corrected) and counted.
    private func bind(_ value: Value, field: Field, isOID: Bool, isGlobalID: Bool, at index: Int32, to insert: SQLiteStatement,
                      layer: OpenLayer, place: ErrorLocation) throws {
        let location = place.with(field: field.name)
        switch value {
        case .null:
            if isGlobalID {
                try insert.bind("{\(UUID().uuidString)}", at: index)
                layer.loss(.inputIrregular, "GlobalIDs missing in the input, given new ones (the column is NOT NULL)", at: location)
            } else {
                try insert.bindNull(at: index)
            }
        case .int16(let v): try insert.bind(Int64(v), at: index)
        case .int32(let v): try insert.bind(Int64(v), at: index)
        case .int64(let v):
            if isOID && v <= 0 {
                try insert.bindNull(at: index)
                layer.loss(.objectIDReassigned, "ObjectIDs repeated or invalid in the input, given new ones", at: location)
            } else {
                try insert.bind(v, at: index)
            }
        case .float32(let v):
            if v.isNaN {
                try insert.bindNull(at: index)
                layer.loss(.nonFiniteNumberDropped, "NaN written as NULL (SQLite stores no NaN)", at: location)
            } else {
                try insert.bind(Double(v), at: index)
            }
        case .float64(let v):
            if v.isNaN {
                try insert.bindNull(at: index)
                layer.loss(.nonFiniteNumberDropped, "NaN written as NULL (SQLite stores no NaN)", at: location)
            } else {
                try insert.bind(v, at: index)
            }
        case .string(let s):
            try bindText(s, field: field, at: index, to: insert, layer: layer, location: location)
        case .date(let ms):
            let day = MobileGeodatabaseColumns.julianDay(milliseconds: ms)
            if day >= 0 {
                try insert.bind(day, at: index)
            } else {
                try insert.bindNull(at: index)
                layer.loss(.dateOutOfRange, "dates before 4713 BC written as NULL", at: location)
            }
        case .dateOnly(let d): try bindText(ValueText.isoDate(d), field: field, at: index, to: insert, layer: layer, location: location)
        case .timeOnly(let t): try bindText(ValueText.isoTime(t), field: field, at: index, to: insert, layer: layer, location: location)
        case .timestampOffset(let t): try bindText(ValueText.isoOffset(t), field: field, at: index, to: insert, layer: layer, location: location)
        case .guid(let g):
            let braced = ValueText.guidBracedUpper(g)
            if braced.utf8.count == 38 {
                try insert.bind(braced, at: index)
            } else if isGlobalID {
                try insert.bind("{\(UUID().uuidString)}", at: index)
                layer.loss(.inputIrregular, "GlobalIDs that are not GUIDs given new ones", at: location)
            } else {
                try insert.bindNull(at: index)
                layer.loss(.textChanged, "GUID values that are not GUIDs written as NULL", at: location)
            }
        case .blob(let bytes): try insert.bind(bytes, at: index)
        }
    }

    private func bindText(_ text: String, field: Field, at index: Int32, to insert: SQLiteStatement, layer: OpenLayer,
                          location: ErrorLocation) throws {
        let limit = MobileGeodatabaseColumns.textLength(field)
        if text.utf8.count > limit && text.unicodeScalars.count > limit {
            var cut = String.UnicodeScalarView()
            cut.append(contentsOf: text.unicodeScalars.prefix(limit))
            try insert.bind(String(cut), at: index)
            layer.loss(.valueTruncated, "text longer than the field's length \(limit) cut to it", at: location)
        } else {
            try insert.bind(text, at: index)
        }
    }

    func write(attachments: [Attachment], of schema: LayerSchema) throws {
        let db = try connection()
        if let layer = open, layer.attachmentInsert == nil {
            // Counted with the layer's other losses: one diagnostic, however many calls.
            for attachment in attachments {
                layer.loss(.attachmentsDropped, "attachments not kept: the layer does not declare attachments (hasAttachments)",
                           at: ErrorLocation(layer: schema.name, detail: "attachment \(attachment.attachmentId)", output: fileName))
            }
            return
        }
        guard let layer = open, let insert = layer.attachmentInsert else {
            guard !attachments.isEmpty else { return }
            report(Diagnostic(.attachmentsDropped, "\(attachments.count) attachment(s) not kept: the layer does not declare attachments",
                              at: ErrorLocation(layer: schema.name), count: attachments.count))
            return
        }
        let main = layer
        for attachment in attachments {
            let location = ErrorLocation(layer: schema.name, detail: "attachment \(attachment.attachmentId)", output: fileName)
            guard let data = attachment.data else {
                layer.loss(.attachmentsDropped, "attachments known only by URL not kept (nothing is fetched)", at: location)
                continue
            }
            guard let parent = attachment.parentGlobalId.map(ValueText.guidBracedUpper), parent.utf8.count == 38 else {
                layer.loss(.attachmentsDropped, "attachments without their parent's GlobalID not kept (REL_GLOBALID is required)", at: location)
                continue
            }
            // A feature of another geometry type went to a split class, with its attachments.
            let layer = main.splits.first { $0.globalIDs.contains(parent) } ?? main
            let insert = layer.attachmentInsert ?? insert
            let id = attachment.attachmentId > 0 ? attachment.attachmentId : layer.maxAttachmentID + 1
            try insert.bind(id, at: 1)
            let globalID = attachment.globalId.map(ValueText.guidBracedUpper).flatMap { $0.utf8.count == 38 ? $0 : nil }
            try insert.bind(globalID ?? "{\(UUID().uuidString)}", at: 2)
            try insert.bind(parent, at: 3)
            try insert.bind(attachment.contentType ?? "application/octet-stream", at: 4)
            try insert.bind(String(String.UnicodeScalarView(attachment.name.unicodeScalars.prefix(250))), at: 5)
            try insert.bind(Int64(data.count), at: 6)
            try insert.bindZeroBlob(length: Int64(data.count), at: 7)
            try insert.run()
            let rowid = db.lastInsertRowID
            if !data.isEmpty {
                let blob = try SQLiteBlob(connection: db, table: layer.table + "__ATTACH", column: "DATA", rowid: rowid)
                try data.withUnsafeBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let end = min(bytes.count, offset + Self.blobChunk)
                        try blob.write(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), at: offset)
                        offset = end
                    }
                }
            }
            layer.maxAttachmentID = max(layer.maxAttachmentID, rowid)
            layer.attachments += 1
            main.rowsInTransaction += 1
            if main.rowsInTransaction >= rowsPerTransaction || data.count > Self.blobChunk {
                try db.execute("COMMIT; BEGIN")
                main.rowsInTransaction = 0
            }
        }
    }

    func endLayer() throws {
        let db = try connection()
        guard let layer = open else { throw ReplicaExportError(.invalidState, "endLayer called outside beginLayer / endLayer") }
        open = nil
        for table in [layer] + layer.splits { try finish(table, db: db) }
        try db.execute("COMMIT")

        let schema = layer.schema
        for (code, (tally, message)) in layer.losses.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            diagnostics.append(Diagnostic(code, message, at: ErrorLocation(layer: schema.name, featureIndex: tally.firstFeatureIndex,
                                                                           objectID: tally.firstObjectID, output: fileName),
                                          count: tally.count))
        }
        for split in layer.splits {
            diagnostics.append(Diagnostic(
                .geometryTypeSplit,
                "\(split.features) features of type \(split.schema.geometryType?.rawValue ?? "") written to the feature class '\(split.table)' (layer '\(split.schema.name)', id \(split.schema.id)): a feature class holds one geometry type",
                at: ErrorLocation(layer: schema.name, output: fileName), count: split.features))
        }
        for table in [layer] + layer.splits where table.attachments > 0 {
            diagnostics.append(Diagnostic(.attachmentsWritten, "\(table.attachments) attachment(s) written into \(table.table)__ATTACH",
                                          at: ErrorLocation(layer: schema.name, output: fileName), count: table.attachments, severity: .info))
        }
        for table in [layer] + layer.splits {
            outputs.append(WrittenOutput(url: staging.finalURL(fileName), layerName: table.schema.name, featureCount: table.features))
        }
    }

    /// What a table gets once its rows are in: its spatial index packed (``PackedRTree``), its
    /// indexes and spatial-index triggers (they call Esri's SQL functions), its extent, its class item in the catalog with its domains and
    /// attachment class, its service layer JSON.
    private func finish(_ layer: OpenLayer, db: SQLiteConnection) throws {
        let schema = layer.schema
        let table = layer.table
        try layer.spatialIndex?.build(extent: layer.extent)
        // Indexes and triggers once the rows are in: the triggers call Esri's SQL functions.
        if let gid = schema.globalIdField {
            try db.execute("CREATE UNIQUE INDEX [UUID_\(layer.registrationID)] ON [\(table)] (\(MobileGeodatabaseColumns.quoted(gid)) ASC) ")
        }
        if let shape = layer.shapeColumn {
            let e = layer.extent ?? (0, 0, 0, 0)
            let z = layer.zRange
            try db.execute("UPDATE GDB_Layers SET minx = \(e.xmin), miny = \(e.ymin), maxx = \(e.xmax), maxy = \(e.ymax), minz = \(z.map { "\($0.0)" } ?? "NULL"), maxz = \(z.map { "\($0.1)" } ?? "NULL") WHERE table_name = '\(table)'")
            let index = "st_spindex__\(table)_\(shape)"
            try db.execute("""
                CREATE TRIGGER [st_insert_trigger_\(table)_\(shape)] AFTER INSERT ON [\(table)] FOR EACH ROW BEGIN SELECT InsertIndexEntry ('\(index)',NEW.\(shape),NEW._ROWID_,2); END;
                CREATE TRIGGER [st_delete_trigger_\(table)_\(shape)] AFTER DELETE ON [\(table)] FOR EACH ROW BEGIN DELETE FROM \(index) WHERE pkid = OLD._ROWID_; END;
                CREATE TRIGGER [st_update_trigger_\(table)_\(shape)] AFTER UPDATE OF \(shape) ON [\(table)] WHEN OLD._ROWID_ = NEW._ROWID_ BEGIN SELECT UpdateIndexEntry ('\(index)',NEW.\(shape),NEW._ROWID_,2); END;
                CREATE TRIGGER [st_update1_trigger_\(table)_\(shape)] AFTER UPDATE ON [\(table)] WHEN OLD._ROWID_ != NEW._ROWID_ BEGIN DELETE FROM [\(index)] WHERE pkid = OLD._ROWID_; SELECT UpdateIndexEntry ('\(index)',NEW.\(shape),NEW._ROWID_,2); END;
                """)
        }
        try db.execute("INSERT INTO GDB_RowidGenerators VALUES (\(layer.registrationID), \(layer.maxOID + 1), -1, \(layer.maxOID + 1))")

        // The class item, its place in the root folder, its domains, its service layer JSON.
        let isFeatureClass = layer.shapeColumn != nil
        let dsid = itemCount + 1
        let definition = CatalogXML.classDefinition(schema, .init(
            table: table, dsid: dsid, shapeColumn: layer.shapeColumn, grid: layer.grid, extent: layer.extent,
            relationshipClassNames: schema.hasAttachments ? ["\(table)__ATTACHREL"] : []))
        let geometryCode: Int64?
        switch schema.geometryType {
        case .point?: geometryCode = 1
        case .multipoint?: geometryCode = 2
        case .polyline?: geometryCode = 3
        case .polygon?, .envelope?: geometryCode = 4
        case nil: geometryCode = nil
        }
        let uuid = try addItem(db, type: isFeatureClass ? GDBItemType.featureClass : GDBItemType.table, name: "main.\(table)",
                               path: "\\main.\(table)", url: "", subtype1: isFeatureClass ? 1 : nil,
                               subtype2: isFeatureClass ? geometryCode : nil, info1: layer.shapeColumn, definition: definition,
                               itemInfo: CatalogXML.itemInfo(table: table, isFeatureClass: isFeatureClass, geometryType: schema.geometryType))
        classes[schema.id] = (table, uuid)
        try relateItems(db, type: Self.datasetInFolder, origin: rootFolderUUID, destination: uuid)
        var related = Set<String>()
        for field in schema.fields {
            guard let name = field.domain?.name, let domain = domainUUIDs[name], related.insert(name).inserted else { continue }
            try relateItems(db, type: Self.domainInDataset, origin: uuid, destination: domain)
        }
        if let insert = layer.attachmentInsert {
            _ = insert
            try writeAttachmentClass(db, layer: layer, classUUID: uuid)
        }
        try writeServiceItem(db, layer: layer)
    }

    /// The attachment table's item and its `__ATTACHREL` relationship class.
    private func writeAttachmentClass(_ db: SQLiteConnection, layer: OpenLayer, classUUID: String) throws {
        let table = layer.table + "__ATTACH"
        try db.execute("CREATE UNIQUE INDEX [UUID_\(layer.registrationID + 1)] ON [\(table)] (GLOBALID ASC) ")
        try db.execute("CREATE INDEX [GDB_\(layer.registrationID + 1)_REL_GLOBA] ON [\(table)] (REL_GLOBALID ASC)")
        var attach = layer.schema
        attach.fields = [Field(name: "ATTACHMENTID", type: .objectID), Field(name: "GLOBALID", type: .globalID),
                         Field(name: "REL_GLOBALID", type: .guid), Field(name: "CONTENT_TYPE", type: .string, length: 150),
                         Field(name: "ATT_NAME", type: .string, length: 250), Field(name: "DATA_SIZE", type: .integer),
                         Field(name: "DATA", type: .blob)]
        for i in 1..<6 { attach.fields[i].nullable = false }
        attach.globalIdField = "GLOBALID"
        attach.geometryType = nil
        attach.kind = .table
        let dsid = itemCount + 1
        let attachUUID = try addItem(db, type: GDBItemType.table, name: "main.\(table)", path: "\\main.\(table)", url: "",
                                     definition: CatalogXML.classDefinition(attach, .init(
                                        table: table, dsid: dsid, shapeColumn: nil, grid: nil, extent: nil,
                                        relationshipClassNames: ["\(layer.table)__ATTACHREL"])),
                                     itemInfo: CatalogXML.itemInfo(table: table, isFeatureClass: false, geometryType: nil))
        try relateItems(db, type: Self.datasetInFolder, origin: rootFolderUUID, destination: attachUUID)
        let relName = "\(layer.table)__ATTACHREL"
        let relUUID = try addItem(db, type: GDBItemType.relationshipClass, name: "main.\(relName)", path: "\\main.\(relName)", url: "",
                                  subtype1: 2, subtype2: 0,
                                  definition: CatalogXML.relationshipClass(
                                    name: relName, dsid: itemCount + 1, origin: layer.table, destination: table,
                                    originPrimaryKey: layer.schema.globalIdField ?? "GlobalID", originForeignKey: "REL_GLOBALID",
                                    cardinality: .oneToMany, composite: true, attachment: true))
        try relateItems(db, type: Self.datasetInFolder, origin: rootFolderUUID, destination: relUUID)
        try relateItems(db, type: Self.datasetsRelatedThrough, origin: classUUID, destination: relUUID)
        try relateItems(db, type: Self.datasetsRelatedThrough, origin: attachUUID, destination: relUUID)
    }

    /// GDB_ServiceItems: the layer resource JSON, as a replica of a feature service carries it.
    private func writeServiceItem(_ db: SQLiteConnection, layer: OpenLayer) throws {
        let json = try Self.layerResourceJSON(layer.schema, extent: layer.shapeColumn != nil ? .some(layer.extent) : nil,
                                              scratch: file.deletingLastPathComponent())
        let insert = try db.prepare("INSERT INTO GDB_ServiceItems (ItemType, ItemInfo, ItemId, DatasetName, AdvancedDrawingInfo) VALUES (1, ?, ?, ?, NULL)")
        try insert.bind(json, at: 1)
        try insert.bind(Int64(layer.schema.id), at: 2)
        try insert.bind(layer.table, at: 3)
        try insert.run()
    }

    /// The layer resource JSON of `schema` as the `json` format writes it beside its payload.
    static func layerResourceJSON(_ schema: LayerSchema, extent: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)??,
                                  scratch: URL) throws -> String {
        let path = scratch.appendingPathComponent(".layer-\(schema.id).json")
        let out = try JSONTextFile(path: path.path, location: ErrorLocation(layer: schema.name))
        try LayerResourceText.write(schema, extras: .init(geometryType: nil, extent: extent), to: out)
        try out.close()
        defer { try? FileManager.default.removeItem(at: path) }
        return try String(contentsOf: path, encoding: .utf8)
    }

    /// Each relationship class as a `DERelationshipClassInfo` item related to both classes, and
    /// `relationships.json` beside the file, as every format lists them.
    func write(relationships: [RelationshipClass]) throws {
        let db = try connection()
        let entries = relationships.compactMap { r -> RelationshipListingEntry? in
            guard let origin = classes[r.originLayerId], let destination = classes[r.destinationLayerId] else { return nil }
            let names = Dictionary(request.replica.layers.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
            _ = (origin, destination)
            return RelationshipListingEntry(
                id: r.id, name: r.name, cardinality: r.cardinality.rawValue, composite: r.isComposite,
                origin: .init(layerId: r.originLayerId, layer: names[r.originLayerId] ?? origin.table, key: r.originKeyField),
                destination: .init(layerId: r.destinationLayerId, layer: names[r.destinationLayerId] ?? destination.table,
                                   key: r.destinationKeyField))
        }
        if !entries.isEmpty { try RelationshipListingEntry.write(entries, staging: staging) }
        try db.transaction {
            for relationship in relationships {
                guard let origin = classes[relationship.originLayerId], let destination = classes[relationship.destinationLayerId] else {
                    report(Diagnostic(.relationshipsDropped, "relationship class '\(relationship.name)' not kept: one of its layers was not written",
                                      at: ErrorLocation(output: fileName), count: 1))
                    continue
                }
                var name = String(relationship.name.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
                while tableNames.contains(name.lowercased()) { name += "_" }
                tableNames.insert(name.lowercased())
                let uuid = try addItem(db, type: GDBItemType.relationshipClass, name: "main.\(name)", path: "\\main.\(name)", url: "",
                                       subtype1: 2, subtype2: 0,
                                       definition: CatalogXML.relationshipClass(
                                        name: name, dsid: itemCount + 1, origin: origin.table, destination: destination.table,
                                        originPrimaryKey: relationship.originKeyField,
                                        originForeignKey: relationship.destinationKeyField ?? relationship.originKeyField,
                                        cardinality: relationship.cardinality, composite: relationship.isComposite, attachment: false))
                try relateItems(db, type: Self.datasetInFolder, origin: rootFolderUUID, destination: uuid)
                try relateItems(db, type: Self.datasetsRelatedThrough, origin: origin.uuid, destination: uuid)
                try relateItems(db, type: Self.datasetsRelatedThrough, origin: destination.uuid, destination: uuid)
            }
        }
    }

    // MARK: commit

    func commit() throws -> [WrittenOutput] {
        let db = try connection()
        if open != nil { throw ReplicaExportError(.invalidState, "commit while a layer is open") }
        try db.transaction {
            for (id, table) in [(2, "GDB_Items"), (3, "GDB_ItemRelationships"), (4, "GDB_ItemTypes"), (5, "GDB_ItemRelationshipTypes")] {
                try db.execute("INSERT INTO GDB_RowidGenerators SELECT \(id), max(ObjectID) + 1, -1, max(ObjectID) FROM \(table)")
            }
            try db.execute("INSERT INTO GDB_RowidGenerators VALUES (6, 1, -1, 1)")
            try db.execute("INSERT INTO GDB_TablesModified VALUES ('GDB_Layers', \(timestamp)), ('GDB_TableRegistry', \(timestamp))")
            for object in Pro28Template.objects where object.type == "trigger" {
                try db.execute(object.sql)
            }
        }
        // Esri's own virtual tables, entered as ArcGIS has them; nothing is written after them.
        for object in Pro28Template.objects where object.type == "table" && Self.isDeferred(object) {
            try db.insertSchemaEntry(type: "table", name: object.name, tableName: object.name, sql: object.sql)
        }
        try db.execute("PRAGMA journal_mode = DELETE")
        self.db = nil  // closes the file
        try staging.commit()
        return outputs
    }

    func abort() {
        db = nil
        open = nil
        staging.abort()
    }
}

private extension ErrorLocation {
    func with(field: String) -> ErrorLocation {
        var copy = self
        copy.field = field
        return copy
    }
}
