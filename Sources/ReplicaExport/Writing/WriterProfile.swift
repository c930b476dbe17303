/// What an output format can hold, declared once per format, as GDAL drivers declare their
/// capabilities: the exporter, the geometry preparer and the generic GDAL writer act on these flags.
public struct WriterCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: Int
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
    public let rawValue: Int
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

/// An output format, declared: its name, its GDAL driver, what it can hold, and how each field type
/// becomes a column. One generic writer (``GDALFormatWriter``) writes every profile; a new format
/// is a profile and, where it needs them, a few hooks (``GDALFormat``).
public struct WriterProfile: Sendable {
    /// The createReplica `dataFormat` name (`filegdb`, `shapefile`, ...), lower case.
    public let formatName: String
    /// What the format can hold.
    public let capabilities: WriterCapabilities
    /// GDAL's driver name.
    let driverName: String
    let layout: Layout
    /// What becomes of the ObjectID besides its attribute.
    let featureID: FeatureIDRule
    let columns: FieldTypeTable
    /// Written instead of a missing M (NaN) where the format cannot store NaN; nil = NaN is kept.
    let missingMeasure: Double?
    /// The non-finite numbers its Real columns hold (FileGDB both, GeoPackage infinity: SQLite
    /// stores a NaN as NULL); others are written as null.
    let nonFiniteReals: NonFiniteReals
    /// The longest field name, in UTF-8 bytes, when the format limits it (shapefile: 10).
    let maxFieldNameBytes: Int?
    /// Layers that may receive true curves must be declared with a curve type (MultiCurve,
    /// MultiSurface) or the driver refuses them (GeoPackage); FileGDB takes curves in any line or
    /// polygon layer.
    let curvesNeedCurveLayerType: Bool
    /// Dataset creation options and layer creation options every layer gets.
    let datasetOptions: [String]
    let layerOptions: [String]
    /// How two files the driver wrote for consecutive parts of one layer join into the file it
    /// would have written for the whole layer; nil when no splice is known for the format (FileGDB,
    /// GeoPackage). Declared, a large layer is written by several datasets at once (see
    /// ``SegmentLayout``).
    let segmentLayout: SegmentLayout?
    /// What reading the format back changes of what was written: how `verify` compares.
    let readBack: ReadBack
    /// How a service hands out the format's files (``ExportFormat``).
    let packaging: Packaging

    init(formatName: String, driverName: String, capabilities: WriterCapabilities, layout: Layout,
         featureID: FeatureIDRule = .none, columns: FieldTypeTable, missingMeasure: Double? = nil,
         nonFiniteReals: NonFiniteReals = [], maxFieldNameBytes: Int? = nil,
         curvesNeedCurveLayerType: Bool = false, datasetOptions: [String] = [], layerOptions: [String] = [],
         segmentLayout: SegmentLayout? = nil, readBack: ReadBack = ReadBack(), packaging: Packaging) {
        self.formatName = formatName
        self.driverName = driverName
        self.capabilities = capabilities
        self.layout = layout
        self.featureID = featureID
        self.columns = columns
        self.missingMeasure = missingMeasure
        self.nonFiniteReals = nonFiniteReals
        self.maxFieldNameBytes = maxFieldNameBytes
        self.curvesNeedCurveLayerType = curvesNeedCurveLayerType
        self.datasetOptions = datasetOptions
        self.layerOptions = layerOptions
        self.segmentLayout = segmentLayout
        self.readBack = readBack
        self.packaging = packaging
    }

    /// What reading a format back through GDAL changes of what was written, as far as `verify`
    /// must know it to accept exactly what the format keeps.
    struct ReadBack: Sendable {
        /// How close a coordinate read back must be to the one written.
        var coordinates: CoordinatePrecision = .exact
        /// GDAL's reader turns CR LF inside a quoted cell into LF; the file keeps both (CSV).
        var crlfReadAsLF = false
        /// GDAL 3.6.2 reads domain codes and labels with their leading white space dropped; the
        /// file keeps it (FileGDB).
        var domainLeadingSpaceLost = false
        /// Geometries beyond these WGS 84 limits are written as null (GeoJSON; reported as
        /// ``Diagnostic/Code/geometryRefused``); nil where the format takes any coordinates.
        var refusedBeyond: WGS84Limits?
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
        /// The file itself where one layer gives one file; a zip of several.
        case singleFileOrZip
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

/// How far in WGS 84 longitude and latitude a format takes geometries (GeoJSON's RFC 7946): a
/// geometry with a vertex beyond them is refused. A point's longitude is wrapped into ±180, never
/// refused.
struct WGS84Limits: Sendable, CustomStringConvertible {
    var longitude: Double
    var latitude: Double

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

    /// Whether a vertex lies beyond the limits (a point's longitude never does: it is wrapped).
    func refuses(x: Double, y: Double, isPoint: Bool) -> Bool {
        abs(y) > latitude || (!isPoint && abs(x) > longitude)
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
