import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// Subtypes from layer resources, their coded domain in FileGDB, and domain labels elsewhere.
@Suite struct SubtypeTests {
    static let schema = #"""
    {"layers": [{"id": 0, "name": "valves", "geometryType": "esriGeometryPoint", "objectIdField": "OBJECTID",
      "extent": {"spatialReference": {"wkid": 4326}}, "subtypeField": "kind",
      "fields": [{"name": "OBJECTID", "type": "esriFieldTypeOID"}, {"name": "kind", "type": "esriFieldTypeSmallInteger"},
                 {"name": "state", "type": "esriFieldTypeInteger",
                  "domain": {"type": "codedValue", "name": "States", "codedValues": [{"code": 1, "name": "Open"}, {"code": 2, "name": "Shut"}]}}],
      "subtypes": [{"code": 1, "name": "Gate", "defaultValues": {"state": 1},
                    "domains": {"state": {"type": "inherited"}}},
                   {"code": 2, "name": "Check", "defaultValues": {"state": 2},
                    "domains": {"state": {"type": "codedValue", "name": "CheckStates",
                                          "codedValues": [{"code": 1, "name": "Seated"}, {"code": 2, "name": "Lifted"}]}}}]}]}
    """#
    static let payload = #"""
    {"replicaName": "network", "syncModel": "none", "layers": [{"id": 0, "features": [
      {"attributes": {"OBJECTID": 1, "kind": 1, "state": 2}, "geometry": {"x": 1, "y": 2}},
      {"attributes": {"OBJECTID": 2, "kind": 2, "state": 2}, "geometry": {"x": 3, "y": 4}},
      {"attributes": {"OBJECTID": 3, "kind": 9, "state": null}, "geometry": {"x": 5, "y": 6}}]}]}
    """#

    @Test func subtypesAreReadKeptAndLabelled() throws {
        let directory = try TestPaths.makeTemporaryDirectory("subtypes")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("network.json")
        try Self.payload.write(to: input, atomically: true, encoding: .utf8)
        try Self.schema.write(to: directory.appendingPathComponent("network.layers.json"), atomically: true, encoding: .utf8)

        let layer = try #require(ReplicaSources.open(input).replica.layers.first)
        #expect(layer.subtypeField == "kind")
        #expect(layer.subtypes.map(\.name) == ["Gate", "Check"])
        #expect(layer.subtypes[0].domains.isEmpty && layer.subtypes[1].domains["state"]?.name == "CheckStates")
        #expect(layer.subtypes[1].defaultValues["state"] == .int32(2))

        var request = ExportRequest(input: input, formats: ["filegdb", "csv"], outputDirectory: directory.appendingPathComponent("out"))
        request.domainLabels = true
        let report = try Exporter().export(request)
        // FileGDB: the subtype field gets the subtypes as its coded domain.
        let gdb = try GDALReadDataset(url: directory.appendingPathComponent("out/filegdb/network.gdb"))
        let domain = try #require(gdb.fieldDomains().first { $0.name == "valves_kind" })
        #expect(domain.codes.map(\.code) == ["1", "2"] && domain.codes.map(\.value) == ["Gate", "Check"])
        #expect(try gdb.layerInfo("valves").fields.first { $0.name == "kind" }?.domainName == "valves_kind")
        // CSV: labels, per subtype where the subtype has its own domain.
        let csv = try String(contentsOf: directory.appendingPathComponent("out/csv/valves.csv"), encoding: .utf8)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = rows[0]
        let kindLabel = try #require(header.firstIndex(of: "kind_label")), stateLabel = try #require(header.firstIndex(of: "state_label"))
        #expect(rows[1][kindLabel] == "Gate" && rows[1][stateLabel] == "Shut")     // the field's own domain
        #expect(rows[2][kindLabel] == "Check" && rows[2][stateLabel] == "Lifted")  // the subtype's domain
        #expect(rows[3][kindLabel] == "" && rows[3][stateLabel] == "")             // unknown subtype, null code
        #expect(report.diagnostics.contains { $0.code == .subtypesDropped && $0.location.format == "csv" && $0.severity == .warning })
    }

    /// A label that looks like JSON stays text in GeoJSON (GDAL 3.6.2 alone would write `[1, 2]`
    /// as an array).
    @Test func labelsThatLookLikeJSONStayText() throws {
        let directory = try TestPaths.makeTemporaryDirectory("subtype-labels")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("network.json")
        try Self.payload.write(to: input, atomically: true, encoding: .utf8)
        let schema = Self.schema.replacingOccurrences(of: #""name": "Open""#, with: #""name": "[1, 2]""#)
            .replacingOccurrences(of: #""name": "Shut""#, with: #""name": "{\"a\": 1}""#)
        try schema.write(to: directory.appendingPathComponent("network.layers.json"), atomically: true, encoding: .utf8)
        var request = ExportRequest(input: input, formats: ["geojson"], outputDirectory: directory.appendingPathComponent("out"))
        request.domainLabels = true
        _ = try Exporter().export(request)
        let data = try Data(contentsOf: directory.appendingPathComponent("out/geojson/valves.geojson"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let properties = (document["features"] as? [[String: Any]] ?? []).map { $0["properties"] as? [String: Any] ?? [:] }
        #expect(properties.map { $0["state_label"] as? String } == [#"{"a": 1}"#, "Lifted", nil])
        #expect(properties.map { $0["kind_label"] as? String } == ["Gate", "Check", nil])
        #expect(!String(decoding: data, as: UTF8.self).contains("\\u0001"))
    }
}
