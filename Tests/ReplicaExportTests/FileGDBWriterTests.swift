import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

@Suite struct FileGDBWriterTests {
    @Test func everyFieldTypeRoundTripsWithAliasesNullabilityAndOIDs() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdb-types")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = WriterFixtures.allTypesLayer()
        let (writer, outputs) = try WriterFixtures.write(FileGDBWriter.self, into: dir, layer: layer,
                                                         features: WriterFixtures.points())
        #expect(outputs.map(\.url.lastPathComponent) == ["replica.gdb"])
        #expect(outputs.first?.featureCount == 3)
        #expect(TestPaths.entries(dir) == ["replica.gdb"])
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("replica.gdb"))
        let info = try ds.layerInfo("all_types")
        #expect(info.fidColumn == "OBJECTID")
        #expect(info.srsAuthority == "EPSG:4326")
        func field(_ n: String) -> GDALFieldInfo? { info.fields.first { $0.name == n } }
        #expect(field("small")?.subtype == "Int16")
        #expect(field("small")?.alias == "Small number")
        #expect(field("name")?.alias == "Name (ü)")
        #expect(field("name")?.width == 50)
        #expect(field("whole")?.isNullable == false)
        #expect(field("single")?.subtype == "Float32")
        #expect(field("bytes")?.type == "Binary")
        #expect(field("gid")?.type == "String")
        #expect(info.fields.allSatisfy { $0.name != "OBJECTID_" })
        let features = try ds.features("all_types")
        #expect(features.map(\.fid) == [1, 2, 17])  // ObjectIDs preserved as FIDs
        let f0 = features[0], f1 = features[1], f2 = features[2]
        #expect(f0.value("small", in: info) == .integer(Int64(Int16.min)))
        #expect(f1.value("small", in: info) == .integer(Int64(Int16.max)))
        #expect(f0.value("whole", in: info) == .integer(Int64(Int32.min)))
        #expect(f1.value("whole", in: info) == .integer(Int64(Int32.max)))
        #expect(f0.value("big", in: info)?.double == 9_007_199_254_740_992)  // 2^53 fits exactly
        #expect(f0.value("single", in: info)?.double == Double(Float(1.1)))
        #expect(f1.value("dbl", in: info)?.double == 123456789.123456789)
        #expect(f2.value("dbl", in: info)?.double == 1e-300)
        #expect(f0.value("name", in: info) == .string("Zürich 東京 🚀"))
        #expect(f1.value("name", in: info) == .string(""))   // empty string stays empty
        #expect(f2.value("name", in: info) == .null)          // null stays null
        #expect(f0.value("stamp", in: info) == .dateTime(year: 2024, month: 3, day: 15, hour: 13, minute: 45, second: 30, tzFlag: 100))
        // FileGDB read-back quirk (GDAL 3.6.2): dates before 1970 come back one second late.
        // 1968-12-31T23:59:59Z is stored exactly but reads back as 1969-01-01T00:00:00.
        if case .dateTime(let y, _, _, _, _, let s, _)? = f1.value("stamp", in: info) {
            #expect((y == 1968 && s == 59) || (y == 1969 && s == 0))
        } else { Issue.record("pre-1970 date missing") }
        #expect(f0.value("clock", in: info) == .string("13:45:30.250"))
        #expect(f0.value("offsetted", in: info) == .string("2024-03-15T15:45:30.250+02:00"))
        // GUID and GlobalID values kept exactly, upper case in braces: no regeneration.
        #expect(f0.value("gid", in: info) == .string("{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}"))
        #expect(f0.value("GlobalID", in: info) == .string("{A1B2C3D4-E5F6-4789-ABCD-EF0123456789}"))
        #expect(f2.value("GlobalID", in: info) == .string("{ABCDEFAB-CDEF-ABCD-EFAB-CDEFABCDEF03}"))
        #expect(f0.value("bytes", in: info) == .binary([0, 1, 2, 254, 255]))
        #expect(f0.value("doc", in: info) == .string("<a>x</a>"))
        // Coordinates snap to the FileGDB grid (1e-9 degrees for geographic systems).
        if let wkb = f0.geometryWKB, wkb.count == 21 {
            let x = wkb.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 5, as: Double.self) }
            #expect(abs(x - 2.35) < 1e-9)
        } else { Issue.record("no point geometry") }
        // Diagnostics: milliseconds dropped, TimeOnly as text.
        #expect(writer.diagnostics.contains { $0.code == .millisecondsDropped && $0.location.field == "stamp" && $0.count == 1 })
        #expect(writer.diagnostics.contains { $0.code == .typeChanged && $0.location.field == "clock" })
    }

    @Test func bigIntegerBeyond53BitsIsRoundedAndReported() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdb-big")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = LayerSchema(id: 1, name: "t", kind: .table, objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID), Field(name: "big", type: .bigInteger)],
                                schemaSource: .layerResource)
        let (writer, _) = try WriterFixtures.write(FileGDBWriter.self, into: dir, layer: layer, features: [
            PreparedFeature(attributes: [.int64(1), .int64(1 << 62)], geometry: nil),  // a power of two: exact
            PreparedFeature(attributes: [.int64(2), .int64((1 << 53) + 1)], geometry: nil),
            PreparedFeature(attributes: [.int64(3), .int64(-(1 << 60) - 1)], geometry: nil),
        ])
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("replica.gdb"))
        let info = try ds.layerInfo("t")
        #expect(info.fields.first { $0.name == "big" }?.type == "Real")  // GDAL 3.6.2: a Double column
        let values: [Double?] = try ds.features("t").map { $0.value("big", in: info)?.double }
        let inputs: [Int64] = [1 << 62, (1 << 53) + 1, -(1 << 60) - 1]
        #expect(values == inputs.map { Double($0) })
        let loss = try #require(writer.diagnostics.first { $0.code == .integerRounded })
        #expect(loss.count == 2 && loss.location.objectID == 2 && loss.location.featureIndex == 1
                && loss.location.field == "big" && loss.severity == .loss)
    }

    @Test func datesRoundToTheNearestSecond() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdb-dates")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = LayerSchema(id: 1, name: "t", kind: .table, objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID), Field(name: "when", type: .date)],
                                schemaSource: .layerResource)
        // 08.6 s, 08.4 s, 08.5 s, and before 1970 -0.6 s.
        let stamps: [Int64] = [1_710_510_308_600, 1_710_510_308_400, 1_710_510_308_500, -600]
        let (writer, _) = try WriterFixtures.write(FileGDBWriter.self, into: dir, layer: layer,
            features: stamps.enumerated().map { PreparedFeature(attributes: [.int64(Int64($0.offset + 1)), .date(milliseconds: $0.element)], geometry: nil) })
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("replica.gdb"))
        let info = try ds.layerInfo("t")
        let seconds = try ds.features("t").map { feature -> Float? in
            if case .dateTime(_, _, _, _, _, let s, _)? = feature.value("when", in: info) { return s } else { return nil }
        }
        // 09, 08, 09; -0.6 s is 1969-12-31T23:59:59 (read back one second late: FORMATS.md).
        #expect(seconds.prefix(3) == [9, 8, 9])
        #expect(writer.diagnostics.first { $0.code == .millisecondsDropped }?.count == 4)
    }

    @Test func repeatedObjectIDsGetNewIDsWithoutTakingGenuineOnes() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdb-dupfid")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = LayerSchema(id: 1, name: "dups", kind: .table, objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID), Field(name: "label", type: .string)],
                                schemaSource: .layerResource)
        // 5 repeats; 0 is no valid FID; 6 comes after the repeat and must keep its ObjectID.
        let rows: [(Int64, String)] = [(5, "a"), (2, "b"), (5, "c"), (0, "d"), (6, "e"), (3, "f")]
        let (writer, outputs) = try WriterFixtures.write(FileGDBWriter.self, into: dir, layer: layer,
            features: rows.map { PreparedFeature(attributes: [.int64($0.0), .string($0.1)], geometry: nil) })
        #expect(outputs.first?.featureCount == 6)
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("replica.gdb"))
        let read = try ds.features("dups")
        var byLabel: [String: Int64] = [:]
        for feature in read { if case .string(let label) = feature.values.last { byLabel[label] = feature.fid } }
        #expect(byLabel.count == 6)
        #expect(byLabel["a"] == 5 && byLabel["b"] == 2 && byLabel["e"] == 6 && byLabel["f"] == 3)
        #expect(byLabel["c"] == 7 && byLabel["d"] == 8)  // new ids above every genuine one
        #expect(writer.diagnostics.contains { $0.code == .objectIDReassigned && $0.count == 2 })
    }

    @Test func aGeometryGDALRefusesIsWrittenNullAndReported() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdb-refusal")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A coordinate far below the grid origin of a geographic FileGDB cannot be encoded: GDAL
        // refuses the feature; it is written again without its geometry (issue 23), and reported.
        let layer = LayerSchema(id: 1, name: "far", geometryType: .point,
                                spatialReference: SpatialReference(wkid: 4326), objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID)], schemaSource: .layerResource)
        let point = { (x: Double) in PreparedGeometry(.point(Vertex(x: x, y: 10))) }
        let (writer, outputs) = try WriterFixtures.write(FileGDBWriter.self, into: dir, layer: layer,
                                                         features: [PreparedFeature(attributes: [.int64(1)], geometry: point(10)),
                                                                    PreparedFeature(attributes: [.int64(2)], geometry: point(-1e15)),
                                                                    PreparedFeature(attributes: [.int64(3)], geometry: point(11))])
        #expect(outputs.first?.featureCount == 3)
        let refused = try #require(writer.diagnostics.first { $0.code == .geometryRefused })
        #expect(refused.severity == .loss && refused.count == 1 && refused.message.contains("refused"), "\(refused)")
        #expect(refused.location.layer == "far" && refused.location.featureIndex == 1 && refused.location.objectID == 2)
        let read = try GDALReadDataset(url: dir.appendingPathComponent("replica.gdb")).features("far")
        #expect(read.map(\.fid) == [1, 2, 3])
        #expect(read.map { $0.geometryWKT == nil } == [false, true, false])
    }

    @Test func domainsAreAttachedToFields() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdb-domains")
        defer { try? FileManager.default.removeItem(at: dir) }
        let coded = Domain.codedValue(name: "Status", codes: [CodedValue(code: .int16(1), name: "Open"),
                                                              CodedValue(code: .int16(2), name: "Closed")])
        let range = Domain.range(name: "Depth", minimum: .float64(0), maximum: .float64(100.5))
        let layer = LayerSchema(id: 2, name: "wells", kind: .table, objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID),
                                         Field(name: "status", type: .smallInteger, domain: coded),
                                         Field(name: "status2", type: .smallInteger, domain: coded),
                                         Field(name: "depth", type: .double, domain: range)],
                                schemaSource: .layerResource)
        try WriterFixtures.write(FileGDBWriter.self, into: dir, layer: layer,
                                 features: [PreparedFeature(attributes: [.int64(5), .int16(1), .int16(2), .float64(3.5)], geometry: nil)])
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("replica.gdb"))
        let domains = ds.fieldDomains().sorted { $0.name < $1.name }
        #expect(domains.map(\.name) == ["Depth", "Status"])
        #expect(domains.last?.codes.map(\.code) == ["1", "2"])
        #expect(domains.last?.codes.map(\.value) == ["Open", "Closed"])
        #expect(domains.first?.kind == .range)
        #expect(domains.first?.maximum == "100.5")
        let info = try ds.layerInfo("wells")
        #expect(info.fields.map(\.domainName) == ["Status", "Status", "Depth"])
        #expect(try ds.features("wells").map(\.fid) == [5])
    }

    @Test func curvesStayCurvesWithExactArea() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdb-curves")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = LayerSchema(id: 3, name: "parcels", geometryType: .polygon, hasZ: true,
                                spatialReference: SpatialReference(wkid: 4326), objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID)], schemaSource: .layerResource)
        // A half disc of radius 1 (area pi/2) and a square with a hole (area 100 - 36).
        let halfDisc = Path(vertices: [Vertex(x: 0, y: 0, z: 1), Vertex(x: 2, y: 0, z: 1), Vertex(x: 0, y: 0, z: 1)],
                            curves: [CurveSegment(index: 1, kind: .circularArc(interior: XY(x: 1, y: 1)))])
        let outer = Path(vertices: [Vertex(x: 10, y: 10), Vertex(x: 20, y: 10), Vertex(x: 20, y: 20), Vertex(x: 10, y: 20), Vertex(x: 10, y: 10)])
        let hole = Path(vertices: [Vertex(x: 12, y: 12), Vertex(x: 12, y: 18), Vertex(x: 18, y: 18), Vertex(x: 18, y: 12), Vertex(x: 12, y: 12)])
        try WriterFixtures.write(FileGDBWriter.self, into: dir, layer: layer, features: [
            PreparedFeature(attributes: [.int64(1)], geometry: PreparedGeometry(.polygons([[halfDisc]]), hasZ: true)),
            PreparedFeature(attributes: [.int64(2)], geometry: PreparedGeometry(.polygons([[outer, hole]]), hasZ: true)),
        ])
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("replica.gdb"))
        let features = try ds.features("parcels")
        // FileGDB stores rings clockwise: the ring reads back reversed, the arc intact.
        #expect(features[0].geometryHasCurves)
        #expect(features[0].geometryTypeName == "3D Multi Surface")
        #expect(abs((features[0].geometryArea ?? 0) - Double.pi / 2) < 1e-12)
        #expect(features[0].geometryWKT?.contains("CIRCULARSTRING Z (0 0 1,1 1 1,2 0 1)") == true,
                "\(features[0].geometryWKT ?? "")")
        #expect(features[1].geometryArea == 64)
        #expect(features[1].geometryTypeName == "3D Multi Polygon")
    }

    @Test func geometryDimensionsAndTablesInOneGeodatabase() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gdb-dims")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = LayerSchema(id: 0, name: "lines", geometryType: .polyline, hasZ: true, hasM: true,
                                spatialReference: SpatialReference(wkid: 102100, latestWkid: 3857), objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID)], schemaSource: .layerResource)
        let table = LayerSchema(id: 1, name: "notes", kind: .table, objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID), Field(name: "text", type: .string)],
                                schemaSource: .layerResource)
        let writer = try FileGDBWriter(request: WriterFixtures.request(dir, layers: [lines, table]))
        try writer.beginLayer(lines)
        try writer.write([PreparedFeature(attributes: [.int64(3)], geometry: PreparedGeometry(
            .lines([Path(vertices: [Vertex(x: 0, y: 0, z: 1, m: 2), Vertex(x: 100, y: 50, z: 3, m: 4)])]), hasZ: true, hasM: true))])
        try writer.endLayer()
        try writer.beginLayer(table)
        try writer.write([PreparedFeature(attributes: [.int64(9), .string("hi")], geometry: nil)])
        try writer.endLayer()
        // Until commit, the final name does not exist.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("replica.gdb").path))
        let outputs = try writer.commit()
        #expect(outputs.map(\.layerName) == ["lines", "notes"])
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("replica.gdb"))
        #expect(Set(ds.layerNames) == ["lines", "notes"])
        let lineInfo = try ds.layerInfo("lines")
        #expect(lineInfo.geometryTypeName == "3D Measured Multi Line String")
        #expect(lineInfo.srsAuthority == "EPSG:3857")
        #expect(try ds.features("lines").first?.geometryWKT == "MULTILINESTRING ZM ((0 0 1 2,100 50 3 4))")
        #expect(try ds.layerInfo("notes").geometryTypeName == "None")
        #expect(try ds.features("notes").map(\.fid) == [9])
    }
}
