import Foundation

/// GeoJSON (RFC 7946) through GDAL: one `<layer>.geojson` per layer, in WGS84 longitude/latitude
/// (moved there where features are prepared, a batch at a time: ``WGS84Move``) with counter-clockwise exterior rings, 7 decimals
/// of a degree (GDAL's RFC 7946 default, about 1 cm).
///
/// Feature `id` is the ObjectID (also kept as a property); dates ISO 8601 strings with
/// milliseconds (`2024-03-15T13:45:30.250Z`); blobs base64 strings; text that looks like JSON
/// stays text, and Single / Double values are written exactly, by replica-export
/// (``GeoJSONTextMarker``); Z kept. Loses: M, NaN and infinity (null), curves (densified before
/// writing), domains, aliases.
enum GeoJSONFormat: GDALFormat {
    static let profile = WriterProfile(
        formatName: "geojson", driverName: "GeoJSON",
        capabilities: [.zValues, .mixedGeometryTypes, .requiresWGS84],
        layout: .filePerLayer(extension: "geojson", siblings: []), featureID: .featureIDAndAttribute,
        columns: FieldTypeTable(FieldTypeTable.textRows, with: [
            .smallInteger: .column(.integer, .integer),
            .single: .column(.string, .formatted(exactNumber)),
            .double: .column(.string, .formatted(exactNumber)),
            .string: .column(.string, .formatted(plainText)),
            .xml: .column(.string, .formatted(plainText)),
            .globalID: .column(.string, .formatted(plainText)),
            .guid: .column(.string, .formatted(plainText)),
        ]),
        // GDAL 3.6.2 (OGRGeoJSONWriteLayer): the header ends with `"features": [` and a line
        // break, features are joined by ",\n", and closing writes "\n]", a layer bbox when
        // asked, then "\n}\n". Only layers without a bbox are segmented: see ``segmentable(_:)``.
        segmentLayout: .featureArray(opening: "\"features\": [\n", separator: ",\n", closing: "\n]\n}\n"),
        // 7 decimals of a degree: half of 1e-7 from rounding. (GDAL's rounding of a run of 9s or
        // 0s, which moved coordinates up to 1e-6 degree, is off: see GDALRuntime.) A geometry
        // beyond what RFC 7946 can hold is written as null (reported): see adjust.
        readBack: .init(coordinates: .absolute(1.5e-7),
                        refusedBeyond: WGS84Limits(longitude: 360, latitude: 90)),
        packaging: .singleFileOrZip)

    /// Only point layers (written in GDAL's plain mode, see ``layerOptions(for:columns:featureIDField:)``)
    /// are written in segments: in RFC 7946 mode GDAL writes the layer's bbox, merged feature by
    /// feature with an antimeridian rule that depends on the order, into space reserved in the
    /// header, which a splice could not reproduce byte for byte.
    static func segmentable(_ layer: LayerSchema) -> Bool { wrapsPointsItself(layer) }

    /// `RFC7946=YES`, except for point layers. In RFC 7946 mode GDAL 3.6.2 copies every feature
    /// (`OGRFeature::SetFrom`, which matches the fields by name) to wrap its longitude into
    /// [-180, 180] and check its bounds: about a tenth of the writer's time on points. For a point
    /// layer that is all RFC 7946 mode does, so ``adjust(_:layer:firstIndex:)`` does it, and the
    /// layer is written in GDAL's plain mode with RFC 7946's precision and no spatial reference
    /// (so no `crs` member): the same bytes. Lines and polygons keep GDAL's antimeridian cutting.
    static func layerOptions(for layer: LayerSchema, columns: [GDALColumnSpec], featureIDField: Int?) -> [String] {
        wrapsPointsItself(layer) ? ["COORDINATE_PRECISION=7"] : ["RFC7946=YES"]
    }

    static func declaresSpatialReference(of layer: LayerSchema) -> Bool { !wrapsPointsItself(layer) }

    /// RFC 7946 mode's treatment of geometries, as GDAL 3.6.2 would give it: a point's longitude
    /// beyond ±180 wrapped (`WrapPointDateLine`), done here for point layers, which are written in
    /// plain mode; a geometry beyond ``refusedBeyond`` given no geometry (reported). GDAL's own
    /// RFC 7946 writer refuses a line or polygon beyond ±90° of latitude (see ``GDALLayerWriter``,
    /// which writes it without), but beyond ±360° of longitude it writes empty or partial
    /// polygons without a word: those never reach it.
    static func adjust(_ features: [PreparedFeature], layer: LayerSchema, firstIndex: Int,
                       refused: inout [(offset: Int, reason: String)]) throws -> [PreparedFeature] {
        guard layer.kind != .table, layer.geometryType != nil else { return features }
        let limits = profile.readBack.refusedBeyond!
        var out = features
        for (offset, feature) in features.enumerated() {
            guard var geometry = feature.geometry else { continue }
            if case .point(let v) = geometry.shape, wrapsPointsItself(layer) {
                var wrapped = v
                wrapped.x = WGS84Limits.wrappedLongitude(v.x)
                geometry.shape = .point(wrapped)
                out[offset].geometry = geometry
            }
            // Beyond ±90° of latitude GDAL's RFC 7946 writer refuses a line or polygon itself.
            if limits.refuses(geometry, latitude: wrapsPointsItself(layer)) {
                out[offset].geometry = nil
                refused.append((offset, "the geometry lies beyond \(limits) in WGS 84 longitude/latitude, which GeoJSON (RFC 7946) cannot hold"))
            }
        }
        return out
    }

    /// A float32 / float64 as its shortest round-trip text behind ``GeoJSONTextMarker``'s number
    /// marker (GDAL 3.6.2 rounds some doubles); NaN and infinity, which JSON cannot hold, as null.
    static let exactNumber = ValueFormatter(name: "geojson number", readBack: .exactNumber) { value in
        switch value {
        case .float32(let f) where f.isFinite: return .text(GeoJSONTextMarker.number(f))
        case .float64(let d) where d.isFinite: return .text(GeoJSONTextMarker.number(d))
        case .float32, .float64: return .nonFinite
        default: return .mismatch
        }
    }

    /// Text or a GUID behind ``GeoJSONTextMarker``'s text marker where GDAL would write it as JSON.
    static let plainText = ValueFormatter(name: "geojson text", readBack: .text) { value in
        switch value {
        case .string(let s), .guid(let s): return .text(GeoJSONTextMarker.text(s))
        default: return .mismatch
        }
    }

    /// Takes the markers of the ``exactNumber``, ``plainText`` and label columns out of the file, unless
    /// it was joined from segments that were each stripped as they were closed (in parallel, and
    /// the joined file is not written twice).
    static func didCloseFile(_ file: String, columns: [GDALColumnSpec], layer: LayerSchema, directory: URL, joined: Bool) throws {
        guard !joined else { return }
        try stripMarkers(directory.appendingPathComponent(file).path, columns: columns, layer: layer)
    }

    static func didCloseSegment(_ path: String, columns: [GDALColumnSpec], layer: LayerSchema) throws {
        try stripMarkers(path, columns: columns, layer: layer)
    }

    static func labelText(_ label: String) -> String { GeoJSONTextMarker.text(label) }

    private static func stripMarkers(_ path: String, columns: [GDALColumnSpec], layer: LayerSchema) throws {
        func marks(_ column: GDALColumnSpec) -> Bool {
            switch column.encoding {
            case .label, .formatted: return true
            default: return false
            }
        }
        guard columns.contains(where: marks) else { return }
        let url = URL(fileURLWithPath: path)
        try GeoJSONTextMarker.strip(url, location: ErrorLocation(layer: layer.name, output: url.lastPathComponent))
    }

    private static func wrapsPointsItself(_ layer: LayerSchema) -> Bool {
        layer.kind != .table && layer.geometryType == .point
    }

}

/// Writes GeoJSON (`geojson`).
typealias GeoJSONWriter = GDALFormatWriter<GeoJSONFormat>

extension ExportFormat {
    /// One GeoJSON file per layer (`dataFormat=geojson`).
    public static let geoJSON = ExportFormat(GeoJSONFormat.profile.formatName)
}
