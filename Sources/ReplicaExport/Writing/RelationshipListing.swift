import Foundation

/// One relationship class in `relationships.json`.
struct RelationshipListingEntry: Codable, Equatable {
    struct End: Codable, Equatable {
        var layerId: Int
        /// The layer (table, file) name in the output.
        var layer: String
        /// The key column's name in the output.
        var key: String?
    }
    var id: Int
    var name: String
    /// `esriRelCardinalityOneToMany`, ...
    var cardinality: String
    var composite: Bool
    var origin: End
    var destination: End
}

extension RelationshipListingEntry {
    /// The listing's file name, beside a format's outputs.
    static let fileName = "relationships.json"

    /// Writes `entries` as `relationships.json`, staged with the format's other outputs.
    static func write(_ entries: [RelationshipListingEntry], staging: OutputStaging) throws {
        let file = fileName
        let location = ErrorLocation(output: file)
        try staging.checkAvailable([file], at: location)
        let directory = try staging.makeGroup(label: file, at: location)
        do {
            try ReportJSON.encode(entries).write(to: directory.appendingPathComponent(file))
        } catch {
            throw ReplicaExportError(.fileSystem, "cannot write \(file): \(error.localizedDescription)", at: location,
                                     cause: error as NSError)
        }
    }
}
