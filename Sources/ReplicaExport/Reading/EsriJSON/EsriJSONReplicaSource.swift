import Foundation

/// Reads Esri JSON: a createReplica payload (dataFormat=json), a feature-service query page
/// (a FeatureSet) as a one-layer replica, or an ArcGIS feature collection (`{"layers":
/// [{"layerDefinition", "featureSet"}]}`, the web map's object, each layer's schema in its
/// definition). Streams: memory does not grow with the file.
///
/// Opening makes one cheap pass over the file (structure only, feature values skipped) that records
/// each layer's byte range; layers without a schema get a second pass that infers field types from
/// the values; a cursor (``featureCursor(inLayer:batchSize:)``) then seeks to the layer and converts
/// as it is pulled.
///
/// The schema of a replica's layers comes from the service's layer resources: `schemaURL`, or
/// `<payload-stem>.layers.json` beside the payload (stem = file name without its last extension),
/// holding `{"layers": [...], "tables": [...]}` (`/FeatureServer/layers?f=json`) or one layer resource
/// (`/FeatureServer/N?f=json`). Layers are matched by id. Without one, field types are inferred (see
/// ``SchemaInference``) and a ``Diagnostic`` says so.
///
/// Embedded attachment bytes are read from the member `data` (base64).
package final class EsriJSONReplicaSource: ReplicaSource {
    package private(set) var replica: Replica
    package private(set) var diagnostics: [Diagnostic] = []

    /// The payload file.
    let url: URL
    /// The schema file used, if any.
    let schemaURL: URL?
    /// True when the file is a feature-service query page (a FeatureSet), not a createReplica result.
    let isFeatureSet: Bool

    let chunkSize: Int

    struct LayerPlan {
        var featuresOffset: Int?
        var featureCount = 0
        var attachmentsOffset: Int?
        var attachmentCount = 0
    }

    private var plans: [LayerPlan]
    /// Per layer, what was declared where the values needed more (fields, Z, M): the reader
    /// counts the values and geometries outside the declaration.
    private(set) var widenings: [LayerWidening]
    /// Layers whose reading to the end was recorded (their diagnostics are added once).
    private var recordedLayers: Set<Int> = []
    /// Layers whose attachments were read to the end (their diagnostics are added once).
    private var recordedAttachments: Set<Int> = []

    convenience init(url: URL, schemaURL: URL? = nil) throws {
        try self.init(url: url, schemaURL: schemaURL, chunkSize: 1 << 20)
    }

    /// `chunkSize`: bytes read at a time (tests use tiny chunks to exercise tokens across boundaries).
    package init(url: URL, schemaURL: URL?, chunkSize: Int) throws {
        self.url = url
        self.chunkSize = chunkSize

        // Schema file: given, or beside the payload.
        var schemaFile = schemaURL
        if schemaFile == nil {
            let beside = Self.schemaBeside(url)
            if beside.path != url.path && FileManager.default.fileExists(atPath: beside.path) { schemaFile = beside }
        }
        self.schemaURL = schemaFile
        let schemaLayers = try schemaFile.map { try EsriSchema.read(url: $0, chunkSize: chunkSize) } ?? []
        let file = url.path
        let stem = url.deletingPathExtension().lastPathComponent

        // The first pass surveys each layer's values as it passes them where it knows the layer's
        // schema by then; the second pass below looks again only where it did not.
        let survey = try Survey.run(url: url, chunkSize: chunkSize) { features, meta in
            var ignored: [(String, String)] = []
            let layer: LayerSchema
            switch features {
            case .layer(let id): layer = Self.replicaLayer(id: id, in: schemaLayers)
            case .featureSet:
                guard let page = try? Self.featureSetLayer(meta: meta, schemaLayers: schemaLayers, stem: stem,
                                                           location: ErrorLocation(input: file, layer: stem), renamed: &ignored) else { return nil }
                layer = page
            }
            let plan = Self.surveyPlan(for: layer, isFeatureSet: features.isFeatureSet, meta: meta).plan
            return plan.isEmpty ? nil : ValueSurvey(layer: layer, plan: plan, input: file)
        }
        isFeatureSet = survey.kind == .featureSet

        var diagnostics: [Diagnostic] = []
        var layers: [LayerSchema] = []
        var plans: [LayerPlan] = []
        var surveyed: [ValueSurvey?] = []

        switch survey.kind {
        case .replica:
            for entry in survey.layers {
                let id = entry.id
                let schema = Self.replicaLayer(id: id, in: schemaLayers)
                if schema.schemaSource == .inferred && schemaFile != nil {
                    diagnostics.append(Diagnostic(.inputIrregular, "the schema file \(schemaFile?.lastPathComponent ?? "") has no layer with id \(id)",
                                                  at: ErrorLocation(input: file, layer: "layer_\(id)")))
                }
                layers.append(schema)
                plans.append(entry.plan)
                surveyed.append(entry.values)
            }
        case .featureCollection:
            // Each layer's schema: a layer resource the user gave for its id, else its own
            // `layerDefinition`, completed from its `featureSet`; values are the last resort.
            for entry in survey.layers {
                var schema: LayerSchema
                if let found = schemaLayers.last(where: { $0.id == entry.id }) {
                    schema = found
                } else if let definition = entry.definition {
                    schema = try EsriSchema.layer(Self.numbered(definition, id: entry.id), isTable: false, file: file)
                    if definition["fields"] == nil { schema.schemaSource = .inferred }
                } else {
                    schema = LayerSchema(id: entry.id, schemaSource: .inferred)
                }
                let meta = entry.featureSetMeta
                if schema.kind != .table && schema.geometryType == nil {
                    schema.geometryType = EsriSchema.geometryType(meta["geometryType"]?.string)
                }
                if schema.spatialReference == nil { schema.spatialReference = EsriSchema.spatialReference(meta["spatialReference"]) }
                if entry.definition?["hasZ"] == nil, let hasZ = meta["hasZ"]?.bool { schema.hasZ = hasZ }
                if entry.definition?["hasM"] == nil, let hasM = meta["hasM"]?.bool { schema.hasM = hasM }
                layers.append(schema)
                plans.append(entry.plan)
                surveyed.append(entry.values)
            }
        case .featureSet:
            let meta = survey.meta
            let loc = ErrorLocation(input: file, layer: stem)
            var renamedFields: [(String, String)] = []
            let schema = try Self.featureSetLayer(meta: meta, schemaLayers: schemaLayers, stem: stem, location: loc,
                                                  renamed: &renamedFields)
            if meta["exceededTransferLimit"]?.bool == true {
                diagnostics.append(Diagnostic(.inputIncomplete,
                    "the page says exceededTransferLimit: the server stopped at its record limit and features are missing; query the rest with resultOffset and convert every page",
                    at: loc))
            }
            for (old, new) in renamedFields {
                diagnostics.append(Diagnostic(.duplicateFieldRenamed, "a second field named '\(old)' was renamed '\(new)'",
                                              at: ErrorLocation(input: file, layer: stem, field: new)))
            }
            layers.append(schema)
            plans.append(survey.featureSetPlan)
            surveyed.append(survey.featureSetValues)
        }

        // The second pass (``ValueSurvey``): field types for layers without fields, geometry facts
        // a schema left open, and whether the values fit the fields as declared.
        var widenings: [LayerWidening] = []
        for i in layers.indices {
            let (plan, needsFields, declaresDimensions) = Self.surveyPlan(
                for: layers[i], isFeatureSet: survey.kind == .featureSet, meta: survey.meta)
            let oid = Self.objectIDIndex(layers[i])
            var widening = LayerWidening(hasZ: layers[i].hasZ, hasM: layers[i].hasM)
            defer { widenings.append(widening) }
            guard let offset = plans[i].featuresOffset, !plan.isEmpty else {
                if needsFields { layers[i].kind = .featureLayer }
                if !needsFields && layers[i].geometryType == nil { layers[i].kind = .table }
                widening.apply(nil, checked: plan.checked, oid: oid, to: &layers[i], file: file, diagnostics: &diagnostics)
                continue
            }
            let result: ValueSurvey
            if let first = surveyed[i], first.answers(plan, for: layers[i]) {
                result = first
            } else {
                result = try ValueSurvey.run(url: url, chunkSize: chunkSize, offset: offset, layer: layers[i], plan: plan)
            }
            let inference = result.inference
            if needsFields {
                var aliases: [String: String] = [:]
                for (k, v) in survey.meta["fieldAliases"]?.members ?? [] { if let s = v.string { aliases[k] = s } }
                let inferred = inference.result(objectIdFieldName: survey.kind == .featureSet ? survey.meta["objectIdFieldName"]?.string : nil,
                                                globalIdFieldName: survey.kind == .featureSet ? survey.meta["globalIdFieldName"]?.string : nil,
                                                aliases: aliases)
                layers[i].fields = inferred.fields
                layers[i].objectIdField = inferred.oid
                layers[i].globalIdField = inferred.globalId
                layers[i].inferredFields = inferred.fields.map(\.name)
                diagnostics.append(Diagnostic(.schemaInferred,
                    "no schema found, field types inferred from values; give the service's layer resources as the schema for exact types",
                    at: ErrorLocation(input: file, layer: layers[i].name)))
            } else {
                widening.apply(result, checked: plan.checked, oid: oid, to: &layers[i], file: file, diagnostics: &diagnostics)
            }
            if layers[i].geometryType == nil {
                // With no declared type the geometries decide: the first names the layer, the
                // others are kept (the reader reports them: geometryTypeMismatch).
                layers[i].geometryType = inference.geometryType
                if !needsFields && !inference.sawGeometry { layers[i].kind = .table }
                if needsFields {
                    layers[i].kind = inference.sawGeometry ? .featureLayer : .table
                    if survey.kind == .featureSet && survey.meta["geometryType"] != nil { layers[i].kind = .featureLayer }
                }
            }
            // Geometries that carry Z or M make the layer Z- or M-aware, so that every format keeps
            // them; where the layer declared its dimensions, the reader reports those beyond them.
            layers[i].hasZ = layers[i].hasZ || result.sawZ
            layers[i].hasM = layers[i].hasM || result.sawM
            if !declaresDimensions { (widening.hasZ, widening.hasM) = (layers[i].hasZ, layers[i].hasM) }
            if layers[i].spatialReference == nil { layers[i].spatialReference = inference.spatialReference }
        }
        if let note = survey.nonStandard.diagnostic(input: file) { diagnostics.append(note) }

        let meta = survey.meta
        var layerServerGens: [Int: Int64] = [:]
        for item in meta["layerServerGens"]?.array ?? [] {
            if let id = item["id"]?.int, let gen = item["serverGen"]?.int64 { layerServerGens[id] = gen }
        }
        var syncModel: SyncModel?
        if let s = meta["syncModel"]?.string {
            syncModel = SyncModel(rawValue: s)
            if syncModel == nil {
                diagnostics.append(Diagnostic(.inputIrregular, "unknown syncModel '\(s)' ignored", at: ErrorLocation(input: file)))
            }
        }
        self.replica = Replica(name: meta["replicaName"]?.string ?? stem, id: meta["replicaID"]?.string,
                               syncModel: syncModel, replicaServerGen: meta["replicaServerGen"]?.int64,
                               layerServerGens: layerServerGens, layers: layers)
        self.plans = plans
        self.widenings = widenings
        self.diagnostics = diagnostics
    }

    /// Where a payload's layer resources are looked for when no schema is given:
    /// `<payload-stem>.layers.json` beside it.
    static func schemaBeside(_ payload: URL) -> URL {
        payload.deletingPathExtension().appendingPathExtension("layers.json")
    }

    /// A feature collection's layer definition with the `id` its layer is known by.
    private static func numbered(_ definition: JSONValue, id: Int) -> JSONValue {
        guard definition["id"]?.int == nil, case .object(let members) = definition else { return definition }
        return .object(members + [("id", .number(.int(Int64(id))))])
    }

    /// The number of features of a layer, counted when the file was opened; nil for no such layer.
    package func featureCount(inLayer layerIndex: Int) -> Int? {
        plans.indices.contains(layerIndex) ? plans[layerIndex].featureCount : nil
    }

    /// The number of attachments of a layer, counted when the file was opened; nil for no such layer.
    package func attachmentCount(inLayer layerIndex: Int) -> Int? {
        plans.indices.contains(layerIndex) ? plans[layerIndex].attachmentCount : nil
    }

    /// The schema of replica layer `id`: the schema file's layer of that id, else one to infer.
    private static func replicaLayer(id: Int, in schemaLayers: [LayerSchema]) -> LayerSchema {
        schemaLayers.last(where: { $0.id == id }) ?? LayerSchema(id: id, schemaSource: .inferred)
    }

    /// The schema of a FeatureSet page from its top-level members `meta`: a layer resource the
    /// user gave (or kept beside the page) is the fuller schema (name, domains, exact types); the
    /// page's own `fields` come next; values are the last resort (a schema to infer). Fields named
    /// twice are renamed (added to `renamed`).
    private static func featureSetLayer(meta: [String: JSONValue], schemaLayers: [LayerSchema], stem: String,
                                        location loc: ErrorLocation, renamed renamedFields: inout [(String, String)]) throws -> LayerSchema {
        var aliases: [String: String] = [:]
        for (k, v) in meta["fieldAliases"]?.members ?? [] { if let s = v.string { aliases[k] = s } }
        let resource = schemaLayers.count == 1 ? schemaLayers.first : schemaLayers.last(where: { $0.id == 0 })
        if var resource {
            if resource.name.isEmpty { resource.name = stem }
            if resource.spatialReference == nil {
                resource.spatialReference = EsriSchema.spatialReference(meta["spatialReference"])
            }
            if resource.geometryType == nil, let gtype = EsriSchema.geometryType(meta["geometryType"]?.string) {
                resource.geometryType = gtype
                resource.kind = .featureLayer
            }
            return resource
        } else if let fields = try EsriSchema.fields(meta["fields"], location: loc, renamed: &renamedFields) {
            let withAliases = fields.map { f -> Field in
                var f = f
                if f.alias == nil { f.alias = aliases[f.name] }
                return f
            }
            let oid = meta["objectIdFieldName"]?.string ?? withAliases.first(where: { $0.type == .objectID })?.name
            let withOID = EsriSchema.ensuringObjectIdField(oid, in: withAliases)
            let gtype = EsriSchema.geometryType(meta["geometryType"]?.string)
            // Without a geometryType the page may still carry geometries: the second pass looks,
            // and the layer stays a table only if it finds none.
            return LayerSchema(id: 0, name: stem, kind: .featureLayer, geometryType: gtype,
                               hasZ: meta["hasZ"]?.bool ?? false, hasM: meta["hasM"]?.bool ?? false,
                               spatialReference: EsriSchema.spatialReference(meta["spatialReference"]),
                               objectIdField: oid,
                               globalIdField: meta["globalIdFieldName"]?.string
                                  ?? withAliases.first(where: { $0.type == .globalID })?.name,
                               fields: withOID, schemaSource: .featureSet)
        } else {
            return LayerSchema(id: 0, name: stem, geometryType: EsriSchema.geometryType(meta["geometryType"]?.string),
                               hasZ: meta["hasZ"]?.bool ?? false, hasM: meta["hasM"]?.bool ?? false,
                               spatialReference: EsriSchema.spatialReference(meta["spatialReference"]),
                               schemaSource: .inferred)
        }
    }

    /// What the second pass looks at in `layer`'s features (``ValueSurvey``): fields to infer or to
    /// check against their declaration, geometries to parse (for a type or spatial reference the
    /// layer leaves open) or to look at for Z and M it does not declare. Z and M are declared by a
    /// schema, or by a page's own hasZ / hasM.
    private static func surveyPlan(for layer: LayerSchema, isFeatureSet: Bool, meta: [String: JSONValue])
        -> (plan: ValueSurvey.Plan, needsFields: Bool, declaresDimensions: Bool) {
        let needsFields = layer.schemaSource == .inferred
        let needsGeometry = layer.kind == .featureLayer && (layer.geometryType == nil || layer.spatialReference == nil)
        let declaresDimensions = !needsFields || (isFeatureSet && (meta["hasZ"] != nil || meta["hasM"] != nil))
        let oid = objectIDIndex(layer)
        var plan = ValueSurvey.Plan()
        plan.inferFields = needsFields
        if !needsFields {
            // A second ObjectID field is an integer field; the ObjectID itself is never widened.
            plan.checked = layer.fields.enumerated().map { j, field in
                var checked = field
                if field.type == .objectID && j != oid { checked.type = .integer }
                return checked
            }
            plan.unchecked = oid
        }
        plan.parseGeometry = needsGeometry
        plan.peekDimensions = !needsGeometry && declaresDimensions && layer.kind == .featureLayer
            && layer.geometryType != nil && !(layer.hasZ && layer.hasM)
        return (plan, needsFields, declaresDimensions)
    }

    /// The layer's ObjectID field: the one it names, else its first esriFieldTypeOID field (as
    /// the writers take it).
    static func objectIDIndex(_ layer: LayerSchema) -> Int? {
        if let name = layer.objectIdField, let i = layer.fieldIndex(named: name) { return i }
        return layer.fields.firstIndex { $0.type == .objectID }
    }

    // MARK: features

    package func featureCursor(inLayer layerIndex: Int, batchSize: Int) throws -> any FeatureCursor {
        guard replica.layers.indices.contains(layerIndex) else {
            throw ReplicaExportError(.notAReplica, "there is no layer at index \(layerIndex)", at: ErrorLocation(input: url.path))
        }
        return try EsriJSONFeatureCursor(source: self, layerIndex: layerIndex,
                                         featuresOffset: plans[layerIndex].featuresOffset, batchSize: batchSize)
    }

    /// What a cursor learned by reading a layer to its end: attributes outside the schema, values
    /// and geometries that were repaired or dropped, JSON that is not standard. Recorded once per
    /// layer, however often it is read.
    func recordEndOfLayer(_ layerIndex: Int, reader: FeatureReader, nonStandard: NonStandardJSON) {
        guard recordedLayers.insert(layerIndex).inserted else { return }
        let layer = replica.layers[layerIndex]
        diagnostics += reader.diagnostics(input: url.path)
        if let note = nonStandard.diagnostic(input: url.path, layer: layer.name) { diagnostics.append(note) }
    }

    /// Layer `layerIndex` as its schema declared it, before fields, Z or M were widened for the values.
    func declaredLayer(_ layerIndex: Int) -> LayerSchema {
        var layer = replica.layers[layerIndex]
        let widening = widenings[layerIndex]
        for (i, field) in widening.declared.merging(widening.secondObjectIDs, uniquingKeysWith: { a, _ in a }) {
            layer.fields[i] = field
        }
        layer.hasZ = widening.hasZ
        layer.hasM = widening.hasM
        return layer
    }

    /// Makes layer `layerIndex` as wide as `wider` (the same fields, of the same or wider types,
    /// and Z or M where it has them): the pages of one layer take the widest of their schemas.
    func widen(layer layerIndex: Int, to wider: LayerSchema) {
        for (i, field) in replica.layers[layerIndex].fields.enumerated() {
            guard let wide = wider.fields.first(where: { $0.name.lowercased() == field.name.lowercased() }),
                  wide.type != field.type || wide.length != field.length else { continue }
            if widenings[layerIndex].declared[i] == nil && widenings[layerIndex].secondObjectIDs[i] == nil {
                widenings[layerIndex].declared[i] = field
            }
            var retyped = wide
            retyped.name = field.name
            replica.layers[layerIndex].replaceField(at: i, with: retyped)
        }
        replica.layers[layerIndex].hasZ = replica.layers[layerIndex].hasZ || wider.hasZ
        replica.layers[layerIndex].hasM = replica.layers[layerIndex].hasM || wider.hasM
    }

    // MARK: attachments

    package func attachments(inLayer layerIndex: Int, _ body: (Attachment) throws -> Void) throws {
        guard replica.layers.indices.contains(layerIndex) else {
            throw ReplicaExportError(.notAReplica, "there is no layer at index \(layerIndex)", at: ErrorLocation(input: url.path))
        }
        guard let offset = plans[layerIndex].attachmentsOffset else { return }
        let layerName = replica.layers[layerIndex].name
        let s = try JSONScanner(url: url, chunkSize: chunkSize)
        try s.seek(to: offset)
        s.resetNonStandard()
        try s.beginArray()
        var first = true
        var index = 0
        while try s.nextElement(first: &first) {
            _ = try s.peekValueStart()
            let at = s.offset
            let loc = ErrorLocation(input: url.path, layer: layerName, byteOffset: at, detail: "attachment \(index)")
            let v = try s.readValue()
            guard case .object = v else {
                throw ReplicaExportError(.unexpectedType, "an attachment must be an object, found \(v.kindName)", at: loc)
            }
            guard let id = v["attachmentId"]?.int64 ?? v["id"]?.int64 else {
                throw ReplicaExportError(.unexpectedType, "an attachment without a numeric 'attachmentId'", at: loc)
            }
            var data: [UInt8]?
            if let encoded = v["data"]?.string {
                guard let decoded = Data(base64Encoded: encoded, options: [.ignoreUnknownCharacters]) else {
                    throw ReplicaExportError(.unexpectedType, "the attachment's 'data' is not base64", at: loc)
                }
                data = [UInt8](decoded)
            } else if let reference = v["url"]?.string, let file = Self.attachmentFile(reference, besidePayload: url) {
                data = try Self.read(file, at: loc)
            }
            try body(Attachment(attachmentId: id, globalId: v["globalId"]?.string,
                                parentGlobalId: v["parentGlobalId"]?.string,
                                parentObjectId: v["parentObjectId"]?.int64,
                                contentType: v["contentType"]?.string, name: v["name"]?.string ?? "attachment_\(id)",
                                size: v["size"]?.int64 ?? data.map { Int64($0.count) }, url: v["url"]?.string,
                                data: data))
            index &+= 1
        }
        if recordedAttachments.insert(layerIndex).inserted,
           let note = s.nonStandard.diagnostic(input: url.path, layer: layerName) {
            diagnostics.append(note)
        }
    }
}

/// What a layer declared where its values needed more (``ValueSurvey``): the fields as declared,
/// by index, that were widened, and the declared Z and M. The reader counts what lies outside.
struct LayerWidening {
    /// By field index, the declaration of each field that was widened.
    var declared: [Int: Field] = [:]
    /// By field index, the declaration of each second ObjectID field (written as an integer field).
    var secondObjectIDs: [Int: Field] = [:]
    var hasZ: Bool
    var hasM: Bool

    /// Widens the fields of `layer` whose values `result` found outside their declaration (`checked`:
    /// the fields as the survey checked them; nil `result`: no values were surveyed), and makes
    /// its second ObjectID fields integer fields, reported here: that is the schema's doing.
    mutating func apply(_ result: ValueSurvey?, checked: [Field], oid: Int?, to layer: inout LayerSchema, file: String,
                        diagnostics: inout [Diagnostic]) {
        let original = layer.fields
        for (i, field) in checked.enumerated() where i != oid && i < original.count {
            let wide = result.map { EsriValues.widened(field, needs: $0.needs[i], length: $0.longest[i]) } ?? field
            let isSecondObjectID = original[i].type == .objectID
            if !isSecondObjectID && (wide.type != field.type || wide.length != field.length) { declared[i] = original[i] }
            if wide != original[i] { layer.replaceField(at: i, with: wide) }
            if isSecondObjectID {
                secondObjectIDs[i] = original[i]
                diagnostics.append(Diagnostic(.secondObjectIDField,
                    "the layer declares a second esriFieldTypeOID field beside its ObjectID '\(oid.map { original[$0].name } ?? "")': written as \(wide.type.rawValue)",
                    at: ErrorLocation(input: file, layer: layer.name, field: field.name)))
            }
        }
    }
}

extension LayerSchema {
    /// Puts `field` (a widened copy of the field at `index`) in its place, with its domain's codes,
    /// and the subtypes' codes and default values, as values of its new type; a domain whose codes
    /// the new type cannot hold is left out.
    mutating func replaceField(at index: Int, with field: Field) {
        let old = fields[index]
        var new = field
        func widened(_ domain: Domain?) -> Domain? {
            guard let domain, old.type != new.type else { return domain }
            switch domain {
            case .codedValue(let name, let codes):
                var converted: [CodedValue] = []
                for code in codes {
                    guard let value = EsriValues.widenedValue(code.code, to: new.type) else { return nil }
                    converted.append(CodedValue(code: value, name: code.name))
                }
                return .codedValue(name: name, codes: converted)
            case .range(let name, let minimum, let maximum):
                guard new.type.storage != .string, let lo = EsriValues.widenedValue(minimum, to: new.type),
                      let hi = EsriValues.widenedValue(maximum, to: new.type) else { return nil }
                return .range(name: name, minimum: lo, maximum: hi)
            }
        }
        new.domain = widened(old.domain)
        fields[index] = new
        guard old.type != new.type else { return }
        for s in subtypes.indices {
            if subtypeField == old.name, let code = EsriValues.widenedValue(subtypes[s].code, to: new.type) {
                subtypes[s].code = code
            }
            if let domain = subtypes[s].domains[old.name] { subtypes[s].domains[old.name] = widened(domain) }
            if let value = subtypes[s].defaultValues[old.name] {
                subtypes[s].defaultValues[old.name] = EsriValues.widenedValue(value, to: new.type)
            }
        }
    }
}

extension EsriJSONReplicaSource {
    /// The file an attachment's `url` names when it is a relative reference to a file inside the
    /// payload's folder (as the `json` format writes them: `attachments/<layer>/<name>`, percent-
    /// encoded): no scheme, query or fragment, not absolute, no `.` or `..` step, no way out of the
    /// folder through a link, a regular file. nil for every other URL, which stays a URL (nothing is
    /// fetched).
    static func attachmentFile(_ reference: String, besidePayload payload: URL) -> URL? {
        let bytes = Array(reference.utf8)
        guard let first = bytes.first, first != UInt8(ascii: "/"), first != UInt8(ascii: "\\"),
              !bytes.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "\\") }) else { return nil }
        // A scheme (`https:`, `file:`, `c:`) is letters, digits, `+`, `-` and `.` before the first `:`.
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")), !bytes[..<colon].contains(UInt8(ascii: "/")) { return nil }
        guard let decoded = reference.removingPercentEncoding, !decoded.contains("\0") else { return nil }
        let steps = decoded.split(separator: "/", omittingEmptySubsequences: false)
        guard !steps.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { return nil }
        let folder = payload.deletingLastPathComponent().resolvingSymlinksInPath()
        let file = steps.reduce(folder) { $0.appendingPathComponent(String($1)) }.resolvingSymlinksInPath()
        guard file.path.hasPrefix(folder.path + "/") else { return nil }
        var info = stat()
        guard stat(file.path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return file
    }

    /// The bytes of an attachment's file.
    private static func read(_ file: URL, at location: ErrorLocation) throws -> [UInt8] {
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        try MemoryBudget.require(size, for: "the attachment file \(file.lastPathComponent) (\(MemoryBudget.megabytes(size)))", at: location)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ReplicaExportError(.unreadable, "the attachment file '\(file.path)' its url names cannot be read; check its permissions",
                                     at: location)
        }
        return [UInt8](data)
    }
}

/// Converts features of one layer, straight from the scanner, counting what it repairs.
struct FeatureReader {
    let layer: LayerSchema
    let file: String
    private let names: FieldLookup
    /// The attributes that are no field of the layer, in the order first met.
    var unknownFields: [String] { names.unknown }
    /// Each field's type, by index (copying a `Field` per value costs a retain per string it holds).
    private let types: [FieldType]
    /// Per field, its declaration where the values made it wider (nil: as declared).
    private let declared: [Field?]
    /// Per field, whether it was widened (`declared[i] != nil`), looked up per value without
    /// copying the field.
    private let widened: [Bool]
    private let declaredHasZ: Bool
    private let declaredHasM: Bool
    let parser: EsriGeometryParser
    /// Features read so far (the layer-wide index of the next one).
    private var featureIndex = 0
    /// The OBJECTID of the feature being read, once its value has been read: errors name it.
    private(set) var objectID: Int64?
    private let objectIDIndex: Int?
    private static let attributesKey = Array("attributes".utf8)
    private static let geometryKey = Array("geometry".utf8)

    /// What was repaired or dropped, per field and per kind, with the first feature of each.
    private var tallies: [FieldTallies]
    private var firstDroppedGeometry: String?
    private var otherTypes: Set<GeometryType> = []
    var droppedTableGeometries = 0
    /// What the feature being read had repaired, tallied once its OBJECTID is known.
    private var events: [(field: Int, kind: FieldTallies.Kind)] = []
    /// Bit `rawValue` set for each geometry event of the feature being read.
    private var geometryEvents = 0
    /// Per ``GeometryEvent``, the features it concerned.
    private var geometryTallies = [LossTally](repeating: LossTally(), count: GeometryEvent.allCases.count)

    /// What can befall a feature's geometry.
    private enum GeometryEvent: Int, CaseIterable {
        case empty, dropped, mismatched, undeclaredZ, undeclaredM, withoutZ
    }

    private mutating func note(_ event: GeometryEvent) { geometryEvents |= 1 << event.rawValue }
    private func tally(_ event: GeometryEvent) -> LossTally { geometryTallies[event.rawValue] }

    struct FieldTallies {
        enum Kind: Int { case outsideDeclaration, numberFromText, dateFromText, jsonText, nonFinite, dropped }
        var counts = [LossTally](repeating: LossTally(), count: 6)
    }

    init(layer: LayerSchema, file: String, widening: LayerWidening? = nil) {
        self.layer = layer
        self.file = file
        names = FieldLookup(layer.fields)
        types = layer.fields.map(\.type)
        declared = layer.fields.indices.map { widening?.declared[$0] }
        widened = layer.fields.indices.map { widening?.declared[$0] != nil }
        declaredHasZ = widening?.hasZ ?? layer.hasZ
        declaredHasM = widening?.hasM ?? layer.hasM
        tallies = Array(repeating: FieldTallies(), count: layer.fields.count)
        self.parser = EsriGeometryParser(layerHasZ: layer.hasZ, layerHasM: layer.hasM)
        self.objectIDIndex = EsriJSONReplicaSource.objectIDIndex(layer)
    }

    mutating func read(_ s: JSONScanner) throws -> Feature {
        objectID = nil
        guard try s.peekValueStart() == UInt8(ascii: "{") else {
            throw ReplicaExportError(.unexpectedType, "a feature must be an object", at: s.location())
        }
        try s.beginObject()
        // Every field null, stored directly: copying a shared array of nulls, or
        // `Array(repeating:count:)`, goes through Value's generic copy for every element.
        let fieldCount = types.count
        var attributes = [Value](unsafeUninitializedCapacity: fieldCount) { buffer, initialized in
            for i in 0..<fieldCount { (buffer.baseAddress! + i).initialize(to: .null) }
            initialized = fieldCount
        }
        var geometry: Geometry?
        var first = true
        defer { featureIndex &+= 1 }
        while let key = try s.nextKey(first: &first) {
            if JSONScanner.key(key, is: Self.attributesKey) {
                if try s.consumeNull() { continue }
                guard try s.peekValueStart() == UInt8(ascii: "{") else {
                    throw ReplicaExportError(.unexpectedType, "'attributes' must be an object", at: s.location())
                }
                try names.forEachField(in: s) { i in
                    let value = try readValue(s, fieldAt: i)
                    if i == objectIDIndex { objectID = value.integerValue }
                    attributes[i] = value
                }
            } else if JSONScanner.key(key, is: Self.geometryKey) {
                geometry = try readGeometry(s)
            } else {
                try s.skipValue()
            }
        }
        if !events.isEmpty || geometryEvents != 0 { tallyEvents() }
        return Feature(attributes: attributes, geometry: geometry)
    }

    private mutating func readGeometry(_ s: JSONScanner) throws -> Geometry? {
        let withoutZBefore = parser.verticesWithoutZ
        let parsed = try parser.parseOrSkip(s)
        guard let g = parsed.geometry else {
            // Well-formed JSON describing no drawable geometry: the feature is kept without it.
            note(.dropped)
            if firstDroppedGeometry == nil { firstDroppedGeometry = parsed.dropped }
            return nil
        }
        if layer.kind == .table || layer.geometryType == nil {
            if g.geometry != nil { droppedTableGeometries &+= 1 }
            return nil
        }
        if g.isEmpty { note(.empty) }
        if parser.verticesWithoutZ != withoutZBefore { note(.withoutZ) }
        guard let geometry = g.geometry else { return nil }
        if g.sawZ && !declaredHasZ { note(.undeclaredZ) }
        if g.sawM && !declaredHasM { note(.undeclaredM) }
        if let t = g.type, let expected = layer.geometryType, t != expected, !(expected == .envelope && t == .polygon) {
            note(.mismatched)
            otherTypes.insert(t)
        }
        return geometry
    }

    /// Counts what the feature just read had repaired, now that its OBJECTID is known.
    private mutating func tallyEvents() {
        let here = ErrorLocation(featureIndex: featureIndex, objectID: objectID)
        for (field, kind) in events { tallies[field].counts[kind.rawValue].record(at: here) }
        events.removeAll(keepingCapacity: true)
        for event in GeometryEvent.allCases where geometryEvents & (1 << event.rawValue) != 0 {
            geometryTallies[event.rawValue].record(at: here)
        }
        geometryEvents = 0
    }

    /// The value of field `index`, by index.
    private mutating func readValue(_ s: JSONScanner, fieldAt index: Int) throws -> Value {
        let type = types[index]
        let b = try s.peekValueStart()
        let at = s.offset
        let scanned: ScannedValue
        switch b {
        case UInt8(ascii: "\""):
            scanned = .string(try s.readString())
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            scanned = .json(try s.readValue().jsonText)
        default:
            if JSONScanner.startsNumber(b) {
                let n = try s.readNumber()
                // The common case first: a number of its field's type, as declared.
                if !widened[index], n.isFinite, let v = EsriValues.coerce(number: n, to: type) { return v }
                scanned = .number(n)
            } else if let flag = try s.readLiteral() {
                scanned = .bool(flag)
            } else {
                return .null
            }
        }
        if widened[index], let field = declared[index], !EsriValues.needs(scanned, declared: field).needs.isEmpty {
            events.append((index, .outsideDeclaration))
        }
        switch EsriValues.read(scanned, as: type) {
        case .value(let v):
            return v
        case .converted(let v, let conversion):
            switch conversion {
            case .numberFromText: events.append((index, .numberFromText))
            case .dateFromText: events.append((index, .dateFromText))
            case .jsonText: events.append((index, .jsonText))
            }
            return v
        case .nonFinite(let v):
            events.append((index, .nonFinite))
            return v
        case .dropped:
            events.append((index, .dropped))
            return .null
        case .misfit:
            // Only the ObjectID is never widened: one that is no integer is dropped.
            if index == objectIDIndex {
                events.append((index, .dropped))
                return .null
            }
            let field = layer.fields[index]
            throw ReplicaExportError(.unexpectedType, "field '\(field.name)' (\(field.type.rawValue)): \(Self.describe(scanned)) does not fit",
                                     at: ErrorLocation(input: file, layer: layer.name, byteOffset: at, detail: "field '\(field.name)'"))
        }
    }

    private static func describe(_ scanned: ScannedValue) -> String {
        switch scanned {
        case .null: return "null"
        case .number(.int(let i)): return "the number \(i)"
        case .number(.double(let d)): return "the number \(d)"
        case .string(let s): return "the text \(EsriValues.quoted(s))"
        case .bool(let b): return "the boolean \(b)"
        case .json(let text): return "the JSON \(EsriValues.quoted(text))"
        }
    }

    /// The diagnostics of what was read so far (the whole layer, when it was read to its end).
    func diagnostics(input: String) -> [Diagnostic] {
        var out: [Diagnostic] = []
        func note(_ code: Diagnostic.Code, _ message: String, _ tally: LossTally, field: String? = nil) {
            guard tally.count > 0 else { return }
            out.append(Diagnostic(code, message, at: ErrorLocation(input: input, layer: layer.name, featureIndex: tally.firstFeatureIndex,
                                                                   objectID: tally.firstObjectID, field: field),
                                  count: tally.count))
        }
        for name in unknownFields {
            out.append(Diagnostic(.inputSkipped, "attribute '\(name)' is not a field of the layer's schema; its values were ignored",
                                  at: ErrorLocation(input: input, layer: layer.name)))
        }
        for (i, field) in layer.fields.enumerated() {
            let t = tallies[i].counts
            if let was = declared[i] {
                var declaration = was.type.rawValue
                if let length = was.length, was.type.storage == .string { declaration += " of length \(length)" }
                var now = field.type.rawValue
                if field.type.storage == .string { now += field.length.map { " of length \($0)" } ?? " without a length limit" }
                note(.fieldWidened, "\(t[0].count) value(s) do not fit the field as declared (\(declaration)): the column was written as \(now) to keep them",
                     t[0], field: field.name)
            }
            for conversion in ValueConversion.allCases {
                let tally = t[FieldTallies.Kind.numberFromText.rawValue + conversion.rawValue]
                note(.valueConverted, "\(tally.count) \(conversion.description)", tally, field: field.name)
            }
            note(.nonFiniteNumber, "\(t[4].count) value(s) are NaN or infinity (as text or a bare literal): kept where the format holds them, else written as null",
                 t[4], field: field.name)
            let what = i == objectIDIndex ? "ObjectID(s) that are not integers" : "NaN or infinite value(s), which a \(field.type.rawValue) field cannot hold,"
            note(.valueDropped, "\(t[5].count) \(what) written as null", t[5], field: field.name)
        }
        note(.emptyGeometry, "\(tally(.empty).count) feature(s) have an empty geometry (Esri JSON's empty point, no paths or rings): written without geometry",
             tally(.empty))
        note(.geometryDropped,
             "\(tally(.dropped).count) feature(s) have a geometry no format can represent (first: \(firstDroppedGeometry ?? "")); they were kept without geometry; correct the geometry in the source",
             tally(.dropped))
        if let expected = layer.geometryType {
            let others = otherTypes.map(\.rawValue).sorted().joined(separator: ", ")
            note(.geometryTypeMismatch,
                 "\(tally(.mismatched).count) geometries are not of the layer's type \(expected.rawValue) (\(others)): kept; formats that hold one geometry type per layer write them to layers of their own",
                 tally(.mismatched))
        }
        note(.undeclaredZOrM, "\(tally(.undeclaredZ).count) geometries carry Z values although the layer does not declare hasZ: the layer was made Z-aware to keep them",
             tally(.undeclaredZ))
        note(.undeclaredZOrM, "\(tally(.undeclaredM).count) geometries carry M values although the layer does not declare hasM: the layer was made M-aware to keep them",
             tally(.undeclaredM))
        let withoutZ = tally(.withoutZ)
        if withoutZ.count > 0 {
            out.append(Diagnostic(.missingZReplaced,
                "\(parser.verticesWithoutZ) vertices of this Z-aware layer (in \(withoutZ.count) features) have a null or missing Z; they were given Z 0",
                at: ErrorLocation(input: input, layer: layer.name, featureIndex: withoutZ.firstFeatureIndex, objectID: withoutZ.firstObjectID),
                count: parser.verticesWithoutZ))
        }
        if droppedTableGeometries > 0 {
            out.append(Diagnostic(.inputSkipped, "\(droppedTableGeometries) features of this table carry a geometry; it was ignored",
                                  at: ErrorLocation(input: input, layer: layer.name)))
        }
        return out
    }
}

extension JSONNumber {
    /// Whether the number is finite (a JSON number always is; `NaN` and `Infinity` literals are not).
    var isFinite: Bool {
        if case .double(let d) = self { return d.isFinite }
        return true
    }
}
