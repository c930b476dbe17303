import Foundation
import Testing

/// Runs the built `replica-export` and the GDAL oracle script; shared by the end-to-end suites.
enum EndToEnd {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func testData(_ relativePath: String) -> URL {
        packageRoot.appendingPathComponent("TestData").appendingPathComponent(relativePath)
    }

    /// The command built next to this test bundle (`swift build --build-tests` builds both).
    static var executable: URL {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
            + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for directory in candidates {
            let url = directory.appendingPathComponent("replica-export")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return packageRoot.appendingPathComponent(".build/debug/replica-export")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion; the output is read concurrently so a full pipe cannot block it.
    static func run(_ program: URL, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static func cli(_ arguments: String...) throws -> Result {
        try run(executable, arguments)
    }

    static func cli(_ arguments: [String]) throws -> Result {
        try run(executable, arguments)
    }

    /// Runs a GDAL-Python helper script from this folder and decodes its JSON output.
    static func python(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        let path = packageRoot.appendingPathComponent("Tests/EndToEndTests").appendingPathComponent(script).path
        let result = try run(URL(fileURLWithPath: "/usr/bin/python3"), [path] + arguments)
        guard result.status == 0,
              let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw ScriptError(message: "\(script) failed (\(result.status)): \(result.stderr)\(result.stdout.prefix(2000))")
        }
        return object
    }

    struct ScriptError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func makeTemporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("replica-export-e2e-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Every file below `directory`, relative, sorted.
    static func listing(_ directory: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        var names: [String] = []
        while let name = enumerator?.nextObject() as? String { names.append(name) }
        return names.sorted()
    }
}
