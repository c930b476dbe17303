import Foundation

/// ESRI Shapefile through GDAL: one shapefile per layer (a lone `.dbf` for tables).
///
/// Field names are cut to 10 bytes without collisions (`descriptio`, `descript_1`), the mapping
/// written beside the files as `<layer>.fieldnames.csv` and reported. Text is UTF-8 (`.cpg`), the
/// `.prj` comes from the SRS, Z and M are kept (a missing M as the shapefile "no data" measure,
/// below -1e38). A layer whose features mix geometry types gets one shapefile per extra type
/// (`<layer>_points.shp`, ...), created when first needed.
/// Loses: time of day of dates (date only), blobs (no binary type), text beyond 254 bytes
/// (truncated), doubles keep 15 decimals (fixed-point `.dbf` numbers) and a double too large for
/// them (beyond about 1e17) or NaN or infinity is written as null. TimeOnly and TimestampOffset
/// become ISO text.
enum ShapefileFormat: GDALFormat {
    static let profile = WriterProfile(
        formatName: "shapefile", driverName: "ESRI Shapefile",
        capabilities: [.zValues, .mValues],
        layout: .filePerLayer(extension: "shp",
                              siblings: ["shx", "dbf", "prj", "cpg", "qix", "sbn", "sbx", "fieldnames.csv"],
                              tableExtension: "dbf"),
        columns: FieldTypeTable([
            .objectID: .column(.integer64, .integer64, width: .fixed(18)),
            .smallInteger: .column(.integer, .integer, width: .fixed(6)),
            .integer: .column(.integer, .integer, width: .fixed(11)),
            .bigInteger: .column(.integer64, .integer64, width: .fixed(20)),
            .single: .column(.real, .realShortestDecimal, width: .fixed(33), precision: 15),
            .double: .column(.real, .realShortestDecimal, width: .fixed(33), precision: 15),
            .globalID: .column(.string, .guidAsGiven, width: .fixed(38)),
            .guid: .column(.string, .guidAsGiven, width: .fixed(38)),
            // Written as wide as the input's longest value where it tells it, shrunk at close anyway
            // (see didCloseFile): GDAL fills and writes every record at its full width first.
            .string: .column(.string, .stringMaxBytes(254), width: .maxValueBytes(max: 254)),
            .xml: .column(.string, .stringMaxBytes(254), width: .maxValueBytes(max: 254)),
            .date: .column(.date, .dateToDate),
            .dateOnly: .column(.date, .dateOnly),
            .timeOnly: .column(.string, .timeOnlyISO, width: .fixed(12)),
            .timestampOffset: .column(.string, .timestampOffsetISO, width: .fixed(29)),
            .blob: .dropped(reason: "blob field skipped: shapefiles have no binary field type"),
            .raster: .dropped(reason: "blob field skipped: shapefiles have no binary field type"),
        ]),
        // The shapefile specification's "no data" measure is any value below -1e38 (NaN is not allowed).
        missingMeasure: -Double.greatestFiniteMagnitude,
        maxFieldNameBytes: 10,
        // The .dbf's end-of-file marker is written at close instead of by GDAL (see didCloseFile).
        layerOptions: ["ENCODING=UTF-8", "DBF_EOF_CHAR=NO"],
        segmentLayout: .spliced(SegmentSplicer(name: "shapefile") { segments, first, location in
            try ShapefileSplice.append(segments, to: first, location: location)
        }),
        packaging: .zipped)

    /// The `.dbf` gets its end-of-file marker (0x1A) now: shapelib writes it after every record
    /// and must then seek back over it before the next, which glibc turns into a seek, a read of
    /// the block, another seek and a write per feature (measured on 100,000 points: 200,050
    /// `lseek`, 100,168 `read` and 101,376 `write` calls with it, 50, 168 and 1,376 without); the
    /// bytes are the same.
    ///
    /// A layer with text columns then gets the `.dbf` GDAL's `RESIZE=YES` would give (text and
    /// integer columns as narrow as their widest value), shrunk by ``DBFShrink``: GDAL 3.6.2's own
    /// resize rewrites the whole file once per column, a record at a time.
    static func didCloseFile(_ file: String, columns: [GDALColumnSpec], layer: LayerSchema, directory: URL, joined: Bool) throws {
        let dbf = directory.appendingPathComponent(file).deletingPathExtension().appendingPathExtension("dbf")
        try appendEndOfFileMarker(to: dbf, location: ErrorLocation(layer: layer.name, output: dbf.lastPathComponent))
        guard columns.contains(where: { $0.type == .string }) else { return }
        try DBFShrink.shrink(dbf)
    }

    /// dBASE's end-of-file marker, which GDAL writes by default and ArcGIS expects.
    static let endOfFileMarker: UInt8 = 0x1A

    /// Appends ``endOfFileMarker`` to the closed `.dbf` at `dbf`.
    static func appendEndOfFileMarker(to dbf: URL, location: ErrorLocation) throws {
        let file = try FileDescriptor(path: dbf.path, flags: O_WRONLY | O_APPEND, role: "the .dbf", location: location)
        try file.write([endOfFileMarker], location: location)
        try file.close(location: location)
    }

    /// Writes `<layer>.fieldnames.csv` (original,short) when names had to be shortened.
    static func didPlanColumns(_ columns: [GDALColumnSpec], layer: LayerSchema, baseName: String, directory: URL) throws {
        let renamed = columns.filter { $0.name != $0.sourceName }
        guard !renamed.isEmpty else { return }
        var text = "original,short\n"
        for column in renamed { text += csvField(column.sourceName) + "," + csvField(column.name) + "\n" }
        let file = "\(baseName).fieldnames.csv"
        do {
            try text.write(to: directory.appendingPathComponent(file), atomically: false, encoding: .utf8)
        } catch {
            throw ReplicaExportError(.fileSystem, "cannot write the field name mapping: \(error.localizedDescription)",
                                     at: ErrorLocation(layer: layer.name, output: file), cause: error as NSError)
        }
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

/// Writes shapefiles (`shapefile`).
typealias ShapefileWriter = GDALFormatWriter<ShapefileFormat>

extension ExportFormat {
    /// One shapefile per layer (`dataFormat=shapefile`).
    public static let shapefile = ExportFormat(ShapefileFormat.profile.formatName)
}
