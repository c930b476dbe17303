import Foundation

/// Runs programs the way the end-to-end tests need: the built command, and the GDAL-Python oracles.
public enum Processes {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a program to completion; the output is read concurrently so a full pipe cannot block it.
    /// `environment` is added to this process's environment for the child.
    public static func run(_ program: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
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

    /// Runs `program` (a name looked up on PATH, or a path) to completion and returns what it wrote
    /// to stdout; any exit status but 0 throws, with what it wrote to stderr. For the steps that
    /// build a test's inputs, which must succeed for the test to mean anything.
    @discardableResult
    public static func succeed(_ program: String, _ arguments: [String]) throws -> String {
        let result = try run(URL(fileURLWithPath: "/usr/bin/env"), [program] + arguments)
        guard result.status == 0 else {
            throw ScriptError(message: "\(program) \(arguments) exited with \(result.status): \(result.stderr)")
        }
        return result.stdout
    }

    /// Starts a program in the background with an empty input and its output discarded: for the
    /// tests that signal or kill it mid-way.
    public static func start(_ program: URL, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The `replica-export` command built next to the test bundle (`swift build --build-tests` builds both).
    public static var replicaExport: URL {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
            + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for directory in candidates {
            let url = directory.appendingPathComponent("replica-export")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return TestPaths.packageRoot.appendingPathComponent(".build/debug/replica-export")
    }

    /// Runs a GDAL-Python script of `Tests/EndToEndTests` under the system Python (which has the
    /// GDAL bindings) and decodes its JSON output.
    public static func python(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        let path = TestPaths.packageRoot.appendingPathComponent("Tests/EndToEndTests").appendingPathComponent(script).path
        let result = try run(URL(fileURLWithPath: "/usr/bin/python3"), [path] + arguments)
        guard result.status == 0,
              let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw ScriptError(message: "\(script) failed (\(result.status)): \(result.stderr)\(result.stdout.prefix(2000))")
        }
        return object
    }

    public struct ScriptError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }
}
