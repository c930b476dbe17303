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
    package let replica: Replica
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
    /// Layers whose type came from geometries of several types: their features keep each type.
    let mixedGeometryLayers: Set<Int>
    private var reportedUnknownFields: Set<String> = []

    convenience init(url: URL, schemaURL: URL? = nil) throws {
        try self.init(url: url, schemaURL: schemaURL, chunkSize: 1 << 20)
    }

    /// `chunkSize`: bytes read at a time (tests use tiny chunks to exercise tokens across boundaries).
    package init(url: URL, schemaURL: URL?, chunkSize: Int) throws {
        self.url = url
        self.chunkSize = chunkSize
        let survey = try Survey.run(url: url, chunkSize: chunkSize)
        isFeatureSet = survey.kind == .featureSet

        // Schema file: given, or beside the payload.
        var schemaFile = schemaURL
        if schemaFile == nil {
            let beside = Self.schemaBeside(url)
            if beside.path != url.path && FileManager.default.fileExists(atPath: beside.path) { schemaFile = beside }
        }
        self.schemaURL = schemaFile
        let schemaLayers = try schemaFile.map { try EsriSchema.read(url: $0, chunkSize: chunkSize) } ?? []

        var diagnostics: [Diagnostic] = []
        var layers: [LayerSchema] = []
        var plans: [LayerPlan] = []
        var mixedGeometryLayers: Set<Int> = []
        let file = url.path
        let stem = url.deletingPathExtension().lastPathComponent

        switch survey.kind {
        case .replica:
            for entry in survey.layers {
                let id = entry.id
                var schema: LayerSchema
                if let found = schemaLayers.last(where: { $0.id == id }) {
                    schema = found
                } else {
                    if schemaFile != nil {
                        diagnostics.append(Diagnostic(.inputIrregular, "the schema file \(schemaFile?.lastPathComponent ?? "") has no layer with id \(id)",
                                                      at: ErrorLocation(input: file, layer: "layer_\(id)")))
                    }
                    schema = LayerSchema(id: id, schemaSource: .inferred)
                }
                layers.append(schema)
                plans.append(entry.plan)
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
            }
        case .featureSet:
            let meta = survey.meta
            let loc = ErrorLocation(input: file, layer: stem)
            var schema: LayerSchema
            var renamedFields: [(String, String)] = []
            var aliases: [String: String] = [:]
            for (k, v) in meta["fieldAliases"]?.members ?? [] { if let s = v.string { aliases[k] = s } }
            // A layer resource the user gave (or kept beside the page) is the fuller schema: name,
            // domains, exact types. The page's own `fields` come next; values are the last resort.
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
                schema = resource
            } else if let fields = try EsriSchema.fields(meta["fields"], location: loc, renamed: &renamedFields) {
                let withAliases = fields.map { f -> Field in
                    var f = f
                    if f.alias == nil { f.alias = aliases[f.name] }
                    return f
                }
                let oid = meta["objectIdFieldName"]?.string ?? withAliases.first(where: { $0.type == .objectID })?.name
                let withOID = EsriSchema.ensuringObjectIdField(oid, in: withAliases)
                let gtype = EsriSchema.geometryType(meta["geometryType"]?.string)
                // Without a geometryType the page may still carry geometries: the inference pass
                // below looks, and the layer stays a table only if it finds none.
                schema = LayerSchema(id: 0, name: stem, kind: .featureLayer, geometryType: gtype,
                                     hasZ: meta["hasZ"]?.bool ?? false, hasM: meta["hasM"]?.bool ?? false,
                                     spatialReference: EsriSchema.spatialReference(meta["spatialReference"]),
                                     objectIdField: oid,
                                     globalIdField: meta["globalIdFieldName"]?.string
                                        ?? withAliases.first(where: { $0.type == .globalID })?.name,
                                     fields: withOID, schemaSource: .featureSet)
            } else {
                schema = LayerSchema(id: 0, name: stem, geometryType: EsriSchema.geometryType(meta["geometryType"]?.string),
                                     hasZ: meta["hasZ"]?.bool ?? false, hasM: meta["hasM"]?.bool ?? false,
                                     spatialReference: EsriSchema.spatialReference(meta["spatialReference"]),
                                     schemaSource: .inferred)
            }
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
        }

        // Inference pass for layers without fields, and geometry facts a schema left open.
        for i in layers.indices {
            let needsFields = layers[i].schemaSource == .inferred
            let needsGeometry = layers[i].kind == .featureLayer
                && (layers[i].geometryType == nil || layers[i].spatialReference == nil)
            guard needsFields || needsGeometry, let offset = plans[i].featuresOffset else {
                if needsFields { layers[i].kind = .featureLayer }
                if !needsFields && layers[i].geometryType == nil { layers[i].kind = .table }
                continue
            }
            var inference = try Self.infer(url: url, chunkSize: chunkSize, offset: offset, layer: layers[i],
                                           collectFields: needsFields)
            if needsFields {
                var aliases: [String: String] = [:]
                for (k, v) in survey.meta["fieldAliases"]?.members ?? [] { if let s = v.string { aliases[k] = s } }
                let result = inference.result(objectIdFieldName: survey.kind == .featureSet ? survey.meta["objectIdFieldName"]?.string : nil,
                                              globalIdFieldName: survey.kind == .featureSet ? survey.meta["globalIdFieldName"]?.string : nil,
                                              aliases: aliases)
                layers[i].fields = result.fields
                layers[i].objectIdField = result.oid
                layers[i].globalIdField = result.globalId
                layers[i].inferredFields = result.fields.map(\.name)
                diagnostics.append(Diagnostic(.schemaInferred,
                    "no schema found, field types inferred from values; give the service's layer resources as the schema for exact types",
                    at: ErrorLocation(input: file, layer: layers[i].name)))
            }
            if layers[i].geometryType == nil {
                layers[i].geometryType = inference.geometryType
                if let first = inference.geometryType, !inference.otherGeometryTypes.isEmpty {
                    mixedGeometryLayers.insert(i)
                    let names = ([first] + inference.otherGeometryTypes.sorted { $0.rawValue < $1.rawValue }).map(\.rawValue)
                    diagnostics.append(Diagnostic(.inputIrregular,
                        "the layer declares no geometry type and its geometries are of several types (\(names.joined(separator: ", "))); formats that hold one type per file split them",
                        at: ErrorLocation(input: file, layer: layers[i].name)))
                }
                if !needsFields && !inference.sawGeometry { layers[i].kind = .table }
                if needsFields {
                    layers[i].kind = inference.sawGeometry ? .featureLayer : .table
                    if survey.kind == .featureSet && survey.meta["geometryType"] != nil { layers[i].kind = .featureLayer }
                }
            }
            if needsFields && survey.meta["hasZ"] == nil && survey.meta["hasM"] == nil {
                layers[i].hasZ = layers[i].hasZ || inference.sawZ
                layers[i].hasM = layers[i].hasM || inference.sawM
            }
            if layers[i].spatialReference == nil { layers[i].spatialReference = inference.spatialReference }
            inference = SchemaInference()
        }

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
        self.mixedGeometryLayers = mixedGeometryLayers
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

    // MARK: inference

    private static func infer(url: URL, chunkSize: Int, offset: Int, layer: LayerSchema,
                              collectFields: Bool) throws -> SchemaInference {
        let s = try JSONScanner(url: url, chunkSize: chunkSize)
        try s.seek(to: offset)
        var inference = SchemaInference()
        let parser = EsriGeometryParser(layerHasZ: layer.hasZ, layerHasM: layer.hasM)
        var key: [UInt8] = []
        var featureIndex = 0
        try s.beginArray()
        var first = true
        while try s.nextElement(first: &first) {
            let loc = ErrorLocation(input: url.path, layer: layer.name, featureIndex: featureIndex)
            do {
                try s.beginObject()
                var ofirst = true
                while try s.nextMember(first: &ofirst, key: &key) {
                    if key == Array("attributes".utf8) {
                        guard collectFields, !(try s.consumeNull()) else { try s.skipValue(); continue }
                        guard try s.peekValueStart() == UInt8(ascii: "{") else {
                            throw ReplicaExportError(.unexpectedType, "'attributes' must be an object", at: s.location())
                        }
                        try s.beginObject()
                        var afirst = true
                        var expected = 0
                        while try s.nextMember(first: &afirst, key: &key) {
                            let i = inference.stats(for: key, expected: expected)
                            expected = i &+ 1
                            let b = try s.peekValueStart()
                            let at = s.offset
                            switch b {
                            case UInt8(ascii: "\""): inference.observe(i, string: try s.readString())
                            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                                inference.observe(i, number: try s.readNumber())
                            case UInt8(ascii: "{"), UInt8(ascii: "["):
                                throw ReplicaExportError(.unexpectedType,
                                                   "attribute '\(inference.fields[i].name)' holds an object or array; attribute values must be scalars",
                                                   at: s.location(at))
                            default:
                                if let b = try s.readLiteral() { inference.observe(i, bool: b) }
                            }
                        }
                    } else if key == Array("geometry".utf8) {
                        _ = try s.peekValueStart()
                        let at = s.offset
                        let g: ParsedGeometry
                        do {
                            g = try parser.parse(s)
                        } catch let error as ReplicaExportError where error.code == .invalidGeometry {
                            // Reported when the features are read; it says nothing about the layer.
                            try s.seek(to: at)
                            try s.skipValue()
                            continue
                        }
                        if let t = g.type {
                            // With no declared type the geometries decide; several types are kept
                            // (formats holding one type per file split them), the first names the layer.
                            if let known = inference.geometryType, known != t {
                                inference.otherGeometryTypes.insert(t)
                            } else {
                                inference.geometryType = t
                            }
                            inference.sawGeometry = true
                        }
                        inference.sawZ = inference.sawZ || g.sawZ
                        inference.sawM = inference.sawM || g.sawM
                        if inference.spatialReference == nil, let sr = EsriSchema.spatialReference(g.spatialReference) {
                            inference.spatialReference = sr
                        }
                    } else {
                        try s.skipValue()
                    }
                }
            } catch var error as ReplicaExportError {
                error.location = error.location.filled(from: loc)
                throw error
            }
            featureIndex &+= 1
        }
        return inference
    }

    // MARK: features

    package func featureCursor(inLayer layerIndex: Int, batchSize: Int) throws -> any FeatureCursor {
        guard replica.layers.indices.contains(layerIndex) else {
            throw ReplicaExportError(.notAReplica, "there is no layer at index \(layerIndex)", at: ErrorLocation(input: url.path))
        }
        return try EsriJSONFeatureCursor(source: self, layerIndex: layerIndex,
                                         featuresOffset: plans[layerIndex].featuresOffset, batchSize: batchSize)
    }

    /// What a cursor learned by reading a layer to its end: attributes outside the schema (once
    /// per layer and name, however often the layer is read) and geometries a table cannot keep.
    func recordEndOfLayer(_ layerIndex: Int, reader: FeatureReader) {
        let layer = replica.layers[layerIndex]
        for name in reader.unknownFields where !reportedUnknownFields.contains("\(layerIndex)\u{0}\(name)") {
            reportedUnknownFields.insert("\(layerIndex)\u{0}\(name)")
            diagnostics.append(Diagnostic(.inputSkipped, "attribute '\(name)' is not a field of the layer's schema; its values were ignored",
                                          at: ErrorLocation(input: url.path, layer: layer.name)))
        }
        if reader.droppedGeometries > 0, let first = reader.firstDroppedGeometry {
            diagnostics.append(Diagnostic(.geometryDropped,
                "\(reader.droppedGeometries) features have a geometry no format can represent (first: \(first.message)); they were kept without geometry; correct the geometry in the source",
                at: ErrorLocation(input: url.path, layer: layer.name, featureIndex: first.featureIndex, objectID: first.objectID),
                count: reader.droppedGeometries))
        }
        if reader.parser.verticesWithoutZ > 0 {
            diagnostics.append(Diagnostic(.missingZReplaced,
                "\(reader.parser.verticesWithoutZ) vertices of this Z-aware layer have a null or missing Z; they were given Z 0",
                at: ErrorLocation(input: url.path, layer: layer.name), count: reader.parser.verticesWithoutZ))
        }
        if reader.featuresWithUndeclaredZ > 0 {
            diagnostics.append(Diagnostic(.inputIrregular,
                "\(reader.featuresWithUndeclaredZ) geometries carry Z values although the layer does not declare hasZ; declare hasZ in the schema to keep them",
                at: ErrorLocation(input: url.path, layer: layer.name), count: reader.featuresWithUndeclaredZ))
        }
        if reader.droppedTableGeometries > 0 {
            diagnostics.append(Diagnostic(.inputSkipped, "\(reader.droppedTableGeometries) features of this table carry a geometry; it was ignored",
                                          at: ErrorLocation(input: url.path, layer: layer.name)))
        }
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

/// Converts features of one layer, straight from the scanner.
struct FeatureReader {
    let layer: LayerSchema
    let file: String
    let fieldBytes: [[UInt8]]
    var lookup: [String: Int] = [:]
    var unknownFields: [String] = []
    private var unknownSet: Set<String> = []
    var droppedTableGeometries = 0
    /// Geometries no format can represent (a non-finite or null coordinate, an unknown segment):
    /// the feature is kept with a null geometry and the first one is reported with its OBJECTID.
    var droppedGeometries = 0
    var firstDroppedGeometry: (featureIndex: Int, objectID: Int64?, message: String)?
    /// Features whose geometry has Z values although the layer does not declare hasZ.
    var featuresWithUndeclaredZ = 0
    /// Features read so far (the layer-wide index of the next one).
    private var featureIndex = 0
    /// The OBJECTID of the feature being read, once its value has been read: errors name it.
    private(set) var objectID: Int64?
    private let objectIDIndex: Int?
    let parser: EsriGeometryParser
    private static let attributesKey = Array("attributes".utf8)
    private static let geometryKey = Array("geometry".utf8)

    /// Whether geometries of another type than the layer's are kept (the layer's type was inferred
    /// from geometries of several types) rather than refused.
    let allowsOtherGeometryTypes: Bool

    init(layer: LayerSchema, file: String, allowsOtherGeometryTypes: Bool = false) {
        self.layer = layer
        self.allowsOtherGeometryTypes = allowsOtherGeometryTypes
        self.file = file
        self.fieldBytes = layer.fields.map { Array($0.name.utf8) }
        self.parser = EsriGeometryParser(layerHasZ: layer.hasZ, layerHasM: layer.hasM)
        self.objectIDIndex = layer.objectIdField.flatMap { layer.fieldIndex(named: $0) }
    }

    /// The index of the field named `key`; fields usually come in the schema's order, so the one
    /// after the previous is tried first.
    private mutating func fieldIndex(_ key: UnsafeBufferPointer<UInt8>, expected: Int) -> Int? {
        if expected < fieldBytes.count && JSONScanner.key(key, is: fieldBytes[expected]) { return expected }
        let name = String(decoding: key, as: UTF8.self)
        if let i = lookup[name] { return i >= 0 ? i : nil }
        let i = layer.fieldIndex(named: name)
        lookup[name] = i ?? -1
        if i == nil && !unknownSet.contains(name) {
            unknownSet.insert(name)
            unknownFields.append(name)
        }
        return i
    }

    mutating func read(_ s: JSONScanner) throws -> Feature {
        objectID = nil
        guard try s.peekValueStart() == UInt8(ascii: "{") else {
            throw ReplicaExportError(.unexpectedType, "a feature must be an object", at: s.location())
        }
        try s.beginObject()
        // Every field null, stored directly: copying a shared array of nulls, or
        // `Array(repeating:count:)`, goes through Value's generic copy for every element.
        let fieldCount = fieldBytes.count
        var attributes = [Value](unsafeUninitializedCapacity: fieldCount) { buffer, initialized in
            for i in 0..<fieldCount { (buffer.baseAddress! + i).initialize(to: .null) }
            initialized = fieldCount
        }
        var geometry: Geometry?
        var droppedGeometry: String?
        var first = true
        defer { featureIndex &+= 1 }
        while let key = try s.nextKey(first: &first) {
            if JSONScanner.key(key, is: Self.attributesKey) {
                if try s.consumeNull() { continue }
                guard try s.peekValueStart() == UInt8(ascii: "{") else {
                    throw ReplicaExportError(.unexpectedType, "'attributes' must be an object", at: s.location())
                }
                try s.beginObject()
                var afirst = true
                var expected = 0
                while let key = try s.nextKey(first: &afirst) {
                    guard let i = fieldIndex(key, expected: expected) else {
                        try s.skipValue()
                        continue
                    }
                    expected = i &+ 1
                    let value = try readValue(s, fieldAt: i)
                    if i == objectIDIndex { objectID = value.integerValue }
                    attributes[i] = value
                }
            } else if JSONScanner.key(key, is: Self.geometryKey) {
                _ = try s.peekValueStart()
                let at = s.offset
                let g: ParsedGeometry
                do {
                    g = try parser.parse(s)
                } catch let error as ReplicaExportError where error.code == .invalidGeometry {
                    // Well-formed JSON describing no drawable geometry: skip the rest of it and
                    // keep the feature (a malformed document still fails in skipValue).
                    try s.seek(to: at)
                    try s.skipValue()
                    droppedGeometry = error.message
                    geometry = nil
                    continue
                }
                if g.sawZ && !layer.hasZ && g.geometry != nil { featuresWithUndeclaredZ &+= 1 }
                if let t = g.type {
                    if layer.kind == .table || layer.geometryType == nil {
                        if g.geometry != nil { droppedTableGeometries &+= 1 }
                        continue
                    }
                    if !allowsOtherGeometryTypes, let expectedType = layer.geometryType, expectedType != t,
                       !(expectedType == .envelope && t == .polygon) {
                        throw ReplicaExportError(.schemaMismatch,
                                           "a \(t.rawValue) geometry in a layer of \(expectedType.rawValue)",
                                           at: s.location(at))
                    }
                }
                geometry = g.geometry
            } else {
                try s.skipValue()
            }
        }
        if let droppedGeometry {
            droppedGeometries &+= 1
            if firstDroppedGeometry == nil { firstDroppedGeometry = (featureIndex, objectID, droppedGeometry) }
        }
        return Feature(attributes: attributes, geometry: geometry)
    }

    private func typeError(_ field: Field, _ message: String, at: Int, s: JSONScanner) -> ReplicaExportError {
        ReplicaExportError(.unexpectedType, "field '\(field.name)' (\(field.type.rawValue)): \(message)",
                     at: ErrorLocation(input: file, layer: layer.name, byteOffset: at, detail: "field '\(field.name)'"))
    }

    /// The value of field `index`, by index: copying the `Field` (its name, alias and domain)
    /// for every value read was a retain and release per string it holds.
    private func readValue(_ s: JSONScanner, fieldAt index: Int) throws -> Value {
        let type = layer.fields[index].type
        func typeError(_ message: String, at: Int, s: JSONScanner) -> ReplicaExportError {
            self.typeError(layer.fields[index], message, at: at, s: s)
        }
        let b = try s.peekValueStart()
        let at = s.offset
        switch b {
        case UInt8(ascii: "\""):
            let text = try s.readString()
            do {
                return try EsriValues.coerce(string: text, to: type)
            } catch {
                throw typeError(error.message, at: at, s: s)
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let n = try s.readNumber()
            guard let v = EsriValues.coerce(number: n, to: type) else {
                let text: String
                switch n {
                case .int(let i): text = String(i)
                case .double(let d): text = String(d)
                }
                throw typeError("the number \(text) does not fit", at: at, s: s)
            }
            return v
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            throw typeError("an object or array where a scalar value belongs", at: at, s: s)
        default:
            guard let flag = try s.readLiteral() else { return .null }
            if type.storage == .string { return .string(flag ? "true" : "false") }
            throw typeError("a boolean does not fit", at: at, s: s)
        }
    }
}
