import ArgumentParser
import Foundation
import ReplicaExport

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a replica's metadata, layer schemas and numbers without converting it.",
        discussion: "After the layers' schemas, per layer its feature count, the extent of its vertices, its spatial reference and its attachments (count and bytes); then the replica's relationship classes and domains. The input is read through once, in the memory a small one needs. With --json the same comes as one JSON document on stdout.")

    @Argument(help: "The replica payload (.json or .geodatabase).")
    var input: String

    @Option(help: "The service's layer resources for a JSON payload.")
    var schema: String?

    @Flag(help: "Print the summary as JSON (the schemas, per layer the numbers, relationship classes, domains and the reader's warnings) instead of text.")
    var json = false

    func run() throws {
        let summary: ReplicaSummary
        let data: Data?
        do {
            summary = try ReplicaSummary(contentsOf: URL(fileURLWithPath: input),
                                         schema: schema.map { URL(fileURLWithPath: $0) })
            data = json ? try summary.json() : nil
        } catch {
            throw fail(error)
        }
        if let data {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            print(summary.text)
        }
        for diagnostic in summary.diagnostics { printDiagnostic(diagnostic) }
    }
}
