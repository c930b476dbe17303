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
        let here = ErrorLocation(input: file)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw ReplicaExportError(.fileNotFound, "no such file", at: here)
        }
        guard !isDirectory.boolValue else {
            throw ReplicaExportError(.unreadable, "this is a directory, not a mobile geodatabase file", at: here)
        }
        // Not SQLite at all: say so before SQLite does, in our words.
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

        let db = try SQLiteConnection(readOnlyImmutable: url)
        connection = db
        var notes: [Diagnostic] = []

        if checkIntegrity {
            let problems = try db.rows("PRAGMA quick_check(5)") { $0.text(0) ?? "" }
            if problems != ["ok"] {
                throw ReplicaExportError(.corrupt, "the SQLite file is damaged (integrity check: \(problems.joined(separator: "; "))); it may be truncated or partly overwritten: copy it again from its source, or export it again from ArcGIS", at: here)
            }
        }

        let applicationID = try db.rows("PRAGMA application_id") { $0.int64(0) }.first ?? 0
        var tables: [String: String] = [:]  // lower-cased name -> name, tables only
        for (type, name) in try db.rows("SELECT type, name FROM sqlite_master WHERE type IN ('table','view')", { ($0.text(0) ?? "", $0.text(1) ?? "") })
        where type == "table" {
            tables[name.lowercased()] = name
        }
        let deltaTables = tables.values.filter { name in
            let l = name.lowercased()
            if l.hasPrefix("gdb_datachanges") { return true }
            guard l.hasPrefix("t_") else { return false }
            let rest = l.dropFirst(2)
            guard let underscore = rest.firstIndex(of: "_"), !rest[..<underscore].isEmpty,
                  rest[..<underscore].allSatisfy(\.isNumber) else { return false }
            return ["inserts", "updates", "deletes"].contains(String(rest[rest.index(after: underscore)...]))
        }
        if !deltaTables.isEmpty && tables["gdb_serviceitems"] == nil {
            throw ReplicaExportError(.notAReplica, "this is a sync DELTA geodatabase (tables \(deltaTables.sorted().prefix(3).joined(separator: ", "))...): the changes of a synchronization, not a replica; export the replica itself (createReplica with dataFormat=sqlite), or apply the delta to it in ArcGIS first", at: here)
        }
        guard tables["gdb_items"] != nil else {
            throw ReplicaExportError(.notAReplica, "an SQLite database but not a mobile geodatabase: it has no GDB_Items catalog (application_id 0x\(String(applicationID, radix: 16)), expected 0x45737269 \"Esri\"); open a .geodatabase made by ArcGIS (createReplica with dataFormat=sqlite, Runtime or Pro)", at: here)
        }
        if applicationID != 0x45737269 {
            notes.append(Diagnostic(.inputIrregular, "application_id is 0x\(String(applicationID, radix: 16)), not 0x45737269 (\"Esri\"); read as a mobile geodatabase because it has GDB_Items", at: here))
        }

        // --- Catalog tables.
        var items: [GDBItem] = []
        let itemStmt = try db.prepare("SELECT ObjectID, Type, Name, Definition FROM GDB_Items ORDER BY ObjectID")
        while try itemStmt.step() {
            let type = (itemStmt.text(1) ?? "").uppercased()
            let definition = itemStmt.text(3).flatMap { GDBXMLElement.parse($0) }
            items.append(GDBItem(objectID: itemStmt.int64(0), type: type, name: itemStmt.text(2) ?? "",
                                 definition: definition))
        }

        var rowidColumns: [String: String] = [:]
        if tables["gdb_tableregistry"] != nil {
            for (t, c) in try db.rows("SELECT table_name, rowid_column FROM GDB_TableRegistry", { ($0.text(0) ?? "", $0.text(1)) }) {
                if let c, !c.isEmpty { rowidColumns[t.lowercased()] = c }
            }
        }
        var columnRegistry: [String: (sde: Int, size: Int?)] = [:]
        if tables["gdb_columnregistry"] != nil {
            for (t, c, sde, size) in try db.rows("SELECT table_name, column_name, sde_type, column_size FROM GDB_ColumnRegistry", {
                ($0.text(0) ?? "", $0.text(1) ?? "", Int($0.int64(2)), $0.isNull(3) ? nil : Int($0.int64(3)))
            }) {
                columnRegistry[t.lowercased() + "\u{0}" + c.lowercased()] = (sde, size)
            }
        }
        var geometryColumns: [String: GeometryColumn] = [:]
        if tables["st_geometry_columns"] != nil {
            for (t, c, g, s) in try db.rows("SELECT f_table_name, f_geometry_column, geometry_type, srid FROM st_geometry_columns", {
                ($0.text(0) ?? "", $0.text(1) ?? "", Int($0.int64(2)), Int($0.int64(3)))
            }) {
                geometryColumns[t.lowercased()] = GeometryColumn(column: c, geometryType: g, srid: s)
            }
        }
        var auxSRS: [Int: AuxSpatialReference] = [:]
        if tables["st_aux_spatial_reference_systems"] != nil {
            let s = try db.prepare("SELECT srid, auth_name, auth_srid, srtext, falsex, falsey, xyunits, falsez, zunits, falsem, munits, xycluster_tol FROM st_aux_spatial_reference_systems")
            while try s.step() {
                func d(_ i: Int32, _ def: Double) -> Double { s.isNull(i) ? def : s.double(i) }
                let grid = ShapeGrid(xOrigin: s.double(4), yOrigin: s.double(5), xyScale: s.double(6),
                                     zOrigin: d(7, 0), zScale: d(8, 1), mOrigin: d(9, 0), mScale: d(10, 1))
                auxSRS[Int(s.int64(0))] = AuxSpatialReference(
                    authName: s.text(1), authSRID: s.isNull(2) ? nil : Int(s.int64(2)), srtext: s.text(3),
                    grid: grid, xyTolerance: s.isNull(11) ? nil : s.double(11))
            }
        }
        var serviceLayers: [String: [String: Any]] = [:]
        var serviceLayersInOrder: [[String: Any]] = []
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

        // --- Domains and relationship classes.
        var domains: [String: RawDomain] = [:]
        for item in items where item.type == GDBItemType.codedValueDomain || item.type == GDBItemType.rangeDomain {
            if let xml = item.definition, let d = parseDomain(xml) {
                domains[d.name] = d
            } else {
                notes.append(Diagnostic(.inputSkipped, "domain '\(item.name)' has a definition this reader does not understand; fields using it get no domain", at: here))
            }
        }

        // --- Replica metadata.
        let stem = url.deletingPathExtension().lastPathComponent
        var replicaName = stem
        var replicaID: String?
        var syncModel: SyncModel?
        var replicaServerGen: Int64?
        var layerServerGens: [Int: Int64] = [:]
        var syncDataOptions: Int?
        if let item = items.first(where: { $0.type == GDBItemType.syncReplica }), let xml = item.definition {
            replicaName = xml.string("ReplicaName") ?? (item.name.isEmpty ? stem : item.name)
            replicaID = xml.string("ReplicaID")
            switch xml.string("SyncModel") {
            case "esriSyncModelPerLayer": syncModel = .perLayer
            case "esriSyncModelPerReplica": syncModel = .perReplica
            case "esriSyncModelNone": syncModel = SyncModel.none
            case let other?:
                notes.append(Diagnostic(.inputIrregular, "unknown replica sync model '\(other)'", at: here))
            case nil: break
            }
            let datasets = xml.descendants("GPSyncDataset")
            for ds in datasets {
                if let id = ds.string("LayerID").flatMap(Int.init), let gen = ds.string("ReplicaServerGen").flatMap(Int64.init) {
                    layerServerGens[id] = gen
                }
            }
            replicaServerGen = xml.string("ReplicaServerGen").flatMap(Int64.init)
            if syncModel == .perReplica && replicaServerGen == nil {
                replicaServerGen = datasets.compactMap { $0.string("ReplicaServerGen").flatMap(Int64.init) }.max()
            }
            if syncModel != .perLayer && syncModel != nil { layerServerGens = [:] }
            syncDataOptions = xml.descendants("SyncDataOptions").first.flatMap { Int($0.text.trimmingWhitespace()) }
        }

        // --- Layers.
        let hidden: (String) -> Bool = { name in
            let l = name.lowercased()
            return l.hasPrefix("gdb_") || l.hasPrefix("st_") || l.hasPrefix("sqlite_") || l.hasSuffix("__attach")
                || l.hasSuffix("__attachrel") || l == "consolidationmapping_gdb"
        }
        let classItems = items.filter { ($0.type == GDBItemType.featureClass || $0.type == GDBItemType.table) && !hidden($0.tableName) }
        var nextRunningID = (serviceLayersInOrder.compactMap { ($0["id"] as? NSNumber)?.intValue }.max() ?? -1) + 1
        var layers: [LayerSchema] = []
        var layerPlans: [LayerPlan] = []
        var tableToLayerID: [String: Int] = [:]

        for item in classItems {
            guard let table = tables[item.tableName.lowercased()] else {
                notes.append(Diagnostic(.inputSkipped, "the catalog lists '\(item.name)' but the file has no such table; skipped", at: here))
                continue
            }
            let lowerTable = table.lowercased()
            let json = serviceLayers[lowerTable]
            let xml = item.definition
            let layerID: Int
            if let id = (json?["id"] as? NSNumber)?.intValue {
                layerID = id
            } else {
                layerID = nextRunningID
                nextRunningID += 1
            }
            tableToLayerID[lowerTable] = layerID
            let layerLocation = ErrorLocation(input: file, layer: table)

            // Columns as the table really has them.
            let info = try db.rows("PRAGMA table_info(\(SQLName.quote(table)))") {
                (name: $0.text(1) ?? "", declared: $0.text(2) ?? "", notNull: $0.int64(3) != 0, pk: $0.int64(5) != 0)
            }
            let columnNames = Set(info.map { $0.name.lowercased() })
            let isArchive = columnNames.contains("gdb_to_date") && columnNames.contains("gdb_from_date")
            let archiveColumns: Set<String> = isArchive ? ["gdb_archive_oid", "gdb_from_date", "gdb_to_date"] : []

            let geometryColumn = geometryColumns[lowerTable]
            var oidColumn = rowidColumns[lowerTable]
                ?? (json?["objectIdField"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                ?? xml?.string("OIDFieldName")
            if oidColumn == nil, !isArchive, let pk = info.first(where: { $0.pk && $0.declared.lowercased().contains("int") }) {
                oidColumn = pk.name
            }
            let globalIDName = (json?["globalIdField"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                ?? ((xml?.string("HasGlobalID") == "true") ? xml?.string("GlobalIDFieldName") : nil)

            var xmlFields: [String: GDBXMLElement] = [:]
            for f in xml?.descendants("GPFieldInfoEx") ?? [] {
                if let n = f.string("Name") { xmlFields[n.lowercased()] = f }
            }
            var jsonFields: [String: [String: Any]] = [:]
            for f in json?["fields"] as? [[String: Any]] ?? [] {
                if let n = f["name"] as? String { jsonFields[n.lowercased()] = f }
            }

            var fields: [Field] = []
            var columns: [ColumnPlan] = []
            var shapeColumn: String?
            for col in info {
                let lower = col.name.lowercased()
                if archiveColumns.contains(lower) { continue }
                if let g = geometryColumn, g.column.lowercased() == lower {
                    shapeColumn = col.name
                    continue
                }
                let declared = fieldType(declared: col.declared)
                if declared.isGeometry {
                    notes.append(Diagnostic(.inputSkipped, "column '\(col.name)' holds geometry but is not the registered shape column; skipped", at: layerLocation))
                    continue
                }
                var type: FieldType
                var length: Int?
                if let reg = columnRegistry[lowerTable + "\u{0}" + lower] {
                    if reg.sde == 8 {
                        notes.append(Diagnostic(.inputSkipped, "column '\(col.name)' holds geometry but is not the registered shape column; skipped", at: layerLocation))
                        continue
                    }
                    guard let t = fieldType(sdeType: reg.sde) ?? declared.type else {
                        notes.append(Diagnostic(.inputSkipped, "column '\(col.name)' has ArcSDE type \(reg.sde) and declared type '\(col.declared)', which this reader does not know; skipped", at: layerLocation))
                        continue
                    }
                    type = t
                    if t == .string, reg.sde == 5, let size = reg.size, size > 0, size < Int(Int32.max) { length = size }
                    else if t == .string { length = declared.length }
                } else if let t = declared.type {
                    type = t
                    length = declared.length
                } else {
                    notes.append(Diagnostic(.inputSkipped, "column '\(col.name)' has declared type '\(col.declared)', which this reader does not know; skipped", at: layerLocation))
                    continue
                }
                let jf = jsonFields[lower]
                let xf = xmlFields[lower]
                let declaredEsriType = (jf?["type"] as? String) ?? xf?.string("FieldType")
                if let oid = oidColumn, oid.lowercased() == lower {
                    type = .objectID
                } else if type == .guid && (declaredEsriType == FieldType.globalID.rawValue
                                            || globalIDName?.lowercased() == lower) {
                    type = .globalID
                }
                var field = Field(name: col.name, type: type, length: type == .string ? length : nil)
                field.alias = (jf?["alias"] as? String) ?? xf?.string("AliasName")
                if let nullable = jf?["nullable"] as? Bool {
                    field.nullable = nullable
                } else if let x = xf?.string("IsNullable") {
                    field.nullable = x == "true"
                } else {
                    field.nullable = !col.notNull
                }
                if type == .objectID { field.nullable = false }
                if let editable = jf?["editable"] as? Bool {
                    field.editable = editable
                } else if let x = xf?.string("Editable") {
                    field.editable = x == "true"
                } else {
                    field.editable = type != .objectID && type != .globalID
                }
                // Domain: the class XML names it, else the layer JSON carries it.
                var raw: RawDomain?
                if let name = xf?.string("DomainName") {
                    raw = domains[name]
                    if raw == nil, let jd = jf?["domain"] as? [String: Any] { raw = parseDomain(json: jd) }
                    if raw == nil {
                        notes.append(Diagnostic(.inputIrregular, "field '\(col.name)' names domain '\(name)', which the file does not define", at: layerLocation))
                    }
                } else if let jd = jf?["domain"] as? [String: Any] {
                    raw = (jd["name"] as? String).flatMap { domains[$0] } ?? parseDomain(json: jd)
                }
                if let raw {
                    if let d = typedDomain(raw, for: type) {
                        field.domain = d
                    } else {
                        notes.append(Diagnostic(.inputIrregular, "domain '\(raw.name)' has codes that do not fit field '\(col.name)' (\(type.rawValue)); the field gets no domain", at: layerLocation))
                    }
                }
                fields.append(field)
                columns.append(ColumnPlan(name: col.name, storage: type.storage))
            }

            // Geometry, grid and spatial reference.
            var geometryType: GeometryType?
            var hasZ = false
            var hasM = false
            var grid: ShapeGrid?
            var spatialReference: SpatialReference?
            let isFeatureClass = item.type == GDBItemType.featureClass
            if isFeatureClass, shapeColumn == nil {
                notes.append(Diagnostic(.inputIrregular, "feature class without a registered shape column in st_geometry_columns; read as a table", at: layerLocation))
            }
            if let g = geometryColumn, shapeColumn != nil {
                let base = g.geometryType % 1000
                switch base {
                case 1: geometryType = .point
                case 4: geometryType = .multipoint
                case 5: geometryType = .polyline
                case 6: geometryType = .polygon
                default:
                    throw ReplicaExportError(.unsupported, "geometry type code \(g.geometryType) in st_geometry_columns is not one this reader knows (1 point, 4 multipoint, 5 line, 6 polygon, +1000 Z, +2000 M)", at: layerLocation)
                }
                let dims = g.geometryType / 1000
                hasZ = dims == 1 || dims == 3
                hasM = dims == 2 || dims == 3
                if let x = xml?.string("HasZ") { hasZ = hasZ || x == "true" }
                if let x = xml?.string("HasM") { hasM = hasM || x == "true" }

                let xmlSR = xml?.descendants("SpatialReference").last
                let jsonSR = (json?["extent"] as? [String: Any])?["spatialReference"] as? [String: Any]
                let aux = auxSRS[g.srid]
                // Grid: st_aux, class XML, layer JSON, built-in defaults.
                func number(_ d: [String: Any]?, _ k: String) -> Double? { (d?[k] as? NSNumber)?.doubleValue }
                if let aux {
                    grid = aux.grid
                } else if let xg = xmlSR?.grid {
                    grid = xg
                } else if let fx = number(jsonSR, "falseX"), let fy = number(jsonSR, "falseY"), let u = number(jsonSR, "xyUnits"), u > 0 {
                    grid = ShapeGrid(xOrigin: fx, yOrigin: fy, xyScale: u,
                                     zOrigin: number(jsonSR, "falseZ") ?? -100000, zScale: number(jsonSR, "zUnits") ?? 10000,
                                     mOrigin: number(jsonSR, "falseM") ?? -100000, mScale: number(jsonSR, "mUnits") ?? 10000)
                } else if g.srid == 4326 {
                    grid = ShapeGrid(xOrigin: -400, yOrigin: -400, xyScale: 1e9, zOrigin: -100000, zScale: 10000, mOrigin: -100000, mScale: 10000)
                } else if g.srid == 3857 || g.srid == 102100 {
                    grid = ShapeGrid(xOrigin: -20037700, yOrigin: -30241100, xyScale: 1e4, zOrigin: -100000, zScale: 10000, mOrigin: -100000, mScale: 10000)
                } else {
                    throw ReplicaExportError(.unsupported, "no coordinate grid (origin and scale) found for srid \(g.srid): not in st_aux_spatial_reference_systems, the class definition or the layer JSON", at: layerLocation)
                }
                // CRS: class XML, st_aux, layer JSON, the column srid.
                var sr = SpatialReference()
                if let xmlSR, xmlSR.string("WKID") != nil || xmlSR.string("LatestWKID") != nil || xmlSR.string("WKT") != nil {
                    sr.wkid = xmlSR.string("WKID").flatMap(Int.init)
                    sr.latestWkid = xmlSR.string("LatestWKID").flatMap(Int.init)
                    sr.wkt = xmlSR.string("WKT")
                    sr.xyTolerance = xmlSR.string("XYTolerance").flatMap(Double.init)
                    sr.verticalWkid = xmlSR.string("LatestVCSWKID").flatMap(Int.init) ?? xmlSR.string("VCSWKID").flatMap(Int.init)
                } else if let aux, (aux.authSRID.map { $0 < 300000 } ?? false) || (aux.srtext.map { $0 != "UNKNOWN" && !$0.isEmpty } ?? false) {
                    if let code = aux.authSRID, code < 300000 { sr.wkid = code }
                    if let t = aux.srtext, t != "UNKNOWN", !t.isEmpty { sr.wkt = t }
                    sr.xyTolerance = aux.xyTolerance
                } else if let jsonSR, jsonSR["wkid"] != nil || jsonSR["latestWkid"] != nil || jsonSR["wkt"] != nil {
                    sr.wkid = (jsonSR["wkid"] as? NSNumber)?.intValue
                    sr.latestWkid = (jsonSR["latestWkid"] as? NSNumber)?.intValue
                    sr.wkt = jsonSR["wkt"] as? String
                    sr.xyTolerance = number(jsonSR, "xyTolerance")
                } else if g.srid < 300000 {
                    sr.wkid = g.srid
                    notes.append(Diagnostic(.inputIrregular, "spatial reference taken from the column's srid \(g.srid) alone", at: layerLocation))
                } else {
                    notes.append(Diagnostic(.noSpatialReference, "no spatial reference found for srid \(g.srid)", at: layerLocation))
                }
                sr.xyResolution = grid.map { 1 / $0.xyScale }
                spatialReference = sr
            }

            // Attachments.
            var attachmentTable: String?
            var attachmentIsArchive = false
            var attachmentColumns: Set<String> = []
            if let t = tables[(table + "__ATTACH").lowercased()] {
                attachmentTable = t
                let cols = try db.rows("PRAGMA table_info(\(SQLName.quote(t)))") { ($0.text(1) ?? "").uppercased() }
                attachmentColumns = Set(cols)
                attachmentIsArchive = attachmentColumns.contains("GDB_TO_DATE")
            }

            let kind: LayerSchema.Kind = shapeColumn != nil ? .featureLayer : .table
            let name = (json?["name"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? table
            let oidFieldName = fields.first(where: { $0.type == .objectID })?.name
            let globalIDFieldName = fields.first(where: { $0.type == .globalID })?.name
            layers.append(LayerSchema(
                id: layerID, name: name, kind: kind, geometryType: geometryType, hasZ: hasZ, hasM: hasM,
                spatialReference: spatialReference, objectIdField: oidFieldName, globalIdField: globalIDFieldName,
                fields: fields, relationships: [], hasAttachments: attachmentTable != nil,
                schemaSource: json != nil ? .layerResource : .geodatabase))
            layerPlans.append(LayerPlan(
                table: table, columns: columns, shapeColumn: shapeColumn, grid: grid, isArchive: isArchive,
                oidColumn: oidFieldName, attachmentTable: attachmentTable, attachmentIsArchive: attachmentIsArchive,
                attachmentColumns: attachmentColumns))
        }

        // --- Relationships: the layer JSON's when it has them, else the relationship classes'.
        var relID = 0
        for item in items where item.type == GDBItemType.relationshipClass {
            guard let xml = item.definition, xml.string("IsAttachmentRelationship") != "true" else { continue }
            let strip: (String) -> String = { $0.lowercased().hasPrefix("main.") ? String($0.dropFirst(5)) : $0 }
            guard let origin = xml.child("OriginClassNames")?.string("Name").map(strip),
                  let destination = xml.child("DestinationClassNames")?.string("Name").map(strip),
                  let oi = layerPlans.firstIndex(where: { $0.table.lowercased() == origin.lowercased() }),
                  let di = layerPlans.firstIndex(where: { $0.table.lowercased() == destination.lowercased() }) else {
                notes.append(Diagnostic(.inputSkipped, "relationship class '\(item.name)' relates classes this reader does not export; skipped", at: here))
                continue
            }
            let cardinality = xml.string("Cardinality").flatMap(Relationship.Cardinality.init(rawValue:)) ?? .oneToMany
            let keys = xml.descendants("RelationshipClassKey")
            func key(_ role: String) -> String? {
                keys.first(where: { $0.string("KeyRole") == role })?.string("ObjectKeyName")
            }
            let composite = xml.string("IsComposite") == "true"
            let relName = strip(item.name)
            let id = relID
            relID += 1
            if layers[oi].schemaSource != .layerResource || !(serviceLayers[layerPlans[oi].table.lowercased()]?["relationships"] is [Any]) {
                layers[oi].relationships.append(Relationship(
                    id: id, name: relName, relatedLayerId: layers[di].id, cardinality: cardinality, role: .origin,
                    keyField: key("esriRelKeyRoleOriginPrimary") ?? "", isComposite: composite))
            }
            if layers[di].schemaSource != .layerResource || !(serviceLayers[layerPlans[di].table.lowercased()]?["relationships"] is [Any]) {
                layers[di].relationships.append(Relationship(
                    id: id, name: relName, relatedLayerId: layers[oi].id, cardinality: cardinality, role: .destination,
                    keyField: key("esriRelKeyRoleOriginForeign") ?? key("esriRelKeyRoleDestinationForeign") ?? "", isComposite: composite))
            }
        }
        for i in layers.indices {
            guard let rels = serviceLayers[layerPlans[i].table.lowercased()]?["relationships"] as? [[String: Any]] else { continue }
            for r in rels {
                guard let id = (r["id"] as? NSNumber)?.intValue,
                      let related = (r["relatedTableId"] as? NSNumber)?.intValue else { continue }
                layers[i].relationships.append(Relationship(
                    id: id, name: (r["name"] as? String) ?? "relationship_\(id)", relatedLayerId: related,
                    cardinality: (r["cardinality"] as? String).flatMap(Relationship.Cardinality.init(rawValue:)) ?? .oneToMany,
                    role: (r["role"] as? String).flatMap(Relationship.Role.init(rawValue:)) ?? .origin,
                    keyField: (r["keyField"] as? String) ?? "", isComposite: (r["composite"] as? Bool) ?? false))
            }
        }

        // Layers in service-layer-id order.
        let order = layers.indices.sorted { layers[$0].id < layers[$1].id }
        plans = order.map { layerPlans[$0] }
        replica = Replica(name: replicaName, id: replicaID, syncModel: syncModel, replicaServerGen: replicaServerGen,
                          layerServerGens: layerServerGens, syncDataOptions: syncDataOptions,
                          layers: order.map { layers[$0] })
        diagnostics = notes
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
