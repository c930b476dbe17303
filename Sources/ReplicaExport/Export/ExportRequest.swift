import Foundation

/// What to export: the library's single entry point takes one of these.
///
/// Mirrors the createReplica parameters that matter for a `syncModel=none` export: the output
/// formats (`dataFormat`), the layers, and `syncDataOptions` (bit 256 keeps true curves).
public struct ExportRequest: Sendable {
    /// The syncDataOptions bit that asks for true curves to be preserved.
    public static let trueCurvesBit = 256

    /// The replica payload: Esri JSON or a mobile geodatabase.
    public var input: URL
    /// The service's layer resources, for Esri JSON payloads that carry no schema.
    /// When nil, `<payload-stem>.layers.json` beside the payload is used if present.
    public var schema: URL?
    /// createReplica `dataFormat` names of the outputs, case-insensitive: `filegdb`, `shapefile`, `csv`,
    /// `geojson`, `geopackage`, `json`, `featurecollection` (those of ``Exporter/registry``). A name
    /// given twice is written once.
    public var formats: [String]
    /// Where the outputs go; created if missing.
    public var outputDirectory: URL
    /// The createReplica `syncDataOptions` bit set. nil = what the payload stores, else 0.
    public var syncDataOptions: Int?
    /// Largest distance between a true curve and its densified chords, in the units of the
    /// coordinate system. nil = ArcGIS's default, 2 x XY resolution x 100 (0.02 m at 0.0001 m).
    public var maxDeviation: Double?
    /// Only these layer ids (createReplica `layers`); nil = all.
    public var layerIds: [Int]?
    /// Replace existing outputs instead of failing.
    public var overwrite: Bool
    /// Features handed from reader to writers at a time.
    public var batchSize: Int
    /// Refuse the export, committing nothing, when a format cannot hold a value as given (see
    /// ``Diagnostic/Severity/loss``) or the input had to be repaired while it was read (see
    /// ``Diagnostic/Code/isInputFault``); by default both are written as closely as the formats
    /// allow and reported.
    public var strict: Bool
    /// Add `<field>_label` columns with the coded values' labels (per subtype where the domain is
    /// per subtype, the subtype name for the subtype field) to formats that have no domains.
    public var domainLabels: Bool = false
    /// Write the attachments of the payload (createReplica `returnAttachments`).
    public var includeAttachments: Bool = true
    /// Where a format's document holds its attachments (`json`): reference each by a file written
    /// beside it, `attachments/<layer>/<name>` as a relative `url` (true, createReplica's
    /// `returnAttachmentsDataByUrl` default), or embed its bytes as base64 `data` (false). Formats
    /// that keep attachments in a table or beside their files are not affected.
    public var attachmentsDataByURL: Bool = true
    /// Stops the export, committing nothing, once cancelled (checked between batches).
    public var cancellation: ExportCancellation?
    /// Which features of each layer are written (createReplica `geometry` and `layerQueries`);
    /// nil = all of them.
    public var selection: FeatureSelection?
    /// The coordinate system of the outputs (createReplica `replicaSR`); geometries are moved
    /// through GDAL after preparation. nil = each layer's own.
    public var outputSpatialReference: SpatialReference?
    /// Names the outputs (the geodatabase, the GeoPackage) instead of the payload's replica name
    /// (createReplica `replicaName`).
    public var replicaName: String?
    /// The replica id written into outputs that carry one (the `json` payload's `replicaID`)
    /// instead of the payload's own; a service passes the id its response gives. When neither
    /// exists, such an output gets a new one.
    public var replicaID: String?
    /// Called on the reading thread after each batch: the layer, features read so far, and the
    /// layer's total when the source knows it; and over the whole export, features read, their
    /// total when known, the rate and the time left (``ExportProgress/secondsLeft``). Keep it
    /// quick; it must not block.
    public var progress: (@Sendable (ExportProgress) -> Void)?

    /// A request to write `input` as `formats` into `outputDirectory`; the other members keep their
    /// defaults (attachments included, no domain-label columns, every feature, each layer's own
    /// coordinate system, the payload's replica name).
    public init(input: URL, schema: URL? = nil, formats: [String], outputDirectory: URL,
                syncDataOptions: Int? = nil, maxDeviation: Double? = nil, layerIds: [Int]? = nil,
                overwrite: Bool = false, batchSize: Int = 1024, strict: Bool = false,
                cancellation: ExportCancellation? = nil) {
        self.input = input
        self.schema = schema
        self.formats = formats
        self.outputDirectory = outputDirectory
        self.syncDataOptions = syncDataOptions
        self.maxDeviation = maxDeviation
        self.layerIds = layerIds
        self.overwrite = overwrite
        self.batchSize = batchSize
        self.strict = strict
        self.cancellation = cancellation
    }

    /// A request from createReplica's own parameters, as a service answering a `syncModel=none`
    /// export receives them, parsed and checked by ``CreateReplicaParameters`` (`syncModel`,
    /// `dataFormat` and `layers` are required, as ArcGIS requires them): the format, layers,
    /// `layerQueries` and `geometry` filters, `replicaSR`, `returnAttachments`,
    /// `returnAttachmentsDataByUrl`, `replicaName` and `replicaOptions` (`{"syncDataOptions": 256}`
    /// keeps true curves).
    public init(createReplicaParameters parameters: [String: String], input: URL, outputDirectory: URL) throws {
        self.init(try CreateReplicaParameters(parameters), input: input, outputDirectory: outputDirectory)
    }

    /// The request that carries out parsed createReplica parameters: what ``ReplicaService``
    /// runs, for a caller that packages the outputs itself.
    public init(_ parameters: CreateReplicaParameters, input: URL, outputDirectory: URL, schema: URL? = nil,
                cancellation: ExportCancellation? = nil) {
        self.init(input: input, schema: schema, formats: [parameters.dataFormat.name], outputDirectory: outputDirectory,
                  syncDataOptions: parameters.syncDataOptions, layerIds: parameters.layerIds, cancellation: cancellation)
        selection = FeatureSelection(geometry: parameters.geometry, geometryReference: parameters.inSpatialReference,
                                     layerQueries: parameters.layerQueries)
        outputSpatialReference = parameters.replicaSpatialReference
        includeAttachments = parameters.returnAttachments
        attachmentsDataByURL = parameters.returnAttachmentsDataByURL
        replicaName = parameters.replicaName
    }
}

/// What an export did: data, rendered as the command line's summary, a service's response or a
/// batch report's entry (it is `Codable`; ``json()`` gives the standard rendering).
public struct ExportReport: Sendable, Codable {
    /// The input file.
    public var input: URL?
    /// The replica as read (metadata and schemas).
    public var replica: Replica
    /// Per format, the outputs written.
    public var outputs: [String: [WrittenOutput]]
    /// Per layer name, the number of features read.
    public var featuresRead: [String: Int]
    /// Per layer name, the number of features the request's ``ExportRequest/selection`` kept
    /// (equal to ``featuresRead`` without a selection).
    public var featuresSelected: [String: Int]
    /// Whether true curves were kept where the output can hold them.
    public var keptTrueCurves: Bool
    /// Curves kept and densified, per format.
    public var curves: [String: CurveStatistics]
    /// Everything the user should know, from reader, preparer and writers.
    public var diagnostics: [Diagnostic]
    /// Formats that failed while others were committed; empty when every format was written.
    public var failures: [ExportFailure]

    /// A report; `featuresSelected` nil = ``featuresRead`` (no selection).
    public init(input: URL? = nil, replica: Replica, outputs: [String: [WrittenOutput]], featuresRead: [String: Int],
                featuresSelected: [String: Int]? = nil,
                keptTrueCurves: Bool, curves: [String: CurveStatistics], diagnostics: [Diagnostic],
                failures: [ExportFailure] = []) {
        self.input = input
        self.replica = replica
        self.outputs = outputs
        self.featuresRead = featuresRead
        self.featuresSelected = featuresSelected ?? featuresRead
        self.keptTrueCurves = keptTrueCurves
        self.curves = curves
        self.diagnostics = diagnostics
        self.failures = failures
    }

    /// Features written to all outputs of `format`.
    public func featuresWritten(format: String) -> Int {
        outputs[format, default: []].reduce(0) { $0 + $1.featureCount }
    }

    /// The diagnostics that report a value or geometry not written as given.
    public var losses: [Diagnostic] { diagnostics.filter { $0.severity == .loss } }

    /// The report as pretty-printed JSON with sorted keys (non-finite numbers as strings).
    public func json() throws -> Data {
        try ReportJSON.encode(self)
    }
}

/// A format that failed while the others of its export were committed: its outputs were removed.
public struct ExportFailure: Sendable, Codable, CustomStringConvertible {
    /// The format that failed (`filegdb`, ...).
    public var format: String
    /// The error's code.
    public var code: ReplicaExportError.Code
    /// What went wrong and what to do.
    public var message: String
    /// Where it happened; ``ErrorLocation/format`` is always set.
    public var location: ErrorLocation
    /// The underlying cause, as text.
    public var cause: String?

    /// The failure of `format` with `error`; an error that is not a ``ReplicaExportError`` becomes
    /// code ``ReplicaExportError/Code/invalidState`` with its description as the message.
    public init(format: String, error: any Error) {
        self.format = format
        if let error = error as? ReplicaExportError {
            code = error.code
            message = error.message
            location = error.location.filled(from: ErrorLocation(format: format))
            cause = error.cause.map { String(describing: $0) }
        } else {
            code = .invalidState
            message = String(describing: error)
            location = ErrorLocation(format: format)
        }
    }

    /// `[code] location: message (cause: ...)`.
    public var description: String {
        "[\(code)] \(location): \(message)" + (cause.map { " (cause: \($0))" } ?? "")
    }
}

/// Where an export is: reported after each batch read (see ``ExportRequest/progress``).
public struct ExportProgress: Sendable, Equatable {
    /// The layer's service id (``LayerSchema/id``).
    public var layerId: Int
    /// The layer's name (``LayerSchema/name``).
    public var layerName: String
    /// Features of this layer read so far.
    public var featuresDone: Int
    /// Features of this layer in the input, when the source knows it cheaply.
    public var featuresTotal: Int?
    /// Features of this layer kept by the selection so far.
    public var featuresSelected: Int
    /// Features read so far over every layer of the export: never decreases from one report to the next.
    public var inputFeaturesDone: Int = 0
    /// Features of every layer of the export, when the source knows each layer's count cheaply.
    public var inputFeaturesTotal: Int?
    /// Seconds since the export started reading.
    public var elapsed: Double = 0

    /// Features read per second since the export started.
    public var featuresPerSecond: Double {
        elapsed > 0 ? Double(inputFeaturesDone) / elapsed : 0
    }

    /// Seconds left at the rate so far, when the total is known and there is a rate to go by
    /// (at least a second and a feature read); nil otherwise.
    public var secondsLeft: Double? {
        guard let total = inputFeaturesTotal, elapsed >= 1, inputFeaturesDone > 0 else { return nil }
        return Double(max(0, total - inputFeaturesDone)) / featuresPerSecond
    }

    /// The share read, 0...1, when the total is known.
    public var fractionDone: Double? {
        guard let total = inputFeaturesTotal else { return nil }
        return total == 0 ? 1 : min(1, Double(inputFeaturesDone) / Double(total))
    }
}

/// The one JSON form of every report (export, batch, relationship listing): pretty-printed, sorted
/// keys, slashes unescaped, non-finite numbers as strings.
enum ReportJSON {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity",
                                                                      negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(value)
    }
}
