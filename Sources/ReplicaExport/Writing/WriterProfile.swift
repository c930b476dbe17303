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

/// An output format, declared: its name, what it can hold, where its layers go, how `verify`
/// reads it back and how a service hands it out; for a format GDAL writes, also its driver and how
/// each field type becomes a column (``GDALProfile``). One generic writer (``GDALFormatWriter``)
/// writes every GDAL profile; a new GDAL format is a profile and, where it needs them, a few hooks
/// (``GDALFormat``). A format no GDAL driver writes has a writer of its own and no GDAL part.
public struct WriterProfile: Sendable {
    /// The createReplica `dataFormat` name (`filegdb`, `shapefile`, ...), lower case.
    public let formatName: String
    /// What the format can hold.
    public let capabilities: WriterCapabilities
    let layout: Layout
    /// What becomes of the ObjectID besides its attribute.
    let featureID: FeatureIDRule
    /// Written instead of a missing M (NaN) where the format cannot store NaN; nil = NaN is kept.
    let missingMeasure: Double?
    /// What reading the format back changes of what was written: how `verify` compares.
    let readBack: ReadBack
    /// How a service hands out the format's files (``ExportFormat``).
    let packaging: Packaging
    /// How GDAL writes the format: its driver, column table and options; nil for a format the
    /// library writes itself.
    let gdal: GDALProfile?

    /// A format GDAL writes, through the driver `driverName`.
    init(formatName: String, driverName: String, capabilities: WriterCapabilities, layout: Layout,
         featureID: FeatureIDRule = .none, columns: FieldTypeTable, missingMeasure: Double? = nil, maxFieldNameBytes: Int? = nil,
         curvesNeedCurveLayerType: Bool = false, datasetOptions: [String] = [], layerOptions: [String] = [],
         segmentLayout: SegmentLayout? = nil, readBack: ReadBack = ReadBack(), packaging: Packaging) {
        self.init(formatName: formatName, capabilities: capabilities, layout: layout, featureID: featureID,
                  missingMeasure: missingMeasure, readBack: readBack, packaging: packaging,
                  gdal: GDALProfile(driverName: driverName, columns: columns, maxFieldNameBytes: maxFieldNameBytes,
                                    curvesNeedCurveLayerType: curvesNeedCurveLayerType, datasetOptions: datasetOptions,
                                    layerOptions: layerOptions, segmentLayout: segmentLayout))
    }

    /// A format the library writes itself (no GDAL driver writes it): every field is kept as its
    /// own type, so there is no column table.
    init(formatName: String, capabilities: WriterCapabilities, layout: Layout, featureID: FeatureIDRule = .none,
         missingMeasure: Double? = nil, readBack: ReadBack, packaging: Packaging) {
        self.init(formatName: formatName, capabilities: capabilities, layout: layout, featureID: featureID,
                  missingMeasure: missingMeasure, readBack: readBack, packaging: packaging, gdal: nil)
    }

    private init(formatName: String, capabilities: WriterCapabilities, layout: Layout, featureID: FeatureIDRule,
                 missingMeasure: Double?, readBack: ReadBack, packaging: Packaging, gdal: GDALProfile?) {
        self.formatName = formatName
        self.capabilities = capabilities
        self.layout = layout
        self.featureID = featureID
        self.missingMeasure = missingMeasure
        self.readBack = readBack
        self.packaging = packaging
        self.gdal = gdal
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
