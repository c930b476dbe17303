import Foundation
import Testing

/// Every Esri JSON sample converts to every format, and each GDAL output read back through GDAL
/// (by the independent Python oracle) holds the input's features: counts, every attribute value,
/// every vertex (Z and M where the format keeps them) and the spatial reference; `verify` passes on
/// each conversion (json and featurecollection read back through the library).
@Suite struct JSONConversionTests {
    struct Sample: CustomStringConvertible, Sendable {
        var file: String
        var schema: String?
        /// The layer name the tool gives a schema-less one-layer input (its file stem).
        var layerName: String?
        var expectedFeatures: Int
        var description: String { file }
    }

    static let formats = ["filegdb", "shapefile", "csv", "geojson", "geopackage", "kml", "excel"]
    /// Formats the library reads back itself: checked by `verify` alone (the oracle reads GDAL's).
    static let libraryFormats = ["json", "featurecollection"]

    static let samples: [Sample] = [
        Sample(file: "pyesridump_us-ms-madison-0.json", layerName: "pyesridump_us-ms-madison-0", expectedFeatures: 1),
        Sample(file: "pyesridump_us-ca-carson-0.json", layerName: "pyesridump_us-ca-carson-0", expectedFeatures: 6),
        Sample(file: "pyesridump_us-mo-columbia-0.json", layerName: "pyesridump_us-mo-columbia-0", expectedFeatures: 43),
        Sample(file: "pyesridump_us-esri-test-0.json", schema: "pyesridump_us-esri-test-metadata.json", expectedFeatures: 1000),
        Sample(file: "pyesridump_us-il-cook-page-full.json", layerName: "pyesridump_us-il-cook-page-full", expectedFeatures: 500),
        Sample(file: "arcgis-rest-js_PointHasZM.json", layerName: "arcgis-rest-js_PointHasZM", expectedFeatures: -1),
        Sample(file: "arcgis-rest-js_LineHasM.json", layerName: "arcgis-rest-js_LineHasM", expectedFeatures: -1),
        Sample(file: "arcgis-rest-js_PolygonHasZM.json", layerName: "arcgis-rest-js_PolygonHasZM", expectedFeatures: -1),
        Sample(file: "pyesridump_us-ms-madison-0.replica.json", expectedFeatures: 1),
        Sample(file: "pyesridump_us-ca-carson-0.replica.json", expectedFeatures: 6),
        Sample(file: "pyesridump_us-mo-columbia-0.replica.json", expectedFeatures: 43),
        Sample(file: "pyesridump_us-esri-test-0.replica.json", expectedFeatures: 1000),
        Sample(file: "pyesridump_us-il-cook-page-full.replica.json", expectedFeatures: 500),
        Sample(file: "arcgis-rest-js_PointHasZM.replica.json", expectedFeatures: -1),
        Sample(file: "arcgis-rest-js_LineHasM.replica.json", expectedFeatures: -1),
        Sample(file: "arcgis-rest-js_PolygonHasZM.replica.json", expectedFeatures: -1),
        Sample(file: "seed_example3_marine.replica.json", expectedFeatures: 3),
        Sample(file: "seed_example4_canada.replica.json", expectedFeatures: -1),
        Sample(file: "replica_esri_test.json", expectedFeatures: 50),
    ]

    @Test(arguments: samples)
    func convertsToAllFormatsFaithfully(_ sample: Sample) throws {
        let input = EndToEnd.testData("esrijson/" + sample.file)
        let output = try EndToEnd.makeTemporaryDirectory("json")
        defer { try? FileManager.default.removeItem(at: output) }
        var arguments = ["convert", input.path, "--format", (Self.formats + Self.libraryFormats).joined(separator: ","),
                         "--output", output.path]
        if let schema = sample.schema { arguments += ["--schema", EndToEnd.testData("esrijson/" + schema).path] }
        let result = try EndToEnd.cli(arguments)
        try #require(result.status == 0, "convert failed: \(result.stderr)")
        #expect(result.stdout.contains("features"))
        try EndToEnd.verify(input, output: output, schema: sample.schema.map { EndToEnd.testData("esrijson/" + $0) })

        for format in Self.formats {
            // Each format writes into its own subdirectory of --output.
            let directory = output.appendingPathComponent(format)
            var oracle = ["--input", input.path, "--output-dir", directory.path, "--format", format]
            if let schema = sample.schema { oracle += ["--schema", EndToEnd.testData("esrijson/" + schema).path] }
            if let layerName = sample.layerName { oracle += ["--layer-name", "0=\(layerName)"] }
            let report = try EndToEnd.python("verify_outputs.py", oracle)
            let mismatches = report["mismatches"] as? [String] ?? ["no report"]
            #expect(mismatches.isEmpty, "\(format): \(mismatches.prefix(10).joined(separator: "\n"))")
            let layers = report["layers"] as? [String: [String: Int]] ?? [:]
            #expect(!layers.isEmpty, "\(format): no layer found in the output")
            for (name, counts) in layers {
                #expect(counts["input"] == counts["output"], "\(format) \(name): \(counts)")
            }
            if sample.expectedFeatures >= 0 {
                #expect(layers.values.reduce(0) { $0 + ($1["input"] ?? 0) } == sample.expectedFeatures)
            }
            #expect((report["checked"] as? Int ?? 0) > 0, "\(format): nothing was compared")
        }
    }
}
