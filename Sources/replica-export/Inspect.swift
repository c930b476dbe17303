import ArgumentParser
import Foundation
import ReplicaExport

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a replica's metadata and layer schemas without converting it.")

    @Argument(help: "The replica payload (.json or .geodatabase).")
    var input: String

    @Option(help: "The service's layer resources for a JSON payload.")
    var schema: String?

    func run() throws {
        do {
            let source = try ReplicaSources.open(URL(fileURLWithPath: input),
                                                 schemaURL: schema.map { URL(fileURLWithPath: $0) })
            print(source.replica.outline)
            for diagnostic in source.diagnostics { printWarning(diagnostic) }
        } catch {
            throw fail(error)
        }
    }
}
