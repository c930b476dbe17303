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

    @Test func jsonToEveryFormatRunsInFlatMemory() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("memory")
        defer { try? FileManager.default.removeItem(at: directory) }
        let formats = "filegdb,shapefile,csv,geojson"
        // Both sizes are above one segment (SegmentPlan.defaultFeaturesPerSegment), so that both
        // runs have the CSV segment workers' fixed share: what is compared is the growth with N.
        let small = try peakMemory(features: 20_000, geometry: "polygon", formats: formats, in: directory)
        let large = try peakMemory(features: 100_000, geometry: "polygon", formats: formats, in: directory)
        // Five times the features (about 50 MB more JSON) may cost a little: allocator slack, GDAL caches.
        #expect(large < small + 40_000, "peak RSS \(small) KiB for 10k features, \(large) KiB for 100k")
    }

    /// KML streams too: GDAL's KML driver writes each placemark as it comes, and the KMZ is zipped
    /// from the file (the Excel driver, which holds the workbook, is refused when it would not fit).
    @Test func jsonToKMLRunsInFlatMemory() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("memory-kml")
        defer { try? FileManager.default.removeItem(at: directory) }
        let small = try peakMemory(features: 20_000, geometry: "point", formats: "kml", in: directory)
        let large = try peakMemory(features: 100_000, geometry: "point", formats: "kml", in: directory)
        #expect(large < small + 20_000, "peak RSS \(small) KiB for 20k points, \(large) KiB for 100k")
    }

    /// An Excel workbook that would not fit in the memory there is (here a budget of 1 MB, as
    /// REPLICA_EXPORT_MEMORY_MB sets it) is refused before anything is written, with what to do;
    /// the same export runs with the machine's own budget.
    @Test func anExcelWorkbookTooLargeForMemoryIsRefusedFirst() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("memory-excel")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("synthetic.json")
        try Fixtures.syntheticReplica(features: 5_000, at: input, ["--geometry", "point"])
        let output = directory.appendingPathComponent("out")
        let refused = try Processes.run(Processes.replicaExport, ["convert", input.path, "--format", "csv,excel", "--output", output.path],
                                        environment: ["REPLICA_EXPORT_MEMORY_MB": "1"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("[tooLarge]") && refused.stderr.contains("excel")
                && refused.stderr.contains("5000 features") && refused.stderr.contains("REPLICA_EXPORT_MEMORY_MB"), "\(refused.stderr)")
        #expect(EndToEnd.listing(output).isEmpty, "\(EndToEnd.listing(output))")
        let accepted = try EndToEnd.cli(["convert", input.path, "--format", "excel", "--output", output.path])
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    /// The formats replica-export writes itself hold one buffer and one feature at a time.
    @Test func jsonFormatsRunInFlatMemory() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("memory-json")
        defer { try? FileManager.default.removeItem(at: directory) }
        let formats = "json,featurecollection"
        let small = try peakMemory(features: 20_000, geometry: "polygon", formats: formats, in: directory)
        let large = try peakMemory(features: 100_000, geometry: "polygon", formats: formats, in: directory)
        #expect(large < small + 20_000, "peak RSS \(small) KiB for 20k features, \(large) KiB for 100k")
    }
}
