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
        // SQLite's page cache, in MB (SQLite's default is 2): the R-tree GDAL 3.6.2 fills at the end
        // of a layer, one point at a time in the rows' order, otherwise reads and writes its pages
        // back and forth (4.5 s of system time in 1,000,000 points). A bounded cache: memory stays
        // flat however many features.
        configOptions: ["OGR_SQLITE_CACHE": "64"],
        packaging: .zipped,
        // GDAL's GPKG driver commits each feature on its own outside a transaction (a rollback
        // journal created, written and deleted per feature); ogr2ogr groups 100,000 (`-gt`).
        // The R-tree is not filled row by row either way: GDAL 3.6.2 creates it once the layer's
        // rows are in (when the dataset is closed), as for ogr2ogr.
        featuresPerTransaction: 100_000).spelled(byArcGIS: "geoPackage")

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
