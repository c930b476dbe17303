import Foundation

/// What to check: an input and the folder an export of it wrote (`DIR/<format>/...`).
public struct VerifyRequest: Sendable {
    /// The payload that was converted (`.json` or `.geodatabase`).
    public var input: URL
    /// The layer resources of an Esri JSON payload, as given to the export.
    public var schema: URL?
    /// The export's output directory (the one holding a folder per format).
    public var outputDirectory: URL
    /// The createReplica `syncDataOptions` the export ran with; nil = what the payload stores.
    public var syncDataOptions: Int?
    /// The densification tolerance the export ran with; nil = the default.
    public var maxDeviation: Double?

    /// A request to compare `outputDirectory` with `input`, read with the options the export ran with.
    public init(input: URL, schema: URL? = nil, outputDirectory: URL, syncDataOptions: Int? = nil,
                maxDeviation: Double? = nil) {
        self.input = input
        self.schema = schema
        self.outputDirectory = outputDirectory
        self.syncDataOptions = syncDataOptions
        self.maxDeviation = maxDeviation
    }
}

/// The result of ``Verifier/verify(_:)``: per format and layer, what was compared and every
/// difference the format's documented limits do not explain.
public struct VerificationReport: Sendable, Codable {
    /// One entry per format folder found under the output directory.
    public var formats: [FormatVerification]

    /// True when nothing differs beyond what the formats are documented to lose.
    public var passed: Bool { formats.allSatisfy(\.passed) }

    /// The comparison as JSON, in the form of every report of this library.
    public func json() throws -> Data { try ReportJSON.encode(self) }

    /// One table per format: layer, features in and out, values, vertices, attachments, domains and
    /// relationship classes compared, the spatial reference found, differences; then the first
    /// differences, each with its place.
    public var summary: String {
        var lines: [String] = []
        for format in formats {
            lines.append("\(format.format): \(format.passed ? "ok" : "DIFFERS")")
            lines.append(contentsOf: ExportReport.table(
                header: ["layer", "features in", "out", "values", "vertices", "attachments", "srs", "domains",
                         "relationships", "differences"],
                rows: format.layers.map {
                    [$0.layer, String($0.featuresIn), String($0.featuresOut), String($0.valuesCompared),
                     String($0.verticesCompared), String($0.attachmentsCompared), $0.spatialReference ?? "-",
                     String($0.domainsCompared), String($0.relationshipsCompared), String($0.differenceCount)]
                }).map { "  " + $0 })
            for problem in format.problems { lines.append("  \(problem)") }
            for layer in format.layers {
                for difference in layer.differences { lines.append("  \(difference)") }
                if layer.differenceCount > layer.differences.count {
                    lines.append("  ... \(layer.differenceCount - layer.differences.count) more in \(layer.layer)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// What was compared for one format, layer by layer.
public struct FormatVerification: Sendable, Codable {
    /// The format's name in the registry (its folder's name).
    public var format: String
    /// One entry per input layer, in the input's order.
    public var layers: [LayerVerification]
    /// Differences that belong to no layer (a missing output).
    public var problems: [String]
    /// True when the format has no problem and no layer differs.
    public var passed: Bool { problems.isEmpty && layers.allSatisfy { $0.differenceCount == 0 } }
}

/// What was compared for one input layer in one format, and what differed.
public struct LayerVerification: Sendable, Codable {
    /// The input layer's name.
    public var layer: String
    /// Features the input holds.
    public var featuresIn = 0
    /// Features found in the outputs (every file of the layer, split geometry types included).
    public var featuresOut = 0
    /// Attribute values compared (kept fields and label columns).
    public var valuesCompared = 0
    /// Vertices compared, after the export's own curve preparation and reprojection.
    public var verticesCompared = 0
    /// Attachments whose bytes were compared by SHA-256.
    public var attachmentsCompared = 0
    /// The spatial reference found in the output ("EPSG:26912"), nil for a table.
    public var spatialReference: String?
    /// Fields with a domain whose domain was compared (formats that keep domains).
    public var domainsCompared = 0
    /// Relationship classes compared, counted at their origin layer (in `relationships.json`, and
    /// in the dataset where the format keeps them, attachment relationship classes included).
    public var relationshipsCompared = 0
    /// The first differences (at most 20), and how many there were in all.
    public var differences: [Difference] = []
    /// How many differences there were in all (``differences`` keeps the first 20).
    public var differenceCount = 0

    mutating func differ(_ difference: Difference) {
        differenceCount += 1
        if differences.count < 20 { differences.append(difference) }
    }
}

/// One difference: where (format, layer, feature and OBJECTID, field) and what.
public struct Difference: Sendable, Codable, CustomStringConvertible {
    /// Where: format, file, layer, feature index and OBJECTID, field.
    public var location: ErrorLocation
    /// What the input holds, after what the format is documented to change.
    public var expected: String
    /// What the output holds.
    public var actual: String
    /// One line: the place, then expected and found.
    public var description: String { "\(location): expected \(expected), found \(actual)" }
}

/// Reads an input through this library's readers and every output of an export through GDAL, and
/// compares them on one model: feature counts, every attribute value (within the precision each
/// format's profile documents: whole seconds in FileGDB, days and 254-byte text in shapefiles,
/// ...), every vertex (after the same curve preparation the export made, the GeoJSON
/// reprojection, and within each format's coordinate precision), every attachment's bytes, each
/// layer's spatial reference (WGS84 for GeoJSON), the domains attached to fields (FileGDB,
/// GeoPackage), `--domain-labels` columns where present, and the relationship classes
/// (`relationships.json` in every format; the dataset's own in FileGDB, attachment ones included).
public struct Verifier: Sendable {
    /// The formats whose folders are checked, and whose profiles say how.
    public var registry: WriterRegistry

    /// A verifier of the formats of `registry`.
    public init(registry: WriterRegistry = .standard) { self.registry = registry }

    /// Compares every format folder of the request's output directory with its input; throws when the input cannot be read or no format folder is there.
    public func verify(_ request: VerifyRequest) throws -> VerificationReport {
        let source = try ReplicaSources.open(request.input, schemaURL: request.schema)
        let formats = DirectoryListing.subdirectories(of: request.outputDirectory).filter { registry.writer(named: $0) != nil }
        guard !formats.isEmpty else {
            throw ReplicaExportError(.invalidOption, "no format folder (\(registry.formatNames.joined(separator: ", "))) in the directory; give an export's output directory",
                                     at: ErrorLocation(output: request.outputDirectory.path))
        }
        let trueCurves = (request.syncDataOptions ?? source.replica.syncDataOptions ?? 0) & ExportRequest.trueCurvesBit != 0
        return VerificationReport(formats: try formats.map { name in
            let profile = registry.writer(named: name)!.profile
            var verifier = FormatVerifier(source: source, profile: profile, trueCurves: trueCurves,
                                          maxDeviation: request.maxDeviation,
                                          folder: request.outputDirectory.appendingPathComponent(name))
            return try verifier.run()
        })
    }
}

/// Directory listings for the verifier.
enum DirectoryListing {
    static func first(in folder: URL, withExtension ext: String) -> String? {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().first { $0.hasSuffix(".\(ext)") }
    }

    static func subdirectories(of url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted().filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
    }
}
