import ArgumentParser
import Foundation
import ReplicaExport

struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert every replica payload of a directory tree, several at once.",
        discussion: """
        Payloads (Esri JSON replicas and FeatureSets, mobile geodatabases) are found by content under \
        INDIR, recursively; <stem>.layers.json beside a payload is its schema; every other file is \
        skipped and counted. INDIR/a/b.json is written to OUTDIR/a/b/<format>/. The exit status is \
        non-zero when any input failed.
        """
    )

    @Argument(help: "The directory of payloads.")
    var input: String

    @Option(name: .long, help: "Output formats, comma-separated: \(WriterRegistry.standard.formatNames.joined(separator: ", ")); all for every one.")
    var format: String

    @Option(name: .long, help: "Output directory (created if missing); the input tree is mirrored under it.")
    var output: String

    // Optional rather than defaulted, so that the help says what the default is rather than what it is here.
    @Option(help: "Conversions at once. Default: the number of cores.")
    var jobs: Int?

    @Option(help: "Write the batch report (every input: status, layers, features, losses, warnings, error, bytes, seconds) as JSON to FILE; - for stdout.")
    var report: String?

    @Flag(help: "Skip inputs whose outputs are complete for the same input bytes, schema and options (a manifest in each output folder records them); convert the rest.")
    var resume = false

    @Option(help: ArgumentHelp("Convert only shard K of N: the inputs whose relative path hashes to it (the first 8 bytes of its SHA-256, big-endian, modulo N, plus 1). Shards 1/N ... N/N together convert every input once; 'replica-export report merge' joins their reports.", valueName: "K/N"))
    var shard: String?

    @OptionGroup var curves: CurveOptions<Batch>

    @OptionGroup var runOptions: RunOptions<Batch>

    @Flag(help: "Merge the FeatureSet pages of one layer (<stem>-0.json, <stem>-1.json, ... in one folder, with <stem>.layers.json as their schema when present) into one output, OUTDIR/<folder>/<stem>/<format>/, instead of one per page. The pages must agree on fields, geometry type and spatial reference; a gap in the numbering is a warning.")
    var mergePages = false

    @Flag(help: "List what would be converted and what skipped, and convert nothing.")
    var dryRun = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let shard {
            do {
                _ = try BatchShard(parsing: shard)
            } catch let error as ReplicaExportError {
                throw ValidationError("--shard: \(error.message)")
            }
        }
    }

    func run() throws {
        let quiet = runOptions.quiet
        var options = BatchOptions(
            inputDirectory: URL(fileURLWithPath: input, isDirectory: true),
            outputDirectory: URL(fileURLWithPath: output, isDirectory: true),
            formats: WriterRegistry.standard.formatNames(in: format),
            jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, resume: resume, shard: try shard.map { try BatchShard(parsing: $0) }, syncDataOptions: curves.syncDataOptionsRequested, maxDeviation: curves.maxDeviation, strict: runOptions.strict)
        options.mergePages = mergePages
        let converter = BatchConverter(options: options)
        let plan: BatchPlan
        do {
            plan = try converter.plan()
        } catch {
            throw fail(error)
        }
        if dryRun {
            printPlan(plan, converter: converter)
            return
        }
        // SIGINT and SIGTERM stop the batch: running exports stop between batches of features and
        // remove what they wrote, no new input starts, and the report says what finished.
        let signals = SignalWatcher(cancellation: options.cancellation, secondSignalQuits: true) { number in
            printError("replica-export: \(SignalWatcher.name(number)): stopping; the inputs being converted are abandoned and removed"
                       + " (send it again to quit at once)")
        }
        let progress = ProgressPrinter(mode: quiet ? .quiet : isatty(STDERR_FILENO) == 1 ? .terminal : .lines)
        let monitor = BatchProgressMonitor(onFinish: { input, done in progress.finished(input, done) })
        progress.startRedrawing { monitor.snapshot() }
        let result: BatchReport
        do {
            result = try converter.run(plan: plan, monitor: monitor)
        } catch {
            progress.stop()
            throw fail(error)
        }
        progress.stop()
        signals.stop()
        if let report {
            do {
                try writeJSON(result.json(), to: report)
            } catch {
                throw fail(error)
            }
        }
        // With the JSON on stdout, the table goes to stderr.
        if !quiet {
            if report == "-" { printError(result.summary) } else { print(result.summary) }
        }
        if let signal = signals.received {
            let t = result.totals
            printError("replica-export: stopped by \(SignalWatcher.name(signal)): \(t.converted) of \(t.inputs) inputs converted"
                       + (t.skippedResume > 0 ? ", \(t.skippedResume) already complete" : "")
                       + (t.failed > 0 ? ", \(t.failed) failed" : "")
                       + "; \(t.cancelled) stopped mid-way and \(t.notStarted) not started were not written (--resume continues)")
            throw ExitCode(128 + signal)
        }
        let failed = result.totals.failed
        if failed > 0 {
            let names = result.failures.prefix(5).map(\.path).joined(separator: ", ")
            printError("replica-export: error: \(failed) of \(result.totals.inputs) input\(result.totals.inputs == 1 ? "" : "s") failed: "
                       + names + (failed > 5 ? ", ..." : "") + (report.map { $0 == "-" ? "" : " (see \($0))" } ?? ""))
            throw ExitCode.failure
        }
    }

    /// `--dry-run`: each input with its kind, schema and output folder, then the skipped files.
    func printPlan(_ plan: BatchPlan, converter: BatchConverter) {
        let outputRoot = URL(fileURLWithPath: output, isDirectory: true)
        var rows: [[String]] = []
        var resumed = 0
        for input in plan.inputs {
            let skip = resume && converter.wouldResume(input)
            if skip { resumed += 1 }
            let kind = input.pages.map { "\(input.format.rawValue), \($0.count) pages" } ?? input.format.rawValue
            rows.append([input.path, kind, input.schema ?? "",
                         outputRoot.appendingPathComponent(input.output).path + "/", skip ? "skip (complete)" : "convert"])
        }
        let count = plan.inputs.count - resumed
        print("would convert \(count) input\(count == 1 ? "" : "s")" + (resume ? ", skip \(resumed) complete" : "")
              + (shard.map { " (shard \($0))" } ?? "") + ":")
        for line in table(header: ["input", "payload", "schema", "output", "action"], rows: rows) { print("  " + line) }
        if !plan.skipped.isEmpty {
            print("would skip \(plan.skipped.count) other file\(plan.skipped.count == 1 ? "" : "s"):")
            let skippedRows = plan.skipped.map { [$0.path, $0.reason.rawValue, $0.detail] }
            for line in table(header: ["file", "reason", "detail"], rows: skippedRows) { print("  " + line) }
        }
    }
}

extension Batch: CurveOptionsHelp, RunOptionsHelp {
    static let trueCurves: ArgumentHelp = "Keep true curves where the format can hold them (same as --sync-data-options 256)."
    static let syncDataOptions: ArgumentHelp = "The createReplica syncDataOptions bit set for every input; bit 256 keeps true curves. Default: what each payload stores, else 0."
    static let maxDeviation: ArgumentHelp = "Largest distance between a curve and its densified chords, in coordinate-system units."
    static let strict: ArgumentHelp = "Fail an input, writing nothing for it, when a format cannot hold a value as given or the input had to be repaired (a value outside its declared type, JSON that is not standard)."
    static let quiet: ArgumentHelp = "No progress and no summary table; errors only (the report has everything)."
}

/// Left-aligned columns, two spaces apart.
func table(header: [String], rows: [[String]]) -> [String] {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
}
