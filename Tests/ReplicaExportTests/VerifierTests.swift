import Foundation
import Testing
@testable import ReplicaExport

/// verify passes on faithful exports and names the place of every tampering.
@Suite struct VerifierTests {
    static let formats = ["filegdb", "shapefile", "csv", "geojson", "geopackage", "kml", "excel"]
    static let inputs = [
        "esrijson/replica_esri_test.json", "esrijson/arcgis-rest-js_PolygonHasZM.replica.json",
        "esrijson/arcgis-rest-js_LineHasM.replica.json", "esrijson/pyesridump_us-il-cook-page-full.json",
        "esrijson/seed_example4_canada.replica.json", "curves/curves.replica.json",
        "mobilegdb/militaryoverlay.geodatabase", "mobilegdb/LA_Trails.geodatabase",
    ]

    static func export(_ input: String, into directory: URL, trueCurves: Bool = false) throws -> URL {
        let output = directory.appendingPathComponent(URL(fileURLWithPath: input).lastPathComponent + (trueCurves ? ".tc" : ""))
        _ = try Exporter().export(ExportRequest(input: TestPaths.testData(input), formats: formats, outputDirectory: output,
                                                syncDataOptions: trueCurves ? 256 : nil))
        return output
    }

    @Test(arguments: inputs)
    func faithfulExportsPass(_ input: String) throws {
        let directory = try TestPaths.makeTemporaryDirectory("verify")
        defer { try? FileManager.default.removeItem(at: directory) }
        for trueCurves in input.hasPrefix("curves") ? [false, true] : [false] {
            let output = try Self.export(input, into: directory, trueCurves: trueCurves)
            let report = try Verifier().verify(VerifyRequest(input: TestPaths.testData(input), outputDirectory: output,
                                                             syncDataOptions: trueCurves ? 256 : nil))
            #expect(report.formats.map(\.format) == Self.formats.sorted())
            #expect(report.passed, "\(input):\n\(report.summary)")
            #expect(report.formats.allSatisfy { $0.layers.allSatisfy { $0.featuresIn == $0.featuresOut } })
            #expect(report.formats.contains { $0.layers.contains { $0.valuesCompared > 0 } })
        }
    }

    /// GeoJSON numbers compare exactly: a double GDAL alone would have rounded is a difference.
    @Test func geoJSONNumbersCompareExactly() {
        func same(_ expected: Value, _ actual: Value) -> Bool { ValueComparison.same(expected, actual, encoding: .formatted(GeoJSONFormat.exactNumber)) }
        #expect(same(.float64(0.30000000000000004), .float64(0.30000000000000004)))
        #expect(!same(.float64(0.30000000000000004), .float64(0.3)))
        #expect(!same(.float64(-828700.6830000001), .float64(-828700.683)))
        #expect(same(.float32(1.1), .float64(1.1)))
        #expect(same(.float64(.infinity), .null) && same(.float32(.nan), .null))
        #expect(!same(.float64(.infinity), .float64(0)) && !same(.float64(1), .null))
    }

    @Test func tamperingIsFoundAndPlaced() throws {
        let directory = try TestPaths.makeTemporaryDirectory("verify-tamper")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = "esrijson/replica_esri_test.json"
        let output = try Self.export(input, into: directory)
        let request = VerifyRequest(input: TestPaths.testData(input), outputDirectory: output)
        #expect(try Verifier().verify(request).passed)

        // One value changed in the CSV: its third data row's OBJECTID column.
        let csv = output.appendingPathComponent("csv/Facilities.csv")
        var lines = try String(contentsOf: csv, encoding: .utf8).components(separatedBy: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        let nameColumn = try #require(header.firstIndex(of: "description"))
        var cells = lines[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        cells[nameColumn] = "tampered"
        lines[3] = cells.joined(separator: ",")
        // and its last feature dropped.
        lines.removeLast(lines.last == "" ? 2 : 1)
        try (lines.joined(separator: "\n") + "\n").write(to: csv, atomically: true, encoding: .utf8)

        let report = try Verifier().verify(request)
        #expect(!report.passed)
        let csvLayer = try #require(report.formats.first { $0.format == "csv" }?.layers.first)
        #expect(csvLayer.featuresOut == csvLayer.featuresIn - 1)
        #expect(csvLayer.differences.contains {
            $0.location.field == "description" && $0.location.featureIndex == 2 && $0.actual.contains("tampered")
        })
        for format in ["filegdb", "shapefile", "geojson", "geopackage"] {
            #expect(report.formats.first { $0.format == format }?.passed == true, "\(format)")
        }
        #expect(report.summary.contains("csv: DIFFERS"))

        // One vertex moved by a metre in a GeoPackage of polygons.
        let polygons = "esrijson/arcgis-rest-js_PolygonHasZM.replica.json"
        let polygonOutput = try Self.export(polygons, into: directory)
        let moved = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", """
            from osgeo import ogr
            ds = ogr.Open('\(polygonOutput.appendingPathComponent("geopackage/arcgis-rest-js_PolygonHasZM.gpkg").path)', 1)
            lyr = ds.GetLayer(0); f = lyr.GetNextFeature(); print(f.GetFID())
            ring = f.GetGeometryRef().GetGeometryRef(0).GetGeometryRef(0)
            ring.SetPoint(1, ring.GetX(1) + 1, ring.GetY(1), ring.GetZ(1)); lyr.SetFeature(f); ds = None
            """])
        #expect(moved.status == 0, "\(moved.stderr)")
        let movedFID = Int64(moved.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let polygonReport = try Verifier().verify(VerifyRequest(input: TestPaths.testData(polygons), outputDirectory: polygonOutput))
        let gpkg = try #require(polygonReport.formats.first { $0.format == "geopackage" }?.layers.first)
        #expect(gpkg.differenceCount == 1 && gpkg.differences.first?.location.objectID == movedFID
                && gpkg.differences.first?.location.field == nil, "\(polygonReport.summary)")
        let others = polygonReport.formats.filter { $0.format != "geopackage" }
        #expect(others.allSatisfy { $0.passed })
    }

    @Test func attachmentBytesAreCompared() throws {
        let directory = try TestPaths.makeTemporaryDirectory("verify-attachments")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try AttachmentTests.payload(in: directory)
        let output = directory.appendingPathComponent("out")
        _ = try Exporter().export(ExportRequest(input: input, formats: ["csv", "filegdb"], outputDirectory: output))
        let request = VerifyRequest(input: input, outputDirectory: output)
        let clean = try Verifier().verify(request)
        #expect(clean.passed, "\(clean.summary)")
        #expect(clean.formats.allSatisfy { $0.layers.first?.attachmentsCompared == 5 })
        // The attachment relationship class FileGDB shows attachments through.
        #expect(clean.formats.first { $0.format == "filegdb" }?.layers.first?.relationshipsCompared == 1)
        // One byte of one attachment flipped.
        let file = output.appendingPathComponent("csv/attachments/sites/photo.jpg")
        var bytes = [UInt8](try Data(contentsOf: file))
        bytes[2] ^= 1
        try Data(bytes).write(to: file)
        let report = try Verifier().verify(request)
        let csv = try #require(report.formats.first { $0.format == "csv" }?.layers.first)
        #expect(csv.differenceCount == 1 && csv.differences.first?.location.detail == "attachment 4")
        #expect(report.formats.first { $0.format == "filegdb" }?.passed == true)
    }

    // MARK: spatial reference, domains, relationship classes

    static func run(_ program: String, _ arguments: [String]) throws {
        let result = try Processes.run(URL(fileURLWithPath: program), arguments)
        #expect(result.status == 0, "\(program) \(arguments): \(result.stderr)")
    }

    /// The differences of one format, flattened.
    static func differences(_ report: VerificationReport, _ format: String) -> [Difference] {
        report.formats.first { $0.format == format }?.layers.flatMap(\.differences) ?? []
    }

    static let arcrestgo = "mobilegdb/arcrestgo_m5pc4wu4_10.4.1.geodatabase"

    /// arcrestgo exported to every format in a new directory, the request that verifies it, and its
    /// report before any tampering, which must pass. The caller removes the directory.
    static func cleanArcrestgo(_ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> (directory: URL, output: URL, request: VerifyRequest, clean: VerificationReport) {
        let directory = try TestPaths.makeTemporaryDirectory(label)
        let output = try export(arcrestgo, into: directory)
        let request = VerifyRequest(input: TestPaths.testData(arcrestgo), outputDirectory: output)
        let clean = try Verifier().verify(request)
        #expect(clean.passed, "\(clean.summary)", sourceLocation: sourceLocation)
        return (directory, output, request, clean)
    }

    @Test func aChangedSpatialReferenceIsFoundAndPlaced() throws {
        let (directory, output, request, clean) = try Self.cleanArcrestgo("verify-srs")
        defer { try? FileManager.default.removeItem(at: directory) }
        for format in Self.formats {
            let homesites = clean.formats.first { $0.format == format }?.layers.first { $0.layer == "Homesites" }
            // GeoJSON and KML are in WGS 84; an Excel workbook records none.
            let profile = try #require(WriterRegistry.standard.profile(named: format))
            let expected = !profile.limits.storesSpatialReference ? nil
                : profile.capabilities.contains(.requiresWGS84) ? "EPSG:4326" : "EPSG:3857"
            #expect(homesites?.spatialReference == expected, "\(format)")
            #expect(clean.formats.first { $0.format == format }?.layers.first { $0.layer == "Homesites inspections" }?.spatialReference == nil)
        }

        // The shapefile's .prj rewritten as WGS 84 (ESRI WKT), the CSV's removed.
        try #"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#
            .write(to: output.appendingPathComponent("shapefile/Homesites.prj"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: output.appendingPathComponent("csv/Homesites.prj"))
        let report = try Verifier().verify(request)
        #expect(!report.passed)
        let shapefile = Self.differences(report, "shapefile")
        #expect(shapefile.count == 1, "\(report.summary)")
        let moved = try #require(shapefile.first)
        #expect(moved.location.layer == "Homesites" && moved.location.output == "Homesites.shp"
                && moved.location.detail == "spatial reference", "\(moved)")
        #expect(moved.expected.hasPrefix("EPSG:3857") && moved.actual.hasPrefix("EPSG:4326"), "\(moved)")
        let csv = Self.differences(report, "csv")
        #expect(csv.count == 1 && csv.first?.actual == "none" && csv.first?.location.output == "Homesites.csv", "\(report.summary)")
        #expect(report.summary.contains("shapefile, Homesites.shp, layer 'Homesites', spatial reference: expected EPSG:3857"), "\(report.summary)")
        for format in ["filegdb", "geojson", "geopackage"] {
            #expect(report.formats.first { $0.format == format }?.passed == true, "\(format)")
        }
    }

    @Test func aChangedDomainIsFoundAndPlaced() throws {
        let (directory, output, request, clean) = try Self.cleanArcrestgo("verify-domains")
        defer { try? FileManager.default.removeItem(at: directory) }
        for format in ["filegdb", "geopackage"] {
            #expect(clean.formats.first { $0.format == format }?.layers.first?.domainsCompared == 5, "\(format)")
        }

        // GeoPackage: one code's label changed, one code removed, one field's domain detached.
        let gpkg = output.appendingPathComponent("geopackage/MyReplica.gpkg").path
        try Self.run("/usr/bin/sqlite3", [gpkg, """
            UPDATE gpkg_data_column_constraints SET description = 'tampered' WHERE constraint_name = 'ClimaticZones' AND value = '2';
            DELETE FROM gpkg_data_column_constraints WHERE constraint_name = 'HomesiteFeatureType' AND value = (
                SELECT min(value) FROM gpkg_data_column_constraints WHERE constraint_name = 'HomesiteFeatureType');
            UPDATE gpkg_data_columns SET constraint_name = NULL WHERE column_name = 'has_permittee';
            """])
        // FileGDB: one code removed from a domain, through GDAL.
        try Self.run("/usr/bin/python3", ["-c", """
            import sys
            from osgeo import gdal, ogr
            ds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR | gdal.OF_UPDATE)
            d = ds.GetFieldDomain('ClimaticZones')
            codes = d.GetEnumeration(); del codes['1']
            assert ds.UpdateFieldDomain(ogr.CreateCodedFieldDomain('ClimaticZones', '', d.GetFieldType(), d.GetFieldSubType(), codes))
            """, output.appendingPathComponent("filegdb/MyReplica.gdb").path])

        let report = try Verifier().verify(request)
        #expect(!report.passed)
        let gpkgDifferences = Self.differences(report, "geopackage")
        #expect(gpkgDifferences.count == 3, "\(report.summary)")
        #expect(gpkgDifferences.allSatisfy { $0.location.format == "geopackage" && $0.location.layer == "Homesites" })
        #expect(gpkgDifferences.contains {
            $0.location.field == "climatic_zone" && $0.expected == "domain 'ClimaticZones': code 2 'CZ2'" && $0.actual == "code 2 'tampered'"
        }, "\(gpkgDifferences)")
        #expect(gpkgDifferences.contains { $0.location.field == "feature_type" && $0.actual.hasPrefix("no code") }, "\(gpkgDifferences)")
        #expect(gpkgDifferences.contains {
            $0.location.field == "has_permittee" && $0.expected == "domain 'BooleanValues'" && $0.actual == "no domain"
        }, "\(gpkgDifferences)")
        let gdbDifferences = Self.differences(report, "filegdb")
        #expect(gdbDifferences.count == 1 && gdbDifferences.first?.location.field == "climatic_zone"
                && gdbDifferences.first?.actual == "no code 1", "\(report.summary)")
        #expect(report.summary.contains("filegdb, layer 'Homesites', field 'climatic_zone': expected domain 'ClimaticZones': code 1 'CZ1', found no code 1"),
                "\(report.summary)")
    }

    @Test func aChangedRangeDomainIsFound() throws {
        let directory = try TestPaths.makeTemporaryDirectory("verify-range")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = "mobilegdb/militaryoverlay.geodatabase"
        let output = directory.appendingPathComponent("out")
        _ = try Exporter().export(ExportRequest(input: TestPaths.testData(input), formats: ["geopackage"], outputDirectory: output))
        let request = VerifyRequest(input: TestPaths.testData(input), outputDirectory: output)
        #expect(try Verifier().verify(request).passed)
        try Self.run("/usr/bin/sqlite3", [output.appendingPathComponent("geopackage/militaryoverlay.gpkg").path,
                                          "UPDATE gpkg_data_column_constraints SET max = 359 WHERE constraint_name = 'Direction'"])
        let report = try Verifier().verify(request)
        let differences = Self.differences(report, "geopackage")
        // Three layers use the domain, each on its field 'direction'.
        #expect(differences.count == 3 && differences.allSatisfy {
            $0.location.field == "direction" && $0.expected == "domain 'Direction': range 0...360" && $0.actual == "range 0...359"
        }, "\(report.summary)")
    }

    @Test func aDroppedRelationshipClassIsFoundAndPlaced() throws {
        let (directory, output, request, clean) = try Self.cleanArcrestgo("verify-relationships")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(clean.formats.allSatisfy { $0.layers.first { $0.layer == "Homesites" }?.relationshipsCompared == 1 }, "\(clean.summary)")

        // CSV: the class dropped from relationships.json; GeoJSON: the listing removed; shapefile:
        // the destination key renamed; FileGDB: the class deleted from the dataset, through GDAL.
        try Data("[]".utf8).write(to: output.appendingPathComponent("csv/relationships.json"))
        try FileManager.default.removeItem(at: output.appendingPathComponent("geojson/relationships.json"))
        let shapefileListing = output.appendingPathComponent("shapefile/relationships.json")
        try String(contentsOf: shapefileListing, encoding: .utf8).replacingOccurrences(of: "\"GlobalGUID\"", with: "\"OtherKey\"")
            .write(to: shapefileListing, atomically: true, encoding: .utf8)
        try Self.run("/usr/bin/python3", ["-c", """
            import sys
            from osgeo import gdal
            ds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR | gdal.OF_UPDATE)
            assert ds.DeleteRelationship('Attributes from homesites')
            """, output.appendingPathComponent("filegdb/MyReplica.gdb").path])

        let report = try Verifier().verify(request)
        #expect(!report.passed)
        let name = "relationship class 'Attributes from homesites'"
        let csv = Self.differences(report, "csv")
        #expect(csv.count == 1 && csv.first?.location.layer == "Homesites" && csv.first?.location.detail == name + " in relationships.json"
                && csv.first?.actual == "not listed", "\(report.summary)")
        let geojson = Self.differences(report, "geojson")
        #expect(geojson.count == 1 && geojson.first?.actual == "no relationships.json", "\(report.summary)")
        let shapefile = Self.differences(report, "shapefile")
        #expect(shapefile.count == 1 && shapefile.first?.expected == "destination key 'GlobalGUID'"
                && shapefile.first?.actual == "'OtherKey'", "\(report.summary)")
        let filegdb = Self.differences(report, "filegdb")
        #expect(filegdb.count == 1 && filegdb.first?.location.detail == name && filegdb.first?.expected == "in the dataset"
                && filegdb.first?.actual == "none", "\(report.summary)")
        #expect(report.formats.first { $0.format == "geopackage" }?.passed == true)
    }

    @Test func aChangedDomainLabelIsFound() throws {
        let directory = try TestPaths.makeTemporaryDirectory("verify-labels")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = "esrijson/replica_esri_test.json"
        let output = directory.appendingPathComponent("out")
        var export = ExportRequest(input: TestPaths.testData(input), formats: ["csv", "shapefile"], outputDirectory: output)
        export.domainLabels = true
        _ = try Exporter().export(export)
        let request = VerifyRequest(input: TestPaths.testData(input), outputDirectory: output)
        let clean = try Verifier().verify(request)
        #expect(clean.passed, "\(clean.summary)")
        let csvURL = output.appendingPathComponent("csv/Facilities.csv")
        let text = try String(contentsOf: csvURL, encoding: .utf8)
        #expect(text.contains("Excellent"))
        var lines = text.components(separatedBy: "\n")
        lines[1] = lines[1].replacingOccurrences(of: "Excellent", with: "Poor")
        try lines.joined(separator: "\n").write(to: csvURL, atomically: true, encoding: .utf8)
        let report = try Verifier().verify(request)
        let csv = Self.differences(report, "csv")
        #expect(csv.count == 1 && csv.first?.location.field == "quality_label" && csv.first?.location.featureIndex == 0
                && csv.first?.expected.hasPrefix("label \"Excellent\"") == true, "\(report.summary)")
        #expect(report.formats.first { $0.format == "shapefile" }?.passed == true)
    }
}
