import Foundation

/// An output format of a `syncModel=none` export, as createReplica's `dataFormat` names it.
///
/// A struct with static members rather than an enum so that formats can be added without breaking
/// a caller's exhaustive `switch`. ``name`` is the format's name in ``WriterRegistry`` and in
/// ``ExportRequest/formats``.
public struct ExportFormat: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The lower-case `dataFormat` value (`filegdb`, `shapefile`, `csv`, `geojson`, `geopackage`).
    public let name: String

    private init(_ name: String) { self.name = name }

    /// An Esri file geodatabase (`dataFormat=filegdb`).
    public static let fileGDB = ExportFormat("filegdb")
    /// One shapefile per layer (`dataFormat=shapefile`).
    public static let shapefile = ExportFormat("shapefile")
    /// One CSV file per layer (`dataFormat=csv`).
    public static let csv = ExportFormat("csv")
    /// One GeoJSON file per layer (`dataFormat=geojson`).
    public static let geoJSON = ExportFormat("geojson")
    /// An OGC GeoPackage (`dataFormat=geopackage`).
    public static let geoPackage = ExportFormat("geopackage")

    /// Every format an export can write.
    public static let all: [ExportFormat] = [.fileGDB, .shapefile, .csv, .geoJSON, .geoPackage]

    /// The format a createReplica `dataFormat` value names, compared case-insensitively
    /// (`geoPackage` and `GEOJSON` are accepted); nil for anything else, including the replica
    /// formats `json` and `sqlite`, which are not exports.
    public init?(dataFormat: String) {
        let lowered = dataFormat.trimmingCharacters(in: .whitespaces).lowercased()
        guard let format = Self.all.first(where: { $0.name == lowered }) else { return nil }
        self = format
    }

    /// Whether a service result of this format is a zip whatever the number of layers (a file
    /// geodatabase is a folder, a shapefile a set of side files; a GeoPackage is zipped too, so
    /// that every database format downloads the same way). CSV and GeoJSON are a single file
    /// for one layer and a zip for several.
    public var alwaysZipped: Bool { self == .fileGDB || self == .shapefile || self == .geoPackage }

    public var description: String { name }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let format = ExportFormat(dataFormat: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown dataFormat '\(text)'"))
        }
        self = format
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
