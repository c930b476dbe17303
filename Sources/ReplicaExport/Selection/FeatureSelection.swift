import Foundation

/// Which features of each layer an export keeps: createReplica's `geometry` (with `inSR`) and
/// `layerQueries` (`queryOption`, `where`, `useGeometry`, `includeRelated`).
///
/// Per layer: `queryOption=all` keeps everything; `useFilter` (or no `queryOption`) keeps the
/// features that pass `where` and, when `useGeometry` is true and a geometry is given, intersect
/// it; `none` keeps nothing, except with `includeRelated` the rows related to kept origins,
/// following relationship classes forward (origin → destination) one level, as the seed
/// describes. A layer without a query is filtered by the geometry only; tables are never
/// filtered by geometry.
public struct FeatureSelection: Sendable {
    /// The spatial filter, in ``geometryReference`` (nil = each layer's own system).
    public var geometry: Geometry?
    /// `inSR`: the coordinate system of ``geometry``; nil = each layer's own.
    public var geometryReference: SpatialReference?
    /// By layer id.
    public var layerQueries: [Int: CreateReplicaParameters.LayerQuery]

    /// A selection; with the defaults it keeps every feature.
    public init(geometry: Geometry? = nil, geometryReference: SpatialReference? = nil,
                layerQueries: [Int: CreateReplicaParameters.LayerQuery] = [:]) {
        self.geometry = geometry
        self.geometryReference = geometryReference
        self.layerQueries = layerQueries
    }
}

/// A selection resolved against the replica's layers: what to test on each feature.
struct ResolvedSelection {
    enum Rule {
        case all
        case filter(whereClause: BoundWhereClause?, geometry: GeometryFilter?)
        /// Only rows whose `keyField` value is among the keys kept origins hold.
        case related(keyField: Int, keys: Set<RelationKey>)
        case nothing
    }
    /// By position in the source's layers.
    var rules: [Int: Rule]

    /// Per source layer index, the rule; `sourceLayers` are the source's schemas.
    static func resolve(_ selection: FeatureSelection, sourceLayers: [LayerSchema], selectedIndices: [Int],
                        source: any ReplicaSource, batchSize: Int, cancellation: ExportCancellation?,
                        input: String) throws -> ResolvedSelection {
        var rules: [Int: Rule] = [:]
        var relatedLayers: [Int] = []
        for index in selectedIndices {
            let layer = sourceLayers[index]
            let query = selection.layerQueries[layer.id] ?? CreateReplicaParameters.LayerQuery()
            switch query.queryOption {
            case .all?:
                rules[index] = .all
            case .none?:
                rules[index] = .nothing
                if query.includeRelated { relatedLayers.append(index) }
            case .useFilter?, nil:
                let whereClause = try query.whereClause.map { text -> BoundWhereClause in
                    do {
                        return try WhereClause(text).bound(to: layer)
                    } catch let error as ReplicaExportError {
                        let reason = error.message.hasPrefix("where: ") ? String(error.message.dropFirst(7)) : error.message
                        throw ReplicaExportError.invalidParameter("layerQueries[\(layer.id)].where", reason)
                    }
                }
                var geometry: GeometryFilter?
                if query.useGeometry, let filter = selection.geometry, layer.geometryType != nil {
                    geometry = try GeometryFilter(geometry: filter, inputReference: selection.geometryReference, layer: layer,
                                                  location: ErrorLocation(input: input, layer: layer.name, detail: "parameter geometry"))
                }
                rules[index] = whereClause == nil && geometry == nil ? .all : .filter(whereClause: whereClause, geometry: geometry)
            }
        }
        var resolved = ResolvedSelection(rules: rules)
        // A first pass over each origin of a related-only layer collects the keys of its kept rows.
        for destinationIndex in relatedLayers {
            let destination = sourceLayers[destinationIndex]
            var keys = Set<RelationKey>()
            var keyField: Int?
            for relationship in destination.relationships where relationship.role == .destination {
                guard let originIndex = selectedIndices.first(where: { sourceLayers[$0].id == relationship.relatedLayerId }),
                      let originRule = resolved.rules[originIndex],
                      let origin = sourceLayers[originIndex].relationships.first(where: { $0.id == relationship.id && $0.role == .origin }),
                      let originKey = sourceLayers[originIndex].fieldIndex(named: origin.keyField),
                      let destinationKey = destination.fieldIndex(named: relationship.keyField) else { continue }
                if let keyField, keyField != destinationKey { continue }   // one key field per destination
                keyField = destinationKey
                let cursor = try source.featureCursor(inLayer: originIndex, batchSize: batchSize)
                while let batch = try cursor.next() {
                    try cancellation?.check()
                    for feature in batch where try resolved.keeps(feature, rule: originRule) {
                        if let key = RelationKey(feature.attributes[originKey]) { keys.insert(key) }
                    }
                }
            }
            if let keyField { resolved.rules[destinationIndex] = .related(keyField: keyField, keys: keys) }
        }
        return resolved
    }

    func keeps(_ feature: Feature, layerIndex: Int) throws -> Bool {
        guard let rule = rules[layerIndex] else { return true }
        return try keeps(feature, rule: rule)
    }

    func keeps(_ feature: Feature, rule: Rule) throws -> Bool {
        switch rule {
        case .all: return true
        case .nothing: return false
        case .related(let field, let keys):
            return RelationKey(feature.attributes[field]).map(keys.contains) ?? false
        case .filter(let whereClause, let geometry):
            if let whereClause, !whereClause.matches(feature.attributes) { return false }
            if let geometry {
                guard let shape = feature.geometry else { return false }
                return try geometry.intersects(shape)
            }
            return true
        }
    }

    var isTrivial: Bool { rules.values.allSatisfy { if case .all = $0 { return true } else { return false } } }
}

/// A relationship key value: integers exactly, GUIDs without braces or case, text as is.
enum RelationKey: Hashable {
    case integer(Int64)
    case text(String)

    init?(_ value: Value) {
        switch value {
        case .int16, .int32, .int64: self = .integer(value.integerValue!)
        case .float32, .float64:
            guard let d = value.doubleValue, d.rounded() == d, abs(d) < 9e18 else { return nil }
            self = .integer(Int64(d))
        case .guid(let g): self = .text(BoundNode.normalizedGUID(g))
        case .string(let s):
            // A GUID key stored as text in one layer matches the GUID in the other.
            self = s.count == 38 || s.count == 36 ? .text(BoundNode.normalizedGUID(s)) : .text(s)
        default: return nil
        }
    }
}
