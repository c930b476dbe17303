import Foundation
import ReplicaExport
import Testing

/// The command with segmented writing forced on small inputs (a segment of a few features,
/// through the internal `REPLICA_EXPORT_SEGMENT_FEATURES` knob) writes the same bytes as with it
/// off, and the result verifies against the input.
@Suite struct SegmentedConversionTests {
    static let inputs = ["esrijson/pyesridump_us-esri-test-0.json", "esrijson/pyesridump_us-il-cook-page-full.json",
                         "esrijson/arcgis-rest-js_PointHasZM.json", "esrijson/arcgis-rest-js_PolygonHasZM.json",
                         "mobilegdb/militaryoverlay.geodatabase"]

    @Test(arguments: inputs)
    func csvGeoJSONAndShapefileAreByteIdenticalToUnsegmented(_ input: String) throws {
        let source = EndToEnd.testData(input)
        let root = try EndToEnd.makeTemporaryDirectory("segmented")
        defer { try? FileManager.default.removeItem(at: root) }
        var trees: [String: [String: Data]] = [:]
        for (label, features) in [("plain", "0"), ("segmented", "3")] {
            let output = root.appendingPathComponent(label)
            let result = try Processes.run(Processes.replicaExport,
                                           ["convert", source.path, "--format", "csv,geojson,shapefile", "--output", output.path, "--quiet"],
                                           environment: ["REPLICA_EXPORT_SEGMENT_FEATURES": features])
            #expect(result.status == 0, "\(label): \(result.stderr)")
            var files: [String: Data] = [:]
            for name in EndToEnd.listing(output) {
                var isDirectory: ObjCBool = false
                let url = output.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    var bytes = try Data(contentsOf: url)
                    // A .dbf header holds the date of its last update (bytes 1-3), which differs
                    // between runs on either side of midnight.
                    if name.hasSuffix(".dbf"), bytes.count >= 4 { bytes.replaceSubrange(1..<4, with: [0, 0, 0]) }
                    files[name] = bytes
                }
            }
            trees[label] = files
        }
        let plain = try #require(trees["plain"]), segmented = try #require(trees["segmented"])
        #expect(!plain.isEmpty)
        #expect(plain.keys.sorted() == segmented.keys.sorted())
        for (name, bytes) in plain { #expect(segmented[name] == bytes, "\(input): \(name)") }
        try EndToEnd.verify(source, output: root.appendingPathComponent("segmented"))
    }
}
