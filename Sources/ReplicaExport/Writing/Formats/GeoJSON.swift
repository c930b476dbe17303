/// GeoJSON (RFC 7946) through GDAL: one `<layer>.geojson` per layer, reprojected by GDAL to WGS84
/// longitude/latitude with counter-clockwise exterior rings, 7 decimals of a degree (GDAL's
/// RFC 7946 default, about 1 cm).
///
/// Feature `id` is the ObjectID (also kept as a property); dates ISO 8601 strings with
/// milliseconds (`2024-03-15T13:45:30.250Z`); blobs base64 strings; Z kept. Loses: M, curves
/// (densified before writing), domains, aliases.
enum GeoJSONFormat: GDALFormat {
    static let profile = WriterProfile(
        formatName: "geojson", driverName: "GeoJSON",
        capabilities: [.zValues, .mixedGeometryTypes, .requiresWGS84],
        layout: .filePerLayer(extension: "geojson", siblings: []), featureID: .featureIDAndAttribute,
        columns: FieldTypeTable(FieldTypeTable.textRows, with: [
            .smallInteger: .column(.integer, .integer),
            .single: .column(.real, .realShortestDecimal),
            .double: .column(.real, .real),
        ]),
        layerOptions: ["RFC7946=YES"])
}

/// Writes GeoJSON (`geojson`).
typealias GeoJSONWriter = GDALFormatWriter<GeoJSONFormat>
