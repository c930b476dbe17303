import Foundation

/// Compares one format's outputs with the input, layer by layer, acting on the format's profile:
/// which fields it keeps and how (the field-type table's encodings), whether the ObjectID is the
/// FID, whether M is kept, how curves were prepared.
struct FormatVerifier {
    let source: any ReplicaSource
    let profile: WriterProfile
    let folder: URL
    var preparer: GeometryPreparer
    private let trueCurves: Bool
    /// Per input layer id, its layer (FileGDB, GeoPackage) or file base name in the output.
    var outputLayerNames: [Int: String] = [:]
    /// Per input layer id, the output layer's schema where one dataset holds them all.
    var outputSchemas: [Int: LayerSchema] = [:]
    /// Output names of the layers whose attachments were stored in an attachment table.
    var attachmentTables: [Int: String] = [:]
    /// The zip package the dataset was read from, where the format has one (KMZ).
    private var package: (url: URL, package: WriterProfile.ZipPackage)?
    /// Per input layer name, the columns it has in this format (computed once).
    var plans: [String: OutputColumnPlan] = [:]
    /// Per input and output layer, the output column of each planned column (looked up once).
    private var columnIndexes: [String: (kept: [Int?], labels: [Int?])] = [:]
    /// Per input layer, the transformation to WGS84 of formats that require it (made once).
    private var toWGS84: [String: GDALCoordinateTransformation?] = [:]

    init(source: any ReplicaSource, profile: WriterProfile, trueCurves: Bool, maxDeviation: Double?, folder: URL) {
        self.source = source
        self.profile = profile
        self.folder = folder
        self.trueCurves = trueCurves
        preparer = GeometryPreparer(PreparationKey(profile: profile, trueCurvesRequested: trueCurves), maxDeviation: maxDeviation)
    }

    var format: String { profile.formatName }

    mutating func run() throws -> FormatVerification {
        if profile.readBack.reader == .library { return try runThroughLibrary() }
        var result = FormatVerification(format: format, layers: [], problems: [])
        var shared: GDALDatasetSource?
        if case .oneDataset(let ext) = profile.layout {
            let delivered = profile.limits.zipPackage?.fileExtension ?? ext
            guard let file = DirectoryListing.first(in: folder, withExtension: delivered) else {
                result.problems.append("no .\(delivered) in \(folder.path)")
                return result
            }
            let url = folder.appendingPathComponent(file)
            package = profile.limits.zipPackage.map { (url, $0) }
            shared = try GDALDatasetSource(url: url, path: package.map { "/vsizip/\(url.path)/\($0.package.datasetEntry)" },
                                           options: profile.readBack.open)
        }
        // Where the format has rules for layer names, the writer's names, made again in its order:
        // each layer's, then those of the layers it continues in (a sheet holds so many rows).
        var layerNames = profile.limits.layerNames.map(LayerNames.init(rule:))
        let limit = profile.featuresPerLayer
        result.layers = try eachLayer { verifier, layer, index, base, verification in
            var parts: [String]?
            if layerNames != nil {
                let first = layerNames!.name(base)
                let count = limit.map { max(1, (verification.featuresIn + $0 - 1) / $0) } ?? 1
                parts = [first] + (count < 2 ? [] : (2...count).map { layerNames!.continuation(of: first, number: $0) })
            }
            if let shared {
                try verifier.verifyInDataset(shared, layer: layer, index: index, base: base, parts: parts, into: &verification)
            } else {
                try verifier.verifyFiles(base: base, layer: layer, index: index, into: &verification)
            }
        }
        verifyRelationships(in: shared, into: &result)
        return result
    }

    /// One verification per input layer, by `body` (given the layer, its index, its file base name
    /// and the verification to fill, its input count set); an output it cannot read is a
    /// difference of that layer.
    mutating func eachLayer(_ body: (inout FormatVerifier, LayerSchema, Int, String, inout LayerVerification) throws -> Void) rethrows
        -> [LayerVerification] {
        var names = OutputNames()
        var layers: [LayerVerification] = []
        for (index, layer) in source.replica.layers.enumerated() {
            let base = names.name(for: layer)
            var verification = LayerVerification(layer: layer.name)
            verification.featuresIn = source.featureCount(inLayer: index) ?? 0
            do {
                try body(&self, layer, index, base, &verification)
            } catch let error as ReplicaExportError {
                verification.differ(Difference(location: ErrorLocation(layer: layer.name, format: format),
                                               expected: "a readable output", actual: error.description))
            }
            layers.append(verification)
        }
        return layers
    }

    // MARK: one dataset (FileGDB, GeoPackage: features looked up by ObjectID; KML, Excel: in order)

    /// `parts`: the names of the dataset's layers that hold the layer, in order, where the format
    /// names them by its rules; else the layer is found by its name.
    private mutating func verifyInDataset(_ dataset: GDALDatasetSource, layer: LayerSchema, index: Int, base: String,
                                          parts: [String]?, into verification: inout LayerVerification) throws {
        var outputIndexes: [Int] = []
        for name in parts ?? [layer.name] {
            let found = parts == nil ? Self.layerIndex(named: name, in: dataset.replica)
                                     : dataset.replica.layers.firstIndex { $0.name == name }
            guard let found else {
                // GDAL reads no layer of what was written without columns, having no features.
                if !(profile.limits.emptyLayersLoseColumns && verification.featuresIn == 0) {
                    verification.differ(Difference(location: here(layer), expected: "a layer '\(name)'", actual: "none"))
                }
                return
            }
            outputIndexes.append(found)
        }
        let outputIndex = outputIndexes[0]
        let output = dataset.replica.layers[outputIndex]
        outputLayerNames[layer.id] = output.name
        outputSchemas[layer.id] = output
        verification.featuresOut = outputIndexes.reduce(0) { $0 + (dataset.featureCount(inLayer: $1) ?? 0) }
        // Features of other geometry types, in layers `<layer>_<type>s` of their own.
        var others: [GeometryType: (lookup: GDALDatasetSource.Lookup, schema: LayerSchema)] = [:]
        if layer.kind != .table, let own = layer.geometryType, !profile.capabilities.contains(.mixedGeometryTypes) {
            for type in GeometryType.splitTypes where type != own {
                guard let i = Self.layerIndex(named: "\(base)_\(type.fileSuffix)", in: dataset.replica) else { continue }
                others[type] = (try dataset.lookup(inLayer: i), dataset.replica.layers[i])
                verification.featuresOut += dataset.featureCount(inLayer: i) ?? 0
            }
        }
        checkCount(&verification, layer: layer)
        if profile.limits.storesSpatialReference {
            verifySpatialReference(layer, found: dataset.spatialReferences[outputIndex], file: nil, into: &verification)
        }
        verifyDomains(layer, output: output, domainNames: dataset.fieldDomainNames[outputIndex], domains: dataset.domains,
                      into: &verification)
        guard profile.featureID == .objectIDColumn else {
            // No ObjectID to look features up by: they are in input order, across the layers.
            let streams = try outputIndexes.map { try FeatureStream(dataset, layer: $0) }
            var featureIndex = 0, part = 0
            try source.features(inLayer: index, batchSize: 512) { batch in
                for feature in batch {
                    defer { featureIndex += 1 }
                    var written = try streams[part].next()
                    while written == nil && part + 1 < streams.count {
                        part += 1
                        written = try streams[part].next()
                    }
                    guard let written else {
                        verification.differ(Difference(location: here(layer, featureIndex, objectID(feature, layer)),
                                                       expected: "a feature", actual: "none (the output has fewer features)"))
                        continue
                    }
                    compare(feature, written, input: layer, output: streams[part].schema, featureIndex: featureIndex,
                            into: &verification)
                }
            }
            try verifySidecar(base: base, layer: layer, index: index, into: &verification)
            return
        }
        let lookup = try dataset.lookup(inLayer: outputIndex)
        let oid = layer.objectIDFieldIndex
        var seen = Set<Int64>()
        var featureIndex = 0
        try source.features(inLayer: index, batchSize: 512) { batch in
            for feature in batch {
                defer { featureIndex += 1 }
                // A missing, repeated or non-positive ObjectID was given a new one (reported at export).
                guard let oid, let id = feature.attributes[oid].integerValue, id > 0, seen.insert(id).inserted else { continue }
                var target = (lookup: lookup, schema: output)
                if !others.isEmpty,
                   let type = feature.geometry.flatMap({ try? preparer.prepare($0, spatialReference: layer.spatialReference) })?.geometryType,
                   let other = others[type] {
                    target = other
                }
                guard let written = try target.lookup.feature(fid: id) else {
                    verification.differ(Difference(location: here(layer, featureIndex, id), expected: "a feature", actual: "none"))
                    continue
                }
                compare(feature, written, input: layer, output: target.schema, featureIndex: featureIndex, into: &verification)
            }
        }
        try verifyAttachmentTable(dataset, layer: layer, outputName: output.name, index: index, into: &verification)
    }

    private mutating func verifyAttachmentTable(_ dataset: GDALDatasetSource, layer: LayerSchema, outputName: String, index: Int,
                                                into verification: inout LayerVerification) throws {
        guard source.attachmentCount(inLayer: index) != 0 else { return }
        let tableIndex = dataset.replica.layers.firstIndex { $0.name == "\(outputName)__ATTACH" }
        let lookup = try tableIndex.map { try dataset.lookup(inLayer: $0) }
        let dataField = tableIndex.flatMap { dataset.replica.layers[$0].fieldIndex(named: "DATA") }
        var stored = false
        defer { if stored { attachmentTables[layer.id] = "\(outputName)__ATTACH" } }
        try source.attachments(inLayer: index) { attachment in
            guard let data = attachment.data else { return }  // known only by URL: not stored (reported)
            stored = true
            let place = ErrorLocation(layer: layer.name, detail: "attachment \(attachment.attachmentId)", format: format)
            guard let lookup, let dataField, let row = try lookup.feature(fid: attachment.attachmentId) else {
                verification.differ(Difference(location: place, expected: "the attachment", actual: "none"))
                return
            }
            var stored: [UInt8] = []
            if case .blob(let bytes) = row.attributes[dataField] { stored = bytes }
            if SHA256.hash(stored).hex != SHA256.hash(data).hex {
                verification.differ(Difference(location: place, expected: "SHA-256 \(SHA256.hash(data).hex)", actual: "SHA-256 \(SHA256.hash(stored).hex)"))
            }
            verification.attachmentsCompared += 1
        }
    }

    // MARK: file per layer (shapefile, CSV, GeoJSON): features in order, split by geometry type

    private mutating func verifyFiles(base: String, layer: LayerSchema, index: Int,
                                      into verification: inout LayerVerification) throws {
        guard case .filePerLayer(let ext, _, let tableExtension) = profile.layout else { return }
        outputLayerNames[layer.id] = base
        let isTable = layer.kind == .table || layer.geometryType == nil
        let splits = !isTable && !profile.capabilities.contains(.mixedGeometryTypes)
        var streams: [GeometryType?: FeatureStream] = [:]
        func stream(for type: GeometryType?) throws -> FeatureStream? {
            let key: GeometryType? = isTable || !splits || type == layer.geometryType ? nil : type
            if let existing = streams[key] { return existing }
            let file = key == nil ? "\(base).\(isTable ? tableExtension ?? ext : ext)" : "\(base)_\(key!.fileSuffix).\(ext)"
            let url = folder.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            let made = try FeatureStream(GDALDatasetSource(url: url, options: profile.readBack.open), layer: 0)
            streams[key] = made
            verification.featuresOut += made.count
            if !isTable && profile.limits.storesSpatialReference {
                verifySpatialReference(layer, found: made.spatialReference, file: file, into: &verification)
            }
            return made
        }
        _ = try stream(for: nil)
        var featureIndex = 0
        try source.features(inLayer: index, batchSize: 512) { batch in
            for feature in batch {
                defer { featureIndex += 1 }
                let type = feature.geometry.flatMap { try? preparer.prepare($0, spatialReference: layer.spatialReference) }?.geometryType
                guard let stream = try stream(for: type), let written = try stream.next() else {
                    verification.differ(Difference(location: here(layer, featureIndex, objectID(feature, layer)),
                                                   expected: "a feature", actual: "none (the output has fewer features)"))
                    continue
                }
                compare(feature, written, input: layer, output: stream.schema, featureIndex: featureIndex, into: &verification)
            }
        }
        checkCount(&verification, layer: layer)
        try verifySidecar(base: base, layer: layer, index: index, into: &verification)
    }

    /// Attachments beside the format's files (`attachments/`), or inside its zip package.
    func verifySidecar(base: String, layer: LayerSchema, index: Int, into verification: inout LayerVerification) throws {
        guard source.attachmentCount(inLayer: index) != 0 else { return }
        let read: (String) throws -> [UInt8]?
        let root: String
        if let package {
            let reader = try ZipReader(path: package.url.path)
            read = { try reader.contents(of: $0) }
            root = package.package.attachmentsFolder
        } else {
            read = { path in FileManager.default.contents(atPath: folder.appendingPathComponent(path).path).map { [UInt8]($0) } }
            root = AttachmentSidecar.folder
        }
        var files: [Int64: String] = [:]
        if let text = try read("\(root)/\(base).csv").map({ String(decoding: $0, as: UTF8.self) }) {
            for line in text.split(separator: "\n").dropFirst() {
                let cells = Self.csvCells(String(line))
                if cells.count == 8, let id = Int64(cells[0]) { files[id] = cells[7] }
            }
        }
        try source.attachments(inLayer: index) { attachment in
            guard let data = attachment.data else { return }
            let place = ErrorLocation(layer: layer.name, detail: "attachment \(attachment.attachmentId)", format: format)
            guard let path = files[attachment.attachmentId], let stored = try read(path) else {
                verification.differ(Difference(location: place, expected: "the attachment", actual: "none"))
                return
            }
            if SHA256.hash([UInt8](stored)).hex != SHA256.hash(data).hex {
                verification.differ(Difference(location: place, expected: "SHA-256 \(SHA256.hash(data).hex)",
                                               actual: "SHA-256 \(SHA256.hash([UInt8](stored)).hex)"))
            }
            verification.attachmentsCompared += 1
        }
    }

    // MARK: one feature

    private mutating func compare(_ input: Feature, _ output: Feature, input inLayer: LayerSchema, output outLayer: LayerSchema,
                                  featureIndex: Int, into verification: inout LayerVerification) {
        let oid = objectID(input, inLayer)
        let plan = columnPlan(inLayer)
        let key = inLayer.name + "\u{1}" + outLayer.name
        let indexes = columnIndexes[key] ?? (plan.kept.map { Self.fieldIndex($0.name, in: outLayer) },
                                             plan.labels.map { outLayer.fieldIndex(named: $0.name) })
        columnIndexes[key] = indexes
        for ((i, field, rule, _), j) in zip(plan.kept, indexes.kept) {
            guard let j else {
                if featureIndex == 0 {
                    verification.differ(Difference(location: here(inLayer, nil, nil, field: field.name), expected: "a column", actual: "none"))
                }
                continue
            }
            let (expected, actual) = (input.attributes[i], output.attributes[j])
            var fixedPoint: (width: Int, precision: Int)?
            if case .fixed(let width) = rule.width, rule.precision > 0 { fixedPoint = (width, rule.precision) }
            if !ValueComparison.same(expected, actual, encoding: rule.encoding, crlfReadAsLF: profile.readBack.crlfReadAsLF,
                                     textCharacters: profile.limits.textCharacters,
                                     emptyTextReadAsNull: profile.readBack.emptyTextReadAsNull,
                                     trailingSpacesLost: profile.readBack.trailingSpacesLost,
                                     nonFiniteReals: profile.nonFiniteReals, fixedPoint: fixedPoint) {
                verification.differ(Difference(location: here(inLayer, featureIndex, oid, field: field.name),
                                               expected: "\(expected)", actual: "\(actual)"))
            }
            verification.valuesCompared += 1
        }
        // `--domain-labels` columns, where the export wrote them: the label of each coded value.
        for ((i, _, labels, name), j) in zip(plan.labels, indexes.labels) {
            guard let j else { continue }
            let label = labels.label(of: input.attributes[i], in: input.attributes)
            let actual = output.attributes[j]
            if !ValueComparison.same(label.map(Value.string) ?? .null, actual, encoding: plan.labelEncoding,
                                     trailingSpacesLost: profile.readBack.trailingSpacesLost) {
                verification.differ(Difference(location: here(inLayer, featureIndex, oid, field: name),
                                               expected: label.map { "label \"\($0)\" of \(input.attributes[i])" } ?? "no label",
                                               actual: "\(actual)"))
            }
            verification.valuesCompared += 1
        }
        let written = profile.readBack.geometryFromColumns ? geometryFromColumns(output, output: outLayer, input: inLayer)
                                                           : output.geometry
        compareGeometry(input.geometry, written, layer: inLayer, featureIndex: featureIndex, objectID: oid,
                        into: &verification)
    }

    private mutating func compareGeometry(_ input: Geometry?, _ output: Geometry?, layer: LayerSchema, featureIndex: Int,
                                          objectID: Int64?, into verification: inout LayerVerification) {
        guard layer.kind != .table, layer.geometryType != nil else { return }
        let place = here(layer, featureIndex, objectID, field: nil)
        guard let input, let prepared = try? preparer.prepare(input, spatialReference: layer.spatialReference) else {
            if output != nil { verification.differ(Difference(location: place, expected: "no geometry", actual: "a geometry")) }
            return
        }
        var expected = GeometryComparison.vertices(prepared)
        if profile.capabilities.contains(.requiresWGS84), let reference = layer.spatialReference {
            if toWGS84[layer.name] == nil { toWGS84[layer.name] = GeometryComparison.transformationToWGS84(from: reference) }
            expected = GeometryComparison.toWGS84(expected, with: toWGS84[layer.name] ?? nil)
        }
        if let limits = profile.readBack.refusedBeyond, limits.pointsWrapped, prepared.geometryType == .point {
            expected = expected.map { (WGS84Limits.wrappedLongitude($0.x), $0.y, $0.z, $0.m) }
        }
        guard let output else {
            // A format may write a geometry beyond what it holds as null (reported at export).
            let isPoint = prepared.geometryType == .point
            let refused = profile.readBack.refusedBeyond.map { limits in
                expected.contains { limits.refuses(x: $0.x, y: $0.y, isPoint: isPoint) }
            } ?? false
            if !expected.isEmpty && !refused && !notWritten(prepared, layer: layer) {
                verification.differ(Difference(location: place, expected: "a geometry", actual: "none"))
            }
            return
        }
        let actual = GeometryComparison.vertices(output)
        if let problem = GeometryComparison.differ(expected, actual, tolerance: tolerance(layer),
                                                   compareM: profile.capabilities.contains(.mValues) && prepared.hasM,
                                                   missingM: profile.missingMeasure) {
            verification.differ(Difference(location: place, expected: problem.expected, actual: problem.actual))
        }
        verification.verticesCompared += expected.count
    }

    /// The geometry of a format that keeps it in columns (``WriterProfile/ReadBack/geometryFromColumns``):
    /// a point from its X / Y (/ Z) columns, anything else from its WKT column, as the writer named them.
    private mutating func geometryFromColumns(_ feature: Feature, output: LayerSchema, input: LayerSchema) -> Geometry? {
        guard input.kind != .table, let type = input.geometryType else { return nil }
        let plan = columnPlan(input)
        let taken = Set(plan.kept.map { $0.name.lowercased() } + plan.labels.map { $0.name.lowercased() })
        func number(_ name: String) -> Double? { output.fieldIndex(named: name).flatMap { feature.attributes[$0].doubleValue } }
        if type == .point {
            let axes = GeometryColumns.pointAxes(for: input, takenNames: taken).map { number($0.name) }
            guard axes.count >= 2, let x = axes[0], let y = axes[1] else { return nil }
            return Geometry(.point(Vertex(x: x, y: y, z: axes.count > 2 ? axes[2] ?? 0 : 0)), hasZ: input.hasZ)
        }
        guard let column = output.fieldIndex(named: GeometryColumns.wktName(takenNames: taken)),
              case .string(let text) = feature.attributes[column], !text.isEmpty,
              let wkb = GDALGeometry.fromWKT(text)?.isoWKB else { return nil }
        return try? WKBDecoder.decode(wkb)
    }

    /// Whether the format leaves this geometry out, reporting it: a WKT longer than a value of it
    /// may be, or no point where the geometry is only X / Y (/ Z) columns.
    private func notWritten(_ geometry: PreparedGeometry, layer: LayerSchema) -> Bool {
        guard profile.readBack.geometryFromColumns else { return false }
        if layer.geometryType == .point { return !geometry.isPointOrEmpty }
        guard let limit = profile.limits.textCharacters else { return false }
        var replaced = 0
        let text = WKT.text(geometry, keepM: profile.capabilities.contains(.mValues), missingM: profile.missingMeasure,
                            replacedMissingM: &replaced)
        return (text?.utf16.count ?? 0) > limit
    }

    /// The coordinate precision the profile declares (``WriterProfile/ReadBack``).
    private func tolerance(_ layer: LayerSchema) -> (absolute: Double, relative: Double) {
        switch profile.readBack.coordinates {
        case .resolutionGrid:
            let resolution = layer.spatialReference?.xyResolution
                ?? ((layer.spatialReference?.isGeographic ?? false) ? 1e-9 : 1e-4)
            return (resolution * 1.5, 1e-12)
        case .absolute(let distance): return (distance, 1e-12)
        case .exact: return (1e-9, 1e-12)
        }
    }

    // MARK: helpers

    func checkCount(_ verification: inout LayerVerification, layer: LayerSchema) {
        if verification.featuresIn != verification.featuresOut {
            verification.differ(Difference(location: here(layer), expected: "\(verification.featuresIn) features",
                                           actual: "\(verification.featuresOut)"))
        }
    }

    func here(_ layer: LayerSchema, _ featureIndex: Int? = nil, _ objectID: Int64? = nil, field: String? = nil) -> ErrorLocation {
        ErrorLocation(layer: layer.name, featureIndex: featureIndex, objectID: objectID, field: field, format: format)
    }

    private func objectID(_ feature: Feature, _ layer: LayerSchema) -> Int64? {
        layer.objectIDFieldIndex.flatMap { feature.attributes[$0].integerValue }
    }

    /// By name, then as drivers launder names (FileGDB: `-` and spaces to `_`, a reserved word
    /// such as `values` with a `_` after it).
    static func layerIndex(named name: String, in replica: Replica) -> Int? {
        func key(_ s: String) -> String { String(s.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }) }
        return replica.layers.firstIndex { $0.name == name } ?? replica.layers.firstIndex { key($0.name) == key(name) }
            ?? replica.layers.firstIndex { key($0.name) == key(name) + "_" }
    }

    /// A column by name, case-insensitively; FileGDB renames a field named like the FID column `NAME_`.
    static func fieldIndex(_ name: String, in layer: LayerSchema) -> Int? {
        if let oid = layer.objectIdField, oid.lowercased() == name.lowercased() {
            // The FID column is the ObjectID; an ordinary field of that name was renamed.
            return layer.fieldIndex(named: name + "_") ?? layer.fieldIndex(named: name)
        }
        return layer.fieldIndex(named: name) ?? layer.fieldIndex(named: name + "_")
    }

    static func csvCells(_ line: String) -> [String] {
        var cells: [String] = [], current = "", quoted = false
        var iterator = line.makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else { quoted = false; if next == "," { cells.append(current); current = "" } else { current.append(next) } }
                    } else { quoted = false }
                } else { current.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { cells.append(current); current = "" } else { current.append(c) }
        }
        cells.append(current)
        return cells
    }
}

/// One output layer's features, one at a time.
final class FeatureStream {
    let schema: LayerSchema
    let count: Int
    /// The file's spatial reference as GDAL reads it.
    let spatialReference: GDALSpatialReference?
    private let cursor: any FeatureCursor
    private var buffer: [Feature] = []
    private var position = 0

    /// The features of the layer at `index` of `source`.
    init(_ source: GDALDatasetSource, layer index: Int) throws {
        schema = source.replica.layers.indices.contains(index) ? source.replica.layers[index]
            : LayerSchema(id: 0, schemaSource: .layerResource)
        count = source.featureCount(inLayer: index) ?? 0
        spatialReference = source.spatialReferences.indices.contains(index) ? source.spatialReferences[index] : nil
        cursor = try source.featureCursor(inLayer: index, batchSize: 512)
    }

    /// The features of one layer of any source.
    init(_ source: any ReplicaSource, layer index: Int) throws {
        schema = source.replica.layers[index]
        count = source.featureCount(inLayer: index) ?? 0
        spatialReference = nil
        cursor = try source.featureCursor(inLayer: index, batchSize: 512)
    }

    func next() throws -> Feature? {
        if position == buffer.count {
            guard let batch = try cursor.next() else { return nil }
            buffer = batch
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
    }
}

