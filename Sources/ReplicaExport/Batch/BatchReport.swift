import Foundation

/// What a batch did, input by input: data (`Codable`; ``json()`` gives the standard rendering),
/// rendered as the command line's summary table (``summary``) or kept as a JSON report.
public struct BatchReport: Sendable, Codable, Equatable {
    /// The input directory as given.
    public var inputDirectory: String
    /// The output directory as given.
    public var outputDirectory: String
    /// The options that decide the outputs.
    public var settings: BatchSettings
    /// The share of the tree this report covers; nil for the whole tree (or shards merged).
    public var shard: BatchShard?
    /// True when the batch was stopped (``ExportCancellation``) before every input was done.
    public var cancelled: Bool
    /// Every payload found, sorted by path.
    public var inputs: [BatchInputReport]
    /// Every other file of the tree, sorted by path.
    public var skipped: [BatchSkippedFile]
    /// Sums over ``inputs`` and ``skipped``.
    public var totals: BatchTotals
    /// Wall-clock time of the batch.
    public var seconds: Double

    /// A report of `inputs` and `skipped` files; ``totals`` is computed from them.
    public init(inputDirectory: String, outputDirectory: String, settings: BatchSettings, shard: BatchShard? = nil, cancelled: Bool,
                inputs: [BatchInputReport], skipped: [BatchSkippedFile], seconds: Double) {
        self.inputDirectory = inputDirectory
        self.outputDirectory = outputDirectory
        self.settings = settings
        self.shard = shard
        self.cancelled = cancelled
        self.inputs = inputs
        self.skipped = skipped
        self.totals = BatchTotals(inputs: inputs, skipped: skipped)
        self.seconds = seconds
    }

    /// The reports of the shards of one tree (``BatchShard``, the same settings) as the report of the
    /// whole tree: inputs and skipped files together, sorted, totals summed, the longest time.
    /// Every shard 1/N ... N/N must be there, once. Reports without a shard (of disjoint parts of a
    /// tree) merge too, as long as no file is in two of them.
    public static func merged(_ reports: [BatchReport]) throws -> BatchReport {
        guard let first = reports.first else {
            throw ReplicaExportError(.invalidOption, "no report to merge")
        }
        if let other = reports.first(where: { $0.settings != first.settings }) {
            throw ReplicaExportError(.invalidOption,
                                     "the reports were made with different settings (\(describe(first.settings)) and \(describe(other.settings))); merge the reports of one batch")
        }
        let shards = reports.compactMap(\.shard)
        if !shards.isEmpty {
            guard shards.count == reports.count else {
                throw ReplicaExportError(.invalidOption, "some reports are of a shard and some of a whole tree; merge the reports of the shards of one batch")
            }
            let count = shards[0].count
            if let odd = shards.first(where: { $0.count != count }) {
                throw ReplicaExportError(.invalidOption, "shard \(odd) is not one of \(count) like shard \(shards[0])")
            }
            var seen = Set<Int>()
            for shard in shards where !seen.insert(shard.index).inserted {
                throw ReplicaExportError(.invalidOption, "shard \(shard) is given twice")
            }
            let missing = (1...count).filter { !seen.contains($0) }
            if !missing.isEmpty {
                throw ReplicaExportError(.invalidOption,
                                         "shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(count)" }.joined(separator: ", ")) missing; give the report of every shard")
            }
        }
        let inputs = reports.flatMap(\.inputs).sorted { $0.path < $1.path }
        let skipped = reports.flatMap(\.skipped).sorted { $0.path < $1.path }
        let paths = inputs.map(\.path) + skipped.map(\.path)
        var seenPaths = Set<String>()
        for path in paths where !seenPaths.insert(path).inserted {
            throw ReplicaExportError(.invalidOption, "'\(path)' is in two of the reports; merge the reports of disjoint shards")
        }
        return BatchReport(inputDirectory: first.inputDirectory, outputDirectory: first.outputDirectory,
                           settings: first.settings, shard: nil, cancelled: reports.contains { $0.cancelled },
                           inputs: inputs, skipped: skipped, seconds: reports.map(\.seconds).max() ?? 0)
    }

    private static func describe(_ settings: BatchSettings) -> String {
        var parts = ["formats " + settings.formats.joined(separator: ",")]
        if let options = settings.syncDataOptions { parts.append("syncDataOptions \(options)") }
        if let deviation = settings.maxDeviation { parts.append("maxDeviation \(deviation)") }
        if settings.strict { parts.append("strict") }
        if settings.mergePages == true { parts.append("merge-pages") }
        return parts.joined(separator: " ")
    }

    /// The inputs that failed.
    public var failures: [BatchInputReport] { inputs.filter { $0.status == .failed } }

    /// The report as pretty-printed JSON with sorted keys (non-finite numbers as strings).
    public func json() throws -> Data {
        try ReportJSON.encode(self)
    }

    /// Reads a report written by ``json()``.
    public static func decode(_ data: Data) throws -> BatchReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity",
                                                                        negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(BatchReport.self, from: data)
    }
}

/// One payload of a batch and what became of it.
public struct BatchInputReport: Sendable, Codable, Equatable {
    /// What became of an input.
    public enum Status: String, Sendable, Codable {
        /// Every format was written.
        case converted
        /// The input could not be converted, or a format failed (the others were written).
        case failed
        /// ``BatchOptions/resume``: the outputs a manifest records are complete for this input.
        case skippedResume = "skipped-resume"
        /// The batch was cancelled while this input was converting; nothing of it was written.
        case cancelled
        /// The batch was cancelled before this input was started.
        case notStarted = "not-started"
    }

    /// Relative to the input directory.
    public var path: String
    /// The payload format, told by content.
    public var format: ReplicaSources.PayloadFormat
    /// The schema used (`<stem>.layers.json`), relative to the input directory.
    public var schema: String?
    /// The output folder, relative to the output directory.
    public var output: String
    /// What became of it.
    public var status: Status
    /// Layers and tables written; nil when the input could not be read.
    public var layers: Int?
    /// Features read from the input, all layers.
    public var featuresRead: Int?
    /// Features written, per format.
    public var features: [String: Int]
    /// What a format could not hold as given (``Diagnostic/Severity/loss``).
    public var losses: [Diagnostic]
    /// Every other diagnostic, counted (the command line prints them; ``ExportReport`` has them all).
    public var warnings: Int
    /// Why the input failed: the error, or the first format that failed.
    public var error: BatchInputError?
    /// The formats that failed while others were written.
    public var failedFormats: [String]
    /// Size of the input.
    public var bytes: Int64
    /// Size of everything written for it.
    public var outputBytes: Int64
    /// Time spent on this input.
    public var seconds: Double
    /// The FeatureSet pages merged into this input (``BatchInput/pages``), in page order; nil for an
    /// input of one file.
    public var pages: [String]?

    /// The entry of `input` (its path, format, schema, output folder, size and pages) with what became of it.
    public init(input: BatchInput, status: Status, layers: Int? = nil, featuresRead: Int? = nil,
                features: [String: Int] = [:], losses: [Diagnostic] = [], warnings: Int = 0,
                error: BatchInputError? = nil, failedFormats: [String] = [], outputBytes: Int64 = 0, seconds: Double = 0) {
        self.path = input.path
        self.format = input.format
        self.schema = input.schema
        self.output = input.output
        self.status = status
        self.layers = layers
        self.featuresRead = featuresRead
        self.features = features
        self.losses = losses
        self.warnings = warnings
        self.error = error
        self.failedFormats = failedFormats
        self.bytes = input.bytes
        self.outputBytes = outputBytes
        self.seconds = seconds
        self.pages = input.pages
    }
}

/// An error, as data: the code, who is at fault, the message, where.
public struct BatchInputError: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The error's code.
    public var code: ReplicaExportError.Code
    /// Who has to act: the request, the input, the output, or the library.
    public var fault: ReplicaExportError.Fault
    /// What went wrong and what to do.
    public var message: String
    /// Where it happened (in a batch report, ``ErrorLocation/input`` is relative to the input directory).
    public var location: ErrorLocation
    /// The underlying cause (a GDAL or SQLite error), as text.
    public var cause: String?

    /// `error` as data; an error that is not a ``ReplicaExportError`` becomes code
    /// ``ReplicaExportError/Code/invalidState`` with its description as the message.
    public init(_ error: any Error) {
        if let error = error as? ReplicaExportError {
            code = error.code
            message = error.message
            location = error.location
            cause = error.cause.map { String(describing: $0) }
        } else {
            code = .invalidState
            message = String(describing: error)
            location = ErrorLocation()
        }
        fault = code.fault
    }

    init(_ failure: ExportFailure) {
        code = failure.code
        fault = failure.code.fault
        message = failure.message
        location = failure.location
        cause = failure.cause
    }

    /// `[code] where: message`.
    public var description: String {
        "[\(code)] " + (location.isEmpty ? message : "\(location): \(message)") + (cause.map { " (cause: \($0))" } ?? "")
    }
}

/// Sums over a batch.
public struct BatchTotals: Sendable, Codable, Equatable {
    /// Payloads found (in this shard).
    public var inputs: Int
    /// Inputs with every format written.
    public var converted: Int
    /// Inputs that failed, wholly or in a format.
    public var failed: Int
    /// Inputs skipped because their outputs were complete (``BatchOptions/resume``).
    public var skippedResume: Int
    /// Inputs stopped by the cancellation while converting.
    public var cancelled: Int
    /// Inputs the cancellation kept from starting.
    public var notStarted: Int
    /// Other files of the tree (schemas included).
    public var skippedFiles: Int
    /// Of ``skippedFiles``, layer resources.
    public var schemas: Int
    /// Features written per format, over every converted or resumed input.
    public var features: [String: Int]
    /// Loss diagnostics over every input.
    public var losses: Int
    /// Diagnostics other than losses, over every input.
    public var warnings: Int
    /// Bytes of every payload found.
    public var bytes: Int64
    /// Bytes written (or, for resumed inputs, recorded as written).
    public var outputBytes: Int64

    /// The sums over `inputs` and `skipped`.
    public init(inputs: [BatchInputReport], skipped: [BatchSkippedFile]) {
        self.inputs = inputs.count
        converted = inputs.filter { $0.status == .converted }.count
        failed = inputs.filter { $0.status == .failed }.count
        skippedResume = inputs.filter { $0.status == .skippedResume }.count
        cancelled = inputs.filter { $0.status == .cancelled }.count
        notStarted = inputs.filter { $0.status == .notStarted }.count
        skippedFiles = skipped.count
        schemas = skipped.filter { $0.reason == .schema }.count
        var features: [String: Int] = [:]
        for input in inputs {
            for (format, count) in input.features { features[format, default: 0] += count }
        }
        self.features = features
        losses = inputs.reduce(0) { $0 + $1.losses.count }
        warnings = inputs.reduce(0) { $0 + $1.warnings }
        bytes = inputs.reduce(0) { $0 + $1.bytes }
        outputBytes = inputs.reduce(0) { $0 + $1.outputBytes }
    }
}

extension BatchReport {
    /// One row per input (status, layers, features read, losses, warnings, seconds, and the error of a
    /// failed one), then the totals.
    public var summary: String {
        var rows: [[String]] = []
        for input in inputs {
            var note = ""
            if let error = input.error {
                note = "[\(error.code)] \(error.message)"
                if let format = error.location.format { note = "\(format): " + note }
            }
            note = note.split(whereSeparator: \.isNewline).joined(separator: " ")
            if note.count > 100 { note = String(note.prefix(99)) + "…" }
            rows.append([input.path, input.status.rawValue, input.layers.map(String.init) ?? "",
                         input.featuresRead.map(Self.grouped) ?? "", input.losses.isEmpty ? "" : String(input.losses.count),
                         input.warnings == 0 ? "" : String(input.warnings),
                         input.status == .notStarted || input.status == .skippedResume ? "" : String(format: "%.1f", input.seconds),
                         note])
        }
        var lines = ExportReport.table(header: ["input", "status", "layers", "features", "losses", "warnings", "seconds", "error"],
                                       rows: rows)
        let t = totals
        var parts = ["\(t.inputs) input\(t.inputs == 1 ? "" : "s")", "\(t.converted) converted"]
        if t.failed > 0 { parts.append("\(t.failed) failed") }
        if t.skippedResume > 0 { parts.append("\(t.skippedResume) skipped (resume)") }
        if t.cancelled > 0 { parts.append("\(t.cancelled) cancelled") }
        if t.notStarted > 0 { parts.append("\(t.notStarted) not started") }
        var line = parts.joined(separator: ", ")
        line += "; \(t.skippedFiles) other file\(t.skippedFiles == 1 ? "" : "s") skipped"
        if t.schemas > 0 { line += " (\(t.schemas) schema\(t.schemas == 1 ? "" : "s"))" }
        line += String(format: "; %.1f s", seconds)
        if let shard { line += "; shard \(shard)" }
        lines.append(line)
        if !t.features.isEmpty {
            lines.append("features written: " + t.features.keys.sorted().map { "\($0) \(Self.grouped(t.features[$0]!))" }
                .joined(separator: ", "))
        }
        if cancelled { lines.append("the batch was cancelled: inputs not converted are listed as cancelled or not-started") }
        return lines.joined(separator: "\n")
    }

    static func grouped(_ value: Int) -> String { BatchReportText.grouped(value) }
}

/// Number formatting shared by the report's summary and the command line's progress.
public enum BatchReportText {
    /// `1,234,567`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }
}
