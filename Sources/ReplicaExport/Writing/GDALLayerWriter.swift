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
    /// Text changed by the column's formatter (``ValueFormatter/Output/altered(_:)``).
    var altered = LossTally()
    /// Doubles rounded to the significant digits the driver writes.
    var realsRounded = LossTally()
    /// Dates before the earliest the format shows as given.
    var datesOutOfRange = LossTally()
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
        altered.absorb(later.altered)
        realsRounded.absorb(later.realsRounded)
        datesOutOfRange.absorb(later.datesOutOfRange)
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
        try GDALErrorScope.run(at: location) { errors in
            let layer = try createLayer(name: name, spatialReference: spatialReference, geometry: geometry, options: options,
                                        errors: errors, at: location)
            var created: [String] = []
            var indexes: [Int32] = []
            for column in columns {
                let field = GDALFieldDefinition(name: column.name, type: column.type, subtype: column.subtype)
                if column.width > 0 { field.setWidth(column.width) }
                if column.precision > 0 { field.setPrecision(column.precision) }
                field.setNullable(column.nullable)
                if let alias = column.alias, !alias.isEmpty { field.setAlternativeName(alias) }
                if let domain = column.domainName { field.setDomainName(domain) }
                var fieldLocation = location
                fieldLocation.field = column.sourceName
                created.append(try layer.createField(field, errors: errors, at: fieldLocation))
                // A driver may have fields of its own first (KML's Name and Description).
                indexes.append(Int32(layer.fieldCount - 1))
            }
            return GDALLayerWriter(layer: layer, columns: columns, createdNames: created,
                                   fieldIndexes: indexes, creationWarnings: errors.warnings().map(\.text), fidSource: fidSource,
                                   objectIDSource: objectIDSource ?? fidSource, keepM: keepM,
                                   writesGeometry: geometry.kind != .none, location: location)
        }
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
    /// The transactions the features go in (shared by the dataset's writers); nil: none opened.
    var transactions: TransactionBatches?
    /// How many NaN M values were replaced, and the first feature with one.
    private(set) var replacedMissingM = 0
    /// What the format limits (``WriterProfile/Limits``): the longest text, the digits of a
    /// double, the earliest date; nil = no limit.
    var textCharacters: Int?
    var realDigits: Int?
    var earliestDate: DateOnly? {
        didSet { earliestDay = earliestDate.map { Int64(EsriValues.daysFromCivil($0.year, $0.month, $0.day)) } }
    }
    private var earliestDay: Int64?
    /// Geometries that were not written: a WKT longer than ``textCharacters``, or a geometry
    /// other than a point in a layer whose geometry is only its X / Y (/ Z) columns.
    private(set) var wktTooLong = LossTally()
    private(set) var notPoints = LossTally()
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
    /// Per column, its field's index in the OGR layer (a driver may add fields of its own first).
    private let fieldIndexes: [Int32]
    /// The layer's geometry is only in columns: X / Y (/ Z) without a WKT column.
    private let geometryOnlyAsPointColumns: Bool

    init(layer: GDALLayer, columns: [GDALColumnSpec], createdNames: [String], fieldIndexes: [Int32], creationWarnings: [String],
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
        self.fieldIndexes = fieldIndexes
        geometryOnlyAsPointColumns = !writesGeometry && !columns.holdGeometryAsWKT
            && columns.contains { $0.encoding == .geometryX }
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
        wktTooLong.absorb(later.wktTooLong)
        notPoints.absorb(later.notPoints)
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
                setCoordinate(f.geometry, column: i, encoding: encodings[i].encoding, at: location)
            case .geometryWKT:
                if let text = try wkt(of: f.geometry, errors: errors, at: location) {
                    if let limit = textCharacters, text.utf8.count > limit, text.utf16.count > limit {
                        wktTooLong.record(at: location)
                        feature.setNull(fieldIndexes[i])
                    } else {
                        feature.set(fieldIndexes[i], string: text)
                    }
                } else {
                    feature.setNull(fieldIndexes[i])
                }
            case .label(let labels):
                if let label = labels.label(of: f.attributes[source], in: f.attributes) {
                    setText(labelText(label), column: i, at: location)
                } else {
                    feature.setNull(fieldIndexes[i])
                }
            default:
                try set(f.attributes[source], column: i, encoding: encodings[i].encoding, at: location)
            }
        }
        if geometryOnlyAsPointColumns, let g = f.geometry, !g.isPointOrEmpty { notPoints.record(at: location) }
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
        try transactions?.willWrite()
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
        try transactions?.didWrite()
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

    /// A point's X, Y or Z: as a number into a Real column, else as its shortest round-trip text.
    private func setCoordinate(_ geometry: PreparedGeometry?, column i: Int, encoding: ValueEncoding, at location: ErrorLocation) {
        let index = fieldIndexes[i]
        guard let geometry, case .point(let v) = geometry.shape, !v.x.isNaN, encoding != .geometryZ || geometry.hasZ else {
            feature.setNull(index)
            return
        }
        let value = encoding == .geometryX ? v.x : encoding == .geometryY ? v.y : v.z
        if columns[i].type == .real {
            setReal(value, column: i, at: location)
        } else {
            feature.set(index, string: ValueText.numberText(value))
        }
    }

    /// A double into a Real column; one the driver cannot write with its digits is tallied.
    @inline(__always)
    private func setReal(_ value: Double, column i: Int, at location: ErrorLocation) {
        if let digits = realDigits, ValueText.significantDigits(value) > digits { losses[i].realsRounded.record(at: location) }
        feature.set(fieldIndexes[i], double: value)
    }

    /// Text into a column, cut to ``textCharacters`` where the format limits it (tallied).
    @inline(__always)
    private func setText(_ text: String, column i: Int, at location: ErrorLocation) {
        if let limit = textCharacters, text.utf8.count > limit, text.utf16.count > limit {
            losses[i].truncated.record(at: location)
            feature.set(fieldIndexes[i], string: LayerNames.prefix(text, utf16: limit))
        } else {
            feature.set(fieldIndexes[i], string: text)
        }
    }

    /// Whether a date lies before the earliest the format shows as given; tallied.
    @inline(__always)
    private func checkEarliest(days: Int64, column i: Int, at location: ErrorLocation) {
        if let earliestDay, days < earliestDay { losses[i].datesOutOfRange.record(at: location) }
    }

    /// NaN or infinity the column cannot hold: written as null, counted.
    private func nonFinite(column i: Int, at location: ErrorLocation) {
        losses[i].nonFiniteNumbers.record(at: location)
        feature.setNull(fieldIndexes[i])
    }

    private func mismatch(_ value: Value, column i: Int, _ location: ErrorLocation) -> ReplicaExportError {
        var here = location
        here.field = columns[i].sourceName
        return ReplicaExportError(.invalidState, "value \(value) does not fit the field's encoding \(columns[i].encoding)", at: here)
    }

    @inline(__always)
    private func set(_ value: Value, column i: Int, encoding: ValueEncoding, at location: ErrorLocation) throws {
        let index = fieldIndexes[i]
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
            setReal(d, column: i, at: location)
        case .realShortestDecimal:
            guard var d = value.doubleValue else { throw mismatch(value, column: i, location) }
            guard d.isFinite else { return nonFinite(column: i, at: location) }
            if case .float32(let f) = value { d = ValueText.shortestDecimal(f) }
            // A .dbf number is fixed-point text of the column's width: a larger one is refused
            // (a column of no fixed width, KML's or Excel's, takes any).
            guard columns[i].width == 0 || columns[i].precision == 0
                    || ValueText.fixedPointFits(d, width: columns[i].width, precision: columns[i].precision) else {
                losses[i].tooLarge.record(at: location)
                feature.setNull(index)
                return
            }
            if case .float32 = value { feature.set(index, double: d) } else { setReal(d, column: i, at: location) }
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
            setText(s, column: i, at: location)
        case .formatted(let formatter):
            switch formatter.text(value) {
            case .text(let text): setText(text, column: i, at: location)
            case .altered(let text):
                losses[i].altered.record(at: location)
                setText(text, column: i, at: location)
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
            if earliestDay != nil { checkEarliest(days: ms >= 0 ? ms / 86_400_000 : -((-ms - 1) / 86_400_000) - 1, column: i, at: location) }
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
            if earliestDay != nil { checkEarliest(days: Int64(EsriValues.daysFromCivil(d.year, d.month, d.day)), column: i, at: location) }
            feature.set(index, year: d.year, month: d.month, day: d.day, hour: 0, minute: 0, second: 0, tzFlag: 0)
        case .dateOnlyISO:
            guard case .dateOnly(let d) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: ValueText.isoDate(d))
        case .timeOnlyISO:
            guard case .timeOnly(let t) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: ValueText.isoTime(t))
        case .time:
            guard case .timeOnly(let t) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, year: 0, month: 0, day: 0, hour: t.hour, minute: t.minute,
                        second: Float(t.second) + Float(t.millisecond) / 1000, tzFlag: 0)
        case .timestampOffsetISO:
            guard case .timestampOffset(let t) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, string: ValueText.isoOffset(t))
        case .binary:
            guard case .blob(let b) = value else { throw mismatch(value, column: i, location) }
            feature.set(index, binary: b)
        case .base64:
            guard case .blob(let b) = value else { throw mismatch(value, column: i, location) }
            setText(ValueText.base64(b), column: i, at: location)
        }
    }
}
