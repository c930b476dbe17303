import Foundation

/// One output column: where its value comes from and how it is encoded.
struct GDALColumnSpec: Sendable {
    /// The name asked for; the driver may launder it (see ``GDALLayerWriter/createdNames``).
    var name: String
    var type: GDALColumnType
    var subtype: GDALColumnSubtype = .none
    var width: Int = 0
    var precision: Int = 0
    var nullable: Bool = true
    var alias: String?
    var domainName: String?
    /// Index into the feature's attributes.
    var source: Int
    var encoding: ValueEncoding
    /// The source field's name, for messages.
    var sourceName: String
    /// The source field's type; nil for columns that are not fields (CSV's point X / Y).
    var sourceType: FieldType?
    /// The domain to create and attach, when the format keeps domains.
    var domain: Domain?
}

extension GDALColumnSpec {
    /// The field GDAL creates for this column.
    var field: GDALFieldSpec {
        GDALFieldSpec(name: name, type: type, subtype: subtype, width: width, precision: precision, nullable: nullable,
                      alias: alias, domainName: domainName, sourceName: sourceName)
    }
}

extension Array where Element == GDALColumnSpec {
    /// Whether a column holds the geometry as WKT the writer fills (``ValueEncoding/geometryWKT``):
    /// the layer then has no geometry field of its own.
    var holdGeometryAsWKT: Bool { contains { $0.encoding == .geometryWKT } }
}

/// What a layer writer noticed that the user should know, per column.
struct GDALColumnLosses: Sendable, Equatable {
    /// Dates rounded to the nearest second.
    var millisecondsDropped = LossTally()
    /// Dates cut to the day.
    var timeOfDayDropped = LossTally()
    /// Text cut to the format's maximum length.
    var truncated = LossTally()
    /// 64-bit integers beyond 2^53 rounded to the nearest double.
    var integersRounded = LossTally()
    /// NaN or infinity written as null.
    var nonFiniteNumbers = LossTally()
    /// Numbers too large for the column's fixed-point text, written as null.
    var tooLarge = LossTally()
}

/// How many values lost something, and where the first of them was.
struct LossTally: Sendable, Equatable {
    private(set) var count = 0
    private(set) var firstFeatureIndex: Int?
    private(set) var firstObjectID: Int64?

    mutating func record(at location: ErrorLocation) {
        if count == 0 {
            firstFeatureIndex = location.featureIndex
            firstObjectID = location.objectID
        }
        count += 1
    }

    /// Adds the tally of values met after this tally's (a later segment of the same layer): counts
    /// add up, the first stays the earlier one's when it has one.
    mutating func absorb(_ later: LossTally) {
        guard later.count > 0 else { return }
        if count == 0 {
            firstFeatureIndex = later.firstFeatureIndex
            firstObjectID = later.firstObjectID
        }
        count += later.count
    }
}

extension GDALColumnLosses {
    mutating func absorb(_ later: GDALColumnLosses) {
        millisecondsDropped.absorb(later.millisecondsDropped)
        timeOfDayDropped.absorb(later.timeOfDayDropped)
        truncated.absorb(later.truncated)
        integersRounded.absorb(later.integersRounded)
        nonFiniteNumbers.absorb(later.nonFiniteNumbers)
        tooLarge.absorb(later.tooLarge)
    }
}

extension GDALOutputDataset {
    /// Creates a layer with `columns` and its writer. `fidSource`: the attribute written as the
    /// FID; `objectIDSource`: the one named in messages (default: `fidSource`); `keepM`: whether
    /// measures are written.
    func createLayer(name: String, spatialReference: SpatialReference?, geometry: GDALGeometrySpec,
                     options: [String], columns: [GDALColumnSpec], fidSource: Int?, objectIDSource: Int? = nil,
                     keepM: Bool = true, at location: ErrorLocation) throws -> GDALLayerWriter {
        let created = try createLayer(name: name, spatialReference: spatialReference, geometry: geometry, options: options,
                                      fields: columns.map(\.field), at: location)
        return GDALLayerWriter(layer: created.layer, columns: columns, createdNames: created.createdNames,
                               creationWarnings: created.warnings, fidSource: fidSource,
                               objectIDSource: objectIDSource ?? fidSource, keepM: keepM,
                               writesGeometry: geometry.kind != .none, location: location)
    }
}

/// Writes features into one layer through GDAL, reusing one OGRFeature: each value encoded as its
/// column's ``ValueEncoding`` says, what an encoding could not keep tallied per column.
final class GDALLayerWriter {
    private let layer: GDALLayer
    private let feature: GDALFeature
    let columns: [GDALColumnSpec]
    /// The names the driver gave the columns, indexed like `columns`.
    let createdNames: [String]
    /// Warnings GDAL raised while creating the layer and its fields.
    let creationWarnings: [String]
    /// The layer name the driver gave (read at creation: valid after the dataset is closed).
    let layerName: String
    /// The FID column's name, empty when the driver has none (read at creation).
    let fidColumn: String

    /// `OGR_L_SyncToDisk`: what is written reaches the files (FileGDB relationship classes need
    /// both tables synced first).
    func syncToDisk() throws {
        try GDALErrorScope.run(at: location) { errors in
            try layer.syncToDisk(errors: errors, at: location)
        }
    }
    private let fidSource: Int?
    /// The attribute holding the ObjectID, named in messages and loss reports.
    private let objectIDSource: Int?
    private let keepM: Bool
    /// False for a layer created without a geometry field: features' geometries are not set.
    private let writesGeometry: Bool
    private let location: ErrorLocation
    private(set) var featureCount = 0
    /// Written instead of a NaN M where the driver cannot encode NaN (GDAL 3.6.2's FileGDB).
    var missingMReplacement: Double?
    /// The non-finite numbers the driver's Real columns hold; others are written as null.
    var nonFiniteReals: NonFiniteReals = []
    /// A domain label as the driver gets it (``GDALFormat/labelText(_:)``).
    var labelText: (String) -> String = { $0 }
    /// How many NaN M values were replaced, and the first feature with one.
    private(set) var replacedMissingM = 0
    private(set) var firstReplacedMissingM = LossTally()
    /// Features whose geometry the driver refused, written without it: count, first, and what
    /// the driver said of the first.
    private(set) var refusedGeometries = LossTally()
    private(set) var firstRefusal: String?
    /// ObjectIDs that could not be kept as the FID (taken by an earlier feature, or not positive)
    /// and were given a new one by the driver: count, and the first (value, feature index).
    private(set) var reassignedFIDs = 0
    private(set) var firstReassignedFID: (value: Int64?, featureIndex: Int)?
    /// Features whose ObjectID could not be kept, written last by `writeDeferred()`.
    private var deferred: [(PreparedFeature, ErrorLocation)] = []
    /// The largest FID written so far: any FID above it is certainly free.
    private var largestFID: Int64 = 0
    /// Per column, what was lost (counted by feature).
    private(set) var losses: [GDALColumnLosses]
    /// Per column, what every feature needs of its spec: the attribute read and its encoding.
    /// Binding a whole ``GDALColumnSpec`` per value retained and released its strings and domain.
    private let encodings: [(source: Int, encoding: ValueEncoding)]

    init(layer: GDALLayer, columns: [GDALColumnSpec], createdNames: [String], creationWarnings: [String],
                     fidSource: Int?, objectIDSource: Int?, keepM: Bool, writesGeometry: Bool, location: ErrorLocation) {
        self.layer = layer
        self.layerName = layer.name
        self.fidColumn = layer.fidColumn
        self.feature = GDALFeature(definition: layer.definition)
        self.columns = columns
        self.createdNames = createdNames
        self.creationWarnings = creationWarnings
        self.fidSource = fidSource
        self.objectIDSource = objectIDSource
        self.keepM = keepM
        self.writesGeometry = writesGeometry
        self.location = location
        self.losses = Array(repeating: GDALColumnLosses(), count: columns.count)
        self.encodings = columns.map { ($0.source, $0.encoding) }
    }

    /// Writes a batch; `firstIndex` is the layer-wide index of `features[0]` (for messages).
    func write<C: Collection>(_ features: C, firstIndex: Int) throws where C.Element == PreparedFeature {
        try GDALErrorScope.run(at: location) { errors in
            var index = firstIndex
            for f in features {
                var here = location
                here.featureIndex = index
                if let objectIDSource { here.objectID = f.attributes[objectIDSource].integerValue }
                try writeOne(f, errors: errors, at: here)
                index += 1
            }
        }
    }

    private func writeOne(_ f: PreparedFeature, errors: GDALErrorCollector, at location: ErrorLocation) throws {
        var fid: Int64 = -1  // OGRNullFID: the driver assigns one
        if let fidSource {
            // An ObjectID is kept as the FID unless it cannot be: FIDs are positive and unique, and a
            // payload may repeat an ObjectID (query pages do) or lack one. Only an FID at or below the
            // largest written so far needs the (indexed) look-up. A feature whose ObjectID cannot be
            // kept waits for the end of the layer, so that the id the driver then gives it
            // (largest + 1) can never take the ObjectID of a feature still to come.
            let value = f.attributes[fidSource].integerValue
            guard let value, value > 0 && (value > largestFID || !layer.hasFeature(value)) else {
                reassignedFIDs += 1
                if firstReassignedFID == nil { firstReassignedFID = (value, location.featureIndex ?? 0) }
                deferred.append((f, location))
                return
            }
            fid = value
        }
        try create(f, fid: fid, errors: errors, at: location)
    }

    /// Writes the features whose ObjectID could not be kept, with new FIDs. Call at the end of the layer.
    func writeDeferred() throws {
        try writeDeferred(takeDeferred())
    }

    /// Features set aside for the end of the layer, each with where it was met.
    typealias DeferredFeature = (feature: PreparedFeature, location: ErrorLocation)

    /// Hands over the features set aside for the end of the layer (a segment of a layer written
    /// by several datasets leaves them to the layer's last file), and forgets them.
    func takeDeferred() -> [DeferredFeature] {
        defer { deferred.removeAll() }
        return deferred.map { (feature: $0.0, location: $0.1) }
    }

    /// Writes features set aside by this or another writer of the same layer, with new FIDs, in order.
    func writeDeferred(_ pending: [DeferredFeature]) throws {
        guard !pending.isEmpty else { return }
        try GDALErrorScope.run(at: location) { errors in
            for (f, here) in pending { try create(f, fid: -1, errors: errors, at: here) }
        }
    }

    /// Counts a feature whose geometry the format refused before it reached the driver (and was
    /// written without it).
    func recordRefusedGeometry(_ reason: String, at location: ErrorLocation) {
        refusedGeometries.record(at: location)
        if firstRefusal == nil { firstRefusal = reason }
    }

    /// Adds what a writer of a later segment of the same layer counted (features, losses, replaced
    /// M values, reassigned ObjectIDs) to this writer's tallies, as if this writer had written them.
    func absorb(_ later: GDALLayerWriter) {
        featureCount += later.featureCount
        replacedMissingM += later.replacedMissingM
        firstReplacedMissingM.absorb(later.firstReplacedMissingM)
        if refusedGeometries.count == 0 { firstRefusal = later.firstRefusal }
        refusedGeometries.absorb(later.refusedGeometries)
        if firstReassignedFID == nil { firstReassignedFID = later.firstReassignedFID }
        reassignedFIDs += later.reassignedFIDs
        for i in losses.indices where i < later.losses.count { losses[i].absorb(later.losses[i]) }
    }

    private func create(_ f: PreparedFeature, fid: Int64, errors: GDALErrorCollector, at location: ErrorLocation) throws {
        feature.setFID(fid)
        let start = errors.count
        let replacedBefore = replacedMissingM
        defer { if replacedMissingM != replacedBefore { firstReplacedMissingM.record(at: location) } }
        for i in encodings.indices {
            let source = encodings[i].source
            switch encodings[i].encoding {
            case .geometryX, .geometryY, .geometryZ:
                setCoordinate(f.geometry, column: Int32(i), encoding: encodings[i].encoding)
            case .geometryWKT:
                if let text = try wkt(of: f.geometry, errors: errors, at: location) {
                    feature.set(Int32(i), string: text)
                } else {
                    feature.setNull(Int32(i))
                }
            case .label(let labels):
                if let label = labels.label(of: f.attributes[source], in: f.attributes) {
                    feature.set(Int32(i), string: labelText(label))
                } else {
                    feature.setNull(Int32(i))
                }
            default:
                try set(f.attributes[source], column: i, encoding: encodings[i].encoding, at: location)
            }
        }
        if !writesGeometry {
            // The layer has no geometry field: a column of its own holds it, or there is none.
        } else if let g = f.geometry, case .point(let v) = g.shape, v.x.isFinite, v.y.isFinite {
            // A point is set on the point the feature already holds: no WKB, no new geometry.
            let m = g.hasM && keepM
                ? WKB.storedMeasure(v.m, missingM: missingMReplacement, replaced: &replacedMissingM) : nil
            feature.setPoint(x: v.x, y: v.y, z: g.hasZ ? v.z : nil, m: m)
        } else if let g = f.geometry {
            let wkb = WKB.encode(g, keepM: keepM, missingM: missingMReplacement, replacedMissingM: &replacedMissingM)
            feature.setGeometry(try GDALGeometry.fromWKB(wkb, errors: errors, at: location))
        } else {
            feature.setGeometry(nil)
        }
        let creating = errors.count
        do {
            try layer.createFeature(feature, errors: errors, since: creating, at: location)
        } catch let refused as ReplicaExportError where refused.code == .gdal && writesGeometry && f.geometry != nil {
            // The driver refused the feature (GeoJSON's RFC 7946 writer a geometry outside WGS 84's
            // range, say): once more without its geometry; if that fails too, the first error stands.
            let refusal = errors.failures(since: creating).first?.text ?? refused.message
            errors.forget(since: creating)
            feature.setGeometry(nil)
            feature.setFID(fid)
            do {
                try layer.createFeature(feature, errors: errors, since: creating, at: location)
            } catch {
                throw refused
            }
            refusedGeometries.record(at: location)
            if firstRefusal == nil { firstRefusal = refusal }
        }
        largestFID = max(largestFID, feature.fid)
        // A warning while writing a feature means a value did not go in as given.
        if errors.count > start, let warning = errors.warnings(since: start).first {
            throw ReplicaExportError(.dataLoss, "GDAL: \(warning.text)", at: location)
        }
        featureCount += 1
    }

    /// A geometry as ISO WKT for a text column: written by ``WKT`` with shortest round-trip numbers
    /// (GDAL's WKT keeps 15 digits and costs more than the rest of a CSV line), or where it
    /// declines (arcs, empty parts) as GDAL writes it.
    private func wkt(of geometry: PreparedGeometry?, errors: GDALErrorCollector, at location: ErrorLocation) throws -> String? {
        guard let g = geometry else { return nil }
        if let text = WKT.text(g, keepM: keepM, missingM: missingMReplacement, replacedMissingM: &replacedMissingM) {
            return text
        }
        let wkb = WKB.encode(g, keepM: keepM, missingM: missingMReplacement, replacedMissingM: &replacedMissingM)
        return try GDALGeometry.fromWKB(wkb, errors: errors, at: location).isoWKT
    }

    private func setCoordinate(_ geometry: PreparedGeometry?, column index: Int32, encoding: ValueEncoding) {
        guard let geometry, case .point(let v) = geometry.shape, !v.x.isNaN else {
            feature.setNull(index)
            return
        }
        switch encoding {
        case .geometryX: feature.set(index, string: ValueText.numberText(v.x))
        case .geometryY: feature.set(index, string: ValueText.numberText(v.y))
        default:
            if geometry.hasZ { feature.set(index, string: ValueText.numberText(v.z)) } else { feature.setNull(index) }
        }
    }

    /// NaN or infinity the column cannot hold: written as null, counted.
    private func nonFinite(column i: Int, at location: ErrorLocation) {
        losses[i].nonFiniteNumbers.record(at: location)
        feature.setNull(Int32(i))
    }

    private func mismatch(_ value: Value, column i: Int, _ location: ErrorLocation) -> ReplicaExportError {
        var here = location
        here.field = columns[i].sourceName
        return ReplicaExportError(.invalidState, "value \(value) does not fit the field's encoding \(columns[i].encoding)", at: here)
    }

    @inline(__always)
    private func set(_ value: Value, column i: Int, encoding: ValueEncoding, at location: ErrorLocation) throws {
        let index = Int32(i)
        if case .null = value { feature.setNull(index); return }
        switch encoding {
        case .integer:
            guard let v = value.integerValue, let v32 = Int32(exactly: v) else { throw mismatch(value, column: i, location) }
            feature.set(index, int32: v32)
        case .integer64:
            guard let v = value.integerValue else { throw mismatch(value, column: i, location) }
            feature.set(index, int64: v)
        case .integer64Within53Bits:
            guard let v = value.integerValue else { throw mismatch(value, column: i, location) }
            // The driver keeps it as a double: beyond 2^53 that is the nearest double, reported.
            if v.magnitude > (1 << 53), Int64(exactly: Double(v)) != v { losses[i].integersRounded.record(at: location) }
            feature.set(index, int64: v)
        case .real:
            guard let d = value.doubleValue else { throw mismatch(value, column: i, location) }
            guard nonFiniteReals.holds(d) else { return nonFinite(column: i, at: location) }
            feature.set(index, double: d)
        case .realShortestDecimal:
            guard var d = value.doubleValue else { throw mismatch(value, column: i, location) }
            guard d.isFinite else { return nonFinite(column: i, at: location) }
            if case .float32(let f) = value { d = ValueText.shortestDecimal(f) }
            // A .dbf number is fixed-point text of the column's width: a larger one is refused.
            guard ValueText.fixedPointFits(d, width: columns[i].width, precision: columns[i].precision) else {
                losses[i].tooLarge.record(at: location)
                feature.setNull(index)
                return
            }
            feature.set(index, double: d)
        case .numberText:
            if let d = value.doubleValue, !d.isFinite { return nonFinite(column: i, at: location) }
            switch value {
            case .float32(let f): feature.set(index, string: String(f))
            case .float64(let d): feature.set(index, string: ValueText.numberText(d))
            default:
                guard let v = value.integerValue else { throw mismatch(value, column: i, location) }
                feature.set(index, string: String(v))
            }
        case .string:
            guard case .string(let s) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: s)
        case .formatted(let formatter):
            switch formatter.text(value) {
            case .text(let text): feature.set(index, string: text)
            case .nonFinite:
                losses[i].nonFiniteNumbers.record(at: location)
                feature.setNull(index)
            case .mismatch: throw mismatch(value, column: i, location)
            }
        case .stringMaxBytes(let maxBytes):
            guard case .string(let s) = value else { throw mismatch(value, column: i, location) }
            if let cut = ValueText.truncated(s, maxBytes: maxBytes) {
                losses[i].truncated.record(at: location)
                feature.set(index, string: cut)
            } else {
                feature.set(index, string: s)
            }
        case .geometryX, .geometryY, .geometryZ, .geometryWKT, .label:
            break
        case .guidBracedUpper:
            guard case .guid(let s) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: ValueText.guidBracedUpper(s))
        case .guidAsGiven:
            guard case .guid(let s) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: s)
        case .dateTime:
            guard case .date(let ms) = value else { throw mismatch(value, column: i, location) }
            let p = ValueText.parts(milliseconds: ms)
            feature.set(index, year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute,
                        second: Float(p.second) + Float(p.millisecond) / 1000, tzFlag: 100)
        case .dateTimeWholeSeconds:
            guard case .date(let ms) = value else { throw mismatch(value, column: i, location) }
            // To the nearest second (GDAL 3.6.2 would cut the fraction off).
            let (seconds, remainder) = (ms + 500).quotientAndRemainder(dividingBy: 1000)
            let rounded = (remainder < 0 ? seconds - 1 : seconds) * 1000
            if rounded != ms { losses[i].millisecondsDropped.record(at: location) }
            let p = ValueText.parts(milliseconds: rounded)
            feature.set(index, year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute,
                        second: Float(p.second), tzFlag: 100)
        case .dateToDate:
            guard case .date(let ms) = value else { throw mismatch(value, column: i, location) }
            let p = ValueText.parts(milliseconds: ms)
            if p.hour != 0 || p.minute != 0 || p.second != 0 || p.millisecond != 0 {
                losses[i].timeOfDayDropped.record(at: location)
            }
            feature.set(index, year: p.year, month: p.month, day: p.day, hour: 0, minute: 0, second: 0, tzFlag: 0)
        case .dateISO:
            guard case .date(let ms) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: ValueText.isoUTC(milliseconds: ms))
        case .dateOnly:
            guard case .dateOnly(let d) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, year: d.year, month: d.month, day: d.day, hour: 0, minute: 0, second: 0, tzFlag: 0)
        case .dateOnlyISO:
            guard case .dateOnly(let d) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: ValueText.isoDate(d))
        case .timeOnlyISO:
            guard case .timeOnly(let t) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: ValueText.isoTime(t))
        case .timestampOffsetISO:
            guard case .timestampOffset(let t) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: ValueText.isoOffset(t))
        case .binary:
            guard case .blob(let b) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, binary: b)
        case .base64:
            guard case .blob(let b) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: ValueText.base64(b))
        }
    }
}
