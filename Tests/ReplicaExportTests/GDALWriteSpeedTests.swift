import Foundation
import Testing
@testable import ReplicaExport

/// Write speed, 200k points x 8 fields per format: a measurement, not a test (it times nothing it
/// asserts). Runs only with REPLICA_EXPORT_BENCH=1, and checks that every feature arrived.
@Suite struct GDALWriteSpeedTests {
    static let enabled = ProcessInfo.processInfo.environment["REPLICA_EXPORT_BENCH"] == "1"

    @Test(.enabled(if: enabled), arguments: ["filegdb", "shapefile", "csv", "geojson"])
    func writeSpeed(_ format: String) throws {
        let count = Int(ProcessInfo.processInfo.environment["REPLICA_EXPORT_BENCH_COUNT"] ?? "") ?? 200_000
        let dir = try TestPaths.makeTemporaryDirectory("speed-\(format)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = LayerSchema(id: 0, name: "points", geometryType: .point, spatialReference: SpatialReference(wkid: 3857),
                                objectIdField: "OBJECTID", fields: [
                                    Field(name: "OBJECTID", type: .objectID), Field(name: "code", type: .integer),
                                    Field(name: "small", type: .smallInteger), Field(name: "value", type: .double),
                                    Field(name: "name", type: .string, length: 40), Field(name: "stamp", type: .date),
                                    Field(name: "ratio", type: .single), Field(name: "gid", type: .guid)],
                                schemaSource: .layerResource)
        let type = WriterRegistry.standard.writer(named: format)!
        let writer = try type.init(request: WriterFixtures.request(dir, layers: [layer]))
        let start = Date()
        try writer.beginLayer(layer)
        var batch: [PreparedFeature] = []
        batch.reserveCapacity(1000)
        for i in 0..<count {
            batch.append(PreparedFeature(attributes: [
                .int64(Int64(i + 1)), .int32(Int32(i)), .int16(Int16(i % 1000)), .float64(Double(i) * 0.25),
                .string("feature \(i)"), .date(milliseconds: 1_700_000_000_000 + Int64(i) * 1000),
                .float32(Float(i % 100) / 8), .guid("{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}")],
                geometry: PreparedGeometry(.point(Vertex(x: 100_000 + Double(i % 1000), y: 5_000_000 + Double(i / 1000))))))
            if batch.count == 1000 { try writer.write(batch); batch.removeAll(keepingCapacity: true) }
        }
        try writer.write(batch)
        try writer.endLayer()
        let outputs = try writer.commit()
        #expect(outputs.reduce(0) { $0 + $1.featureCount } == count)
        let seconds = Date().timeIntervalSince(start)
        print("write speed \(format): \(count) features in \(String(format: "%.2f", seconds)) s = \(Int(Double(count) / seconds)) features/s")
    }
}
