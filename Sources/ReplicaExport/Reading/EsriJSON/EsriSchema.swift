import Foundation

/// Reading layer resources (`/FeatureServer/layers?f=json`, `/FeatureServer/N?f=json`) and the
/// schema parts of a FeatureSet into the model.
enum EsriSchema {
    /// A spatial reference object; nil when it names nothing.
    static func spatialReference(_ v: JSONValue?) -> SpatialReference? {
        guard let v, case .object = v else { return nil }
        var sr = SpatialReference(wkid: v["wkid"]?.int, latestWkid: v["latestWkid"]?.int,
                                  wkt: v["wkt"]?.string ?? v["wkt2"]?.string,
                                  verticalWkid: v["latestVcsWkid"]?.int ?? v["vcsWkid"]?.int)
        if let r = v["xyResolution"]?.double, r > 0 {
            sr.xyResolution = r
        } else if let units = v["xyUnits"]?.double, units > 0, units.isFinite {
            sr.xyResolution = 1 / units
        }
        if let t = v["xyTolerance"]?.double, t > 0 { sr.xyTolerance = t }
        if sr.wkid == nil && sr.latestWkid == nil && sr.wkt == nil && sr.xyResolution == nil { return nil }
        return sr
    }

    /// A geometry type name, matched as leniently as Esri's clients match it: any case, with or
    /// without the `esriGeometry` prefix (GDAL writes `esriGeometryMultiPoint`).
    static func geometryType(_ s: String?) -> GeometryType? {
        guard let s else { return nil }
        if let exact = GeometryType(rawValue: s) { return exact }
        var name = s.trimmingCharacters(in: .whitespaces).lowercased()
        if name.hasPrefix("esrigeometry") { name.removeFirst("esrigeometry".count) }
        switch name {
        case "point": return .point
        case "multipoint": return .multipoint
        case "polyline", "line": return .polyline
        case "polygon": return .polygon
        case "envelope": return .envelope
        default: return nil
        }
    }

    /// Coerces a domain code (or range bound) to the field's storage; nil when it does not fit.
    static func coerceCode(_ v: JSONValue, to type: FieldType) -> Value? {
        switch v {
        case .null: return .null
        case .number(let n): return EsriValues.coerce(number: n, to: type)
        case .string(let s): return try? EsriValues.coerce(string: s, to: type)
        case .bool(let b): return type.storage == .string ? .string(b ? "true" : "false") : nil
        default: return nil
        }
    }

    static func domain(_ v: JSONValue?, fieldType: FieldType, location: ErrorLocation) throws -> Domain? {
        guard let v, case .object = v else { return nil }
        let name = v["name"]?.string ?? ""
        switch v["type"]?.string {
        case "codedValue":
            var codes: [CodedValue] = []
            for item in v["codedValues"]?.array ?? [] {
                guard let codeJSON = item["code"] else { continue }
                guard let code = coerceCode(codeJSON, to: fieldType) else {
                    throw ReplicaExportError(.unexpectedType,
                                       "coded value domain '\(name)': code \(codeJSON) does not fit the field type \(fieldType.rawValue)",
                                       at: location)
                }
                codes.append(CodedValue(code: code, name: item["name"]?.string ?? ""))
            }
            return .codedValue(name: name, codes: codes)
        case "range":
            guard let r = v["range"]?.array, r.count == 2,
                  let lo = coerceCode(r[0], to: fieldType), let hi = coerceCode(r[1], to: fieldType) else {
                throw ReplicaExportError(.unexpectedType, "range domain '\(name)': 'range' must be [min, max] fitting the field type",
                                   at: location)
            }
            return .range(name: name, minimum: lo, maximum: hi)
        default:
            return nil  // "inherited" (in types/subtypes) and unknown kinds carry no domain of their own
        }
    }

    static func fields(_ v: JSONValue?, location: ErrorLocation) throws -> [Field]? {
        var renamed: [(String, String)] = []
        return try fields(v, location: location, renamed: &renamed)
    }

    /// The fields; a name used twice (ignoring case, as the formats compare names) is renamed
    /// `name_1`, `name_2`, ... for the later fields, and each renaming is added to `renamed`.
    /// Attribute values go to the first field of a name.
    static func fields(_ v: JSONValue?, location: ErrorLocation, renamed: inout [(String, String)]) throws -> [Field]? {
        guard let v else { return nil }
        guard let items = v.array else {
            if v.isNull { return nil }
            throw ReplicaExportError(.unexpectedType, "'fields' must be an array, found \(v.kindName)", at: location)
        }
        var result: [Field] = []
        for item in items {
            guard let name = item["name"]?.string else {
                throw ReplicaExportError(.unexpectedType, "a field without a 'name'", at: location)
            }
            let typeName = item["type"]?.string ?? ""
            // The shape column some services list among the fields is the geometry, not an attribute.
            if typeName == "esriFieldTypeGeometry" { continue }
            guard let type = FieldType(rawValue: typeName) else {
                throw ReplicaExportError(.unsupported, "field '\(name)' has the unknown type '\(typeName)'", at: location)
            }
            var loc = location
            loc.detail = "field '\(name)'"
            var unique = name
            if result.contains(where: { $0.name.lowercased() == name.lowercased() }) {
                var n = 1
                while result.contains(where: { $0.name.lowercased() == "\(name)_\(n)".lowercased() })
                        || items.contains(where: { $0["name"]?.string?.lowercased() == "\(name)_\(n)".lowercased() }) {
                    n += 1
                }
                unique = "\(name)_\(n)"
                renamed.append((name, unique))
            }
            result.append(Field(name: unique, type: type, alias: item["alias"]?.string,
                                length: item["length"]?.int,
                                nullable: item["nullable"]?.bool ?? true,
                                editable: item["editable"]?.bool ?? true,
                                domain: try domain(item["domain"], fieldType: type, location: loc)))
        }
        return result
    }

    /// The OID field is always a field: layer resources list it, but a hand-trimmed one may not; then it
    /// is added first.
    static func ensuringObjectIdField(_ oid: String?, in fields: [Field]) -> [Field] {
        guard let oid, !oid.isEmpty else { return fields }
        if fields.contains(where: { $0.name.lowercased() == oid.lowercased() }) { return fields }
        return [Field(name: oid, type: .objectID, alias: oid, nullable: false, editable: false)] + fields
    }

    static func relationships(_ v: JSONValue?) -> [Relationship] {
        (v?.array ?? []).compactMap { r in
            guard let id = r["id"]?.int, let related = r["relatedTableId"]?.int else { return nil }
            return Relationship(id: id, name: r["name"]?.string ?? "relationship_\(id)", relatedLayerId: related,
                                cardinality: Relationship.Cardinality(rawValue: r["cardinality"]?.string ?? "") ?? .oneToMany,
                                role: Relationship.Role(rawValue: r["role"]?.string ?? "") ?? .origin,
                                keyField: r["keyField"]?.string ?? "",
                                isComposite: r["composite"]?.bool ?? false)
        }
    }

    /// One layer resource. `isTable` when it came from the `tables` array.
    static func layer(_ v: JSONValue, isTable: Bool, file: String) throws -> LayerSchema {
        let location = ErrorLocation(input: file, layer: v["name"]?.string, detail: "layer resource")
        guard let id = v["id"]?.int else {
            throw ReplicaExportError(.unexpectedType, "a layer resource without a numeric 'id'", at: location)
        }
        let kind: LayerSchema.Kind = (isTable || v["type"]?.string == "Table") ? .table : .featureLayer
        let declared = try self.fields(v["fields"], location: location) ?? []
        var gtype = geometryType(v["geometryType"]?.string)
        if kind == .table { gtype = nil }
        let sr = spatialReference(v["extent"]?["spatialReference"]) ?? spatialReference(v["sourceSpatialReference"])
            ?? spatialReference(v["spatialReference"])
        var oid = v["objectIdField"]?.string
        if oid == nil { oid = declared.first(where: { $0.type == .objectID })?.name }
        let fields = ensuringObjectIdField(oid, in: declared)
        var gid = v["globalIdField"]?.string
        if gid == nil || gid == "" { gid = fields.first(where: { $0.type == .globalID })?.name }
        var layer = LayerSchema(id: id, name: v["name"]?.string, kind: kind, geometryType: gtype,
                           hasZ: v["hasZ"]?.bool ?? false, hasM: v["hasM"]?.bool ?? false,
                           spatialReference: sr, objectIdField: oid, globalIdField: gid, fields: fields,
                           relationships: relationships(v["relationships"]),
                           hasAttachments: v["hasAttachments"]?.bool ?? false,
                           schemaSource: .layerResource)
        try readSubtypes(v, into: &layer, location: location)
        return layer
    }

    /// `subtypeField` + `subtypes` ({code, name, domains, defaultValues}), or the older
    /// `typeIdField` + `types` ({id, name, domains, templates[0].prototype.attributes}).
    static func readSubtypes(_ v: JSONValue, into layer: inout LayerSchema, location: ErrorLocation) throws {
        let fieldName = [v["subtypeField"]?.string, v["typeIdField"]?.string].compactMap { $0 }.first { !$0.isEmpty }
        guard let fieldName, let subtypeField = layer.fields.first(where: { $0.name.lowercased() == fieldName.lowercased() }) else {
            return
        }
        layer.subtypeField = subtypeField.name
        let items = v["subtypes"]?.array ?? v["types"]?.array ?? []
        for item in items {
            guard let codeJSON = item["code"] ?? item["id"], let code = coerceCode(codeJSON, to: subtypeField.type) else { continue }
            var subtype = Subtype(code: code, name: item["name"]?.string ?? "")
            for (name, domainJSON) in item["domains"]?.members ?? [] {
                guard let field = layer.fields.first(where: { $0.name.lowercased() == name.lowercased() }),
                      let domain = try domain(domainJSON, fieldType: field.type, location: location) else { continue }
                subtype.domains[field.name] = domain
            }
            let defaults = item["defaultValues"] ?? item["templates"]?.array?.first?["prototype"]?["attributes"]
            for (name, valueJSON) in defaults?.members ?? [] {
                guard let field = layer.fields.first(where: { $0.name.lowercased() == name.lowercased() }),
                      let value = coerceCode(valueJSON, to: field.type) else { continue }
                subtype.defaultValues[field.name] = value
            }
            layer.subtypes.append(subtype)
        }
    }

    /// A schema file: `{"layers": [...], "tables": [...]}` or one layer resource.
    static func read(url: URL, chunkSize: Int) throws -> [LayerSchema] {
        // A payload given as its schema would lend its layers' ids and no fields: every attribute
        // dropped. The structural pass (features skipped, not held) tells a payload at once.
        if let survey = try? Survey.run(url: url, chunkSize: chunkSize),
           survey.kind == .featureSet || survey.layersWithData > 0 {
            throw ReplicaExportError(.notAReplica,
                "the schema file holds features: it is a payload, not the service's layer resources; give /FeatureServer/layers?f=json (or /FeatureServer/N?f=json) as the schema",
                at: ErrorLocation(input: url.path))
        }
        let scanner = try JSONScanner(url: url, chunkSize: chunkSize)
        guard let first = try scanner.peekNonSpace() else {
            throw ReplicaExportError(.truncated, "the schema file is empty", at: ErrorLocation(input: url.path, byteOffset: 0))
        }
        guard first == UInt8(ascii: "{") else {
            throw ReplicaExportError(.unknownFormat, "a schema file must be a JSON object: the service's layer resources (/FeatureServer/layers?f=json) or one layer (/FeatureServer/N?f=json)",
                               at: ErrorLocation(input: url.path, byteOffset: scanner.offset))
        }
        let doc = try scanner.readValue()
        if !(try scanner.atEndOfInput()) { throw scanner.syntaxError("unexpected content after the top-level object") }
        var result: [LayerSchema] = []
        if doc["layers"] != nil || doc["tables"] != nil {
            for (key, isTable) in [("layers", false), ("tables", true)] {
                guard let list = doc[key], !list.isNull else { continue }
                guard let items = list.array else {
                    throw ReplicaExportError(.unexpectedType, "'\(key)' must be an array, found \(list.kindName)",
                                       at: ErrorLocation(input: url.path))
                }
                for item in items { result.append(try layer(item, isTable: isTable, file: url.path)) }
            }
        } else if doc["fields"] != nil && (doc["id"] != nil || doc["name"] != nil || doc["type"] != nil) {
            result.append(try layer(doc, isTable: false, file: url.path))
        } else if let error = doc["error"] {
            throw ReplicaExportError(.unknownFormat, "the schema file holds a service error, not layer resources: \(error["message"]?.string ?? "")",
                               at: ErrorLocation(input: url.path))
        } else {
            throw ReplicaExportError(.unknownFormat, "not a layer resource: expected {\"layers\": [...], \"tables\": [...]} or one layer with 'fields' and 'id'",
                               at: ErrorLocation(input: url.path))
        }
        var seen: Set<Int> = []
        for layer in result where !seen.insert(layer.id).inserted {
            throw ReplicaExportError(.schemaMismatch, "two layer resources have the id \(layer.id); each layer must be listed once",
                                     at: ErrorLocation(input: url.path, layer: layer.name))
        }
        return result
    }
}
