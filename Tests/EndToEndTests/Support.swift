import Foundation
@_exported import ReplicaExportTestSupport

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
