import Foundation

/// A bounded hand-off between one producing thread and one consuming thread.
///
/// The exporter reads and prepares features on a producer thread while the calling thread writes
/// them through GDAL: both cores work, and at most `capacity` items are ever in flight, so memory
/// stays flat. Either side can stop the other: the producer by failing (the consumer's `take`
/// rethrows its error), the consumer by cancelling (the producer's next `put` throws; a consumer
/// waiting in `take` gets nil).
///
/// The bound is a weight: by default each item weighs 1 and `capacity` counts items; the segment
/// workers weigh batches by their features' size. An item heavier than the whole capacity is
/// still taken when the pipe is empty.
final class BoundedPipe<Item>: @unchecked Sendable {
    /// Thrown by `put` once the consumer has given up.
    struct Cancelled: Error {}

    private let condition = NSCondition()
    private var items: [(item: Item, weight: Int)] = []
    /// The weight of what is queued.
    private var held = 0
    private let capacity: Int
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Blocks while the pipe is full; throws ``Cancelled`` when the consumer has stopped.
    func put(_ item: Item, weight: Int = 1) throws {
        condition.lock()
        defer { condition.unlock() }
        while held > 0 && held + weight > capacity && !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        items.append((item, weight))
        held += weight
        condition.broadcast()
    }

    /// The producer is done; `error` ends the consumer's loop with that error.
    func finish(throwing error: (any Error)? = nil) {
        condition.lock()
        finished = true
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// The next item; nil once the producer finished and everything was taken. Rethrows the
    /// producer's error.
    func take() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished && !cancelled { condition.wait() }
        if let failure, !cancelled { throw failure }
        guard !items.isEmpty else { return nil }
        let (item, weight) = items.removeFirst()
        held -= weight
        condition.broadcast()
        return item
    }

    /// The consumer has stopped (or is to stop): wakes and fails a blocked producer, wakes a waiting
    /// consumer with nil, drops what is queued.
    func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        held = 0
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until the producer called `finish`.
    func waitUntilFinished() {
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
    }
}

/// Runs `body` on a new thread. The thread owns what `body` captures until it returns; callers
/// hand results back through a ``BoundedPipe`` and wait for it to finish before touching them.
func startThread(name: String, _ body: @escaping () -> Void) {
    let work = UncheckedSendable(body)
    let thread = Thread { work.value() }
    thread.name = name
    thread.stackSize = 8 << 20
    thread.start()
}
