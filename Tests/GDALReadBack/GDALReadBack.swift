import Foundation
import ReplicaExport

/// A field as GDAL reads it back.
package struct GDALFieldInfo: Sendable, Equatable {
    package var name: String
    /// GDAL's type name: "Integer", "Integer64", "Real", "String", "Date", "Time", "DateTime", "Binary".
    package var type: String
    /// GDAL's subtype name: "None", "Int16", "Float32", "Boolean", "JSON", "UUID".
    package var subtype: String
    package var width: Int
    package var precision: Int
    package var isNullable: Bool
    /// The alias (OGR "alternative name"), nil when empty.
    package var alias: String?
    package var domainName: String?
}

/// A layer as GDAL reads it back.
package struct GDALLayerInfo: Sendable, Equatable {
    package var name: String
    /// GDAL's geometry type name, e.g. "3D Multi Polygon", "Point", "None".
    package var geometryTypeName: String
    /// The raw OGRwkbGeometryType code (ISO style for Z/M types as GDAL reports them).
    package var geometryTypeCode: Int
    package var fidColumn: String
    package var fields: [GDALFieldInfo]
    package var featureCount: Int
    /// "EPSG:4326" style, when the layer's SRS names an authority.
    package var srsAuthority: String?
    package var srsWKT: String?

    package func fieldIndex(_ name: String) -> Int? { fields.firstIndex { $0.name == name } }
}

/// A field value as GDAL reads it back.
package enum GDALFieldValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case string(String)
    case binary([UInt8])
    /// Date, Time and DateTime fields; `tzFlag` 0 unknown, 1 local, 100 UTC.
    case dateTime(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Float, tzFlag: Int)

    package var description: String {
        switch self {
        case .null: return "null"
        case .integer(let i): return String(i)
        case .real(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .binary(let b): return "<\(b.count) bytes>"
        case .dateTime(let y, let mo, let d, let h, let mi, let s, let tz): return "\(y)-\(mo)-\(d) \(h):\(mi):\(s) tz\(tz)"
        }
    }

    package var int64: Int64? { if case .integer(let i) = self { return i } else { return nil } }
    package var double: Double? {
        switch self {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
    package var string: String? { if case .string(let s) = self { return s } else { return nil } }
}

/// A feature as GDAL reads it back.
package struct GDALReadFeature: Sendable, Equatable {
    package var fid: Int64
    /// Indexed like ``GDALLayerInfo/fields``.
    package var values: [GDALFieldValue]
    /// ISO WKB (little-endian) of the geometry, nil when it has none.
    package var geometryWKB: [UInt8]?
    package var geometryWKT: String?
    /// GDAL's name of the geometry's own type, e.g. "Multi Surface", "3D Measured Point".
    package var geometryTypeName: String?
    package var geometryArea: Double?
    package var geometryLength: Double?
    package var geometryHasCurves: Bool

    package func value(_ name: String, in layer: GDALLayerInfo) -> GDALFieldValue? {
        layer.fieldIndex(name).map { values[$0] }
    }
}

/// A field domain as GDAL reads it back.
package struct GDALDomainInfo: Sendable, Equatable {
    package enum Kind: String, Sendable { case coded, range, glob }
    package var name: String
    package var kind: Kind
    /// GDAL's field type name of the domain.
    package var fieldType: String
    /// Coded domains: code and value, as text.
    package var codes: [(code: String, value: String?)] = []
    /// Range domains: bounds as text (nil = unbounded).
    package var minimum: String?
    package var maximum: String?

    package static func == (a: GDALDomainInfo, b: GDALDomainInfo) -> Bool {
        a.name == b.name && a.kind == b.kind && a.fieldType == b.fieldType && a.minimum == b.minimum
            && a.maximum == b.maximum && a.codes.map(\.code) == b.codes.map(\.code)
            && a.codes.map(\.value) == b.codes.map(\.value)
    }
}

/// Reads a dataset back through GDAL, read-only: for tests and checks of written outputs.
package final class GDALReadDataset {
    private let dataset: GDALDataset
    package let path: String

    /// The dataset at `url`, opened as `path` (default: the file's own; `/vsizip/<kmz>/doc.kml`
    /// for a document inside a zip) by the drivers and with the configuration options of `options`.
    package init(url: URL, path: String? = nil, options: GDALReadOptions = GDALReadOptions()) throws {
        self.path = path ?? url.path
        let location = ErrorLocation(input: self.path)
        dataset = try GDALErrorScope.run(at: location) { errors in
            try GDALDataset.openReadOnly(path: path ?? url.path, options: options, errors: errors, at: location)
        }
    }

    package var layerNames: [String] {
        (0..<dataset.layerCount).compactMap { dataset.layer(at: $0)?.name }
    }

    private func ogrLayer(_ name: String) throws -> GDALLayer {
        guard let layer = dataset.layer(named: name) else {
            throw ReplicaExportError(.gdal, "no layer '\(name)' in \(path); layers: \(layerNames)", at: .init(input: path))
        }
        return layer
    }

    package func layerInfo(_ name: String) throws -> GDALLayerInfo {
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
    package func features(_ name: String) throws -> [GDALReadFeature] {
        let layer = try ogrLayer(name)
        var result: [GDALReadFeature] = []
        try forEachFeature(layer) { result.append($0) }
        return result
    }

    /// Calls `body` for each feature without holding them all.
    package func forEachFeature(_ name: String, _ body: (GDALReadFeature) throws -> Void) throws {
        try forEachFeature(try ogrLayer(name), body)
    }

    private func forEachFeature(_ layer: GDALLayer, _ body: (GDALReadFeature) throws -> Void) throws {
        layer.resetReading()
        let types = (0..<layer.fieldCount).map { layer.fieldDefinition(at: $0).columnType.type }
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

    private static func value(_ feature: GDALFeature, _ i: Int32, _ type: GDALColumnType) -> GDALFieldValue {
        guard feature.hasValue(i) else { return .null }
        switch type {
        case .integer, .integer64: return .integer(feature.int64(i))
        case .real: return .real(feature.double(i))
        case .binary: return .binary(feature.binary(i))
        case .date, .time, .dateTime:
            let t = feature.dateTime(i)
            return .dateTime(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute,
                             second: t.second, tzFlag: t.tzFlag)
        default: return .string(feature.string(i))
        }
    }

    /// The dataset's relationship classes.
    package func relationships() -> [GDALRelationshipInfo] { dataset.relationshipInfos }

    /// The dataset's field domains.
    package func fieldDomains() -> [GDALDomainInfo] {
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
package enum GDALGeometryOracle {
    /// GDAL's ISO WKB (little-endian) for `wkt`, nil when GDAL cannot parse it.
    package static func isoWKB(fromWKT wkt: String) -> [UInt8]? {
        GDALRuntime.ensureRegistered()
        return GDALGeometry.fromWKT(wkt)?.isoWKB
    }

    /// GDAL's ISO WKT for WKB, nil when GDAL cannot parse it.
    package static func isoWKT(fromWKB wkb: [UInt8]) -> String? {
        try? GDALErrorScope.run { errors in
            try GDALGeometry.fromWKB(wkb, errors: errors, at: .init()).isoWKT
        }
    }

    /// Transforms a coordinate between two user-input spatial references ("EPSG:3857"), traditional axis order.
    package static func transform(x: Double, y: Double, from source: String, to target: String) -> (x: Double, y: Double)? {
        GDALRuntime.ensureRegistered()
        guard let s = GDALSpatialReference.fromUserInput(source), let t = GDALSpatialReference.fromUserInput(target),
              let ct = try? GDALCoordinateTransformation(from: s, to: t),
              let r = ct.transform(x: x, y: y) else { return nil }
        return (r.x, r.y)
    }
}
