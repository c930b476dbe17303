import ArgumentParser
import Foundation
import ReplicaExport

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with batch reports.",
        subcommands: [Merge.self]
    )

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge the reports of the shards of one batch into the report of the whole tree.",
            discussion: """
            Give the report of every shard (batch --shard K/N --report FILE), in any order. The merged \
            report is the one an unsharded batch would have written (only the times differ); the \
            summary table goes to stdout (to stderr when the report does). The exit status is \
            non-zero when any input failed.
            """
        )

        @Argument(help: "The shards' reports (JSON, as batch --report writes them).")
        var reports: [String]

        @Option(help: "Write the merged report to FILE; - for stdout.")
        var output: String = "-"

        func run() throws {
            let merged: BatchReport
            do {
                let reports = try self.reports.map { path in
                    do {
                        return try BatchReport.decode(Data(contentsOf: URL(fileURLWithPath: path)))
                    } catch let error as DecodingError {
                        throw ValidationError("\(path) is not a batch report: \(describe(error))")
                    } catch let error as CocoaError {
                        throw ValidationError("\(path) cannot be read: \(error.localizedDescription)")
                    }
                }
                merged = try BatchReport.merged(reports)
                try writeJSON(merged.json(), to: output)
            } catch {
                throw fail(error)
            }
            if output == "-" { printError(merged.summary) } else { print(merged.summary) }
            if merged.totals.failed > 0 {
                printError("replica-export: error: \(merged.totals.failed) of \(merged.totals.inputs) inputs failed")
                throw ExitCode.failure
            }
        }

        func describe(_ error: DecodingError) -> String {
            switch error {
            case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return (path.isEmpty ? "" : "\(path): ") + context.debugDescription
            @unknown default:
                return String(describing: error)
            }
        }
    }
}
