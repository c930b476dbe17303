/// OGC GeoPackage through GDAL's GPKG driver: one `<replica>.gpkg` with every layer (ArcGIS Online's
/// createReplica `dataFormat=geoPackage`).
///
/// Keeps: ObjectIDs (as the FID column), 64-bit integers exactly, Single as Float32, dates with
/// milliseconds (UTC), nullability, coded and range domains (GDAL's field-domain API),
/// circular arcs as GeoPackage curve geometries (with the true-curve bit), Z and M (a missing M stays
/// NaN), blobs as BLOBs. GUIDs and GlobalIDs are text as given; TimeOnly and TimestampOffset ISO text.
/// Infinity in Single and Double fields is kept.
/// Loses: field aliases (GDAL 3.6.2's GeoPackage driver does not write them), NaN in Single and
/// Double fields (SQLite stores it as NULL; written as null and reported).
enum GeoPackageFormat: GDALFormat {
    static let profile = WriterProfile(
        formatName: "geopackage", driverName: "GPKG",
        capabilities: [.circularArcs, .domains, .nullability, .binaryFields, .zValues, .mValues,
                       .multipleLayersPerFile, .attachments],
        layout: .oneDataset(extension: "gpkg"), featureID: .objectIDColumn,
        columns: FieldTypeTable([
            .objectID: .column(.integer64, .integer64),
            .globalID: .column(.string, .guidAsGiven, width: .fixed(38)),
            .guid: .column(.string, .guidAsGiven, width: .fixed(38)),
            .smallInteger: .column(.integer, .integer, subtype: .int16),
            .integer: .column(.integer, .integer),
            .bigInteger: .column(.integer64, .integer64),
            .single: .column(.real, .real, subtype: .float32),
            .double: .column(.real, .real),
            .string: .column(.string, .string, width: .fieldLength),
            .xml: .column(.string, .string),
            .date: .column(.dateTime, .dateTime),
            .dateOnly: .column(.date, .dateOnly),
            .timeOnly: .column(.string, .timeOnlyISO,
                               note: "TimeOnly stored as text HH:MM:SS.sss: GeoPackage has no time-only type"),
            .timestampOffset: .column(.string, .timestampOffsetISO,
                                      note: "TimestampOffset stored as ISO 8601 text with its offset: a GeoPackage DateTime would keep UTC only"),
            .blob: .column(.binary, .binary),
            .raster: .column(.binary, .binary),
        ]),
        // SQLite stores a NaN REAL as NULL; infinity it keeps.
        nonFiniteReals: [.infinity],
        curvesNeedCurveLayerType: true,
        packaging: .zipped).spelled(byArcGIS: "geoPackage")

    static func layerOptions(for layer: LayerSchema, columns: [GDALColumnSpec], featureIDField: Int?) -> [String] {
        featureIDField.map { ["FID=\(layer.fields[$0].name)"] } ?? []
    }
}

/// Writes GeoPackage (`geopackage`).
typealias GeoPackageWriter = GDALFormatWriter<GeoPackageFormat>

extension ExportFormat {
    /// An OGC GeoPackage (`dataFormat=geopackage`).
    public static let geoPackage = ExportFormat(GeoPackageFormat.profile.formatName)
}
