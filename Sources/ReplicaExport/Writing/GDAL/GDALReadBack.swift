import CGDAL
import Foundation

/// A field as GDAL reads it back.
public struct GDALFieldInfo: Sendable, Equatable {
    public var name: String
    /// GDAL's type name: "Integer", "Integer64", "Real", "String", "Date", "Time", "DateTime", "Binary".
    public var type: String
    /// GDAL's subtype name: "None", "Int16", "Float32", "Boolean", "JSON", "UUID".
    public var subtype: String
    public var width: Int
    public var precision: Int
    public var isNullable: Bool
    /// The alias (OGR "alternative name"), nil when empty.
    public var alias: String?
    public var domainName: String?
}

/// A layer as GDAL reads it back.
public struct GDALLayerInfo: Sendable, Equatable {
    public var name: String
    /// GDAL's geometry type name, e.g. "3D Multi Polygon", "Point", "None".
    public var geometryTypeName: String
    /// The raw OGRwkbGeometryType code (ISO style for Z/M types as GDAL reports them).
    public var geometryTypeCode: Int
    public var fidColumn: String
    public var fields: [GDALFieldInfo]
    public var featureCount: Int
    /// "EPSG:4326" style, when the layer's SRS names an authority.
    public var srsAuthority: String?
    public var srsWKT: String?

    public func fieldIndex(_ name: String) -> Int? { fields.firstIndex { $0.name == name } }
}

/// A field value as GDAL reads it back.
public enum GDALFieldValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case string(String)
    case binary([UInt8])
    /// Date, Time and DateTime fields; `tzFlag` 0 unknown, 1 local, 100 UTC.
    case dateTime(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Float, tzFlag: Int)

    public var description: String {
        switch self {
        case .null: return "null"
        case .integer(let i): return String(i)
        case .real(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .binary(let b): return "<\(b.count) bytes>"
        case .dateTime(let y, let mo, let d, let h, let mi, let s, let tz): return "\(y)-\(mo)-\(d) \(h):\(mi):\(s) tz\(tz)"
        }
    }

    public var int64: Int64? { if case .integer(let i) = self { return i } else { return nil } }
    public var double: Double? {
        switch self {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
}

/// A feature as GDAL reads it back.
public struct GDALReadFeature: Sendable, Equatable {
    public var fid: Int64
    /// Indexed like ``GDALLayerInfo/fields``.
    public var values: [GDALFieldValue]
    /// ISO WKB (little-endian) of the geometry, nil when it has none.
    public var geometryWKB: [UInt8]?
    public var geometryWKT: String?
    /// GDAL's name of the geometry's own type, e.g. "Multi Surface", "3D Measured Point".
    public var geometryTypeName: String?
    public var geometryArea: Double?
    public var geometryLength: Double?
    public var geometryHasCurves: Bool

    public func value(_ name: String, in layer: GDALLayerInfo) -> GDALFieldValue? {
        layer.fieldIndex(name).map { values[$0] }
    }
}

/// A field domain as GDAL reads it back.
public struct GDALDomainInfo: Sendable, Equatable {
    public enum Kind: String, Sendable { case coded, range, glob }
    public var name: String
    public var kind: Kind
    /// GDAL's field type name of the domain.
    public var fieldType: String
    /// Coded domains: code and value, as text.
    public var codes: [(code: String, value: String?)] = []
    /// Range domains: bounds as text (nil = unbounded).
    public var minimum: String?
    public var maximum: String?

    public static func == (a: GDALDomainInfo, b: GDALDomainInfo) -> Bool {
        a.name == b.name && a.kind == b.kind && a.fieldType == b.fieldType && a.minimum == b.minimum
            && a.maximum == b.maximum && a.codes.map(\.code) == b.codes.map(\.code)
            && a.codes.map(\.value) == b.codes.map(\.value)
    }
}

/// Reads a dataset back through GDAL, read-only: for tests and checks of written outputs.
public final class GDALReadDataset {
    private let dataset: GDALDataset
    public let path: String

    public init(url: URL) throws {
        path = url.path
        let location = ErrorLocation(input: url.path)
        dataset = try GDALErrorScope.run(at: location) { errors in
            try GDALDataset.openReadOnly(path: url.path, errors: errors, at: location)
        }
    }

    public var layerNames: [String] {
        (0..<dataset.layerCount).compactMap { dataset.layer(at: $0)?.name }
    }

    private func ogrLayer(_ name: String) throws -> GDALLayer {
        guard let layer = dataset.layer(named: name) else {
            throw ReplicaExportError(.gdal, "no layer '\(name)' in \(path); layers: \(layerNames)", at: .init(input: path))
        }
        return layer
    }

    public func layerInfo(_ name: String) throws -> GDALLayerInfo {
        let layer = try ogrLayer(name)
        let defn = layer.definition
        var fields: [GDALFieldInfo] = []
        for i in 0..<layer.fieldCount {
            let f = OGR_FD_GetFieldDefn(defn, Int32(i))
            let alias = OGR_Fld_GetAlternativeNameRef(f).map { String(cString: $0) }
            let domain = OGR_Fld_GetDomainName(f).map { String(cString: $0) }
            fields.append(GDALFieldInfo(
                name: String(cString: OGR_Fld_GetNameRef(f)),
                type: String(cString: OGR_GetFieldTypeName(OGR_Fld_GetType(f))),
                subtype: String(cString: OGR_GetFieldSubTypeName(OGR_Fld_GetSubType(f))),
                width: Int(OGR_Fld_GetWidth(f)), precision: Int(OGR_Fld_GetPrecision(f)),
                isNullable: OGR_Fld_IsNullable(f) != 0,
                alias: alias?.isEmpty == false ? alias : nil,
                domainName: domain?.isEmpty == false ? domain : nil))
        }
        let type = OGR_L_GetGeomType(layer.handle)
        let srs = OGR_L_GetSpatialRef(layer.handle).flatMap(GDALSpatialReference.cloning)
        return GDALLayerInfo(
            name: layer.name, geometryTypeName: String(cString: OGRGeometryTypeToName(type)),
            geometryTypeCode: Int(type.rawValue),
            fidColumn: String(cString: OGR_L_GetFIDColumn(layer.handle)), fields: fields,
            featureCount: Int(OGR_L_GetFeatureCount(layer.handle, 1)),
            srsAuthority: srs?.authorityCode, srsWKT: srs?.wkt)
    }

    /// Every feature of the layer, in the driver's order.
    public func features(_ name: String) throws -> [GDALReadFeature] {
        let layer = try ogrLayer(name)
        var result: [GDALReadFeature] = []
        try forEachFeature(layer) { result.append($0) }
        return result
    }

    /// Calls `body` for each feature without holding them all.
    public func forEachFeature(_ name: String, _ body: (GDALReadFeature) throws -> Void) throws {
        try forEachFeature(try ogrLayer(name), body)
    }

    private func forEachFeature(_ layer: GDALLayer, _ body: (GDALReadFeature) throws -> Void) throws {
        OGR_L_ResetReading(layer.handle)
        let count = layer.fieldCount
        let defn = layer.definition
        let types = (0..<count).map { OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, Int32($0))) }
        while let h = GDALErrorScope.silently({ OGR_L_GetNextFeature(layer.handle) }) {
            let feature = GDALFeature(owning: h)
            var values: [GDALFieldValue] = []
            values.reserveCapacity(count)
            for i in 0..<Int32(count) {
                values.append(Self.value(feature.handle, i, types[Int(i)]))
            }
            var read = GDALReadFeature(fid: Int64(OGR_F_GetFID(h)), values: values, geometryHasCurves: false)
            if let g = OGR_F_GetGeometryRef(h) {
                // Borrowed: wrap a clone so that the wrapper may free it.
                let geometry = GDALGeometry(owning: OGR_G_Clone(g))
                read.geometryWKB = geometry.isoWKB
                read.geometryWKT = geometry.isoWKT
                read.geometryTypeName = String(cString: OGRGeometryTypeToName(geometry.geometryType))
                read.geometryArea = geometry.area
                read.geometryLength = geometry.length
                read.geometryHasCurves = geometry.hasCurveGeometry
            }
            try body(read)
        }
    }

    private static func value(_ f: OGRFeatureH, _ i: Int32, _ type: OGRFieldType) -> GDALFieldValue {
        guard OGR_F_IsFieldSetAndNotNull(f, i) != 0 else { return .null }
        switch type {
        case OFTInteger, OFTInteger64: return .integer(Int64(OGR_F_GetFieldAsInteger64(f, i)))
        case OFTReal: return .real(OGR_F_GetFieldAsDouble(f, i))
        case OFTBinary:
            var n: Int32 = 0
            guard let p = OGR_F_GetFieldAsBinary(f, i, &n) else { return .binary([]) }
            return .binary(Array(UnsafeBufferPointer(start: p, count: Int(n))))
        case OFTDate, OFTTime, OFTDateTime:
            var y: Int32 = 0, mo: Int32 = 0, d: Int32 = 0, h: Int32 = 0, mi: Int32 = 0, tz: Int32 = 0
            var s: Float = 0
            _ = OGR_F_GetFieldAsDateTimeEx(f, i, &y, &mo, &d, &h, &mi, &s, &tz)
            return .dateTime(year: Int(y), month: Int(mo), day: Int(d), hour: Int(h), minute: Int(mi),
                             second: s, tzFlag: Int(tz))
        default:
            return .string(String(cString: OGR_F_GetFieldAsString(f, i)))
        }
    }

    /// The dataset's field domains.
    public func fieldDomains() -> [GDALDomainInfo] {
        dataset.fieldDomainNames.compactMap { name in
            guard let h = dataset.fieldDomain(named: name) else { return nil }
            let fieldType = OGR_FldDomain_GetFieldType(h)
            var info = GDALDomainInfo(name: name, kind: .glob,
                                      fieldType: String(cString: OGR_GetFieldTypeName(fieldType)))
            switch OGR_FldDomain_GetDomainType(h) {
            case OFDT_CODED:
                info.kind = .coded
                if var p = OGR_CodedFldDomain_GetEnumeration(h) {
                    while let code = p.pointee.pszCode {
                        info.codes.append((String(cString: code), p.pointee.pszValue.map { String(cString: $0) }))
                        p += 1
                    }
                }
            case OFDT_RANGE:
                info.kind = .range
                var inclusive = false
                info.minimum = OGR_RangeFldDomain_GetMin(h, &inclusive).flatMap { Self.rawText($0, fieldType) }
                info.maximum = OGR_RangeFldDomain_GetMax(h, &inclusive).flatMap { Self.rawText($0, fieldType) }
            default: break
            }
            return info
        }
    }

    private static func rawText(_ field: UnsafePointer<OGRField>, _ type: OGRFieldType) -> String? {
        if OGR_RawField_IsUnset(field) != 0 || OGR_RawField_IsNull(field) != 0 { return nil }
        switch type {
        case OFTInteger: return String(field.pointee.Integer)
        case OFTInteger64: return String(field.pointee.Integer64)
        case OFTReal: return String(field.pointee.Real)
        default: return nil
        }
    }
}

/// GDAL's own reading of geometries, for tests: ISO WKB of a WKT geometry.
public enum GDALGeometryOracle {
    /// GDAL's ISO WKB (little-endian) for `wkt`, nil when GDAL cannot parse it.
    public static func isoWKB(fromWKT wkt: String) -> [UInt8]? {
        GDALRuntime.ensureRegistered()
        return GDALGeometry.fromWKT(wkt)?.isoWKB
    }

    /// GDAL's ISO WKT for WKB, nil when GDAL cannot parse it.
    public static func isoWKT(fromWKB wkb: [UInt8]) -> String? {
        try? GDALErrorScope.run { errors in
            try GDALGeometry.fromWKB(wkb, errors: errors, at: .init()).isoWKT
        }
    }

    /// Transforms a coordinate between two user-input spatial references ("EPSG:3857"), traditional axis order.
    public static func transform(x: Double, y: Double, from source: String, to target: String) -> (x: Double, y: Double)? {
        GDALRuntime.ensureRegistered()
        guard let s = GDALSpatialReference.fromUserInput(source), let t = GDALSpatialReference.fromUserInput(target),
              let ct = try? GDALCoordinateTransformation(from: s, to: t),
              let r = ct.transform(x: x, y: y) else { return nil }
        return (r.x, r.y)
    }
}
