import Foundation

/// CSV through GDAL: one UTF-8 `<layer>.csv` per layer with a `<layer>.csvt` of column types.
///
/// Geometry as a `WKT` first column for every geometry type (ISO WKT: Z, M and circular arcs kept
/// as curved WKT), plus `X`, `Y` (and `Z`) columns for point layers. The WKT is written here (see
/// ``WKT``) with shortest round-trip numbers, as the X / Y columns, where GDAL would keep 15
/// significant digits; GDAL writes only what has circular arcs or empty parts. Like every cell it
/// is quoted only when it must be (a point's has no comma). Dates are ISO 8601 UTC with
/// milliseconds (`2024-03-15T13:45:30.250Z`), DateOnly `2024-03-15`, TimeOnly `13:45:30.250`,
/// TimestampOffset `2024-03-15T15:45:30.250+02:00`; doubles as their shortest round-trip text
/// (GDAL's own formatting keeps only 15 digits); blobs as base64; null is an empty cell; cells are
/// quoted only when they must be. A `.prj` is written beside it when the layer has an SRS.
/// Loses: domains, aliases, nullability (none of them has a place in CSV), NaN and infinity
/// (written as empty cells: "nan" in a number column is text to most CSV readers).
enum CSVFormat: GDALFormat {
    static let profile = WriterProfile(
        formatName: "csv", driverName: "CSV",
        capabilities: [.circularArcs, .mixedGeometryTypes, .zValues, .mValues],
        layout: .filePerLayer(extension: "csv", siblings: ["csvt", "prj"]),
        // Reals as Swift's shortest round-trip text: GDAL's own formatting keeps 15 digits.
        columns: FieldTypeTable(FieldTypeTable.textRows, with: [
            .smallInteger: .column(.integer, .integer, subtype: .int16),
            .single: .column(.string, .numberText),
            .double: .column(.string, .numberText),
        ]),
        // WKT has no spelling for a missing measure that GDAL reads back ("nan" fails to parse).
        // Esri reads any M below -1e38 as "no measure"; -1e39 is written "-1E+39" (15 digits) and
        // reads back exactly, where the shapefile's -DBL_MAX rounds to -1.79769313486232E+308,
        // beyond the double range, and reads back as -inf.
        missingMeasure: -1e39,
        layerOptions: ["CREATE_CSVT=YES", "STRING_QUOTING=IF_NEEDED"],
        // GDAL 3.6.2 writes the header line (at the first feature or at close), then one line per
        // feature (LF on Unix), and nothing at close: files join by dropping later headers.
        segmentLayout: .headerLine,
        // GDAL's CSV reader reads CR LF inside a quoted cell as LF.
        readBack: .init(crlfReadAsLF: true),
        packaging: .singleFileOrZip)

    static func layerOptions(for layer: LayerSchema, columns: [GDALColumnSpec], featureIDField: Int?) -> [String] {
        hasGeometry(layer) && !columns.holdGeometryAsWKT ? ["GEOMETRY=AS_WKT"] : []
    }

    /// The WKT is a text column the writer fills: GDAL 3.6.2 formats each coordinate through an
    /// `ostringstream` (about a fifth of a point CSV's time). Not when a field takes the name.
    static func wktColumn(for layer: LayerSchema, takenNames: Set<String>) -> String? {
        takenNames.contains("wkt") ? nil : "WKT"
    }

    /// `X`, `Y` (and `Z`) for point layers as text, renamed `X_1`... when a field already has the name.
    static func extraColumns(for layer: LayerSchema, takenNames: Set<String>, notes: inout LayerNotes) -> [GDALColumnSpec] {
        guard hasGeometry(layer) else { return [] }
        return GeometryColumns.pointColumns(for: layer, takenNames: takenNames, type: .string, notes: &notes)
    }

    /// GDAL's `.csvt` says String for the columns formatted here: rewrite it with the real types.
    static func didCloseFile(_ file: String, columns: [GDALColumnSpec], layer: LayerSchema, directory: URL, joined: Bool) throws {
        let types = (hasGeometry(layer) && !columns.holdGeometryAsWKT ? ["WKT"] : [])
            + columns.map { $0.encoding == .geometryWKT ? "WKT" : csvType($0.sourceType) }
        let csvt = (file as NSString).deletingPathExtension + ".csvt"
        do {
            try (types.joined(separator: ",") + "\n").write(to: directory.appendingPathComponent(csvt),
                                                             atomically: false, encoding: .utf8)
        } catch {
            throw ReplicaExportError(.fileSystem, "cannot write '\(csvt)': \(error.localizedDescription)",
                                     at: ErrorLocation(layer: layer.name, output: csvt), cause: error as NSError)
        }
    }

    /// The `.csvt` type of a field type; nil (a point coordinate column) is Real.
    static func csvType(_ type: FieldType?) -> String {
        switch type {
        case nil: return "Real"
        case .objectID?, .bigInteger?: return "Integer64"
        case .smallInteger?: return "Integer(Int16)"
        case .integer?: return "Integer"
        case .single?: return "Real(Float32)"
        case .double?: return "Real"
        case .date?, .timestampOffset?: return "DateTime"
        case .dateOnly?: return "Date"
        case .timeOnly?: return "Time"
        case .string?, .xml?, .globalID?, .guid?, .blob?, .raster?: return "String"
        }
    }

    private static func hasGeometry(_ layer: LayerSchema) -> Bool { layer.kind != .table && layer.geometryType != nil }
}

/// Writes CSV (`csv`).
typealias CSVWriter = GDALFormatWriter<CSVFormat>

extension ExportFormat {
    /// One CSV file per layer (`dataFormat=csv`).
    public static let csv = ExportFormat(CSVFormat.profile.formatName)
}
