/// Esri file geodatabase through GDAL's OpenFileGDB driver: one `<replica>.gdb` with every layer
/// as a feature class (or a table when it has no geometry).
///
/// Keeps: field types (SmallInteger as Int16, Single as Float32), aliases, nullability, ObjectIDs
/// (as the FID), GUID and GlobalID values (as GUID columns: GDAL never makes a GlobalID column,
/// which it would regenerate), coded and range domains, circular arcs as true curves, Z and M.
/// Loses: milliseconds of dates (rounded to the nearest second), BigInteger beyond 2^53 (a Double
/// column: rounded to the nearest double), TimeOnly and
/// TimestampOffset become ISO text; a missing M (NaN) is written as 0, which GDAL 3.6.2 needs
/// (reported). NaN and infinity in Single and Double fields are kept.
enum FileGDBFormat: GDALFormat {
    static let profile = WriterProfile(
        formatName: "filegdb", driverName: "OpenFileGDB",
        capabilities: [.circularArcs, .domains, .nullability, .aliases, .binaryFields, .zValues, .mValues,
                       .multipleLayersPerFile, .relationships, .attachments],
        layout: .oneDataset(extension: "gdb"), featureID: .objectIDColumn,
        columns: FieldTypeTable([
            .objectID: .column(.integer64, .integer64Within53Bits),
            .globalID: .column(.string, .guidBracedUpper, width: .fixed(38),
                               note: "GlobalID kept as a GUID column with the replica's values (a GlobalID column would be regenerated)"),
            .guid: .column(.string, .guidBracedUpper, width: .fixed(38)),
            .smallInteger: .column(.integer, .integer, subtype: .int16),
            .integer: .column(.integer, .integer),
            .bigInteger: .column(.integer64, .integer64Within53Bits,
                                 note: "BigInteger stored as a Double column (GDAL 3.6.2's FileGDB has no 64-bit integer type): values beyond 2^53 are rounded, and reported"),
            .single: .column(.real, .real, subtype: .float32),
            .double: .column(.real, .real),
            .string: .column(.string, .string, width: .fieldLength),
            .xml: .column(.string, .string),
            .date: .column(.dateTime, .dateTimeWholeSeconds),
            .dateOnly: .column(.date, .dateOnly),
            .timeOnly: .column(.string, .timeOnlyISO, width: .fixed(12),
                               note: "TimeOnly stored as text HH:MM:SS.sss: GDAL 3.6 cannot write a time-only FileGDB field"),
            .timestampOffset: .column(.string, .timestampOffsetISO, width: .fixed(29),
                                      note: "TimestampOffset stored as ISO 8601 text with its offset: GDAL 3.6 would convert it to UTC and drop the offset"),
            .blob: .column(.binary, .binary),
            .raster: .column(.binary, .binary),
        ]),
        // GDAL 3.6.2 cannot encode a NaN M ("no measure") in a FileGDB and refuses the feature
        // (checked again on this machine: OGR_L_CreateFeature fails for POINT ZM (1 2 3 NaN)).
        missingMeasure: 0,
        // Double and Float32 columns hold NaN and infinity as such.
        nonFiniteReals: [.nan, .infinity],
        // Coordinates snap to the spatial reference's grid; GDAL 3.6.2 reads a domain's codes and
        // labels without their leading white space (the file keeps it).
        readBack: .init(coordinates: .resolutionGrid, domainLeadingSpaceLost: true),
        packaging: .zipped)

    static func layerOptions(for layer: LayerSchema, columns: [GDALColumnSpec], featureIDField: Int?) -> [String] {
        var options: [String] = []
        if let featureIDField { options.append("FID=\(layer.fields[featureIDField].name)") }
        let guids = columns.filter { $0.sourceType == .globalID || $0.sourceType == .guid }
        if !guids.isEmpty {
            options.append("COLUMN_TYPES=" + guids.map { "\($0.name)=esriFieldTypeGUID" }.joined(separator: ","))
        }
        if layer.kind != .table, layer.geometryType != nil, let sr = layer.spatialReference {
            if let r = sr.xyResolution, r > 0 { options.append("XYSCALE=\(1 / r)") }
            if let t = sr.xyTolerance, t > 0 { options.append("XYTOLERANCE=\(t)") }
        }
        return options
    }
}

/// Writes FileGDB (`filegdb`).
typealias FileGDBWriter = GDALFormatWriter<FileGDBFormat>

extension ExportFormat {
    /// An Esri file geodatabase (`dataFormat=filegdb`).
    public static let fileGDB = ExportFormat(FileGDBFormat.profile.formatName)
}
