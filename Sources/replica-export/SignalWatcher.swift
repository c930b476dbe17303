import Foundation
import ReplicaExport
import Synchronization

/// Turns SIGINT and SIGTERM into a cancellation, through dispatch sources rather than a signal
/// handler, so that an interrupted export removes what it wrote: the exporter checks the flag
/// between batches of features, and a signal that arrives during the final renames lets them finish
/// (see `OutputStaging.commit`). The first signal cancels and is remembered; what a later one does
/// is the caller's choice (convert: nothing more; batch: the process ends at once, leaving staging
/// folders that the next run removes).
/// Unchecked: `sources` is set once in init; dispatch sources are thread-safe.
final class SignalWatcher: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    /// The first signal, 0 until one arrives; a box of its own, so that the handlers do not keep
    /// the watcher alive (releasing it stops the watching).
    private let first = FirstSignal()

    private final class FirstSignal: Sendable {
        let number = Atomic<Int32>(0)
    }

    /// - Parameters:
    ///   - onFirst: called with the first signal, after the cancellation.
    ///   - secondSignalQuits: a signal after the first one ends the process as the signal's default
    ///     action would.
    init(cancellation: ExportCancellation, signals: [Int32] = [SIGINT, SIGTERM],
         secondSignalQuits: Bool = false, onFirst: (@Sendable (Int32) -> Void)? = nil) {
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)  // the dispatch source, not the default action, handles it
            sources.append(DispatchSource.makeSignalSource(signal: number, queue: .global()))
        }
        self.sources = sources
        for (number, source) in zip(signals, sources) {
            source.setEventHandler { [first] in
                if first.number.compareExchange(expected: 0, desired: number, ordering: .relaxed).exchanged {
                    cancellation.cancel()
                    onFirst?(number)
                } else if secondSignalQuits {
                    signal(number, SIG_DFL)
                    kill(getpid(), number)
                }
            }
            source.resume()
        }
    }

    deinit { stop() }

    /// The first signal received, if any.
    var received: Int32? {
        let number = first.number.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// Stops watching; the signals stay ignored.
    func stop() {
        for source in sources { source.cancel() }
    }

    /// `SIGINT`, `SIGTERM`.
    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(number)"
        }
    }
}
