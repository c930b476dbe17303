import Foundation
import Testing

/// `convert`'s progress on stderr when it is not a terminal: plain lines, spaced by
/// REPLICA_EXPORT_PROGRESS_INTERVAL seconds (5 by default, so a short export prints none); nothing
/// with --quiet.
@Suite struct ConvertProgressTests {
    static func convert(_ input: URL, _ output: URL, interval: String?, _ extra: [String] = []) throws -> EndToEnd.Result {
        var arguments = interval.map { ["REPLICA_EXPORT_PROGRESS_INTERVAL=\($0)"] } ?? []
        arguments += [Processes.replicaExport.path, "convert", input.path, "--format", "csv,geojson", "--output", output.path] + extra
        return try Processes.run(URL(fileURLWithPath: "/usr/bin/env"), arguments)
    }

    @Test func plainLinesWhenNotATerminal() throws {
        let root = try BatchFixtures.syntheticTree(features: [5_000], geometry: "point")
        let base = try EndToEnd.makeTemporaryDirectory("convert-progress")
        defer { TestPaths.remove(root, base) }
        let input = root.appendingPathComponent("crew0/replica0.json")
        let result = try Self.convert(input, base.appendingPathComponent("a"), interval: "0")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("progress: ") }
        #expect(lines.count >= 4, "one line per batch of 1,024 read: \(result.stderr)")
        #expect(!result.stderr.contains("\u{1B}"), "no terminal controls")
        var last = 0
        for line in lines {
            // progress: 3,072/5,000 features (61%), 5,432 features/s[, about 0:01 left] - layer ...
            let counts = try #require(line.dropFirst("progress: ".count).split(separator: " ").first)
            let parts = counts.split(separator: "/").map { Int($0.replacingOccurrences(of: ",", with: "")) }
            #expect(parts.count == 2 && parts[1] == 5_000, "\(line)")
            let done = try #require(parts[0])
            #expect(done > last, "counts never go back: \(line)")
            last = done
            #expect(line.contains("features/s") && line.contains(" - layer "), "\(line)")
        }
        #expect(last == 5_000)
        #expect(result.stdout.contains("csv"), "the summary still goes to stdout")

        // At the default spacing a conversion this short prints no progress line.
        let quick = try Self.convert(input, base.appendingPathComponent("b"), interval: nil)
        #expect(quick.status == 0)
        #expect(!quick.stderr.contains("progress: "), "\(quick.stderr)")

        // --quiet: no progress, no summary.
        let quiet = try Self.convert(input, base.appendingPathComponent("c"), interval: "0", ["--quiet"])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stdout.isEmpty, "\(quiet.stdout)")
        #expect(!quiet.stderr.contains("progress: "), "\(quiet.stderr)")
        #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("c/csv").path))
    }
}
