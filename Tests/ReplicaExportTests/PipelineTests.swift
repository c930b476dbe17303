import Foundation
import Testing
@testable import ReplicaExport

/// The hand-off between the reader thread and the writing thread: bounded, ordered, and either
/// side can stop the other without a hang.
@Suite struct PipelineTests {
    struct ReadFailure: Error {}

    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var puts = 0
        var maxAhead = 0
    }

    @Test func deliversEverythingInOrderWithoutRunningAhead() throws {
        let pipe = BoundedPipe<Int>(capacity: 3)
        let counter = Counter()
        startThread(name: "test producer") {
            do {
                for i in 0..<1000 {
                    try pipe.put(i)
                    counter.lock.lock(); counter.puts += 1; counter.lock.unlock()
                }
                pipe.finish()
            } catch { pipe.finish(throwing: error) }
        }
        var taken: [Int] = []
        while let item = try pipe.take() {
            taken.append(item)
            counter.lock.lock()
            counter.maxAhead = max(counter.maxAhead, counter.puts - taken.count)
            counter.lock.unlock()
        }
        pipe.waitUntilFinished()
        #expect(taken == Array(0..<1000))
        #expect(counter.maxAhead <= 3 + 1)  // the capacity, plus one put racing the count
    }

    @Test func aProducerFailureReachesTheConsumer() {
        let pipe = BoundedPipe<Int>(capacity: 2)
        startThread(name: "test producer") {
            do {
                try pipe.put(1)
                throw ReadFailure()
            } catch { pipe.finish(throwing: error) }
        }
        #expect(throws: ReadFailure.self) { while try pipe.take() != nil {} }
        pipe.waitUntilFinished()
    }

    @Test func cancellingWakesABlockedProducer() {
        let pipe = BoundedPipe<Int>(capacity: 1)
        let counter = Counter()
        startThread(name: "test producer") {
            do {
                for i in 0..<1_000_000 { try pipe.put(i); counter.puts += 1 }
                pipe.finish()
            } catch { pipe.finish(throwing: error) }
        }
        _ = try? pipe.take()
        pipe.cancel()            // the producer is blocked on a full pipe, or soon will be
        pipe.waitUntilFinished() // returns: the blocked put threw Cancelled
        #expect(counter.puts < 1_000_000)
    }
}
