import Foundation
import Testing

/// Memory must not grow with the number of features: converting ten times as many features may
/// not take much more memory. Measured on the real command with the kernel's peak-RSS accounting.
@Suite struct StreamingMemoryTests {
    func peakMemory(features: Int, geometry: String, formats: String, in directory: URL) throws -> Int {
        let input = directory.appendingPathComponent("synthetic_\(features).json")
        try Fixtures.syntheticReplica(features: features, at: input, ["--geometry", geometry])
        let output = directory.appendingPathComponent("out_\(features)")
        let measured = try EndToEnd.python("peak_memory.py", [
            Processes.replicaExport.path, "convert", input.path, "--format", formats, "--output", output.path])
        try #require(measured["status"] as? Int == 0, "\(measured["stderr"] ?? "")")
        return measured["maxrss_kib"] as? Int ?? 0
    }

    /// Peak RSS for 20,000 and 100,000 polygons (both above one segment,
    /// SegmentPlan.defaultFeaturesPerSegment, so that both runs have the CSV segment workers' fixed
    /// share: what is compared is the growth with N) differs by less than `slackKiB`.
    func expectFlatMemory(_ formats: String, slackKiB: Int) throws {
        let directory = try EndToEnd.makeTemporaryDirectory("memory")
        defer { try? FileManager.default.removeItem(at: directory) }
        let small = try peakMemory(features: 20_000, geometry: "polygon", formats: formats, in: directory)
        let large = try peakMemory(features: 100_000, geometry: "polygon", formats: formats, in: directory)
        #expect(large < small + slackKiB, "\(formats): peak RSS \(small) KiB for 20k features, \(large) KiB for 100k")
    }

    @Test func jsonToEveryFormatRunsInFlatMemory() throws {
        // Five times the features (about 50 MB more JSON) may cost a little: allocator slack, GDAL caches.
        try expectFlatMemory("filegdb,shapefile,csv,geojson", slackKiB: 40_000)
    }

    /// The formats replica-export writes itself hold one buffer and one feature at a time.
    @Test func jsonFormatsRunInFlatMemory() throws {
        try expectFlatMemory("json,featurecollection", slackKiB: 20_000)
    }
}
