import Foundation

/// What an output format can hold, declared once per format, as GDAL drivers declare their
/// capabilities: the exporter, the geometry preparer and the generic GDAL writer act on these flags.
public struct WriterCapabilities: OptionSet, Sendable, Hashable {
    /// The set's bits.
    public let rawValue: Int
    /// The capabilities of these bits.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Circular arcs can be kept as true curves (elliptic arcs and Beziers never can through GDAL).
    public static let circularArcs = WriterCapabilities(rawValue: 1 << 0)
    /// Attribute domains are kept.
    public static let domains = WriterCapabilities(rawValue: 1 << 1)
    /// Attachments can be stored inside the format.
    public static let attachments = WriterCapabilities(rawValue: 1 << 2)
    /// One output layer may hold several geometry types; without it, other types go to files of their own.
    public static let mixedGeometryTypes = WriterCapabilities(rawValue: 1 << 3)
    /// Binary fields are stored as binary.
    public static let binaryFields = WriterCapabilities(rawValue: 1 << 4)
    /// Z values are kept.
    public static let zValues = WriterCapabilities(rawValue: 1 << 5)
    /// M values are kept.
    public static let mValues = WriterCapabilities(rawValue: 1 << 6)
    /// All layers of one input go into one output file (a FileGDB, a GeoPackage).
    public static let multipleLayersPerFile = WriterCapabilities(rawValue: 1 << 7)
    /// Output must be WGS84 longitude/latitude (RFC 7946).
    public static let requiresWGS84 = WriterCapabilities(rawValue: 1 << 8)
    /// Relationship classes are kept.
    public static let relationships = WriterCapabilities(rawValue: 1 << 9)
    /// Field nullability is kept.
    public static let nullability = WriterCapabilities(rawValue: 1 << 10)
    /// Field aliases are kept.
    public static let aliases = WriterCapabilities(rawValue: 1 << 11)
}

/// The non-finite numbers a format's Real columns hold as such; a value it does not hold is
/// written as null and reported (``Diagnostic/Code/nonFiniteNumberDropped``).
public struct NonFiniteReals: OptionSet, Sendable, Hashable {
    /// The set's bits.
    public let rawValue: Int
    /// The non-finite numbers of these bits.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// NaN ("not a number").
    public static let nan = NonFiniteReals(rawValue: 1 << 0)
    /// Positive and negative infinity.
    public static let infinity = NonFiniteReals(rawValue: 1 << 1)

    /// Whether `d`, when it is not finite, is held.
    func holds(_ d: Double) -> Bool {
        d.isFinite || (d.isNaN ? contains(.nan) : contains(.infinity))
    }
}

/// An output format, declared: its name, what it can hold, where its layers go, how `verify`
/// reads it back and how a service hands it out; for a format GDAL writes, also its driver and how
/// each field type becomes a column (``GDALProfile``). One generic writer (``GDALFormatWriter``)
/// writes every GDAL profile; a new GDAL format is a profile and, where it needs them, a few hooks
/// (``GDALFormat``). A format no GDAL driver writes has a writer of its own and no GDAL part.
public struct WriterProfile: Sendable {
    /// The createReplica `dataFormat` name (`filegdb`, `shapefile`, ...), lower case.
    public let formatName: String
    /// The name as ArcGIS spells it in a service's `supportedExportFormats` (`geoPackage`,
    /// `featureCollection`); ``formatName`` where the two agree.
    public private(set) var arcGISName: String
    /// What the format can hold.
    public let capabilities: WriterCapabilities
    let layout: Layout
    /// What becomes of the ObjectID besides its attribute.
    let featureID: FeatureIDRule
    /// Written instead of a missing M (NaN) where the format cannot store NaN; nil = NaN is kept.
    let missingMeasure: Double?
    /// The non-finite numbers its Real columns hold (FileGDB both, GeoPackage infinity: SQLite
    /// stores a NaN as NULL); others are written as null.
    let nonFiniteReals: NonFiniteReals
    /// What reading the format back changes of what was written: how `verify` compares.
    let readBack: ReadBack
    /// How a service hands out the format's files (``ExportFormat``).
    let packaging: Packaging
    /// What else the format limits or needs (sheet names, rows, cells, memory; a zip around the
    /// dataset); the defaults limit nothing.
    let limits: Limits
    /// How GDAL writes the format: its driver, column table and options; nil for a format the
    /// library writes itself.
    let gdal: GDALProfile?
    /// How many features go into one transaction of the dataset, where the format is a database
    /// that otherwise commits each feature on its own (SQLite's: GeoPackage, a mobile
    /// geodatabase), as ogr2ogr's `-gt`; the last, partial one is committed at the end of the
    /// layer. nil where transactions gain nothing (FileGDB's are emulated) or there are none.
    let declaredFeaturesPerTransaction: Int?

    /// A format GDAL writes, through the driver `driverName`.
    init(formatName: String, driverName: String, capabilities: WriterCapabilities, layout: Layout,
         featureID: FeatureIDRule = .none, columns: FieldTypeTable, missingMeasure: Double? = nil,
         nonFiniteReals: NonFiniteReals = [], maxFieldNameBytes: Int? = nil,
         curvesNeedCurveLayerType: Bool = false, datasetOptions: [String] = [], layerOptions: [String] = [],
         configOptions: [String: String] = [:], segmentLayout: SegmentLayout? = nil, readBack: ReadBack = ReadBack(), packaging: Packaging,
         limits: Limits = Limits(), featuresPerTransaction: Int? = nil) {
        self.init(formatName: formatName, capabilities: capabilities, layout: layout, featureID: featureID,
                  missingMeasure: missingMeasure, nonFiniteReals: nonFiniteReals, readBack: readBack,
                  packaging: packaging, limits: limits, featuresPerTransaction: featuresPerTransaction,
                  gdal: GDALProfile(driverName: driverName, columns: columns, maxFieldNameBytes: maxFieldNameBytes,
                                    curvesNeedCurveLayerType: curvesNeedCurveLayerType, datasetOptions: datasetOptions,
                                    layerOptions: layerOptions, configOptions: configOptions, segmentLayout: segmentLayout))
    }

    /// A format the library writes itself (no GDAL driver writes it): every field is kept as its
    /// own type, so there is no column table.
    init(formatName: String, capabilities: WriterCapabilities, layout: Layout, featureID: FeatureIDRule = .none,
         missingMeasure: Double? = nil, nonFiniteReals: NonFiniteReals = [], readBack: ReadBack, packaging: Packaging,
         featuresPerTransaction: Int? = nil) {
        self.init(formatName: formatName, capabilities: capabilities, layout: layout, featureID: featureID,
                  missingMeasure: missingMeasure, nonFiniteReals: nonFiniteReals, readBack: readBack,
                  packaging: packaging, limits: Limits(), featuresPerTransaction: featuresPerTransaction, gdal: nil)
    }

    private init(formatName: String, capabilities: WriterCapabilities, layout: Layout, featureID: FeatureIDRule,
                 missingMeasure: Double?, nonFiniteReals: NonFiniteReals, readBack: ReadBack, packaging: Packaging,
                 limits: Limits, featuresPerTransaction: Int?, gdal: GDALProfile?) {
        precondition(featuresPerTransaction.map { $0 > 0 } ?? true, "a transaction holds at least one feature")
        self.formatName = formatName
        arcGISName = formatName
        self.capabilities = capabilities
        self.layout = layout
        self.featureID = featureID
        self.missingMeasure = missingMeasure
        self.nonFiniteReals = nonFiniteReals
        self.readBack = readBack
        self.packaging = packaging
        self.limits = limits
        declaredFeaturesPerTransaction = featuresPerTransaction
        self.gdal = gdal
    }

    /// This profile with the name ArcGIS spells differently from ``formatName``.
    func spelled(byArcGIS name: String) -> WriterProfile {
        var profile = self
        profile.arcGISName = name
        return profile
    }

    /// The GDAL part of a profile that ``GDALFormatWriter`` and GDAL read-back act on.
    struct GDALProfile: Sendable {
        /// GDAL's driver name.
        let driverName: String
        let columns: FieldTypeTable
        /// The longest field name, in UTF-8 bytes, when the format limits it (shapefile: 10).
        let maxFieldNameBytes: Int?
        /// Layers that may receive true curves must be declared with a curve type (MultiCurve,
        /// MultiSurface) or the driver refuses them (GeoPackage); FileGDB takes curves in any line or
        /// polygon layer.
        let curvesNeedCurveLayerType: Bool
        /// Dataset creation options and layer creation options every layer gets.
        let datasetOptions: [String]
        let layerOptions: [String]
        /// GDAL configuration options the driver reads as a dataset is created (GPKG's
        /// `OGR_SQLITE_CACHE`), set on the writing thread only, while it is created.
        let configOptions: [String: String]
        /// How two files the driver wrote for consecutive parts of one layer join into the file it
        /// would have written for the whole layer; nil when no splice is known for the format (FileGDB,
        /// GeoPackage). Declared, a large layer is written by several datasets at once (see
        /// ``SegmentLayout``).
        let segmentLayout: SegmentLayout?
    }

    /// What reading a format back changes of what was written, as far as `verify` must know it to
    /// accept exactly what the format keeps.
    struct ReadBack: Sendable {
        /// Which reader `verify` reads the outputs back with.
        var reader: Reader = .gdal
        /// How close a coordinate read back must be to the one written.
        var coordinates: CoordinatePrecision = .exact
        /// GDAL's reader turns CR LF inside a quoted cell into LF; the file keeps both (CSV).
        var crlfReadAsLF = false
        /// GDAL 3.6.2 reads domain codes and labels with their leading white space dropped; the
        /// file keeps it (FileGDB).
        var domainLeadingSpaceLost = false
        /// GDAL's reader reads text with its trailing spaces dropped; the file keeps them (KML
        /// through LIBKML).
        var trailingSpacesLost = false
        /// GDAL's reader reads an empty text as no value (XLSX: the file holds an empty string).
        var emptyTextReadAsNull = false
        /// The drivers that read the format back and the configuration options they need (the
        /// writing driver may not read what it wrote: GDAL's KML driver reads no ExtendedData).
        var open = GDALReadOptions()
        /// The geometry is in columns GDAL does not read as one (Excel's WKT, or X / Y / Z for
        /// points): verify rebuilds it from them.
        var geometryFromColumns = false
        /// Every layer is stored on a coordinate grid and says which: the spatial reference read
        /// back carries an XY resolution, tolerance and grid the input may not have given (the
        /// format's default for the system), and a layer without one reads back with a spatial
        /// reference that holds nothing but a grid (the mobile geodatabase's "Unknown").
        var spatialReferenceGainsGrid = false
        /// The ObjectID field reads back as not nullable, whatever the input said (ArcGIS's own
        /// ObjectID: the table's `integer primary key not null`).
        var objectIDNotNullable = false
        /// Attachments of a layer that does not declare them (`hasAttachments`), and attachments
        /// known only by URL, are not kept (reported as ``Diagnostic/Code/attachmentsDropped``);
        /// for a format read back by the library (the JSON formats keep both).
        var attachmentsOnlyDeclaredWithData = false
        /// A polygon ring that meets its first vertex again before its end reads back as several
        /// rings, split there (a shape blob's ring ends where it closes); the same area.
        var ringsSplitAtTheirStart = false
        /// Geometries beyond these WGS 84 limits are written as null (GeoJSON; reported as
        /// ``Diagnostic/Code/geometryRefused``); nil where the format takes any coordinates.
        var refusedBeyond: WGS84Limits?
    }

    /// Which reader reads a format's outputs back for `verify`.
    enum Reader: Sendable, Equatable {
        /// GDAL: the outputs are compared within what the profile declares (``ReadBack``).
        case gdal
        /// This library's own readers (``ReplicaSources``), for formats it both writes and reads:
        /// schemas, values, geometries and attachments are compared exactly.
        case library
    }

    /// How precisely a format stores coordinates.
    enum CoordinatePrecision: Sendable {
        /// As given, up to the rounding of a decimal text form.
        case exact
        /// Snapped to the spatial reference's XY resolution (FileGDB's grid).
        case resolutionGrid
        /// Rounded to a fixed number of decimals: within this absolute distance (GeoJSON's 7
        /// decimals of a degree).
        case absolute(Double)
    }

    /// How a service built on the library hands out one format's result.
    enum Packaging: Sendable, Equatable {
        /// Always a zip, whatever the number of layers: a folder (a file geodatabase), a set of side
        /// files (shapefile), or a database zipped so that every database format downloads alike.
        case zipped
        /// The file itself where the export is one file and nothing beside it (one layer of a
        /// file-per-layer format; a whole replica in one workbook or KMZ); a zip of several.
        case singleFileOrZip
    }

    /// What a format limits beyond its field types, and what it needs around GDAL's dataset.
    struct Limits: Sendable {
        /// The rules of the format's layer names, where GDAL does not enforce them (Excel's
        /// sheet names); nil = GDAL's own.
        var layerNames: LayerNameRule?
        /// The most features one output layer holds (Excel: 1,048,576 rows of a sheet, one of
        /// them the header); a longer layer continues in further layers (`<name> (2)`, ...),
        /// and the run says so.
        var featuresPerLayer: Int?
        /// The longest text a value may be, in UTF-16 code units (Excel's cell: 32,767): longer
        /// text is cut (a loss), a longer WKT geometry is not written (a loss).
        var textCharacters: Int?
        /// The significant digits the driver writes a double with (GDAL 3.6.2's XLSX: `%.16g`):
        /// a double that needs more is rounded to them (a loss).
        var realDigits: Int?
        /// The earliest date the format shows as given (Excel: 1 March 1900; earlier serial dates
        /// are shown wrong or not at all): earlier dates are written and reported (a loss).
        var earliestDate: DateOnly?
        /// Characters of field names that the driver writes unescaped into markup (KML's
        /// `SimpleData name="..."`): replaced by `_`, with control characters.
        var fieldNameCharactersReplaced: Set<Character> = []
        /// Layers never get a geometry field: the geometry lives in columns (Excel).
        var geometryInColumnsOnly = false
        /// The format can say which coordinate system its coordinates are in; without (Excel),
        /// the run says which it is and verify looks for none.
        var storesSpatialReference = true
        /// A layer without features is written without its columns, and GDAL does not read it
        /// back as a layer (GDAL 3.6.2's XLSX writes a sheet's header row only above a row):
        /// the run says so, and verify expects no layer.
        var emptyLayersLoseColumns = false
        /// The driver holds every feature in memory until the dataset is closed (GDAL 3.6.2's
        /// XLSX): an export that would not fit in the memory available is refused before
        /// anything is written.
        var memoryUntilClose: MemoryCost?
        /// GDAL's dataset is delivered inside a zip of its own (KML as a KMZ).
        var zipPackage: ZipPackage?
    }

    /// The rules of a format's layer names: at most `maxCharacters` UTF-16 code units, none of
    /// `forbidden` (replaced by `_`), none of `forbiddenAtEnds` first or last, none of `reserved`
    /// (compared case-insensitively), unique case-insensitively.
    struct LayerNameRule: Sendable {
        var maxCharacters: Int
        var forbidden: Set<Character>
        var forbiddenAtEnds: Set<Character> = []
        var reserved: Set<String> = []
    }

    /// Memory a driver holds per feature until it closes the dataset, measured.
    struct MemoryCost: Sendable {
        /// Per feature, whatever its columns.
        var bytesPerFeature: Int
        /// Per column of a feature (a cell).
        var bytesPerCell: Int
        /// What is held besides the features (the driver, the dataset).
        var bytesFixed: Int
    }

    /// A zip made around the dataset GDAL wrote: `<replica>.<fileExtension>` holding it as
    /// `datasetEntry`, deflated at `compressionLevel` (1 fastest to 9 smallest), with attachments
    /// (where asked) under `attachmentsFolder/<layer>/`.
    struct ZipPackage: Sendable, Equatable {
        var fileExtension: String
        var datasetEntry: String
        var compressionLevel: Int
        var attachmentsFolder: String
    }

    /// Where a format's layers go.
    enum Layout: Sendable, Equatable {
        /// One dataset for the whole replica, `<replica>.<extension>` (a directory for `gdb`).
        case oneDataset(extension: String)
        /// One file per layer, `<layer>.<extension>`, with side files the driver writes beside it
        /// (`.prj`, `.csvt`, ...); `tableExtension` for layers without geometry when it differs.
        case filePerLayer(extension: String, siblings: [String], tableExtension: String? = nil)
    }

    /// What becomes of a layer's ObjectID.
    enum FeatureIDRule: Sendable, Equatable {
        /// Nothing: the ObjectID is an ordinary column.
        case none
        /// The ObjectID field is the dataset's FID column (`FID=<name>`), and only that (FileGDB,
        /// GeoPackage): repeated or non-positive ids get new ones, reported.
        case objectIDColumn
        /// The ObjectID is the feature's id and stays an attribute too (GeoJSON's `id`).
        case featureIDAndAttribute
    }

    /// Whether circular arcs reach this format as true curves when the request keeps them.
    func keepsCircularArcs(trueCurvesRequested: Bool) -> Bool {
        trueCurvesRequested && capabilities.contains(.circularArcs)
    }
}

/// How far in WGS 84 longitude and latitude a format takes geometries (GeoJSON's RFC 7946, KML):
/// a geometry with a vertex beyond them is refused. Where `pointsWrapped`, a point's longitude is
/// wrapped into ±180 instead, never refused (GeoJSON).
struct WGS84Limits: Sendable, CustomStringConvertible {
    var longitude: Double
    var latitude: Double
    var pointsWrapped = true

    /// Whether a geometry has a vertex beyond the limits (NaN, an empty point, is not);
    /// `latitude: false` looks at longitudes only.
    func refuses(_ geometry: PreparedGeometry, latitude checksLatitude: Bool = true) -> Bool {
        var beyond = false
        let isPoint = geometry.geometryType == .point
        geometry.forEachVertex { v in
            if refuses(x: v.x, y: checksLatitude ? v.y : 0, isPoint: isPoint) { beyond = true }
        }
        return beyond
    }

    /// Whether a vertex lies beyond the limits (a point's longitude never does where points are
    /// wrapped).
    func refuses(x: Double, y: Double, isPoint: Bool) -> Bool {
        abs(y) > latitude || (!(isPoint && pointsWrapped) && abs(x) > longitude)
    }

    /// A longitude beyond ±180° wrapped into it, as GDAL's RFC 7946 writer wraps a point's.
    static func wrappedLongitude(_ x: Double) -> Double {
        if x > 180 { return fmod(x + 180, 360) - 180 }
        if x < -180 { return -(fmod(-x + 180, 360) - 180) }
        return x
    }

    /// `features` with the geometries beyond the limits taken out, each added to `refused` with
    /// the reason (`format` cannot hold it).
    func withoutRefused(_ features: [PreparedFeature], format: String,
                        refused: inout [(offset: Int, reason: String)]) -> [PreparedFeature] {
        var out = features
        for (offset, feature) in features.enumerated() {
            guard let geometry = feature.geometry, refuses(geometry) else { continue }
            out[offset].geometry = nil
            refused.append((offset, "the geometry lies beyond \(self) in WGS 84 longitude/latitude, which \(format) cannot hold"))
        }
        return out
    }

    var description: String { "±\(longitude.formatted())° x ±\(latitude.formatted())°" }
}

/// How a field of one type becomes a column: a row of a profile's field-type table.
struct ColumnRule: Sendable {
    enum Width: Sendable {
        case driverDefault, fixed(Int), fieldLength
        /// The field's ``Field/maxValueBytes`` (at least 1) where the input tells it, never more
        /// than `max`; else `max`. For a format whose text columns are shrunk to their widest value
        /// when the file is closed (the shapefile): the file is the same, fewer bytes are written
        /// on the way.
        case maxValueBytes(max: Int)
    }
    var type: GDALColumnType
    var subtype: GDALColumnSubtype = .none
    var width: Width = .driverDefault
    var precision = 0
    var encoding: ValueEncoding
    /// Said once per field when the type is stored as another that keeps every value (TimeOnly as text).
    var note: String?

    init(_ type: GDALColumnType, _ encoding: ValueEncoding, subtype: GDALColumnSubtype = .none,
         width: Width = .driverDefault, precision: Int = 0, note: String? = nil) {
        self.type = type
        self.subtype = subtype
        self.width = width
        self.precision = precision
        self.encoding = encoding
        self.note = note
    }
}

/// A profile's field-type table: every ``FieldType`` maps to a rule, or to the reason the format
/// cannot hold it (the field is then not written, and the loss reported).
struct FieldTypeTable: Sendable {
    enum Entry: Sendable {
        case column(ColumnRule)
        case dropped(reason: String)
    }
    private let entries: [FieldType: Entry]

    /// `rules` must name every field type: a format that forgets one fails at its first use in tests.
    init(_ rules: [FieldType: Entry]) {
        precondition(Set(rules.keys) == Set(FieldType.allCases),
                     "a field-type table names every type; missing: \(Set(FieldType.allCases).subtracting(rules.keys))")
        entries = rules
    }

    subscript(type: FieldType) -> Entry { entries[type]! }

    /// Whether a column is sized by ``Field/maxValueBytes``: the input is then asked for it.
    var sizesByMaxValueBytes: Bool {
        entries.values.contains { entry in
            if case .column(let rule) = entry, case .maxValueBytes = rule.width { return true }
            return false
        }
    }
}

extension FieldTypeTable {
    /// What the text formats (CSV, GeoJSON) share: GUIDs as given, dates and times as ISO 8601
    /// text, binary as base64, text as it is.
    static let textRows: [FieldType: Entry] = [
        .objectID: .column(.integer64, .integer64),
        .bigInteger: .column(.integer64, .integer64),
        .integer: .column(.integer, .integer),
        .string: .column(.string, .string),
        .xml: .column(.string, .string),
        .globalID: .column(.string, .guidAsGiven),
        .guid: .column(.string, .guidAsGiven),
        .date: .column(.string, .dateISO),
        .dateOnly: .column(.string, .dateOnlyISO),
        .timeOnly: .column(.string, .timeOnlyISO),
        .timestampOffset: .column(.string, .timestampOffsetISO),
        .blob: .column(.string, .base64),
        .raster: .column(.string, .base64),
    ]

    /// `base` with `rows` replacing or adding entries.
    init(_ base: [FieldType: Entry], with rows: [FieldType: Entry]) {
        self.init(base.merging(rows) { _, new in new })
    }
}

extension FieldTypeTable.Entry {
    static func column(_ type: GDALColumnType, _ encoding: ValueEncoding, subtype: GDALColumnSubtype = .none,
                       width: ColumnRule.Width = .driverDefault, precision: Int = 0,
                       note: String? = nil) -> Self {
        .column(ColumnRule(type, encoding, subtype: subtype, width: width, precision: precision, note: note))
    }
}

extension WriterProfile {
    /// Replaces ``Limits/featuresPerLayer`` of every format that has one, so that tests can make a
    /// layer continue after a few features. Read on the caller's task when an export opens its
    /// writers and when verify opens a format's outputs.
    @TaskLocal static var featuresPerLayerOverride: Int?

    /// The most features one output layer holds, nil when the format has no limit.
    var featuresPerLayer: Int? { limits.featuresPerLayer.map { Self.featuresPerLayerOverride ?? $0 } }

    /// Replaces ``declaredFeaturesPerTransaction`` of every format that has one, so that tests can
    /// make a layer span several transactions. Read on the caller's task when an export opens its
    /// writers.
    @TaskLocal static var featuresPerTransactionOverride: Int?

    /// How many features one transaction holds, nil when the format's writer opens none.
    var featuresPerTransaction: Int? {
        declaredFeaturesPerTransaction.map { max(1, Self.featuresPerTransactionOverride ?? $0) }
    }
}

/// Layer names by a format's ``WriterProfile/LayerNameRule``, unique in one dataset. The writer
/// and verify hand them out in the same order (each layer, then the layers it continues in), so
/// both arrive at the same names.
struct LayerNames {
    let rule: WriterProfile.LayerNameRule
    private var used: Set<String> = []

    init(rule: WriterProfile.LayerNameRule) { self.rule = rule }

    /// A name for a layer that wants `wanted`: cleaned, cut, and made unique with `_1`, `_2`, ...
    mutating func name(_ wanted: String) -> String { unique(wanted, tail: "") }

    /// The name of the layer a layer named `base` continues in, the `number`th (2, 3, ...):
    /// `base (2)`, with `base` cut so that the whole fits.
    mutating func continuation(of base: String, number: Int) -> String { unique(base, tail: " (\(number))") }

    private mutating func unique(_ wanted: String, tail: String) -> String {
        let base = clean(wanted)
        var n = 0
        while true {
            let suffix = tail + (n == 0 ? "" : "_\(n)")
            var candidate = Self.prefix(base, utf16: rule.maxCharacters - suffix.utf16.count)
            while let last = candidate.last, rule.forbiddenAtEnds.contains(last) { candidate.removeLast() }
            candidate += suffix
            let key = candidate.lowercased()
            if !candidate.isEmpty, !used.contains(key), !rule.reserved.contains(key) {
                used.insert(key)
                return candidate
            }
            n += 1
        }
    }

    private func clean(_ name: String) -> String {
        var out = String(name.map { c -> Character in
            rule.forbidden.contains(c) || c.unicodeScalars.contains { $0.properties.generalCategory == .control } ? "_" : c
        })
        while let first = out.first, rule.forbiddenAtEnds.contains(first) { out.removeFirst() }
        return out.isEmpty ? "layer" : out
    }

    /// The longest prefix of whole characters of `text` within `max` UTF-16 code units.
    static func prefix(_ text: String, utf16 max: Int) -> String {
        guard text.utf16.count > max else { return text }
        var out = "", count = 0
        for c in text {
            let width = c.utf16.count
            if count + width > max { break }
            out.append(c)
            count += width
        }
        return out
    }
}
