import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// The exporter's own decisions, on an in-memory source: the true-curve bit (given or stored in
/// the payload), layer selection, createReplica parameters, and what a failed run leaves behind.
@Suite struct ExporterTests {
    /// A replica held in memory: one polygon layer whose only feature is a full circle.
    final class MemorySource: ReplicaSource {
        let replica: Replica
        let diagnostics: [Diagnostic] = []
        let features: [[Feature]]
        /// Per layer, what ``maxTextBytes(inLayer:)`` tells; none by default.
        var maxima: [[String: Int]]?
        /// Whether ``featureCount(inLayer:)`` tells the count, as a reader that knows it does.
        var knowsCounts = false
        init(replica: Replica, features: [[Feature]]) {
            self.replica = replica
            self.features = features
        }
        func featureCursor(inLayer layerIndex: Int, batchSize: Int) throws -> any FeatureCursor {
            MemoryCursor(rest: features[layerIndex][...], batchSize: batchSize)
        }
        func maxTextBytes(inLayer layerIndex: Int) throws -> [String: Int] { maxima?[layerIndex] ?? [:] }
        func featureCount(inLayer layerIndex: Int) -> Int? { knowsCounts ? features[layerIndex].count : nil }
    }

    final class MemoryCursor: FeatureCursor {
        var rest: ArraySlice<Feature>
        let batchSize: Int
        init(rest: ArraySlice<Feature>, batchSize: Int) {
            self.rest = rest
            self.batchSize = batchSize
        }
        func next() -> [Feature]? {
            guard !rest.isEmpty else { return nil }
            defer { rest = rest.dropFirst(batchSize) }
            return Array(rest.prefix(batchSize))
        }
    }

    static let circleLayer = LayerSchema(
        id: 3, name: "circles", geometryType: .polygon, spatialReference: SpatialReference(wkid: 26912),
        objectIdField: "OBJECTID", fields: [Field(name: "OBJECTID", type: .objectID)], schemaSource: .layerResource)
    static let tableLayer = LayerSchema(
        id: 4, name: "notes", kind: .table, objectIdField: "OBJECTID",
        fields: [Field(name: "OBJECTID", type: .objectID), Field(name: "text", type: .string)], schemaSource: .layerResource)

    /// A clockwise (Esri exterior) full circle of radius 50 in the 4-item center form.
    static func circle(_ oid: Int64) -> Feature {
        let start = Vertex(x: 500_050, y: 4_000_000)
        let ring = Path(vertices: [start, start], curves: [CurveSegment(
            index: 0, kind: .circularArcByCenter(center: XY(x: 500_000, y: 4_000_000), isMinor: false, isClockwise: true))])
        return Feature(attributes: [.int64(oid)], geometry: Geometry(.polygon([ring])))
    }

    /// A circle, then a notes row with a string where its ObjectID belongs.
    static func brokenSource() -> MemorySource {
        MemorySource(replica: Replica(name: "memory", layers: [circleLayer, tableLayer]),
                     features: [[circle(1)], [Feature(attributes: [.string("x"), .string("y")])]])
    }

    static func source(storedOptions: Int?) -> MemorySource {
        MemorySource(
            replica: Replica(name: "memory", syncModel: SyncModel.none, syncDataOptions: storedOptions,
                             layers: [circleLayer, tableLayer]),
            features: [[circle(1), circle(2)], [Feature(attributes: [.int64(1), .string("hello")])]])
    }

    /// Whether the FileGDB written to `directory` holds curve geometry.
    static func fileGDBHasCurves(_ directory: URL) throws -> Bool {
        let dataset = try GDALReadDataset(url: directory.appendingPathComponent("filegdb/memory.gdb"))
        let wkt = try dataset.features("circles").compactMap(\.geometryWKT)
        #expect(wkt.count == 2)
        return wkt.allSatisfy { $0.hasPrefix("MULTISURFACE") || $0.hasPrefix("CURVEPOLYGON") }
    }

    @Test func theTrueCurveBitStoredInThePayloadApplies() throws {
        for (stored, given, expectCurves) in [(256, nil, true), (nil, nil, false), (256, 0, false), (nil, 256 | 1, true)] as [(Int?, Int?, Bool)] {
            let output = try TestPaths.makeTemporaryDirectory("exporter-bit")
            defer { try? FileManager.default.removeItem(at: output) }
            let request = ExportRequest(input: URL(fileURLWithPath: "/memory"), formats: ["filegdb"],
                                        outputDirectory: output, syncDataOptions: given)
            let report = try Exporter().export(from: Self.source(storedOptions: stored), request: request)
            #expect(report.keptTrueCurves == expectCurves, "stored \(String(describing: stored)), given \(String(describing: given))")
            #expect(try Self.fileGDBHasCurves(output) == expectCurves)
            #expect(report.curves["filegdb"]?.curvesKept == (expectCurves ? 2 : 0))
            #expect(report.curves["filegdb"]?.circularArcsDensified == (expectCurves ? 0 : 2))
        }
    }

    @Test func oneReadFeedsEveryFormatEachPreparedForItself() throws {
        let output = try TestPaths.makeTemporaryDirectory("exporter-all")
        defer { try? FileManager.default.removeItem(at: output) }
        let request = ExportRequest(input: URL(fileURLWithPath: "/memory"), formats: ["geojson", "filegdb", "shapefile", "csv"],
                                    outputDirectory: output, syncDataOptions: 256)
        let report = try Exporter().export(from: Self.source(storedOptions: nil), request: request)
        #expect(report.featuresRead == ["circles": 2, "notes": 1])
        for format in ["filegdb", "shapefile", "csv", "geojson"] {
            #expect(report.featuresWritten(format: format) == 3, "\(format)")
        }
        #expect(report.curves["filegdb"]?.curvesKept == 2 && report.curves["csv"]?.curvesKept == 2)
        #expect(report.curves["shapefile"]?.circularArcsDensified == 2 && report.curves["geojson"]?.circularArcsDensified == 2)
        #expect(report.diagnostics.contains {
            $0.code == .curvesDensified && $0.location.format == "geojson" && $0.message.contains("densified 2 circular arcs")
        })
        #expect(report.summary.contains("memory: 2 layers, 3 features read"))
        // The report is data: its JSON decodes to the same report, diagnostics with their codes.
        let decoded = try JSONDecoder().decode(ExportReport.self, from: report.json())
        #expect(decoded.replica == report.replica)
        #expect(decoded.diagnostics == report.diagnostics)
        #expect(decoded.outputs == report.outputs && decoded.featuresRead == report.featuresRead)
        let object = try #require(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        let first = try #require((object["diagnostics"] as? [[String: Any]])?.first { $0["code"] as? String == "curvesDensified" })
        #expect((first["location"] as? [String: Any])?["format"] as? String != nil)
    }

    @Test func layerSelectionAndUnknownLayers() throws {
        let output = try TestPaths.makeTemporaryDirectory("exporter-layers")
        defer { try? FileManager.default.removeItem(at: output) }
        var request = ExportRequest(input: URL(fileURLWithPath: "/memory"), formats: ["csv"], outputDirectory: output,
                                    layerIds: [4])
        let report = try Exporter().export(from: Self.source(storedOptions: nil), request: request)
        #expect(report.replica.layers.map(\.name) == ["notes"])
        #expect(FileListing.files(output) == ["csv/notes.csv", "csv/notes.csvt"])
        request.layerIds = [7]
        request.overwrite = true
        #expect { try Exporter().export(from: Self.source(storedOptions: nil), request: request) } throws: { error in
            (error as? ReplicaExportError)?.message.contains("layer 7 is not in the payload") == true
        }
    }

    @Test func unknownFormatsAndBadOptionsAreRefusedBeforeAnythingIsWritten() throws {
        let output = try TestPaths.makeTemporaryDirectory("exporter-refused")
        defer { try? FileManager.default.removeItem(at: output) }
        let bad = [
            ExportRequest(input: URL(fileURLWithPath: "/memory"), formats: ["pdf"], outputDirectory: output),
            ExportRequest(input: URL(fileURLWithPath: "/memory"), formats: [], outputDirectory: output),
        ]
        for request in bad {
            #expect(throws: ReplicaExportError.self) { try Exporter().export(from: Self.source(storedOptions: nil), request: request) }
        }
        #expect(throws: ReplicaExportError.self) {
            try Exporter().export(ExportRequest(input: URL(fileURLWithPath: "/memory"), formats: ["csv"],
                                                outputDirectory: output, maxDeviation: -1))
        }
        #expect(FileListing.files(output).isEmpty)
    }

    @Test func aFailedRunLeavesNothingThatLooksComplete() throws {
        let output = try TestPaths.makeTemporaryDirectory("exporter-failed")
        defer { try? FileManager.default.removeItem(at: output) }
        // The second layer's feature has a string where the ObjectID belongs: the writers refuse it
        // after the first layer was written completely.
        let broken = Self.brokenSource()
        let request = ExportRequest(input: URL(fileURLWithPath: "/memory"), formats: ["csv", "geojson", "shapefile"],
                                    outputDirectory: output)
        #expect(throws: (any Error).self) { try Exporter().export(from: broken, request: request) }
        #expect(FileListing.files(output).isEmpty, "\(FileListing.files(output))")
        #expect(TestPaths.entries(output).isEmpty, "no empty format folders: \(TestPaths.entries(output))")
    }

    @Test func aCancelledExportLeavesNothing() throws {
        let output = try TestPaths.makeTemporaryDirectory("exporter-cancelled")
        defer { try? FileManager.default.removeItem(at: output) }
        let cancellation = ExportCancellation()
        cancellation.cancel()
        let request = ExportRequest(input: URL(fileURLWithPath: "/memory"), formats: ["filegdb", "csv"],
                                    outputDirectory: output.appendingPathComponent("out"), cancellation: cancellation)
        #expect {
            try Exporter().export(from: Self.source(storedOptions: nil), request: request)
        } throws: { ($0 as? ReplicaExportError)?.code == .cancelled }
        #expect(TestPaths.entries(output).isEmpty)
    }

    @Test func formatsAreIndependent() throws {
        let output = try TestPaths.makeTemporaryDirectory("exporter-independent")
        defer { try? FileManager.default.removeItem(at: output) }
        // A feature without a usable ObjectID: FileGDB gives it a new one; the text formats refuse
        // the value (a reader never hands one over, which makes it a sure way to fail a writer).
        let broken = Self.brokenSource()
        let request = ExportRequest(input: URL(fileURLWithPath: "/memory"), formats: ["filegdb", "csv", "geojson"],
                                    outputDirectory: output)
        let report = try Exporter().export(from: broken, request: request)
        #expect(report.failures.map(\.format).sorted() == ["csv", "geojson"])
        #expect(report.failures.allSatisfy { $0.location.layer == "notes" && $0.location.featureIndex == 0 })
        #expect(report.featuresWritten(format: "filegdb") == 2)
        #expect(TestPaths.entries(output) == ["filegdb"])
        let gdb = try GDALReadDataset(url: output.appendingPathComponent("filegdb/memory.gdb"))
        #expect(try gdb.features("notes").count == 1)
        #expect(report.diagnostics.contains { $0.code == .objectIDReassigned && $0.location.format == "filegdb" })
    }

    @Test func lossesAreWrittenAndReportedOrRefusedWhenStrict() throws {
        let output = try TestPaths.makeTemporaryDirectory("exporter-strict")
        defer { try? FileManager.default.removeItem(at: output) }
        let layer = LayerSchema(id: 0, name: "counts", kind: .table, objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID), Field(name: "big", type: .bigInteger)],
                                schemaSource: .layerResource)
        let source = MemorySource(replica: Replica(name: "memory", layers: [layer]), features: [[
            Feature(attributes: [.int64(7), .int64(5)]), Feature(attributes: [.int64(8), .int64(9_007_199_254_740_993)]),
        ]])
        var request = ExportRequest(input: URL(fileURLWithPath: "/memory"), formats: ["filegdb", "csv"],
                                    outputDirectory: output.appendingPathComponent("lenient"))
        let report = try Exporter().export(from: source, request: request)
        #expect(report.failures.isEmpty)
        let loss = try #require(report.losses.first)
        #expect(report.losses.count == 1)
        #expect(loss.code == .integerRounded && loss.count == 1 && loss.location.objectID == 8
                && loss.location.field == "big" && loss.location.format == "filegdb")
        #expect(report.summary.contains("integerRounded"))
        let csv = try String(contentsOf: output.appendingPathComponent("lenient/csv/counts.csv"), encoding: .utf8)
        #expect(csv.contains("9007199254740993"))  // exact where the format can hold it

        request.outputDirectory = output.appendingPathComponent("strict")
        request.strict = true
        #expect {
            try Exporter().export(from: source, request: request)
        } throws: { error in
            guard let e = error as? ReplicaExportError else { return false }
            return e.code == .dataLoss && e.location.objectID == 8 && e.location.field == "big" && e.location.format == "filegdb"
        }
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("strict").path))
    }

    /// A shapefile's text columns written only as wide as the input's longest value (as the
    /// source tells it) give the same .dbf as columns written 254 bytes wide, blanks around a
    /// value and multibyte text included. (Unsegmented, GDAL would widen a column a bound left
    /// too narrow: the segmented test below is the one a wrong bound fails.)
    @Test func textColumnsSizedByTheLongestValueGiveTheSameDBF() throws {
        let output = try TestPaths.makeTemporaryDirectory("exporter-text-width")
        defer { try? FileManager.default.removeItem(at: output) }
        let values: [Value] = [.string("  padded  "), .string("Zürich 東京"), .string(""), .null, .string("x"),
                               .string(String(repeating: "é", count: 40))]
        let longest = values.compactMap { if case .string(let s) = $0 { return s.utf8.count } else { return nil } }.max()!
        let source = MemorySource(replica: Replica(name: "memory", layers: [Self.tableLayer]), features: [
            values.enumerated().map { Feature(attributes: [.int64(Int64($0.offset + 1)), $0.element]) },
        ])
        var dbf: [Data] = []
        for maxima in [nil, [["text": longest]], [["text": 200]]] as [[[String: Int]]?] {
            source.maxima = maxima
            let directory = output.appendingPathComponent("run\(dbf.count)")
            let report = try Exporter().export(from: source, request: ExportRequest(
                input: URL(fileURLWithPath: "/memory"), formats: ["shapefile"], outputDirectory: directory))
            #expect(report.failures.isEmpty && report.losses.isEmpty)
            dbf.append(try Data(contentsOf: directory.appendingPathComponent("shapefile/notes.dbf")))
        }
        #expect(dbf[1] == dbf[0] && dbf[2] == dbf[0])
        let rows = try GDALReadDataset(url: output.appendingPathComponent("run1/shapefile/notes.dbf")).features("notes")
        let info = try GDALReadDataset(url: output.appendingPathComponent("run1/shapefile/notes.dbf")).layerInfo("notes")
        #expect(rows.map { $0.value("text", in: info)?.string ?? "" }
                    == ["padded", "Zürich 東京", "", "", "x", String(repeating: "é", count: 40)])  // .dbf text: blanks around lost
    }

    /// The same written in segments (the splice needs every segment's .dbf header alike, so
    /// there a bound below a value would fail the layer): sized by the exact longest value, the
    /// files are those of 254-byte columns.
    @Test func segmentedTextColumnsSizedByTheLongestValueGiveTheSameFiles() throws {
        let output = try TestPaths.makeTemporaryDirectory("exporter-text-width-segments")
        defer { try? FileManager.default.removeItem(at: output) }
        let features = (0..<40).map { i in
            PreparedFeature(attributes: [.int64(Int64(i + 1)), i % 7 == 3 ? .null : .string(String(repeating: "ab ", count: i % 11))],
                            geometry: PreparedGeometry(.point(Vertex(x: Double(i), y: 1))))
        }
        let longest = (0..<40).map { 3 * ($0 % 11) }.max()!
        var files: [[Data]] = []
        for bound in [nil, longest] as [Int?] {
            var layer = LayerSchema(id: 0, name: "sites", geometryType: .point, spatialReference: SpatialReference(wkid: 4326),
                                    objectIdField: "OBJECTID", fields: Self.tableLayer.fields, schemaSource: .layerResource)
            layer.fields[1].maxValueBytes = bound
            let directory = output.appendingPathComponent("bound\(bound ?? 0)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var request = WriterFixtures.request(directory, layers: [layer])
            request.segments = SegmentPlan(weightPerSegment: 6, workers: 2, firstSegmentWeight: 4)
            let writer = try ShapefileWriter(request: request)
            try writer.beginLayer(layer)
            for start in stride(from: 0, to: features.count, by: 9) {
                try writer.write(Array(features[start..<min(start + 9, features.count)]))
            }
            try writer.endLayer()
            _ = try writer.commit()
            files.append(try ["sites.dbf", "sites.shp", "sites.shx"].map { try Data(contentsOf: directory.appendingPathComponent($0)) })
        }
        #expect(files[1] == files[0])
    }

    /// The parameters go through ``CreateReplicaParameters``: one parser, one set of checks, the
    /// same request the service runs.
    @Test func createReplicaParameters() throws {
        let input = URL(fileURLWithPath: "/r.json"), output = URL(fileURLWithPath: "/out")
        let request = try ExportRequest(createReplicaParameters: [
            "dataFormat": "filegdb", "syncModel": "none", "layers": "[0, 2]", "returnAttachments": "true",
            "replicaSR": "3857", "replicaOptions": #"{"syncDataOptions": 257}"#], input: input, outputDirectory: output)
        #expect(request.formats == ["filegdb"] && request.layerIds == [0, 2] && request.syncDataOptions == 257)
        #expect(request.includeAttachments && request.outputSpatialReference?.wkid == 3857)
        func refusal(_ parameters: [String: String]) -> String? {
            do {
                _ = try ExportRequest(createReplicaParameters: parameters, input: input, outputDirectory: output)
                return nil
            } catch let error as ReplicaExportError {
                return error.fault == .request ? error.message : "wrong fault: \(error)"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal(["dataFormat": "csv", "syncModel": "perReplica", "layers": "0"])?.hasPrefix("syncModel") == true)
        #expect(refusal(["dataFormat": "csv", "syncModel": "none", "layers": "roads"])?.hasPrefix("layers") == true)
        #expect(refusal(["syncModel": "none", "layers": "0", "dataFormat": "pdf"])?.hasPrefix("dataFormat") == true)
        // No dataFormat: createReplica's default, its JSON payload.
        #expect(try ExportRequest(createReplicaParameters: ["syncModel": "none", "layers": "0"], input: input,
                                  outputDirectory: output).formats == [ExportFormat.json.name])
        #expect(refusal(["dataFormat": "csv", "syncModel": "none"])?.hasPrefix("layers") == true)
        #expect(refusal(["dataFormat": "csv", "syncModel": "none", "layers": "0", "replicaOptions": "{nope"])?.hasPrefix("replicaOptions") == true)
    }
}

/// Files below a directory, relative and sorted (directories themselves left out).
enum FileListing {
    static func files(_ directory: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        var names: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                names.append(String(url.path.dropFirst(directory.path.count + 1)))
            }
        }
        return names.sorted()
    }
}
