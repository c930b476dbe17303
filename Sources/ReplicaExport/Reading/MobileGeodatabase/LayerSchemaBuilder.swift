import Foundation

/// Builds each exported class's ``LayerSchema`` and the ``LayerPlan`` that streams it: the table's
/// real columns become fields, typed by GDB_ColumnRegistry or the declared type, described (alias,
/// nullability, editability, domain) by the layer JSON first and the class XML second.
///
/// The columns come from `PRAGMA table_info`, never from the class XML, whose field list is
/// incomplete in older files.
struct LayerSchemaBuilder {
    let db: SQLiteConnection
    let catalog: GeodatabaseCatalog
    /// The catalog's domains by name.
    let domains: [String: RawDomain]
    let resolver: SpatialReferenceResolver
    let file: String

    /// The coded-value and range domains the catalog defines, by name.
    static func domains(in items: [GDBItem], file: String, notes: inout [Diagnostic]) -> [String: RawDomain] {
        var domains: [String: RawDomain] = [:]
        for item in items where item.type == GDBItemType.codedValueDomain || item.type == GDBItemType.rangeDomain {
            if let xml = item.definition, let d = parseDomain(xml) {
                domains[d.name] = d
            } else {
                notes.append(Diagnostic(.inputSkipped, "domain '\(item.name)' has a definition this reader does not understand; fields using it get no domain", at: ErrorLocation(input: file)))
            }
        }
        return domains
    }

    /// One schema and plan per exported class whose table exists, in catalog order, relationships
    /// not yet attached, and the classes whose table is gone. A class without a service layer id
    /// gets the next id after the service's.
    func buildLayers(notes: inout [Diagnostic]) throws
        -> (layers: [LayerSchema], plans: [LayerPlan], unreadable: [UnreadableLayer]) {
        var nextRunningID = (catalog.serviceLayersInOrder.compactMap { ($0["id"] as? NSNumber)?.intValue }.max() ?? -1) + 1
        var layers: [LayerSchema] = []
        var plans: [LayerPlan] = []
        var unreadable: [UnreadableLayer] = []
        for item in catalog.classItems {
            guard let table = catalog.tables[item.tableName.lowercased()] else {
                // A damaged file: the layer's features are gone. Not a note that an export of
                // "everything" could pass over; the exporter refuses unless other layers are chosen.
                let id = (catalog.serviceLayers[item.tableName.lowercased()]?["id"] as? NSNumber)?.intValue
                let error = ReplicaExportError(.corrupt,
                    "the catalog lists layer '\(item.name)'\(id.map { " (id \($0))" } ?? "") but the file has no table '\(item.tableName)': the geodatabase is damaged; restore it from the device or the service, or export only the other layers",
                    at: ErrorLocation(input: file, layer: item.name))
                unreadable.append(UnreadableLayer(id: id, name: item.name, error: error))
                continue
            }
            let layerID: Int
            if let id = (catalog.serviceLayers[table.lowercased()]?["id"] as? NSNumber)?.intValue {
                layerID = id
            } else {
                layerID = nextRunningID
                nextRunningID += 1
            }
            let (layer, plan) = try buildLayer(item, table: table, id: layerID, notes: &notes)
            layers.append(layer)
            plans.append(plan)
        }
        return (layers, plans, unreadable)
    }

    /// The schema and plan of one class stored in `table`.
    func buildLayer(_ item: GDBItem, table: String, id layerID: Int,
                    notes: inout [Diagnostic]) throws -> (LayerSchema, LayerPlan) {
        let lowerTable = table.lowercased()
        let json = catalog.serviceLayers[lowerTable]
        let xml = item.definition
        let layerLocation = ErrorLocation(input: file, layer: table)

        // Columns as the table really has them.
        let info = try db.rows("PRAGMA table_info(\(SQLName.quote(table)))") {
            TableColumn(name: $0.text(1) ?? "", declared: $0.text(2) ?? "", notNull: $0.int64(3) != 0, pk: $0.int64(5) != 0)
        }
        let columnNames = Set(info.map { $0.name.lowercased() })
        let isArchive = columnNames.contains("gdb_to_date") && columnNames.contains("gdb_from_date")

        let geometryColumn = catalog.geometryColumns[lowerTable]
        let (fields, columns, shapeColumn) = buildFields(
            info, table: table, isArchive: isArchive, geometryColumn: geometryColumn, json: json, xml: xml,
            location: layerLocation, notes: &notes)

        // Geometry, grid and spatial reference.
        var geometryType: GeometryType?
        var hasZ = false
        var hasM = false
        var grid: ShapeGrid?
        var spatialReference: SpatialReference?
        if item.type == GDBItemType.featureClass, shapeColumn == nil {
            notes.append(Diagnostic(.inputIrregular, "feature class without a registered shape column in st_geometry_columns; read as a table", at: layerLocation))
        }
        if let g = geometryColumn, shapeColumn != nil {
            let resolved = try resolver.resolve(g, xml: xml, json: json, location: layerLocation, notes: &notes)
            geometryType = resolved.geometryType
            hasZ = resolved.hasZ
            hasM = resolved.hasM
            grid = resolved.grid
            spatialReference = resolved.spatialReference
        }

        // Attachments.
        var attachmentTable: String?
        var attachmentIsArchive = false
        var attachmentColumns: Set<String> = []
        if let t = catalog.tables[(table + "__ATTACH").lowercased()] {
            attachmentTable = t
            let cols = try db.rows("PRAGMA table_info(\(SQLName.quote(t)))") { ($0.text(1) ?? "").uppercased() }
            attachmentColumns = Set(cols)
            attachmentIsArchive = attachmentColumns.contains("GDB_TO_DATE")
        }

        let kind: LayerSchema.Kind = shapeColumn != nil ? .featureLayer : .table
        let name = (json?["name"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? table
        let oidFieldName = fields.first(where: { $0.type == .objectID })?.name
        let globalIDFieldName = fields.first(where: { $0.type == .globalID })?.name
        let built = LayerSchema(
            id: layerID, name: name, kind: kind, geometryType: geometryType, hasZ: hasZ, hasM: hasM,
            spatialReference: spatialReference, objectIdField: oidFieldName, globalIdField: globalIDFieldName,
            fields: fields, relationships: [], hasAttachments: attachmentTable != nil,
            schemaSource: json != nil ? .layerResource : .geodatabase)
        var withSubtypes = built
        if let json {
            // Subtypes as the layer JSON carries them (GDB_ServiceItems), read as an Esri JSON
            // layer resource's; a file whose JSON has none has none.
            try EsriSchema.readSubtypes(JSONValue(foundation: json), into: &withSubtypes, location: layerLocation)
        }
        let layer = withSubtypes
        let plan = LayerPlan(
            table: table, columns: columns, shapeColumn: shapeColumn, grid: grid, isArchive: isArchive,
            oidColumn: oidFieldName, attachmentTable: attachmentTable, attachmentIsArchive: attachmentIsArchive,
            attachmentColumns: attachmentColumns)
        return (layer, plan)
    }

    /// A row of `PRAGMA table_info`.
    struct TableColumn {
        var name: String
        var declared: String
        var notNull: Bool
        var pk: Bool
    }

    /// The fields of a table's columns, with the plan reading them, and the shape column's name.
    /// Archive bookkeeping columns, the shape column and columns of unknown types are not fields.
    func buildFields(_ info: [TableColumn], table: String, isArchive: Bool, geometryColumn: GeometryColumn?,
                     json: [String: Any]?, xml: GDBXMLElement?, location layerLocation: ErrorLocation,
                     notes: inout [Diagnostic]) -> (fields: [Field], columns: [ColumnPlan], shapeColumn: String?) {
        let lowerTable = table.lowercased()
        let archiveColumns: Set<String> = isArchive ? ["gdb_archive_oid", "gdb_from_date", "gdb_to_date"] : []
        var oidColumn = catalog.rowidColumns[lowerTable]
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
            if let reg = catalog.columnRegistry[lowerTable + "\u{0}" + lower] {
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
            // The layer JSON's length of a non-text field (ArcGIS's 8 or 36 for a date, 38 for a
            // GlobalID), which the column does not carry.
            if type != .string, let jsonLength = (jf?["length"] as? NSNumber)?.intValue { field.length = jsonLength }
            // Where the layer JSON describes the field, its alias is the field's (none when it has
            // none); the class XML gives every field one, its name where it has none of its own.
            field.alias = jf != nil ? jf?["alias"] as? String : xf?.string("AliasName")
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
            field.domain = domain(of: col.name, type: type, xmlField: xf, jsonField: jf, location: layerLocation, notes: &notes)
            fields.append(field)
            columns.append(ColumnPlan(name: col.name, storage: type.storage))
        }
        return (fields, columns, shapeColumn)
    }

    /// The domain of a field: the one the class XML names, else the one the layer JSON carries,
    /// typed like the field; nil (with a note) when it is missing or its codes do not fit.
    func domain(of column: String, type: FieldType, xmlField xf: GDBXMLElement?, jsonField jf: [String: Any]?,
                location layerLocation: ErrorLocation, notes: inout [Diagnostic]) -> Domain? {
        var raw: RawDomain?
        if let name = xf?.string("DomainName") {
            raw = domains[name]
            if raw == nil, let jd = jf?["domain"] as? [String: Any] { raw = parseDomain(json: jd) }
            if raw == nil {
                notes.append(Diagnostic(.inputIrregular, "field '\(column)' names domain '\(name)', which the file does not define", at: layerLocation))
            }
        } else if let jd = jf?["domain"] as? [String: Any] {
            raw = (jd["name"] as? String).flatMap { domains[$0] } ?? parseDomain(json: jd)
        }
        guard let raw else { return nil }
        guard let d = typedDomain(raw, for: type) else {
            notes.append(Diagnostic(.inputIrregular, "domain '\(raw.name)' has codes that do not fit field '\(column)' (\(type.rawValue)); the field gets no domain", at: layerLocation))
            return nil
        }
        return d
    }
}

extension JSONValue {
    /// A value `JSONSerialization` made (a layer JSON of GDB_ServiceItems), as the Esri JSON
    /// reader's schema code takes it: numbers integral where they are, objects in key order.
    init(foundation value: Any) {
        switch value {
        case let s as String: self = .string(s)
        case let n as NSNumber:
            let kind = String(cString: n.objCType)
            if kind == "c" || kind == "B" {
                self = .bool(n.boolValue)
            } else if let i = Int64(exactly: n.doubleValue), kind != "d" && kind != "f" {
                self = .number(.int(i))
            } else {
                self = .number(.double(n.doubleValue))
            }
        case let a as [Any]: self = .array(a.map(JSONValue.init(foundation:)))
        case let o as [String: Any]: self = .object(o.keys.sorted().map { ($0, JSONValue(foundation: o[$0]!)) })
        default: self = .null
        }
    }
}
