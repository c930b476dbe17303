import Foundation

/// CSV through GDAL: one UTF-8 `<layer>.csv` per layer with a `<layer>.csvt` of column types.
///
/// Geometry as a `WKT` first column for every geometry type (ISO WKT: Z, M and circular arcs kept
/// as curved WKT), plus `X`, `Y` (and `Z`) columns for point layers. Dates are ISO 8601 UTC with
/// milliseconds (`2024-03-15T13:45:30.250Z`), DateOnly `2024-03-15`, TimeOnly `13:45:30.250`,
/// TimestampOffset `2024-03-15T15:45:30.250+02:00`; doubles as their shortest round-trip text
/// (GDAL's own formatting keeps only 15 digits); blobs as base64; null is an empty cell; cells are
/// quoted only when they must be. A `.prj` is written beside it when the layer has an SRS.
/// Loses: domains, aliases, nullability (none of them has a place in CSV).
public final class CSVWriter: FormatWriter {
    public static let formatName = "csv"
    public static let capabilities: WriterCapabilities = [.circularArcs, .mixedGeometryTypes, .zValues, .mValues]

    private let core: WriterCore
    public var diagnostics: [Diagnostic] { core.diagnostics }
    private var dataset: GDALOutputDataset?
    private var writer: GDALLayerWriter?
    private var csvtTypes: [String] = []
    private var file = ""
    private var directory: URL?

    public init(request: WriterRequest) throws {
        core = WriterCore(request: request)
    }

    public func beginLayer(_ layer: LayerSchema) throws {
        try core.startLayer(layer)
        var loc = core.location(layer)
        let base = core.names.name(for: layer)
        file = "\(base).csv"
        loc.output = file
        let siblings = ["\(base).csvt", "\(base).prj"]
        try core.staging.checkAvailable([file] + siblings, at: loc)
        let dir = try core.staging.makeGroup(label: file, obsolete: siblings, at: loc)
        directory = dir
        let hasGeometry = layer.kind != .table && layer.geometryType != nil
        var columns: [GDALColumnSpec] = []
        csvtTypes = hasGeometry ? ["WKT"] : []
        for (i, field) in layer.fields.enumerated() {
            var spec = GDALColumnSpec(name: field.name, type: .string, source: i, encoding: .string, sourceName: field.name)
            let csvt: String
            switch field.type {
            case .objectID, .bigInteger: (spec.type, spec.encoding, csvt) = (.integer64, .integer64, "Integer64")
            case .smallInteger: (spec.type, spec.subtype, spec.encoding, csvt) = (.integer, .int16, .integer, "Integer(Int16)")
            case .integer: (spec.type, spec.encoding, csvt) = (.integer, .integer, "Integer")
            case .single: (spec.encoding, csvt) = (.numberText, "Real(Float32)")
            case .double: (spec.encoding, csvt) = (.numberText, "Real")
            case .string, .xml: (spec.encoding, csvt) = (.string, "String")
            case .globalID, .guid: (spec.encoding, csvt) = (.guidAsGiven, "String")
            case .date: (spec.encoding, csvt) = (.dateISO, "DateTime")
            case .dateOnly: (spec.encoding, csvt) = (.dateOnlyISO, "Date")
            case .timeOnly: (spec.encoding, csvt) = (.timeOnlyISO, "Time")
            case .timestampOffset: (spec.encoding, csvt) = (.timestampOffsetISO, "DateTime")
            case .blob, .raster: (spec.encoding, csvt) = (.base64, "String")
            }
            columns.append(spec)
            csvtTypes.append(csvt)
        }
        if hasGeometry && layer.geometryType == .point {
            let taken = Set(layer.fields.map { $0.name.lowercased() } + ["wkt"])
            var axes: [(String, ValueEncoding)] = [("X", .geometryX), ("Y", .geometryY)]
            if layer.hasZ { axes.append(("Z", .geometryZ)) }
            for (axis, encoding) in axes {
                var name = axis, n = 1
                while taken.contains(name.lowercased()) { name = "\(axis)_\(n)"; n += 1 }
                if name != axis {
                    core.note(.fieldRenamed, "point coordinate column named '\(name)': '\(axis)' is a field", layer: layer.name, file: file)
                }
                columns.append(GDALColumnSpec(name: name, type: .string, source: 0, encoding: encoding, sourceName: name))
                csvtTypes.append("Real")
            }
        }
        let created = try GDALOutputDataset(driver: "CSV", path: dir.appendingPathComponent(file).path, location: loc)
        var options = ["CREATE_CSVT=YES", "STRING_QUOTING=IF_NEEDED"]
        if hasGeometry { options.append("GEOMETRY=AS_WKT") }
        let geometry = GDALGeometrySpec(kind: hasGeometry ? .unknown : .none, hasZ: layer.hasZ, hasM: layer.hasM)
        let w = try created.createLayer(name: base, spatialReference: layer.spatialReference, geometry: geometry,
                                        options: options, columns: columns, fidSource: nil, at: loc)
        core.reportRenames(w, layer: layer, file: file)
        // WKT has no spelling for a missing measure that GDAL reads back ("nan" fails to parse):
        // use Esri's no-data measure, as the shapefile writer does.
        w.missingMReplacement = -Double.greatestFiniteMagnitude
        dataset = created
        writer = w
    }

    public func write(_ features: [PreparedFeature]) throws {
        _ = try core.requireLayer("write")
        try writer?.write(features, firstIndex: core.nextFeatureIndex)
        core.nextFeatureIndex += features.count
    }

    public func endLayer() throws {
        let layer = try core.requireLayer("endLayer")
        if let dataset, let writer {
            try core.closeLayerFile(dataset, writer, layer: layer, file: file)
            // GDAL's .csvt says String for the columns we format ourselves: write the real types.
            if let directory {
                let csvt = directory.appendingPathComponent((file as NSString).deletingPathExtension + ".csvt")
                do {
                    try (csvtTypes.joined(separator: ",") + "\n").write(to: csvt, atomically: false, encoding: .utf8)
                } catch {
                    throw ReplicaExportError(.fileSystem, "cannot write '\(csvt.lastPathComponent)': \(error.localizedDescription)",
                                       at: core.location(layer), cause: error as NSError)
                }
            }
        }
        dataset = nil
        writer = nil
        core.currentLayer = nil
    }

    public func commit() throws -> [WrittenOutput] {
        if core.currentLayer != nil { try endLayer() }
        return try core.commitOutputs()
    }

    public func abort() {
        writer = nil
        dataset = nil
        core.abortOutputs()
    }
}
