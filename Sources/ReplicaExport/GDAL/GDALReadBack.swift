import CGDAL
import Foundation

/// A field as GDAL reads it back.
struct GDALFieldInfo: Sendable, Equatable {
    var name: String
    /// GDAL's type name: "Integer", "Integer64", "Real", "String", "Date", "Time", "DateTime", "Binary".
    var type: String
    /// GDAL's subtype name: "None", "Int16", "Float32", "Boolean", "JSON", "UUID".
    var subtype: String
    var width: Int
    var precision: Int
    var isNullable: Bool
    /// The alias (OGR "alternative name"), nil when empty.
    var alias: String?
    var domainName: String?
}

/// A layer as GDAL reads it back.
struct GDALLayerInfo: Sendable, Equatable {
    var name: String
    /// GDAL's geometry type name, e.g. "3D Multi Polygon", "Point", "None".
    var geometryTypeName: String
    /// The raw OGRwkbGeometryType code (ISO style for Z/M types as GDAL reports them).
    var geometryTypeCode: Int
    var fidColumn: String
    var fields: [GDALFieldInfo]
    var featureCount: Int
    /// "EPSG:4326" style, when the layer's SRS names an authority.
    var srsAuthority: String?
    var srsWKT: String?

    func fieldIndex(_ name: String) -> Int? { fields.firstIndex { $0.name == name } }
}

/// A field value as GDAL reads it back.
enum GDALFieldValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case string(String)
    case binary([UInt8])
    /// Date, Time and DateTime fields; `tzFlag` 0 unknown, 1 local, 100 UTC.
    case dateTime(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Float, tzFlag: Int)

    var description: String {
        switch self {
        case .null: return "null"
        case .integer(let i): return String(i)
        case .real(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .binary(let b): return "<\(b.count) bytes>"
        case .dateTime(let y, let mo, let d, let h, let mi, let s, let tz): return "\(y)-\(mo)-\(d) \(h):\(mi):\(s) tz\(tz)"
        }
    }

    var int64: Int64? { if case .integer(let i) = self { return i } else { return nil } }
    var double: Double? {
        switch self {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
}

/// A feature as GDAL reads it back.
struct GDALReadFeature: Sendable, Equatable {
    var fid: Int64
    /// Indexed like ``GDALLayerInfo/fields``.
    var values: [GDALFieldValue]
    /// ISO WKB (little-endian) of the geometry, nil when it has none.
    var geometryWKB: [UInt8]?
    var geometryWKT: String?
    /// GDAL's name of the geometry's own type, e.g. "Multi Surface", "3D Measured Point".
    var geometryTypeName: String?
    var geometryArea: Double?
    var geometryLength: Double?
    var geometryHasCurves: Bool

    func value(_ name: String, in layer: GDALLayerInfo) -> GDALFieldValue? {
        layer.fieldIndex(name).map { values[$0] }
    }
}

/// A relationship class as GDAL reads it back.
struct GDALRelationshipInfo: Sendable, Equatable {
    var name: String
    var leftTable: String
    var rightTable: String
    var leftKeys: [String]
    var rightKeys: [String]
    /// "1:1", "1:n", "n:1" or "n:m".
    var cardinality: String
    /// "feature", or "media" for attachment tables.
    var relatedTableType: String
    /// GDAL's relationship type: composite (the related rows belong to the origin) or not.
    var isComposite = false
}

/// A field domain as GDAL reads it back.
struct GDALDomainInfo: Sendable, Equatable {
    enum Kind: String, Sendable { case coded, range, glob }
    var name: String
    var kind: Kind
    /// GDAL's field type name of the domain.
    var fieldType: String
    /// Coded domains: code and value, as text.
    var codes: [(code: String, value: String?)] = []
    /// Range domains: bounds as text (nil = unbounded).
    var minimum: String?
    var maximum: String?

    static func == (a: GDALDomainInfo, b: GDALDomainInfo) -> Bool {
        a.name == b.name && a.kind == b.kind && a.fieldType == b.fieldType && a.minimum == b.minimum
            && a.maximum == b.maximum && a.codes.map(\.code) == b.codes.map(\.code)
            && a.codes.map(\.value) == b.codes.map(\.value)
    }
}

/// Reads a dataset back through GDAL, read-only: for tests and checks of written outputs.
final class GDALReadDataset {
    private let dataset: GDALDataset
    let path: String

    init(url: URL) throws {
        path = url.path
        let location = ErrorLocation(input: url.path)
        dataset = try GDALErrorScope.run(at: location) { errors in
            try GDALDataset.openReadOnly(path: url.path, errors: errors, at: location)
        }
    }

    var layerNames: [String] {
        (0..<dataset.layerCount).compactMap { dataset.layer(at: $0)?.name }
    }

    private func ogrLayer(_ name: String) throws -> GDALLayer {
        guard let layer = dataset.layer(named: name) else {
            throw ReplicaExportError(.gdal, "no layer '\(name)' in \(path); layers: \(layerNames)", at: .init(input: path))
        }
        return layer
    }

    func layerInfo(_ name: String) throws -> GDALLayerInfo {
        let layer = try ogrLayer(name)
        let fields = (0..<layer.fieldCount).map { index -> GDALFieldInfo in
            let f = layer.fieldDefinition(at: index)
            return GDALFieldInfo(name: f.name, type: f.typeName, subtype: f.subtypeName, width: f.width,
                                 precision: f.precision, isNullable: f.isNullable, alias: f.alternativeName,
                                 domainName: f.domainName)
        }
        let srs = layer.spatialReference
        return GDALLayerInfo(
            name: layer.name, geometryTypeName: layer.geometryTypeName,
            geometryTypeCode: Int(layer.geometryType.rawValue), fidColumn: layer.fidColumn, fields: fields,
            featureCount: layer.featureCount, srsAuthority: srs?.authorityCode, srsWKT: srs?.wkt)
    }

    /// Every feature of the layer, in the driver's order.
    func features(_ name: String) throws -> [GDALReadFeature] {
        let layer = try ogrLayer(name)
        var result: [GDALReadFeature] = []
        try forEachFeature(layer) { result.append($0) }
        return result
    }

    /// Calls `body` for each feature without holding them all.
    func forEachFeature(_ name: String, _ body: (GDALReadFeature) throws -> Void) throws {
        try forEachFeature(try ogrLayer(name), body)
    }

    private func forEachFeature(_ layer: GDALLayer, _ body: (GDALReadFeature) throws -> Void) throws {
        layer.resetReading()
        let types = (0..<layer.fieldCount).map { layer.fieldDefinition(at: $0).type }
        while let feature = layer.nextFeature() {
            let values = types.indices.map { Self.value(feature, Int32($0), types[$0]) }
            var read = GDALReadFeature(fid: feature.fid, values: values, geometryHasCurves: false)
            if let geometry = feature.geometry {
                read.geometryWKB = geometry.isoWKB
                read.geometryWKT = geometry.isoWKT
                read.geometryTypeName = geometry.typeName
                read.geometryArea = geometry.area
                read.geometryLength = geometry.length
                read.geometryHasCurves = geometry.hasCurveGeometry
            }
            try body(read)
        }
    }

    private static func value(_ feature: GDALFeature, _ i: Int32, _ type: OGRFieldType) -> GDALFieldValue {
        guard feature.hasValue(i) else { return .null }
        switch type {
        case OFTInteger, OFTInteger64: return .integer(feature.int64(i))
        case OFTReal: return .real(feature.double(i))
        case OFTBinary: return .binary(feature.binary(i))
        case OFTDate, OFTTime, OFTDateTime:
            let t = feature.dateTime(i)
            return .dateTime(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute,
                             second: t.second, tzFlag: t.tzFlag)
        default: return .string(feature.string(i))
        }
    }

    /// The dataset's relationship classes.
    func relationships() -> [GDALRelationshipInfo] { dataset.relationshipInfos }

    /// The dataset's field domains.
    func fieldDomains() -> [GDALDomainInfo] {
        dataset.fieldDomainNames.compactMap { name in
            guard let domain = dataset.fieldDomain(named: name) else { return nil }
            let kind: GDALDomainInfo.Kind
            switch domain.kind {
            case .coded: kind = .coded
            case .range: kind = .range
            case .glob: kind = .glob
            }
            let range = domain.range
            return GDALDomainInfo(name: name, kind: kind, fieldType: domain.fieldTypeName, codes: domain.codedValues,
                                  minimum: range.minimum, maximum: range.maximum)
        }
    }
}

/// GDAL's own reading of geometries, for tests: ISO WKB of a WKT geometry.
enum GDALGeometryOracle {
    /// GDAL's ISO WKB (little-endian) for `wkt`, nil when GDAL cannot parse it.
    static func isoWKB(fromWKT wkt: String) -> [UInt8]? {
        GDALRuntime.ensureRegistered()
        return GDALGeometry.fromWKT(wkt)?.isoWKB
    }

    /// GDAL's ISO WKT for WKB, nil when GDAL cannot parse it.
    static func isoWKT(fromWKB wkb: [UInt8]) -> String? {
        try? GDALErrorScope.run { errors in
            try GDALGeometry.fromWKB(wkb, errors: errors, at: .init()).isoWKT
        }
    }

    /// Transforms a coordinate between two user-input spatial references ("EPSG:3857"), traditional axis order.
    static func transform(x: Double, y: Double, from source: String, to target: String) -> (x: Double, y: Double)? {
        GDALRuntime.ensureRegistered()
        guard let s = GDALSpatialReference.fromUserInput(source), let t = GDALSpatialReference.fromUserInput(target),
              let ct = try? GDALCoordinateTransformation(from: s, to: t),
              let r = ct.transform(x: x, y: y) else { return nil }
        return (r.x, r.y)
    }
}

extension GDALDataset {
    /// Every relationship class of the dataset (`GDALDatasetGetRelationshipNames`, then
    /// `GDALDatasetGetRelationship` and its getters for each), read into values.
    var relationshipInfos: [GDALRelationshipInfo] {
        relationshipNames.compactMap { name in
            guard let r = relationship(named: name) else { return nil }
            let cardinality: String
            switch r.cardinality {
            case .oneToOne: cardinality = "1:1"
            case .oneToMany: cardinality = "1:n"
            case .manyToOne: cardinality = "n:1"
            case .manyToMany: cardinality = "n:m"
            }
            return GDALRelationshipInfo(name: r.name, leftTable: r.tables.left, rightTable: r.tables.right,
                                        leftKeys: r.keys.left, rightKeys: r.keys.right, cardinality: cardinality,
                                        relatedTableType: r.relatedTableType, isComposite: r.kind == .composite)
        }
    }
}
