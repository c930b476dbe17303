import Foundation
import ReplicaExport
import Testing

/// Text values that a writer could mistake for something else come out as the same text in every
/// format: verified by reading every output back.
@Suite struct TextValueTests {
    @Test func textThatLooksLikeJSONIsTextInEveryFormat() throws {
        let root = try EndToEnd.makeTemporaryDirectory("text-values")
        defer { try? FileManager.default.removeItem(at: root) }
        let texts = ["[1, 2]", "{\"k\": 3}", "{}", "\u{1}[x]", "[not json", "plain"]
        let features = texts.enumerated().map { i, text in
            ["attributes": ["OBJECTID": i + 1, "s": text] as [String: Any], "geometry": ["x": Double(i), "y": 1.0]]
        }
        let payload: [String: Any] = ["layers": [[
            "id": 0, "name": "texts", "geometryType": "esriGeometryPoint", "spatialReference": ["wkid": 4326],
            "objectIdField": "OBJECTID",
            "fields": [["name": "OBJECTID", "type": "esriFieldTypeOID"], ["name": "s", "type": "esriFieldTypeString", "length": 50]],
            "features": features,
        ] as [String: Any]]]
        let input = root.appendingPathComponent("texts.json")
        try JSONSerialization.data(withJSONObject: payload).write(to: input)
        let output = root.appendingPathComponent("out")
        let result = try EndToEnd.cli(["convert", input.path, "--format", "filegdb,shapefile,csv,geojson,geopackage,json,featurecollection",
                                       "--output", output.path, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try EndToEnd.verify(input, output: output)
        #expect(report.formats.count == 7)
    }
}
