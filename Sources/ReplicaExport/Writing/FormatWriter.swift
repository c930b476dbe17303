import Foundation

/// What an output format can hold; the exporter prepares each feature to fit.
public struct WriterCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Circular arcs can be kept as true curves (elliptic arcs and Beziers never can through GDAL).
    public static let circularArcs = WriterCapabilities(rawValue: 1 << 0)
    /// Attribute domains are kept.
    public static let domains = WriterCapabilities(rawValue: 1 << 1)
    /// Attachments can be stored.
    public static let attachments = WriterCapabilities(rawValue: 1 << 2)
    /// One output layer may hold several geometry types.
    public static let mixedGeometryTypes = WriterCapabilities(rawValue: 1 << 3)
    /// Binary fields are stored as binary.
    public static let binaryFields = WriterCapabilities(rawValue: 1 << 4)
    /// Z values are kept.
    public static let zValues = WriterCapabilities(rawValue: 1 << 5)
    /// M values are kept.
    public static let mValues = WriterCapabilities(rawValue: 1 << 6)
    /// All layers of one input go into one output file (a FileGDB).
    public static let multipleLayersPerFile = WriterCapabilities(rawValue: 1 << 7)
    /// Output must be WGS84 longitude/latitude (RFC 7946).
    public static let requiresWGS84 = WriterCapabilities(rawValue: 1 << 8)
}

/// What a writer is asked to produce.
public struct WriterRequest: Sendable {
    /// The directory the outputs go into; it exists.
    public var outputDirectory: URL
    /// The replica being written (name, ids, all layer schemas).
    public var replica: Replica
    /// Replace outputs that already exist instead of failing.
    public var overwrite: Bool

    public init(outputDirectory: URL, replica: Replica, overwrite: Bool = false) {
        self.outputDirectory = outputDirectory
        self.replica = replica
        self.overwrite = overwrite
    }
}

/// One file or directory a writer produced, and how many features went into it.
public struct WrittenOutput: Sendable, Equatable {
    public var url: URL
    public var layerName: String
    public var featureCount: Int
    public init(url: URL, layerName: String, featureCount: Int) {
        self.url = url
        self.layerName = layerName
        self.featureCount = featureCount
    }
}

/// An output format. Lifecycle: `init`, then per layer `beginLayer` / `write`* / `endLayer`, then
/// `commit` (renames temporary outputs into place) or, on any failure, `abort` (removes them).
/// Nothing a writer leaves behind before `commit` looks like a complete output.
public protocol FormatWriter: AnyObject {
    /// The createReplica `dataFormat` name: `filegdb`, `shapefile`, `csv`, `geojson`.
    static var formatName: String { get }
    static var capabilities: WriterCapabilities { get }

    init(request: WriterRequest) throws

    /// Starts the output for one layer; features written next belong to it.
    func beginLayer(_ layer: LayerSchema) throws
    /// Writes features of the current layer. Attributes are indexed like the layer's fields.
    func write(_ features: [PreparedFeature]) throws
    func endLayer() throws
    /// Moves every output into place and returns them.
    func commit() throws -> [WrittenOutput]
    /// Removes everything written so far. Safe to call at any point, more than once.
    func abort()

    /// What the user should know (renamed fields, lost precision).
    var diagnostics: [Diagnostic] { get }
}

/// The known output formats by name; adding a format is one line here.
/// `@unchecked`: it holds only metatypes, which are immutable.
public struct WriterRegistry: @unchecked Sendable {
    private var writers: [String: any FormatWriter.Type]

    public init(_ writers: [any FormatWriter.Type]) {
        self.writers = Dictionary(writers.map { ($0.formatName, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Adds or replaces a format.
    public mutating func register(_ writer: any FormatWriter.Type) {
        writers[writer.formatName] = writer
    }

    /// The writer for a createReplica `dataFormat` name, case-insensitively.
    public func writer(named name: String) -> (any FormatWriter.Type)? {
        writers[name.lowercased()]
    }

    /// Every registered format name, sorted.
    public var formatNames: [String] { writers.keys.sorted() }
}

extension WriterRegistry {
    /// The four built-in formats: `filegdb`, `shapefile`, `csv`, `geojson`.
    public static var standard: WriterRegistry {
        WriterRegistry([FileGDBWriter.self, ShapefileWriter.self, CSVWriter.self, GeoJSONWriter.self])
    }
}
