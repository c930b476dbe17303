import Foundation

/// The ArcGIS feature collection (`featurecollection`; ArcGIS spells it `featureCollection`), the
/// web map specification's object that ArcGIS Online's export to a feature collection produces:
/// one `<replica>.json`, `{"layers": [{"layerDefinition": {...}, "featureSet": {"geometryType",
/// "spatialReference", "features": [...]}}]}`, written by replica-export (no GDAL driver writes it)
/// and read back by its own reader. The schema travels inside: each `layerDefinition` is the
/// layer's resource (fields with types, aliases, lengths, nullability and domains, subtypes,
/// relationships, geometry type, Z and M, ObjectID and GlobalID fields).
///
/// Features are written as in the createReplica payload (``PayloadJSONFormat``): geometry in the
/// layer's output coordinate system, exterior rings clockwise, Z and M, circular arcs with the
/// true-curve bit; attributes as ArcGIS writes them. A feature collection has no place for
/// attachments: they go beside it, as for every format without attachments
/// (`attachments/<layer>/` and `attachments/<layer>.csv`).
/// Loses: NaN and infinity (written as null), elliptic arcs and Beziers (densified). A layer
/// declares its geometry type before its features: features of another type go to a layer of
/// their own after it, `<layer>_<type>s` with a new id, as FileGDB and GeoPackage split them.
enum FeatureCollectionFormat: EsriJSONFormat {
    static let profile = WriterProfile(
        formatName: "featurecollection",
        capabilities: [.circularArcs, .domains, .nullability, .aliases, .binaryFields, .zValues, .mValues,
                       .multipleLayersPerFile, .relationships],
        layout: .oneDataset(extension: "json"),
        readBack: .init(reader: .library),
        packaging: .singleFileOrZip).spelled(byArcGIS: "featureCollection")

    static func writeOpening(_ replica: Replica, to out: JSONTextFile) throws {
        out.raw("{\"layers\":[\n")
    }

    /// `{"layerDefinition":{...},"featureSet":{"geometryType","spatialReference","features":[`.
    static func writeLayerOpening(_ layer: LayerSchema, to out: JSONTextFile) throws {
        out.raw("{\"layerDefinition\":")
        try LayerResourceText.write(layer, to: out)
        out.raw(",\"featureSet\":{")
        if layer.kind != .table, let type = layer.geometryType {
            out.raw("\"geometryType\":")
            out.string(type.rawValue)
            out.byte(UInt8(ascii: ","))
        }
        if let reference = layer.spatialReference {
            out.raw("\"spatialReference\":")
            LayerResourceText.spatialReference(reference, to: out)
            out.byte(UInt8(ascii: ","))
        }
        out.raw("\"features\":[\n")
    }

    static func writeLayerClosing(_ layer: LayerSchema, attachmentsOpened: Bool, to out: JSONTextFile) {
        out.raw("\n]}}")
    }

    static func writeClosing(to out: JSONTextFile) {
        out.raw("\n]}\n")
    }
}

/// Writes the feature collection (`featurecollection`).
typealias FeatureCollectionWriter = EsriJSONWriter<FeatureCollectionFormat>

extension ExportFormat {
    /// An ArcGIS feature collection (`dataFormat=featureCollection`).
    public static let featureCollection = ExportFormat(FeatureCollectionFormat.profile.formatName)
}
