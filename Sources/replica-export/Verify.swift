import ArgumentParser
import Foundation
import ReplicaExport

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare an export's outputs with its input: counts, values, vertices, attachments, spatial references, domains, relationship classes.",
        discussion: "OUTPUT_DIR is the --output of a convert run (the folder holding one folder per format). Exits non-zero on any difference the formats' documented limits do not explain.")

    @Argument(help: "The replica payload that was converted.")
    var input: String

    @Argument(help: "The convert run's output directory.")
    var outputDirectory: String

    @Option(help: "The layer resources given to convert, for a JSON payload.")
    var schema: String?

    @OptionGroup var curves: CurveOptions<Verify>

    @Option(help: "Write the comparison as JSON to FILE; - for stdout.")
    var report: String?

    func run() throws {
        try runVerification(VerifyRequest(input: URL(fileURLWithPath: input), schema: schema.map { URL(fileURLWithPath: $0) },
                                          outputDirectory: URL(fileURLWithPath: outputDirectory),
                                          syncDataOptions: curves.syncDataOptionsRequested, maxDeviation: curves.maxDeviation),
                            report: report)
    }
}

extension Verify: CurveOptionsHelp {
    static let trueCurves: ArgumentHelp = "The conversion kept true curves (same as --sync-data-options 256)."
    static let syncDataOptions: ArgumentHelp = "The syncDataOptions the conversion ran with."
    static let maxDeviation: ArgumentHelp = "The --max-deviation the conversion ran with."
}

/// Runs a verification, prints its tables and exits non-zero when anything differs.
func runVerification(_ request: VerifyRequest, report: String? = nil) throws {
    let result: VerificationReport
    do {
        result = try Verifier().verify(request)
        if let report {
            try writeJSON(result.json(), to: report)
        }
    } catch {
        throw fail(error)
    }
    if report != "-" { print(result.summary) }
    if !result.passed {
        printError("replica-export: error: the outputs differ from the input (see above)")
        throw ExitCode.failure
    }
}
