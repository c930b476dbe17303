/// The createReplica `syncModel`.
public enum SyncModel: String, Sendable, Equatable, Codable {
    /// `perReplica`: one server generation for the whole replica (``Replica/replicaServerGen``);
    /// `perLayer`: one per layer (``Replica/layerServerGens``); `none`: no sync, an export.
    case perReplica, perLayer, none
}

/// Everything about a replica except its features: small, fully in memory.
///
/// Features are streamed separately through ``ReplicaSource/features(inLayer:batchSize:_:)``.
public struct Replica: Sendable, Equatable, Codable {
    /// `replicaName`, or the source file's stem when the payload has none.
    public var name: String
    /// `replicaID` as given (with or without braces), if any.
    public var id: String?
    /// `syncModel`; nil when the payload does not say (a FeatureSet, a geodatabase without a
    /// replica record) or says something unknown.
    public var syncModel: SyncModel?
    /// `replicaServerGen` (perReplica).
    public var replicaServerGen: Int64?
    /// `layerServerGens` (perLayer): layer id to server generation.
    public var layerServerGens: [Int: Int64]
    /// The createReplica `syncDataOptions` bit set, when the payload stores it
    /// (a mobile geodatabase's replica definition may). Bit 256 = preserve true curves.
    public var syncDataOptions: Int?
    /// The layers and tables, each with its schema. ``ReplicaSource`` addresses them by position in
    /// this array (`layerIndex`); a request by service layer id (``LayerSchema/id``).
    public var layers: [LayerSchema]

    /// A replica's metadata and layer schemas.
    public init(name: String, id: String? = nil, syncModel: SyncModel? = nil,
                replicaServerGen: Int64? = nil, layerServerGens: [Int: Int64] = [:],
                syncDataOptions: Int? = nil, layers: [LayerSchema] = []) {
        self.name = name
        self.id = id
        self.syncModel = syncModel
        self.replicaServerGen = replicaServerGen
        self.layerServerGens = layerServerGens
        self.syncDataOptions = syncDataOptions
        self.layers = layers
    }
}
