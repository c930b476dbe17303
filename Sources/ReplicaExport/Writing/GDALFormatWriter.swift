import Foundation

/// A format GDAL writes, declared: its profile, and the few hooks where the format differs from the
/// generic path (extra creation options, extra columns, files written beside a layer's file).
/// Every hook has a default; most formats need one or two.
protocol GDALFormat {
    static var profile: WriterProfile { get }

    /// Layer creation options beyond the profile's own, for this layer and its planned columns.
    static func layerOptions(for layer: LayerSchema, columns: [GDALColumnSpec], featureIDField: Int?) -> [String]

    /// The name of a text column, first in the layer, that holds each feature's geometry as ISO
    /// WKT written by the writer (``ValueEncoding/geometryWKT``), the layer then having no geometry
    /// field of its own; nil where GDAL writes the geometry. `takenNames`: the fields' column
    /// names, lower-cased.
    static func wktColumn(for layer: LayerSchema, takenNames: Set<String>) -> String?

    /// Columns after the fields (CSV's point X / Y / Z). `takenNames` are the fields' column names.
    static func extraColumns(for layer: LayerSchema, takenNames: Set<String>, notes: inout LayerNotes) -> [GDALColumnSpec]

    /// Called once the columns are planned, with the layer's staging directory (file-per-layer
    /// formats): a format writes side files here (shapefile's field-name mapping).
    static func didPlanColumns(_ columns: [GDALColumnSpec], layer: LayerSchema, baseName: String,
                               directory: URL) throws

    /// Called after one of the layer's files was closed, in the staging directory; `joined`: the
    /// file was joined from segments, each of which went through ``didCloseSegment(_:columns:layer:)``.
    static func didCloseFile(_ file: String, columns: [GDALColumnSpec], layer: LayerSchema, directory: URL, joined: Bool) throws

    /// Called on each segment of a segmented layer once closed, the layer's own first segment
    /// included, on the thread that wrote it, before the segments are joined.
    static func didCloseSegment(_ path: String, columns: [GDALColumnSpec], layer: LayerSchema) throws

    /// A domain label (a `<field>_label` column) as the driver gets it; GeoJSON puts one GDAL
    /// would write as JSON behind its text marker.
    static func labelText(_ label: String) -> String

    /// Whether the layer's file is created with the layer's spatial reference (GeoJSON point
    /// layers are not: see ``GeoJSONFormat``).
    static func declaresSpatialReference(of layer: LayerSchema) -> Bool

    /// A batch as GDAL gets it, after any move to WGS 84; `firstIndex` is the layer-wide index of
    /// `features[0]`, for errors. A feature whose geometry the format refuses is given none, and
    /// its offset in `features` and the reason are added to `refused` (reported as
    /// ``Diagnostic/Code/geometryRefused``).
    static func adjust(_ features: [PreparedFeature], layer: LayerSchema, firstIndex: Int,
                       refused: inout [(offset: Int, reason: String)]) throws -> [PreparedFeature]

    /// Whether a large layer may be written in segments by several datasets at once, when the
    /// profile declares a ``WriterProfile/segmentLayout``: false where the driver writes
    /// something that depends on every feature (a layer bbox).
    static func segmentable(_ layer: LayerSchema) -> Bool

    /// Dataset creation options beyond the profile's own, for the whole replica being written.
    static func datasetOptions(for replica: Replica) -> [String]

    /// Called once the dataset of a one-dataset format is closed (in its staging directory, before
    /// it is packaged), with every layer written into it, in order: a format rewrites here what
    /// the driver wrote (KML's schemas).
    static func didCloseDataset(_ url: URL, layers: [DatasetLayer]) throws
}

/// One layer of a one-dataset format's dataset, as written: for ``GDALFormat/didCloseDataset(_:layers:)``.
struct DatasetLayer {
    /// The layer's name in the dataset, as the driver made it.
    var name: String
    var columns: [GDALColumnSpec]
    /// The columns' names as the driver made them, indexed like `columns`.
    var createdNames: [String]
    var featureCount: Int
}

extension GDALFormat {
    static func layerOptions(for layer: LayerSchema, columns: [GDALColumnSpec], featureIDField: Int?) -> [String] { [] }
    static func wktColumn(for layer: LayerSchema, takenNames: Set<String>) -> String? { nil }
    static func extraColumns(for layer: LayerSchema, takenNames: Set<String>, notes: inout LayerNotes) -> [GDALColumnSpec] { [] }
    static func didPlanColumns(_ columns: [GDALColumnSpec], layer: LayerSchema, baseName: String, directory: URL) throws {}
    static func didCloseFile(_ file: String, columns: [GDALColumnSpec], layer: LayerSchema, directory: URL, joined: Bool) throws {}
    static func didCloseSegment(_ path: String, columns: [GDALColumnSpec], layer: LayerSchema) throws {}
    static func declaresSpatialReference(of layer: LayerSchema) -> Bool { true }
    static func labelText(_ label: String) -> String { label }
    static func adjust(_ features: [PreparedFeature], layer: LayerSchema, firstIndex: Int,
                       refused: inout [(offset: Int, reason: String)]) throws -> [PreparedFeature] { features }
    static func segmentable(_ layer: LayerSchema) -> Bool { true }
    static func datasetOptions(for replica: Replica) -> [String] { [] }
    static func didCloseDataset(_ url: URL, layers: [DatasetLayer]) throws {}
}

/// The diagnostics of one layer as a writer plans it; appended to the writer's list.
struct LayerNotes {
    let layer: String
    let output: String?
    private(set) var diagnostics: [Diagnostic] = []

    init(layer: String, output: String?) {
        self.layer = layer
        self.output = output
    }

    mutating func note(_ code: Diagnostic.Code, _ message: String, field: String? = nil, output: String? = nil,
                       count: Int? = nil) {
        diagnostics.append(Diagnostic(code, message, at: ErrorLocation(layer: layer, field: field,
                                                                       output: output ?? self.output),
                                      count: count))
    }
}

/// The one writer of every GDAL format: acts on the format's ``WriterProfile`` the way GDAL's generic
/// layer code acts on a driver's declared capabilities.
///
/// Layout: a one-dataset format (FileGDB, GeoPackage) gets `<replica>.<ext>` holding every layer; a
/// file-per-layer format (shapefile, CSV, GeoJSON) gets `<layer>.<ext>` and, when it cannot mix
/// geometry types, `<layer>_<type>s.<ext>` for features of other types, created on first use.
/// Everything is written under temporary names (``OutputStaging``) and renamed at ``commit()``.
final class GDALFormatWriter<Format: GDALFormat>: FormatWriter {
    static var profile: WriterProfile { Format.profile }
    private var profile: WriterProfile { Format.profile }
    /// The profile's GDAL part: every ``GDALFormat`` declares one.
    private var driver: WriterProfile.GDALProfile {
        guard let gdal = Format.profile.gdal else { preconditionFailure("\(Format.profile.formatName) declares no GDAL driver") }
        return gdal
    }

    private let request: WriterRequest
    private let staging: OutputStaging
    private var names = OutputNames()
    private(set) var diagnostics: [Diagnostic] = []
    private var outputs: [WrittenOutput] = []
    private var finished = false

    /// The one dataset of a one-dataset format, opened on first use.
    private var sharedDataset: (dataset: GDALOutputDataset, directory: URL)?
    /// The transactions of the one dataset, where the profile groups features in them.
    private(set) var sharedTransactions: TransactionBatches?
    /// How many features one transaction holds (``WriterProfile/featuresPerTransaction``), read
    /// when opened; nil: none are opened.
    private let featuresPerTransaction: Int?
    private var addedDomains: Set<String> = []
    /// The layers written into the one dataset, in order (continuation layers included).
    private var datasetLayers: [DatasetLayer] = []
    /// Layer names in the one dataset, where the format has rules for them.
    private var layerNames: LayerNames?
    /// The most features one layer holds (``WriterProfile/featuresPerLayer``), read when opened.
    private let featuresPerLayer: Int?

    /// The layer being written.
    private struct OpenLayer {
        var schema: LayerSchema
        var baseName: String
        var directory: URL
        var columns: [GDALColumnSpec]
        var featureIDField: Int?
        /// Features written so far (their layer-wide index).
        var nextFeatureIndex = 0
        /// By file name, in creation order.
        var sinks: [Sink] = []
        /// Set when the layer may be written in segments (see ``SegmentLayout``): the plan and
        /// how the files join.
        var segmentation: (plan: SegmentPlan, layout: SegmentLayout)?
        /// Makes another dataset and layer like the main sink's, at a path (any thread).
        var makeSegment: ((String) throws -> SegmentSink)?
        /// The sink written in segments: the layer's own file (not the files of other geometry
        /// types a shapefile layer may need); set with ``makeSegment``.
        var segmentedSink: Int?
        /// Weight (``SegmentPlan/weight(of:)``) handed to the layer's own file, the first segment.
        var firstSegmentFill = 0
        /// The later segments, once the first is full.
        var segments: SegmentedLayer?
        /// What the first segment set aside for the end of the layer, taken when it was closed.
        var firstSegmentDeferred: [GDALLayerWriter.DeferredFeature] = []
        /// The layer's name in the one dataset of a one-dataset format.
        var datasetLayerName: String
        /// The layers it continues in, once its first holds ``featuresPerLayer`` features.
        var continuations: [String] = []
    }
    private struct Sink {
        var file: String
        var geometryType: GeometryType?
        /// Own dataset of a file-per-layer format; nil for the shared one.
        var dataset: GDALOutputDataset?
        var writer: GDALLayerWriter
    }
    private var open: OpenLayer?

    /// What was written of each layer, by layer id: for relationship classes and their listing.
    private struct WrittenLayer {
        var name: String
        /// Source field name → the column's name in the output (the FID column included).
        var columns: [String: String]
        /// The layer in the shared dataset of a one-dataset format.
        var writer: GDALLayerWriter?
    }
    private var written: [Int: WrittenLayer] = [:]

    /// Attachments of the open layer: in a `<layer>__ATTACH` table where the format keeps them,
    /// else beside the format's files.
    private var attachmentTable: GDALLayerWriter?
    private var sidecar: AttachmentSidecar?
    /// The open layer's ObjectIDs by GlobalID, when it declares attachments: the index and the
    /// table name both.
    private var parents = AttachmentParents()

    init(request: WriterRequest) throws {
        self.request = request
        staging = OutputStaging(outputDirectory: request.outputDirectory, overwrite: request.overwrite)
        featuresPerLayer = Format.profile.featuresPerLayer
        featuresPerTransaction = Format.profile.featuresPerTransaction
        layerNames = Format.profile.limits.layerNames.map(LayerNames.init(rule:))
        if case .oneDataset = profile.layout {
            try staging.checkAvailable([deliveredFileName], at: ErrorLocation(output: deliveredFileName))
        }
        try checkMemory()
    }

    /// Refuses, before anything is written, an export the driver would hold in more memory than
    /// there is (``WriterProfile/Limits/memoryUntilClose``): the estimate counts the features the
    /// input knows of and each layer's columns.
    private func checkMemory() throws {
        guard let cost = profile.limits.memoryUntilClose else { return }
        var features = 0, cells = 0
        for (index, layer) in request.replica.layers.enumerated() {
            guard let count = request.featureCounts.indices.contains(index) ? request.featureCounts[index] : nil else { continue }
            let plan = profile.columnPlan(for: layer, domainLabels: request.domainLabels)
            // The fields' columns, and the geometry's (WKT, or X, Y and Z).
            let columns = plan.kept.count + plan.labels.count + (isTable(layer) ? 0 : 3)
            features += count
            cells += count * columns
        }
        let needed = cost.bytesFixed + features * cost.bytesPerFeature + cells * cost.bytesPerCell
        guard let available = MemoryBudget.availableBytes(), needed > available else { return }
        throw ReplicaExportError(.tooLarge,
            "\(features) features (\(cells) cells) need about \(MemoryBudget.megabytes(needed)) of memory in \(profile.formatName), "
                + "whose GDAL driver holds the whole file until it is closed, more than the \(MemoryBudget.megabytes(available)) "
                + "available; export fewer layers or features (createReplica layers, a where clause), choose another format, "
                + "or run on a machine with more memory (or set \(MemoryBudget.overrideVariable) if the available memory is misjudged)",
            at: ErrorLocation(format: profile.formatName, output: deliveredFileName))
    }

    func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    // MARK: layers

    func beginLayer(_ layer: LayerSchema) throws {
        if finished { throw ReplicaExportError(.invalidState, "the writer was already committed or aborted") }
        if let current = open {
            throw ReplicaExportError(.invalidState, "beginLayer('\(layer.name)') while layer '\(current.schema.name)' is open")
        }
        let baseName = names.name(for: layer)
        let directory: URL
        var output: String?
        switch profile.layout {
        case .oneDataset:
            directory = try sharedDatasetOpened().directory
            output = deliveredFileName
        case .filePerLayer(let ext, let siblings, let tableExtension):
            let main = "\(baseName).\(isTable(layer) ? tableExtension ?? ext : ext)"
            var finals = [main] + siblings.map { "\(baseName).\($0)" }
            if splitsGeometryTypes(layer) {
                for type in GeometryType.splitTypes { finals += ([ext] + siblings).map { "\(baseName)_\(type.fileSuffix).\($0)" } }
            }
            let location = ErrorLocation(layer: layer.name, output: main)
            try staging.checkAvailable(finals, at: location)
            directory = try staging.makeGroup(label: main, obsolete: finals.filter { $0 != main }, at: location)
            if !splitsGeometryTypes(layer) { output = main }
        }
        var notes = LayerNotes(layer: layer.name, output: output)
        let featureIDField = profile.featureID == .none ? nil : layer.objectIDFieldIndex
        var columns = planColumns(layer, featureIDField: featureIDField, notes: &notes)
        if hasGeometry(layer), let name = Format.wktColumn(for: layer, takenNames: Set(columns.map { $0.name.lowercased() })) {
            columns.insert(GDALColumnSpec(name: name, type: .string, source: 0, encoding: .geometryWKT, sourceName: name),
                           at: 0)
        }
        columns += Format.extraColumns(for: layer, takenNames: Set(columns.map { $0.name.lowercased() }), notes: &notes)
        if hasGeometry(layer) && layer.hasM && !profile.capabilities.contains(.mValues) {
            notes.note(.measuresDropped, "M values dropped: \(profile.formatName) has no measures")
        }
        if hasGeometry(layer) && layer.spatialReference == nil && profile.capabilities.contains(.requiresWGS84) {
            notes.note(.noSpatialReference,
                       "no spatial reference: coordinates written as given, assumed to be WGS84 longitude/latitude")
        }
        if hasGeometry(layer), let reference = layer.spatialReference, !profile.limits.storesSpatialReference {
            notes.note(.spatialReferenceNotStored,
                       "coordinates are in \(reference.preferredWkid.map { "wkid \($0)" } ?? "the layer's WKT coordinate system"), which \(profile.formatName) cannot record: keep it with the file")
        }
        diagnostics += notes.diagnostics
        try Format.didPlanColumns(columns, layer: layer, baseName: baseName, directory: directory)
        open = OpenLayer(schema: layer, baseName: baseName, directory: directory, columns: columns,
                         featureIDField: featureIDField, datasetLayerName: layerNames?.name(baseName) ?? baseName)
        if let layout = driver.segmentLayout, request.segments.isOn, case .filePerLayer = profile.layout,
           Format.segmentable(layer), !columns.contains(where: { $0.domain != nil }) {
            open!.segmentation = (request.segments, layout)
        }
        // A file-per-layer format that splits geometry types creates each file when a feature first
        // needs it (so a layer whose features all have another type gets no empty main file); the
        // layer of a one-dataset format is made at once, its layers of other types when needed.
        if !splitsGeometryTypes(layer) || !isFilePerLayer { _ = try sinkIndex(for: nil) }
    }

    func write(_ features: [PreparedFeature]) throws {
        guard let layer = open else { throw ReplicaExportError(.invalidState, "write called outside beginLayer / endLayer") }
        var features = features
        var refused: [(offset: Int, reason: String)] = []
        do {
            features = try Format.adjust(features, layer: layer.schema, firstIndex: layer.nextFeatureIndex, refused: &refused)
        } catch let error as ReplicaExportError {
            throw error.located(ErrorLocation(layer: layer.schema.name, output: layer.sinks.first?.file))
        }
        if !refused.isEmpty {
            let main = open!.sinks[try sinkIndex(for: nil)].writer
            let oid = layer.schema.objectIDFieldIndex
            for (offset, reason) in refused {
                main.recordRefusedGeometry(reason, at: ErrorLocation(featureIndex: layer.nextFeatureIndex + offset,
                                                                     objectID: oid.flatMap { features[offset].attributes[$0].integerValue }))
            }
        }
        if splitsGeometryTypes(layer.schema) {
            // Runs of one geometry type go to that type's file.
            var start = 0
            while start < features.count {
                let type = features[start].geometry?.geometryType
                var end = start + 1
                while end < features.count && features[end].geometry?.geometryType == type { end += 1 }
                let sink = try sinkIndex(for: type)
                if let plan = layer.segmentation?.plan, sink == open!.segmentedSink {
                    try writeSegmented(start == 0 && end == features.count ? features : Array(features[start..<end]),
                                       firstIndex: layer.nextFeatureIndex + start, plan: plan)
                } else {
                    try open!.sinks[sink].writer.write(features[start..<end], firstIndex: layer.nextFeatureIndex + start)
                }
                start = end
            }
        } else if let plan = layer.segmentation?.plan {
            try writeSegmented(features, firstIndex: layer.nextFeatureIndex, plan: plan)
        } else if let limit = featuresPerLayer, case .oneDataset = profile.layout {
            try writeWithin(limit, features, firstIndex: layer.nextFeatureIndex)
        } else {
            try layer.sinks[0].writer.write(features, firstIndex: layer.nextFeatureIndex)
        }
        parents.note(features, of: layer.schema)
        open!.nextFeatureIndex += features.count
    }

    /// Writes into the layer's last dataset layer until it holds `limit` features, then into a new
    /// one that continues it (`<name> (2)`, ...).
    private func writeWithin(_ limit: Int, _ features: [PreparedFeature], firstIndex: Int) throws {
        var start = 0
        while start < features.count {
            var sink = open!.sinks.count - 1
            if open!.sinks[sink].writer.featureCount >= limit { sink = try continueLayer() }
            let end = min(features.count, start + limit - open!.sinks[sink].writer.featureCount)
            let part = start == 0 && end == features.count ? features[...] : features[start..<end]
            try open!.sinks[sink].writer.write(part, firstIndex: firstIndex + start)
            start = end
        }
    }

    /// A new layer in the one dataset that continues the open layer; returns its sink's index.
    private func continueLayer() throws -> Int {
        let number = open!.continuations.count + 2
        let base = open!.datasetLayerName
        let name = layerNames?.continuation(of: base, number: number) ?? "\(base) (\(number))"
        open!.continuations.append(name)
        return try makeSink(type: open!.sinks.last?.geometryType, layerName: name)
    }

    func endLayer() throws {
        guard let layer = open else { throw ReplicaExportError(.invalidState, "endLayer called outside beginLayer / endLayer") }
        // A feature layer without features still gets its (empty) main file.
        if layer.sinks.isEmpty { _ = try sinkIndex(for: nil) }
        var columns: [String: String] = [:]
        if let fid = layer.featureIDField, let first = open!.sinks.first, !first.writer.fidColumn.isEmpty {
            columns[layer.schema.fields[fid].name] = first.writer.fidColumn
        }
        if let first = open!.sinks.first {
            for (column, created) in zip(first.writer.columns, first.writer.createdNames) where column.sourceType != nil {
                columns[column.sourceName] = created
            }
        }
        let oneDataset: Bool = { if case .oneDataset = profile.layout { return true } else { return false } }()
        written[layer.schema.id] = WrittenLayer(
            name: oneDataset ? (open!.sinks.first?.writer.layerName ?? layer.baseName) : layer.baseName,
            columns: columns, writer: oneDataset ? open!.sinks.first?.writer : nil)
        try endAttachments(of: layer)
        let joinedSink = open!.segments == nil ? nil : layer.segmentedSink
        if let segments = open!.segments { try joinSegments(segments) }
        if open!.nextFeatureIndex == 0 && profile.limits.emptyLayersLoseColumns {
            diagnostics.append(Diagnostic(
                .columnsNotWritten,
                "no features: \(profile.formatName)'s GDAL driver writes a layer's column names only above its features, "
                    + "so the layer is there without them",
                at: ErrorLocation(layer: layer.schema.name, output: deliveredFileName), count: layer.columns.count))
        }
        if !open!.continuations.isEmpty, let limit = featuresPerLayer {
            let names = open!.continuations.map { "'\($0)'" }.joined(separator: ", ")
            diagnostics.append(Diagnostic(
                .layerContinued,
                "\(open!.nextFeatureIndex) features, more than the \(limit) one \(profile.formatName) layer holds: "
                    + "continued in \(names)",
                at: ErrorLocation(layer: layer.schema.name, output: deliveredFileName), count: open!.continuations.count))
        }
        for (index, sink) in open!.sinks.enumerated() {
            try sink.writer.writeDeferred()
            reportLosses(sink.writer, layer: layer.schema, output: sink.file)
            if sink.dataset == nil {
                datasetLayers.append(DatasetLayer(name: sink.writer.layerName, columns: sink.writer.columns,
                                                  createdNames: sink.writer.createdNames, featureCount: sink.writer.featureCount))
            }
            if let dataset = sink.dataset {
                try dataset.close()
                try Format.didCloseFile(sink.file, columns: layer.columns, layer: layer.schema, directory: layer.directory,
                                        joined: index == joinedSink)
            }
            outputs.append(WrittenOutput(url: staging.finalURL(sink.dataset == nil ? deliveredFileName : sink.file),
                                         layerName: layer.schema.name, featureCount: sink.writer.featureCount))
        }
        // The layer's last transaction, however few features it holds (a file of its own was
        // committed as it was closed).
        try sharedTransactions?.commit()
        open = nil
    }

    // MARK: attachments

    func write(attachments: [Attachment], of schema: LayerSchema) throws {
        guard let layer = open else { throw ReplicaExportError(.invalidState, "attachments written outside beginLayer / endLayer") }
        if layer.sinks.isEmpty { _ = try sinkIndex(for: nil) }
        for attachment in attachments {
            let location = ErrorLocation(layer: schema.name, detail: "attachment \(attachment.attachmentId)")
            let parentObjectID = parents.objectID(of: attachment)
            if profile.capabilities.contains(.attachments) {
                guard attachment.data != nil else {
                    sidecarlessURLs += 1
                    continue
                }
                try attachmentTableWriter(for: layer).write(
                    [Self.row(attachment, parentObjectID: parentObjectID, byGlobalID: layer.schema.globalIdField != nil)],
                    firstIndex: attachmentTable?.featureCount ?? 0)
            } else {
                let sidecar = try self.sidecar ?? newSidecar()
                self.sidecar = sidecar
                try sidecar.write(attachment, parentObjectID: parentObjectID, layerBaseName: layer.baseName, at: location)
            }
        }
    }

    /// Attachments known only by URL that a format keeping bytes inside could not store.
    private var sidecarlessURLs = 0

    /// Attachments beside the format's files, or inside its zip package where it has one.
    private func newSidecar() throws -> AttachmentSidecar {
        guard let package = profile.limits.zipPackage else { return AttachmentSidecar(staging: staging) }
        return AttachmentSidecar(root: try sharedDatasetOpened().directory.appendingPathComponent(package.attachmentsFolder),
                                 folder: package.attachmentsFolder)
    }

    /// The ArcGIS attachment table layout: ATTACHMENTID, REL_GLOBALID (or REL_OBJECTID where the
    /// parent has no GlobalID), CONTENT_TYPE, ATT_NAME, DATA_SIZE, DATA, GLOBALID.
    private static func attachmentSchema(for parent: LayerSchema, name: String) -> LayerSchema {
        let parentKey = parent.globalIdField != nil
            ? Field(name: "REL_GLOBALID", type: .guid) : Field(name: "REL_OBJECTID", type: .integer)
        return LayerSchema(id: parent.id, name: name, kind: .table, objectIdField: "ATTACHMENTID", globalIdField: "GLOBALID",
                           fields: [Field(name: "ATTACHMENTID", type: .objectID, nullable: false), parentKey,
                                    Field(name: "CONTENT_TYPE", type: .string, length: 150),
                                    Field(name: "ATT_NAME", type: .string, length: 250),
                                    Field(name: "DATA_SIZE", type: .integer), Field(name: "DATA", type: .blob),
                                    Field(name: "GLOBALID", type: .guid)],
                           schemaSource: .layerResource)
    }

    private static func row(_ a: Attachment, parentObjectID: Int64?, byGlobalID: Bool) -> PreparedFeature {
        let parent: Value = byGlobalID ? a.parentGlobalId.map(Value.guid) ?? .null
                                       : parentObjectID.flatMap { Int32(exactly: $0) }.map(Value.int32) ?? .null
        let size = a.data.map { Int32(clamping: $0.count) } ?? a.size.map { Int32(clamping: $0) }
        return PreparedFeature(attributes: [.int64(a.attachmentId), parent, a.contentType.map(Value.string) ?? .null,
                                            .string(a.name), size.map(Value.int32) ?? .null,
                                            a.data.map(Value.blob) ?? .null, a.globalId.map(Value.guid) ?? .null],
                               geometry: nil)
    }

    private func attachmentTableWriter(for layer: OpenLayer) throws -> GDALLayerWriter {
        if let attachmentTable { return attachmentTable }
        let parentName = layer.sinks.first?.writer.layerName ?? layer.baseName
        let schema = Self.attachmentSchema(for: layer.schema, name: "\(parentName)__ATTACH")
        let location = ErrorLocation(layer: layer.schema.name, output: datasetFileName)
        var notes = LayerNotes(layer: schema.name, output: datasetFileName)
        let columns = planColumns(schema, featureIDField: 0, notes: &notes)
        let options = driver.layerOptions + Format.layerOptions(for: schema, columns: columns, featureIDField: 0)
        let dataset = try sharedDatasetOpened().dataset
        try sharedTransactions?.commit()  // a layer is added outside a transaction
        let writer = try dataset.createLayer(
            name: schema.name, spatialReference: nil, geometry: GDALGeometrySpec(kind: .none), options: options,
            columns: columns, fidSource: 0, objectIDSource: 0, keepM: false, at: location)
        writer.transactions = sharedTransactions
        attachmentTable = writer
        return writer
    }

    /// Finishes the open layer's attachments: the table (and, where the format keeps relationship
    /// classes, the attachment relationship ArcGIS shows attachments through), or the index.
    private func endAttachments(of layer: OpenLayer) throws {
        let location = ErrorLocation(layer: layer.schema.name)
        defer { parents.removeAll() }
        diagnostics += try sidecar?.endLayer(at: location, insidePackage: profile.limits.zipPackage == nil ? nil : deliveredFileName) ?? []
        if sidecarlessURLs > 0 {
            diagnostics.append(Diagnostic(.attachmentsByURL,
                                          "\(sidecarlessURLs) attachment(s) known only by URL were not stored (nothing is fetched)",
                                          at: location, count: sidecarlessURLs))
            sidecarlessURLs = 0
        }
        guard let table = attachmentTable else { return }
        attachmentTable = nil
        try table.writeDeferred()
        diagnostics.append(Diagnostic(.attachmentsWritten, "\(table.featureCount) attachment(s) written to \(table.layerName)",
                                      at: ErrorLocation(layer: layer.schema.name, output: datasetFileName),
                                      count: table.featureCount, severity: .info))
        guard profile.capabilities.contains(.relationships), let parent = layer.sinks.first?.writer else { return }
        let parentKey: String
        if let gid = layer.schema.globalIdField,
           let created = zip(parent.columns, parent.createdNames).first(where: { $0.0.sourceName == gid })?.1 {
            parentKey = created
        } else {
            parentKey = parent.fidColumn
        }
        try parent.syncToDisk()
        try table.syncToDisk()
        let relationship = GDALRelationship(name: "\(parent.layerName)__ATTACHREL", leftTable: parent.layerName,
                                            rightTable: table.layerName, cardinality: .oneToMany)
        relationship.setKeys(left: [parentKey], right: [table.createdNames[0]])
        relationship.setKind(.composite)
        relationship.setLabels(forward: "attachment", backward: "object")
        relationship.setRelatedTableType("media")
        do {
            try sharedDatasetOpened().dataset.addRelationship(relationship, at: ErrorLocation(layer: layer.schema.name,
                                                                                              output: datasetFileName))
        } catch let error as ReplicaExportError {
            diagnostics.append(Diagnostic(.relationshipsDropped, "the attachment relationship class was not created: \(error.message)",
                                          at: location, count: 1))
        }
    }

    // MARK: relationship classes

    /// Lists the classes whose both ends were written in `relationships.json` (every format), and
    /// creates them in the dataset where the format keeps relationship classes; what GDAL refuses
    /// is reported.
    func write(relationships: [RelationshipClass]) throws {
        let classes = relationships.filter { written[$0.originLayerId] != nil && written[$0.destinationLayerId] != nil }
        guard !classes.isEmpty else { return }
        try writeRelationshipListing(classes)
        guard profile.capabilities.contains(.relationships), let dataset = sharedDataset?.dataset else {
            diagnostics.append(Diagnostic(
                .relationshipsDropped,
                "\(classes.count) relationship class(es) listed in relationships.json only: \(profile.formatName) has no relationship classes",
                at: ErrorLocation(output: "relationships.json"), count: classes.count))
            return
        }
        for relationship in classes {
            let origin = written[relationship.originLayerId]!, destination = written[relationship.destinationLayerId]!
            let location = ErrorLocation(layer: origin.name, detail: "relationship class '\(relationship.name)'",
                                         output: datasetFileName)
            guard let destinationKey = relationship.destinationKeyField,
                  let left = origin.columns[relationship.originKeyField] ?? Self.caseInsensitive(relationship.originKeyField, in: origin.columns),
                  let right = destination.columns[destinationKey] ?? Self.caseInsensitive(destinationKey, in: destination.columns) else {
                diagnostics.append(Diagnostic(.relationshipsDropped,
                                              "relationship class '\(relationship.name)' not created: a key field is not among the written columns",
                                              at: location, count: 1))
                continue
            }
            // GDAL 3.6.2's FileGDB writer needs both tables on disk before it relates them.
            try origin.writer?.syncToDisk()
            try destination.writer?.syncToDisk()
            let cardinality: GDALRelationship.Cardinality
            switch relationship.cardinality {
            case .oneToOne: cardinality = .oneToOne
            case .oneToMany: cardinality = .oneToMany
            case .manyToMany: cardinality = .manyToMany
            }
            let gdalRelationship = GDALRelationship(name: relationship.name, leftTable: origin.name,
                                                    rightTable: destination.name, cardinality: cardinality)
            gdalRelationship.setKeys(left: [left], right: [right])
            gdalRelationship.setKind(relationship.isComposite ? .composite : .association)
            gdalRelationship.setLabels(forward: destination.name, backward: origin.name)
            gdalRelationship.setRelatedTableType("feature")
            do {
                try dataset.addRelationship(gdalRelationship, at: location)
            } catch let error as ReplicaExportError {
                diagnostics.append(Diagnostic(.relationshipsDropped,
                                              "relationship class '\(relationship.name)' not created: \(error.message)",
                                              at: location, count: 1))
            }
        }
    }

    private static func caseInsensitive(_ name: String, in columns: [String: String]) -> String? {
        columns.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    /// `relationships.json`: each class with its ends as written (layer and key column names).
    private func writeRelationshipListing(_ classes: [RelationshipClass]) throws {
        typealias End = RelationshipListingEntry.End
        let entries = classes.map { r -> RelationshipListingEntry in
            let origin = written[r.originLayerId]!, destination = written[r.destinationLayerId]!
            return RelationshipListingEntry(id: r.id, name: r.name, cardinality: r.cardinality.rawValue, composite: r.isComposite,
                         origin: End(layerId: r.originLayerId, layer: origin.name,
                                     key: origin.columns[r.originKeyField] ?? r.originKeyField),
                         destination: End(layerId: r.destinationLayerId, layer: destination.name,
                                          key: r.destinationKeyField.map { destination.columns[$0] ?? $0 }))
        }
        try RelationshipListingEntry.write(entries, staging: staging)
    }

    // MARK: commit and abort

    func commit() throws -> [WrittenOutput] {
        if open != nil { try endLayer() }
        if case .oneDataset = profile.layout {
            // A replica without layers still gives an (empty) dataset.
            let directory = try sharedDatasetOpened().directory
            try sharedDataset!.dataset.close()
            sharedDataset = nil
            let url = directory.appendingPathComponent(datasetFileName)
            try Format.didCloseDataset(url, layers: datasetLayers)
            if let package = profile.limits.zipPackage { try pack(url, as: package, in: directory) }
        }
        try staging.commit()
        finished = true
        return outputs
    }

    /// Zips the closed dataset (as the package's entry) and the attachments beside it into
    /// ``deliveredFileName``, then removes them: the package is all that is committed.
    private func pack(_ dataset: URL, as package: WriterProfile.ZipPackage, in directory: URL) throws {
        let attachments = directory.appendingPathComponent(package.attachmentsFolder, isDirectory: true)
        let hasAttachments = FileManager.default.fileExists(atPath: attachments.path)
        let archive = try ZipArchive(creating: directory.appendingPathComponent(deliveredFileName).path)
        try archive.addFile(at: dataset, as: package.datasetEntry, compressionLevel: package.compressionLevel)
        if hasAttachments { try archive.addDirectoryContents(attachments, prefix: package.attachmentsFolder + "/") }
        try archive.close()
        do {
            try FileManager.default.removeItem(at: dataset)
            if hasAttachments { try FileManager.default.removeItem(at: attachments) }
        } catch {
            throw ReplicaExportError.fileSystem(error, doing: "removing what was packed into \(deliveredFileName)",
                                                path: directory.path, at: ErrorLocation(output: deliveredFileName))
        }
    }

    func abort() {
        open?.segments?.cancel()  // waits for the workers, so that no dataset is open below
        for sink in open?.sinks ?? [] { sink.writer.transactions?.rollback() }
        sharedTransactions?.rollback()
        sharedTransactions = nil
        open = nil
        written = [:]
        attachmentTable = nil
        _ = try? sidecar?.end()  // aborting: what it would report is moot
        sharedDataset = nil  // closed by deinit, errors ignored
        staging.abort()
        finished = true
    }

    // MARK: planning

    /// The file GDAL writes of a one-dataset format: `<replica>.<extension>`.
    private var datasetFileName: String {
        guard case .oneDataset(let ext) = profile.layout else { return "" }
        return "\(datasetBaseName).\(ext)"
    }

    /// The file a one-dataset format delivers: the dataset, or the zip package around it.
    private var deliveredFileName: String {
        guard let package = profile.limits.zipPackage else { return datasetFileName }
        return "\(datasetBaseName).\(package.fileExtension)"
    }

    private var datasetBaseName: String {
        guard case .oneDataset(let ext) = profile.layout else { return "" }
        var base = OutputNames.sanitize(request.replica.name)
        if base.isEmpty { base = "replica" }
        for suffix in [ext] + (profile.limits.zipPackage.map { [$0.fileExtension] } ?? [])
        where base.lowercased().hasSuffix(".\(suffix)") {
            base = String(base.dropLast(suffix.count + 1))
        }
        return base
    }

    /// The dataset creation options: the profile's, and the format's for this replica.
    private var datasetOptions: [String] { driver.datasetOptions + Format.datasetOptions(for: request.replica) }

    private func sharedDatasetOpened() throws -> (dataset: GDALOutputDataset, directory: URL) {
        if let sharedDataset { return sharedDataset }
        let location = ErrorLocation(output: deliveredFileName)
        // Not `.<name>.xlsx.partial-...`: GDAL 3.6.2's zip-based drivers (XLSX) take a directory
        // named like an archive for one, and fail to save into it.
        let directory = try staging.makeGroup(label: "\(datasetBaseName)-\(profile.formatName)", at: location)
        let created = try GDALOutputDataset(driver: driver.driverName,
                                            path: directory.appendingPathComponent(datasetFileName).path,
                                            options: datasetOptions, configOptions: driver.configOptions,
                                            location: location)
        sharedDataset = (created, directory)
        sharedTransactions = transactionBatches(for: created)
        return (created, directory)
    }

    /// The transactions of a dataset this writer made, where the profile groups features in them.
    private func transactionBatches(for dataset: GDALOutputDataset) -> TransactionBatches? {
        featuresPerTransaction.map { TransactionBatches(dataset: dataset, size: $0) }
    }

    private func isTable(_ layer: LayerSchema) -> Bool { layer.kind == .table || layer.geometryType == nil }
    private func hasGeometry(_ layer: LayerSchema) -> Bool { !isTable(layer) }

    /// Whether features of other geometry types than the layer's go to files or layers of their
    /// own (`<layer>_<type>s`): in every format that holds one type per layer.
    private func splitsGeometryTypes(_ layer: LayerSchema) -> Bool {
        hasGeometry(layer) && !profile.capabilities.contains(.mixedGeometryTypes)
    }

    private var isFilePerLayer: Bool {
        if case .filePerLayer = profile.layout { return true }
        return false
    }


    /// Each field through the profile's table: its column, or the reported reason it has none.
    private func planColumns(_ layer: LayerSchema, featureIDField: Int?, notes: inout LayerNotes) -> [GDALColumnSpec] {
        // A format whose feature id IS a named column (FileGDB, GeoPackage) gets the OID only there.
        let oidIsColumn = featureIDField != nil && profile.featureID == .objectIDColumn
        let plan = profile.columnPlan(for: layer, domainLabels: request.domainLabels,
                                      skippedField: oidIsColumn ? featureIDField : nil)
        for (field, reason) in plan.dropped { notes.note(.fieldDropped, reason, field: field.name) }
        if !layer.subtypes.isEmpty, let subtypeField = layer.subtypeField {
            let ownDomain = layer.fields.first { $0.name == subtypeField }?.domain
            let message: String
            if !profile.capabilities.contains(.domains) {
                message = "\(layer.subtypes.count) subtypes not kept: \(profile.formatName) has no subtypes (domain labels give their names)"
            } else if let ownDomain {
                message = "\(layer.subtypes.count) subtypes not kept: the field keeps its own domain '\(ownDomain.name)'"
            } else {
                message = "\(layer.subtypes.count) subtypes kept as the coded domain of '\(subtypeField)'; their own domains and default values are not kept"
            }
            notes.note(.subtypesDropped, message, field: subtypeField, count: layer.subtypes.count)
        }
        var columns: [GDALColumnSpec] = []
        for (i, field, rule, name) in plan.kept {
            if name != field.name {
                notes.note(.fieldRenamed, driver.maxFieldNameBytes == nil ? "field renamed to '\(name)': \(profile.formatName) cannot write its name as given"
                                                                   : "field name shortened to '\(name)'", field: field.name)
            }
            var spec = GDALColumnSpec(name: name, type: rule.type, subtype: rule.subtype, source: i,
                                      encoding: rule.encoding, sourceName: field.name, sourceType: field.type)
            switch rule.width {
            case .driverDefault: break
            case .fixed(let width): spec.width = width
            case .fieldLength: spec.width = field.length ?? 0
            case .maxValueBytes(let max): spec.width = field.maxValueBytes.map { Swift.min(max, Swift.max(1, $0)) } ?? max
            }
            spec.precision = rule.precision
            if profile.capabilities.contains(.nullability) { spec.nullable = field.nullable }
            if profile.capabilities.contains(.aliases) { spec.alias = field.alias }
            if let note = rule.note { notes.note(.typeChanged, note, field: field.name) }
            if let domain = layer.columnDomain(of: field) {
                if !profile.capabilities.contains(.domains) {
                    notes.note(.domainDropped, "domain '\(domain.name)' not kept: \(profile.formatName) has no domains",
                               field: field.name)
                } else if Domain.attachableTypes.contains(field.type) {
                    spec.domainName = domain.name
                    spec.domain = domain
                } else {
                    notes.note(.domainDropped,
                               "domain '\(domain.name)' not attached: \(profile.formatName) domains apply to numbers and text only",
                               field: field.name)
                }
            }
            columns.append(spec)
        }
        for (i, field, labels, name) in plan.labels {
            columns.append(GDALColumnSpec(name: name, type: .string, source: i, encoding: .label(labels),
                                          sourceName: "\(field.name)_label", sourceType: .string))
        }
        return columns
    }

    // MARK: sinks

    /// The index in `open.sinks` of the file for features of `type` (nil: the layer's own type),
    /// created on first use.
    private func sinkIndex(for type: GeometryType?) throws -> Int {
        guard let layer = open else { throw ReplicaExportError(.invalidState, "no layer open") }
        let schema = layer.schema
        let effective = isTable(schema) ? nil : (type ?? schema.geometryType)
        if let found = layer.sinks.firstIndex(where: { $0.geometryType == effective }) { return found }
        return try makeSink(type: effective, layerName: nil)
    }

    /// Creates the file (or the layer in the one dataset) for features of `effective`, the layer's
    /// own type or another; `layerName` names a layer of the one dataset that continues the open one.
    private func makeSink(type effective: GeometryType?, layerName continuationName: String?) throws -> Int {
        guard let layer = open else { throw ReplicaExportError(.invalidState, "no layer open") }
        let schema = layer.schema
        let dataset: GDALOutputDataset
        let ownDataset: GDALOutputDataset?
        let transactions: TransactionBatches?
        let file: String
        var layerName: String
        var isLayerFile = true  // the layer's own file or layer, not one of another geometry type's
        switch profile.layout {
        case .oneDataset:
            dataset = try sharedDatasetOpened().dataset
            ownDataset = nil
            transactions = sharedTransactions
            try transactions?.commit()  // domains and layers are added outside a transaction
            file = deliveredFileName
            layerName = continuationName ?? layer.datasetLayerName
            isLayerFile = continuationName == nil
            if continuationName == nil, let effective, effective != schema.geometryType {
                // Features of another type go to a layer of their own in the same dataset.
                layerName = names.name("\(layer.datasetLayerName)_\(effective.fileSuffix)")
                isLayerFile = false
                noteSplit(effective, into: "the layer '\(layerName)'", holder: "layer", of: schema, output: file)
            }
        case .filePerLayer(let ext, _, let tableExtension):
            if isTable(schema) {
                file = "\(layer.baseName).\(tableExtension ?? ext)"
            } else if effective == schema.geometryType || !splitsGeometryTypes(schema) {
                file = "\(layer.baseName).\(ext)"
            } else {
                file = "\(layer.baseName)_\(effective!.fileSuffix).\(ext)"
                isLayerFile = false
                noteSplit(effective!, into: "'\(file)'", holder: "file", of: schema, output: file)
            }
            layerName = (file as NSString).deletingPathExtension
            dataset = try GDALOutputDataset(driver: driver.driverName,
                                            path: layer.directory.appendingPathComponent(file).path,
                                            options: datasetOptions, configOptions: driver.configOptions,
                                            location: ErrorLocation(layer: schema.name, output: file))
            ownDataset = dataset
            transactions = transactionBatches(for: dataset)
        }
        let location = ErrorLocation(layer: schema.name, output: file)
        for column in layer.columns {
            if let domain = column.domain, !addedDomains.contains(domain.name) {
                try dataset.addDomain(domain, type: column.type, subtype: column.subtype, at: location)
                addedDomains.insert(domain.name)
            }
        }
        let geometry = geometrySpec(schema, columns: layer.columns, type: effective)
        let options = driver.layerOptions
            + Format.layerOptions(for: schema, columns: layer.columns, featureIDField: layer.featureIDField)
        let spatialReference = isTable(schema) || !Format.declaresSpatialReference(of: schema) ? nil
            : schema.spatialReference
        let writer = try dataset.createLayer(name: layerName, spatialReference: spatialReference,
                                             geometry: geometry, options: options, columns: layer.columns,
                                             fidSource: layer.featureIDField, objectIDSource: schema.objectIDFieldIndex,
                                             keepM: profile.capabilities.contains(.mValues), at: location)
        writer.missingMReplacement = profile.missingMeasure
        writer.nonFiniteReals = profile.nonFiniteReals
        writer.labelText = Format.labelText
        writer.transactions = transactions
        applyLimits(to: writer)
        if case .oneDataset = profile.layout, isLayerFile, writer.layerName != schema.name {
            diagnostics.append(Diagnostic(.layerRenamed, "stored as '\(writer.layerName)'",
                                          at: ErrorLocation(layer: schema.name, output: file)))
        }
        for (column, created) in zip(writer.columns, writer.createdNames) where created != column.name {
            diagnostics.append(Diagnostic(.fieldRenamed, "field renamed to '\(created)' by the driver",
                                          at: ErrorLocation(layer: schema.name, field: column.sourceName, output: file)))
        }
        if open!.segmentation != nil && isLayerFile && open!.makeSegment == nil {
            let driverName = driver.driverName, datasetOptions = datasetOptions, columns = layer.columns
            let configOptions = driver.configOptions
            let fidSource = layer.featureIDField, objectIDSource = schema.objectIDFieldIndex
            let keepM = profile.capabilities.contains(.mValues), missingMeasure = profile.missingMeasure
            let limits = profile.limits, featuresPerTransaction = featuresPerTransaction
            let names = writer.createdNames
            let schema = layer.schema
            open!.makeSegment = { path in
                let dataset = try GDALOutputDataset(driver: driverName, path: path, options: datasetOptions,
                                                    configOptions: configOptions, location: location)
                let writer = try dataset.createLayer(name: layerName, spatialReference: spatialReference,
                                                     geometry: geometry, options: options, columns: columns,
                                                     fidSource: fidSource, objectIDSource: objectIDSource,
                                                     keepM: keepM, at: location)
                writer.missingMReplacement = missingMeasure
                writer.nonFiniteReals = Format.profile.nonFiniteReals
                writer.labelText = Format.labelText
                // Committed as the segment's dataset is closed.
                writer.transactions = featuresPerTransaction.map { TransactionBatches(dataset: dataset, size: $0) }
                Self.applyLimits(limits, to: writer)
                guard writer.createdNames == names else {
                    throw ReplicaExportError(.invalidState, "a segment's columns were named \(writer.createdNames), the layer's \(names)",
                                             at: location)
                }
                return SegmentSink(dataset: dataset, writer: writer) {
                    try Format.didCloseSegment(path, columns: columns, layer: schema)
                }
            }
        }
        open!.sinks.append(Sink(file: file, geometryType: effective, dataset: ownDataset, writer: writer))
        if open!.makeSegment != nil && isLayerFile { open!.segmentedSink = open!.sinks.count - 1 }
        return open!.sinks.count - 1
    }

    /// What the format limits, for a layer writer to check value by value.
    private func applyLimits(to writer: GDALLayerWriter) { Self.applyLimits(profile.limits, to: writer) }

    private static func applyLimits(_ limits: WriterProfile.Limits, to writer: GDALLayerWriter) {
        writer.textCharacters = limits.textCharacters
        writer.realDigits = limits.realDigits
        writer.earliestDate = limits.earliestDate
    }

    /// Says that features of `type` went to a layer or file of their own.
    private func noteSplit(_ type: GeometryType, into place: String, holder: String, of schema: LayerSchema, output: String) {
        diagnostics.append(Diagnostic(
            .geometryTypeSplit,
            "features of type \(type.rawValue) written to \(place): a \(profile.formatName) \(holder) holds one geometry type",
            at: ErrorLocation(layer: schema.name, output: output)))
    }

    // MARK: segments

    /// Writes features of a layer that may be written in segments: the first
    /// `plan.firstSegmentWeight` of weight (``SegmentPlan/weight(of:)``) into the layer's own file, on
    /// this thread, exactly as an unsegmented layer; once more come, that file is closed and the
    /// next segments go to the workers in turn.
    private func writeSegmented(_ features: [PreparedFeature], firstIndex: Int, plan: SegmentPlan) throws {
        var start = 0
        while start < features.count {
            if open!.segments == nil && open!.firstSegmentFill >= plan.firstSegmentWeight {
                try startSegments(plan: plan)
            }
            let segments = open!.segments
            if let segments, segments.currentFill >= plan.weightPerSegment { segments.beginSegment() }
            // The features that fill the current segment: at least one, up to its weight.
            let room = segments.map { plan.weightPerSegment - $0.currentFill } ?? plan.firstSegmentWeight - open!.firstSegmentFill
            var end = start, weight = 0
            while end < features.count {
                let next = SegmentPlan.weight(of: features[end])
                if end > start && weight + next > room { break }
                weight += next
                end += 1
            }
            if let segments {
                let part = start == 0 && end == features.count ? features : Array(features[start..<end])
                try segments.write(part, weight: weight, firstIndex: firstIndex + start)
            } else {
                try open!.sinks[open!.segmentedSink!].writer.write(features[start..<end], firstIndex: firstIndex + start)
                open!.firstSegmentFill += weight
            }
            start = end
        }
    }

    /// The first segment is full and more features come: closes the layer's own file (keeping
    /// what it set aside for the end of the layer) and starts the workers with segment 1.
    private func startSegments(plan: SegmentPlan) throws {
        guard let index = open!.segmentedSink, let make = open!.makeSegment, let dataset = open!.sinks[index].dataset else {
            throw ReplicaExportError(.invalidState, "segmented writing without a segment maker")
        }
        let sink = open!.sinks[index]
        let file = sink.file
        let location = ErrorLocation(layer: open!.schema.name, output: file)
        open!.firstSegmentDeferred = sink.writer.takeDeferred()
        try dataset.close()
        try Format.didCloseSegment(open!.directory.appendingPathComponent(file).path, columns: open!.columns, layer: open!.schema)
        let segments = try SegmentedLayer(directory: open!.directory.appendingPathComponent(".segments"),
                                          fileExtension: (file as NSString).pathExtension, plan: plan,
                                          location: location, make: make)
        open!.segments = segments
        segments.beginSegment()
    }

    /// Waits for the segments, writes what every segment set aside (features whose ObjectID
    /// could not be kept) into one more, as an unsegmented writer writes them last, splices the
    /// files in order onto the layer's own file, and adds their tallies to its writer's.
    private func joinSegments(_ segments: SegmentedLayer) throws {
        guard let layer = open, let layout = layer.segmentation?.layout, let make = layer.makeSegment,
              let index = layer.segmentedSink else { return }
        let main = layer.sinks[index]
        let location = ErrorLocation(layer: layer.schema.name, output: main.file)
        let outcomes = try segments.finish()
        var pending = layer.firstSegmentDeferred
        var files: [URL] = []
        for outcome in outcomes {
            guard let writer = outcome.writer else {
                throw ReplicaExportError(.invalidState, "segment \(outcome.number) has no writer", at: location)
            }
            main.writer.absorb(writer)
            pending += outcome.deferred
            files.append(outcome.url)
        }
        open!.firstSegmentDeferred = []
        if !pending.isEmpty {
            let url = segments.directory.appendingPathComponent("last.\((main.file as NSString).pathExtension)")
            let last = try make(url.path)
            try last.writer.writeDeferred(pending)
            try last.close()
            main.writer.absorb(last.writer)
            files.append(url)
        }
        try SegmentSplice.append(files, to: layer.directory.appendingPathComponent(main.file), layout: layout,
                                 location: location)
        do {
            try FileManager.default.removeItem(at: segments.directory)
        } catch {
            throw ReplicaExportError.fileSystem(error, doing: "removing the temporary segment folder",
                                                path: segments.directory.path, at: location)
        }
        open!.segments = nil
    }

    /// The OGR geometry type of a layer's file: typed unless the format mixes types in one layer.
    private func geometrySpec(_ layer: LayerSchema, columns: [GDALColumnSpec], type: GeometryType?) -> GDALGeometrySpec {
        guard let type, hasGeometry(layer), !columns.holdGeometryAsWKT, !profile.limits.geometryInColumnsOnly else {
            return GDALGeometrySpec(kind: .none)
        }
        let hasM = layer.hasM && profile.capabilities.contains(.mValues)
        if profile.capabilities.contains(.mixedGeometryTypes) {
            return GDALGeometrySpec(kind: .unknown, hasZ: layer.hasZ, hasM: hasM)
        }
        var kind = GDALGeometrySpec.Kind.multiKind(of: type)
        if request.keepsCircularArcs && driver.curvesNeedCurveLayerType {
            if kind == .multiLineString { kind = .multiCurve }
            if kind == .multiPolygon { kind = .multiSurface }
        }
        return GDALGeometrySpec(kind: kind, hasZ: layer.hasZ, hasM: hasM)
    }

    // MARK: losses

    /// One diagnostic per column and kind of loss, after a file of the layer is written, with the
    /// count and the first feature (and its OBJECTID) it concerns.
    private func reportLosses(_ writer: GDALLayerWriter, layer: LayerSchema, output: String) {
        func note(_ code: Diagnostic.Code, _ message: String, field: String? = nil, _ tally: LossTally) {
            guard tally.count > 0 else { return }
            diagnostics.append(Diagnostic(code, message, at: ErrorLocation(layer: layer.name, featureIndex: tally.firstFeatureIndex,
                                                                          objectID: tally.firstObjectID, field: field,
                                                                          output: output),
                                          count: tally.count))
        }
        if writer.replacedMissingM > 0, let replacement = writer.missingMReplacement {
            let first = writer.firstReplacedMissingM
            diagnostics.append(Diagnostic(
                .missingMeasureReplaced,
                "\(writer.replacedMissingM) vertices (in \(first.count) features) had no M value (NaN), which this format cannot store as such: written as M = \(replacement)",
                at: ErrorLocation(layer: layer.name, featureIndex: first.firstFeatureIndex, objectID: first.firstObjectID, output: output),
                count: writer.replacedMissingM))
        }
        note(.geometryRefused,
             "\(writer.refusedGeometries.count) geometries this format refused (first: \(writer.firstRefusal ?? "")) written as null; the rest of each feature was written",
             writer.refusedGeometries)
        for (column, loss) in zip(writer.columns, writer.losses) {
            note(.millisecondsDropped, "\(loss.millisecondsDropped.count) date(s) rounded to the nearest second: this format keeps whole seconds",
                 field: column.sourceName, loss.millisecondsDropped)
            note(.timeOfDayDropped, "time of day dropped from \(loss.timeOfDayDropped.count) value(s): this format keeps the date only",
                 field: column.sourceName, loss.timeOfDayDropped)
            note(.valueTruncated, "\(loss.truncated.count) value(s) truncated to the format's maximum text length",
                 field: column.sourceName, loss.truncated)
            note(.integerRounded, "\(loss.integersRounded.count) value(s) beyond 2^53 rounded to the nearest double: this format keeps 64-bit integers as doubles",
                 field: column.sourceName, loss.integersRounded)
            note(.nonFiniteNumberDropped, "\(loss.nonFiniteNumbers.count) NaN or infinite value(s) written as null: this format has no such numbers",
                 field: column.sourceName, loss.nonFiniteNumbers)
            if case .formatted(let formatter) = column.encoding {
                note(.textChanged, "\(loss.altered.count) value(s) changed: \(formatter.alteration)", field: column.sourceName, loss.altered)
            }
            note(.realRounded, "\(loss.realsRounded.count) value(s) rounded to \(writer.realDigits ?? 0) significant digits: the driver writes no more",
                 field: column.sourceName, loss.realsRounded)
            note(.dateOutOfRange, "\(loss.datesOutOfRange.count) date(s) before \(writer.earliestDate.map(ValueText.isoDate) ?? "?"), "
                     + "which \(profile.formatName) does not show as given: written as the driver writes them",
                 field: column.sourceName, loss.datesOutOfRange)
            note(.valueDropped, "\(loss.tooLarge.count) number(s) too large for the column's \(column.width)-character fixed-point text (\(column.precision) decimals) written as null",
                 field: column.sourceName, loss.tooLarge)
        }
        note(.geometryOmitted, "\(writer.wktTooLong.count) geometries not written: their WKT is longer than the "
                 + "\(writer.textCharacters ?? 0) characters a value of \(profile.formatName) holds", writer.wktTooLong)
        note(.geometryOmitted, "\(writer.notPoints.count) geometries not written: they are not points, and the layer's "
                 + "geometry is its point coordinate columns", writer.notPoints)
        if let first = writer.firstReassignedFID {
            let which = first.value.map { "first: \($0)" } ?? "first: none"
            diagnostics.append(Diagnostic(
                .objectIDReassigned,
                "\(writer.reassignedFIDs) feature(s) lack an ObjectID, repeat an earlier one or have one below 1 "
                    + "(\(which) at feature \(first.featureIndex)); \(profile.formatName) ObjectIDs are unique "
                    + "and positive, so they were given new ObjectIDs",
                at: ErrorLocation(layer: layer.name, featureIndex: first.featureIndex, objectID: first.value, output: output),
                count: writer.reassignedFIDs))
        }
    }
}

extension GeometryType {
    /// The types a file-per-layer format that cannot mix them splits into, in file-name order.
    static let splitTypes: [GeometryType] = [.point, .multipoint, .polyline, .polygon]

    /// `points`, `multipoints`, `polylines`, `polygons`: the suffix of a split file.
    var fileSuffix: String {
        switch self {
        case .point: return "points"
        case .multipoint: return "multipoints"
        case .polyline: return "polylines"
        case .polygon, .envelope: return "polygons"
        }
    }
}

extension GDALGeometrySpec.Kind {
    /// The OGR type a layer of an Esri geometry type is created with: lines and polygons as multi
    /// types, since an Esri polyline or polygon may have several parts.
    static func multiKind(of type: GeometryType) -> Self {
        switch type {
        case .point: return .point
        case .multipoint: return .multiPoint
        case .polyline: return .multiLineString
        case .polygon, .envelope: return .multiPolygon
        }
    }
}

/// Field names within a format's length limit.
enum FieldNames {
    /// Names cut to `maxBytes` UTF-8 bytes, made unique case-insensitively with `_1`, `_2`... suffixes.
    static func shortened(_ names: [String], maxBytes: Int, reserved: Set<String> = []) -> [String] {
        var used = Set(reserved.map { $0.lowercased() })
        return names.map { name in
            var candidate = ValueText.truncated(name, maxBytes: maxBytes) ?? name
            var n = 1
            while used.contains(candidate.lowercased()) {
                let suffix = "_\(n)"
                candidate = (ValueText.truncated(name, maxBytes: maxBytes - suffix.utf8.count) ?? name) + suffix
                n += 1
            }
            used.insert(candidate.lowercased())
            return candidate
        }
    }
}
