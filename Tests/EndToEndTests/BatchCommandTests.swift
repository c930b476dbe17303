import Foundation
import ReplicaExport
import Testing

/// Trees of payloads for the batch command's end-to-end tests.
enum BatchFixtures {
    /// Good replicas, FeatureSets with and without schemas, pages of one layer, geodatabases, a
    /// truncated JSON, a corrupt geodatabase, a sync delta geodatabase, a README and a PNG.
    static let good = ["a/carson.replica.json", "a/marine.json", "b/LineHasM.json", "b/PointHasZM.json",
                       "pages/test-0.json", "pages/test-1.json", "gdb/LA_Trails.geodatabase", "gdb/deep/military.geodatabase"]
    static let broken = ["bad/truncated.json": "truncated", "bad/corrupt.geodatabase": "corrupt", "bad/delta.geodatabase": "notAReplica"]

    static func mixedTree() throws -> URL {
        let root = try EndToEnd.makeTemporaryDirectory("batch-tree")
        try Fixtures.copy("esrijson/pyesridump_us-ca-carson-0.replica.json", to: root, as: "a/carson.replica.json")
        try Fixtures.copy("esrijson/pyesridump_us-ca-carson-0.replica.layers.json", to: root, as: "a/carson.replica.layers.json")
        try Fixtures.copy("esrijson/seed_example3_marine.replica.json", to: root, as: "a/marine.json")
        try Fixtures.copy("esrijson/arcgis-rest-js_LineHasM.json", to: root, as: "b/LineHasM.json")
        try Fixtures.copy("esrijson/arcgis-rest-js_PointHasZM.json", to: root, as: "b/PointHasZM.json")
        try Fixtures.copy("esrijson/arcgis-rest-js_PointHasZM.replica.layers.json", to: root, as: "b/PointHasZM.layers.json")
        try Fixtures.copy("esrijson/pyesridump_us-esri-test-0.json", to: root, as: "pages/test-0.json")
        try Fixtures.copy("esrijson/pyesridump_us-esri-test-0.json", to: root, as: "pages/test-1.json")
        try Fixtures.copy("mobilegdb/LA_Trails.geodatabase", to: root, as: "gdb/LA_Trails.geodatabase")
        try Fixtures.copy("mobilegdb/militaryoverlay.geodatabase", to: root, as: "gdb/deep/military.geodatabase")
        let canada = try Data(contentsOf: EndToEnd.testData("esrijson/seed_example4_canada.replica.json"))
        try Fixtures.write(canada.prefix(canada.count * 2 / 3), to: root, as: "bad/truncated.json")
        try Fixtures.copy("mobilegdb/LA_Trails.geodatabase", to: root, as: "bad/corrupt.geodatabase")
        try Fixtures.corrupt(root.appendingPathComponent("bad/corrupt.geodatabase"), with: 0x5A)
        try Fixtures.copy("mobilegdb/LA_Trails.geodatabase", to: root, as: "bad/delta.geodatabase")
        try Fixtures.makeSyncDelta(root.appendingPathComponent("bad/delta.geodatabase"))
        try Fixtures.write(Data("# Exports of the field crews\n".utf8), to: root, as: "README")
        try Fixtures.write(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]), to: root, as: "img/logo.png")
        return root
    }

    /// `count` synthetic replicas of `features` features each (with their `.layers.json`).
    static func syntheticTree(count: Int, features: Int, geometry: String = "polygon") throws -> URL {
        try syntheticTree(features: Array(repeating: features, count: count), geometry: geometry)
    }

    /// One synthetic replica per element of `features`, of that many features, in folders `crew0`...`crew2`.
    static func syntheticTree(features sizes: [Int], geometry: String = "polygon") throws -> URL {
        let count = sizes.count
        let root = try EndToEnd.makeTemporaryDirectory("batch-synthetic")
        for index in 0..<count {
            let folder = root.appendingPathComponent("crew\(index % 3)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Fixtures.syntheticReplica(features: sizes[index], at: folder.appendingPathComponent("replica\(index).json"),
                                          ["--geometry", geometry, "--seed", String(index + 1)])
        }
        return root
    }
}

@Suite struct BatchCommandTests {
    @Test func aMixedTreeConvertsEveryGoodInputAndReportsEveryBrokenOne() throws {
        let root = try BatchFixtures.mixedTree()
        let output = try EndToEnd.makeTemporaryDirectory("batch-out")
        defer { TestPaths.remove(root, output) }
        let reportFile = output.appendingPathComponent("report.json")
        let out = output.appendingPathComponent("tree")
        let result = try EndToEnd.cli(["batch", root.path, "--format", "filegdb,shapefile,csv,geojson",
                                       "--output", out.path, "--jobs", "2", "--report", reportFile.path])
        #expect(result.status == 1)
        let total = BatchFixtures.good.count + BatchFixtures.broken.count
        #expect(result.stderr.contains("replica-export: error: 3 of \(total) inputs failed"), "\(result.stderr)")
        for path in BatchFixtures.broken.keys { #expect(result.stderr.contains(path)) }
        // The table: one row per input, then the totals.
        let rows = result.stdout.split(separator: "\n").map(String.init)
        for path in BatchFixtures.good {
            #expect(rows.contains { $0.hasPrefix(path + " ") && $0.contains("converted") }, "\(path) in\n\(result.stdout)")
        }
        for (path, code) in BatchFixtures.broken {
            #expect(rows.contains { $0.hasPrefix(path + " ") && $0.contains("failed") && $0.contains("[\(code)]") }, "\(path) in\n\(result.stdout)")
        }
        #expect(result.stdout.contains("\(total) inputs, \(BatchFixtures.good.count) converted, 3 failed; 4 other files skipped (2 schemas)"),
                "\(result.stdout)")

        let report = try BatchReport.decode(Data(contentsOf: reportFile))
        #expect(report.inputs.map(\.path) == (BatchFixtures.good + BatchFixtures.broken.keys).sorted())
        #expect(Set(report.skipped.map(\.path)) == ["README", "img/logo.png", "a/carson.replica.layers.json", "b/PointHasZM.layers.json"])
        for input in report.inputs {
            if let code = BatchFixtures.broken[input.path] {
                #expect(input.status == .failed && input.error?.code.name == code, "\(input.path)")
                #expect(input.error?.location.input == input.path)
            } else {
                #expect(input.status == .converted, "\(input.path): \(String(describing: input.error))")
                #expect(input.features.count == 4 && input.bytes > 0 && input.outputBytes > 0)
            }
        }
        // The tree is mirrored, one folder per format, and the outputs read back.
        let military = out.appendingPathComponent("gdb/deep/military")
        #expect(EndToEnd.listing(military).filter { !$0.contains("/") && !$0.hasPrefix(".") } == ["csv", "filegdb", "geojson", "shapefile"])
        for format in ["filegdb", "shapefile"] {
            let check = try EndToEnd.python("verify_geodatabase.py", [
                "--input", EndToEnd.testData("mobilegdb/militaryoverlay.geodatabase").path, "--output-dir", military.appendingPathComponent(format).path,
                "--format", format])
            let sqlCounts = check["sql_counts"] as? [Int] ?? []
            #expect(!sqlCounts.isEmpty && check["output_counts"] as? [Int] == sqlCounts, "\(format): \(check)")
        }
        #expect(!EndToEnd.listing(out).contains { $0.hasPrefix("bad/") || $0 == "bad" })
        // verify passes on every converted input (INDIR/a/b.json is in OUTDIR/a/b/<format>/; the
        // schema beside a payload is found as convert finds it).
        for path in BatchFixtures.good {
            try EndToEnd.verify(root.appendingPathComponent(path), output: out.appendingPathComponent((path as NSString).deletingPathExtension))
        }
    }

    @Test func reportToStdoutIsJSONOnly() throws {
        let root = try BatchFixtures.mixedTree()
        let output = try EndToEnd.makeTemporaryDirectory("batch-json")
        defer { TestPaths.remove(root, output) }
        let result = try EndToEnd.cli(["batch", root.path, "--format", "csv", "--output", output.path, "--report", "-"])
        #expect(result.status == 1)
        let report = try BatchReport.decode(Data(result.stdout.utf8))
        #expect(report.totals.failed == 3 && report.totals.converted == BatchFixtures.good.count)
        #expect(result.stderr.contains("3 failed"), "the table goes to stderr: \(result.stderr)")
    }

    @Test func dryRunListsAndWritesNothing() throws {
        let root = try BatchFixtures.mixedTree()
        let output = try EndToEnd.makeTemporaryDirectory("batch-dry")
        defer { TestPaths.remove(root, output) }
        let out = output.appendingPathComponent("never")
        let result = try EndToEnd.cli(["batch", root.path, "--format", "geojson", "--output", out.path, "--dry-run"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("would convert 11 inputs"), "\(result.stdout)")
        for path in BatchFixtures.good + BatchFixtures.broken.keys { #expect(result.stdout.contains(path)) }
        #expect(result.stdout.contains("would skip 4 other files"))
        #expect(result.stdout.contains("the schema of a/carson.replica.json"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func badArgumentsAreRefusedBeforeAnythingIsWritten() throws {
        let output = try EndToEnd.makeTemporaryDirectory("batch-args")
        defer { try? FileManager.default.removeItem(at: output) }
        let out = output.appendingPathComponent("out")
        let missing = try EndToEnd.cli(["batch", "/nonexistent/tree", "--format", "csv", "--output", out.path])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/tree"), "\(missing.stderr)")
        let format = try EndToEnd.cli(["batch", output.path, "--format", "csv,pdf", "--output", out.path])
        #expect(format.status != 0 && format.stderr.contains("pdf"), "\(format.stderr)")
        let jobs = try EndToEnd.cli(["batch", output.path, "--format", "csv", "--output", out.path, "--jobs", "0"])
        #expect(jobs.status != 0 && jobs.stderr.contains("--jobs"), "\(jobs.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    /// Three shards, as three machines would run them, and their reports merged: every input once,
    /// and the merged report is the unsharded one but for the times.
    @Test func shardsMergeIntoTheUnshardedReport() throws {
        let root = try BatchFixtures.mixedTree()
        let base = try EndToEnd.makeTemporaryDirectory("batch-shards")
        defer { TestPaths.remove(root, base) }
        let out = base.appendingPathComponent("out")
        var shardReports: [String] = []
        var converted: [String] = []
        for k in 1...3 {
            let file = base.appendingPathComponent("shard\(k).json").path
            let result = try EndToEnd.cli(["batch", root.path, "--format", "geojson,csv", "--output", out.path,
                                           "--shard", "\(k)/3", "--report", file])
            let report = try BatchReport.decode(Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(report.shard?.description == "\(k)/3")
            #expect(result.status == (report.totals.failed > 0 ? 1 : 0), "\(result.stderr)")
            converted += report.inputs.map(\.path)
            shardReports.append(file)
        }
        let all = (BatchFixtures.good + BatchFixtures.broken.keys).sorted()
        #expect(converted.sorted() == all, "every input in exactly one shard")

        let wholeFile = base.appendingPathComponent("whole.json").path
        _ = try EndToEnd.cli(["batch", root.path, "--format", "geojson,csv", "--output", out.path, "--report", wholeFile])
        let mergedFile = base.appendingPathComponent("merged.json").path
        let merge = try EndToEnd.cli(["report", "merge", shardReports[2], shardReports[0], shardReports[1], "--output", mergedFile])
        #expect(merge.status == 1, "3 inputs failed: \(merge.stderr)")
        #expect(merge.stdout.contains("11 inputs, 8 converted, 3 failed"), "\(merge.stdout)")
        func withoutTimes(_ path: String) throws -> BatchReport {
            var report = try BatchReport.decode(Data(contentsOf: URL(fileURLWithPath: path)))
            report.seconds = 0
            for index in report.inputs.indices { report.inputs[index].seconds = 0 }
            return report
        }
        #expect(try withoutTimes(mergedFile) == withoutTimes(wholeFile))

        let incomplete = try EndToEnd.cli(["report", "merge", shardReports[0], shardReports[1]])
        #expect(incomplete.status != 0 && incomplete.stderr.contains("3/3 missing"), "\(incomplete.stderr)")
        let notAReport = try EndToEnd.cli(["report", "merge", EndToEnd.testData("esrijson/replica_esri_test.json").path])
        #expect(notAReport.status != 0 && notAReport.stderr.contains("is not a batch report"), "\(notAReport.stderr)")
        let badShard = try EndToEnd.cli(["batch", root.path, "--format", "csv", "--output", out.path, "--shard", "4/3"])
        #expect(badShard.status != 0 && badShard.stderr.contains("--shard"), "\(badShard.stderr)")
    }

    /// Not on a terminal: one plain line per finished input. Quiet: nothing but the error.
    @Test func progressAsLinesAndQuiet() throws {
        let root = try BatchFixtures.mixedTree()
        let base = try EndToEnd.makeTemporaryDirectory("batch-progress")
        defer { TestPaths.remove(root, base) }
        let total = BatchFixtures.good.count + BatchFixtures.broken.count
        let lines = try EndToEnd.cli(["batch", root.path, "--format", "csv", "--output", base.appendingPathComponent("a").path])
        let progress = lines.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(progress.count == total, "\(lines.stderr)")
        for k in 1...total { #expect(progress.contains { $0.hasPrefix("[\(k)/\(total)] ") }, "[\(k)/\(total)] in \(lines.stderr)") }
        for path in BatchFixtures.good { #expect(progress.contains { $0.contains("converted \(path):") && $0.contains("features/s") }) }
        for path in BatchFixtures.broken.keys { #expect(progress.contains { $0.contains("failed \(path): [") }) }
        #expect(!lines.stderr.contains("\u{1B}"), "no terminal controls when stderr is not a terminal")

        let quiet = try EndToEnd.cli(["batch", root.path, "--format", "csv", "--output", base.appendingPathComponent("b").path, "--quiet"])
        #expect(quiet.status == 1)
        #expect(quiet.stdout.isEmpty, "\(quiet.stdout)")
        #expect(quiet.stderr.split(separator: "\n").count == 1 && quiet.stderr.hasPrefix("replica-export: error: 3 of"), "\(quiet.stderr)")
    }

    /// On a terminal: one line redrawn in place, cleared before the table.
    @Test func progressOnATerminal() throws {
        let root = try BatchFixtures.syntheticTree(features: [3_000, 3_000])
        let base = try EndToEnd.makeTemporaryDirectory("batch-tty")
        defer { TestPaths.remove(root, base) }
        // Python's pty gives the command a terminal and hands back everything it wrote to it.
        let script = """
            import os, pty, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[1], sys.argv[1:])
            out = b""
            while True:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
            _, status = os.waitpid(pid, 0)
            sys.stdout.write(out.decode("utf-8", "replace"))
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        let result = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), [
            "-c", script, Processes.replicaExport.path, "batch", root.path, "--format", "geojson",
            "--output", base.appendingPathComponent("out").path, "--jobs", "2"])
        #expect(result.status == 0, "\(result.stdout)")
        let redraws = result.stdout.components(separatedBy: "\r\u{1B}[K")
        #expect(redraws.count >= 3, "redrawn in place: \(result.stdout.debugDescription)")
        #expect(redraws.contains { $0.hasPrefix("0/2 inputs, ") && $0.contains("features/s") && $0.contains("replica") },
                "\(result.stdout.debugDescription)")
        // The line is cleared, then the table follows on a clean line.
        let last = try #require(redraws.last)
        #expect(last.hasPrefix("input "), "\(last.debugDescription)")
    }
}
