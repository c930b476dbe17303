/// A replica payload opened for reading: metadata and schemas at once, features streamed.
///
/// Implementations: the Esri JSON reader and the mobile geodatabase reader. A writer never knows
/// which one produced the data.
public protocol ReplicaSource: AnyObject {
    /// Metadata and layer schemas.
    var replica: Replica { get }

    /// What the user should know about the input (inferred schemas, skipped content).
    var diagnostics: [Diagnostic] { get }

    /// Streams the features of `replica.layers[layerIndex]` in batches of at most `batchSize`,
    /// in input order. Memory does not grow with the number of features. May be called more than
    /// once per layer.
    func features(inLayer layerIndex: Int, batchSize: Int, _ body: ([Feature]) throws -> Void) throws

    /// Streams the attachments of `replica.layers[layerIndex]`.
    func attachments(inLayer layerIndex: Int, _ body: (Attachment) throws -> Void) throws
}

extension ReplicaSource {
    public func attachments(inLayer layerIndex: Int, _ body: (Attachment) throws -> Void) throws {}
}
