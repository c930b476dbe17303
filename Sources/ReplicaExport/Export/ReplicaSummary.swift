import Foundation

/// What a replica holds, in the numbers a user asks first (what `ogrinfo -so` answers for a GDAL
/// dataset): per layer the feature count, the extent, the spatial reference and the attachments;
/// for the replica its relationship classes and domains. Reading it streams every layer once,
/// features in batches and attachments one at a time, so memory does not grow with the input.
///
/// ```swift
/// let summary = try ReplicaSummary(contentsOf: URL(fileURLWithPath: "replica.geodatabase"))
/// print(summary.text)          // the schema outline, then the numbers
/// let json = try summary.json() // the same as JSON
/// ```
public struct ReplicaSummary: Sendable, Equatable, Codable {
    /// The input file's path, as given.
    public var input: String
    /// The metadata and every layer's schema, as the reader gives them (what ``Replica/outline`` prints).
    public var replica: Replica
    /// One entry per layer of ``replica``, in the same order.
    public var layers: [LayerSummary]
    /// Layers the input declares but cannot deliver (see ``ReplicaSource/unreadableLayers``).
    public var unreadableLayers: [UnreadableLayerSummary]
    /// The replica's relationship classes, from their origin's side (``Replica/relationshipClasses``).
    public var relationshipClasses: [RelationshipClass]
    /// Every domain a field or a subtype uses, once per name and definition, in layer and field order.
    public var domains: [DomainSummary]
    /// What the reader reported while the replica was read (an inferred schema, skipped content).
    public var diagnostics: [Diagnostic]

    /// The numbers of one layer or table.
    public struct LayerSummary: Sendable, Equatable, Codable {
        /// The service layer id (``LayerSchema/id``).
        public var id: Int
        /// The layer's name (``LayerSchema/name``).
        public var name: String
        /// A feature layer or a table.
        public var kind: LayerSchema.Kind
        /// The layer's geometry type; nil for tables.
        public var geometryType: GeometryType?
        /// The number of features (rows) the input holds for the layer.
        public var featureCount: Int
        /// How many of them carry no geometry (every row of a table).
        public var featuresWithoutGeometry: Int
        /// The smallest rectangle holding every vertex; nil when no feature has a coordinate.
        public var extent: Extent?
        /// The layer's spatial reference, as its schema declares it; nil when it has none.
        public var spatialReference: SpatialReference?
        /// The number of attachments of the layer's features.
        public var attachmentCount: Int
        /// The attachments' sizes added up: the embedded bytes where the payload carries them,
        /// else the size the payload declares (0 when it declares none).
        public var attachmentBytes: Int64
        /// How many attachments the payload does not carry, only references by URL (their declared
        /// size is in ``attachmentBytes``; nothing is fetched).
        public var attachmentsByURL: Int

        /// A summary with the given numbers.
        public init(id: Int, name: String, kind: LayerSchema.Kind, geometryType: GeometryType?, featureCount: Int,
                    featuresWithoutGeometry: Int, extent: Extent?, spatialReference: SpatialReference?,
                    attachmentCount: Int, attachmentBytes: Int64, attachmentsByURL: Int) {
            self.id = id
            self.name = name
            self.kind = kind
            self.geometryType = geometryType
            self.featureCount = featureCount
            self.featuresWithoutGeometry = featuresWithoutGeometry
            self.extent = extent
            self.spatialReference = spatialReference
            self.attachmentCount = attachmentCount
            self.attachmentBytes = attachmentBytes
            self.attachmentsByURL = attachmentsByURL
        }
    }

    /// The x/y bounds of a layer's vertices, in the units of its spatial reference.
    ///
    /// Taken over the vertices as the input gives them, before any densification: a circular,
    /// elliptic or Bezier segment may bulge beyond its end points, and its control points are not
    /// counted. Non-finite coordinates are not counted either.
    public struct Extent: Sendable, Equatable, Codable {
        /// The smallest x.
        public var xmin: Double
        /// The smallest y.
        public var ymin: Double
        /// The largest x.
        public var xmax: Double
        /// The largest y.
        public var ymax: Double

        /// An extent with the given bounds.
        public init(xmin: Double, ymin: Double, xmax: Double, ymax: Double) {
            self.xmin = xmin
            self.ymin = ymin
            self.xmax = xmax
            self.ymax = ymax
        }

        /// Grows the extent, or starts one, to hold `vertex`.
        mutating func include(_ vertex: Vertex) {
            xmin = Swift.min(xmin, vertex.x)
            ymin = Swift.min(ymin, vertex.y)
            xmax = Swift.max(xmax, vertex.x)
            ymax = Swift.max(ymax, vertex.y)
        }
    }

    /// A domain and the fields that use it.
    public struct DomainSummary: Sendable, Equatable, Codable {
        /// The domain's name (``Domain/name``).
        public var name: String
        /// The domain itself: its coded values, or its range.
        public var domain: Domain
        /// Where it is used: `layer.field`, with ` (subtype NAME)` where a subtype sets it.
        public var usedBy: [String]

        /// A domain summary with the given uses.
        public init(name: String, domain: Domain, usedBy: [String]) {
            self.name = name
            self.domain = domain
            self.usedBy = usedBy
        }
    }

    /// A layer the input declares but cannot deliver.
    public struct UnreadableLayerSummary: Sendable, Equatable, Codable {
        /// The service layer id, when the input gives one.
        public var id: Int?
        /// The layer's name.
        public var name: String
        /// Why it cannot be read, with its place in the input.
        public var error: String

        /// An entry with the given reason.
        public init(id: Int?, name: String, error: String) {
            self.id = id
            self.name = name
            self.error = error
        }
    }

    /// The number of features read in one batch.
    static let batchSize = 1024

    /// Opens `input` (the reader is chosen by content, as ``ReplicaSources/open(_:schemaURL:)``
    /// does) and reads it through: every layer's features and attachments, once.
    /// - Parameter schema: the service's layer resources for an Esri JSON payload (ignored for a
    ///   mobile geodatabase, which carries its own).
    /// - Throws: ``ReplicaExportError`` when the input cannot be opened or read, located in it.
    public init(contentsOf input: URL, schema: URL? = nil) throws {
        let source = try ReplicaSources.open(input, schemaURL: schema)
        try self.init(source: source, input: input)
    }

    /// Reads an already opened source through: every layer's features and attachments, once.
    /// - Parameter input: the source's file, named in ``input`` and in errors.
    public init(source: any ReplicaSource, input: URL) throws {
        let replica = source.replica
        var layers: [LayerSummary] = []
        do {
            for (index, layer) in replica.layers.enumerated() {
                layers.append(try Self.summarize(layer, at: index, of: source))
            }
        } catch {
            throw Exporter.locate(error, file: input.path)
        }
        self.input = input.path
        self.replica = replica
        self.layers = layers
        self.unreadableLayers = source.unreadableLayers.map {
            UnreadableLayerSummary(id: $0.id, name: $0.name, error: $0.error.description)
        }
        self.relationshipClasses = replica.relationshipClasses
        self.domains = Self.domains(of: replica)
        // Read last: a reader adds what it finds only while the features are read.
        self.diagnostics = source.diagnostics
    }

    /// Counts one layer's features, vertices and attachments through the source's cursors.
    private static func summarize(_ layer: LayerSchema, at index: Int, of source: any ReplicaSource) throws -> LayerSummary {
        var count = 0, withoutGeometry = 0
        var extent: Extent?
        let cursor = try source.featureCursor(inLayer: index, batchSize: batchSize)
        while let batch = try cursor.next() {
            count += batch.count
            for feature in batch {
                guard let geometry = feature.geometry else {
                    withoutGeometry += 1
                    continue
                }
                geometry.forEachVertex { vertex in
                    guard vertex.x.isFinite && vertex.y.isFinite else { return }
                    if extent == nil {
                        extent = Extent(xmin: vertex.x, ymin: vertex.y, xmax: vertex.x, ymax: vertex.y)
                    } else {
                        extent!.include(vertex)
                    }
                }
            }
        }
        var attachments = 0, byURL = 0
        var bytes: Int64 = 0
        // As the exporter reads them: one at a time, skipped where the reader knows there are none.
        if source.attachmentCount(inLayer: index) != 0 {
            try source.attachments(inLayer: index) { attachment in
                attachments += 1
                if let data = attachment.data {
                    bytes += Int64(data.count)
                } else {
                    bytes += max(0, attachment.size ?? 0)
                    byURL += 1
                }
            }
        }
        return LayerSummary(id: layer.id, name: layer.name, kind: layer.kind, geometryType: layer.geometryType,
                            featureCount: count, featuresWithoutGeometry: withoutGeometry, extent: extent,
                            spatialReference: layer.spatialReference, attachmentCount: attachments,
                            attachmentBytes: bytes, attachmentsByURL: byURL)
    }

    /// Every domain of the replica once per name and definition, with the fields that use it.
    private static func domains(of replica: Replica) -> [DomainSummary] {
        var summaries: [DomainSummary] = []
        func note(_ domain: Domain, _ use: String) {
            if let index = summaries.firstIndex(where: { $0.domain == domain }) {
                summaries[index].usedBy.append(use)
            } else {
                summaries.append(DomainSummary(name: domain.name, domain: domain, usedBy: [use]))
            }
        }
        for layer in replica.layers {
            for field in layer.fields {
                if let domain = field.domain { note(domain, "\(layer.name).\(field.name)") }
            }
            for subtype in layer.subtypes {
                for field in subtype.domains.keys.sorted() {
                    note(subtype.domains[field]!, "\(layer.name).\(field) (subtype \(subtype.name))")
                }
            }
        }
        return summaries
    }

    /// The summary as JSON, in the form of every report of this library (sorted keys, indented).
    public func json() throws -> Data { try ReportJSON.encode(self) }

    /// For people: the replica's outline (``Replica/outline``), then per layer its numbers, the
    /// relationship classes and the domains.
    public var text: String {
        var lines = [replica.outline]
        for (layer, schema) in zip(layers, replica.layers) {
            lines.append("layer \(layer.id) \(layer.name):")
            var features = "  features: \(BatchReportText.grouped(layer.featureCount))"
            if layer.kind == .featureLayer && layer.featuresWithoutGeometry > 0 {
                features += " (\(BatchReportText.grouped(layer.featuresWithoutGeometry)) without geometry)"
            }
            lines.append(features)
            if layer.kind == .featureLayer {
                lines.append("  extent: " + (layer.extent.map {
                    String(format: "(%f, %f) - (%f, %f)", $0.xmin, $0.ymin, $0.xmax, $0.ymax)
                } ?? "none (no coordinates)"))
                lines.append("  spatial reference: " + (layer.spatialReference.map(Self.describe) ?? "none"))
            }
            if layer.attachmentCount > 0 {
                var text = "  attachments: \(BatchReportText.grouped(layer.attachmentCount)), "
                    + "\(BatchReportText.grouped(Int(layer.attachmentBytes))) bytes"
                if layer.attachmentsByURL > 0 {
                    text += " (\(BatchReportText.grouped(layer.attachmentsByURL)) by URL, counted at their declared size)"
                }
                lines.append(text)
            } else if schema.hasAttachments {
                lines.append("  attachments: none")
            }
        }
        for layer in unreadableLayers {
            lines.append("layer \(layer.id.map(String.init) ?? "-") \(layer.name): cannot be read: \(layer.error)")
        }
        let names = Dictionary(replica.layers.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        lines.append("relationship classes: " + (relationshipClasses.isEmpty ? "none" : "\(relationshipClasses.count)"))
        for relationship in relationshipClasses {
            let origin = "\(names[relationship.originLayerId] ?? "layer \(relationship.originLayerId)").\(relationship.originKeyField)"
            let destination = (names[relationship.destinationLayerId] ?? "layer \(relationship.destinationLayerId)")
                + (relationship.destinationKeyField.map { ".\($0)" } ?? "")
            lines.append("  \(relationship.id) '\(relationship.name)': \(origin) -> \(destination), "
                         + Self.describe(relationship.cardinality) + (relationship.isComposite ? ", composite" : ""))
        }
        lines.append("domains: " + (domains.isEmpty ? "none" : "\(domains.count)"))
        for domain in domains {
            lines.append("  '\(domain.name)' \(Self.describe(domain.domain)): \(domain.usedBy.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }

    /// `wkid 102100 (latest 3857)`, or the WKT's name when there is no code.
    private static func describe(_ reference: SpatialReference) -> String {
        var parts: [String] = []
        if let wkid = reference.wkid {
            parts.append("wkid \(wkid)" + (reference.latestWkid.map { $0 != wkid ? " (latest \($0))" : "" } ?? ""))
        } else if let latest = reference.latestWkid {
            parts.append("wkid \(latest)")
        } else if let wkt = reference.wkt {
            // `PROJCS["NAD_1983_UTM_Zone_12N",...`: the name between the first quotes.
            let name = wkt.split(separator: "\"", maxSplits: 2, omittingEmptySubsequences: false)
            parts.append(name.count > 2 ? "WKT '\(name[1])'" : "WKT")
        }
        if let vertical = reference.verticalWkid { parts.append("vertical wkid \(vertical)") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    private static func describe(_ cardinality: Relationship.Cardinality) -> String {
        switch cardinality {
        case .oneToOne: return "one to one"
        case .oneToMany: return "one to many"
        case .manyToMany: return "many to many"
        }
    }

    /// `coded values (5)` or `range 0 to 100`.
    private static func describe(_ domain: Domain) -> String {
        switch domain {
        case .codedValue(_, let codes): return "coded values (\(codes.count))"
        case .range(_, let minimum, let maximum): return "range \(describe(minimum)) to \(describe(maximum))"
        }
    }

    private static func describe(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .int16(let v): return String(v)
        case .int32(let v): return String(v)
        case .int64(let v): return String(v)
        case .float32(let v): return ValueText.numberText(Double(v))
        case .float64(let v): return ValueText.numberText(v)
        case .string(let v), .guid(let v): return v
        case .date(let ms): return ValueText.isoUTC(milliseconds: ms)
        case .dateOnly(let d): return ValueText.isoDate(d)
        case .timeOnly(let t): return ValueText.isoTime(t)
        case .timestampOffset(let t): return ValueText.isoOffset(t)
        case .blob(let bytes): return "\(bytes.count) bytes"
        }
    }
}

extension Geometry {
    /// Calls `body` with every vertex of every point, part and ring, in order (curve control
    /// points are not vertices).
    func forEachVertex(_ body: (Vertex) -> Void) {
        switch shape {
        case .point(let vertex): body(vertex)
        case .multipoint(let vertices): vertices.forEach(body)
        case .polyline(let paths), .polygon(let paths):
            for path in paths { path.vertices.forEach(body) }
        }
    }
}
