import Foundation
import Testing

/// `batch --merge-pages`: FeatureSet pages of one layer are one input, listed with their pages, and
/// one output; without the flag, one input per page.
@Suite struct BatchMergePagesTests {
    @Test func pagesAreOneInputWithTheFlagAndOnePerPageWithout() throws {
        let root = try EndToEnd.makeTemporaryDirectory("merge-pages")
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("in/pages")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        // Pages 0, 1, 2 and 10 of one layer (the same 1,000 features each: OBJECTIDs repeat), and its schema.
        for n in [0, 1, 2, 10] {
            try FileManager.default.copyItem(at: EndToEnd.testData("esrijson/pyesridump_us-esri-test-0.json"),
                                             to: input.appendingPathComponent("esri-test-\(n).json"))
        }
        try FileManager.default.copyItem(at: EndToEnd.testData("esrijson/pyesridump_us-esri-test-metadata.json"),
                                         to: input.appendingPathComponent("esri-test.layers.json"))
        let report = root.appendingPathComponent("report.json")
        let merged = try EndToEnd.cli(["batch", root.appendingPathComponent("in").path, "--format", "geojson",
                                       "--output", root.appendingPathComponent("out").path, "--merge-pages", "--report", report.path])
        #expect(merged.status == 0, "\(merged.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let inputs = try #require(json["inputs"] as? [[String: Any]])
        #expect(inputs.count == 1)
        #expect(inputs.first?["path"] as? String == "pages/esri-test")
        #expect(inputs.first?["pages"] as? [String] == [0, 1, 2, 10].map { "pages/esri-test-\($0).json" })
        #expect(inputs.first?["featuresRead"] as? Int == 4_000)
        #expect(inputs.first?["schema"] as? String == "pages/esri-test.layers.json")
        #expect((json["settings"] as? [String: Any])?["mergePages"] as? Bool == true)
        #expect(EndToEnd.listing(root.appendingPathComponent("out/pages")).contains("esri-test/geojson"))

        // The dry run says how many pages.
        let dry = try EndToEnd.cli(["batch", root.appendingPathComponent("in").path, "--format", "geojson",
                                    "--output", root.appendingPathComponent("dry").path, "--merge-pages", "--dry-run"])
        #expect(dry.stdout.contains("pages/esri-test") && dry.stdout.contains("4 pages"), "\(dry.stdout)")

        let separate = try EndToEnd.cli(["batch", root.appendingPathComponent("in").path, "--format", "geojson",
                                         "--output", root.appendingPathComponent("separate").path, "--report", "-", "--quiet"])
        #expect(separate.status == 0, "\(separate.stderr)")
        let separateJSON = try #require(try JSONSerialization.jsonObject(with: Data(separate.stdout.utf8)) as? [String: Any])
        #expect((separateJSON["inputs"] as? [[String: Any]])?.count == 4)
    }
}
