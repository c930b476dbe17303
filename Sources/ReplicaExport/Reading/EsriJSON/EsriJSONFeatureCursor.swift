/// A cursor over one layer's `features` array: its own scanner, left inside the array between
/// calls, so that it reads no further than the batch asked for and holds one buffer, not the layer.
final class EsriJSONFeatureCursor: FeatureCursor {
    /// Kept for its diagnostics, recorded when the layer has been read to its end.
    private let source: EsriJSONReplicaSource
    private let layerIndex: Int
    private let layerName: String
    private let batchSize: Int
    /// nil once the cursor has ended or failed; dropping it closes the file at once.
    private var scanner: JSONScanner?
    private var reader: FeatureReader
    private var first = true
    private var featureIndex = 0

    /// Positions a scanner just inside the array at `featuresOffset`; nil (a layer without
    /// `features`) gives a cursor that is already at its end.
    init(source: EsriJSONReplicaSource, layerIndex: Int, featuresOffset: Int?, batchSize: Int) throws {
        self.source = source
        self.layerIndex = layerIndex
        let layer = source.replica.layers[layerIndex]
        layerName = layer.name
        self.batchSize = max(1, batchSize)
        reader = FeatureReader(layer: layer, file: source.url.path, widening: source.widenings[layerIndex])
        guard let featuresOffset else { return }
        let s = try JSONScanner(url: source.url, chunkSize: source.chunkSize)
        try s.seek(to: featuresOffset)
        s.resetNonStandard()
        try s.beginArray()
        scanner = s
    }

    func next() throws -> [Feature]? {
        guard let s = scanner else { return nil }
        var batch: [Feature] = []
        batch.reserveCapacity(min(batchSize, 65_536))
        do {
            while batch.count < batchSize {
                guard try s.nextElement(first: &first) else {
                    scanner = nil
                    source.recordEndOfLayer(layerIndex, reader: reader, nonStandard: s.nonStandard)
                    break
                }
                do {
                    batch.append(try reader.read(s))
                } catch var error as ReplicaExportError {
                    error.location = error.location.filled(from: ErrorLocation(
                        input: source.url.path, layer: layerName, featureIndex: featureIndex, objectID: reader.objectID))
                    throw error
                }
                featureIndex &+= 1
            }
        } catch {
            scanner = nil
            throw error
        }
        return batch.isEmpty ? nil : batch
    }
}
