/// A replica payload opened for reading: metadata and schemas at once, features streamed.
///
/// Implementations: the Esri JSON reader and the mobile geodatabase reader. A writer never knows
/// which one produced the data.
///
/// A reader implements ``featureCursor(inLayer:batchSize:)``; ``features(inLayer:batchSize:_:)``
/// is built on it once, here, so that pulling and pushing cannot disagree.
public protocol ReplicaSource: AnyObject {
    /// Metadata and layer schemas.
    var replica: Replica { get }

    /// What the user should know about the input (inferred schemas, skipped content). A reader may
    /// add to it while features are read (attributes outside the schema are known only then).
    var diagnostics: [Diagnostic] { get }

    /// A new cursor over the features of `replica.layers[layerIndex]`, in input order, in batches
    /// of at most `batchSize` (at least 1). Each cursor has its own position: several may be open
    /// on the same layer at once. Memory does not grow with the number of features.
    func featureCursor(inLayer layerIndex: Int, batchSize: Int) throws -> any FeatureCursor

    /// The number of features a cursor over the layer yields, when the reader knows it without
    /// reading them; nil otherwise.
    func featureCount(inLayer layerIndex: Int) -> Int?

    /// Streams the features of `replica.layers[layerIndex]` in batches of at most `batchSize`,
    /// in input order. Memory does not grow with the number of features. May be called more than
    /// once per layer.
    func features(inLayer layerIndex: Int, batchSize: Int, _ body: ([Feature]) throws -> Void) throws

    /// Streams the attachments of `replica.layers[layerIndex]`, one at a time.
    func attachments(inLayer layerIndex: Int, _ body: (Attachment) throws -> Void) throws

    /// The number of attachments ``attachments(inLayer:_:)`` yields, when the reader knows it
    /// without reading them; nil otherwise.
    func attachmentCount(inLayer layerIndex: Int) -> Int?

    /// For each text field (string, XML) of `replica.layers[layerIndex]`, by name, a length in
    /// UTF-8 bytes no value a cursor yields exceeds, where the reader can tell without reading the
    /// features (a mobile geodatabase asks SQLite); empty otherwise. Writers size text columns by
    /// it (the shapefile's `.dbf`).
    func maxTextBytes(inLayer layerIndex: Int) throws -> [String: Int]

    /// Layers the input declares but cannot deliver (a damaged geodatabase whose catalog names a
    /// table that is gone), each with the error that says so. They are not in `replica.layers`.
    /// An export of every layer, or of one of these, fails with that error; the other layers can
    /// still be selected and exported.
    var unreadableLayers: [UnreadableLayer] { get }
}

/// A layer the input declares but cannot deliver; see ``ReplicaSource/unreadableLayers``.
public struct UnreadableLayer: Sendable {
    /// The service layer id, when the input gives one.
    public var id: Int?
    /// The layer's name, as the input declares it.
    public var name: String
    /// Why it cannot be read, located in the input.
    public var error: ReplicaExportError
}

/// Pulls the features of one layer, a batch at a time, for a caller that drives the reading
/// itself (one layer interleaved with another, a consumer that pauses between batches).
public protocol FeatureCursor: AnyObject {
    /// The next batch of at most the cursor's batch size, never empty; nil at the end. After it
    /// has returned nil or thrown, it returns nil. Errors carry the input, layer, feature index
    /// and, where the reader knows it, the OBJECTID.
    func next() throws -> [Feature]?
}

extension ReplicaSource {
    /// Pulls ``featureCursor(inLayer:batchSize:)`` to its end, handing each batch to `body`.
    public func features(inLayer layerIndex: Int, batchSize: Int, _ body: ([Feature]) throws -> Void) throws {
        let cursor = try featureCursor(inLayer: layerIndex, batchSize: batchSize)
        while let batch = try cursor.next() { try body(batch) }
    }

    /// nil: a reader that knows its counts says so.
    public func featureCount(inLayer layerIndex: Int) -> Int? { nil }

    /// None: a reader of a format with attachments yields them.
    public func attachments(inLayer layerIndex: Int, _ body: (Attachment) throws -> Void) throws {}

    /// nil: a reader that knows its counts says so.
    public func attachmentCount(inLayer layerIndex: Int) -> Int? { nil }

    /// Empty: no bound known without reading.
    public func maxTextBytes(inLayer layerIndex: Int) throws -> [String: Int] { [:] }

    /// None: every declared layer can be read.
    public var unreadableLayers: [UnreadableLayer] { [] }
}
