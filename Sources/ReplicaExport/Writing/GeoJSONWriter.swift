import Foundation

/// GeoJSON (RFC 7946) through GDAL: one `<layer>.geojson` per layer, reprojected by GDAL to WGS84
/// longitude/latitude with counter-clockwise exterior rings, 7 decimals of a degree (GDAL's
/// RFC 7946 default, about 1 cm).
///
/// Feature `id` is the ObjectID (also kept as a property); dates ISO 8601 strings with
/// milliseconds (`2024-03-15T13:45:30.250Z`); blobs base64 strings; Z kept. Loses: M (diagnostic),
/// curves (linearised before writing), domains, aliases.
public final class GeoJSONWriter: FormatWriter {
    public static let formatName = "geojson"
    public static let capabilities: WriterCapabilities = [.zValues, .mixedGeometryTypes, .requiresWGS84]

    private let core: WriterCore
    public var diagnostics: [Diagnostic] { core.diagnostics }
    private var dataset: GDALOutputDataset?
    private var writer: GDALLayerWriter?
    private var file = ""

    public init(request: WriterRequest) throws {
        core = WriterCore(request: request)
    }

    public func beginLayer(_ layer: LayerSchema) throws {
        try core.startLayer(layer)
        var loc = core.location(layer)
        let base = core.names.name(for: layer)
        file = "\(base).geojson"
        loc.output = file
        try core.staging.checkAvailable([file], at: loc)
        let dir = try core.staging.makeGroup(label: file, at: loc)
        let hasGeometry = layer.kind != .table && layer.geometryType != nil
        var columns: [GDALColumnSpec] = []
        for (i, field) in layer.fields.enumerated() {
            var spec = GDALColumnSpec(name: field.name, type: .string, source: i, encoding: .string, sourceName: field.name)
            switch field.type {
            case .objectID, .bigInteger: (spec.type, spec.encoding) = (.integer64, .integer64)
            case .smallInteger, .integer: (spec.type, spec.encoding) = (.integer, .integer)
            case .single: (spec.type, spec.encoding) = (.real, .realShortestDecimal)
            case .double: (spec.type, spec.encoding) = (.real, .real)
            case .string, .xml: spec.encoding = .string
            case .globalID, .guid: spec.encoding = .guidAsGiven
            case .date: spec.encoding = .dateISO
            case .dateOnly: spec.encoding = .dateOnlyISO
            case .timeOnly: spec.encoding = .timeOnlyISO
            case .timestampOffset: spec.encoding = .timestampOffsetISO
            case .blob, .raster: spec.encoding = .base64
            }
            columns.append(spec)
        }
        if hasGeometry && layer.hasM {
            core.note(.measuresDropped, "M values dropped: GeoJSON has no measures", layer: layer.name, file: file)
        }
        if hasGeometry && layer.spatialReference == nil {
            core.note(.noSpatialReference, "no spatial reference: coordinates written as given, assumed to be WGS84 longitude/latitude",
                      layer: layer.name, file: file)
        }
        let created = try GDALOutputDataset(driver: "GeoJSON", path: dir.appendingPathComponent(file).path, location: loc)
        let geometry = GDALGeometrySpec(kind: hasGeometry ? .unknown : .none, hasZ: layer.hasZ, hasM: false)
        let w = try created.createLayer(name: base, spatialReference: hasGeometry ? layer.spatialReference : nil,
                                        geometry: geometry, options: ["RFC7946=YES"], columns: columns,
                                        fidSource: core.oidIndex(layer), keepM: false, at: loc)
        core.reportRenames(w, layer: layer, file: file)
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
        if let dataset, let writer { try core.closeLayerFile(dataset, writer, layer: layer, file: file) }
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
