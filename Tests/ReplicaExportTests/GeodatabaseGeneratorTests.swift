import Foundation
import Testing
import ReplicaExportTestSupport
@testable import ReplicaExport
import ReplicaExportBenchmarkSupport

/// The benchmark dataset generator: a grown copy of a real mobile geodatabase reads back with the
/// generated rows and converts.
@Suite struct GeodatabaseGeneratorTests {
    @Test(arguments: ["LA_Trails.geodatabase", "militaryoverlay.geodatabase"])
    func aGrownCopyReadsBackAndConverts(_ name: String) throws {
        let dir = try TestPaths.makeTemporaryDirectory("datagen")
        defer { try? FileManager.default.removeItem(at: dir) }
        let template = TestPaths.testData("mobilegdb/\(name)")
        let output = dir.appendingPathComponent("grown.geodatabase")
        let written = try GeodatabaseGenerator.generate(template: template, output: output, count: 1_234, seed: 7)
        #expect(!written.isEmpty)

        let source = try MobileGeodatabaseSource(url: output)
        for (index, layer) in source.replica.layers.enumerated() where written[layer.name] != nil {
            var features: [Feature] = []
            try source.features(inLayer: index, batchSize: 500) { features += $0 }
            #expect(features.count == 1_234, "\(layer.name)")
            #expect(features.allSatisfy { $0.geometry?.geometryType == layer.geometryType }, "\(layer.name)")
        }

        // Same seed, same bytes of every generated table.
        let again = dir.appendingPathComponent("again.geodatabase")
        _ = try GeodatabaseGenerator.generate(template: template, output: again, count: 1_234, seed: 7)
        let first = try MobileGeodatabaseSource(url: output), second = try MobileGeodatabaseSource(url: again)
        for index in first.replica.layers.indices where written[first.replica.layers[index].name] != nil {
            var a: [Feature] = [], b: [Feature] = []
            try first.features(inLayer: index, batchSize: 1_000) { a += $0 }
            try second.features(inLayer: index, batchSize: 1_000) { b += $0 }
            #expect(a == b)
        }

        let result = try Processes.run(Processes.replicaExport, ["convert", output.path, "--format", "filegdb,shapefile",
                                                                 "--output", dir.appendingPathComponent("out").path])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try Exporter().export(ExportRequest(input: output, formats: ["geojson"],
                                                         outputDirectory: dir.appendingPathComponent("lib")))
        for (layer, count) in written { #expect(report.featuresRead[layer] == count) }
    }
}
