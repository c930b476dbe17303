import Foundation

/// Paths shared by the unit tests.
enum TestPaths {
    /// The package root, found from this file's location.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // ReplicaExportTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// A file under `TestData/`.
    static func testData(_ relativePath: String) -> URL {
        packageRoot.appendingPathComponent("TestData").appendingPathComponent(relativePath)
    }

    /// A new empty directory for one test; the caller removes it when done (or leaves it to the OS).
    static func makeTemporaryDirectory(_ label: String = "test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("replica-export-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
