import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

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
        // A point's WKT needs no quotes (no comma), like every other cell.
        #expect(lines[1].hasPrefix("POINT Z (2.35 48.85 10),1,-32768,-2147483648,9007199254740992,1.1,0.1,"))
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

    /// A point layer's WKT is written by the writer, not GDAL: in every Z/M combination it reads
    /// back through GDAL bit for bit, numbers GDAL would cut to 15 digits included, with nulls,
    /// empty points and NaN M (the CSV stand-in, counted) among them.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func pointWKTReadsBackExactlyInEveryDimension(hasZ: Bool, hasM: Bool) throws {
        let vertices: [Vertex?] = [
            Vertex(x: 0.1 + 0.2, y: -123456789.12345679, z: 1e300, m: .leastNonzeroMagnitude),
            Vertex(x: 1, y: -2, z: 3, m: 4), nil, Vertex(x: .nan, y: .nan),
            Vertex(x: -14625430.236, y: 10423012.108, z: -0.0, m: .nan),
            Vertex(x: 1e15, y: 123456789012345680, z: 0.000123, m: -7.5),
        ]
        let (layer, features) = WriterFixtures.pointLayer(vertices, hasZ: hasZ, hasM: hasM)
        let dir = try TestPaths.makeTemporaryDirectory("csv-point-wkt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (writer, _) = try WriterFixtures.write(CSVWriter.self, into: dir, layer: layer, features: features)
        #expect(TestPaths.entries(dir) == ["pts.csv", "pts.csvt", "pts.prj"])
        let lines = try String(contentsOf: dir.appendingPathComponent("pts.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let tag = hasZ ? (hasM ? "POINT ZM" : "POINT Z") : (hasM ? "POINT M" : "POINT")
        let second = "1 -2" + (hasZ ? " 3" : "") + (hasM ? " 4" : "")
        #expect(lines[2] == "\(tag) (\(second)),2,1,-2" + (hasZ ? ",3" : ""))
        #expect(lines[3] == ",3,," + (hasZ ? "," : ""))
        #expect(try String(contentsOf: dir.appendingPathComponent("pts.csvt"), encoding: .utf8)
                    == "WKT,Integer64,Real,Real" + (hasZ ? ",Real" : "") + "\n")
        #expect(writer.diagnostics.filter { $0.code == .missingMeasureReplaced }.map(\.count) == (hasM ? [1] : []))

        let read = try GDALReadDataset(url: dir.appendingPathComponent("pts.csv")).features("pts")
        try WriterFixtures.expectPoints(read, equal: vertices, hasZ: hasZ, hasM: hasM, missingM: -1e39, "csv")
    }

    /// Lines and polygons (with a hole, several parts) read back from the CSV through GDAL vertex
    /// for vertex, with numbers GDAL's own WKT would cut to 15 digits.
    @Test func linesAndPolygonsReadBackExactly() throws {
        let odd = [0.1 + 0.2, 4028719.3708000034, -13175986.46, 1e-7 / 3, 123456789.12345679]
        func ring(_ at: Double, _ size: Double) -> Path {
            Path(vertices: [Vertex(x: at, y: at), Vertex(x: at, y: at + size), Vertex(x: at + size, y: at + size),
                            Vertex(x: at + size, y: at), Vertex(x: at, y: at)])
        }
        let line = Path(vertices: odd.indices.map { Vertex(x: odd[$0], y: odd[odd.count - 1 - $0]) })
        let cases: [(GeometryType, PreparedGeometry)] = [
            (.polyline, PreparedGeometry(.lines([line, Path(vertices: [Vertex(x: 1, y: 2), Vertex(x: odd[0], y: odd[1])])]))),
            (.polygon, PreparedGeometry(.polygons([[ring(odd[0], odd[1]), ring(odd[0] + 1, 0.5)], [ring(-odd[2], odd[3])]]))),
        ]
        for (type, geometry) in cases {
            let layer = LayerSchema(id: 0, name: "shapes", kind: .featureLayer, geometryType: type,
                                    spatialReference: SpatialReference(wkid: 3857), objectIdField: "OBJECTID",
                                    fields: [Field(name: "OBJECTID", type: .objectID, nullable: false)], schemaSource: .layerResource)
            let dir = try TestPaths.makeTemporaryDirectory("csv-shapes")
            defer { try? FileManager.default.removeItem(at: dir) }
            try WriterFixtures.write(CSVWriter.self, into: dir, layer: layer, features: [
                PreparedFeature(attributes: [.int64(1)], geometry: geometry)])
            let rows = try GDALReadDataset(url: dir.appendingPathComponent("shapes.csv")).features("shapes")
            let back = try #require(try rows.first?.geometryWKB.flatMap { try WKBDecoder.decode($0) })
            switch (geometry.shape, back.shape) {
            case (.lines(let written), .polyline(let read)):
                #expect(read.map(\.vertices) == written.map(\.vertices))
            case (.polygons(let written), .polygon(let read)):
                // The reader turns rings to Esri's orientation: compare each ring either way round.
                let expected = written.flatMap { $0 }.map(\.vertices)
                #expect(read.count == expected.count)
                for (r, w) in zip(read.map(\.vertices), expected) { #expect(r == w || r == Array(w.reversed())) }
            default:
                Issue.record("\(type): read back as \(back.shape)")
            }
        }
    }

    /// A point layer with a field named WKT keeps the field, and GDAL writes the geometry column.
    @Test func aFieldNamedWKTLeavesThePointGeometryToGDAL() throws {
        let layer = LayerSchema(id: 0, name: "pts", kind: .featureLayer, geometryType: .point,
                                spatialReference: SpatialReference(wkid: 4326), objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID, nullable: false),
                                         Field(name: "wkt", type: .string)], schemaSource: .layerResource)
        let dir = try TestPaths.makeTemporaryDirectory("csv-wkt-field")
        defer { try? FileManager.default.removeItem(at: dir) }
        try WriterFixtures.write(CSVWriter.self, into: dir, layer: layer, features: [
            PreparedFeature(attributes: [.int64(1), .string("text")],
                            geometry: PreparedGeometry(.point(Vertex(x: 2.5, y: 3)))),
        ])
        let text = try String(contentsOf: dir.appendingPathComponent("pts.csv"), encoding: .utf8)
        #expect(text.hasPrefix("WKT,OBJECTID,"))
        #expect(text.contains("\"POINT (2.5 3.0)\",1,"))
        let rows = try GDALReadDataset(url: dir.appendingPathComponent("pts.csv")).features("pts")
        #expect(rows.first?.geometryWKT == "POINT (2.5 3.0)")
        #expect(rows.first?.value("wkt_1", in: try GDALReadDataset(url: dir.appendingPathComponent("pts.csv")).layerInfo("pts"))
                    == .string("text") || text.contains(",text"))
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
