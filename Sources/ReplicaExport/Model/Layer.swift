/// The geometry type of a layer (`esriGeometry*`).
public enum GeometryType: String, Sendable, Equatable, CaseIterable, Codable {
    /// One vertex per feature.
    case point = "esriGeometryPoint"
    /// A set of vertices per feature.
    case multipoint = "esriGeometryMultipoint"
    /// One or more paths per feature.
    case polyline = "esriGeometryPolyline"
    /// One or more rings per feature.
    case polygon = "esriGeometryPolygon"
    /// A rectangle (`xmin`, `ymin`, `xmax`, `ymax`). Envelope features are read as rectangle
    /// polygons and written as polygons; also createReplica's default `geometryType` for a filter.
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
    /// `featureLayer`: a layer with geometry (the `layers` of a service); `table`: no geometry (the
    /// `tables`, or a layer resource of `type` `Table`).
    public enum Kind: String, Sendable, Equatable, Codable { case featureLayer, table }

    /// The service layer id (`layers[].id`).
    public var id: Int
    /// The layer resource `name`, else `layer_<id>`.
    public var name: String
    /// Feature layer or table; a table has no ``geometryType``.
    public var kind: Kind
    /// nil for tables.
    public var geometryType: GeometryType?
    /// `hasZ`: the features' geometries carry Z values.
    public var hasZ: Bool
    /// `hasM`: the features' geometries carry M values.
    public var hasM: Bool
    /// The coordinate system of the geometries, as the layer resource, FeatureSet or geodatabase
    /// declares it; nil when the input gives none.
    public var spatialReference: SpatialReference?
    /// `objectIdField`: the name of the ObjectID field among ``fields``; nil when the layer has none.
    public var objectIdField: String?
    /// `globalIdField`: the name of the GlobalID field among ``fields``; nil when the layer has none.
    /// Attachments name their feature by its value (``Attachment/parentGlobalId``).
    public var globalIdField: String?
    /// Attribute fields in output order; ``Feature/attributes`` is indexed the same way.
    public var fields: [Field]
    /// `relationships`: the relationship classes this layer takes part in, from its side; empty when
    /// none (``Replica/relationshipClasses`` joins both sides).
    public var relationships: [Relationship]
    /// `hasAttachments`: the layer's features can have attachments.
    public var hasAttachments: Bool
    /// The field whose value picks a subtype (`subtypeField`, or `typeIdField` in older services).
    public var subtypeField: String?
    /// The subtypes (`subtypes`, or `types`), each with its own domains and default values.
    public var subtypes: [Subtype] = []
    /// Where this schema came from; ``SchemaSource/inferred`` is reported to the user.
    public var schemaSource: SchemaSource
    /// Names of fields whose type was inferred rather than declared.
    public var inferredFields: [String]

    /// A layer schema; `name` nil = `layer_<id>`.
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

    /// The index of the ObjectID field: the one ``objectIdField`` names, else the first field of
    /// type ObjectID; nil when the layer has none.
    var objectIDFieldIndex: Int? {
        if let name = objectIdField, let i = fieldIndex(named: name) { return i }
        return fields.firstIndex { $0.type == .objectID }
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
    /// The subtype code, typed like ``LayerSchema/subtypeField``'s storage.
    public var code: Value
    /// The subtype's name, as users see it.
    public var name: String
    /// Per field, the domain this subtype uses where it differs from the field's own
    /// (a layer resource's `"inherited"` entries are not listed).
    public var domains: [String: Domain]
    /// Per field, the value a new feature of this subtype starts with.
    public var defaultValues: [String: Value]

    /// A subtype; fields not listed in `domains` use their own domain.
    public init(code: Value, name: String, domains: [String: Domain] = [:], defaultValues: [String: Value] = [:]) {
        self.code = code
        self.name = name
        self.domains = domains
        self.defaultValues = defaultValues
    }
}

/// A relationship class as a layer resource describes it (`relationships[]`).
public struct Relationship: Sendable, Equatable, Codable {
    /// How many destination rows an origin row relates to.
    public enum Cardinality: String, Sendable, Equatable, Codable {
        /// One origin row to at most one destination row.
        case oneToOne = "esriRelCardinalityOneToOne"
        /// One origin row to any number of destination rows.
        case oneToMany = "esriRelCardinalityOneToMany"
        /// Rows of either end to any number of rows of the other.
        case manyToMany = "esriRelCardinalityManyToMany"
    }
    /// Which end of the relationship class this layer is.
    public enum Role: String, Sendable, Equatable, Codable {
        /// The origin: its ``Relationship/keyField`` is the primary key.
        case origin = "esriRelRoleOrigin"
        /// The destination: its ``Relationship/keyField`` is the foreign key.
        case destination = "esriRelRoleDestination"
    }
    /// `id`: the relationship class id, the same at both ends.
    public var id: Int
    /// `name`: the relationship class name.
    public var name: String
    /// `relatedLayerId`: the service layer id of the other end.
    public var relatedLayerId: Int
    /// `cardinality`: how many rows of each end relate to one another.
    public var cardinality: Cardinality
    /// `role`: whether this layer is the origin or the destination.
    public var role: Role
    /// The key field in this layer.
    public var keyField: String
    /// `composite`: destination rows cannot exist without their origin (deleting an origin deletes
    /// them).
    public var isComposite: Bool

    /// One end of a relationship class, as seen from this layer.
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
    /// `attachmentId` (ATTACHMENTID in a geodatabase): the attachment's id within its layer.
    public var attachmentId: Int64
    /// `globalId`: the attachment's own GlobalID; nil when the input gives none.
    public var globalId: String?
    /// `parentGlobalId` (REL_GLOBALID): the GlobalID of the feature the attachment belongs to.
    public var parentGlobalId: String?
    /// `parentObjectId` (REL_OBJECTID in older geodatabases): the ObjectID of the feature it
    /// belongs to, where the input gives it; else writers find it by ``parentGlobalId``.
    public var parentObjectId: Int64?
    /// `contentType` (CONTENT_TYPE): the MIME type as given; it may not match the bytes.
    public var contentType: String?
    /// `name` (ATT_NAME): the file name; `attachment_<id>` when the input gives none.
    public var name: String
    /// `size` (DATA_SIZE) in bytes; the length of ``data`` when not given, nil when neither is.
    public var size: Int64?
    /// `url`: where the service serves the attachment, for one referenced by URL (listed, never
    /// fetched: ``Diagnostic/Code/attachmentsByURL``); nil when the input gives none.
    public var url: String?
    /// The bytes of an embedded attachment (Esri JSON `data` in base64, a geodatabase's DATA);
    /// nil when the input carries no bytes (an attachment referenced by URL).
    public var data: [UInt8]?

    /// An attachment; give `url` or `data`.
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
    /// The relationship class id (``Relationship/id`` at both ends).
    public var id: Int
    /// The relationship class name.
    public var name: String
    /// The service layer id of the origin (the layer holding the primary key).
    public var originLayerId: Int
    /// The service layer id of the destination (the layer holding the foreign key).
    public var destinationLayerId: Int
    /// The key in the origin (usually its GlobalID or ObjectID).
    public var originKeyField: String
    /// The foreign key in the destination, when the destination's resource names it.
    public var destinationKeyField: String?
    /// How many destination rows an origin row relates to.
    public var cardinality: Relationship.Cardinality
    /// Destination rows cannot exist without their origin (``Relationship/isComposite``).
    public var isComposite: Bool

    /// A relationship class from both ends' descriptions.
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
