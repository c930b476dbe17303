import Foundation
import ReplicaExport
import Testing

/// `inspect`: the schema outline, then per layer the numbers, relationship classes and domains; with
/// `--json` the same as one JSON document on stdout, warnings on stderr. The numbers are the ones
/// found without this library (see ReplicaSummaryTests): Python's `json` on the payload, SQLite's
/// catalog on the geodatabase.
@Suite struct InspectCommandTests {
    /// The seed's Example four: 8 points, 16 attachments by URL of 1,872,190 declared bytes, no schema.
    @Test func jsonOfAReplicaWithAttachments() throws {
        let input = EndToEnd.testData("esrijson/seed_example4_canada.replica.json")
        let result = try EndToEnd.cli("inspect", input.path, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["input"] as? String == input.path)
        #expect((object["replica"] as? [String: Any])?["name"] as? String == "ags_gfs_4")
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(layers.count == 1)
        let layer = layers[0]
        #expect(layer["id"] as? Int == 0 && layer["kind"] as? String == "featureLayer")
        #expect(layer["geometryType"] as? String == "esriGeometryPoint")
        #expect(layer["featureCount"] as? Int == 8 && layer["featuresWithoutGeometry"] as? Int == 0)
        #expect(layer["attachmentCount"] as? Int == 16 && layer["attachmentBytes"] as? Int == 1_872_190)
        #expect(layer["attachmentsByURL"] as? Int == 16)
        #expect(Set((layer["extent"] as? [String: Any]).map { Array($0.keys) } ?? []) == ["xmin", "ymin", "xmax", "ymax"])
        // The numbers through JSONDecoder: JSONSerialization (corelibs) parses some doubles an ulp off.
        let decoded = try JSONDecoder().decode(ReplicaSummary.self, from: Data(result.stdout.utf8))
        #expect(decoded.layers.first?.extent == ReplicaSummary.Extent(xmin: -123.34989929199992, ymin: 45.37422180200008,
                                                                      xmax: -71.24492645299995, ymax: 53.33000183100006))
        #expect(layer["spatialReference"] == nil)
        #expect((object["relationshipClasses"] as? [Any])?.isEmpty == true)
        #expect((object["domains"] as? [Any])?.isEmpty == true)
        // The inferred schema is a warning on stderr and a diagnostic in the document; stdout is only JSON.
        #expect(result.stderr.contains("warning:") && result.stderr.contains("field types inferred"))
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.map { $0["code"] as? String } == ["schemaInferred"])
    }

    /// A sync replica geodatabase: its relationship class and the five coded-value domains of its catalog.
    @Test func jsonOfAGeodatabaseWithRelationshipsAndDomains() throws {
        let input = EndToEnd.testData("mobilegdb/arcrestgo_m5pc4wu4_10.4.1.geodatabase")
        let result = try EndToEnd.cli("inspect", input.path, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(layers.map { $0["name"] as? String } == ["Homesites", "Homesites inspections"])
        #expect(layers.map { $0["featureCount"] as? Int } == [69, 0])
        #expect(((layers[0]["spatialReference"] as? [String: Any])?["latestWkid"]) as? Int == 3857)
        #expect(layers[1]["extent"] == nil)
        let relationships = try #require(object["relationshipClasses"] as? [[String: Any]])
        #expect(relationships.count == 1)
        #expect(relationships.first?["name"] as? String == "Attributes from homesites")
        #expect(relationships.first?["originLayerId"] as? Int == 0 && relationships.first?["destinationLayerId"] as? Int == 1)
        #expect(relationships.first?["cardinality"] as? String == "esriRelCardinalityOneToMany")
        let domains = try #require(object["domains"] as? [[String: Any]])
        #expect(Set(domains.compactMap { $0["name"] as? String })
                == ["homesite_ids", "LeaseSite", "HomesiteFeatureType", "ClimaticZones", "BooleanValues"])
        #expect(domains.first { $0["name"] as? String == "LeaseSite" }?["usedBy"] as? [String] == ["Homesites.lease_site"])
    }

    /// Without --json: the outline as before, then the numbers.
    @Test func textKeepsTheOutlineThenAddsTheNumbers() throws {
        let input = EndToEnd.testData("esrijson/pyesridump_us-esri-test-0.replica.json")
        let result = try EndToEnd.cli("inspect", input.path)
        #expect(result.status == 0, "\(result.stderr)")
        let outline = try ReplicaSources.open(input).replica.outline
        #expect(result.stdout.hasPrefix(outline + "\n"))
        #expect(result.stdout.dropFirst(outline.count + 1) == """
            layer 0 pyesridump_us-esri-test-0:
              features: 1,000 (162 without geometry)
              extent: (-122.110748, 32.618204) - (116.450396, 79.607147)
              spatial reference: wkid 4326
            relationship classes: none
            domains: none

            """)
    }
}
