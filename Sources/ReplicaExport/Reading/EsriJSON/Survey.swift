import Foundation

/// The first, structural pass over an Esri JSON file: top-level metadata in memory, features and
/// attachments skipped and counted, their byte offsets recorded. Decides what kind of input it is.
struct Survey {
    /// A createReplica result (`layers: [{id, features, attachments}]`), a query page (top-level
    /// `features`), or a feature collection (`layers: [{layerDefinition, featureSet}]`).
    enum Kind { case replica, featureSet, featureCollection }

    struct LayerEntry {
        var id: Int
        var plan = EsriJSONReplicaSource.LayerPlan()
        /// A feature collection's layer: its `layerDefinition` (the layer resource, small).
        var definition: JSONValue?
        /// A feature collection's layer: its `featureSet`'s members other than `features`.
        var featureSetMeta: [String: JSONValue] = [:]
        /// The entry is a feature collection's layer (`layerDefinition`, `featureSet`).
        var isCollectionLayer = false
        /// The layer's values surveyed while its features were passed (see ``Surveyor``).
        var values: ValueSurvey?
    }

    /// Whose features the pass reaches: a replica's layer (by id) or a FeatureSet's.
    enum Features {
        case layer(id: Int)
        case featureSet

        var isFeatureSet: Bool { if case .featureSet = self { return true } else { return false } }
    }

    /// Asked when the pass reaches a layer's features, with the top-level members read so far: the
    /// ``ValueSurvey`` to feed them to, where the layer's schema is known by then (the features are
    /// then read once, not twice); nil to skip them.
    typealias Surveyor = (Features, _ meta: [String: JSONValue]) -> ValueSurvey?

    var kind: Kind = .replica
    /// Top-level members other than `layers` / `features`; a repeated key: the last wins.
    var meta: [String: JSONValue] = [:]
    var layers: [LayerEntry] = []
    /// The ids in `layers`, to refuse a repeated one.
    var layerIds: Set<Int> = []
    /// Entries of `layers` with `features` or `attachments`, and with `fields` (a layer resource's mark).
    var layersWithData = 0
    var layersWithFields = 0
    var featureSetPlan = EsriJSONReplicaSource.LayerPlan()
    /// A FeatureSet's values surveyed while its features were passed.
    var featureSetValues: ValueSurvey?
    /// JSON that is not standard JSON outside the features and attachments (whose reading counts
    /// its own).
    var nonStandard = NonStandardJSON()

    /// Top-level keys kept in memory (all small).
    private static let metaKeys: Set<String> = [
        "replicaName", "replicaID", "transportType", "responseType", "syncModel", "replicaServerGen",
        "layerServerGens", "statusUrl", "URL", "resultUrl", "status", "geometryType", "spatialReference",
        "fields", "fieldAliases", "objectIdFieldName", "globalIdFieldName", "hasZ", "hasM", "error", "exceededTransferLimit",
        "displayFieldName", "id", "name", "type",
    ]
    /// Keys whose presence tells a bare geometry.
    private static let geometryKeys: Set<String> = [
        "x", "y", "points", "paths", "rings", "curvePaths", "curveRings", "xmin",
    ]

    static func run(url: URL, chunkSize: Int, surveyor: Surveyor? = nil) throws -> Survey {
        let s = try JSONScanner(url: url, chunkSize: chunkSize)
        var survey = Survey()
        let file = url.path
        guard let firstByte = try s.peekNonSpace() else {
            throw ReplicaExportError(.truncated, "the file is empty (a failed or interrupted download?)",
                               at: ErrorLocation(input: file, byteOffset: s.offset))
        }
        guard firstByte == UInt8(ascii: "{") else {
            if firstByte == UInt8(ascii: "[") {
                throw ReplicaExportError(.notAReplica,
                                   "the file holds a JSON array, not a createReplica result (an object with 'layers') or a query page (an object with 'features')",
                                   at: ErrorLocation(input: file, byteOffset: s.offset))
            }
            if firstByte == UInt8(ascii: "<") {
                throw ReplicaExportError(.notAReplica, "the file looks like HTML or XML, not JSON (an error page saved instead of the data?)",
                                   at: ErrorLocation(input: file, byteOffset: s.offset))
            }
            _ = try s.readValue()
            throw ReplicaExportError(.notAReplica, "the file holds a bare JSON value, not a createReplica result or a query page",
                               at: ErrorLocation(input: file, byteOffset: 0))
        }
        try s.beginObject()
        var key: [UInt8] = []
        var first = true
        var sawLayers = false
        var sawFeatures = false
        var otherKeys: [String] = []
        while try s.nextMember(first: &first, key: &key) {
            let name = String(decoding: key, as: UTF8.self)
            switch name {
            case "layers":
                sawLayers = true
                try readLayers(s, into: &survey, file: file, surveyor: surveyor)
            case "features":
                sawFeatures = true
                var values = surveyor?(.featureSet, survey.meta)
                survey.featureSetPlan = try readItems(s, what: "features", file: file, layer: nil, values: &values)
                survey.featureSetValues = values
            default:
                if metaKeys.contains(name) {
                    survey.meta[name] = try checkedValue(name, s, file: file)
                } else {
                    if otherKeys.count < 16 { otherKeys.append(name) }
                    try s.skipValue()
                }
            }
        }
        if !(try s.atEndOfInput()) {
            throw s.syntaxError("unexpected content after the top-level object")
        }
        survey.nonStandard = s.nonStandard

        if survey.meta["type"]?.string == "FeatureCollection" || survey.meta["type"]?.string == "Feature" {
            throw ReplicaExportError(.notAReplica, "this is GeoJSON, not Esri JSON: give a createReplica result or a query page saved with f=json",
                               at: ErrorLocation(input: file))
        }
        if sawLayers && survey.layersWithData == 0 && survey.layersWithFields > 0 {
            // `{"layers": [...]}` whose layers have fields but no features: the service's layer
            // resources, which would convert to empty outputs.
            throw ReplicaExportError(.notAReplica,
                               "this is the service's layer resources (a schema: layers with fields, no features), not a replica; give it as the schema of the payload it describes, or keep it beside the payload as <payload-stem>.layers.json",
                               at: ErrorLocation(input: file))
        }
        if sawLayers {
            survey.kind = survey.layers.contains(where: \.isCollectionLayer) ? .featureCollection : .replica
        } else if sawFeatures {
            survey.kind = .featureSet
        } else if survey.meta["statusUrl"] != nil || survey.meta["URL"] != nil || survey.meta["resultUrl"] != nil {
            let target = survey.meta["resultUrl"]?.string ?? survey.meta["URL"]?.string ?? survey.meta["statusUrl"]?.string ?? ""
            let what: String
            if survey.meta["statusUrl"] != nil {
                what = "the status URL of an asynchronous createReplica job (statusUrl); poll it until status is Completed, then download its resultUrl"
            } else if survey.meta["resultUrl"] != nil {
                let status = survey.meta["status"]?.string.map { " (status: \($0))" } ?? ""
                what = "a createReplica job status\(status); download its resultUrl"
            } else {
                what = "a createReplica response with transportType esriTransportTypeUrl; download the file at its URL"
            }
            throw ReplicaExportError(.pointerPayload,
                               "this is a job pointer, not data: \(what) first, and give that file instead. URL: \(target)",
                               at: ErrorLocation(input: file))
        } else if let error = survey.meta["error"] {
            throw ReplicaExportError(.notAReplica,
                               "the file holds a service error, not data: \(error["code"].map { "\($0.int ?? 0) " } ?? "")\(error["message"]?.string ?? "")",
                               at: ErrorLocation(input: file))
        } else if survey.meta["fields"] != nil {
            throw ReplicaExportError(.notAReplica,
                               "this looks like a layer resource (a schema) without features; give it as the schema of the payload it describes, or keep it beside the payload as <payload-stem>.layers.json",
                               at: ErrorLocation(input: file))
        } else if otherKeys.contains(where: { geometryKeys.contains($0) }) {
            throw ReplicaExportError(.notAReplica,
                               "this is a bare Esri JSON geometry, not a createReplica result (an object with 'layers') or a query page (an object with 'features')",
                               at: ErrorLocation(input: file))
        } else {
            let keys = (Array(survey.meta.keys).sorted() + otherKeys).prefix(8).joined(separator: ", ")
            throw ReplicaExportError(.notAReplica,
                               "not a createReplica result (no 'layers') nor a query page (no 'features'); top-level keys: \(keys.isEmpty ? "none" : keys)",
                               at: ErrorLocation(input: file))
        }
        return survey
    }

    /// The small value of the member `name` at the scanner's place, of the type it must have.
    private static func checkedValue(_ name: String, _ s: JSONScanner, file: String) throws -> JSONValue {
        _ = try s.peekValueStart()
        let at = s.offset
        let v = try s.readValue()
        try checkType(name, v, at: at, file: file)
        return v
    }

    private static func checkType(_ name: String, _ v: JSONValue, at: Int, file: String) throws {
        if v.isNull { return }
        let ok: Bool
        switch name {
        case "replicaName", "replicaID", "transportType", "responseType", "syncModel", "statusUrl", "URL",
             "resultUrl", "geometryType", "objectIdFieldName", "globalIdFieldName":
            ok = v.string != nil
        case "replicaServerGen":
            ok = v.int64 != nil
        case "layerServerGens", "fields":
            ok = v.array != nil
        case "spatialReference", "fieldAliases":
            ok = v.members != nil
        default:
            ok = true
        }
        if !ok {
            throw ReplicaExportError(.unexpectedType, "'\(name)' has the wrong type (\(v.kindName))",
                               at: ErrorLocation(input: file, byteOffset: at))
        }
    }

    private static func readLayers(_ s: JSONScanner, into survey: inout Survey, file: String, surveyor: Surveyor?) throws {
        _ = try s.peekValueStart()
        let at = s.offset
        if try s.consumeNull() { return }
        guard try s.peekValueStart() == UInt8(ascii: "[") else {
            throw ReplicaExportError(.unexpectedType, "'layers' must be an array of layers", at: ErrorLocation(input: file, byteOffset: at))
        }
        try s.beginArray()
        var first = true
        var key: [UInt8] = []
        while try s.nextElement(first: &first) {
            let entryAt = s.offset
            guard try s.peekValueStart() == UInt8(ascii: "{") else {
                throw ReplicaExportError(.unexpectedType, "each of 'layers' must be an object {id, features, attachments}",
                                   at: ErrorLocation(input: file, byteOffset: entryAt))
            }
            try s.beginObject()
            var id: Int?
            var plan = EsriJSONReplicaSource.LayerPlan()
            var values: ValueSurvey?
            var sawData = false
            var collection = CollectionLayer()
            var ofirst = true
            while try s.nextMember(first: &ofirst, key: &key) {
                switch String(decoding: key, as: UTF8.self) {
                case "layerDefinition":
                    _ = try s.peekValueStart()
                    let at = s.offset
                    let v = try s.readValue()
                    guard case .object = v else {
                        throw ReplicaExportError(.unexpectedType, "a feature collection's 'layerDefinition' must be an object, found \(v.kindName)",
                                                 at: ErrorLocation(input: file, byteOffset: at))
                    }
                    collection.definition = v
                case "featureSet":
                    sawData = true
                    collection.sawFeatureSet = true
                    try readFeatureSet(s, into: &collection, plan: &plan, file: file, position: survey.layers.count)
                case "id":
                    _ = try s.peekValueStart()
                    let idAt = s.offset
                    let v = try s.readValue()
                    guard let n = v.int else {
                        throw ReplicaExportError(.unexpectedType, "a layer 'id' must be an integer, found \(v.kindName)",
                                           at: ErrorLocation(input: file, byteOffset: idAt))
                    }
                    id = n
                case "features":
                    sawData = true
                    // Surveyed as they are passed where the layer's id came first (as it does in
                    // what ArcGIS writes): its schema is known.
                    values = id.flatMap { surveyor?(.layer(id: $0), survey.meta) }
                    let p = try readItems(s, what: "features", file: file, layer: id.map { "layer_\($0)" }, values: &values)
                    plan.featuresOffset = p.featuresOffset
                    plan.featureCount = p.featureCount
                case "attachments":
                    sawData = true
                    var none: ValueSurvey?
                    let p = try readItems(s, what: "attachments", file: file, layer: id.map { "layer_\($0)" }, values: &none)
                    plan.attachmentsOffset = p.featuresOffset
                    plan.attachmentCount = p.featureCount
                case "fields":
                    survey.layersWithFields += 1
                    try s.skipValue()
                default:
                    try s.skipValue()
                }
            }
            if sawData { survey.layersWithData += 1 }
            if collection.isLayer, id == nil {
                // A feature collection's layer is numbered by its definition, else by its place.
                id = collection.definition?["id"]?.int ?? survey.layers.count
            }
            guard let id else {
                throw ReplicaExportError(.unexpectedType, "a layer without an 'id'", at: ErrorLocation(input: file, byteOffset: entryAt))
            }
            if !survey.layerIds.insert(id).inserted {
                throw ReplicaExportError(.schemaMismatch, "two layers have the id \(id); a replica names each layer once",
                                         at: ErrorLocation(input: file, layer: "layer_\(id)", byteOffset: entryAt))
            }
            var entry = LayerEntry(id: id, plan: plan, definition: collection.definition, featureSetMeta: collection.meta, values: values)
            entry.isCollectionLayer = collection.isLayer
            survey.layers.append(entry)
        }
    }

    /// What one layer of a feature collection holds besides its features.
    private struct CollectionLayer {
        var definition: JSONValue?
        var meta: [String: JSONValue] = [:]
        var sawFeatureSet = false
        var isLayer: Bool { definition != nil || sawFeatureSet }
    }

    /// Members of a feature collection's `featureSet` kept in memory (all small).
    private static let featureSetKeys: Set<String> = [
        "geometryType", "spatialReference", "hasZ", "hasM", "fields", "fieldAliases", "objectIdFieldName",
        "globalIdFieldName", "displayFieldName",
    ]

    /// A feature collection layer's `featureSet`: its `features` skipped and counted as a replica
    /// layer's are, its small members kept.
    private static func readFeatureSet(_ s: JSONScanner, into layer: inout CollectionLayer,
                                       plan: inout EsriJSONReplicaSource.LayerPlan, file: String, position: Int) throws {
        let name = "layer_\(layer.definition?["id"]?.int ?? position)"
        if try s.consumeNull() { return }
        guard try s.peekValueStart() == UInt8(ascii: "{") else {
            throw ReplicaExportError(.unexpectedType, "a feature collection's 'featureSet' must be an object",
                                     at: ErrorLocation(input: file, layer: name, byteOffset: s.offset))
        }
        try s.beginObject()
        var key: [UInt8] = []
        var first = true
        while try s.nextMember(first: &first, key: &key) {
            let member = String(decoding: key, as: UTF8.self)
            if member == "features" {
                // Not surveyed in passing: the layer's fields may follow its features.
                var none: ValueSurvey?
                let items = try readItems(s, what: "features", file: file, layer: name, values: &none)
                plan.featuresOffset = items.featuresOffset
                plan.featureCount = items.featureCount
            } else if featureSetKeys.contains(member) {
                layer.meta[member] = try checkedValue(member, s, file: file)
            } else {
                try s.skipValue()
            }
        }
    }

    /// Skips an array of objects, counting them, or feeds each to `values`; the plan's
    /// `featuresOffset` is the array's '['.
    private static func readItems(_ s: JSONScanner, what: String, file: String, layer: String?,
                                  values: inout ValueSurvey?) throws -> EsriJSONReplicaSource.LayerPlan {
        var plan = EsriJSONReplicaSource.LayerPlan()
        if try s.consumeNull() { return plan }
        let b = try s.peekValueStart()
        guard b == UInt8(ascii: "[") else {
            throw ReplicaExportError(.unexpectedType, "'\(what)' must be an array",
                               at: ErrorLocation(input: file, layer: layer, byteOffset: s.offset))
        }
        plan.featuresOffset = s.offset
        // What is not standard JSON in the items is counted where they are read.
        let counted = s.nonStandard
        defer { s.nonStandard = counted }
        var surveyor = values
        values = nil
        defer { values = surveyor }
        let surveying = surveyor != nil
        try s.beginArray()
        var first = true
        var n = 0
        while try s.nextElement(first: &first) {
            if try s.peekValueStart() != UInt8(ascii: "{") {
                throw ReplicaExportError(.unexpectedType, "each of '\(what)' must be an object",
                                   at: ErrorLocation(input: file, layer: layer, featureIndex: what == "features" ? n : nil,
                                                     byteOffset: s.offset))
            }
            if surveying { try surveyor!.visit(s) } else { try s.skipValue() }
            n &+= 1
        }
        plan.featureCount = n
        return plan
    }
}
