import Foundation

/// What a batch converts, where to, and how.
public struct BatchOptions: Sendable {
    /// The tree of payloads, searched recursively.
    public var inputDirectory: URL
    /// Where the outputs go: `<outputDirectory>/<relative path of input without extension>/<format>/...`.
    public var outputDirectory: URL
    /// createReplica `dataFormat` names of the outputs, as for ``ExportRequest/formats``.
    public var formats: [String]
    /// Conversions running at once; each is one ``Exporter/export(from:request:)`` on its own thread.
    public var jobs: Int
    /// Skip inputs whose output folder holds a manifest (``BatchManifest``) written from the same
    /// input bytes and schema with the same settings, every file it lists present at its size.
    public var resume: Bool
    /// Convert only this share of the tree (see ``BatchShard``): its inputs, and its skipped files in
    /// the report, so that the shards' reports merge into the report of the whole tree.
    public var shard: BatchShard?
    /// As ``ExportRequest/syncDataOptions``, for every input.
    public var syncDataOptions: Int?
    /// As ``ExportRequest/maxDeviation``.
    public var maxDeviation: Double?
    /// As ``ExportRequest/strict``: an input with a loss fails and writes nothing.
    public var strict: Bool
    /// As ``ExportRequest/batchSize``.
    public var batchSize: Int
    /// Merge the FeatureSet pages of one layer (`<stem>-0.json`, `<stem>-1.json`, ... in one folder,
    /// at least two) into one input and one output, `<folder>/<stem>/<format>/...`, read through a
    /// ``ReplicaSources/openPages(_:schemaURL:)``; without it, each page is an input of its own.
    public var mergePages: Bool = false
    /// Stops the batch: running exports stop between batches and remove what they wrote, inputs not
    /// yet started are not started. ``BatchReport/cancelled`` says it happened.
    public var cancellation: ExportCancellation

    /// Options with the defaults: one job per core, no resume or shard, the payload's
    /// own `syncDataOptions`, ArcGIS's densification, losses reported, 1024 features per batch.
    public init(inputDirectory: URL, outputDirectory: URL, formats: [String],
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount, resume: Bool = false,
                shard: BatchShard? = nil, syncDataOptions: Int? = nil, maxDeviation: Double? = nil,
                strict: Bool = false, batchSize: Int = 1024, cancellation: ExportCancellation = ExportCancellation()) {
        self.inputDirectory = inputDirectory
        self.outputDirectory = outputDirectory
        self.formats = formats
        self.jobs = jobs
        self.resume = resume
        self.shard = shard
        self.syncDataOptions = syncDataOptions
        self.maxDeviation = maxDeviation
        self.strict = strict
        self.batchSize = batchSize
        self.cancellation = cancellation
    }

    /// The options that decide the bytes of the outputs, as the report and the manifests record them.
    var settings: BatchSettings {
        BatchSettings(formats: formats.map { $0.lowercased() }, syncDataOptions: syncDataOptions,
                      maxDeviation: maxDeviation, strict: strict, mergePages: mergePages ? true : nil)
    }
}

/// The options that decide what an input's outputs hold: two runs with equal settings on the same
/// input and schema write the same outputs.
public struct BatchSettings: Sendable, Codable, Equatable {
    /// The output formats, lower-cased, in the order given.
    public var formats: [String]
    /// The run's ``BatchOptions/syncDataOptions``.
    public var syncDataOptions: Int?
    /// The run's ``BatchOptions/maxDeviation``.
    public var maxDeviation: Double?
    /// The run's ``BatchOptions/strict``.
    public var strict: Bool
    /// ``BatchOptions/mergePages``: it decides what the inputs are (reports of runs with and without
    /// it do not merge), not what an input's outputs hold; nil when off, as in older reports.
    public var mergePages: Bool?

    /// What decides the bytes of one input's outputs, as its manifest records it.
    var forOutputs: BatchSettings {
        var copy = self
        copy.mergePages = nil
        return copy
    }
}
