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

    /// Creates the dataset; `configOptions` are set on this thread while it is created.
    init(driver: String, path: String, options: [String] = [], configOptions: [String: String] = [:],
         location: ErrorLocation) throws {
        self.path = path
        self.location = location
        dataset = try GDALErrorScope.run(at: location) { errors in
            try GDALDataset.create(driver: driver, path: path, options: options, configOptions: configOptions,
                                   errors: errors, at: location)
        }
    }

    /// Adds a field domain; `type` / `subtype` are those of the fields using it.
    func addDomain(_ domain: Domain, type: GDALColumnType, subtype: GDALColumnSubtype, at location: ErrorLocation) throws {
        try GDALErrorScope.run(at: location) { errors in
            try dataset.addFieldDomain(domain, fieldType: type.ogr, subtype: subtype.ogr, errors: errors, at: location)
        }
    }

    /// Creates a layer without fields (`GDALDatasetCreateLayer`), in the caller's error scope.
    /// A layer without geometry keeps a spatial reference it is given: a CSV point layer whose
    /// WKT column the writer fills still gets its .prj.
    func createLayer(name: String, spatialReference: SpatialReference?, geometry: GDALGeometrySpec, options: [String],
                     errors: GDALErrorCollector, at location: ErrorLocation) throws -> GDALLayer {
        let srs = try spatialReference.map { try GDALSpatialReference.from($0, at: location) }
        return try dataset.createLayer(name: name, srs: srs, geometryType: geometry.ogr, options: options,
                                       errors: errors, at: location)
    }

    /// Adds a relationship class between two layers of this dataset (`GDALDatasetAddRelationship`).
    func addRelationship(_ relationship: GDALRelationship, at location: ErrorLocation) throws {
        try GDALErrorScope.run(at: location) { errors in
            try dataset.addRelationship(relationship, errors: errors, at: location)
        }
    }

    /// Whether a transaction is open (``startTransaction()``, not yet committed or rolled back).
    private(set) var inTransaction = false

    /// Opens a transaction (`GDALDatasetStartTransaction`): the features written until
    /// ``commitTransaction()`` reach the file together, or not at all.
    func startTransaction() throws {
        try GDALErrorScope.run(at: location) { errors in
            try dataset.startTransaction(errors: errors, at: location)
        }
        inTransaction = true
    }

    /// Commits the open transaction (`GDALDatasetCommitTransaction`); nothing when none is open.
    /// A failed commit leaves it open, for ``rollbackTransaction()`` or the deinit to undo.
    func commitTransaction() throws {
        guard inTransaction else { return }
        try GDALErrorScope.run(at: location) { errors in
            try dataset.commitTransaction(errors: errors, at: location)
        }
        inTransaction = false
    }

    /// Undoes the open transaction (`GDALDatasetRollbackTransaction`); nothing when none is open.
    func rollbackTransaction() throws {
        guard inTransaction else { return }
        inTransaction = false
        try GDALErrorScope.run(at: location) { errors in
            try dataset.rollbackTransaction(errors: errors, at: location)
        }
    }

    /// Flushes and closes, committing an open transaction first; failures raised while
    /// committing or flushing are thrown.
    func close() throws {
        try commitTransaction()
        try GDALErrorScope.run(at: location) { errors in
            try dataset.close(errors: errors, at: location)
        }
    }

    /// A dataset dropped without ``close()`` (an abort) undoes its open transaction before GDAL
    /// closes it: nothing of it is committed.
    deinit {
        if inTransaction { try? rollbackTransaction() }
    }
}
