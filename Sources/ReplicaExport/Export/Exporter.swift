import Foundation
import Logging

/// The library entry point: reads a replica payload once and writes it to every requested format.
///
/// ```swift
/// let report = try Exporter().export(ExportRequest(
///     input: URL(fileURLWithPath: "replica.geodatabase"),
///     formats: ["filegdb", "geojson"],
///     outputDirectory: URL(fileURLWithPath: "out"),
///     syncDataOptions: 256))
/// ```
public struct Exporter: Sendable {
    /// The formats this exporter can write.
    public var registry: WriterRegistry
    /// Where the export logs its steps (at debug level: which layer each format is writing).
    public var logger: Logger

    /// An exporter writing the formats of `registry` (by default every built-in format).
    public init(registry: WriterRegistry = .standard, logger: Logger = Logger(label: "replica-export")) {
        self.registry = registry
        self.logger = logger
    }

    /// Runs one export.
    ///
    /// Formats are independent: when one format's writer fails, its outputs are removed and its
    /// error is in ``ExportReport/failures``, and the other formats are still committed. When every
    /// format fails, when the input is bad, or when ``ExportRequest/strict`` meets a loss, nothing
    /// is committed (nothing half-written is left looking complete) and the error is thrown with its
    /// location.
    public func export(_ request: ExportRequest) throws -> ExportReport {
        let writerTypes = try resolveFormats(request.formats)
        guard request.batchSize > 0 else {
            throw ReplicaExportError(.invalidOption, "batch size must be positive, got \(request.batchSize)")
        }
        if let deviation = request.maxDeviation, !(deviation > 0 && deviation.isFinite) {
            throw ReplicaExportError(.invalidOption, "maximum deviation must be a positive distance, got \(deviation)")
        }
        let source = try ReplicaSources.open(request.input, schemaURL: request.schema)
        return try export(from: source, request: request, writerTypes: writerTypes)
    }

    /// Runs one export from an already opened source (the batch converter and tests use this).
    public func export(from source: any ReplicaSource, request: ExportRequest) throws -> ExportReport {
        try export(from: source, request: request, writerTypes: try resolveFormats(request.formats))
    }

    private func resolveFormats(_ names: [String]) throws -> [any FormatWriter.Type] {
        guard !names.isEmpty else {
            throw ReplicaExportError(.unknownOutputFormat, "no output format given; choose from \(registry.formatNames.joined(separator: ", "))")
        }
        var seen = Set<String>()
        var types: [any FormatWriter.Type] = []
        for name in names {
            guard let type = registry.writer(named: name) else {
                throw ReplicaExportError(.unknownOutputFormat,
                                  "unknown format '\(name)'; choose from \(registry.formatNames.joined(separator: ", "))")
            }
            if seen.insert(type.formatName).inserted { types.append(type) }
        }
        return types
    }

    private func export(from source: any ReplicaSource, request: ExportRequest,
                        writerTypes: [any FormatWriter.Type]) throws -> ExportReport {
        let inputPath = request.input.path
        let syncDataOptions = request.syncDataOptions ?? source.replica.syncDataOptions ?? 0
        let keepTrueCurves = syncDataOptions & ExportRequest.trueCurvesBit != 0

        let keys = writerTypes.map { PreparationKey(profile: $0.profile, trueCurvesRequested: keepTrueCurves) }
        var selection = try selectLayers(of: source.replica, unreadable: source.unreadableLayers, request: request)
        if let name = request.replicaName { selection.replica.name = name }
        if let id = request.replicaID { selection.replica.id = id }
        selection.rules = try request.selection.map {
            try ResolvedSelection.resolve($0, sourceLayers: source.replica.layers, selectedIndices: selection.sourceIndices,
                                          source: source, batchSize: request.batchSize, cancellation: request.cancellation,
                                          input: inputPath)
        }
        selection.reprojectors = try reprojectors(for: &selection.replica, to: request.outputSpatialReference, input: inputPath)
        if writerTypes.contains(where: { $0.profile.gdal?.columns.sizesByMaxValueBytes ?? false }) {
            noteMaxTextBytes(of: &selection, from: source)
        }
        let counts = selection.sourceIndices.map { source.featureCount(inLayer: $0) }
        let opened = try openWriters(writerTypes, keys: keys, replica: selection.replica, featureCounts: counts, request: request)
        let writers = WriterSet(opened.writers)
        do {
            let run = try runPipe(source: source, selection: selection, writers: writers, keys: keys, request: request)
            return try assembleReport(input: request.input, source: source, replica: selection.replica,
                                      writers: writers, keys: keys, run: run, keepTrueCurves: keepTrueCurves,
                                      request: request, opened: opened)
        } catch {
            opened.writers.forEach { $0.abort() }
            opened.removeCreatedDirectories()
            throw Self.locate(error, file: inputPath)
        }
    }

    /// The writers of one run and which of them failed: a failed writer is aborted and skipped
    /// from then on; the run fails only when all have.
    private final class WriterSet {
        let writers: [any FormatWriter]
        private(set) var failures: [Int: any Error] = [:]

        init(_ writers: [any FormatWriter]) { self.writers = writers }

        var live: [(index: Int, writer: any FormatWriter)] {
            writers.indices.filter { failures[$0] == nil }.map { ($0, writers[$0]) }
        }

        /// Runs `body` on each live writer; a writer that throws is aborted and recorded. Throws the
        /// first failure once every writer has failed.
        func each(_ body: (Int, any FormatWriter) throws -> Void) throws {
            for (index, writer) in live {
                do {
                    try Exporter.naming(writer) { try body(index, writer) }
                } catch {
                    writer.abort()
                    failures[index] = error
                }
            }
            try throwIfNoneLeft()
        }

        /// Records failures that happened on the writers' own threads (by writer index): each of
        /// those writers is aborted. Throws the first failure once every writer has failed.
        func recordFailures(_ failed: [(Int, any Error)]) throws {
            for (index, error) in failed where failures[index] == nil {
                writers[index].abort()
                failures[index] = error
            }
            try throwIfNoneLeft()
        }

        private func throwIfNoneLeft() throws {
            if failures.count == writers.count, let first = writers.indices.lazy.compactMap({ self.failures[$0] }).first {
                throw first
            }
        }
    }

    /// The layers the request asks for, as positions in the source and as the replica written.
    private struct LayerSelection {
        var replica: Replica
        /// Index in the source's `replica.layers` of each written layer.
        var sourceIndices: [Int]
        /// The features kept per layer (``ExportRequest/selection``); nil = all.
        var rules: ResolvedSelection?
        /// Per written layer, the move to ``ExportRequest/outputSpatialReference``, when needed.
        var reprojectors: [GeometryReprojector?] = []
    }

    /// One reprojector per written layer with geometry whose system differs from `target`; the
    /// written schemas take the target system.
    private func reprojectors(for replica: inout Replica, to target: SpatialReference?, input: String) throws -> [GeometryReprojector?] {
        guard let target else { return Array(repeating: nil, count: replica.layers.count) }
        return try replica.layers.indices.map { index in
            let layer = replica.layers[index]
            guard layer.geometryType != nil else { return nil }
            guard let own = layer.spatialReference else {
                throw ReplicaExportError.invalidParameter("replicaSR",
                    "cannot be honoured: layer '\(layer.name)' has no coordinate system to transform from")
            }
            let location = ErrorLocation(input: input, layer: layer.name, detail: "parameter replicaSR")
            let reprojector: GeometryReprojector?
            do {
                reprojector = try GeometryReprojector.make(from: own, to: target,
                                                           densifier: Densifier(spatialReference: own), at: location)
            } catch let error as ReplicaExportError {
                throw ReplicaExportError.invalidParameter("replicaSR", "cannot be honoured: \(error.message)")
            }
            replica.layers[index].spatialReference = target
            return reprojector
        }
    }

    /// Gives each selected layer's text fields the length no value exceeds, where the input tells
    /// it before reading (``ReplicaSource/maxTextBytes(inLayer:)``), for writers that size columns
    /// by it. Only an economy: where the input cannot tell (or fails to), columns keep their
    /// profile's width, and a damaged input is reported by the reading itself, where it is located.
    private func noteMaxTextBytes(of selection: inout LayerSelection, from source: any ReplicaSource) {
        for (position, sourceIndex) in selection.sourceIndices.enumerated() {
            let layer = selection.replica.layers[position]
            guard let maxima = try? source.maxTextBytes(inLayer: sourceIndex), !maxima.isEmpty else { continue }
            for f in layer.fields.indices where layer.fields[f].type == .string || layer.fields[f].type == .xml {
                selection.replica.layers[position].fields[f].maxValueBytes = maxima[layer.fields[f].name]
            }
        }
    }

    private func selectLayers(of replica: Replica, unreadable: [UnreadableLayer], request: ExportRequest) throws -> LayerSelection {
        if request.layerIds == nil, let first = unreadable.first {
            throw first.error
        }
        if let wanted = request.layerIds {
            let known = Set(replica.layers.map(\.id))
            if let missing = wanted.first(where: { !known.contains($0) }) {
                if let gone = unreadable.first(where: { $0.id == missing }) { throw gone.error }
                throw ReplicaExportError(.invalidOption,
                                         "layer \(missing) is not in the payload; it has layers \(replica.layers.map { String($0.id) }.joined(separator: ", "))",
                                         at: ErrorLocation(input: request.input.path))
            }
        }
        let indices = replica.layers.indices.filter { request.layerIds?.contains(replica.layers[$0].id) ?? true }
        var selected = replica
        selected.layers = indices.map { replica.layers[$0] }
        return LayerSelection(replica: selected, sourceIndices: indices)
    }

    /// The writers of one run, and the format folders created for them (removed again on failure).
    private struct OpenedWriters {
        var writers: [any FormatWriter] = []
        /// Per writer, the folder this run created for it, if it did.
        var createdDirectories: [URL?] = []
        /// The output directory, when this run created it.
        var createdOutputDirectory: URL?

        /// Removes the folders this run created and left empty: those of `indices`, or all of them
        /// and the output directory (a failed run leaves no trace).
        func removeCreatedDirectories(of indices: [Int]? = nil) {
            var directories = (indices ?? Array(createdDirectories.indices)).reversed().compactMap { createdDirectories[$0] }
            if indices == nil, let createdOutputDirectory { directories.append(createdOutputDirectory) }
            for directory in directories {
                if (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.isEmpty == true {
                    try? FileManager.default.removeItem(at: directory)
                }
            }
        }
    }

    /// Each format writes into its own subdirectory (`DIR/filegdb`, `DIR/shapefile`, ...): the
    /// formats' side files (.prj, .csvt, .cpg) never collide and a script finds each format in one
    /// known place. Writers are opened before anything is read so that a refused output (exists,
    /// not writable) fails the run before any work is done.
    private func openWriters(_ types: [any FormatWriter.Type], keys: [PreparationKey], replica: Replica,
                             featureCounts: [Int?], request: ExportRequest) throws -> OpenedWriters {
        var opened = OpenedWriters()
        do {
            if !FileManager.default.fileExists(atPath: request.outputDirectory.path) {
                try FileManager.default.createDirectory(at: request.outputDirectory, withIntermediateDirectories: true)
                opened.createdOutputDirectory = request.outputDirectory
            }
        } catch {
            throw ReplicaExportError.fileSystem(error, doing: "creating the output directory", path: request.outputDirectory.path,
                                                at: ErrorLocation(output: request.outputDirectory.path))
        }
        do {
            for (type, key) in zip(types, keys) {
                let directory = request.outputDirectory.appendingPathComponent(type.formatName, isDirectory: true)
                if !FileManager.default.fileExists(atPath: directory.path) {
                    do {
                        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                    } catch {
                        throw ReplicaExportError.fileSystem(error, doing: "creating the folder", path: directory.path,
                                                            at: ErrorLocation(format: type.formatName, output: directory.path))
                    }
                    opened.createdDirectories.append(directory)
                } else {
                    opened.createdDirectories.append(nil)
                }
                var writerRequest = WriterRequest(outputDirectory: directory, replica: replica, overwrite: request.overwrite,
                                                  keepsCircularArcs: key.keepsCircularArcs)
                writerRequest.domainLabels = request.domainLabels
                writerRequest.attachmentsDataByURL = request.attachmentsDataByURL
                writerRequest.segments = .standard(formatsWritten: types.count)
                writerRequest.featureCounts = featureCounts
                opened.writers.append(try Self.naming(type.formatName) { try type.init(request: writerRequest) })
            }
        } catch {
            opened.writers.forEach { $0.abort() }
            opened.removeCreatedDirectories()
            throw error
        }
        return opened
    }

    /// What the reading side counted, handed over once it finished.
    private struct PipeResult {
        var preparers: [PreparationKey: GeometryPreparer]
        var featuresRead: [String: Int]
        var featuresSelected: [String: Int]
        var geometryDiagnostics: DiagnosticLog
    }

    /// Reads and prepares on a producer thread; each format writes on a thread of its own (its own
    /// GDAL dataset, its own bounded pipe of a few batches), so that all formats from one read cost
    /// about the slowest of them and memory stays flat. Each feature is prepared once per distinct
    /// ``PreparationKey``, not once per writer, and the batches are shared, not copied. A writer
    /// that fails is aborted alone and stops taking from its pipe; the reader stops when no writer
    /// is left. A failure of the reader (bad input, cancellation) fails the run.
    private func runPipe(source: any ReplicaSource, selection: LayerSelection, writers: WriterSet,
                         keys: [PreparationKey], request: ExportRequest) throws -> PipeResult {
        let live = writers.live
        let pipes = live.map { _ in BoundedPipe<PipelineItem>(capacity: 4) }
        var preparers: [PreparationKey: GeometryPreparer] = [:]
        for key in Set(live.map { keys[$0.index].beforeReprojection }) {
            preparers[key] = GeometryPreparer(key, maxDeviation: request.maxDeviation)
        }
        // What the writers are given: each preparation, moved to WGS 84 for the formats that need it.
        let deliveredKeys = Set(live.map { keys[$0.index] })
        let anyInWGS84 = deliveredKeys.contains { $0.inWGS84 }
        // The producer owns the source, the preparers and what it counts until it has finished.
        let produced = ProducerState(preparers: preparers)
        let outcomes = WriterOutcomes(count: live.count)
        let threads = DispatchGroup()
        let batchSize = request.batchSize
        let inputPath = request.input.path
        // The whole export's progress: the features of every selected layer, when all are known.
        let started = ContinuousClock.now
        let inputTotal: Int? = selection.sourceIndices.reduce(Optional(0)) { sum, index in
            guard let sum, let count = source.featureCount(inLayer: index) else { return nil }
            return sum + count
        }
        var inputDone = 0

        threads.enter()
        startThread(name: "replica-export reader") { [self] in
            defer { threads.leave() }
            var open = Array(repeating: true, count: pipes.count)
            // Hands an item to every writer still taking; false once none is.
            func deliver(_ item: PipelineItem) -> Bool {
                for slot in pipes.indices where open[slot] {
                    do { try pipes[slot].put(item) } catch { open[slot] = false }
                }
                return open.contains(true)
            }
            struct NoWriterLeft: Error {}
            do {
                for (position, layerIndex) in selection.sourceIndices.enumerated() {
                    let layer = selection.replica.layers[position]
                    // Made here, once per layer; a layer that cannot be moved fails only the formats that need it.
                    let toWGS84: Result<WGS84Move, any Error>? = anyInWGS84
                        ? Result { try WGS84Move(layer: layer, at: ErrorLocation(input: inputPath, layer: layer.name)) } : nil
                    guard deliver(.beginLayer(position, inWGS84: toWGS84?.map(\.schema))) else { throw NoWriterLeft() }
                    var featureIndex = 0
                    var keptCount = 0
                    // With a selection, only the attachments of kept features follow: their GlobalIDs.
                    let globalIDIndex = selection.rules != nil && request.includeAttachments && layer.hasAttachments
                        ? layer.globalIdField.flatMap(layer.fieldIndex(named:)) : nil
                    var keptParents = Set<String>()
                    let total = source.featureCount(inLayer: layerIndex)
                    let sourceLayer = source.replica.layers[layerIndex]
                    let reprojector = selection.reprojectors.isEmpty ? nil : selection.reprojectors[position]
                    try source.features(inLayer: layerIndex, batchSize: batchSize) { batch in
                        try request.cancellation?.check()
                        // Features that fail the request's selection are dropped here, before preparation.
                        var kept = batch
                        var indices: [Int]?
                        if let rules = selection.rules {
                            kept = []
                            indices = []
                            for (offset, feature) in batch.enumerated() {
                                let keep: Bool
                                do {
                                    keep = try rules.keeps(feature, layerIndex: layerIndex)
                                } catch let error as ReplicaExportError {
                                    throw error.located(ErrorLocation(input: inputPath, layer: sourceLayer.name,
                                                                      featureIndex: featureIndex + offset))
                                }
                                if keep {
                                    kept.append(feature)
                                    indices!.append(featureIndex + offset)
                                }
                            }
                        }
                        if let globalIDIndex {
                            for feature in kept {
                                if case .guid(let g) = feature.attributes[globalIDIndex] { keptParents.insert(ValueText.guidKey(g)) }
                            }
                        }
                        if !kept.isEmpty {
                            var prepared: [PreparationKey: [PreparedFeature]] = [:]
                            for key in produced.preparers.keys {
                                prepared[key] = try prepare(kept, firstIndex: featureIndex, indices: indices, layer: sourceLayer,
                                                            preparer: &produced.preparers[key]!, reprojector: reprojector,
                                                            file: inputPath, diagnostics: &produced.geometryDiagnostics)
                            }
                            var delivered: [PreparationKey: Result<[PreparedFeature], any Error>] = [:]
                            for key in deliveredKeys {
                                let features = prepared[key.beforeReprojection]!
                                if key.inWGS84, let toWGS84 {
                                    delivered[key] = toWGS84.flatMap { move in
                                        Result { try move.apply(features, firstIndex: keptCount) }
                                    }
                                } else {
                                    delivered[key] = .success(features)
                                }
                            }
                            guard deliver(.batch(delivered)) else { throw NoWriterLeft() }
                        }
                        featureIndex += batch.count
                        keptCount += kept.count
                        inputDone += batch.count
                        if let report = request.progress {
                            let elapsed = ContinuousClock.now - started
                            report(ExportProgress(layerId: layer.id, layerName: layer.name, featuresDone: featureIndex,
                                                  featuresTotal: total, featuresSelected: keptCount,
                                                  inputFeaturesDone: inputDone, inputFeaturesTotal: inputTotal,
                                                  elapsed: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
                        }
                    }
                    produced.featuresRead[layer.name] = featureIndex
                    produced.featuresSelected[layer.name] = keptCount
                    // Attachments follow their layer's features, one at a time through the pipe:
                    // at most its capacity are ever held.
                    if request.includeAttachments && source.attachmentCount(inLayer: layerIndex) != 0 {
                        try source.attachments(inLayer: layerIndex) { attachment in
                            try request.cancellation?.check()
                            if selection.rules != nil {
                                guard globalIDIndex != nil, let parent = attachment.parentGlobalId,
                                      keptParents.contains(ValueText.guidKey(parent)) else { return }
                            }
                            guard deliver(.attachment(attachment)) else { throw NoWriterLeft() }
                        }
                    }
                    guard deliver(.endLayer) else { throw NoWriterLeft() }
                }
                pipes.forEach { $0.finish() }
            } catch is NoWriterLeft {
                pipes.forEach { $0.finish() }  // every writer failed: the run reports their errors
            } catch {
                produced.failure = error
                pipes.forEach { $0.finish(throwing: error) }
            }
        }

        for (slot, (_, writer)) in live.enumerated() {
            threads.enter()
            startThread(name: "replica-export \(type(of: writer).formatName)") { [self] in
                defer { threads.leave() }
                let pipe = pipes[slot]
                var layer: LayerSchema?
                while true {
                    // A reader failure ends every writer; the run then fails with it.
                    guard let item = try? pipe.take() else { return }
                    do {
                        try Exporter.naming(writer) {
                            switch item {
                            case .beginLayer(let position, let inWGS84):
                                let next = keys[live[slot].index].inWGS84
                                    ? try inWGS84?.get() ?? selection.replica.layers[position]
                                    : selection.replica.layers[position]
                                logger.debug("layer \(next.name): writing", metadata: ["format": "\(type(of: writer).formatName)"])
                                try writer.beginLayer(next)
                                layer = next
                            case .batch(let prepared):
                                try writer.write(prepared[keys[live[slot].index]]!.get())
                            case .attachment(let attachment):
                                if let layer { try writer.write(attachments: [attachment], of: layer) }
                            case .endLayer:
                                try writer.endLayer()
                                layer = nil
                            }
                        }
                    } catch {
                        outcomes.failures[slot] = error
                        pipe.cancel()
                        return
                    }
                }
            }
        }
        threads.wait()

        if let failure = produced.failure { throw failure }
        try writers.recordFailures(live.indices.compactMap { slot in outcomes.failures[slot].map { (live[slot].index, $0) } })
        return PipeResult(preparers: produced.preparers, featuresRead: produced.featuresRead,
                          featuresSelected: produced.featuresSelected, geometryDiagnostics: produced.geometryDiagnostics)
    }

    /// What each writer thread ended with, one slot per thread; read once all have finished.
    private final class WriterOutcomes: @unchecked Sendable {
        var failures: [(any Error)?]
        init(count: Int) { failures = Array(repeating: nil, count: count) }
    }

    /// Hands the rest of the replica to the writers, refuses losses when the request is strict,
    /// commits each writer that did not fail and gathers what happened.
    private func assembleReport(input: URL, source: any ReplicaSource, replica: Replica, writers: WriterSet,
                                keys: [PreparationKey], run: PipeResult, keepTrueCurves: Bool,
                                request: ExportRequest, opened: OpenedWriters) throws -> ExportReport {
        let relationships = replica.relationshipClasses
        try writers.each { _, writer in try writer.write(relationships: relationships) }
        if request.strict {
            // The reader's come first (a geometry no format can represent, a value outside its
            // declared type, JSON that is not standard): they hold for every format.
            let losses = source.diagnostics.filter(\.isRefusedByStrict) + writers.live.flatMap { index, writer in
                writer.diagnostics.filter(\.isRefusedByStrict)
                    .map { $0.located(ErrorLocation(format: type(of: writer).formatName)) }
            }
            if let first = losses.first {
                let why = first.code.isInputFault ? "a strict export refuses input it had to repair"
                    : "a strict export refuses what a format cannot hold"
                throw ReplicaExportError(.dataLoss, "\(first.message) (\(first.code)); \(why)"
                                         + (losses.count > 1 ? " (\(losses.count) losses and repairs in all)" : ""),
                                         at: first.location)
            }
        }
        try request.cancellation?.check()
        var outputs: [String: [WrittenOutput]] = [:]
        do {
            // Two runs into one directory commit one after the other, each all its formats: the
            // second then finds every output of the first, instead of the two winning one format each.
            // (A file system without flock commits unserialized, as before.)
            let commitLock = try? FileLock(lockingDirectoryAt: request.outputDirectory)
            defer { withExtendedLifetime(commitLock) {} }
            try writers.each { _, writer in outputs[type(of: writer).formatName] = try writer.commit() }
        }

        var diagnostics = source.diagnostics + run.geometryDiagnostics.all
        var curves: [String: CurveStatistics] = [:]
        for (index, writer) in writers.live {
            let name = type(of: writer).formatName
            curves[name] = run.preparers[keys[index].beforeReprojection]!.statistics
            diagnostics += writer.diagnostics.map { $0.located(ErrorLocation(format: name)) }
        }
        diagnostics += curveDiagnostics(curves, keepTrueCurves: keepTrueCurves)
        let failed = writers.writers.indices.filter { writers.failures[$0] != nil }
        opened.removeCreatedDirectories(of: failed)
        let failures = failed.map { index in
            ExportFailure(format: type(of: writers.writers[index]).formatName,
                          error: Self.locate(writers.failures[index]!, file: input.path))
        }
        return ExportReport(input: input, replica: replica, outputs: outputs, featuresRead: run.featuresRead,
                            featuresSelected: run.featuresSelected, keptTrueCurves: keepTrueCurves, curves: curves, diagnostics: diagnostics, failures: failures)
    }

    /// What the reader thread hands to the writing thread.
    private enum PipelineItem {
        /// The layer at this position of the written replica begins; `inWGS84`: the layer as the
        /// formats that require WGS 84 are given it (or why it cannot be moved), when any runs.
        case beginLayer(Int, inWGS84: Result<LayerSchema, any Error>?)
        /// Prepared features, by the preparation their writers need, or why they could not be
        /// moved to WGS 84 for the formats that need it.
        case batch([PreparationKey: Result<[PreparedFeature], any Error>])
        case attachment(Attachment)
        case endLayer
    }

    /// What the reader thread owns while it runs; read by the writing thread only after it finished.
    private final class ProducerState: @unchecked Sendable {
        var preparers: [PreparationKey: GeometryPreparer]
        var featuresRead: [String: Int] = [:]
        var featuresSelected: [String: Int] = [:]
        var geometryDiagnostics = DiagnosticLog()
        /// The reader's own failure (bad input, cancellation), which fails the run.
        var failure: (any Error)?
        init(preparers: [PreparationKey: GeometryPreparer]) { self.preparers = preparers }
    }

    /// `indices`: each feature's index in its layer when the batch was filtered (else consecutive
    /// from `firstIndex`); `reprojector` moves prepared geometries to the output system.
    private func prepare(_ batch: [Feature], firstIndex: Int, indices: [Int]? = nil, layer: LayerSchema,
                         preparer: inout GeometryPreparer, reprojector: GeometryReprojector? = nil, file: String,
                         diagnostics: inout DiagnosticLog) throws -> [PreparedFeature] {
        var result: [PreparedFeature] = []
        result.reserveCapacity(batch.count)
        for (offset, feature) in batch.enumerated() {
            var geometry: PreparedGeometry?
            let featureIndex = indices?[offset] ?? firstIndex + offset
            if let input = feature.geometry {
                do {
                    geometry = try preparer.prepare(input, spatialReference: layer.spatialReference)
                    if let reprojector, let prepared = geometry { geometry = try reprojector.reproject(prepared) }
                } catch let error as ReplicaExportError {
                    throw error.located(ErrorLocation(input: file, layer: layer.name, featureIndex: featureIndex))
                }
                if !preparer.diagnostics.isEmpty {
                    let here = ErrorLocation(input: file, layer: layer.name, featureIndex: featureIndex)
                    diagnostics.append(contentsOf: preparer.takeDiagnostics().map { $0.located(here) })
                }
            }
            result.append(PreparedFeature(attributes: feature.attributes, geometry: geometry))
        }
        return result
    }

    /// One line per format that had to densify curves the user asked to keep.
    private func curveDiagnostics(_ curves: [String: CurveStatistics], keepTrueCurves: Bool) -> [Diagnostic] {
        guard keepTrueCurves else { return [] }
        return curves.keys.sorted().compactMap { format in
            let statistics = curves[format]!
            var parts: [String] = []
            if statistics.circularArcsDensified > 0 {
                parts.append("\(statistics.circularArcsDensified) circular arcs (the format cannot hold curves)")
            }
            if statistics.ellipticArcsDensified > 0 { parts.append("\(statistics.ellipticArcsDensified) elliptic arcs") }
            if statistics.beziersDensified > 0 { parts.append("\(statistics.beziersDensified) Bezier curves") }
            guard !parts.isEmpty else { return nil }
            return Diagnostic(.curvesDensified, "densified \(parts.joined(separator: ", ")); GDAL has no true-curve type for them",
                              at: ErrorLocation(format: format))
        }
    }

    /// Runs a writer call; an error it throws names the format.
    static func naming<T>(_ writer: any FormatWriter, _ body: () throws -> T) throws -> T {
        try naming(type(of: writer).formatName, body)
    }

    static func naming<T>(_ format: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ReplicaExportError {
            throw error.located(ErrorLocation(format: format))
        }
    }

    /// Adds the input file to an error's location when the thrower did not know it.
    static func locate(_ error: any Error, file: String) -> any Error {
        guard let error = error as? ReplicaExportError else { return error }
        return error.location.format == nil ? error.located(ErrorLocation(input: file)) : error
    }
}
