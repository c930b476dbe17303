import Foundation

/// What a writer is asked to produce.
package struct WriterRequest: Sendable {
    /// The directory the outputs go into; it exists.
    public var outputDirectory: URL
    /// The replica being written (name, ids, all layer schemas).
    public var replica: Replica
    /// Replace outputs that already exist instead of failing.
    public var overwrite: Bool
    /// Circular arcs reach this writer as true curves.
    var keepsCircularArcs: Bool
    /// Add `<field>_label` columns for coded fields where the format has no domains.
    var domainLabels = false
    /// When a large layer of a format that declares a ``WriterProfile/GDALProfile/segmentLayout``
    /// is written in segments, by several datasets at once.
    var segments: SegmentPlan = .standard
    /// Per layer of ``replica``, the features the input says it has, where it knows
    /// (``ReplicaSource/featureCount(inLayer:)``): at most this many are written.
    var featureCounts: [Int?] = []
    /// For a format whose document holds its attachments: reference each by a file written beside
    /// the document (createReplica's `returnAttachmentsDataByUrl`, true by default), else embed its
    /// bytes.
    var attachmentsDataByURL = true

    package init(outputDirectory: URL, replica: Replica, overwrite: Bool = false, keepsCircularArcs: Bool = false) {
        self.outputDirectory = outputDirectory
        self.replica = replica
        self.overwrite = overwrite
        self.keepsCircularArcs = keepsCircularArcs
    }
}

/// One file or directory a writer produced, and how many features went into it.
public struct WrittenOutput: Sendable, Equatable, Codable {
    /// Where the output is, under its final name.
    public var url: URL
    /// The input layer it holds (a split geometry type's file names its layer too).
    public var layerName: String
    /// Features written into it.
    public var featureCount: Int
    /// An output at `url` holding `featureCount` features of `layerName`.
    public init(url: URL, layerName: String, featureCount: Int) {
        self.url = url
        self.layerName = layerName
        self.featureCount = featureCount
    }
}

/// An output format. Lifecycle: `init`, then per layer `beginLayer` / `write`* / `endLayer`, then
/// `commit` (renames temporary outputs into place) or, on any failure, `abort` (removes them).
/// Nothing a writer leaves behind before `commit` looks like a complete output.
///
/// What the format can hold is declared in its ``profile``; the exporter acts on it (which curves
/// to keep, what to report as not kept) without knowing the format.
package protocol FormatWriter: AnyObject {
    /// The format, declared: name, capabilities, field-type table.
    static var profile: WriterProfile { get }

    init(request: WriterRequest) throws

    /// Starts the output for one layer; features written next belong to it.
    func beginLayer(_ layer: LayerSchema) throws
    /// Writes features of the current layer. Attributes are indexed like the layer's fields.
    func write(_ features: [PreparedFeature]) throws
    func endLayer() throws

    /// Writes attachments of the current layer (called between its features and `endLayer`), for
    /// formats whose profile has ``WriterCapabilities/attachments``. The default keeps none and
    /// says how many were not kept.
    func write(attachments: [Attachment], of layer: LayerSchema) throws
    /// Writes the replica's relationship classes (called once, before `commit`), for formats whose
    /// profile has ``WriterCapabilities/relationships``. The default keeps none and says so.
    func write(relationships: [RelationshipClass]) throws

    /// Moves every output into place and returns them.
    func commit() throws -> [WrittenOutput]
    /// Removes everything written so far. Safe to call at any point, more than once.
    func abort()

    /// What the user should know (renamed fields, lost precision).
    var diagnostics: [Diagnostic] { get }
    /// Adds a diagnostic to ``diagnostics`` (for the defaults of the hooks above).
    func report(_ diagnostic: Diagnostic)
}

extension FormatWriter {
    /// The createReplica `dataFormat` name: `filegdb`, `shapefile`, `csv`, `geojson`, `geopackage`,
    /// `kml`, `excel`, `json`, `featurecollection`.
    static var formatName: String { profile.formatName }
    static var capabilities: WriterCapabilities { profile.capabilities }

    func write(attachments: [Attachment], of layer: LayerSchema) throws {
        guard !attachments.isEmpty else { return }
        report(Diagnostic(.attachmentsDropped,
                          "\(attachments.count) attachment(s) not kept: \(Self.formatName) cannot hold attachments",
                          at: ErrorLocation(layer: layer.name), count: attachments.count))
    }

    func write(relationships: [RelationshipClass]) throws {
        guard !relationships.isEmpty else { return }
        report(Diagnostic(.relationshipsDropped,
                          "\(relationships.count) relationship class(es) not kept: \(Self.formatName) cannot hold them",
                          count: relationships.count))
    }
}

/// The known output formats by name; adding a format is one line here.
/// `@unchecked`: it holds only metatypes, which are immutable.
public struct WriterRegistry: @unchecked Sendable {
    private var writers: [String: any FormatWriter.Type]

    init(_ writers: [any FormatWriter.Type]) {
        self.writers = Dictionary(writers.map { ($0.formatName, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Adds or replaces a format.
    mutating func register(_ writer: any FormatWriter.Type) {
        writers[writer.formatName] = writer
    }

    /// The writer for a createReplica `dataFormat` name, case-insensitively.
    package func writer(named name: String) -> (any FormatWriter.Type)? {
        writers[name.lowercased()]
    }

    /// What the format of a createReplica `dataFormat` name can hold, case-insensitively.
    public func profile(named name: String) -> WriterProfile? {
        writer(named: name)?.profile
    }

    /// Every registered format name, sorted.
    public var formatNames: [String] { writers.keys.sorted() }

    /// The format names of a comma-separated list as a user writes it (`csv, geojson`), with
    /// `all` standing for every registered format; blank entries dropped, names kept as given.
    public func formatNames(in list: String) -> [String] {
        list.split(separator: ",").flatMap { entry -> [String] in
            let name = entry.trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "all" { return formatNames }
            return name.isEmpty ? [] : [name]
        }
    }
}

extension WriterRegistry {
    /// The built-in formats: `filegdb`, `shapefile`, `csv`, `geojson`, `geopackage`, `kml`, `excel`,
    /// `json`, `featurecollection`, `sqlite`.
    public static var standard: WriterRegistry {
        WriterRegistry([FileGDBWriter.self, ShapefileWriter.self, CSVWriter.self, GeoJSONWriter.self,
                        GeoPackageWriter.self, KMLWriter.self, ExcelWriter.self,
                        PayloadJSONWriter.self, FeatureCollectionWriter.self, MobileGeodatabaseWriter.self])
    }
}
