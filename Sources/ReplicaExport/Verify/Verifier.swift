import Foundation

/// What to check: an input and the folder an export of it wrote (`DIR/<format>/...`).
public struct VerifyRequest: Sendable {
    public var input: URL
    /// The layer resources of an Esri JSON payload, as given to the export.
    public var schema: URL?
    /// The export's output directory (the one holding `filegdb/`, `csv/`, ...).
    public var outputDirectory: URL
    /// The createReplica `syncDataOptions` the export ran with; nil = what the payload stores.
    public var syncDataOptions: Int?
    /// The densification tolerance the export ran with; nil = the default.
    public var maxDeviation: Double?

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

public struct FormatVerification: Sendable, Codable {
    public var format: String
    public var layers: [LayerVerification]
    /// Differences that belong to no layer (a missing output).
    public var problems: [String]
    public var passed: Bool { problems.isEmpty && layers.allSatisfy { $0.differenceCount == 0 } }
}

public struct LayerVerification: Sendable, Codable {
    public var layer: String
    public var featuresIn = 0
    public var featuresOut = 0
    public var valuesCompared = 0
    public var verticesCompared = 0
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
    public var differenceCount = 0

    mutating func differ(_ difference: Difference) {
        differenceCount += 1
        if differences.count < 20 { differences.append(difference) }
    }
}

/// One difference: where (format, layer, feature and OBJECTID, field) and what.
public struct Difference: Sendable, Codable, CustomStringConvertible {
    public var location: ErrorLocation
    public var expected: String
    public var actual: String
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
    public var registry: WriterRegistry

    public init(registry: WriterRegistry = .standard) { self.registry = registry }

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
