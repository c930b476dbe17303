import Foundation

/// An output format of a `syncModel=none` export, as createReplica's `dataFormat` names it.
///
/// A struct with static members rather than an enum so that formats can be added without breaking
/// a caller's exhaustive `switch`. ``name`` is the format's name in ``WriterRegistry`` and in
/// ``ExportRequest/formats``.
public struct ExportFormat: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The lower-case `dataFormat` value, the format's name in ``WriterRegistry``.
    public let name: String

    init(_ name: String) { self.name = name }

    /// Every format an export can write: the formats of ``WriterRegistry/standard``. The named
    /// ones (``fileGDB``, ``csv``, ...) are declared beside each format's writer.
    public static var all: [ExportFormat] { WriterRegistry.standard.formatNames.map(ExportFormat.init) }

    /// The format a createReplica `dataFormat` value names, compared case-insensitively
    /// (`geoPackage`, `GEOJSON`, `featureCollection` and `sqlite` are accepted); nil for anything else.
    public init?(dataFormat: String) {
        let lowered = dataFormat.trimmingCharacters(in: .whitespaces).lowercased()
        guard let format = Self.all.first(where: { $0.name == lowered }) else { return nil }
        self = format
    }

    /// The name as ArcGIS spells it in `supportedExportFormats` (`geoPackage`, `featureCollection`).
    public var arcGISName: String { WriterRegistry.standard.profile(named: name)?.arcGISName ?? name }

    /// Whether a service result of this format is a zip whatever the number of layers, as the
    /// format's profile declares it (a file geodatabase is a folder, a shapefile a set of side
    /// files, a GeoPackage is zipped so that every database format downloads the same way); the
    /// others are a single file for one layer and a zip for several.
    public var alwaysZipped: Bool { WriterRegistry.standard.profile(named: name)?.packaging == .zipped }

    /// The `dataFormat` name.
    public var description: String { name }

    /// Decodes a `dataFormat` string as ``init(dataFormat:)`` reads it; an unknown name is a decoding error.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let format = ExportFormat(dataFormat: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown dataFormat '\(text)'"))
        }
        self = format
    }

    /// Encodes the lower-case ``name``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
