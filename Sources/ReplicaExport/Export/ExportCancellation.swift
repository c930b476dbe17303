import Synchronization

/// A flag a caller sets to stop an export (a service's cancelled task, a batch's SIGINT): the
/// export checks it between batches, removes everything it wrote and throws
/// ``ReplicaExportError/Code/cancelled``. Safe to share between threads.
public final class ExportCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    /// A flag not yet set.
    public init() {}

    /// Asks every export holding this flag to stop.
    public func cancel() { flag.store(true, ordering: .relaxed) }

    /// True once ``cancel()`` was called.
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    /// Throws ``ReplicaExportError/Code/cancelled`` once cancelled.
    func check() throws {
        if isCancelled { throw ReplicaExportError(.cancelled, "the export was cancelled; nothing was written") }
    }
}
