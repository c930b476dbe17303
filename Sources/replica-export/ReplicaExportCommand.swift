import ArgumentParser
import Foundation
import Logging
import ReplicaExport

@main
struct ReplicaExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replica-export",
        abstract: "Convert ArcGIS feature-service replicas (Esri JSON or mobile geodatabase) to FileGDB, shapefile, CSV and GeoJSON.",
        subcommands: [Convert.self, Inspect.self]
    )
}

/// Prints a library error as one line on stderr and exits non-zero.
func fail(_ error: any Error) -> ExitCode {
    let text: String
    switch error {
    case let error as any ReplicaExportError: text = error.description
    case let error as ValidationError: text = error.message
    default: text = String(describing: error)
    }
    FileHandle.standardError.write(Data("replica-export: error: \(text)\n".utf8))
    return ExitCode.failure
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
