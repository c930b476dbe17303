import ArgumentParser
import Foundation
import ReplicaExport

/// `replica-export export`: answers one createReplica export request (syncModel=none) exactly as
/// a feature service using the library does, and prints the response JSON.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a createReplica export request (syncModel=none) as a feature service would.",
        discussion: """
        The request is the raw form-encoded body (--request) or its parameters one by one \
        (--param NAME=VALUE, repeatable); its dataFormat is one of \
        \(ExportFormat.all.map(\.name).joined(separator: ", ")). The result (a zip, or the file itself \
        where a one-layer export of a single-file format gives one file) is written to OUTPUT/<replicaID>/ and the response \
        JSON is printed on stdout. An invalid request prints the error JSON with code 400 on stdout and \
        exits 2; a failed export prints it with code 500 and exits 1. The command answers \
        synchronously even for async=true.
        """
    )

    @Argument(help: "The replica payload (.json or .geodatabase).")
    var input: String

    @Option(help: "Where results are written (created if missing).")
    var output: String

    @Option(help: "The raw form-encoded createReplica body, e.g. 'syncModel=none&dataFormat=\(ExportFormat.all[0].name)&layers=0'.")
    var request: String?

    @Option(name: .customLong("param"), help: "One createReplica parameter as NAME=VALUE (repeatable).")
    var parameters: [String] = []

    @Option(help: "The URL results are served under; resultUrl is built from it. Default: the output folder as a file URL.")
    var baseURL: String?

    @Option(help: "The service's layer resources (/FeatureServer/layers?f=json) for a JSON payload.")
    var schema: String?

    func validate() throws {
        guard (request == nil) != parameters.isEmpty else {
            throw ValidationError("give the request either as --request 'BODY' or as --param NAME=VALUE options")
        }
        if let baseURL, URL(string: baseURL)?.scheme == nil {
            throw ValidationError("--base-url '\(baseURL)' is not an absolute URL")
        }
    }

    func run() throws {
        let outputURL = URL(fileURLWithPath: output, isDirectory: true)
        let base = baseURL.flatMap { URL(string: $0) } ?? outputURL
        do {
            let parsed: CreateReplicaParameters
            if let request {
                parsed = try CreateReplicaParameters(formBody: request)
            } else {
                var pairs: [String: String] = [:]
                for item in parameters {
                    guard let equals = item.firstIndex(of: "=") else {
                        throw ValidationError("--param '\(item)' is not NAME=VALUE")
                    }
                    pairs[String(item[..<equals])] = String(item[item.index(after: equals)...])
                }
                parsed = try CreateReplicaParameters(pairs)
            }
            let response = try ReplicaService().export(parsed, input: URL(fileURLWithPath: input), workDirectory: outputURL,
                                                       resultBaseURL: base, schema: schema.map { URL(fileURLWithPath: $0) })
            FileHandle.standardOutput.write(response.json(pretty: parsed.responseFormat == "pjson") + Data("\n".utf8))
        } catch let error as ValidationError {
            throw error
        } catch {
            let answer = ServiceError(error)
            FileHandle.standardOutput.write(answer.json() + Data("\n".utf8))
            throw ExitCode(answer.code == 400 ? 2 : 1)
        }
    }
}
