import Foundation
import Testing
@testable import ReplicaExport

/// `ReplicaSummary` (what `inspect` prints) against numbers found without this library: GDAL's
/// `ogrinfo -so` on the FeatureSet pages the replicas were made from, Python's `json` module on the
/// payloads, and SQLite on the geodatabases.
@Suite struct ReplicaSummaryTests {
    /// 1000 points, 162 of them without geometry. `ogrinfo -so` on the page the replica wraps
    /// (pyesridump_us-esri-test-0.json, GDAL 3.6.2): Feature Count 1000, Extent (-122.110748,
    /// 32.618204) - (116.450396, 79.607147); the exact bounds are the payload's own numbers.
    @Test func pointsWithAndWithoutGeometry() throws {
        let summary = try ReplicaSummary(contentsOf: TestPaths.testData("esrijson/pyesridump_us-esri-test-0.replica.json"))
        #expect(summary.layers.count == 1)
        let layer = try #require(summary.layers.first)
        #expect(layer.id == 0 && layer.kind == .featureLayer && layer.geometryType == .point)
        #expect(layer.featureCount == 1000)
        #expect(layer.featuresWithoutGeometry == 162)
        #expect(layer.extent == ReplicaSummary.Extent(xmin: -122.1107477, ymin: 32.6182037, xmax: 116.450396, ymax: 79.6071466))
        #expect(layer.spatialReference?.preferredWkid == 4326)
        #expect(layer.attachmentCount == 0 && layer.attachmentBytes == 0 && layer.attachmentsByURL == 0)
        #expect(summary.relationshipClasses.isEmpty && summary.domains.isEmpty)
        #expect(summary.text.contains("""
            layer 0 pyesridump_us-esri-test-0:
              features: 1,000 (162 without geometry)
              extent: (-122.110748, 32.618204) - (116.450396, 79.607147)
              spatial reference: wkid 4326
            """))
    }

    /// The extent is taken over every vertex of every ring. `ogrinfo -so` on
    /// arcgis-rest-js_PolygonHasZM.json: Feature Count 4, Extent (-13263624.563339, 5927270.674364)
    /// - (-13130950.185822, 6040672.768960).
    @Test func polygonExtentCoversEveryRing() throws {
        let summary = try ReplicaSummary(contentsOf: TestPaths.testData("esrijson/arcgis-rest-js_PolygonHasZM.replica.json"))
        let layer = try #require(summary.layers.first)
        #expect(layer.featureCount == 4 && layer.featuresWithoutGeometry == 0)
        #expect(layer.extent == ReplicaSummary.Extent(xmin: -13263624.5633394, ymin: 5927270.67436357,
                                                      xmax: -13130950.1858219, ymax: 6040672.76896035))
    }

    /// The seed's Example four: 8 points and 16 attachments known only by URL, whose declared sizes
    /// add up to 1,872,190 bytes (Python: `sum(a["size"] for a in layers[0]["attachments"])`).
    @Test func attachmentsByURLCountAtTheirDeclaredSize() throws {
        let summary = try ReplicaSummary(contentsOf: TestPaths.testData("esrijson/seed_example4_canada.replica.json"))
        let layer = try #require(summary.layers.first)
        #expect(layer.featureCount == 8)
        #expect(layer.extent == ReplicaSummary.Extent(xmin: -123.34989929199992, ymin: 45.37422180200008,
                                                      xmax: -71.24492645299995, ymax: 53.33000183100006))
        #expect(layer.spatialReference == nil)
        #expect(layer.attachmentCount == 16 && layer.attachmentBytes == 1_872_190 && layer.attachmentsByURL == 16)
        #expect(summary.text.contains("  attachments: 16, 1,872,190 bytes (16 by URL, counted at their declared size)"))
        // No layer resources: the reader says so, and the summary carries it.
        #expect(summary.diagnostics.map(\.code) == [.schemaInferred])
    }

    /// Embedded attachments count their bytes; one by URL without a size counts none.
    @Test func embeddedAttachmentsCountTheirBytes() throws {
        let directory = try TestPaths.makeTemporaryDirectory("summary-attachments")
        defer { try? FileManager.default.removeItem(at: directory) }
        let summary = try ReplicaSummary(contentsOf: try AttachmentTests.payload(in: directory))
        let layer = try #require(summary.layers.first)
        let embedded = AttachmentTests.attachments.compactMap(\.bytes)
        #expect(layer.attachmentCount == 6 && layer.attachmentsByURL == 1)
        #expect(layer.attachmentBytes == Int64(embedded.map(\.count).reduce(0, +)))
        #expect(layer.attachmentBytes == 5_000_022)
        #expect(layer.extent == ReplicaSummary.Extent(xmin: 500000, ymin: 4000000, xmax: 500000, ymax: 4000000))
        #expect(layer.spatialReference?.preferredWkid == 26912)
    }

    /// A sync replica's geodatabase: the relationship class and the five coded-value domains its
    /// catalog lists, the rows SQLite counts, the extent ArcGIS's own spatial index holds, and
    /// attachment rows added to a copy (a current one of 3 bytes and a superseded one that must not
    /// count). The index is an SQLite R*Tree of 32-bit floats, each rounded outwards and widened by
    /// a relative 2^-23: within 3 units of the true bound at these magnitudes (1.2e7).
    @Test func geodatabaseRelationshipsDomainsAndAttachments() throws {
        let directory = try TestPaths.makeTemporaryDirectory("summary-mgdb")
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = try MGDB.copy("arcrestgo_m5pc4wu4_10.4.1.geodatabase", to: directory)
        try MGDB.sqlite3(copy, """
            INSERT INTO Homesites_inspections__ATTACH (ATTACHMENTID, GLOBALID, REL_GLOBALID, CONTENT_TYPE, ATT_NAME, DATA_SIZE, DATA, gdb_from_date, gdb_to_date)
            VALUES (1, '{11111111-1111-1111-1111-111111111111}', '{22222222-2222-2222-2222-222222222222}', 'image/png', 'a.png', 3, x'010203', 2458000.0, julianday('9999-12-31 23:59:59')),
                   (1, '{11111111-1111-1111-1111-111111111111}', '{22222222-2222-2222-2222-222222222222}', 'image/png', 'old.png', 1, x'09', 2457000.0, 2458000.0);
            """)
        let summary = try ReplicaSummary(contentsOf: copy)
        #expect(summary.layers.map(\.name) == ["Homesites", "Homesites inspections"])
        let homesites = summary.layers[0], inspections = summary.layers[1]

        let rows = try MGDB.sqlite3(copy, "SELECT count(*) FROM Homesites\(MGDB.currentFilter(true))")
        #expect(homesites.featureCount == Int(rows.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(homesites.featureCount == 69 && homesites.featuresWithoutGeometry == 0)
        let bounds = try MGDB.sqlite3(copy, "SELECT min(minx), min(miny), max(maxx), max(maxy) FROM st_spindex__Homesites_SHAPE")
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").compactMap { Double($0) }
        #expect(bounds == [-12354156, 4236613.5, -12252315, 4352861.5])
        let extent = try #require(homesites.extent)
        let got = [extent.xmin, extent.ymin, extent.xmax, extent.ymax]
        for (index, (value, bound)) in zip(got, bounds).enumerated() {
            // The index rounds outwards: minimums down, maximums up.
            #expect(index < 2 ? value >= bound : value <= bound, "\(index): \(value) vs \(bound)")
            #expect(abs(value - bound) < 3, "\(index): \(value) vs \(bound)")
        }
        #expect(homesites.spatialReference?.preferredWkid == 3857)
        #expect(homesites.attachmentCount == 0)

        #expect(inspections.kind == .table && inspections.featureCount == 0 && inspections.extent == nil)
        #expect(inspections.attachmentCount == 1 && inspections.attachmentBytes == 3 && inspections.attachmentsByURL == 0)

        #expect(summary.relationshipClasses == [RelationshipClass(
            id: summary.relationshipClasses.first?.id ?? -1, name: "Attributes from homesites", originLayerId: 0,
            destinationLayerId: 1, originKeyField: "GlobalID", destinationKeyField: "GlobalGUID",
            cardinality: .oneToMany, isComposite: false)])
        let catalog = try MGDB.sqlite3(copy, """
            SELECT i.Name FROM GDB_Items i JOIN GDB_ItemTypes t ON i.Type = t.UUID WHERE t.Name = 'Coded Value Domain'
            """).split(separator: "\n").map(String.init)
        #expect(catalog.count == 5)
        #expect(Set(summary.domains.map(\.name)) == Set(catalog))
        let lease = try #require(summary.domains.first { $0.name == "LeaseSite" })
        #expect(lease.usedBy == ["Homesites.lease_site"])
        if case .codedValue(_, let codes) = lease.domain { #expect(codes.count == 2) } else { Issue.record("LeaseSite is not coded") }
        #expect(summary.text.contains("relationship classes: 1\n  \(summary.relationshipClasses[0].id) 'Attributes from homesites': "
                                      + "Homesites.GlobalID -> Homesites inspections.GlobalGUID, one to many"))
        #expect(summary.text.contains("  'LeaseSite' coded values (2): Homesites.lease_site"))
    }

    /// More features than one batch: every batch is counted (SOURCES.md: 24924 points).
    @Test func countsAcrossBatches() throws {
        let summary = try ReplicaSummary(contentsOf: MGDB.url("ArcGISRuntimeBook_sf_parking_meters_10.3.1.geodatabase"))
        #expect(summary.layers.map(\.featureCount) == [24924])
        #expect(24924 > ReplicaSummary.batchSize)
    }

    /// A layer resource's domains, once each with the field that uses it (the layer's `types` only
    /// inherit them); the JSON decodes back to the same summary.
    @Test func layerResourceDomainsAndJSON() throws {
        let summary = try ReplicaSummary(contentsOf: TestPaths.testData("esrijson/replica_esri_test.json"))
        #expect(summary.layers.map(\.featureCount) == [50])
        #expect(summary.domains.map(\.name) == ["dFacilityTypes", "dQuality"])
        #expect(summary.domains.map(\.usedBy) == [["Facilities.facility"], ["Facilities.quality"]])

        let data = try summary.json()
        #expect(try JSONDecoder().decode(ReplicaSummary.self, from: data) == summary)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(layers.first?["featureCount"] as? Int == 50)
        #expect((object["replica"] as? [String: Any])?["name"] as? String == "esri_test")
    }
}
