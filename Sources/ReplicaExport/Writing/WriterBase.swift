import Foundation

/// What the four GDAL-backed writers share (held by each, composition over inheritance): staging, names, diagnostics, the layer cursor.
final class WriterCore {
    let request: WriterRequest
    let staging: OutputStaging
    var names = OutputNames()
    private(set) var diagnostics: [Diagnostic] = []
    var outputs: [WrittenOutput] = []
    var currentLayer: LayerSchema?
    /// Layer-wide index of the next feature.
    var nextFeatureIndex = 0
    var finished = false

    init(request: WriterRequest) {
        self.request = request
        self.staging = OutputStaging(outputDirectory: request.outputDirectory, overwrite: request.overwrite)
    }

    func note(_ code: Diagnostic.Code, _ message: String, layer: String? = nil, field: String? = nil,
              file: String? = nil, count: Int? = nil) {
        diagnostics.append(Diagnostic(code, message, at: ErrorLocation(layer: layer, field: field, output: file),
                                      count: count))
    }

    func location(_ layer: LayerSchema) -> ErrorLocation { ErrorLocation(layer: layer.name) }

    /// Closes one output file of a layer (flushing it) and records it, with what it lost.
    func closeLayerFile(_ dataset: GDALOutputDataset, _ writer: GDALLayerWriter, layer: LayerSchema, file: String) throws {
        try dataset.close()
        reportLosses(writer, layer: layer, file: file)
        outputs.append(WrittenOutput(url: staging.finalURL(file), layerName: layer.name, featureCount: writer.featureCount))
    }

    /// Moves every staged output into place.
    func commitOutputs() throws -> [WrittenOutput] {
        try staging.commit()
        finished = true
        return outputs
    }

    /// Removes everything staged.
    func abortOutputs() {
        staging.abort()
        currentLayer = nil
        finished = true
    }

    func requireLayer(_ what: String) throws -> LayerSchema {
        guard let layer = currentLayer else {
            throw ReplicaExportError(.invalidState, "\(what) called outside beginLayer / endLayer")
        }
        return layer
    }

    func startLayer(_ layer: LayerSchema) throws {
        if finished { throw ReplicaExportError(.invalidState, "the writer was already committed or aborted") }
        if let current = currentLayer {
            throw ReplicaExportError(.invalidState, "beginLayer('\(layer.name)') while layer '\(current.name)' is open")
        }
        currentLayer = layer
        nextFeatureIndex = 0
    }

    /// One diagnostic per column and kind of loss, after a layer is written.
    func reportLosses(_ writer: GDALLayerWriter, layer: LayerSchema, file: String? = nil) {
        if writer.replacedMissingM > 0, let replacement = writer.missingMReplacement {
            note(.missingMeasureReplaced, "\(writer.replacedMissingM) vertices had no M value (NaN), which this format cannot store as such: "
                 + "written as M = \(replacement)", layer: layer.name, file: file)
        }
        for (column, loss) in zip(writer.columns, writer.losses) {
            if loss.millisecondsDropped > 0 {
                note(.millisecondsDropped, "milliseconds dropped from \(loss.millisecondsDropped) value(s): this format keeps whole seconds",
                     layer: layer.name, field: column.sourceName, file: file)
            }
            if loss.timeOfDayDropped > 0 {
                note(.timeOfDayDropped, "time of day dropped from \(loss.timeOfDayDropped) value(s): this format keeps the date only",
                     layer: layer.name, field: column.sourceName, file: file)
            }
            if loss.truncated > 0 {
                note(.valueTruncated, "\(loss.truncated) value(s) truncated to the format's maximum text length",
                     layer: layer.name, field: column.sourceName, file: file)
            }
        }
    }

    /// Diagnostics for names the driver changed.
    func reportRenames(_ writer: GDALLayerWriter, layer: LayerSchema, file: String? = nil) {
        for (column, created) in zip(writer.columns, writer.createdNames) where created != column.name {
            note(.fieldRenamed, "field renamed to '\(created)' by the driver", layer: layer.name, field: column.sourceName, file: file)
        }
    }

    /// The layer's OID field index, when the layer names one.
    func oidIndex(_ layer: LayerSchema) -> Int? {
        if let name = layer.objectIdField, let i = layer.fieldIndex(named: name) { return i }
        return layer.fields.firstIndex { $0.type == .objectID }
    }
}
