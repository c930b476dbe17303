import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// GeoPackage: the format added through a profile alone. Everything it can hold is read back
/// through GDAL and compared with what went in.
@Suite struct GeoPackageWriterTests {
    @Test func everyFieldTypeRoundTripsExactly() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gpkg-types")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = WriterFixtures.allTypesLayer(hasZ: true, hasM: true)
        var rows = WriterFixtures.points(hasZ: true, hasM: true)
        rows[1].attributes[3] = .int64(9_007_199_254_740_993)  // 2^53 + 1: exact in GeoPackage
        let (writer, outputs) = try WriterFixtures.write(GeoPackageWriter.self, into: dir, layer: layer, features: rows)
        #expect(outputs.map(\.url.lastPathComponent) == ["replica.gpkg"])
        #expect(TestPaths.entries(dir) == ["replica.gpkg"])
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("replica.gpkg"))
        let info = try ds.layerInfo("all_types")
        #expect(info.fidColumn == "OBJECTID")
        #expect(info.srsAuthority == "EPSG:4326")
        #expect(info.geometryTypeName == "3D Measured Point")
        func field(_ n: String) -> GDALFieldInfo? { info.fields.first { $0.name == n } }
        #expect(field("small")?.subtype == "Int16")
        #expect(field("whole")?.isNullable == false)
        #expect(field("single")?.subtype == "Float32")
        #expect(field("big")?.type == "Integer64")
        #expect(field("stamp")?.type == "DateTime")
        #expect(field("bytes")?.type == "Binary")
        let features = try ds.features("all_types")
        #expect(features.map(\.fid) == [1, 2, 17])  // ObjectIDs are the FIDs
        let f0 = features[0], f1 = features[1], f2 = features[2]
        #expect(f1.value("big", in: info) == .integer(9_007_199_254_740_993))
        #expect(f0.value("single", in: info)?.double == Double(Float(1.1)))
        #expect(f2.value("dbl", in: info)?.double == 1e-300)
        #expect(f0.value("name", in: info) == .string("Zürich 東京 🚀"))
        #expect(f2.value("name", in: info) == .null)
        // Milliseconds are kept: 13:45:30.250 UTC.
        #expect(f0.value("stamp", in: info) == .dateTime(year: 2024, month: 3, day: 15, hour: 13, minute: 45, second: 30.25, tzFlag: 100))
        #expect(f0.value("clock", in: info) == .string("13:45:30.250"))
        #expect(f0.value("offsetted", in: info) == .string("2024-03-15T15:45:30.250+02:00"))
        // GUIDs as the replica gave them.
        #expect(f0.value("GlobalID", in: info) == .string("a1b2c3d4-e5f6-4789-abcd-ef0123456789"))
        #expect(f0.value("bytes", in: info) == .binary([0, 1, 2, 254, 255]))
        #expect(f1.value("bytes", in: info) == .binary([]))
        #expect(f0.geometryWKT == "POINT ZM (2.35 48.85 10 5)")
        // Nothing lost, so nothing to report but the two types kept as text.
        #expect(Set(writer.diagnostics.map(\.code)) == [.typeChanged])
    }

    @Test func domainsCurvesAndRepeatedObjectIDs() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gpkg-curves")
        defer { try? FileManager.default.removeItem(at: dir) }
        let coded = Domain.codedValue(name: "Status", codes: [CodedValue(code: .int16(1), name: "Open"),
                                                              CodedValue(code: .int16(2), name: "Closed")])
        let range = Domain.range(name: "Depth", minimum: .float64(0), maximum: .float64(100.5))
        let layer = LayerSchema(id: 3, name: "parcels", geometryType: .polygon, hasZ: true, hasM: true,
                                spatialReference: SpatialReference(wkid: 102100, latestWkid: 3857), objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID),
                                         Field(name: "status", type: .smallInteger, domain: coded),
                                         Field(name: "depth", type: .double, domain: range)],
                                schemaSource: .layerResource)
        // A half disc of radius 1 (area pi/2) with a missing M, and a square; ObjectID 4 repeats.
        let halfDisc = Path(vertices: [Vertex(x: 0, y: 0, z: 1, m: .nan), Vertex(x: 2, y: 0, z: 1, m: 2),
                                       Vertex(x: 0, y: 0, z: 1, m: .nan)],
                            curves: [CurveSegment(index: 1, kind: .circularArc(interior: XY(x: 1, y: 1)))])
        let square = Path(vertices: [Vertex(x: 10, y: 10, z: 0, m: 0), Vertex(x: 20, y: 10, z: 0, m: 0),
                                     Vertex(x: 20, y: 20, z: 0, m: 0), Vertex(x: 10, y: 20, z: 0, m: 0),
                                     Vertex(x: 10, y: 10, z: 0, m: 0)])
        let (writer, _) = try WriterFixtures.write(GeoPackageWriter.self, into: dir, layer: layer, features: [
            PreparedFeature(attributes: [.int64(4), .int16(1), .float64(3.5)],
                            geometry: PreparedGeometry(.polygons([[halfDisc]]), hasZ: true, hasM: true)),
            PreparedFeature(attributes: [.int64(4), .int16(2), .null],
                            geometry: PreparedGeometry(.polygons([[square]]), hasZ: true, hasM: true)),
        ], keepsCircularArcs: true)
        let ds = try GDALReadDataset(url: dir.appendingPathComponent("replica.gpkg"))
        let domains = ds.fieldDomains().sorted { $0.name < $1.name }
        #expect(domains.map(\.name) == ["Depth", "Status"])
        #expect(domains.last?.codes.map(\.value) == ["Open", "Closed"])
        #expect(domains.first?.kind == .range && domains.first?.maximum == "100.5")
        let info = try ds.layerInfo("parcels")
        #expect(info.fields.map(\.domainName) == ["Status", "Depth"])
        #expect(info.geometryTypeName == "3D Measured Multi Surface")
        let features = try ds.features("parcels")
        #expect(features.map(\.fid) == [4, 5])  // the repeated ObjectID got the next free id
        #expect(writer.diagnostics.contains { $0.code == .objectIDReassigned && $0.count == 1 })
        #expect(features[0].geometryHasCurves)
        // The arc itself, its interior point's M interpolated from the ends (NaN stays NaN); GDAL 3.6.2
        // linearises counter-clockwise curve rings at 4 degrees for GetArea, hence the loose area check.
        #expect(features[0].geometryWKT
                == "MULTISURFACE ZM (CURVEPOLYGON ZM (COMPOUNDCURVE ZM ((0 0 1 nan,2 0 1 2),CIRCULARSTRING ZM (2 0 1 2,1 1 1 nan,0 0 1 nan))))")
        #expect(abs((features[0].geometryArea ?? 0) - Double.pi / 2) < 2e-3)
        #expect(features[1].geometryArea == 100)
        #expect(!writer.diagnostics.contains { $0.code == .missingMeasureReplaced })  // NaN M is kept
    }

    // MARK: transactions

    static let labelled: [Field] = [Field(name: "OBJECTID", type: .objectID, nullable: false),
                                    Field(name: "label", type: .string, length: 20)]

    /// Feature `i` of a test layer: ObjectID `i`, label `f<i>`, the point (i, -2i) where `point`.
    static func labelled(_ i: Int, point: Bool) -> PreparedFeature {
        PreparedFeature(attributes: [.int64(Int64(i)), .string("f\(i)")],
                        geometry: point ? PreparedGeometry(.point(Vertex(x: Double(i), y: Double(-2 * i)))) : nil)
    }

    /// The rows of a layer's R-tree (`rtree_<table>_geom`): id and bounds, by id.
    static func rtree(_ url: URL, table: String) throws -> [[Double]] {
        let db = try SQLiteConnection(readOnlyImmutable: url)
        return try db.rows("SELECT id, minx, maxx, miny, maxy FROM rtree_\(table)_geom ORDER BY id") { row in
            [Double(row.int64(0)), row.double(1), row.double(2), row.double(3), row.double(4)]
        }
    }

    /// Features go into transactions of the profile's size (3 here): a layer of 7 written in
    /// batches of 5 and 2 commits after the third and sixth features and, at the end of the layer,
    /// the seventh alone; a table of 4 (one more than a transaction) likewise. Everything is read
    /// back, every feature with its values and point, and the R-tree, built once the rows are in,
    /// has an entry per point.
    @Test func featuresGoInTransactionsAndTheLastPartialOneIsCommitted() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gpkg-transactions")
        defer { try? FileManager.default.removeItem(at: dir) }
        let points = LayerSchema(id: 0, name: "pts", geometryType: .point, spatialReference: SpatialReference(wkid: 3857),
                                 objectIdField: "OBJECTID", fields: Self.labelled, schemaSource: .layerResource)
        let table = LayerSchema(id: 1, name: "notes", kind: .table, objectIdField: "OBJECTID", fields: Self.labelled,
                                schemaSource: .layerResource)
        try WriterProfile.$featuresPerTransactionOverride.withValue(3) {
            let writer = try GeoPackageWriter(request: WriterFixtures.request(dir, layers: [points, table]))
            try writer.beginLayer(points)
            let transactions = try #require(writer.sharedTransactions)
            #expect(transactions.size == 3)
            try writer.write((1...5).map { Self.labelled($0, point: true) })
            #expect(transactions.commits == 1 && transactions.pending == 2 && transactions.dataset.inTransaction)
            try writer.write((6...7).map { Self.labelled($0, point: true) })
            #expect(transactions.commits == 2 && transactions.pending == 1)
            try writer.endLayer()
            #expect(transactions.commits == 3 && transactions.pending == 0 && !transactions.dataset.inTransaction)
            try writer.beginLayer(table)
            try writer.write((1...4).map { Self.labelled($0, point: false) })
            try writer.endLayer()
            #expect(transactions.commits == 5 && !transactions.dataset.inTransaction)
            let outputs = try writer.commit()
            #expect(outputs.map(\.featureCount) == [7, 4])
        }
        let url = dir.appendingPathComponent("replica.gpkg")
        let ds = try GDALReadDataset(url: url)
        let info = try ds.layerInfo("pts")
        let features = try ds.features("pts")
        #expect(features.map(\.fid) == [1, 2, 3, 4, 5, 6, 7])
        #expect(features.map { $0.value("label", in: info)?.string } == (1...7).map { "f\($0)" })
        #expect(features.map(\.geometryWKT) == (1...7).map { "POINT (\($0) \(-2 * $0))" })
        let notes = try ds.layerInfo("notes")
        let rows = try ds.features("notes")
        #expect(rows.map(\.fid) == [1, 2, 3, 4])
        #expect(rows.map { $0.value("label", in: notes)?.string } == (1...4).map { "f\($0)" })
        let entries: [[Double]] = (1...7).map { (i: Int) -> [Double] in
            let x = Double(i), y = Double(-2 * i)
            return [x, x, x, y, y]
        }
        #expect(try Self.rtree(url, table: "pts") == entries)
    }

    /// An abort in the middle of a layer, with one transaction committed and one open, rolls the
    /// open one back and leaves nothing in the output directory.
    @Test func anAbortMidLayerLeavesNothing() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gpkg-abort")
        defer { try? FileManager.default.removeItem(at: dir) }
        let points = LayerSchema(id: 0, name: "pts", geometryType: .point, spatialReference: SpatialReference(wkid: 3857),
                                 objectIdField: "OBJECTID", fields: Self.labelled, schemaSource: .layerResource)
        try WriterProfile.$featuresPerTransactionOverride.withValue(3) {
            let writer = try GeoPackageWriter(request: WriterFixtures.request(dir, layers: [points]))
            try writer.beginLayer(points)
            try writer.write((1...5).map { Self.labelled($0, point: true) })
            let transactions = try #require(writer.sharedTransactions)
            #expect(transactions.commits == 1 && transactions.dataset.inTransaction)
            writer.abort()
            #expect(!transactions.dataset.inTransaction)
        }
        #expect(TestPaths.listing(dir).isEmpty, "left behind: \(TestPaths.listing(dir))")
    }

    /// What a rolled-back transaction held is not in the file; what was committed before it is.
    @Test func aRolledBackTransactionLeavesWhatWasCommittedBefore() throws {
        let dir = try TestPaths.makeTemporaryDirectory("gpkg-rollback")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("t.gpkg")
        let dataset = try GDALOutputDataset(driver: "GPKG", path: url.path, location: ErrorLocation())
        let columns = [GDALColumnSpec(name: "label", type: .string, source: 1, encoding: .string, sourceName: "label")]
        let writer = try dataset.createLayer(name: "pts", spatialReference: SpatialReference(wkid: 3857),
                                             geometry: GDALGeometrySpec(kind: .point), options: [], columns: columns,
                                             fidSource: 0, at: ErrorLocation())
        let transactions = TransactionBatches(dataset: dataset, size: 2)
        writer.transactions = transactions
        try writer.write((1...5).map { Self.labelled($0, point: true) }, firstIndex: 0)
        #expect(transactions.commits == 2 && transactions.pending == 1)
        transactions.rollback()
        try dataset.close()
        let ds = try GDALReadDataset(url: url)
        let info = try ds.layerInfo("pts")
        let features = try ds.features("pts")
        #expect(features.map(\.fid) == [1, 2, 3, 4])
        #expect(features.map { $0.value("label", in: info)?.string } == (1...4).map { "f\($0)" })
    }

    /// The SQLite formats group features in transactions: GeoPackage as ogr2ogr does (100,000),
    /// the mobile geodatabase by 20,000; no other format opens any (FileGDB's are emulated by
    /// copying files; the text formats have none).
    @Test func onlyTheSQLiteFormatsOpenTransactions() throws {
        let expected = ["geopackage": 100_000, "sqlite": 20_000]
        for name in WriterRegistry.standard.formatNames {
            let profile = try #require(WriterRegistry.standard.profile(named: name))
            #expect(profile.featuresPerTransaction == expected[name], "\(name)")
        }
    }

    @Test func isRegisteredUnderItsCreateReplicaName() throws {
        let profile = try #require(WriterRegistry.standard.profile(named: "GeoPackage"))
        #expect(profile.formatName == "geopackage")
        #expect(profile.capabilities.isSuperset(of: [.circularArcs, .domains, .zValues, .mValues, .multipleLayersPerFile]))
    }
}
