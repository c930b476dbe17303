import ArgumentParser
import Foundation
import Logging
import ReplicaExport

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert one replica payload to one or more formats.",
        discussion: """
        INPUT is a createReplica result: Esri JSON (dataFormat=json), a feature-service query page, \
        or a mobile geodatabase (dataFormat=sqlite). The format is detected from the content.
        """
    )

    @Argument(help: "The replica payload (.json or .geodatabase).")
    var input: String

    @Option(help: "The service's layer resources (/FeatureServer/layers?f=json) for a JSON payload. Default: <payload-stem>.layers.json beside the payload, if present.")
    var schema: String?

    @Option(name: .long, help: "Output formats, comma-separated: \(WriterRegistry.standard.formatNames.joined(separator: ", ")); all for every one.")
    var format: String

    @Option(name: .long, help: "Output directory (created if missing).")
    var output: String

    @OptionGroup var curves: CurveOptions<Convert>

    @Option(help: "Only these layer ids, comma-separated.")
    var layers: String?

    @Flag(help: "Replace outputs that already exist.")
    var overwrite = false

    @OptionGroup var runOptions: RunOptions<Convert>

    @Option(help: "Write the whole run (input, outputs, counts, losses, warnings) as JSON to FILE; - for stdout.")
    var report: String?

    @Flag(help: "Add <field>_label columns with coded values' labels (per subtype where the domain is) to formats without domains.")
    var domainLabels = false

    @Flag(help: "json: embed each attachment's bytes in the payload as base64 'data' (createReplica's returnAttachmentsDataByUrl=false) instead of writing it beside the payload as attachments/<layer>/<name>, referenced by a relative 'url'.")
    var embedAttachments = false

    @Flag(help: "After converting, compare every output with the input (as the verify command does).")
    var verify = false

    @Flag(name: .shortAndLong, help: "Print progress details.")
    var verbose = false

    func validate() throws {
        if runOptions.quiet && verbose { throw ValidationError("--quiet and --verbose contradict each other; give one of them") }
    }

    func run() throws {
        let options = curves.syncDataOptionsRequested
        let quiet = runOptions.quiet
        var layerIds: [Int]?
        if let layers {
            layerIds = try layers.split(separator: ",").map {
                guard let id = Int($0.trimmingCharacters(in: .whitespaces)) else {
                    throw fail(ValidationError("--layers takes layer ids such as 0,2; got '\(layers)'"))
                }
                return id
            }
        }
        var request = ExportRequest(
            input: URL(fileURLWithPath: input),
            schema: schema.map { URL(fileURLWithPath: $0) },
            formats: WriterRegistry.standard.formatNames(in: format),
            outputDirectory: URL(fileURLWithPath: output),
            syncDataOptions: options,
            maxDeviation: curves.maxDeviation,
            layerIds: layerIds,
            overwrite: overwrite,
            strict: runOptions.strict,
            cancellation: ExportCancellation())
        request.domainLabels = domainLabels
        request.attachmentsDataByURL = !embedAttachments
        let progress = ProgressPrinter(mode: quiet ? .quiet : isatty(STDERR_FILENO) == 1 ? .terminal : .lines)
        if !quiet { request.progress = { progress.report($0) } }
        let interruption = SignalWatcher(cancellation: request.cancellation!)
        var logger = Logger(label: "replica-export")
        logger.logLevel = verbose ? .debug : .warning
        let result: ExportReport
        do {
            defer { progress.clear() }
            result = try Exporter(logger: logger).export(request)
        } catch let error as ReplicaExportError where error.code == .cancelled {
            // The exporter removed its temporaries; say so and exit as a shell expects of the signal.
            let signal = interruption.received ?? SIGINT
            printError("replica-export: interrupted by \(SignalWatcher.name(signal)): the export was cancelled and nothing was written")
            throw ExitCode(128 + signal)
        } catch {
            throw fail(error)
        }
        if let signal = interruption.received {
            // The signal came after the last point the export could stop: every output was committed.
            printError("replica-export: \(SignalWatcher.name(signal)) arrived while the outputs were being committed; they are complete")
        }
        if let report {
            do {
                try writeJSON(result.json(), to: report)
            } catch {
                throw fail(error)
            }
        }
        if report != "-" && !quiet { print(result.summary) }
        for diagnostic in result.diagnostics where !(quiet && diagnostic.severity == .info) {
            printDiagnostic(diagnostic)
        }
        // Formats are independent: the others were committed, but the run did not do all it was asked.
        for failure in result.failures {
            printError("replica-export: error: \(failure)")
        }
        if !result.failures.isEmpty { throw ExitCode.failure }
        if verify {
            try runVerification(VerifyRequest(input: request.input, schema: request.schema,
                                              outputDirectory: request.outputDirectory, syncDataOptions: options,
                                              maxDeviation: curves.maxDeviation))
        }
    }
}

extension Convert: CurveOptionsHelp, RunOptionsHelp {
    static let trueCurves: ArgumentHelp = "Keep true curves where the format can hold them (same as --sync-data-options 256)."
    static let syncDataOptions: ArgumentHelp = "The createReplica syncDataOptions bit set; bit 256 keeps true curves. Default: what the payload stores, else 0."
    static let maxDeviation: ArgumentHelp = "Largest distance between a curve and its densified chords, in coordinate-system units. Default: 2 x XY resolution x 100 (0.02 m)."
    static let strict: ArgumentHelp = "Refuse the export, writing nothing, when a format cannot hold a value as given or the input had to be repaired, such as a value outside its declared type or JSON that is not standard (by default both are written as closely as the formats allow and reported)."
    static let quiet: ArgumentHelp = "No progress line and no summary; warnings and errors only (--report has everything)."
}
