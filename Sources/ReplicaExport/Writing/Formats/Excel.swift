import Foundation

/// Excel (`.xlsx`) through GDAL's XLSX driver: one `<replica>.xlsx` with one sheet per layer and
/// table, the header row the column names.
///
/// Typed cells: integers and doubles as numbers, Date as an Excel date-time (UTC, with
/// milliseconds), DateOnly as a date, TimeOnly as a time; GUIDs, TimestampOffset (ISO 8601 with
/// its offset: Excel has none) and blobs (base64) as text. Point layers get `X`, `Y` (and `Z`)
/// number columns, as ArcGIS's exports write them (the mechanism CSV uses, ``GeometryColumns``);
/// other layers a `WKT` column first, in the layer's coordinate system (which the workbook cannot
/// record: the run names it). Sheet names are cut to Excel's 31 characters, without `[]:*?/\`,
/// unique; a layer longer than a sheet (1,048,576 rows, the header one of them) continues on
/// `<name> (2)`, ... (reported).
/// Loses (each reported): doubles needing 17 significant digits (GDAL 3.6.2 writes 16), integers
/// beyond 2^53 (Excel numbers are doubles), dates before 1 March 1900 (Excel's serial dates show
/// them wrong or not at all), text beyond a cell's 32,767 characters (cut; a longer WKT is not
/// written), control characters (XML has none), M, domains, aliases, nullability.
/// GDAL's XLSX driver holds the whole workbook in memory until it is closed: an export that would
/// not fit is refused before anything is written.
enum ExcelFormat: GDALFormat {
    static let profile = WriterProfile(
        formatName: "excel", driverName: "XLSX",
        capabilities: [.zValues, .mixedGeometryTypes, .multipleLayersPerFile],
        layout: .oneDataset(extension: "xlsx"),
        // As the text formats (GUIDs as given, blobs base64), but typed numbers, dates and times.
        columns: FieldTypeTable(FieldTypeTable.textRows, with: [
            .objectID: .column(.integer64, .integer64Within53Bits),
            .smallInteger: .column(.integer, .integer),
            .bigInteger: .column(.integer64, .integer64Within53Bits,
                                 note: "BigInteger stored as an Excel number, a double: values beyond 2^53 are rounded, and reported"),
            .single: .column(.real, .realShortestDecimal),
            .double: .column(.real, .real),
            .string: .column(.string, .formatted(text)),
            .xml: .column(.string, .formatted(text)),
            .date: .column(.dateTime, .dateTime),
            .dateOnly: .column(.date, .dateOnly),
            .timeOnly: .column(.time, .time),
            .timestampOffset: .column(.string, .timestampOffsetISO,
                                      note: "TimestampOffset stored as ISO 8601 text with its offset: an Excel date has no offset"),
        ]),
        // GDAL 3.6.2 reads a sheet's first row as its header only when told (OGR_XLSX_HEADERS is a
        // configuration option there; HEADERS an open option from 3.8).
        readBack: .init(emptyTextReadAsNull: true,
                        open: GDALReadOptions(drivers: ["XLSX"],
                                              configOptions: ["OGR_XLSX_HEADERS": "FORCE", "OGR_XLSX_FIELD_TYPES": "AUTO"]),
                        geometryFromColumns: true),
        packaging: .singleFileOrZip,
        limits: .init(
            layerNames: .init(maxCharacters: 31, forbidden: ["[", "]", ":", "*", "?", "/", "\\"], forbiddenAtEnds: ["'"],
                              reserved: ["history"]),
            featuresPerLayer: 1_048_575, textCharacters: 32_767, realDigits: 16,
            earliestDate: DateOnly(year: 1900, month: 3, day: 1), geometryInColumnsOnly: true, storesSpatialReference: false,
            emptyLayersLoseColumns: true,
            // Measured (peak RSS of the whole export, points of 8 fields and X / Y: 10 cells):
            // 113 MB for 50,000, 227 MB for 200,000, so 757 bytes a feature above about 76 MB;
            // estimated here as 200 + 64 per cell, and 80 MB. Long text costs more than this.
            memoryUntilClose: .init(bytesPerFeature: 200, bytesPerCell: 64, bytesFixed: 80 << 20)))

    /// Text as it reads back from the workbook's XML: without control characters, CR as LF.
    static let text = ValueFormatter.xmlText(
        name: "excel text", dropLeadingSpaces: false,
        alteration: "a workbook's XML holds no control characters, and CR reads back as LF")

    static func labelText(_ label: String) -> String { text.readBackText(label) }

    /// `WKT` (first) for every layer with geometry but point layers.
    static func wktColumn(for layer: LayerSchema, takenNames: Set<String>) -> String? {
        layer.kind == .table || layer.geometryType == nil || layer.geometryType == .point
            ? nil : GeometryColumns.wktName(takenNames: takenNames)
    }

    /// `X`, `Y` (and `Z`) number columns for point layers.
    static func extraColumns(for layer: LayerSchema, takenNames: Set<String>, notes: inout LayerNotes) -> [GDALColumnSpec] {
        GeometryColumns.pointColumns(for: layer, takenNames: takenNames, type: .real, notes: &notes)
    }
}

/// Writes Excel workbooks (`excel`).
typealias ExcelWriter = GDALFormatWriter<ExcelFormat>

extension ExportFormat {
    /// One Excel workbook of every layer (one sheet each, more for a layer longer than a sheet).
    public static let excel = ExportFormat(ExcelFormat.profile.formatName)
}
