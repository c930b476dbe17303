import Foundation

/// A relationship class as GDAL reads it back.
package struct GDALRelationshipInfo: Sendable, Equatable {
    var name: String
    var leftTable: String
    var rightTable: String
    var leftKeys: [String]
    var rightKeys: [String]
    /// "1:1", "1:n", "n:1" or "n:m".
    var cardinality: String
    /// "feature", or "media" for attachment tables.
    var relatedTableType: String
    /// GDAL's relationship type: composite (the related rows belong to the origin) or not.
    var isComposite = false
}

extension GDALDataset {
    /// Every relationship class of the dataset (`GDALDatasetGetRelationshipNames`, then
    /// `GDALDatasetGetRelationship` and its getters for each), read into values.
    package var relationshipInfos: [GDALRelationshipInfo] {
        relationshipNames.compactMap { name in
            guard let r = relationship(named: name) else { return nil }
            let cardinality: String
            switch r.cardinality {
            case .oneToOne: cardinality = "1:1"
            case .oneToMany: cardinality = "1:n"
            case .manyToOne: cardinality = "n:1"
            case .manyToMany: cardinality = "n:m"
            }
            return GDALRelationshipInfo(name: r.name, leftTable: r.tables.left, rightTable: r.tables.right,
                                        leftKeys: r.keys.left, rightKeys: r.keys.right, cardinality: cardinality,
                                        relatedTableType: r.relatedTableType, isComposite: r.kind == .composite)
        }
    }
}
