import Benchmark
import Foundation
import ReplicaExport
import ReplicaExport
import ReplicaExportBenchmarkSupport

/// Inputs made once per process by `Benchmarks/generate_replica.py` (deterministic, seed 1), outside
/// the measured iterations.
final class Inputs: @unchecked Sendable {
    static let shared = Inputs()
    let count = Int(ProcessInfo.processInfo.environment["REPLICA_EXPORT_BENCH_COUNT"] ?? "") ?? 100_000
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replica-export-benchmarks-\(getpid())")

    private let lock = NSLock()
    private var payloads: [String: URL] = [:]
    private var features: [String: (LayerSchema, [Feature])] = [:]

    /// The JSON payload of `count` features of one geometry kind (point, polyline, polygon).
    func payload(_ geometry: String) throws -> URL {
        lock.lock(); defer { lock.unlock() }
        if let url = payloads[geometry] { return url }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("\(geometry).json")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../generate_replica.py").standardized
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, String(count), url.path, "--geometry", geometry]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        payloads[geometry] = url
        return url
    }

    /// The payload's one layer and all its features, in memory.
    func features(_ geometry: String) throws -> (LayerSchema, [Feature]) {
        let url = try payload(geometry)
        lock.lock(); defer { lock.unlock() }
        if let cached = features[geometry] { return cached }
        let source = try ReplicaSources.open(url)
        var all: [Feature] = []
        try source.features(inLayer: 0, batchSize: 10_000) { all += $0 }
        let result = (source.replica.layers[0], all)
        features[geometry] = result
        return result
    }

    func scratch() throws -> URL {
        let url = directory.appendingPathComponent("out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident]
let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: metrics, warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 5)
    let inputs = Inputs.shared

    // The Esri JSON reader alone: scanning, parsing values and geometry into the model.
    for geometry in ["point", "polygon"] {
        Benchmark("JSON reader, \(geometry)s",
                  configuration: .init(metrics: metrics + [megabytesPerSecond],
                                       setup: { _ = try inputs.payload(geometry) })) { benchmark in
            let url = try inputs.payload(geometry)
            let bytes = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
            let clock = ContinuousClock()
            let start = clock.now
            for _ in benchmark.scaledIterations {
                let source = try ReplicaSources.open(url)
                var count = 0
                try source.features(inLayer: 0, batchSize: 1_000) { count += $0.count }
                blackHole(count)
            }
            let seconds = (clock.now - start) / .seconds(1)
            benchmark.measurement(megabytesPerSecond, Int(Double(bytes * benchmark.scaledIterations.count) / 1e6 / seconds))
        }
    }

    // The mobile geodatabase's shape-blob decoder on polygons (12 vertices each).
    Benchmark("Shape-blob decoder, polygons",
              configuration: .init(setup: { _ = try inputs.features("polygon") })) { benchmark in
        let blobs = try BenchmarkSupport.encodeShapeBlobs(try inputs.features("polygon").1.compactMap(\.geometry))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try BenchmarkSupport.decodeShapeBlobs(blobs)) }
    }

    // The geometry preparer as each kind of writer needs it.
    for (geometry, format) in [("polygon", "filegdb"), ("polygon", "geojson"), ("polyline", "shapefile")] {
        Benchmark("Geometry preparer, \(geometry)s for \(format)",
                  configuration: .init(setup: { _ = try inputs.features(geometry) })) { benchmark in
            let (layer, features) = try inputs.features(geometry)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try BenchmarkSupport.prepare(features, layer: layer, format: format).count)
            }
        }
    }

    // Each writer alone, on prepared points: GDAL and our value encoding, no reading.
    for format in ["filegdb", "shapefile", "csv", "geojson", "geopackage"] {
        Benchmark("Writer \(format), points",
                  configuration: .init(setup: { _ = try inputs.features("point") })) { benchmark in
            let (layer, features) = try inputs.features("point")
            let batch = try BenchmarkSupport.prepare(features, layer: layer, format: format)
            var outputs: [URL] = []
            for _ in benchmark.scaledIterations { outputs.append(try inputs.scratch()) }
            benchmark.startMeasurement()
            for output in outputs {
                blackHole(try BenchmarkSupport.write(batch, layer: layer, format: format, to: output))
            }
            benchmark.stopMeasurement()
            for output in outputs { try? FileManager.default.removeItem(at: output) }
        }
    }
}
