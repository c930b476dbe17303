import Foundation
import Testing
@testable import ReplicaExport

/// Shards: a stable share of a tree by a hash of each relative path; the shards' reports merge into
/// the report of the whole tree.
@Suite struct BatchShardTests {
    @Test func parsing() throws {
        #expect(try BatchShard(parsing: "2/8") == BatchShard(index: 2, count: 8))
        #expect(try BatchShard(parsing: " 1 / 1 ").description == "1/1")
        for bad in ["0/3", "4/3", "1/0", "-1/3", "1", "a/b", "1/2/3", ""] {
            #expect(throws: ReplicaExportError.self, "\(bad)") { try BatchShard(parsing: bad) }
        }
    }

    /// The hash is SHA-256, not Swift's per-process `hashValue`: any language can compute it.
    @Test func theHashIsTheOneDocumented() throws {
        let paths = ["a/b.json", "replicas/carson.replica.json", "devices/field-crew-7", "ü/ñ.geodatabase", "x"]
        let output = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", """
            import hashlib, sys
            for p in sys.argv[1:]:
                print(int.from_bytes(hashlib.sha256(p.encode()).digest()[:8], 'big') % 7 + 1)
            """] + paths).stdout
        let expected = output.split(separator: "\n").compactMap { Int($0) }
        #expect(paths.map { BatchShard.shard(of: $0, count: 7) } == expected)
        for (path, index) in zip(paths, expected) {
            #expect(try BatchShard(index: index, count: 7).contains(path))
        }
    }

    @Test func shardsCoverEveryFileExactlyOnce() throws {
        let root = try BatchTree.make()
        defer { try? FileManager.default.removeItem(at: root) }
        func plan(_ shard: BatchShard?) throws -> BatchPlan {
            try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: root.appendingPathComponent("out"),
                                                     formats: ["csv"], shard: shard)).plan()
        }
        let whole = try plan(nil)
        for count in 1...5 {
            let parts = try (1...count).map { try plan(BatchShard(index: $0, count: count)) }
            let inputs = parts.flatMap(\.inputs)
            #expect(inputs.count == whole.inputs.count, "\(count) shards")
            #expect(inputs.sorted { $0.path < $1.path } == whole.inputs, "\(count) shards: same inputs, same output folders")
            let skipped = parts.flatMap(\.skipped)
            #expect(skipped.sorted { $0.path < $1.path } == whole.skipped, "\(count) shards")
        }
    }

    /// Times are the only thing that may differ.
    static func withoutTimes(_ report: BatchReport) -> BatchReport {
        var copy = report
        copy.seconds = 0
        for index in copy.inputs.indices { copy.inputs[index].seconds = 0 }
        return copy
    }

    @Test func mergedShardReportsAreTheUnshardedReport() throws {
        let root = try BatchTree.make()
        let output = try TestPaths.makeTemporaryDirectory("shards")
        defer { TestPaths.remove(root, output) }
        func run(_ shard: BatchShard?) throws -> BatchReport {
            try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: output,
                                                     formats: ["filegdb", "geojson"], jobs: 2, shard: shard)).run()
        }
        let shards = try (1...3).map { try run(BatchShard(index: $0, count: 3)) }
        #expect(shards.allSatisfy { !$0.inputs.isEmpty }, "every shard of this tree has inputs")
        let whole = try run(nil)
        let merged = try BatchReport.merged([shards[2], shards[0], shards[1]])
        #expect(Self.withoutTimes(merged) == Self.withoutTimes(whole))
        #expect(merged.totals == whole.totals)

        #expect { try BatchReport.merged([shards[0], shards[2]]) } throws: {
            ($0 as? ReplicaExportError)?.message.contains("2/3 missing") == true
        }
        #expect { try BatchReport.merged([shards[0], shards[1], shards[2], shards[1]]) } throws: {
            ($0 as? ReplicaExportError)?.message.contains("2/3 is given twice") == true
        }
        #expect { try BatchReport.merged([shards[0], whole]) } throws: { $0 is ReplicaExportError }
        var other = shards[1]
        other.settings.strict = true
        #expect { try BatchReport.merged([shards[0], other, shards[2]]) } throws: {
            ($0 as? ReplicaExportError)?.message.contains("different settings") == true
        }
        #expect(throws: ReplicaExportError.self) { try BatchReport.merged([]) }
    }
}
