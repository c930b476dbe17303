import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// FeatureSets as real servers and other tools write them (issue 12, "Real payloads that are
/// refused or mangled"): each is built here, converted, and read back through GDAL.
@Suite struct RealPayloadTests {
    static let allFormats = ["filegdb", "shapefile", "csv", "geojson", "geopackage"]

    /// Writes `json` as `page.json` in a new directory and converts it.
    static func convert(_ json: String, formats: [String] = allFormats, strict: Bool = false) throws -> (ExportReport, URL) {
        let input = try TestPaths.makeTemporaryDirectory("real-in").appendingPathComponent("page.json")
        try Data(json.utf8).write(to: input)
        let output = try TestPaths.makeTemporaryDirectory("real-out")
        let request = ExportRequest(input: input, formats: formats, outputDirectory: output, strict: strict)
        return (try Exporter().export(request), output)
    }

    static func features(_ report: ExportReport, _ format: String) throws -> [GDALReadFeature] {
        let written = try #require(report.outputs[format]?.first, "no \(format) output")
        return try GDALReadDataset(url: written.url).features(written.layerName)
    }

    static func page(geometryType: String? = "esriGeometryPoint", extra: String = "", fields: String? = nil,
                     features: String) -> String {
        let fieldList = fields ?? """
            [{"name": "OBJECTID", "type": "esriFieldTypeOID"}, {"name": "name", "type": "esriFieldTypeString", "length": 20}]
            """
        return """
            {"objectIdFieldName": "OBJECTID", \(geometryType.map { "\"geometryType\": \"\($0)\"," } ?? "")
             "spatialReference": {"wkid": 4326}, \(extra)
             "fields": \(fieldList),
             "features": [\(features)]}
            """
    }

    @Test func missingAndNullObjectIDsGetNewIdsInEveryFormat() throws {
        let json = Self.page(features: """
            {"attributes": {"name": "no id"}, "geometry": {"x": 1, "y": 2}},
            {"attributes": {"OBJECTID": null, "name": "null id"}, "geometry": {"x": 3, "y": 4}},
            {"attributes": {"OBJECTID": 5, "name": "five"}, "geometry": {"x": 5, "y": 6}}
            """)
        let (report, _) = try Self.convert(json)
        #expect(report.failures.isEmpty)
        for format in Self.allFormats {
            let rows = try Self.features(report, format)
            #expect(rows.count == 3, "\(format)")
        }
        // FileGDB and GeoPackage keep the ObjectID as the FID where it can and assign the others.
        for format in ["filegdb", "geopackage"] {
            let fids = try Self.features(report, format).map(\.fid)
            #expect(fids.contains(5) && Set(fids).count == 3 && fids.allSatisfy { $0 > 0 }, "\(format): \(fids)")
            #expect(report.diagnostics.contains { $0.code == .objectIDReassigned && $0.location.format == format && $0.count == 2 },
                    "\(format)")
        }
    }

    @Test func geometryTypeNamesAreMatchedLeniently() throws {
        for name in ["esriGeometryMultipoint", "esriGeometryMultiPoint", "ESRIGEOMETRYMULTIPOINT", "multipoint", "MultiPoint"] {
            #expect(EsriSchema.geometryType(name) == .multipoint, "\(name)")
        }
        #expect(EsriSchema.geometryType("polyline") == .polyline)
        #expect(EsriSchema.geometryType("esriGeometryPolygon") == .polygon)
        #expect(EsriSchema.geometryType("esriGeometryCircle") == nil)

        let json = Self.page(geometryType: "esriGeometryMultiPoint", features: """
            {"attributes": {"OBJECTID": 1}, "geometry": {"points": [[1, 2], [3, 4]]}}
            """)
        let (report, _) = try Self.convert(json, formats: ["geopackage"])
        #expect(report.replica.layers[0].geometryType == .multipoint)
        let rows = try Self.features(report, "geopackage")
        #expect(rows.map(\.geometryWKT) == ["MULTIPOINT ((1 2),(3 4))"])
    }

    @Test func aFeatureSetWithoutGeometryTypeTakesItFromTheGeometries() throws {
        let json = Self.page(geometryType: nil, features: """
            {"attributes": {"OBJECTID": 1}, "geometry": {"paths": [[[0, 0], [1, 1]]]}},
            {"attributes": {"OBJECTID": 2}, "geometry": null}
            """)
        let (report, _) = try Self.convert(json, formats: ["geopackage"])
        let layer = report.replica.layers[0]
        #expect(layer.kind == .featureLayer && layer.geometryType == .polyline)
        let rows = try Self.features(report, "geopackage")
        #expect(rows.compactMap(\.geometryWKT) == ["MULTILINESTRING ((0 0,1 1))"])
        #expect(!report.diagnostics.contains { $0.code == .inputSkipped })

        // Without geometries it stays a table.
        let table = Self.page(geometryType: nil, features: #"{"attributes": {"OBJECTID": 1, "name": "a"}}"#)
        let (tableReport, _) = try Self.convert(table, formats: ["csv"])
        #expect(tableReport.replica.layers[0].kind == .table)
    }

    /// Without `geometryType`, geometries of several types are kept: shapefile splits them into a
    /// file per type (as it does for any mixed layer), CSV holds them together.
    @Test func mixedGeometriesWithoutGeometryTypeAreSplitForShapefile() throws {
        let json = Self.page(geometryType: nil, features: """
            {"attributes": {"OBJECTID": 1}, "geometry": {"x": 1, "y": 2}},
            {"attributes": {"OBJECTID": 2}, "geometry": {"paths": [[[0, 0], [1, 1]]]}},
            {"attributes": {"OBJECTID": 3}, "geometry": {"x": 3, "y": 4}}
            """)
        let (report, _) = try Self.convert(json, formats: ["shapefile", "csv"])
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.diagnostics.contains { $0.code == .geometryTypeMismatch && $0.location.objectID == 2 && $0.count == 1 })
        let shapefiles = try #require(report.outputs["shapefile"])
        #expect(shapefiles.count == 2, "\(shapefiles)")
        let counts = try shapefiles.map { try GDALReadDataset(url: $0.url).features($0.url.deletingPathExtension().lastPathComponent).count }.sorted()
        #expect(counts == [1, 2])
        let csv = try Self.features(report, "csv")
        #expect(csv.count == 3 && csv.filter { $0.geometryWKT?.contains("LINESTRING") == true }.count == 1)
    }

    @Test func nullAndMissingZAreOneRuleReported() throws {
        let json = Self.page(geometryType: "esriGeometryPolyline", extra: #""hasZ": true,"#, features: """
            {"attributes": {"OBJECTID": 1}, "geometry": {"paths": [[[0, 0, null], [1, 1], [2, 2, 7]]]}},
            {"attributes": {"OBJECTID": 2}, "geometry": {"paths": [[[0, 0, 1], [1, 1, 2]]]}}
            """)
        let (report, output) = try Self.convert(json)
        #expect(report.failures.isEmpty, "\(report.failures)")
        let note = try #require(report.diagnostics.first { $0.code == .missingZReplaced })
        #expect(note.count == 2 && note.severity == .warning)
        for format in ["filegdb", "geopackage", "shapefile", "geojson"] {
            let rows = try Self.features(report, format)
            let wkt = rows.compactMap(\.geometryWKT).joined(separator: ";")
            #expect(wkt.contains("0 0 0,1 1 0,2 2 7"), "\(format): \(wkt)")
        }
        let csv = try String(contentsOf: try #require(report.outputs["csv"]?.first).url, encoding: .utf8)
        #expect(!csv.lowercased().contains("nan"))
        try? FileManager.default.removeItem(at: output)
    }

    /// `1e400`, a null x, an unknown segment: the feature stays with a null geometry, reported with
    /// its OBJECTID as a loss; a strict export refuses it naming the OBJECTID.
    @Test func aGeometryNoFormatCanRepresentIsDroppedAndReported() throws {
        for broken in [#"{"x": 1e400, "y": 2}"#, #"{"paths": [[[0, 0], [1, -1e999]]]}"#,
                       #"{"paths": [[[0, 0], [null, 1]]]}"#,
                       #"{"curvePaths": [[[0, 0], {"q": [[1, 1], [2, 2]]}]]}"#,
                       #"{"curvePaths": [[[0, 0], {"b": [[10, 0], [5, 1e308], [6, 0]]}]]}"#,
                       #"{"curvePaths": [[[0, 0], {"a": [[10, 0], [5, 0], 0, 1, 0, 5, 0]}]]}"#] {
            let type = broken.contains("\"x\"") ? "esriGeometryPoint" : "esriGeometryPolyline"
            let good = type == "esriGeometryPoint" ? #"{"x": 1, "y": 2}"# : #"{"paths": [[[0, 0], [1, 1]]]}"#
            let json = Self.page(geometryType: type, features: """
                {"attributes": {"OBJECTID": 1}, "geometry": \(good)},
                {"geometry": \(broken), "attributes": {"OBJECTID": 2, "name": "broken"}},
                {"attributes": {"OBJECTID": 3}, "geometry": \(good)}
                """)
            let (report, _) = try Self.convert(json, formats: ["geopackage", "csv"])
            let loss = try #require(report.diagnostics.first { $0.code == .geometryDropped }, "\(broken)")
            #expect(loss.severity == .loss && loss.count == 1 && loss.location.objectID == 2 && loss.location.featureIndex == 1)
            let rows = try Self.features(report, "geopackage")
            #expect(rows.map { $0.geometryWKT == nil } == [false, true, false], "\(broken)")
            #expect(rows[1].values.contains(.string("broken")))
            let csv = try String(contentsOf: try #require(report.outputs["csv"]?.first).url, encoding: .utf8)
            #expect(!csv.lowercased().contains("inf"), "\(broken)")

            do {
                _ = try Self.convert(json, formats: ["geopackage"], strict: true)
                Issue.record("a strict export accepted a dropped geometry")
            } catch let error as ReplicaExportError {
                #expect(error.code == .dataLoss && error.location.objectID == 2 && error.description.contains("OBJECTID 2"))
            }
        }
    }

    @Test func aSecondFieldOfTheSameNameIsRenamedAndReported() throws {
        let json = Self.page(fields: """
            [{"name": "usecode", "type": "esriFieldTypeOID"}, {"name": "usecode", "type": "esriFieldTypeString"},
             {"name": "UseCode", "type": "esriFieldTypeInteger"}]
            """, features: #"{"attributes": {"usecode": 7}, "geometry": {"x": 1, "y": 2}}"#)
            .replacingOccurrences(of: #""objectIdFieldName": "OBJECTID""#, with: #""objectIdFieldName": "usecode""#)
        let (report, _) = try Self.convert(json)
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.replica.layers[0].fields.map(\.name) == ["usecode", "usecode_1", "UseCode_2"])
        let renamed = report.diagnostics.filter { $0.code == .duplicateFieldRenamed }
        #expect(renamed.map(\.location.field) == ["usecode_1", "UseCode_2"])
        let written = try #require(report.outputs["geopackage"]?.first)
        let info = try GDALReadDataset(url: written.url).layerInfo(written.layerName)
        #expect(info.fields.map(\.name).contains("usecode_1"))
    }

    @Test func aPageCutAtTheTransferLimitAndUndeclaredZAreWarned() throws {
        let json = Self.page(extra: #""exceededTransferLimit": true, "hasZ": false,"#, features: """
            {"attributes": {"OBJECTID": 1}, "geometry": {"x": 1, "y": 2, "z": 3}}
            """)
        let (report, _) = try Self.convert(json, formats: ["geopackage"])
        #expect(report.diagnostics.contains { $0.code == .inputIncomplete && $0.severity == .warning })
        // The layer was made Z-aware to keep the Z (issue 23).
        #expect(report.diagnostics.contains { $0.code == .undeclaredZOrM && $0.message.contains("hasZ") && $0.count == 1 })
        #expect(report.replica.layers[0].hasZ)

        let plain = Self.page(features: #"{"attributes": {"OBJECTID": 1}, "geometry": {"x": 1, "y": 2}}"#)
        let (quiet, _) = try Self.convert(plain, formats: ["geopackage"])
        #expect(!quiet.diagnostics.contains { $0.code == .inputIncomplete || $0.code == .inputIrregular })
    }

    /// GDAL's CSV reader must read the missing-M stand-in back as a finite number that Esri still
    /// reads as "no measure" (below -1e38).
    @Test func theCSVMissingMeasureReadsBackFinite() throws {
        let json = Self.page(geometryType: "esriGeometryPolyline", extra: #""hasM": true,"#, features: """
            {"attributes": {"OBJECTID": 1}, "geometry": {"paths": [[[0, 0, null], [1, 1, 5]]]}}
            """)
        let (report, _) = try Self.convert(json, formats: ["csv"])
        #expect(report.diagnostics.contains { $0.code == .missingMeasureReplaced })
        let row = try #require(try Self.features(report, "csv").first)
        let wkt = row.geometryWKT ?? ""
        let wkb = try #require(row.geometryWKB)
        let geometry = try #require(try WKBDecoder.decode(wkb))
        guard case .polyline(let paths) = geometry.shape else {
            Issue.record("not a polyline: \(wkt)")
            return
        }
        let m = paths[0].vertices.map(\.m)
        #expect(m[0].isFinite && m[0] < -1e38, "\(wkt)")
        #expect(m[1] == 5)
    }
}
