import Foundation
import Testing
@testable import ReplicaExport

@Suite struct CSVWriterTests {
    @Test func pointsGetWKTAndXYZWithISODatesAndExactNumbers() throws {
        let dir = try TestPaths.makeTemporaryDirectory("csv-points")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = WriterFixtures.allTypesLayer(name: "sites", hasZ: true)
        try WriterFixtures.write(CSVWriter.self, into: dir, layer: layer, features: WriterFixtures.points(hasZ: true))
        #expect(TestPaths.entries(dir) == ["sites.csv", "sites.csvt", "sites.prj"])
        let text = try String(contentsOf: dir.appendingPathComponent("sites.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .newlines) }
        #expect(lines[0] == "WKT,OBJECTID,small,whole,big,single,dbl,name,stamp,day,clock,offsetted,gid,GlobalID,bytes,doc,X,Y,Z")
        #expect(lines[1].hasPrefix("\"POINT Z (2.35 48.85 10)\",1,-32768,-2147483648,9007199254740992,1.1,0.1,"))
        #expect(lines[1].contains("2024-03-15T13:45:30.250Z,2024-03-15,13:45:30.250,2024-03-15T15:45:30.250+02:00"))
        #expect(lines[1].contains("AAEC/v8="))
        #expect(lines[1].hasSuffix(",2.35,48.85,10"))
        #expect(lines[2].contains("123456789.12345679"))
        #expect(lines[3].contains("1e-300"))
        let csvt = try String(contentsOf: dir.appendingPathComponent("sites.csvt"), encoding: .utf8)
        #expect(csvt.hasPrefix("WKT,Integer64,Integer(Int16),Integer,Integer64,Real(Float32),Real,String,DateTime,Date,Time,DateTime"))
        // Read back through GDAL: the .csvt gives types back, the numbers are exact.
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("sites.csv"))
        let info = try ds.layerInfo("sites")
        let rows = try ds.features("sites")
        #expect(rows[1].value("dbl", in: info) == .real(123456789.123456789))
        #expect(rows[2].value("dbl", in: info) == .real(1e-300))
        #expect(rows[0].value("big", in: info) == .integer(9_007_199_254_740_992))
        #expect(rows[0].value("name", in: info) == .string("Zürich 東京 🚀"))
    }

    @Test func curvedWKTIsKept() throws {
        let dir = try TestPaths.makeTemporaryDirectory("csv-curves")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = LayerSchema(id: 1, name: "arcs", geometryType: .polyline, hasM: true, objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID)], schemaSource: .layerResource)
        let path = Path(vertices: [Vertex(x: 0, y: 0, m: 1), Vertex(x: 2, y: 0, m: 3)],
                        curves: [CurveSegment(index: 0, kind: .circularArc(interior: XY(x: 1, y: 1)))])
        try WriterFixtures.write(CSVWriter.self, into: dir, layer: layer, features: [
            PreparedFeature(attributes: [.int64(1)], geometry: PreparedGeometry(.lines([path]), hasM: true))])
        let text = try String(contentsOf: dir.appendingPathComponent("arcs.csv"), encoding: .utf8)
        #expect(text.contains("MULTICURVE M (COMPOUNDCURVE M (CIRCULARSTRING M (0 0 1,1 1 2,2 0 3)))"))
    }

    @Test func existingOutputWithoutOverwriteThrowsBeforeWriting() throws {
        let dir = try TestPaths.makeTemporaryDirectory("csv-exists")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "old".write(to: dir.appendingPathComponent("sites.csv"), atomically: true, encoding: .utf8)
        let layer = WriterFixtures.allTypesLayer(name: "sites")
        let writer = try CSVWriter(request: WriterFixtures.request(dir, layers: [layer]))
        #expect { try writer.beginLayer(layer) } throws: { ($0 as? ReplicaExportError)?.code == .outputExists }
        writer.abort()
        #expect(TestPaths.entries(dir) == ["sites.csv"])
        #expect(try String(contentsOf: dir.appendingPathComponent("sites.csv"), encoding: .utf8) == "old")
        // With overwrite, the old output is replaced only at commit.
        let replacing = try CSVWriter(request: WriterFixtures.request(dir, layers: [layer], overwrite: true))
        try replacing.beginLayer(layer)
        try replacing.write(WriterFixtures.points())
        try replacing.endLayer()
        #expect(try String(contentsOf: dir.appendingPathComponent("sites.csv"), encoding: .utf8) == "old")
        _ = try replacing.commit()
        #expect(try String(contentsOf: dir.appendingPathComponent("sites.csv"), encoding: .utf8).hasPrefix("WKT,"))
        #expect(TestPaths.entries(dir) == ["sites.csv", "sites.csvt", "sites.prj"])
    }

    @Test func abortLeavesNothingAndFinalNameAbsentWhileWriting() throws {
        let dir = try TestPaths.makeTemporaryDirectory("csv-abort")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = WriterFixtures.allTypesLayer(name: "sites")
        let writer = try CSVWriter(request: WriterFixtures.request(dir, layers: [layer]))
        try writer.beginLayer(layer)
        try writer.write(WriterFixtures.points())
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("sites.csv").path))
        #expect(TestPaths.entries(dir).allSatisfy { $0.hasPrefix(".sites.csv.partial-") })
        writer.abort()
        #expect(TestPaths.entries(dir).isEmpty)
    }
}
