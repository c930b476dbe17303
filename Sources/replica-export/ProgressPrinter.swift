import Foundation
import ReplicaExport
import Synchronization

/// Progress on stderr, for one export (convert) or a batch of them; the library computes the
/// counts, rates and times left, this only prints them, one writer at a time. On a terminal one
/// line is redrawn and cleared at the end; otherwise plain lines; nothing when quiet.
///
/// - One export (``report(_:)``, from ``ExportProgress``): the terminal line is redrawn at most four
///   times a second; a plain `progress:` line comes at most every few seconds (none for an export
///   shorter than that). `REPLICA_EXPORT_PROGRESS_INTERVAL` (seconds) sets the plain lines'
///   spacing, 5 by default.
/// - A batch (``finished(_:_:)`` and ``startRedrawing(_:)``, from ``BatchProgress``): the terminal
///   line (inputs done, features/s, time left, the inputs being converted) is redrawn four times a
///   second and each failure gets a line of its own; otherwise a plain line per finished input.
final class ProgressPrinter: Sendable {
    enum Mode: Sendable { case terminal, lines, quiet }

    let mode: Mode
    /// The least time between two lines of one export.
    let interval: Duration
    private struct State {
        var start = ContinuousClock.now
        var last: ContinuousClock.Instant?
        /// Whether a redrawn line is on screen.
        var onScreen = false
        /// Redraws a batch's line on a terminal; created only when started (a dispatch source must
        /// not be released before it was resumed).
        var timer: (any DispatchSourceTimer)?
    }
    private let state = Mutex(State())

    init(mode: Mode) {
        self.mode = mode
        switch mode {
        case .terminal:
            interval = .milliseconds(250)
        default:
            let seconds = ProcessInfo.processInfo.environment["REPLICA_EXPORT_PROGRESS_INTERVAL"].flatMap(Double.init) ?? 5
            interval = .milliseconds(Int(max(0, seconds) * 1000))
        }
    }

    // MARK: one export

    /// Called on the export's reading thread after each batch.
    func report(_ progress: ExportProgress) {
        guard mode != .quiet else { return }
        state.withLock { state in
            let now = ContinuousClock.now
            // Plain lines wait a full interval before the first; the terminal line shows at once.
            let since = state.last ?? (mode == .terminal ? now - interval : state.start)
            guard now - since >= interval else { return }
            state.last = now
            if mode == .terminal {
                Self.draw(Self.describe(progress), onScreen: &state.onScreen)
            } else {
                FileHandle.standardError.write(Data(("progress: " + Self.describe(progress) + "\n").utf8))
            }
        }
    }

    /// `3,072/10,000 features (31%), 5,432 features/s, about 0:02 left - layer roads`.
    static func describe(_ progress: ExportProgress) -> String {
        var line = BatchReportText.grouped(progress.inputFeaturesDone)
        if let total = progress.inputFeaturesTotal, let fraction = progress.fractionDone {
            line += "/\(BatchReportText.grouped(total)) features (\(Int((fraction * 100).rounded(.down)))%)"
        } else {
            line += " features"
        }
        line += ", \(BatchReportText.grouped(Int(progress.featuresPerSecond.rounded()))) features/s"
        if let left = progress.secondsLeft { line += ", about \(clock(left)) left" }
        return line + " - layer \(progress.layerName)"
    }

    // MARK: a batch

    /// Called on a worker thread as each input of a batch ends.
    func finished(_ input: BatchInputReport, _ progress: BatchProgress) {
        switch mode {
        case .quiet:
            return
        case .lines:
            var line = "[\(progress.inputsDone)/\(progress.inputsTotal)] \(Self.describe(input))"
            line += "; \(Self.rate(progress))"
            if let left = progress.secondsLeft, progress.inputsDone < progress.inputsTotal { line += ", about \(Self.clock(left)) left" }
            state.withLock { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        case .terminal:
            guard input.status == .failed else { return }
            state.withLock { state in
                FileHandle.standardError.write(Data(((state.onScreen ? "\r\u{1B}[K" : "") + Self.describe(input) + "\n").utf8))
                state.onScreen = false
            }
        }
    }

    /// On a terminal, redraws the batch's line from `snapshot` four times a second until ``stop()``.
    func startRedrawing(_ snapshot: @escaping @Sendable () -> BatchProgress) {
        guard mode == .terminal else { return }
        state.withLock { state in
            guard state.timer == nil else { return }
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.setEventHandler { [self] in redraw(snapshot()) }
            timer.schedule(deadline: .now(), repeating: .milliseconds(250))
            timer.resume()
            state.timer = timer
        }
    }

    /// Stops the redrawing, if any, and takes the line off the screen.
    func stop() {
        let timer = state.withLock { state in
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
        clear()
    }

    func redraw(_ progress: BatchProgress) {
        var line = "\(progress.inputsDone)/\(progress.inputsTotal) inputs, \(Self.rate(progress))"
        if let left = progress.secondsLeft { line += ", about \(Self.clock(left)) left" }
        if !progress.running.isEmpty { line += " - " + progress.running.joined(separator: ", ") }
        state.withLock { state in Self.draw(line, onScreen: &state.onScreen) }
    }

    static func describe(_ input: BatchInputReport) -> String {
        switch input.status {
        case .converted:
            let features = input.featuresRead.map { BatchReportText.grouped($0) } ?? "?"
            return "converted \(input.path): \(input.layers ?? 0) layer\(input.layers == 1 ? "" : "s"), \(features) features"
                + String(format: ", %.1f s", input.seconds)
        case .failed:
            let error = input.error.map { error in
                (error.location.format.map { "\($0): " } ?? "") + "[\(error.code)] \(error.message)"
            } ?? "failed"
            return "failed \(input.path): " + error.split(whereSeparator: \.isNewline).joined(separator: " ")
        case .skippedResume:
            return "complete already \(input.path)"
        case .cancelled:
            return "stopped \(input.path)"
        case .notStarted:
            return "not started \(input.path)"
        }
    }

    static func rate(_ progress: BatchProgress) -> String {
        "\(BatchReportText.grouped(Int(progress.featuresPerSecond.rounded()))) features/s"
    }

    // MARK: the line

    /// Takes the redrawn line off the screen.
    func clear() {
        state.withLock { state in
            if state.onScreen { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            state.onScreen = false
        }
    }

    /// Redraws the terminal line, cut to the terminal's width.
    private static func draw(_ text: String, onScreen: inout Bool) {
        var line = text
        let width = max(20, terminalWidth() - 1)
        if line.count > width { line = String(line.prefix(width - 1)) + "…" }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        onScreen = true
    }

    /// `m:ss`, or `h:mm:ss` from an hour.
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 80
    }
}
