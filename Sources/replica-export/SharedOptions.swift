import ArgumentParser
import ReplicaExport

/// How one command words the help of the curve options: the flags are the same everywhere, but
/// convert and batch convert with them while verify is told what a conversion ran with.
protocol CurveOptionsHelp {
    static var trueCurves: ArgumentHelp { get }
    static var syncDataOptions: ArgumentHelp { get }
    static var maxDeviation: ArgumentHelp { get }
}

/// `--true-curves`, `--sync-data-options` and `--max-deviation`, shared by convert, batch and
/// verify (`@OptionGroup var curves: CurveOptions<ConvertHelp>`).
struct CurveOptions<Help: CurveOptionsHelp>: ParsableArguments {
    @Flag(help: Help.trueCurves)
    var trueCurves = false

    @Option(help: named(Help.syncDataOptions, "N"))
    var syncDataOptions: Int?

    @Option(help: named(Help.maxDeviation, "D"))
    var maxDeviation: Double?

    func validate() throws {
        if trueCurves, let syncDataOptions, syncDataOptions & ExportRequest.trueCurvesBit == 0 {
            throw ValidationError("--true-curves contradicts --sync-data-options \(syncDataOptions) (bit 256 not set); give one of them")
        }
        if let syncDataOptions, syncDataOptions < 0 {
            throw ValidationError("--sync-data-options must be a non-negative bit set, got \(syncDataOptions)")
        }
    }

    /// The syncDataOptions to run with: `--sync-data-options`, with bit 256 set by `--true-curves`;
    /// nil when neither was given (the library then takes what the payload stores).
    var syncDataOptionsRequested: Int? {
        trueCurves ? (syncDataOptions ?? 0) | ExportRequest.trueCurvesBit : syncDataOptions
    }
}

/// `help` with a value name: `--max-deviation <D>` leaves room for the help on its line, where the
/// property's name would take the whole line.
private func named(_ help: ArgumentHelp, _ valueName: String) -> ArgumentHelp {
    var help = help
    help.valueName = valueName
    return help
}

/// How one command words the help of `--strict` and `--quiet`: convert answers for one input,
/// batch for each of many.
protocol RunOptionsHelp {
    static var strict: ArgumentHelp { get }
    static var quiet: ArgumentHelp { get }
}

/// `--strict` and `--quiet`, shared by the commands that convert (convert, batch); verify neither
/// writes nor prints progress.
struct RunOptions<Help: RunOptionsHelp>: ParsableArguments {
    @Flag(help: Help.strict)
    var strict = false

    @Flag(name: .shortAndLong, help: Help.quiet)
    var quiet = false
}
