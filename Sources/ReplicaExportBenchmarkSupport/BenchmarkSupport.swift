import Foundation
import ReplicaExport

/// The few internals `Benchmarks/` measures on their own (the shape-blob decoder, the geometry
/// preparer, one writer without the reader), in a module of their own that reaches them through
/// `package` access, so that they stay out of the library. Everything else the benchmarks use is
/// the library's public API.
public enum BenchmarkSupport {
    /// The grid of a Web Mercator column (FORMATS.md section 2's built-in default for 3857).
    static let webMercatorGrid = ShapeGrid(xOrigin: -20_037_700, yOrigin: -30_241_100, xyScale: 10_000,
                                           zOrigin: -100_000, zScale: 10_000)

    /// Shape blobs of `geometries` on the Web Mercator grid (the input of ``decodeShapeBlobs(_:)``).
    public static func encodeShapeBlobs(_ geometries: [Geometry]) throws -> [[UInt8]] {
        try geometries.map { try ShapeBlobEncoder.encode($0, grid: webMercatorGrid, srid: 3857) }
    }

    /// Decodes every blob; returns the number of geometries decoded (so that nothing is optimized away).
    public static func decodeShapeBlobs(_ blobs: [[UInt8]]) throws -> Int {
        var count = 0
        for blob in blobs where try ShapeBlob.decode(blob, grid: webMercatorGrid).geometry != nil { count += 1 }
        return count
    }

    /// Features prepared for one format, ready for ``write(_:layer:format:to:)``.
    public struct PreparedBatch: Sendable {
        fileprivate var features: [PreparedFeature]
        public var count: Int { features.count }
    }

    /// Prepares `features` as the exporter prepares them for `format` (densifying curves unless
    /// the format keeps them and `trueCurves` asks for it).
    public static func prepare(_ features: [Feature], layer: LayerSchema, format: String,
                               trueCurves: Bool = false) throws -> PreparedBatch {
        let key = try key(format, trueCurves: trueCurves)
        var preparer = GeometryPreparer(key, maxDeviation: nil)
        var prepared: [PreparedFeature] = []
        prepared.reserveCapacity(features.count)
        for feature in features {
            let geometry = try feature.geometry.map { try preparer.prepare($0, spatialReference: layer.spatialReference) }
            prepared.append(PreparedFeature(attributes: feature.attributes, geometry: geometry))
        }
        if key.inWGS84 { prepared = try WGS84Move(layer: layer, at: ErrorLocation(layer: layer.name)).apply(prepared, firstIndex: 0) }
        return PreparedBatch(features: prepared)
    }

    /// Writes one layer of prepared features in `format` into `directory` (which must not hold
    /// that output yet) in batches of 1,000, and commits; returns the features written.
    @discardableResult
    public static func write(_ batch: PreparedBatch, layer: LayerSchema, format: String, to directory: URL) throws -> Int {
        guard let type = WriterRegistry.standard.writer(named: format) else {
            throw ReplicaExportError(.unknownOutputFormat, "unknown format '\(format)'")
        }
        // Prepared features of a format that requires WGS 84 are in WGS 84 (see prepare), and the
        // writer is told so.
        let layer = type.profile.capabilities.contains(.requiresWGS84)
            ? try WGS84Move(layer: layer, at: ErrorLocation(layer: layer.name)).schema : layer
        let replica = Replica(name: layer.name, layers: [layer])
        let writer = try type.init(request: WriterRequest(outputDirectory: directory, replica: replica,
                                                          keepsCircularArcs: try key(format, trueCurves: false).keepsCircularArcs))
        do {
            try writer.beginLayer(layer)
            var start = 0
            while start < batch.features.count {
                let end = min(start + 1_000, batch.features.count)
                try writer.write(Array(batch.features[start..<end]))
                start = end
            }
            try writer.endLayer()
            return try writer.commit().reduce(0) { $0 + $1.featureCount }
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Writes a copy of the mobile geodatabase `template` to `output` with every non-archive
    /// feature layer refilled with `count` generated rows, deterministic for `seed`; returns the
    /// rows written per layer name. See `GeodatabaseGenerator`.
    @discardableResult
    public static func generateGeodatabase(template: URL, output: URL, count: Int, seed: UInt64 = 1) throws -> [String: Int] {
        try GeodatabaseGenerator.generate(template: template, output: output, count: count, seed: seed)
    }

    private static func key(_ format: String, trueCurves: Bool) throws -> PreparationKey {
        guard let type = WriterRegistry.standard.writer(named: format) else {
            throw ReplicaExportError(.unknownOutputFormat, "unknown format '\(format)'")
        }
        return PreparationKey(profile: type.profile, trueCurvesRequested: trueCurves)
    }
}
