import Foundation
import Synchronization

/// Where a batch is: for a progress line (``BatchProgressMonitor/snapshot()``).
public struct BatchProgress: Sendable, Equatable {
    /// Inputs finished, whatever became of them.
    public var inputsDone: Int
    /// Inputs in the batch (its plan's inputs), resumed ones included.
    public var inputsTotal: Int
    /// Features read so far, the inputs being converted included.
    public var featuresDone: Int
    /// The inputs being converted now, by path.
    public var running: [String]
    /// Seconds since the batch started.
    public var elapsed: Double
    /// Features read per second since the batch started.
    public var featuresPerSecond: Double
    /// An estimate from the input bytes converted so far (features read of features expected for
    /// the inputs being converted); nil until there is something to go by.
    public var secondsLeft: Double?
}

/// Follows a running batch: the converter reports into it from its workers; a front end reads a
/// ``snapshot()`` whenever it redraws, and gets each input as it finishes through `onFinish`.
public final class BatchProgressMonitor: Sendable {
    private struct Running {
        var bytes: Int64
        var expectedFeatures: Int?
        var featuresRead = 0
    }

    private struct State {
        var start = ContinuousClock.now
        var inputsTotal = 0
        var inputsDone = 0
        /// Bytes of the inputs that need converting (resumed ones are taken out).
        var bytesTotal: Int64 = 0
        var bytesDone: Int64 = 0
        var featuresDone = 0
        var running: [String: Running] = [:]
        var order: [String] = []
    }

    private let state = Mutex(State())
    private let onFinish: (@Sendable (BatchInputReport, BatchProgress) -> Void)?

    /// `onFinish` is called on a worker thread as each input ends, with the progress after it.
    public init(onFinish: (@Sendable (BatchInputReport, BatchProgress) -> Void)? = nil) {
        self.onFinish = onFinish
    }

    /// Where the batch is now; cheap enough to call at every redraw.
    public func snapshot() -> BatchProgress {
        state.withLock { Self.progress($0) }
    }

    func begin(_ inputs: [BatchInput]) {
        state.withLock { state in
            state = State()
            state.inputsTotal = inputs.count
            state.bytesTotal = inputs.reduce(0) { $0 + $1.bytes }
        }
    }

    func started(_ input: BatchInput) {
        state.withLock { state in
            state.running[input.path] = Running(bytes: input.bytes)
            state.order.append(input.path)
        }
    }

    func expect(_ features: Int?, in input: BatchInput) {
        state.withLock { $0.running[input.path]?.expectedFeatures = features }
    }

    func read(_ features: Int, in input: BatchInput) {
        state.withLock { state in
            state.running[input.path]?.featuresRead += features
            state.featuresDone += features
        }
    }

    func finished(_ input: BatchInput, _ report: BatchInputReport) {
        let progress = state.withLock { state in
            state.running[input.path] = nil
            state.order.removeAll { $0 == input.path }
            state.inputsDone += 1
            if report.status == .skippedResume {
                state.bytesTotal -= input.bytes
            } else {
                state.bytesDone += input.bytes
            }
            return Self.progress(state)
        }
        onFinish?(report, progress)
    }

    private static func progress(_ state: State) -> BatchProgress {
        let elapsedDuration = ContinuousClock.now - state.start
        let elapsed = Double(elapsedDuration.components.seconds) + Double(elapsedDuration.components.attoseconds) / 1e18
        var bytesDone = Double(state.bytesDone)
        for running in state.running.values {
            if let expected = running.expectedFeatures, expected > 0 {
                bytesDone += Double(running.bytes) * min(1, Double(running.featuresRead) / Double(expected))
            }
        }
        var secondsLeft: Double?
        if bytesDone > 0, elapsed >= 1 {
            secondsLeft = max(0, Double(state.bytesTotal) - bytesDone) / (bytesDone / elapsed)
        }
        return BatchProgress(inputsDone: state.inputsDone, inputsTotal: state.inputsTotal, featuresDone: state.featuresDone,
                             running: state.order, elapsed: elapsed,
                             featuresPerSecond: elapsed > 0 ? Double(state.featuresDone) / elapsed : 0,
                             secondsLeft: secondsLeft)
    }
}

/// A source that tells a monitor how many features were read, as they are read.
final class CountingSource: ReplicaSource {
    let base: any ReplicaSource
    let count: (Int) -> Void

    init(_ base: any ReplicaSource, count: @escaping (Int) -> Void) {
        self.base = base
        self.count = count
    }

    var replica: Replica { base.replica }
    var diagnostics: [Diagnostic] { base.diagnostics }
    var unreadableLayers: [UnreadableLayer] { base.unreadableLayers }

    func featureCursor(inLayer layerIndex: Int, batchSize: Int) throws -> any FeatureCursor {
        CountingCursor(base: try base.featureCursor(inLayer: layerIndex, batchSize: batchSize), count: count)
    }

    func featureCount(inLayer layerIndex: Int) -> Int? { base.featureCount(inLayer: layerIndex) }

    func attachments(inLayer layerIndex: Int, _ body: (Attachment) throws -> Void) throws {
        try base.attachments(inLayer: layerIndex, body)
    }

    func attachmentCount(inLayer layerIndex: Int) -> Int? { base.attachmentCount(inLayer: layerIndex) }

    func maxTextBytes(inLayer layerIndex: Int) throws -> [String: Int] { try base.maxTextBytes(inLayer: layerIndex) }

    /// Every layer's feature count, when the reader knows them all without reading.
    var expectedFeatures: Int? {
        var total = 0
        for index in replica.layers.indices {
            guard let count = base.featureCount(inLayer: index) else { return nil }
            total += count
        }
        return total
    }

    private final class CountingCursor: FeatureCursor {
        let base: any FeatureCursor
        let count: (Int) -> Void
        init(base: any FeatureCursor, count: @escaping (Int) -> Void) {
            self.base = base
            self.count = count
        }
        func next() throws -> [Feature]? {
            let batch = try base.next()
            if let batch { count(batch.count) }
            return batch
        }
    }
}
