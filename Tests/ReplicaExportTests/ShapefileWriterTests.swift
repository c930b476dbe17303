import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

@Suite struct ShapefileWriterTests {
    @Test func shortNamesAreUniqueWithinTenBytes() {
        #expect(FieldNames.shortened(["description_long_1", "description_long_2", "descriptio", "id"], maxBytes: 10)
                == ["descriptio", "descript_1", "descript_2", "id"])
        #expect(FieldNames.shortened(["ÄÄÄÄÄÄ"], maxBytes: 10) == ["ÄÄÄÄÄ"])  // 10 bytes, no split character
    }

    @Test func allTypesWithShortenedNamesZMAndUTF8() throws {
        let dir = try TestPaths.makeTemporaryDirectory("shp-types")
        defer { try? FileManager.default.removeItem(at: dir) }
        var layer = WriterFixtures.allTypesLayer(name: "sites", hasZ: true, hasM: true)
        layer.fields += [Field(name: "description_long_1", type: .string), Field(name: "description_long_2", type: .string)]
        let features = WriterFixtures.points(hasZ: true, hasM: true).map { f -> PreparedFeature in
            var f = f
            f.attributes += [.string("first"), .string("second")]
            return f
        }
        let (writer, outputs) = try WriterFixtures.write(ShapefileWriter.self, into: dir, layer: layer, features: features)
        #expect(outputs.map(\.url.lastPathComponent) == ["sites.shp"])
        #expect(TestPaths.entries(dir) == ["sites.cpg", "sites.dbf", "sites.fieldnames.csv", "sites.prj", "sites.shp", "sites.shx"])
        let mapping = try String(contentsOf: dir.appendingPathComponent("sites.fieldnames.csv"), encoding: .utf8)
        #expect(mapping.contains("description_long_1,descriptio\n"))
        #expect(mapping.contains("description_long_2,descript_1\n"))
        #expect(try String(contentsOf: dir.appendingPathComponent("sites.cpg"), encoding: .utf8).contains("UTF-8"))
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("sites.shp"))
        let info = try ds.layerInfo("sites")
        #expect(info.geometryTypeName == "3D Measured Point")
        #expect(info.srsAuthority == "EPSG:4326")
        let rows = try ds.features("sites")
        #expect(rows[0].geometryWKT == "POINT ZM (2.35 48.85 10 5)")
        #expect(rows[0].value("descript_1", in: info) == .string("second"))
        #expect(rows[0].value("name", in: info) == .string("Zürich 東京 🚀"))
        #expect(rows[0].value("OBJECTID", in: info) == .integer(1))
        #expect(rows[0].value("small", in: info) == .integer(Int64(Int16.min)))
        #expect(rows[1].value("whole", in: info) == .integer(Int64(Int32.max)))
        #expect(rows[1].value("dbl", in: info)?.double == 123456789.123456789)
        #expect(rows[0].value("single", in: info)?.double == 1.1)
        #expect(rows[0].value("gid", in: info) == .string("{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}"))
        #expect(rows[0].value("stamp", in: info) == .dateTime(year: 2024, month: 3, day: 15, hour: 0, minute: 0, second: 0, tzFlag: 0))
        #expect(rows[0].value("clock", in: info) == .string("13:45:30.250"))
        #expect(info.fieldIndex("bytes") == nil)
        // Int64 beyond 2^53 exact in the .dbf (width 20 reads back as Real, so check the text).
        let dbf = try Data(contentsOf: dir.appendingPathComponent("sites.dbf"))
        #expect(String(decoding: dbf, as: UTF8.self).contains("9007199254740992"))
        #expect(writer.diagnostics.contains { $0.code == .fieldRenamed && $0.message.contains("descript_1") })
        #expect(writer.diagnostics.contains { $0.code == .timeOfDayDropped && $0.location.field == "stamp" && $0.count == 2 })
        #expect(writer.diagnostics.contains { $0.code == .fieldDropped && $0.location.field == "bytes" && $0.severity == .loss })
    }

    @Test func mixedGeometryTypesGoToOneShapefileEach() throws {
        let dir = try TestPaths.makeTemporaryDirectory("shp-mixed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = LayerSchema(id: 4, name: "mixed", geometryType: .polygon, spatialReference: SpatialReference(wkid: 2227),
                                objectIdField: "OBJECTID", fields: [Field(name: "OBJECTID", type: .objectID)],
                                schemaSource: .layerResource)
        let square = Path(vertices: [Vertex(x: 0, y: 0), Vertex(x: 0, y: 1), Vertex(x: 1, y: 1), Vertex(x: 1, y: 0), Vertex(x: 0, y: 0)])
        let features = [
            PreparedFeature(attributes: [.int64(1)], geometry: PreparedGeometry(.polygons([[square]]))),
            PreparedFeature(attributes: [.int64(2)], geometry: PreparedGeometry(.point(Vertex(x: 5, y: 5)))),
            PreparedFeature(attributes: [.int64(3)], geometry: PreparedGeometry(.lines([Path(vertices: [Vertex(x: 0, y: 0), Vertex(x: 3, y: 4)])]))),
            PreparedFeature(attributes: [.int64(4)], geometry: PreparedGeometry(.point(Vertex(x: 6, y: 6)))),
        ]
        let (_, outputs) = try WriterFixtures.write(ShapefileWriter.self, into: dir, layer: layer, features: features)
        #expect(outputs.map(\.url.lastPathComponent) == ["mixed.shp", "mixed_points.shp", "mixed_polylines.shp"])
        #expect(outputs.map(\.featureCount) == [1, 2, 1])
        let points = try GDALReadDataset(url: dir.appendingPathComponent("mixed_points.shp"))
        #expect(try points.features("mixed_points").map { $0.values[0] } == [.integer(2), .integer(4)])
        let lines = try GDALReadDataset(url: dir.appendingPathComponent("mixed_polylines.shp"))
        #expect(try lines.features("mixed_polylines").first?.geometryLength == 5)
    }

    @Test func tableIsALoneDBF() throws {
        let dir = try TestPaths.makeTemporaryDirectory("shp-table")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = WriterFixtures.allTypesLayer(name: "inspections", geometry: nil)
        let rows = WriterFixtures.allTypesRows.map { PreparedFeature(attributes: $0, geometry: nil) }
        try WriterFixtures.write(ShapefileWriter.self, into: dir, layer: layer, features: rows)
        #expect(TestPaths.entries(dir) == ["inspections.cpg", "inspections.dbf"])
        #expect(try GDALReadDataset(url: dir.appendingPathComponent("inspections.dbf")).features("inspections").count == 3)
    }

    /// GDAL writes the .dbf without its end-of-file marker (DBF_EOF_CHAR=NO, which spares a seek,
    /// a read, another seek and a write per feature) and the writer adds it at close: every
    /// .dbf ends with exactly one 0x1A after its records, shrunk or not, table or layer, empty or not.
    @Test(arguments: [true, false])
    func everyDBFEndsWithOneEndOfFileMarker(withText: Bool) throws {
        let dir = try TestPaths.makeTemporaryDirectory("shp-eof")
        defer { try? FileManager.default.removeItem(at: dir) }
        var layer = WriterFixtures.allTypesLayer(name: "sites")
        var table = WriterFixtures.allTypesLayer(name: "rows", geometry: nil)
        table.id = 1
        var empty = WriterFixtures.allTypesLayer(name: "empty")
        empty.id = 2
        if !withText {
            let numeric = layer.fields.filter { ![.string, .guid, .globalID, .xml, .timeOnly, .timestampOffset].contains($0.type) }
            layer.fields = numeric
            table.fields = numeric
            empty.fields = numeric
            layer.globalIdField = nil
            table.globalIdField = nil
            empty.globalIdField = nil
        }
        func rows(_ schema: LayerSchema, geometry: Bool) -> [PreparedFeature] {
            WriterFixtures.points().map { point in
                let values = schema.fields.map { field in
                    WriterFixtures.allTypesFields.firstIndex { $0.name == field.name }.map { point.attributes[$0] } ?? .null
                }
                return PreparedFeature(attributes: values, geometry: geometry ? point.geometry : nil)
            }
        }
        var request = WriterFixtures.request(dir, layers: [layer, table, empty])
        request.segments = .off
        let writer = try ShapefileWriter(request: request)
        for (schema, features) in [(layer, rows(layer, geometry: true)), (table, rows(table, geometry: false)), (empty, [])] {
            try writer.beginLayer(schema)
            try writer.write(features)
            try writer.endLayer()
        }
        _ = try writer.commit()
        for (name, count) in [("sites", 3), ("rows", 3), ("empty", 0)] {
            let dbf = try [UInt8](Data(contentsOf: dir.appendingPathComponent("\(name).dbf")))
            let headerLength = Int(dbf[8]) | Int(dbf[9]) << 8, recordLength = Int(dbf[10]) | Int(dbf[11]) << 8
            #expect(Int(dbf[4]) == count)
            #expect(dbf.count == headerLength + count * recordLength + 1, "\(name)")
            #expect(dbf.last == 0x1A, "\(name)")
            let file = dir.appendingPathComponent(name == "rows" ? "rows.dbf" : "\(name).shp")
            #expect(try GDALReadDataset(url: file).features(name).count == count)
        }
    }
}
