import Foundation
import Testing
@testable import ReplicaExport
import ReplicaExportBenchmarkSupport
import GDALReadBack

/// Layers and features shared by the writer tests.
enum WriterFixtures {
    static let allTypesFields: [Field] = [
        Field(name: "OBJECTID", type: .objectID, nullable: false),
        Field(name: "small", type: .smallInteger, alias: "Small number"),
        Field(name: "whole", type: .integer, nullable: false),
        Field(name: "big", type: .bigInteger),
        Field(name: "single", type: .single),
        Field(name: "dbl", type: .double),
        Field(name: "name", type: .string, alias: "Name (ü)", length: 50),
        Field(name: "stamp", type: .date),
        Field(name: "day", type: .dateOnly),
        Field(name: "clock", type: .timeOnly),
        Field(name: "offsetted", type: .timestampOffset),
        Field(name: "gid", type: .guid),
        Field(name: "GlobalID", type: .globalID, nullable: false),
        Field(name: "bytes", type: .blob),
        Field(name: "doc", type: .xml),
    ]

    static func allTypesLayer(name: String = "all_types", geometry: GeometryType? = .point, hasZ: Bool = false,
                              hasM: Bool = false, wkid: Int? = 4326) -> LayerSchema {
        LayerSchema(id: 0, name: name, kind: geometry == nil ? .table : .featureLayer, geometryType: geometry,
                    hasZ: hasZ, hasM: hasM, spatialReference: wkid.map { SpatialReference(wkid: $0) },
                    objectIdField: "OBJECTID", globalIdField: "GlobalID", fields: allTypesFields,
                    schemaSource: .layerResource)
    }

    /// Three rows with edge values; row 2 is mostly null.
    static let allTypesRows: [[Value]] = [
        [.int64(1), .int16(Int16.min), .int32(Int32.min), .int64(9_007_199_254_740_992), .float32(1.1), .float64(0.1),
         .string("Zürich 東京 🚀"), .date(milliseconds: 1_710_510_330_250), .dateOnly(DateOnly(year: 2024, month: 3, day: 15)),
         .timeOnly(TimeOnly(hour: 13, minute: 45, second: 30, millisecond: 250)),
         .timestampOffset(TimestampOffset(utcMilliseconds: 1_710_510_330_250, offsetMinutes: 120)),
         .guid("{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}"), .guid("a1b2c3d4-e5f6-4789-abcd-ef0123456789"),
         .blob([0, 1, 2, 254, 255]), .string("<a>x</a>")],
        [.int64(2), .int16(Int16.max), .int32(Int32.max), .int64(-42), .float32(-3.25), .float64(123456789.123456789),
         .string(""), .date(milliseconds: -86_400_000 * 365 - 1000), .dateOnly(DateOnly(year: 1900, month: 1, day: 1)),
         .timeOnly(TimeOnly(hour: 0, minute: 0, second: 0)),
         .timestampOffset(TimestampOffset(utcMilliseconds: 0, offsetMinutes: -300)),
         .guid("{00000000-0000-0000-0000-000000000001}"), .guid("{FFFFFFFF-0000-0000-0000-000000000002}"),
         .blob([]), .string("")],
        [.int64(17), .null, .int32(0), .null, .null, .float64(1e-300), .null, .null, .null, .null, .null, .null,
         .guid("{ABCDEFAB-CDEF-ABCD-EFAB-CDEFABCDEF03}"), .null, .null],
    ]

    static func points(hasZ: Bool = false, hasM: Bool = false) -> [PreparedFeature] {
        allTypesRows.enumerated().map { i, row in
            PreparedFeature(attributes: row, geometry: PreparedGeometry(
                .point(Vertex(x: 2.35 + Double(i), y: 48.85, z: 10, m: 5)), hasZ: hasZ, hasM: hasM))
        }
    }

    /// A point layer `pts` (OBJECTID only, EPSG:3857) and one feature per vertex (nil: no geometry).
    static func pointLayer(_ vertices: [Vertex?], hasZ: Bool, hasM: Bool) -> (LayerSchema, [PreparedFeature]) {
        let layer = LayerSchema(id: 0, name: "pts", kind: .featureLayer, geometryType: .point, hasZ: hasZ, hasM: hasM,
                                spatialReference: SpatialReference(wkid: 3857), objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID, nullable: false)], schemaSource: .layerResource)
        let features = vertices.enumerated().map { i, v in
            PreparedFeature(attributes: [.int64(Int64(i + 1))],
                            geometry: v.map { PreparedGeometry(.point($0), hasZ: hasZ, hasM: hasM) })
        }
        return (layer, features)
    }

    /// Points read back through GDAL against the vertices written: a null stays null, an empty
    /// point comes back empty or null, any other with its dimensions and values bit for bit (a NaN
    /// M as `missingM`).
    static func expectPoints(_ read: [GDALReadFeature], equal vertices: [Vertex?], hasZ: Bool, hasM: Bool,
                             missingM: Double, _ label: String) throws {
        #expect(read.count == vertices.count, "\(label)")
        for (v, f) in zip(vertices, read) {
            guard let v, !v.x.isNaN else {
                let back = try f.geometryWKB.flatMap { try WKBDecoder.decode($0) }
                if case .point(let p)? = back?.shape { #expect(p.x.isNaN, "\(label)") }
                if v == nil { #expect(f.geometryWKB == nil, "\(label)") }
                continue
            }
            guard let wkb = f.geometryWKB, let back = try WKBDecoder.decode(wkb), case .point(let p) = back.shape else {
                Issue.record("\(label): feature \(f.fid) has no point")
                continue
            }
            #expect(back.hasZ == hasZ && back.hasM == hasM, "\(label) feature \(f.fid)")
            #expect(p.x == v.x && p.y == v.y, "\(label) feature \(f.fid): \(p.x) \(p.y)")
            if hasZ { #expect(p.z == v.z, "\(label) feature \(f.fid): Z \(p.z)") }
            if hasM {
                let want = v.m.isNaN ? missingM : v.m
                #expect(p.m == want || (p.m.isNaN && want.isNaN), "\(label) feature \(f.fid): M \(p.m)")
            }
        }
    }

    static func request(_ dir: URL, name: String = "replica", layers: [LayerSchema], overwrite: Bool = false,
                        keepsCircularArcs: Bool = false) -> WriterRequest {
        WriterRequest(outputDirectory: dir, replica: Replica(name: name, layers: layers), overwrite: overwrite,
                      keepsCircularArcs: keepsCircularArcs)
    }

    /// What the exporter's preparation stage gives a writer of `type`: the layer and its features,
    /// moved to WGS 84 where the format requires it (``WGS84Move``).
    static func delivered(_ type: any FormatWriter.Type, layer: LayerSchema,
                          features: [PreparedFeature]) throws -> (LayerSchema, [PreparedFeature]) {
        guard type.profile.capabilities.contains(.requiresWGS84) else { return (layer, features) }
        let move = try WGS84Move(layer: layer, at: ErrorLocation(layer: layer.name))
        return (move.schema, try move.apply(features, firstIndex: 0))
    }

    /// Writes one layer with a writer type, as the exporter delivers it, and commits.
    @discardableResult
    static func write<W: FormatWriter>(_ type: W.Type, into dir: URL, layer: LayerSchema, features: [PreparedFeature],
                                       name: String = "replica", keepsCircularArcs: Bool = false) throws -> (W, [WrittenOutput]) {
        let (layer, features) = try delivered(type, layer: layer, features: features)
        let writer = try W(request: request(dir, name: name, layers: [layer], keepsCircularArcs: keepsCircularArcs))
        do {
            try writer.beginLayer(layer)
            try writer.write(features)
            try writer.endLayer()
            return (writer, try writer.commit())
        } catch {
            writer.abort()
            throw error
        }
    }
}

@Suite struct GDALTests {
    /// Point features are written by updating the point the reused OGR feature holds: every
    /// combination of Z and M comes back as given (a NaN M as FileGDB's stand-in 0), after a null
    /// geometry, after an empty point, and after a point of other dimensions in the same feature.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func pointsComeBackInEveryDimension(hasZ: Bool, hasM: Bool) throws {
        let vertices: [Vertex?] = [Vertex(x: 1, y: 2, z: 3, m: 4), Vertex(x: 5, y: 6, z: 7, m: .nan), nil,
                                   Vertex(x: .nan, y: .nan), Vertex(x: 8, y: 9, z: 10, m: 11)]
        let (layer, features) = WriterFixtures.pointLayer(vertices, hasZ: hasZ, hasM: hasM)
        for (format, file, missingM) in [("filegdb", "replica.gdb", 0.0), ("geopackage", "replica.gpkg", Double.nan)] {
            let dir = try TestPaths.makeTemporaryDirectory("points-\(format)")
            defer { try? FileManager.default.removeItem(at: dir) }
            if format == "filegdb" {
                try WriterFixtures.write(FileGDBWriter.self, into: dir, layer: layer, features: features)
            } else {
                try WriterFixtures.write(GeoPackageWriter.self, into: dir, layer: layer, features: features)
            }
            let read = try GDALReadDataset(url: dir.appendingPathComponent(file)).features("pts")
            try WriterFixtures.expectPoints(read, equal: vertices, hasZ: hasZ, hasM: hasM, missingM: missingM, format)
        }
    }

    @Test func spatialReferencesResolveEPSGThenESRIThenWKT() throws {
        let epsg = try GDALSpatialReference.from(SpatialReference(wkid: 102100, latestWkid: 3857))
        #expect(epsg.authorityCode == "EPSG:3857")
        let esri = try GDALSpatialReference.from(SpatialReference(wkid: 102645))
        #expect(esri.authorityCode == "ESRI:102645")
        let wkt = "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]"
        let fromWKT = try GDALSpatialReference.from(SpatialReference(wkt: wkt))
        #expect(fromWKT.wkt?.contains("WGS") == true)
    }

    @Test func unresolvableSpatialReferenceThrowsGDALError() {
        #expect {
            _ = try GDALSpatialReference.from(SpatialReference(wkid: 999_999_999), at: ErrorLocation(layer: "x"))
        } throws: { error in
            guard let e = error as? ReplicaExportError else { return false }
            return e.code == .gdal && e.location.layer == "x"
        }
    }

    @Test func writingIntoAReadOnlyDirectoryThrowsWritingError() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdal-ro")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: dir.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path) }
        if getuid() == 0 { return }  // root ignores permissions
        #expect(throws: ReplicaExportError.self) {
            try WriterFixtures.write(CSVWriter.self, into: dir, layer: WriterFixtures.allTypesLayer(), features: [])
        }
    }

    @Test func gdalFailureInsideScopeIsThrownWithGDALMessage() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdal-err")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Opening a file that is not a dataset: GDAL raises a CPLError, thrown as .gdal with its text.
        let bogus = dir.appendingPathComponent("nothing.shp")
        #expect {
            _ = try GDALReadDataset(url: bogus)
        } throws: { error in
            guard let e = error as? ReplicaExportError else { return false }
            return e.code == .gdal && e.message.contains("GDAL") && e.location.input == bogus.path
        }
    }

    @Test func readBackListsLayersFieldsAndFeatures() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdal-read")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = WriterFixtures.allTypesLayer()
        try WriterFixtures.write(GeoJSONWriter.self, into: dir, layer: layer, features: WriterFixtures.points())
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("all_types.geojson"))
        #expect(ds.layerNames == ["all_types"])
        let info = try ds.layerInfo("all_types")
        #expect(info.featureCount == 3)
        #expect(info.fields.map(\.name).contains("name"))
        let features = try ds.features("all_types")
        #expect(features.count == 3)
        #expect(features[0].geometryTypeName == "Point")
    }

    @Test func valueTextFormsDatesAndBase64() {
        #expect(ValueText.isoUTC(milliseconds: 1_710_510_330_250) == "2024-03-15T13:45:30.250Z")
        #expect(ValueText.isoUTC(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(ValueText.isoUTC(milliseconds: -86_400_000 * 365 - 1000) == "1968-12-31T23:59:59.000Z")
        #expect(ValueText.isoOffset(TimestampOffset(utcMilliseconds: 1_710_510_330_250, offsetMinutes: 120)) == "2024-03-15T15:45:30.250+02:00")
        #expect(ValueText.isoOffset(TimestampOffset(utcMilliseconds: 0, offsetMinutes: -330)) == "1969-12-31T18:30:00.000-05:30")
        // Years outside 0001-9999: a sign, and more digits.
        #expect(ValueText.isoUTC(milliseconds: -62_167_219_200_000) == "0000-01-01T00:00:00.000Z")
        #expect(ValueText.isoUTC(milliseconds: -62_167_219_200_001) == "-0001-12-31T23:59:59.999Z")
        #expect(ValueText.isoUTC(milliseconds: 253_402_300_800_000) == "10000-01-01T00:00:00.000Z")
        #expect(ValueText.isoUTC(milliseconds: .max).hasSuffix(":55.807Z"))
        #expect(ValueText.isoUTC(milliseconds: .min).hasPrefix("-"))
        #expect(ValueText.isoDate(DateOnly(year: 7, month: 3, day: 9)) == "0007-03-09")
        #expect(ValueText.isoTime(TimeOnly(hour: 0, minute: 5, second: 9, millisecond: 7)) == "00:05:09.007")
        // Every text reads back as its instant (years 1-9999, seeded).
        var random = SplitMix64(seed: 11)
        for _ in 0..<20_000 {
            let ms = Int64(random.next() % 315_537_897_600_000) - 62_135_596_800_000
            let text = ValueText.isoUTC(milliseconds: ms)
            #expect(text.utf8.count == 24 && ISO8601.milliseconds(text) == ms, "\(ms): \(text)")
            let offset = Int(random.next() % 1681) - 840
            let shifted = ValueText.isoOffset(TimestampOffset(utcMilliseconds: ms, offsetMinutes: offset))
            if ms > -62_135_500_000_000 && ms < 253_402_200_000_000 {
                #expect(ISO8601.milliseconds(shifted) == ms, "\(ms) at \(offset): \(shifted)")
            }
        }
        #expect(ValueText.base64([0, 1, 2, 254, 255]) == "AAEC/v8=")
        #expect(ValueText.base64([77, 97]) == "TWE=")
        #expect(ValueText.guidBracedUpper("a1b2c3d4-e5f6-4789-abcd-ef0123456789") == "{A1B2C3D4-E5F6-4789-ABCD-EF0123456789}")
        #expect(ValueText.guidBracedUpper("{A1B2C3D4-E5F6-4789-ABCD-EF0123456789}") == "{A1B2C3D4-E5F6-4789-ABCD-EF0123456789}")
        #expect(ValueText.guidBracedUpper("{a1b2c3d4-e5f6-4789-abcd-ef0123456789}") == "{A1B2C3D4-E5F6-4789-ABCD-EF0123456789}")
    }
}
