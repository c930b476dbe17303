import Foundation
import Testing
@testable import ReplicaExport

/// `run(plan:)` refuses what `run()` refuses, and a plan these options would not make.
@Suite struct BatchPlanCheckTests {
    @Test func runWithAPlanChecksTheOptionsAsRunDoes() throws {
        let (root, output, _) = try BatchCommitTests.setUp()
        defer { TestPaths.remove(root, output) }
        let good = BatchOptions(inputDirectory: root, outputDirectory: output, formats: BatchCommitTests.formats, jobs: 1)
        let plan = try BatchConverter(options: good).plan()
        var bad: [BatchOptions] = []
        for change in 0..<6 {
            var options = good
            switch change {
            case 0: options.jobs = 0
            case 1: options.formats = ["geojson", "GeoJSON"]
            case 2: options.formats = ["pdf"]
            case 3: options.formats = []
            case 4: options.batchSize = 0
            default: options.maxDeviation = -1
            }
            bad.append(options)
        }
        for options in bad {
            let converter = BatchConverter(options: options)
            let withoutPlan = try #require(throws: ReplicaExportError.self) { try converter.run() }
            let withPlan = try #require(throws: ReplicaExportError.self) { try converter.run(plan: plan) }
            #expect(withPlan.code == withoutPlan.code)
            #expect(withPlan.message == withoutPlan.message)
        }
        #expect(TestPaths.entries(output).isEmpty, "nothing written")

        // A plan these options would not make: another shard's inputs, or pages merged.
        var sharded = good
        let other = BatchShard.shard(of: plan.inputs[0].path, count: 2) == 1 ? 2 : 1
        sharded.shard = try BatchShard(index: other, count: 2)
        let outside = plan.inputs[0]
        let error = try #require(throws: ReplicaExportError.self) { try BatchConverter(options: sharded).run(plan: plan) }
        #expect(error.code == .invalidOption)
        #expect(error.message.contains(outside.path) && error.message.contains("not \(other)/2"), "\(error.message)")
        var merged = plan
        merged.inputs.append(BatchInput(path: "c/pages", format: .esriJSON, output: "c/pages", bytes: 1, pages: ["c/pages-0.json", "c/pages-1.json"]))
        #expect(throws: ReplicaExportError.self) { try BatchConverter(options: good).run(plan: merged) }
        // Its own plan runs.
        let report = try BatchConverter(options: sharded).run(plan: try BatchConverter(options: sharded).plan())
        #expect(report.totals.failed == 0)
    }
}
