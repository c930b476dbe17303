import ArgumentParser
import Foundation
import Logging
import ReplicaExport

@main
struct ReplicaExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replica-export",
        abstract: "Convert ArcGIS feature-service replicas (Esri JSON or mobile geodatabase) to every format a feature service exports: \(WriterRegistry.standard.formatNames.joined(separator: ", ")).",
        subcommands: [Convert.self, Inspect.self, Verify.self, Export.self, Batch.self, Report.self]
    )
}

/// Prints a library error as one line on stderr and exits non-zero.
func fail(_ error: any Error) -> ExitCode {
    let text: String
    switch error {
    case let error as ReplicaExportError: text = error.description + commandLineHint(error.code)
    case let error as ValidationError: text = error.message
    default: text = String(describing: error)
    }
    FileHandle.standardError.write(Data("replica-export: error: \(text)\n".utf8))
    return ExitCode.failure
}

/// The flag that answers an error, where one does: library messages never name flags.
func commandLineHint(_ code: ReplicaExportError.Code) -> String {
    switch code {
    case .outputExists: return " (--overwrite replaces it)"
    default: return ""
    }
}

/// A diagnostic as a line on standard error, with the flag that answers it where one does:
/// `warning:` for a loss or a warning, `note:` for information (nothing was changed).
func printDiagnostic(_ diagnostic: Diagnostic) {
    var line = "\(diagnostic.severity == .info ? "note" : "warning"): \(diagnostic)"
    if diagnostic.code == .schemaInferred { line += " (--schema FILE)" }
    printError(line)
}

/// Writes JSON to a file, or to stdout for "-".
func writeJSON(_ data: Data, to path: String) throws {
    if path == "-" {
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    } else {
        try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
