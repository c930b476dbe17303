import Foundation
@_exported import ReplicaExportTestSupport
import ReplicaExport
import Testing

/// The end-to-end suites' vocabulary over the shared helpers: run the built command and the oracles.
enum EndToEnd {
    typealias Result = Processes.Result

    static func testData(_ relativePath: String) -> URL { TestPaths.testData(relativePath) }

    static func cli(_ arguments: String...) throws -> Result {
        try Processes.run(Processes.replicaExport, arguments)
    }

    static func cli(_ arguments: [String]) throws -> Result {
        try Processes.run(Processes.replicaExport, arguments)
    }

    static func python(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        try Processes.python(script, arguments)
    }

    static func makeTemporaryDirectory(_ label: String) throws -> URL {
        try TestPaths.makeTemporaryDirectory("e2e-\(label)")
    }

    static func listing(_ directory: URL) -> [String] { TestPaths.listing(directory) }
}

extension EndToEnd {
    /// Runs the library's `verify` on a conversion (its input and the `--output` directory holding
    /// `filegdb/`, `csv/`, ...) with the options the conversion ran with, and records every
    /// difference as an issue at the caller, with the report's tables. Returns the report.
    @discardableResult
    static func verify(_ input: URL, output: URL, schema: URL? = nil, syncDataOptions: Int? = nil, maxDeviation: Double? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> VerificationReport {
        let report = try Verifier().verify(VerifyRequest(input: input, schema: schema, outputDirectory: output,
                                                         syncDataOptions: syncDataOptions, maxDeviation: maxDeviation))
        #expect(report.passed, "verify \(input.lastPathComponent) → \(output.path):\n\(report.summary)", sourceLocation: sourceLocation)
        #expect(!report.formats.isEmpty, sourceLocation: sourceLocation)
        return report
    }
}
