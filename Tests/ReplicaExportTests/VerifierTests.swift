import Foundation
import Testing
@testable import ReplicaExport

/// verify passes on faithful exports and names the place of every tampering.
@Suite struct VerifierTests {
    static let formats = ["filegdb", "shapefile", "csv", "geojson", "geopackage"]
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
}
