/// The geometry type of a layer (`esriGeometry*`).
public enum GeometryType: String, Sendable, Equatable, CaseIterable, Codable {
    case point = "esriGeometryPoint"
    case multipoint = "esriGeometryMultipoint"
    case polyline = "esriGeometryPolyline"
    case polygon = "esriGeometryPolygon"
    case envelope = "esriGeometryEnvelope"
}

/// Where a layer's schema came from; inferred schemas are reported to the user.
public enum SchemaSource: String, Sendable, Equatable, Codable {
    /// The service's layer resource (`/FeatureServer/layers?f=json` or `/FeatureServer/N?f=json`).
    case layerResource
    /// A feature-service query page (FeatureSet) carrying `fields`.
    case featureSet
    /// The catalog of a mobile geodatabase.
    case geodatabase
    /// Inferred from the values by a first pass over the features.
    case inferred
}

/// The schema of one layer or table of a replica.
public struct LayerSchema: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Equatable, Codable { case featureLayer, table }

    /// The service layer id (`layers[].id`).
    public var id: Int
    /// The layer resource `name`, else `layer_<id>`.
    public var name: String
    public var kind: Kind
    /// nil for tables.
    public var geometryType: GeometryType?
    public var hasZ: Bool
    public var hasM: Bool
    public var spatialReference: SpatialReference?
    public var objectIdField: String?
    public var globalIdField: String?
    /// Attribute fields in output order; ``Feature/attributes`` is indexed the same way.
    public var fields: [Field]
    public var relationships: [Relationship]
    public var hasAttachments: Bool
    /// The field whose value picks a subtype (`subtypeField`, or `typeIdField` in older services).
    public var subtypeField: String?
    /// The subtypes (`subtypes`, or `types`), each with its own domains and default values.
    public var subtypes: [Subtype] = []
    public var schemaSource: SchemaSource
    /// Names of fields whose type was inferred rather than declared.
    public var inferredFields: [String]

    public init(id: Int, name: String? = nil, kind: Kind = .featureLayer, geometryType: GeometryType? = nil,
                hasZ: Bool = false, hasM: Bool = false, spatialReference: SpatialReference? = nil,
                objectIdField: String? = nil, globalIdField: String? = nil, fields: [Field] = [],
                relationships: [Relationship] = [], hasAttachments: Bool = false,
                schemaSource: SchemaSource, inferredFields: [String] = []) {
        self.id = id
        self.name = name ?? "layer_\(id)"
        self.kind = kind
        self.geometryType = geometryType
        self.hasZ = hasZ
        self.hasM = hasM
        self.spatialReference = spatialReference
        self.objectIdField = objectIdField
        self.globalIdField = globalIdField
        self.fields = fields
        self.relationships = relationships
        self.hasAttachments = hasAttachments
        self.schemaSource = schemaSource
        self.inferredFields = inferredFields
    }

    /// The index of the field named `name` (case-insensitive, as ArcGIS compares field names).
    public func fieldIndex(named name: String) -> Int? {
        if let exact = fields.firstIndex(where: { $0.name == name }) { return exact }
        let lowered = name.lowercased()
        return fields.firstIndex(where: { $0.name.lowercased() == lowered })
    }
}

/// A subtype of a layer: the features whose subtype field holds `code`.
public struct Subtype: Sendable, Equatable, Codable {
    public var code: Value
    public var name: String
    /// Per field, the domain this subtype uses where it differs from the field's own
    /// (a layer resource's `"inherited"` entries are not listed).
    public var domains: [String: Domain]
    /// Per field, the value a new feature of this subtype starts with.
    public var defaultValues: [String: Value]

    public init(code: Value, name: String, domains: [String: Domain] = [:], defaultValues: [String: Value] = [:]) {
        self.code = code
        self.name = name
        self.domains = domains
        self.defaultValues = defaultValues
    }
}

/// A relationship class as a layer resource describes it (`relationships[]`).
public struct Relationship: Sendable, Equatable, Codable {
    public enum Cardinality: String, Sendable, Equatable, Codable {
        case oneToOne = "esriRelCardinalityOneToOne"
        case oneToMany = "esriRelCardinalityOneToMany"
        case manyToMany = "esriRelCardinalityManyToMany"
    }
    public enum Role: String, Sendable, Equatable, Codable {
        case origin = "esriRelRoleOrigin"
        case destination = "esriRelRoleDestination"
    }
    public var id: Int
    public var name: String
    public var relatedLayerId: Int
    public var cardinality: Cardinality
    public var role: Role
    /// The key field in this layer.
    public var keyField: String
    public var isComposite: Bool

    public init(id: Int, name: String, relatedLayerId: Int, cardinality: Cardinality, role: Role,
                keyField: String, isComposite: Bool = false) {
        self.id = id
        self.name = name
        self.relatedLayerId = relatedLayerId
        self.cardinality = cardinality
        self.role = role
        self.keyField = keyField
        self.isComposite = isComposite
    }
}

/// An attachment of a feature: referenced by URL or carrying its bytes.
public struct Attachment: Sendable, Equatable, Codable {
    public var attachmentId: Int64
    public var globalId: String?
    public var parentGlobalId: String?
    public var parentObjectId: Int64?
    public var contentType: String?
    public var name: String
    public var size: Int64?
    public var url: String?
    public var data: [UInt8]?

    public init(attachmentId: Int64, globalId: String? = nil, parentGlobalId: String? = nil,
                parentObjectId: Int64? = nil, contentType: String? = nil, name: String,
                size: Int64? = nil, url: String? = nil, data: [UInt8]? = nil) {
        self.attachmentId = attachmentId
        self.globalId = globalId
        self.parentGlobalId = parentGlobalId
        self.parentObjectId = parentObjectId
        self.contentType = contentType
        self.name = name
        self.size = size
        self.url = url
        self.data = data
    }
}

/// A relationship class of the replica, from its origin's side: the layer resources'
/// `relationships[]` entries of both ends joined by their id.
public struct RelationshipClass: Sendable, Equatable, Codable {
    public var id: Int
    public var name: String
    public var originLayerId: Int
    public var destinationLayerId: Int
    /// The key in the origin (usually its GlobalID or ObjectID).
    public var originKeyField: String
    /// The foreign key in the destination, when the destination's resource names it.
    public var destinationKeyField: String?
    public var cardinality: Relationship.Cardinality
    public var isComposite: Bool

    public init(id: Int, name: String, originLayerId: Int, destinationLayerId: Int, originKeyField: String,
                destinationKeyField: String?, cardinality: Relationship.Cardinality, isComposite: Bool) {
        self.id = id
        self.name = name
        self.originLayerId = originLayerId
        self.destinationLayerId = destinationLayerId
        self.originKeyField = originKeyField
        self.destinationKeyField = destinationKeyField
        self.cardinality = cardinality
        self.isComposite = isComposite
    }
}

extension Replica {
    /// Every relationship class whose origin is one of the replica's layers, once, in layer order.
    public var relationshipClasses: [RelationshipClass] {
        var seen = Set<Int>()
        var classes: [RelationshipClass] = []
        for layer in layers {
            for relationship in layer.relationships where relationship.role == .origin && seen.insert(relationship.id).inserted {
                let destination = layers.first { $0.id == relationship.relatedLayerId }?
                    .relationships.first { $0.id == relationship.id && $0.role == .destination }
                classes.append(RelationshipClass(
                    id: relationship.id, name: relationship.name, originLayerId: layer.id,
                    destinationLayerId: relationship.relatedLayerId, originKeyField: relationship.keyField,
                    destinationKeyField: destination?.keyField, cardinality: relationship.cardinality,
                    isComposite: relationship.isComposite))
            }
        }
        return classes
    }
}
