import Foundation

/// SQLite's `PRAGMA quick_check` of a whole input file on a connection and a thread of its own,
/// started when the file is opened; ``verdict()`` waits for it. See ``MobileGeodatabaseSource``.
final class IntegrityCheck: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    /// Written once by the check's thread before it signals `finished`.
    private var outcome: Result<Void, ReplicaExportError>?
    /// The outcome as the reading thread took it (waits only the first time).
    private var taken: Result<Void, ReplicaExportError>?

    init(url: URL) {
        startThread(name: "replica-export integrity check") { [self] in
            do {
                let db = try SQLiteConnection(readOnlyImmutable: url)
                try GeodatabaseCatalog.checkIntegrity(of: db, file: url.path)
                outcome = .success(())
            } catch let error as ReplicaExportError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(ReplicaExportError(.unreadable, "the integrity check failed: \(error)",
                                                      at: ErrorLocation(input: url.path)))
            }
            finished.signal()
        }
    }

    /// Waits for the check to finish; throws `corrupt` when it found the file damaged.
    func verdict() throws {
        if taken == nil {
            finished.wait()
            taken = outcome
        }
        try taken!.get()
    }
}
