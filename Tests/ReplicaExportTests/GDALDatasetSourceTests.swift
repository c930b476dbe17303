import Foundation
import Testing
@testable import ReplicaExport

/// Outputs read back through GDAL as a ReplicaSource hold the input's features, on one model.
@Suite struct GDALDatasetSourceTests {
    static let formats = ["filegdb", "shapefile", "csv", "geojson", "geopackage"]

    /// Converts `input` to every format and opens the input and each output.
    static func convert(_ input: String, into directory: URL) throws -> (input: any ReplicaSource, outputs: [String: URL]) {
        let url = TestPaths.testData(input)
        _ = try Exporter().export(ExportRequest(input: url, formats: formats, outputDirectory: directory))
        var outputs: [String: URL] = [:]
        for format in formats {
            let folder = directory.appendingPathComponent(format)
            let file = try #require(TestPaths.entries(folder).first { name in
                [".gdb", ".shp", ".csv", ".geojson", ".gpkg"].contains { name.hasSuffix($0) } && !name.hasSuffix(".fieldnames.csv")
            })
            outputs[format] = folder.appendingPathComponent(file)
        }
        return (try ReplicaSources.open(url), outputs)
    }

    static func all(_ source: any ReplicaSource, layer: Int) throws -> [Feature] {
        var features: [Feature] = []
        let cursor = try source.featureCursor(inLayer: layer, batchSize: 7)
        while let batch = try cursor.next() { features += batch }
        return features
    }

    @Test func geoPackageHoldsEveryValueAndVertex() throws {
        let directory = try TestPaths.makeTemporaryDirectory("readback")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (input, outputs) = try Self.convert("esrijson/replica_esri_test.json", into: directory)
        let output = try GDALDatasetSource(url: try #require(outputs["geopackage"]))
        let inLayer = input.replica.layers[0], outLayer = output.replica.layers[0]
        #expect(outLayer.name == inLayer.name && outLayer.geometryType == inLayer.geometryType)
        #expect(outLayer.objectIdField == inLayer.objectIdField)
        #expect(outLayer.spatialReference?.preferredWkid == inLayer.spatialReference?.preferredWkid)
        #expect(output.featureCount(inLayer: 0) == 50)
        let read = try Self.all(input, layer: 0), written = try Self.all(output, layer: 0)
        #expect(read.count == 50 && written.count == 50)
        for (a, b) in zip(read, written) {
            #expect(a.geometry == b.geometry)
            for (index, field) in inLayer.fields.enumerated() {
                let j = try #require(outLayer.fieldIndex(named: field.name), "\(field.name)")
                let (x, y) = (a.attributes[index], b.attributes[j])
                switch field.type {
                case .globalID, .guid:
                    if case .guid(let g) = x { #expect(y == .string(g)) } else { #expect(y == .null) }
                default:
                    #expect(x == y || (x.doubleValue != nil && x.doubleValue == y.doubleValue), "\(field.name): \(x) vs \(y)")
                }
            }
        }
    }

    @Test func everyFormatReadsBackWithItsCountsAndGeometries() throws {
        let directory = try TestPaths.makeTemporaryDirectory("readback-zm")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (input, outputs) = try Self.convert("esrijson/arcgis-rest-js_PolygonHasZM.replica.json", into: directory)
        let read = try Self.all(input, layer: 0)
        for format in Self.formats {
            let output = try GDALDatasetSource(url: try #require(outputs[format]))
            let written = try Self.all(output, layer: 0)
            #expect(written.count == read.count, "\(format)")
            #expect(output.featureCount(inLayer: 0) == read.count, "\(format)")
            guard format != "geojson" else { continue }  // reprojected to WGS84
            for (a, b) in zip(read, written) {
                guard case .polygon(let rings)? = a.geometry?.shape, case .polygon(let back)? = b.geometry?.shape else {
                    Issue.record("\(format): not polygons"); continue
                }
                // Rings come back in Esri's orientation, vertex for vertex (FileGDB snaps to its
                // 0.0001 m grid; CSV keeps 15 significant digits of these 8-digit coordinates).
                let tolerance = ["filegdb": 1e-4, "csv": 1e-6][format] ?? 1e-9
                #expect(rings.map(\.vertices.count) == back.map(\.vertices.count), "\(format)")
                for (r, s) in zip(rings, back) {
                    for (v, w) in zip(r.vertices, s.vertices) {
                        #expect(abs(v.x - w.x) <= tolerance && abs(v.y - w.y) <= tolerance && abs(v.z - w.z) <= tolerance,
                                "\(format): \(v) vs \(w)")
                    }
                }
                #expect(b.geometry?.hasZ == true, "\(format)")
            }
        }
    }

    @Test func cursorsAreIndependentAndRefuseUnknownLayers() throws {
        let directory = try TestPaths.makeTemporaryDirectory("readback-cursors")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (_, outputs) = try Self.convert("esrijson/replica_esri_test.json", into: directory)
        let output = try GDALDatasetSource(url: try #require(outputs["filegdb"]))
        let first = try output.featureCursor(inLayer: 0, batchSize: 10)
        let second = try output.featureCursor(inLayer: 0, batchSize: 10)
        let a = try #require(try first.next()), b = try #require(try second.next())
        #expect(a == b)
        #expect(try first.next() != a)
        #expect(throws: ReplicaExportError.self) { try output.featureCursor(inLayer: 5, batchSize: 1) }
        #expect(throws: ReplicaExportError.self) { try GDALDatasetSource(url: directory.appendingPathComponent("none.gpkg")) }
    }
}
