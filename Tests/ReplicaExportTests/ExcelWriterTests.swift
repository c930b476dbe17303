import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// Excel: one workbook, a sheet per layer and table with typed cells, read back through GDAL's
/// XLSX driver as verify reads it; sheet names within Excel's rules, layers longer than a sheet
/// continued, and what a workbook cannot hold reported.
@Suite struct ExcelWriterTests {
    static func read(_ xlsx: URL) throws -> GDALReadDataset {
        try GDALReadDataset(url: xlsx, options: ExcelFormat.profile.readBack.open)
    }

    static let oid = Field(name: "OBJECTID", type: .objectID)

    static func pointLayer(_ name: String, id: Int = 0, hasZ: Bool = false) -> LayerSchema {
        LayerSchema(id: id, name: name, geometryType: .point, hasZ: hasZ, spatialReference: SpatialReference(wkid: 3857),
                    objectIdField: "OBJECTID", fields: [oid], schemaSource: .layerResource)
    }

    static func points(_ count: Int, hasZ: Bool = false) -> [Feature] {
        (0..<count).map { i in
            Feature(attributes: [.int64(Int64(i + 1))],
                    geometry: Geometry(.point(Vertex(x: 1000 + Double(i), y: 2000.5, z: 7)), hasZ: hasZ))
        }
    }

    @Test func cellsAreTypedAndPointsHaveXYZColumns() throws {
        let dir = try TestPaths.makeTemporaryDirectory("excel-types")
        defer { try? FileManager.default.removeItem(at: dir) }
        var rows = WriterFixtures.allTypesRows
        rows[0][6] = .string("Zürich\u{1} 東京\r\n🚀")         // a control character, CR LF
        rows[1][5] = .float64(0.30000000000000004)            // 17 digits: GDAL writes 16
        rows[1][3] = .int64(9_007_199_254_740_993)            // 2^53 + 1: an Excel number is a double
        let layer = WriterFixtures.allTypesLayer(name: "sites", hasZ: true, wkid: 26912)
        let features = FormatFixtures.features(rows, at: [Vertex(x: 500_000.25, y: 4_000_000.5, z: 12),
                                                          Vertex(x: 500_001, y: 4_000_001, z: -1), nil], hasZ: true)
        let (report, source) = try FormatFixtures.export([layer], [features], format: "excel", into: dir)
        #expect(report.failures.isEmpty)
        let xlsx = dir.appendingPathComponent("excel/replica.xlsx")
        #expect(report.outputs["excel"]?.map(\.url) == [xlsx])
        #expect(TestPaths.entries(dir.appendingPathComponent("excel")) == ["replica.xlsx"])

        let ds = try Self.read(xlsx)
        #expect(ds.layerNames == ["sites"])
        let info = try ds.layerInfo("sites")
        #expect(info.fields.map(\.name) == WriterFixtures.allTypesFields.map(\.name) + ["X", "Y", "Z"])
        func type(_ name: String) -> String? { info.fields.first { $0.name == name }?.type }
        #expect(type("whole") == "Integer" && type("big") == "Integer64" && type("dbl") == "Real" && type("stamp") == "DateTime"
                && type("day") == "Date" && type("clock") == "Time" && type("offsetted") == "String" && type("X") == "Real")
        let read = try ds.features("sites")
        try #require(read.count == 3)
        #expect(read[0].value("stamp", in: info) == .dateTime(year: 2024, month: 3, day: 15, hour: 13, minute: 45, second: 30.25, tzFlag: 0))
        #expect(read[0].value("day", in: info)?.description.hasPrefix("2024-3-15") == true)
        #expect(read[0].value("name", in: info) == .string("Zürich 東京\n🚀"))
        #expect(read[0].value("single", in: info) == .real(1.1))
        #expect(read[1].value("dbl", in: info) == .real(0.3))
        #expect(read[0].value("offsetted", in: info) == .string("2024-03-15T15:45:30.250+02:00"))
        #expect(read[0].value("bytes", in: info) == .string("AAEC/v8="))
        // A column of whole numbers reads back as integers.
        #expect(read[0].value("X", in: info) == .real(500_000.25) && read[0].value("Z", in: info)?.double == 12)
        #expect(read[2].value("X", in: info) == .null)
        // Reported: the doubles rounded, the integer beyond 2^53, the date before March 1900,
        // the text changed, the coordinate system the workbook cannot name.
        func only(_ code: Diagnostic.Code) -> Diagnostic? {
            let found = FormatFixtures.diagnostics(report, "excel", code)
            #expect(found.count == 1, "\(code): \(found)")
            return found.first
        }
        #expect(only(.realRounded)?.location.objectID == 2 && only(.realRounded)?.location.field == "dbl")
        #expect(only(.integerRounded)?.location.field == "big")
        #expect(only(.dateOutOfRange)?.location.field == "day" && only(.dateOutOfRange)?.count == 1)
        #expect(only(.textChanged)?.location.objectID == 1)
        #expect(only(.spatialReferenceNotStored)?.severity == .warning)
        let verification = try FormatFixtures.verify(source, format: "excel", in: dir)
        #expect(verification.passed, "\(verification)")
        #expect(verification.layers.first?.verticesCompared == 2)
    }

    /// Sheet names: Excel's 31 characters, none of `[]:*?/\`, no apostrophe first or last,
    /// unique; lines and polygons get a WKT column.
    @Test func sheetNamesFollowExcelsRules() throws {
        let dir = try TestPaths.makeTemporaryDirectory("excel-names")
        defer { try? FileManager.default.removeItem(at: dir) }
        let long = "A very long layer name, longer than any sheet name"
        let lines = LayerSchema(id: 2, name: "'[plan]: a/b?'", geometryType: .polyline, spatialReference: SpatialReference(wkid: 3857),
                                objectIdField: "OBJECTID", fields: [Self.oid], schemaSource: .layerResource)
        let layers = [Self.pointLayer(long + " one", id: 0), Self.pointLayer(long + " two", id: 1), lines,
                      Self.pointLayer("History", id: 3)]
        let line = Feature(attributes: [.int64(1)], geometry: Geometry(.polyline([Path(vertices: [Vertex(x: 1, y: 2), Vertex(x: 3, y: 4.5)])])))
        let (report, source) = try FormatFixtures.export(layers, [Self.points(1), Self.points(1), [line], Self.points(1)],
                                                         format: "excel", into: dir)
        #expect(report.failures.isEmpty)
        let ds = try Self.read(dir.appendingPathComponent("excel/replica.xlsx"))
        let names = ds.layerNames
        #expect(names == ["A very long layer name, longer ", "A very long layer name, longe_1", "_plan__ a_b_", "History_1"])
        #expect(names.allSatisfy { $0.utf16.count <= 31 })
        #expect(FormatFixtures.diagnostics(report, "excel", .layerRenamed).count == 4)
        let plan = try ds.layerInfo("_plan__ a_b_")
        #expect(plan.fields.map(\.name) == ["WKT", "OBJECTID"])
        #expect(try ds.features("_plan__ a_b_").first?.value("WKT", in: plan) == .string("MULTILINESTRING ((1 2,3 4.5))"))
        #expect(try FormatFixtures.verify(source, format: "excel", in: dir).passed)
    }

    /// A layer longer than a sheet continues on `<name> (2)`, ... (here with a sheet of 10 rows),
    /// said in the report; verify finds every feature across the sheets.
    @Test func aLayerLongerThanASheetContinues() throws {
        let dir = try TestPaths.makeTemporaryDirectory("excel-split")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layers = [Self.pointLayer("sites", id: 0, hasZ: true), Self.pointLayer("sites (2)", id: 1)]
        try WriterProfile.$featuresPerLayerOverride.withValue(10) {
            let (report, source) = try FormatFixtures.export(layers, [Self.points(25, hasZ: true), Self.points(3)],
                                                             format: "excel", into: dir)
            #expect(report.failures.isEmpty)
            #expect(report.featuresWritten(format: "excel") == 28)
            let ds = try Self.read(dir.appendingPathComponent("excel/replica.xlsx"))
            // The second layer's own name was taken by the first's continuation.
            #expect(ds.layerNames == ["sites", "sites (2)", "sites (3)", "sites (2)_1"])
            #expect(try ds.layerNames.map { try ds.layerInfo($0).featureCount } == [10, 10, 5, 3])
            let continued = FormatFixtures.diagnostics(report, "excel", .layerContinued)
            #expect(continued.count == 1 && continued.first?.count == 2 && continued.first?.location.layer == "sites")
            #expect(continued.first?.message.contains("'sites (2)', 'sites (3)'") == true)
            let verification = try FormatFixtures.verify(source, format: "excel", in: dir)
            #expect(verification.passed, "\(verification)")
            #expect(verification.layers.map(\.featuresOut) == [25, 3])
        }
    }

    /// A geometry whose WKT is longer than a cell's 32,767 characters is not written, and the run
    /// says so; a longer text is cut to a cell; strict refuses both.
    @Test func whatACellCannotHoldIsReported() throws {
        let dir = try TestPaths.makeTemporaryDirectory("excel-cell")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = LayerSchema(id: 0, name: "roads", geometryType: .polyline, spatialReference: SpatialReference(wkid: 3857),
                                objectIdField: "OBJECTID", fields: [Self.oid, Field(name: "note", type: .string)],
                                schemaSource: .layerResource)
        let long = Path(vertices: (0..<2000).map { Vertex(x: 500_000.123456789 + Double($0), y: 4_000_000.987654321) })
        let short = Path(vertices: [Vertex(x: 1, y: 2), Vertex(x: 3, y: 4)])
        let features = [Feature(attributes: [.int64(5), .string("short")], geometry: Geometry(.polyline([short]))),
                        Feature(attributes: [.int64(6), .string(String(repeating: "é", count: 40_000))],
                                geometry: Geometry(.polyline([long])))]
        let (report, source) = try FormatFixtures.export([layer], [features], format: "excel", into: dir)
        #expect(report.failures.isEmpty)
        let omitted = FormatFixtures.diagnostics(report, "excel", .geometryOmitted)
        #expect(omitted.count == 1 && omitted.first?.count == 1 && omitted.first?.location.objectID == 6
                && omitted.first?.severity == .loss)
        let cut = FormatFixtures.diagnostics(report, "excel", .valueTruncated)
        #expect(cut.count == 1 && cut.first?.location.field == "note" && cut.first?.location.objectID == 6)
        let ds = try Self.read(dir.appendingPathComponent("excel/replica.xlsx"))
        let info = try ds.layerInfo("roads")
        let read = try ds.features("roads")
        #expect(read[1].value("WKT", in: info) == .null)
        #expect(read[1].value("note", in: info) == .string(String(repeating: "é", count: 32_767)))
        #expect(try FormatFixtures.verify(source, format: "excel", in: dir).passed)
        #expect(throws: ReplicaExportError.self) {
            _ = try FormatFixtures.export([layer], [features], format: "excel", into: dir.appendingPathComponent("strict"), strict: true)
        }
    }

    /// An empty layer's sheet has no header row (GDAL writes one above rows only): said, and
    /// verify expects no layer GDAL could read.
    @Test func anEmptyLayerIsSaidToHaveNoColumns() throws {
        let dir = try TestPaths.makeTemporaryDirectory("excel-empty")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (report, source) = try FormatFixtures.export([Self.pointLayer("full"), Self.pointLayer("empty", id: 1)],
                                                         [Self.points(2), []], format: "excel", into: dir)
        let said = FormatFixtures.diagnostics(report, "excel", .columnsNotWritten)
        #expect(said.count == 1 && said.first?.location.layer == "empty" && said.first?.severity == .warning)
        #expect(try FormatFixtures.verify(source, format: "excel", in: dir).passed)
    }
}
