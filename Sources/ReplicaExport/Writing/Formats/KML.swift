import Foundation

/// KML through GDAL's KML driver (not LIBKML, which took 108 s for 10,000 points where this one
/// streams), delivered as `<replica>.kmz`: a zip holding the document as `doc.kml` and, where
/// attachments are asked for, their bytes under `files/<layer>/` with `files/<layer>.csv`
/// indexing them.
///
/// One `Folder` per layer and table, in WGS 84 longitude / latitude (moved there where features are
/// prepared, ``WGS84Move``), Z as altitude (`altitudeMode` absolute where every line and polygon
/// layer has Z; otherwise GDAL would put 2D lines at sea level, and viewers clamp all to the
/// ground), curves densified, an empty geometry as none. Each placemark's `<name>` is its ObjectID;
/// every field is typed `ExtendedData` (`SchemaData` / `SimpleData`) of a `Schema` at the top of
/// the document: SmallInteger `short`, Integer `int`, Single `float`, Double `double` (written by
/// replica-export as its shortest round-trip text: GDAL prints 15 digits), everything else `string`
/// (64-bit integers exact, dates ISO 8601, blobs base64). GDAL writes each layer's schema at the end
/// of the document but the first's, types doubles `float` and 64-bit integers `string`: the schemas
/// are rewritten at the top when the document is closed (``didCloseDataset(_:layers:)``).
/// Loses: M, aliases, domains, nullability; text loses control characters (XML 1.0 has none),
/// leading spaces (GDAL's KML writer drops them) and CR (read as LF), each reported; field names
/// with `<`, `>`, `&` or `"` are renamed (GDAL writes them unescaped); GDAL makes layer names valid
/// XML names (spaces to `_`).
enum KMLFormat: GDALFormat {
    static let profile = WriterProfile(
        formatName: "kml", driverName: "KML",
        capabilities: [.zValues, .mixedGeometryTypes, .requiresWGS84, .multipleLayersPerFile],
        layout: .oneDataset(extension: "kml"),
        // As the text formats (64-bit integers exact as text, ISO dates, base64), but typed numbers.
        columns: FieldTypeTable(FieldTypeTable.textRows, with: [
            .smallInteger: .column(.integer, .integer, subtype: .int16),
            // GDAL prints a Real with 15 significant digits: enough for a float32's shortest decimal.
            .single: .column(.real, .realShortestDecimal, subtype: .float32),
            .double: .column(.string, .numberText),
            .string: .column(.string, .formatted(text)),
            .xml: .column(.string, .formatted(text)),
        ]),
        // No field goes to `<name>` or `<description>` (GDAL would leave it out of ExtendedData)
        // but the ObjectID copy of ``extraColumns(for:takenNames:notes:)``.
        datasetOptions: ["NameField=\(nameColumn)", "DescriptionField=\(nameColumn):description"],
        // GDAL's KML driver reads no ExtendedData: LIBKML reads the document back (inside the
        // KMZ: opened as a .kmz it drops the schemas), its own fields renamed out of the way of
        // fields named `name`, `begin`, `icon`...
        // LIBKML reads text with its trailing spaces dropped, which the document keeps.
        readBack: .init(trailingSpacesLost: true, open: GDALReadOptions(drivers: ["LIBKML"], configOptions: libkmlOwnFields),
                        refusedBeyond: WGS84Limits(longitude: 180, latitude: 90, pointsWrapped: false)),
        packaging: .singleFileOrZip,
        limits: .init(fieldNameCharactersReplaced: ["<", ">", "&", "\""],
                      // Deflated at level 1, not libzip's default 9: zlib at level 1 took 7.0 s where
                      // level 9 took 27.2 s on 133 MB of KML (200,000 points; gzip, a busy host),
                      // for 22 % more bytes.
                      zipPackage: .init(fileExtension: "kmz", datasetEntry: "doc.kml", compressionLevel: 1,
                                        attachmentsFolder: "files")))

    /// The column GDAL writes as each placemark's `<name>`: the driver's `NameField`.
    static let nameColumn = "replica-export:name"

    /// LIBKML's own fields (`LIBKML_<X>_FIELD`), renamed `kml:<name>` while reading back.
    static let libkmlOwnFields: [String: String] = Dictionary(uniqueKeysWithValues: [
        "name", "description", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
        "drawOrder", "icon",
    ].map { ("LIBKML_\($0.uppercased())_FIELD", "kml:\($0)") })

    /// Text as it reads back from the document: GDAL's KML writer drops leading spaces and control
    /// characters, and XML reads CR as LF.
    static let text = ValueFormatter.xmlText(
        name: "kml text", dropLeadingSpaces: true,
        alteration: "KML holds no control characters, GDAL's KML writer drops leading spaces, and CR reads back as LF")

    static func labelText(_ label: String) -> String { text.readBackText(label) }

    /// `AltitudeMode=absolute` when some layer has Z and no 2D line or polygon layer would be put
    /// at sea level by it (GDAL writes the mode into every line and polygon, 2D or not; into points
    /// only with Z). Otherwise none: viewers clamp features to the ground, Z stays in the coordinates.
    static func datasetOptions(for replica: Replica) -> [String] {
        let layers = replica.layers.filter { $0.kind != .table && $0.geometryType != nil }
        let flatLines = layers.contains { !$0.hasZ && $0.geometryType != .point && $0.geometryType != .multipoint }
        return layers.contains(where: \.hasZ) && !flatLines ? ["AltitudeMode=absolute"] : []
    }

    /// An empty geometry as none: GDAL 3.6.2 writes an empty point as `0,0`. A geometry beyond
    /// ±180° / ±90° is given none too (reported): GDAL 3.6.2's KML writer refuses the first latitude
    /// beyond ±90° of a process and writes later ones as given, and moves a longitude beyond ±180°
    /// into range, a line across the antimeridian included, warning once per process. Such
    /// coordinates are a layer that claims WGS 84 but holds metres, not places to move.
    static func adjust(_ features: [PreparedFeature], layer: LayerSchema, firstIndex: Int,
                       refused: inout [(offset: Int, reason: String)]) throws -> [PreparedFeature] {
        guard layer.kind != .table, layer.geometryType != nil else { return features }
        var out = features
        for (offset, feature) in features.enumerated() where feature.geometry?.isEmpty ?? false {
            out[offset].geometry = nil
        }
        return profile.readBack.refusedBeyond!.withoutRefused(out, format: "KML", refused: &refused)
    }

    /// The placemark's `<name>`: its ObjectID, as text.
    static func extraColumns(for layer: LayerSchema, takenNames: Set<String>, notes: inout LayerNotes) -> [GDALColumnSpec] {
        guard let oid = layer.objectIdField.flatMap(layer.fieldIndex(named:)) ?? layer.fields.firstIndex(where: { $0.type == .objectID })
        else { return [] }
        return [GDALColumnSpec(name: nameColumn, type: .string, source: oid, encoding: .integer64, sourceName: nameColumn)]
    }

    /// Moves every layer's `Schema` to the top of the document, typed by the columns' own types.
    static func didCloseDataset(_ url: URL, layers: [DatasetLayer]) throws {
        try KMLSchemas.rewrite(url, schemas: layers.compactMap(schema))
    }

    /// A layer's `Schema` element, nil for a layer without features (GDAL writes no SchemaData
    /// for it, and no schema).
    private static func schema(_ layer: DatasetLayer) -> String? {
        guard layer.featureCount > 0 else { return nil }
        let name = xmlAttribute(layer.name)
        var text = "<Schema name=\"\(name)\" id=\"\(name)\">\n"
        for (column, created) in zip(layer.columns, layer.createdNames) where created != nameColumn {
            text += "\t<SimpleField name=\"\(xmlAttribute(created))\" type=\"\(kmlType(column))\"></SimpleField>\n"
        }
        return text + "</Schema>\n"
    }

    /// The KML type of a column: what its values are, as written.
    private static func kmlType(_ column: GDALColumnSpec) -> String {
        switch column.sourceType {
        case .smallInteger?: return "short"
        case .integer?: return "int"
        case .single?: return "float"
        case .double?: return "double"
        default: return "string"
        }
    }

    private static func xmlAttribute(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// The rewrite of a closed KML document's schemas. GDAL 3.6.2's KML driver writes the XML
/// declaration, `<kml ...>` and `<Document id="root_doc">` lines, the first layer's `Schema` (when
/// it had features), one `<Folder>...</Folder>` per layer, the other layers' schemas, and
/// `</Document></kml>`. The rewrite keeps the head and the folders byte for byte, puts `schemas`
/// after the head and closes the document; anything else in the file fails loudly.
private enum KMLSchemas {
    static let folderStart = Array("<Folder>".utf8)
    static let folderEnd = Array("</Folder>\n".utf8)
    static let documentEnd = Array("</Document></kml>\n".utf8)
    static let head = Array("<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document".utf8)

    static func rewrite(_ url: URL, schemas: [String]) throws {
        let location = ErrorLocation(output: url.lastPathComponent)
        let input = try FileDescriptor(path: url.path, flags: O_RDONLY, role: "the KML document", location: location)
        let size = try input.size()
        let prefix = try input.read(at: 0, count: Int(min(size, 64 << 10)))
        guard prefix.starts(with: head), let headEnd = line(after: head.count, in: prefix) else {
            throw SegmentSplice.mismatch("the KML document does not begin as GDAL 3.6.2 writes it", location)
        }
        // The folders: from the first `<Folder>` to the last `</Folder>\n`; none in a replica without layers.
        guard let bodyStart = try find(folderStart, in: input, from: Int64(headEnd), size: size) else { return }
        guard let bodyEnd = try findLast(folderEnd, in: input, size: size) else {
            throw SegmentSplice.mismatch("the KML document has no end of folder", location)
        }
        let tail = try input.read(at: size - Int64(documentEnd.count), count: documentEnd.count)
        guard tail == documentEnd, bodyEnd > bodyStart else {
            throw SegmentSplice.mismatch("the KML document does not end as GDAL 3.6.2 ends it", location)
        }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).schemas")
        let output = try FileDescriptor(path: temporary.path, flags: O_WRONLY | O_CREAT | O_TRUNC, role: "the KML document",
                                        location: location)
        try output.write(Array(prefix[..<headEnd]) + Array(schemas.joined().utf8), location: location)
        var buffer: [UInt8] = []
        try SegmentSplice.copy(from: input, range: bodyStart..<bodyEnd, to: output, buffer: &buffer, location: location)
        try output.write(documentEnd, location: location)
        try output.close(location: location)
        try FileDescriptor.replace(url, with: temporary, doing: "rewriting the KML document's schemas", location: location)
    }

    /// The offset just after the line end that follows `offset`.
    private static func line(after offset: Int, in bytes: [UInt8]) -> Int? {
        bytes[offset...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }
    }

    /// The offset of the first `pattern` at or after `from`.
    private static func find(_ pattern: [UInt8], in file: FileDescriptor, from: Int64, size: Int64) throws -> Int64? {
        var offset = from
        while offset < size {
            let chunk = try file.read(at: offset, count: 64 << 10)
            if let found = firstIndex(of: pattern, in: chunk) { return offset + Int64(found) }
            guard chunk.count >= pattern.count else { return nil }
            offset += Int64(chunk.count - pattern.count + 1)
        }
        return nil
    }

    /// The offset just after the last `pattern` of the file.
    private static func findLast(_ pattern: [UInt8], in file: FileDescriptor, size: Int64) throws -> Int64? {
        var end = size
        while end > 0 {
            let start = max(0, end - (64 << 10))
            let chunk = try file.read(at: start, count: Int(end - start))
            if let found = lastIndex(of: pattern, in: chunk) { return start + Int64(found + pattern.count) }
            guard start > 0 else { return nil }
            end = start + Int64(pattern.count - 1)
        }
        return nil
    }

    private static func firstIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (0...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    private static func lastIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (0...(bytes.count - pattern.count)).reversed().first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }
}

/// Writes KML (`kml`), packaged as a KMZ.
typealias KMLWriter = GDALFormatWriter<KMLFormat>

extension ExportFormat {
    /// One KMZ of every layer (one folder each) in WGS 84.
    public static let kml = ExportFormat(KMLFormat.profile.formatName)
}
