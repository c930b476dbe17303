import Foundation

/// Paths, temporary directories and listings, shared by every test target.
public enum TestPaths {
    /// The package root, found from this file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ReplicaExportTestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// A file under `TestData/`.
    public static func testData(_ relativePath: String) -> URL {
        packageRoot.appendingPathComponent("TestData").appendingPathComponent(relativePath)
    }

    /// Where this test process makes its temporary directories: one directory, removed when the
    /// process exits, so that test runs do not leave their inputs and outputs in the temporary
    /// folder (a full run made about 150 directories there).
    private static let temporaryRoot: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("replica-export-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestPaths.temporaryRoot) }
        return url
    }()

    /// A new empty directory for one test, inside this process's temporary root; the caller may
    /// remove it when done, and whatever is left goes when the process exits.
    public static func makeTemporaryDirectory(_ label: String = "test") throws -> URL {
        let url = temporaryRoot
            .appendingPathComponent("replica-export-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Removes what one test made when it ends (`defer { TestPaths.remove(root, output) }`): each
    /// of `urls` with all it holds; one already gone is no error.
    public static func remove(_ urls: URL...) {
        for url in urls { try? FileManager.default.removeItem(at: url) }
    }

    /// A copy of a `TestData/` file alone in a new temporary directory: for tests that look at what
    /// appears beside an input, which the shared TestData folder cannot show reliably.
    public static func privateCopy(of relativePath: String) throws -> URL {
        let source = testData(relativePath)
        let directory = try makeTemporaryDirectory("input")
        let copy = directory.appendingPathComponent(source.lastPathComponent)
        try FileManager.default.copyItem(at: source, to: copy)
        return copy
    }

    /// The entries directly in `directory`, sorted (hidden temporaries included: nothing may be left).
    public static func entries(_ directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    /// Every file and folder below `directory`, relative, sorted.
    public static func listing(_ directory: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        var names: [String] = []
        while let name = enumerator?.nextObject() as? String { names.append(name) }
        return names.sorted()
    }
}
