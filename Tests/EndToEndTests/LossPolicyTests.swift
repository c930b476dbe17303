import Foundation
import Testing

/// The loss policy through the command line: a BigInteger beyond 2^53 converts to every format
/// (exactly in the JSON ones), FileGDB reports the rounded value, and --strict refuses it naming
/// the field and OBJECTID.
@Suite struct LossPolicyTests {
    static let payload = #"""
    {"objectIdFieldName": "OBJECTID", "geometryType": "esriGeometryPoint", "spatialReference": {"wkid": 4326},
     "fields": [{"name": "OBJECTID", "type": "esriFieldTypeOID"}, {"name": "count", "type": "esriFieldTypeBigInteger"}],
     "features": [{"attributes": {"OBJECTID": 1, "count": 5}, "geometry": {"x": 1, "y": 2}},
                  {"attributes": {"OBJECTID": 2, "count": 9007199254740993}, "geometry": {"x": 3, "y": 4}}]}
    """#

    @Test func bigIntegerConvertsEverywhereAndStrictRefusesIt() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("loss")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("counts.json")
        try Self.payload.write(to: input, atomically: true, encoding: .utf8)
        let formats = "filegdb,shapefile,csv,geojson,geopackage,json,featurecollection"

        let output = directory.appendingPathComponent("lenient")
        let lenient = try EndToEnd.cli(["convert", input.path, "--format", formats, "--output", output.path, "--verify"])
        #expect(lenient.status == 0, "\(lenient.stderr)")
        #expect(lenient.stdout.contains("integerRounded"))
        #expect(lenient.stderr.contains("filegdb") && lenient.stderr.contains("OBJECTID 2") && lenient.stderr.contains("'count'"))
        let csv = try String(contentsOf: output.appendingPathComponent("csv/counts.csv"), encoding: .utf8)
        #expect(csv.contains("9007199254740993"))
        let json = try String(contentsOf: output.appendingPathComponent("json/counts.json"), encoding: .utf8)
        #expect(json.contains(#""count":9007199254740993"#))

        let strictOutput = directory.appendingPathComponent("strict")
        let strict = try EndToEnd.cli(["convert", input.path, "--format", formats, "--output", strictOutput.path, "--strict"])
        #expect(strict.status != 0)
        #expect(strict.stderr.contains("[dataLoss]") && strict.stderr.contains("OBJECTID 2") && strict.stderr.contains("'count'"),
                "\(strict.stderr)")
        #expect(!FileManager.default.fileExists(atPath: strictOutput.path))
    }
}
