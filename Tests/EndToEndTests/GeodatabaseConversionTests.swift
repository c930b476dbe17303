import Foundation
import Testing

/// Every real mobile geodatabase converts to all four formats; the outputs, read back through GDAL,
/// hold exactly the current rows that SQL counts in the file, FileGDB extents equal the files'
/// own GDB_Layers extents, and militaryoverlay's domains arrive attached to their fields; `verify`
/// passes on the conversions together, json and featurecollection included.
@Suite struct GeodatabaseConversionTests {
    static let files = [
        "LA_Trails.geodatabase",
        "militaryoverlay.geodatabase",
        "canyonlands_3b1fef0d.geodatabase",
        "arcrestgo_m5pc4wu4_10.4.1.geodatabase",
        "procaching_data_Pro2.8_10.9.0.geodatabase",
        "ArcGISRuntimeBook_sf_parking_meters_10.3.1.geodatabase",
        "MmpkTest_USA_mmpk_p12_feature_service_data.geodatabase",
    ]
    static let formats = ["filegdb", "shapefile", "csv", "geojson", "geopackage", "kml", "excel"]

    @Test(arguments: files)
    func convertsToAllFormats(_ file: String) throws {
        // A private copy alone in its folder: anything the reader created beside it would show.
        let input = try TestPaths.privateCopy(of: "mobilegdb/" + file)
        defer { try? FileManager.default.removeItem(at: input.deletingLastPathComponent()) }
        let before = try Data(contentsOf: input)
        let root = try EndToEnd.makeTemporaryDirectory("gdb")
        defer { try? FileManager.default.removeItem(at: root) }
        for format in Self.formats {
            // One run per format, into ROOT/<format>: each read is checked on its own.
            let output = root.appendingPathComponent(format)
            let result = try EndToEnd.cli(["convert", input.path, "--format", format, "--output", root.path])
            try #require(result.status == 0, "\(format): \(result.stderr)")
            let report = try EndToEnd.python("verify_geodatabase.py",
                                             ["--input", input.path, "--output-dir", output.path, "--format", format])
            let sqlCounts = report["sql_counts"] as? [Int] ?? []
            let outputCounts = report["output_counts"] as? [Int] ?? []
            #expect(!sqlCounts.isEmpty)
            #expect(outputCounts == sqlCounts, "\(format): SQL counts \(sqlCounts), written \(outputCounts)")
            if ["filegdb", "geopackage"].contains(format) {
                let mismatches = report["extent_mismatches"] as? [Any] ?? ["missing"]
                #expect(mismatches.isEmpty, "extents: \(mismatches)")
                let domains = report["domains"] as? [String: Any] ?? [:]
                #expect((domains["dangling"] as? [String] ?? ["?"]).isEmpty)
                if file.hasPrefix("militaryoverlay") {
                    let perLayer = domains["fields_with_domain"] as? [String: Int] ?? [:]
                    #expect(perLayer["Units_Multipoint"] == 17, "\(perLayer)")
                    #expect(perLayer["Units"] == 17)
                    #expect(perLayer["Air"] == 14)
                    #expect(perLayer["ControlMeasuresLines"] == 7)
                    #expect(perLayer["ControlMeasuresAreas"] == 6)
                    let kinds = domains["kinds"] as? [String: Int] ?? [:]
                    #expect((kinds["range"] ?? 0) >= 1 && (kinds["coded"] ?? 0) >= 1, "\(kinds)")
                }
            }
        }
        // The formats the library reads back itself: checked by verify alone.
        let library = try EndToEnd.cli(["convert", input.path, "--format", "json,featurecollection", "--output", root.path])
        try #require(library.status == 0, "json,featurecollection: \(library.stderr)")
        try EndToEnd.verify(input, output: root)
        // Reading never changes the input or creates anything beside it.
        #expect(try Data(contentsOf: input) == before)
        let siblings = TestPaths.entries(input.deletingLastPathComponent())
        #expect(siblings == [file], "\(siblings)")
    }

    @Test func damagedGeodatabaseLeavesNoOutput() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("damaged")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = try Data(contentsOf: EndToEnd.testData("mobilegdb/LA_Trails.geodatabase"))
        let truncated = directory.appendingPathComponent("truncated.geodatabase")
        try bytes.prefix(bytes.count / 3).write(to: truncated)
        var scrambled = bytes
        for offset in stride(from: 40_960, to: 40_960 + 4096, by: 1) { scrambled[offset] = UInt8(truncatingIfNeeded: offset &* 31) }
        let scrambledURL = directory.appendingPathComponent("scrambled.geodatabase")
        try scrambled.write(to: scrambledURL)
        for input in [truncated, scrambledURL] {
            let output = directory.appendingPathComponent("out-" + input.lastPathComponent)
            let result = try EndToEnd.cli(["convert", input.path, "--format", "filegdb,shapefile,csv,geojson",
                                           "--output", output.path])
            #expect(result.status != 0)
            #expect(result.stderr.contains(input.lastPathComponent), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(EndToEnd.listing(output).isEmpty, "\(EndToEnd.listing(output))")
        }
    }

    /// Information prints as `note:` lines and counts apart in the summary; `--quiet` leaves notes
    /// out (its help: warnings and errors only).
    @Test func informationIsANoteThatQuietLeavesOut() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("notes")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = EndToEnd.testData("mobilegdb/ArcGISRuntimeBook_sf_parking_meters_10.3.1.geodatabase")
        let loud = try EndToEnd.cli(["convert", input.path, "--format", "sqlite", "--output", directory.appendingPathComponent("a").path])
        #expect(loud.status == 0, "\(loud.stderr)")
        #expect(loud.stderr.split(separator: "\n").contains { $0.hasPrefix("note: ") && $0.contains("stored in table 'Parking_Meters'") },
                "\(loud.stderr)")
        #expect(!loud.stderr.contains("warning: "), "\(loud.stderr)")
        #expect(loud.stdout.contains("1 note (on stderr)"), "\(loud.stdout)")
        let quiet = try EndToEnd.cli(["convert", input.path, "--format", "sqlite", "--output", directory.appendingPathComponent("b").path,
                                      "--quiet"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty && quiet.stdout.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
    }
}
