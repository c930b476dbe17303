import CGDAL
import Foundation

/// The OGR field types the writers ask for (kept free of C types so that writers need no CGDAL).
package enum GDALColumnType: Sendable, Equatable {
    case integer, integer64, real, string, date, time, dateTime, binary
    /// Types GDAL has and the writers never ask for (lists, wide strings).
    case other

    init(_ type: OGRFieldType) {
        switch type {
        case OFTInteger: self = .integer
        case OFTInteger64: self = .integer64
        case OFTReal: self = .real
        case OFTString: self = .string
        case OFTDate: self = .date
        case OFTTime: self = .time
        case OFTDateTime: self = .dateTime
        case OFTBinary: self = .binary
        default: self = .other
        }
    }

    var ogr: OGRFieldType {
        switch self {
        case .integer: return OFTInteger
        case .integer64: return OFTInteger64
        case .real: return OFTReal
        case .string: return OFTString
        case .date: return OFTDate
        case .time: return OFTTime
        case .dateTime: return OFTDateTime
        case .binary: return OFTBinary
        case .other: return OFTString
        }
    }
}

package enum GDALColumnSubtype: Sendable, Equatable {
    case none, int16, float32

    init(_ subtype: OGRFieldSubType) {
        switch subtype {
        case OFSTInt16: self = .int16
        case OFSTFloat32: self = .float32
        default: self = .none
        }
    }

    var ogr: OGRFieldSubType {
        switch self {
        case .none: return OFSTNone
        case .int16: return OFSTInt16
        case .float32: return OFSTFloat32
        }
    }
}

/// One field to create in a layer, as OGR defines it.
struct GDALFieldSpec: Sendable {
    /// The name asked for; the driver may launder it.
    var name: String
    var type: GDALColumnType
    var subtype: GDALColumnSubtype = .none
    /// 0: the driver's default.
    var width: Int = 0
    var precision: Int = 0
    var nullable: Bool = true
    /// OGR's alternative name.
    var alias: String?
    /// A field domain of the dataset, attached to the field.
    var domainName: String?
    /// The field of the input it holds, for messages.
    var sourceName: String
}

/// The OGR geometry type of a layer.
struct GDALGeometrySpec: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case none, unknown, point, multiPoint, lineString, multiLineString, polygon, multiPolygon, multiCurve, multiSurface
    }
    var kind: Kind
    var hasZ = false
    var hasM = false

    /// A layer's type as the model sees it: the flat kind (curve types as their linear
    /// counterparts' multi kinds), and whether it has Z and M.
    init(_ type: OGRwkbGeometryType) {
        hasZ = OGR_GT_HasZ(type) != 0
        hasM = OGR_GT_HasM(type) != 0
        switch OGR_GT_Flatten(type) {
        case wkbNone: kind = .none
        case wkbPoint: kind = .point
        case wkbMultiPoint: kind = .multiPoint
        case wkbLineString, wkbCircularString, wkbCompoundCurve: kind = .lineString
        case wkbMultiLineString: kind = .multiLineString
        case wkbMultiCurve: kind = .multiCurve
        case wkbPolygon, wkbCurvePolygon: kind = .polygon
        case wkbMultiPolygon: kind = .multiPolygon
        case wkbMultiSurface: kind = .multiSurface
        default: kind = .unknown
        }
    }

    init(kind: Kind, hasZ: Bool = false, hasM: Bool = false) {
        self.kind = kind
        self.hasZ = hasZ
        self.hasM = hasM
    }

    var ogr: OGRwkbGeometryType {
        let flat: OGRwkbGeometryType
        switch kind {
        case .none: return wkbNone
        case .unknown: flat = wkbUnknown
        case .point: flat = wkbPoint
        case .multiPoint: flat = wkbMultiPoint
        case .lineString: flat = wkbLineString
        case .multiLineString: flat = wkbMultiLineString
        case .polygon: flat = wkbPolygon
        case .multiPolygon: flat = wkbMultiPolygon
        case .multiCurve: flat = wkbMultiCurve
        case .multiSurface: flat = wkbMultiSurface
        }
        return OGR_GT_SetModifier(flat, hasZ ? 1 : 0, hasM ? 1 : 0)
    }
}

/// A dataset being written.
final class GDALOutputDataset {
    private let dataset: GDALDataset
    let path: String
    private let location: ErrorLocation

    init(driver: String, path: String, options: [String] = [], location: ErrorLocation) throws {
        self.path = path
        self.location = location
        dataset = try GDALErrorScope.run(at: location) { errors in
            try GDALDataset.create(driver: driver, path: path, options: options, errors: errors, at: location)
        }
    }

    /// Adds a field domain; `type` / `subtype` are those of the fields using it.
    func addDomain(_ domain: Domain, type: GDALColumnType, subtype: GDALColumnSubtype, at location: ErrorLocation) throws {
        try GDALErrorScope.run(at: location) { errors in
            try dataset.addFieldDomain(domain, fieldType: type.ogr, subtype: subtype.ogr, errors: errors, at: location)
        }
    }

    /// Creates a layer with its fields (`GDALDatasetCreateLayer`, then `OGR_L_CreateField` for
    /// each): the layer, the names the driver gave the fields (drivers may launder them), their
    /// indexes in the layer (a driver may have fields of its own first: KML's Name and
    /// Description), and the warnings GDAL raised while creating them.
    func createLayer(name: String, spatialReference: SpatialReference?, geometry: GDALGeometrySpec,
                     options: [String], fields: [GDALFieldSpec], at location: ErrorLocation) throws
        -> (layer: GDALLayer, createdNames: [String], fieldIndexes: [Int32], warnings: [String]) {
        try GDALErrorScope.run(at: location) { errors in
            let srs = try spatialReference.map { try GDALSpatialReference.from($0, at: location) }
            // A layer without geometry keeps a spatial reference it is given: a CSV point layer
            // whose WKT column the writer fills still gets its .prj.
            let layer = try dataset.createLayer(name: name, srs: srs,
                                                geometryType: geometry.ogr, options: options,
                                                errors: errors, at: location)
            var created: [String] = []
            var indexes: [Int32] = []
            for spec in fields {
                let field = GDALFieldDefinition(name: spec.name, type: spec.type.ogr)
                field.setSubtype(spec.subtype.ogr)
                if spec.width > 0 { field.setWidth(spec.width) }
                if spec.precision > 0 { field.setPrecision(spec.precision) }
                field.setNullable(spec.nullable)
                if let alias = spec.alias, !alias.isEmpty { field.setAlternativeName(alias) }
                if let domain = spec.domainName { field.setDomainName(domain) }
                var fieldLocation = location
                fieldLocation.field = spec.sourceName
                created.append(try layer.createField(field, errors: errors, at: fieldLocation))
                indexes.append(Int32(layer.fieldCount - 1))
            }
            return (layer, created, indexes, errors.warnings().map(\.text))
        }
    }

    /// Adds a relationship class between two layers of this dataset (`GDALDatasetAddRelationship`).
    func addRelationship(_ relationship: GDALRelationship, at location: ErrorLocation) throws {
        try GDALErrorScope.run(at: location) { errors in
            try dataset.addRelationship(relationship, errors: errors, at: location)
        }
    }

    /// Flushes and closes; failures raised while flushing are thrown.
    func close() throws {
        try GDALErrorScope.run(at: location) { errors in
            try dataset.close(errors: errors, at: location)
        }
    }
}
