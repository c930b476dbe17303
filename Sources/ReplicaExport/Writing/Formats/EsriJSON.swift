import Foundation

/// The createReplica JSON payload itself (`dataFormat=json`), as the REST API documents "the file
/// content": one `<replica>.json` with `replicaName`, `replicaID`, `responseType`
/// (`esriReplicaResponseTypeData`), `syncModel` `none` and `layers: [{id, features, attachments}]`,
/// written by replica-export (no GDAL driver writes it) and read back by its own reader.
///
/// A payload carries no schema, so the layer resources go beside it as `<replica>.layers.json`
/// (`{"layers": [...], "tables": [...]}`, as `/FeatureServer/layers?f=json` gives them: fields with
/// types, aliases, lengths, nullability and domains, subtypes, relationships, the spatial reference
/// and extent, geometry type, Z and M, ObjectID and GlobalID fields, attachments), which is where
/// the reader looks for a payload's schema.
///
/// Features: geometry in the layer's output coordinate system with exterior rings clockwise, Z and
/// M as Esri writes them (`hasZ` / `hasM`, vertex arrays, a missing M as `null`), circular arcs as
/// `curvePaths` / `curveRings` with the true-curve bit (other curves densified); attributes as
/// ArcGIS writes them: numbers in their shortest round-trip form, dates as epoch milliseconds,
/// GUIDs braced in upper case, blobs base64, null as `null`. Attachments: `attachmentId`,
/// `globalId`, `parentGlobalId`, `contentType`, `size`, `name`, and either `url` (createReplica's
/// `returnAttachmentsDataByUrl=true`, the default: the file beside the payload in
/// `attachments/<layer>/`, as a relative URL) or `data` (base64); one known only by URL keeps it.
/// Loses: NaN and infinity (JSON has no such numbers; written as null), elliptic arcs and Beziers
/// (densified).
enum PayloadJSONFormat: EsriJSONFormat {
    static let profile = WriterProfile(
        formatName: "json",
        capabilities: [.circularArcs, .domains, .nullability, .aliases, .binaryFields, .zValues, .mValues,
                       .multipleLayersPerFile, .mixedGeometryTypes, .relationships, .attachments],
        layout: .oneDataset(extension: "json"),
        readBack: .init(reader: .library),
        // Always with its layer resources beside it (and attachment files where they are by URL).
        packaging: .zipped)

    static func writeOpening(_ replica: Replica, to out: JSONTextFile) throws {
        out.raw("{\"replicaName\":")
        out.string(replica.name)
        out.raw(",\"replicaID\":")
        out.string(replica.id ?? "{\(UUID().uuidString)}")
        out.raw(",\"responseType\":\"esriReplicaResponseTypeData\",\"syncModel\":\"none\",\"layers\":[\n")
    }

    static func writeLayerOpening(_ layer: LayerSchema, to out: JSONTextFile) throws {
        out.raw("{\"id\":")
        out.integer(Int64(layer.id))
        out.raw(",\"features\":[\n")
    }

    static func writeAttachmentsOpening(to out: JSONTextFile) {
        out.raw("\n],\"attachments\":[\n")
    }

    static func writeLayerClosing(_ layer: LayerSchema, attachmentsOpened: Bool, to out: JSONTextFile) {
        out.raw(attachmentsOpened ? "\n]}" : "\n],\"attachments\":[]}")
    }

    static func writeClosing(to out: JSONTextFile) {
        out.raw("\n]}\n")
    }

    /// Keeps them: the layer resources are written after the features.
    static var keepsOtherGeometryTypes: Bool { true }

    /// `{"attachmentId","globalId","parentGlobalId","contentType","size","name","url"|"data"}`.
    static func writeAttachment(_ attachment: Attachment, reference: String?, to out: JSONTextFile) throws {
        out.raw("{\"attachmentId\":")
        out.integer(attachment.attachmentId)
        out.member(",\"globalId\":", attachment.globalId.map(ValueText.guidBracedUpper))
        out.member(",\"parentGlobalId\":", attachment.parentGlobalId.map(ValueText.guidBracedUpper))
        if let parent = attachment.parentObjectId {
            out.raw(",\"parentObjectId\":")
            out.integer(parent)
        }
        out.member(",\"contentType\":", attachment.contentType)
        if let size = attachment.data.map({ Int64($0.count) }) ?? attachment.size {
            out.raw(",\"size\":")
            out.integer(size)
        }
        out.raw(",\"name\":")
        out.string(attachment.name)
        if reference == nil, let data = attachment.data {
            out.raw(",\"data\":")
            try data.withUnsafeBytes { try out.base64String($0) }
        } else {
            out.member(",\"url\":", reference ?? attachment.url)
        }
        out.byte(UInt8(ascii: "}"))
    }

    static func sideFiles(base: String) -> [String] { [schemaFile(base)] }

    /// `<replica>.layers.json`: where the reader looks for the schema of `<replica>.json`.
    static func schemaFile(_ base: String) -> String { "\(base).layers.json" }

    /// The layer resources, `{"layers": [...], "tables": [...]}`, with each layer's extent.
    static func writeSideFiles(_ layers: [EsriJSONLayerRecord], base: String, directory: URL) throws {
        let file = schemaFile(base)
        let location = ErrorLocation(output: file)
        let out = try JSONTextFile(path: directory.appendingPathComponent(file).path, location: location)
        for tables in [false, true] {
            out.raw(tables ? "],\"tables\":[" : "{\"layers\":[")
            var first = true
            for record in layers where (record.schema.kind == .table) == tables {
                out.raw(first ? "\n" : ",\n")
                first = false
                let isFeatureLayer = record.schema.kind != .table && record.schema.geometryType != nil
                try LayerResourceText.write(record.schema, extras: .init(
                    geometryType: record.hasOtherGeometryTypes ? .some(nil) : nil,
                    extent: isFeatureLayer ? .some(record.extent) : nil), to: out)
            }
        }
        out.raw("]}\n")
        try out.close()
    }
}

/// Writes the createReplica JSON payload (`json`).
typealias PayloadJSONWriter = EsriJSONWriter<PayloadJSONFormat>

extension ExportFormat {
    /// The createReplica JSON payload with its layer resources beside it (`dataFormat=json`).
    public static let json = ExportFormat(PayloadJSONFormat.profile.formatName)
}
