import Foundation
import Testing
import ReplicaExportTestSupport

/// The README's library examples compile as written: each ```swift block is type-checked by
/// swiftc as a program of its own against the built ReplicaExport module.
@Suite struct ServiceReadmeTests {
    static func swiftBlocks() throws -> [String] {
        let readme = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```swift" { current = [] }
            else if current != nil, line == "```" { blocks.append(current!.joined(separator: "\n")); current = nil }
            else { current?.append(line) }
        }
        return blocks
    }

    @Test func everySwiftBlockTypeChecks() throws {
        let blocks = try Self.swiftBlocks()
        #expect(blocks.count >= 2)
        #expect(blocks.contains { $0.contains("ReplicaService()") }, "the service example is missing")
        let modules = Processes.replicaExport.deletingLastPathComponent().appendingPathComponent("Modules").path
        let root = TestPaths.packageRoot.path
        let cflags = try Processes.run(URL(fileURLWithPath: "/usr/bin/env"), ["pkg-config", "--cflags-only-I", "gdal", "libzip", "sqlite3"])
        let includes = cflags.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }.flatMap { ["-Xcc", $0] }
        for (index, block) in blocks.enumerated() {
            let directory = try TestPaths.makeTemporaryDirectory("readme-\(index)")
            let file = directory.appendingPathComponent("main.swift")
            try block.write(to: file, atomically: true, encoding: .utf8)
            let result = try Processes.run(URL(fileURLWithPath: "/usr/bin/env"),
                                           ["swiftc", "-typecheck", "-I", modules, "-I", "\(root)/Sources/CGDAL",
                                            "-I", "\(root)/Sources/CSQLite", "-I", "\(root)/Sources/CZip"] + includes + [file.path])
            #expect(result.status == 0, "README block \(index) does not compile:\n\(result.stderr)")
        }
    }
}
