import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// Segmented writing (a large CSV, GeoJSON or shapefile layer written by several datasets at once
/// and spliced): with a segment of a few features, every result must equal the unsegmented writer's.
@Suite struct SegmentedWritingTests {
    static let plan = SegmentPlan(weightPerSegment: 3, workers: 2)

    /// `count` point features cycling through the all-types rows, OBJECTID i + 1 except where
    /// `nullObjectIDs` says (those GeoJSON writes last, with no id).
    static func features(_ count: Int, nullObjectIDs: Set<Int> = [], hasM: Bool = false) -> [PreparedFeature] {
        (0..<count).map { i in
            var attributes = WriterFixtures.allTypesRows[i % WriterFixtures.allTypesRows.count]
            attributes[0] = nullObjectIDs.contains(i) ? .null : .int64(Int64(i + 1))
            let m = hasM && i % 4 == 1 ? Double.nan : Double(i)
            return PreparedFeature(attributes: attributes, geometry: PreparedGeometry(
                .point(Vertex(x: -179.5 + Double(i) * 0.37, y: 48.85 - Double(i) * 0.1, z: 10, m: m)), hasZ: false, hasM: hasM))
        }
    }

    /// A writer of `type` into `dir` for `layers`, writing large layers in segments by `plan`.
    static func writer<W: FormatWriter>(_ type: W.Type, in dir: URL, layers: [LayerSchema], plan: SegmentPlan = SegmentedWritingTests.plan) throws -> W {
        var request = WriterFixtures.request(dir, layers: layers)
        request.segments = plan
        return try W(request: request)
    }

    /// Writes the layers (features in batches of `batch`) with a plan; returns the output files'
    /// bytes by name, the diagnostics and the outputs.
    static func write<W: FormatWriter>(_ type: W.Type, plan: SegmentPlan, layers: [(LayerSchema, [PreparedFeature])],
                                       batch: Int = 4) throws -> (files: [String: Data], diagnostics: [Diagnostic], outputs: [WrittenOutput]) {
        let dir = try TestPaths.makeTemporaryDirectory("segments-\(W.formatName)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try Self.writer(W.self, in: dir, layers: layers.map(\.0), plan: plan)
        do {
            for (layer, features) in layers {
                try writer.beginLayer(layer)
                for start in stride(from: 0, to: features.count, by: batch) {
                    try writer.write(Array(features[start..<min(features.count, start + batch)]))
                }
                try writer.endLayer()
            }
            let outputs = try writer.commit()
            var files: [String: Data] = [:]
            for name in TestPaths.entries(dir) { files[name] = try Data(contentsOf: dir.appendingPathComponent(name)) }
            return (files, writer.diagnostics, outputs)
        } catch {
            writer.abort()
            throw error
        }
    }

    static var segmentedFormats: [any FormatWriter.Type] { [CSVWriter.self, GeoJSONWriter.self, ShapefileWriter.self] }

    @Test(arguments: [10, 3, 4, 7, 1])
    func everySegmentedFormatEqualsTheUnsegmentedWriter(count: Int) throws {
        let layer = WriterFixtures.allTypesLayer(name: "sites")
        let table = WriterFixtures.allTypesLayer(name: "rows", geometry: nil)
        let features = Self.features(count, nullObjectIDs: [1, 5])
        let rows = Self.features(count).map { PreparedFeature(attributes: $0.attributes, geometry: nil) }
        // Also with a first segment smaller than the others (as the standard plan has it).
        for (type, plan) in Self.segmentedFormats.flatMap({ type in
            [Self.plan, SegmentPlan(weightPerSegment: 4, workers: 2, firstSegmentWeight: 1)].map { (type, $0) } }) {
            func run<W: FormatWriter>(_ type: W.Type) throws {
                let plain = try Self.write(type, plan: .off, layers: [(layer, features), (table, rows)])
                let segmented = try Self.write(type, plan: plan, layers: [(layer, features), (table, rows)])
                #expect(segmented.files.keys.sorted() == plain.files.keys.sorted())
                for (name, bytes) in plain.files {
                    #expect(segmented.files[name] == bytes, "\(W.formatName) \(name) with \(count) features")
                }
                func summary(_ outputs: [WrittenOutput]) -> [String] {
                    outputs.map { "\($0.url.lastPathComponent) \($0.layerName) \($0.featureCount)" }
                }
                #expect(summary(segmented.outputs) == summary(plain.outputs))
                #expect(segmented.outputs.map(\.featureCount) == [count, count])
                #expect(segmented.diagnostics.map(\.description) == plain.diagnostics.map(\.description))
            }
            try run(type)
        }
    }

    @Test func largeLayerReadsBackThroughGDALWithEveryFeature() throws {
        let layer = WriterFixtures.allTypesLayer(name: "sites")
        let features = Self.features(50, nullObjectIDs: [4, 40])
        for (type, file) in [(CSVWriter.self, "sites.csv"), (GeoJSONWriter.self, "sites.geojson"), (ShapefileWriter.self, "sites.shp")]
                as [(any FormatWriter.Type, String)] {
            func run<W: FormatWriter>(_ type: W.Type) throws {
                let dir = try TestPaths.makeTemporaryDirectory("segments-read")
                defer { try? FileManager.default.removeItem(at: dir) }
                let writer = try Self.writer(W.self, in: dir, layers: [layer])
                try writer.beginLayer(layer)
                try writer.write(features)
                try writer.endLayer()
                let outputs = try writer.commit()
                #expect(outputs.map(\.featureCount) == [50])
                let ds = try GDALReadDataset(url: dir.appendingPathComponent(file))
                let read = try ds.features("sites")
                #expect(read.count == 50)
                // Nothing of the segments is left beside the outputs.
                #expect(TestPaths.entries(dir).allSatisfy { !$0.hasPrefix(".") })
            }
            try run(type)
        }
    }

    @Test func lossesAreSummedAcrossSegments() throws {
        // CSV replaces a missing M (NaN): every fourth feature has one.
        let layer = WriterFixtures.allTypesLayer(name: "measured", hasM: true)
        let features = Self.features(20, hasM: true)
        let plain = try Self.write(CSVWriter.self, plan: .off, layers: [(layer, features)])
        let segmented = try Self.write(CSVWriter.self, plan: Self.plan, layers: [(layer, features)])
        let replaced = segmented.diagnostics.filter { $0.code == .missingMeasureReplaced }
        #expect(replaced.count == 1 && replaced.first?.count == 5)
        #expect(segmented.diagnostics.map(\.description) == plain.diagnostics.map(\.description))
        #expect(segmented.files == plain.files)
    }

    /// A value the column cannot take, in a feature of the second segment (or later): the error
    /// names the layer-wide feature index and OBJECTID, as the unsegmented writer's does.
    @Test(arguments: [4, 5, 10, 13])
    func featureErrorInALaterSegmentIsLocated(at bad: Int) throws {
        let layer = WriterFixtures.allTypesLayer(name: "sites")
        var features = Self.features(16)
        features[bad].attributes[2] = .string("not a number")
        for type in Self.segmentedFormats {
            func run<W: FormatWriter>(_ type: W.Type) throws {
                func failure(_ plan: SegmentPlan) throws -> ReplicaExportError? {
                    do {
                        _ = try Self.write(type, plan: plan, layers: [(layer, features)])
                        return nil
                    } catch let error as ReplicaExportError {
                        return error
                    }
                }
                let plain = try #require(try failure(.off))
                let segmented = try #require(try failure(Self.plan))
                #expect(segmented.location.featureIndex == bad)
                #expect(segmented.location.objectID == Int64(bad + 1))
                #expect(segmented.location.field == "whole")
                #expect(segmented.description == plain.description)
            }
            try run(type)
        }
    }

    @Test func abortWhileSegmentsAreWrittenLeavesNothing() throws {
        let layer = WriterFixtures.allTypesLayer(name: "sites")
        for type in Self.segmentedFormats {
            func run<W: FormatWriter>(_ type: W.Type) throws {
                let dir = try TestPaths.makeTemporaryDirectory("segments-abort")
                defer { try? FileManager.default.removeItem(at: dir) }
                let writer = try Self.writer(W.self, in: dir, layers: [layer])
                try writer.beginLayer(layer)
                try writer.write(Self.features(20))
                writer.abort()
                #expect(TestPaths.entries(dir).isEmpty)
                // And after a failed layer.
                let failing = try Self.writer(W.self, in: dir, layers: [layer])
                var features = Self.features(20)
                features[7].attributes[2] = .string("x")
                try failing.beginLayer(layer)
                #expect(throws: ReplicaExportError.self) {
                    try failing.write(features)
                    try failing.endLayer()
                }
                failing.abort()
                #expect(TestPaths.entries(dir).isEmpty)
            }
            try run(type)
        }
    }

    @Test func spliceRefusesAFileThatIsNotLaidOutAsExpected() throws {
        let dir = try TestPaths.makeTemporaryDirectory("segments-splice")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = dir.appendingPathComponent("a.csv"), second = dir.appendingPathComponent("b.csv")
        try "x,y\n1,2\n".write(to: first, atomically: true, encoding: .utf8)
        try "x,z\n3,4\n".write(to: second, atomically: true, encoding: .utf8)
        #expect { try SegmentSplice.append([second], to: first, layout: .headerLine, location: ErrorLocation()) }
            throws: { ($0 as? ReplicaExportError)?.code == .invalidState }
        let layout = SegmentLayout.featureArray(opening: "[\n", separator: ",\n", closing: "\n]\n")
        try "{\"a\": [\n1,\n2\n]\n".write(to: first, atomically: true, encoding: .utf8)
        try "{\"a\": [\n3\n]\n".write(to: second, atomically: true, encoding: .utf8)
        try SegmentSplice.append([second], to: first, layout: layout, location: ErrorLocation())
        #expect(try String(contentsOf: first, encoding: .utf8) == "{\"a\": [\n1,\n2,\n3\n]\n")
        try "{\"b\": [\n3\n]\n".write(to: second, atomically: true, encoding: .utf8)
        #expect { try SegmentSplice.append([second], to: first, layout: layout, location: ErrorLocation()) }
            throws: { ($0 as? ReplicaExportError)?.code == .invalidState }
    }

    /// Shapes of every kind with Z and M, null shapes where shapelib's extent rules matter (the
    /// file's first feature, a later segment's first, a whole segment of them), NaN measures, and
    /// features of another geometry type (their own shapefile, not segmented): the spliced
    /// `.shp`, `.shx` and `.dbf` equal the unsegmented ones byte for byte.
    @Test(arguments: [GeometryType.polygon, .polyline, .multipoint, .point], [true, false])
    func shapefileSegmentsEqualTheUnsegmentedFiles(type: GeometryType, firstIsNull: Bool) throws {
        let layer = WriterFixtures.allTypesLayer(name: "shapes", geometry: type, hasZ: true, hasM: true)
        // Coordinates away from 0, so that an extent wrongly started at 0 shows.
        let nulls: Set<Int> = firstIsNull ? [0, 3, 6, 7, 8, 14] : [3, 6, 7, 8, 14]
        let features = (0..<17).map { i -> PreparedFeature in
            var attributes = WriterFixtures.allTypesRows[i % WriterFixtures.allTypesRows.count]
            attributes[0] = .int64(Int64(i + 1))
            guard !nulls.contains(i) else { return PreparedFeature(attributes: attributes, geometry: nil) }
            let d = Double(i) + 100
            func vertex(_ x: Double, _ y: Double) -> Vertex {
                Vertex(x: x, y: y, z: -d * 3, m: i % 4 == 1 ? .nan : d * 10)
            }
            let ring = Path(vertices: [vertex(d, d), vertex(d, d + 2), vertex(d + 2, d + 2), vertex(d + 2, d), vertex(d, d)])
            // Feature 11 has another geometry type: it goes to a file of its own.
            let shape: PreparedGeometry.Shape = i == 11 ? .lines([Path(vertices: [vertex(-50, 0), vertex(50, 1)])])
                : type == .polygon ? .polygons([[ring]])
                : type == .polyline ? .lines([Path(vertices: Array(ring.vertices.prefix(3))), Path(vertices: [vertex(-d, 9), vertex(-d, 90)])])
                : type == .multipoint ? .multipoint(Array(ring.vertices.prefix(3)))
                : .point(vertex(-d * 7, d * 5))
            return PreparedFeature(attributes: attributes, geometry: PreparedGeometry(i == 11 && type == .polyline
                ? .point(vertex(5, 5)) : shape, hasZ: true, hasM: true))
        }
        let plain = try Self.write(ShapefileWriter.self, plan: .off, layers: [(layer, features)])
        let segmented = try Self.write(ShapefileWriter.self, plan: Self.plan, layers: [(layer, features)])
        #expect(plain.files.keys.contains("shapes.shx") && plain.files.count > 6)
        #expect(segmented.files.keys.sorted() == plain.files.keys.sorted())
        for (name, bytes) in plain.files { #expect(segmented.files[name] == bytes, "\(type): \(name)") }
        #expect(segmented.outputs.map(\.featureCount) == plain.outputs.map(\.featureCount))
        #expect(segmented.diagnostics.map(\.description) == plain.diagnostics.map(\.description))
    }

    @Test func shapefileSpliceRefusesSegmentsThatDoNotMatch() throws {
        let dir = try TestPaths.makeTemporaryDirectory("segments-shp-splice")
        defer { try? FileManager.default.removeItem(at: dir) }
        func shapefile(_ name: String, _ type: GeometryType, _ features: [PreparedFeature]) throws -> URL {
            let sub = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let layer = WriterFixtures.allTypesLayer(name: "layer", geometry: type)
            _ = try WriterFixtures.write(ShapefileWriter.self, into: sub, layer: layer, features: features)
            return sub.appendingPathComponent("layer.shp")
        }
        let points = Self.features(3)
        let first = try shapefile("a", .point, points)
        let polygons = try shapefile("b", .polygon, points.map {
            PreparedFeature(attributes: $0.attributes, geometry: PreparedGeometry(.polygons([[Path(vertices: [
                Vertex(x: 0, y: 0), Vertex(x: 0, y: 1), Vertex(x: 1, y: 1), Vertex(x: 0, y: 0)])]])))
        })
        func refused(_ segment: URL) -> Bool {
            do {
                try ShapefileSplice.append([segment], to: first, location: ErrorLocation())
                return false
            } catch { return (error as? ReplicaExportError)?.code == .invalidState }
        }
        #expect(refused(polygons))  // another shape type
        let truncated = try shapefile("c", .point, points)
        let handle = try FileHandle(forWritingTo: truncated)
        try handle.truncate(atOffset: 100 + 28 + 10)
        try handle.close()
        #expect(refused(truncated))  // ends inside a record
        // A good segment joins (the same rows, as the .dbf columns were shrunk to the same widths):
        // 6 records, numbered 1...6, the .shx pointing at each.
        let good = try shapefile("d", .point, points)
        try ShapefileSplice.append([good], to: first, location: ErrorLocation())
        let read = try GDALReadDataset(url: first).features("layer")
        #expect(read.map { $0.values[0] } == [1, 2, 3, 1, 2, 3].map { .integer(Int64($0)) })
        #expect(read[0].geometryWKT == "POINT (-179.5 48.85)" && read[3].geometryWKT == read[0].geometryWKT)
        #expect(read[5].geometryWKT != nil && read[5].geometryWKT == read[2].geometryWKT)
        let shp = try Data(contentsOf: first)
        for record in 0..<6 {
            #expect(shp[100 + 28 * record + 3] == UInt8(record + 1))
        }
    }

    /// Segment workers only take the cores that the formats' own writer threads leave.
    @Test func workersUseOnlyTheCoresTheFormatsLeave() {
        #expect(SegmentPlan.standard(formatsWritten: 1, cores: 2).workers == 2)
        #expect(SegmentPlan.standard(formatsWritten: 1, cores: 2).firstSegmentWeight < SegmentPlan.defaultWeightPerSegment)
        #expect(SegmentPlan.standard(formatsWritten: 1, cores: 8).workers == SegmentPlan.maxWorkers)
        #expect(!SegmentPlan.standard(formatsWritten: 1, cores: 1).isOn)
        #expect(!SegmentPlan.standard(formatsWritten: 2, cores: 2).isOn)
        #expect(!SegmentPlan.standard(formatsWritten: 4, cores: 2).isOn)
        #expect(SegmentPlan.standard(formatsWritten: 4, cores: 6).workers == 3)
        #expect(SegmentPlan.standard(formatsWritten: 4, cores: 16).workers == SegmentPlan.maxWorkers)
    }
}
