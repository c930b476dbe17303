import Foundation

// Segmented writing: one layer written by several GDAL datasets at once.
//
// GDAL's CSV and GeoJSON drivers write a layer on one thread, and that thread is the bottleneck of
// those formats (about 11 s of CPU for 1,000,000 points). A format whose file is a header, then
// one independent text per feature, then a footer declares how its files join
// (``SegmentLayout``); the generic writer then cuts a large layer into consecutive segments
// (``SegmentPlan``; features weighed by their vertices). The first segment is the layer's own file, written
// exactly as an unsegmented layer is (so a layer that fits in one segment gives the same bytes by
// the same path); later segments go round-robin to worker threads, each with its own dataset of
// the same driver and options in a hidden folder of the writer's staging directory; at the end of
// the layer their files are spliced in order onto the first. Every byte still comes from GDAL.

/// How the files of one layer written in segments join into one file: what a format's profile
/// declares (``WriterProfile/segmentLayout``). The splice checks the layout it expects and fails
/// with an internal error rather than write a wrong file.
enum SegmentLayout: Sendable, Equatable {
    /// A header line (ending at the first line break outside double quotes), then records (CSV). A
    /// later segment's header must equal the first's; it is dropped.
    case headerLine
    /// A header ending with `opening` (its first occurrence), feature texts joined by `separator`,
    /// then `closing`; a file without features is header + closing (GeoJSON's FeatureCollection).
    /// Later segments' headers must equal the first's; the bodies are joined with `separator`.
    case featureArray(opening: String, separator: String, closing: String)
    /// Joined by the format's own splice, declared in its file (the shapefile's `.shp`, `.shx`
    /// and `.dbf`: ``ShapefileSplice``).
    case spliced(SegmentSplicer)
}

/// A format's own way of joining the files of a layer's later segments onto its first, for a
/// layout none of ``SegmentLayout``'s generic cases describes.
struct SegmentSplicer: Sendable, Equatable {
    /// Names the splice, for equality.
    let name: String
    /// Appends the segment files (in order) to the file of the first segment.
    let append: @Sendable (_ segments: [URL], _ first: URL, _ location: ErrorLocation) throws -> Void

    static func == (a: SegmentSplicer, b: SegmentSplicer) -> Bool { a.name == b.name }
}

/// How large a layer must be to be written in segments, and by how many threads.
///
/// Segments and the workers' queues are measured in weight, not features: a feature weighs 1
/// plus 1 per ``verticesPerWeight`` vertices (``weight(of:)``), so that a segment of polygons holds
/// about as much memory as one of points, and memory stays bounded whatever the geometries.
struct SegmentPlan: Sendable, Equatable {
    /// Weight per segment after the first. For points, the features per segment.
    var weightPerSegment: Int
    /// Worker threads writing the segments after the first; below 2, layers are not segmented.
    var workers: Int
    /// Weight of the first segment, the layer's own file, written on the format's thread before
    /// any worker starts; a layer of no more weight is written as one file, unsegmented.
    var firstSegmentWeight: Int

    init(weightPerSegment: Int, workers: Int, firstSegmentWeight: Int? = nil) {
        self.weightPerSegment = weightPerSegment
        self.workers = workers
        self.firstSegmentWeight = firstSegmentWeight ?? weightPerSegment
    }

    /// Chosen by measurement on 1,000,000 points to CSV (see the README's Performance section):
    /// 16,384 took 9.1 s, 65,536 9.8 s, unsegmented 12.1 s; peak memory 152-156 MB either way,
    /// and 151 MB for 5,000,000 points. Smaller segments cost more CPU (a dataset each: 4,096 made
    /// the 1,000,000-point shapefile 13 % slower).
    static let defaultWeightPerSegment = 16_384
    /// The first segment is written before the workers start, on one core: a quarter of the
    /// others, so that layers of a few tens of thousands of features get parallel early. Measured
    /// on a mobile geodatabase of 5 layers of 40,000 features to CSV: all segments of 4,096 took
    /// 0.80x the time of all of 16,384.
    static let defaultFirstSegmentWeight = defaultWeightPerSegment / 4
    /// A vertex weighs this much less than a point feature with its attributes (about 32 bytes
    /// against a few hundred).
    static let verticesPerWeight = 8

    /// 1 plus 1 per ``verticesPerWeight`` vertices of the feature's geometry.
    static func weight(of feature: PreparedFeature) -> Int {
        guard let geometry = feature.geometry else { return 1 }
        let vertices: Int
        switch geometry.shape {
        case .point: return 1
        case .multipoint(let points): vertices = points.count
        case .lines(let paths): vertices = paths.reduce(0) { $0 + $1.vertices.count }
        case .polygons(let polygons): vertices = polygons.reduce(0) { $0 + $1.reduce(0) { $0 + $1.vertices.count } }
        }
        return 1 + vertices / verticesPerWeight
    }
    /// At most this many workers, whatever the core count.
    static let maxWorkers = 4
    /// An internal knob: features per segment, to exercise segmented writing on small inputs
    /// (tests, `Benchmarks/golden.sh`). 0 turns segmented writing off.
    static let environmentVariable = "REPLICA_EXPORT_SEGMENT_FEATURES"

    /// One worker per core (at most ``maxWorkers``), ``defaultWeightPerSegment`` unless the
    /// environment says otherwise.
    static var standard: SegmentPlan { standard(formatsWritten: 1) }

    /// The plan for an export writing `formatsWritten` formats at once, each on a thread of its
    /// own: segment workers only use the cores those threads leave. With one format, a worker per
    /// core (the reader thread is light beside the writer); with several, one more worker than the
    /// cores left over, and none when no core is. Measured on 2 cores, 1,000,000 points to all four
    /// formats: 20.6 and 20.6 s without segments, 20.6 and 23.5 s with two workers (more CPU for
    /// the same cores); CSV alone 14.8 and 11.9 s without, 10.4 and 9.9 s with.
    static func standard(formatsWritten: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> SegmentPlan {
        let spare = cores - max(1, formatsWritten)
        let workers = formatsWritten <= 1 ? min(cores, maxWorkers) : (spare > 0 ? min(spare + 1, maxWorkers) : 0)
        if let text = ProcessInfo.processInfo.environment[environmentVariable], let n = Int(text), n >= 0 {
            // The knob forces segments (tests, golden.sh) whatever the cores.
            return n == 0 ? .off : SegmentPlan(weightPerSegment: n, workers: max(workers, 2))
        }
        return workers >= 2 ? SegmentPlan(weightPerSegment: defaultWeightPerSegment, workers: workers,
                                          firstSegmentWeight: defaultFirstSegmentWeight) : .off
    }

    /// Never segments.
    static let off = SegmentPlan(weightPerSegment: .max, workers: 0)

    var isOn: Bool { workers >= 2 && weightPerSegment > 0 && weightPerSegment < .max && firstSegmentWeight > 0 }
}

/// One segment's dataset and layer, as the format writer makes them for a path.
struct SegmentSink {
    var dataset: GDALOutputDataset
    var writer: GDALLayerWriter
    /// The format's work on the closed file (``GDALFormat/didCloseSegment(_:columns:layer:)``).
    var didClose: () throws -> Void

    /// Closes the dataset, then lets the format finish the file.
    func close() throws {
        try dataset.close()
        try didClose()
    }
}

/// The segments after the first of one layer, written by worker threads. Used by one thread (the
/// format's writer thread) except ``cancel()``, which may come from any thread once that one is done.
final class SegmentedLayer {
    /// What became of one segment.
    final class Outcome: @unchecked Sendable {
        let number: Int
        let url: URL
        var writer: GDALLayerWriter?
        var deferred: [GDALLayerWriter.DeferredFeature] = []
        var error: (any Error)?
        var closed = false
        init(number: Int, url: URL) {
            self.number = number
            self.url = url
        }
    }

    private enum Work {
        case begin(Outcome)
        case batch([PreparedFeature], firstIndex: Int)
        case end
    }

    /// Hidden folder of the segment files, inside the layer's staging directory.
    let directory: URL
    private let queues: [BoundedPipe<Work>]
    private let threads = DispatchGroup()
    private let lock = NSLock()
    /// The earliest segment that failed (-1 once cancelled): later segments are skipped, earlier
    /// ones finish, so that the error reported is the one an unsegmented writer meets first.
    private var failedSegment: Int?
    private var outcomes: [Outcome] = []
    private var joined = false
    /// The worker of the segment being filled, and how many features it got.
    private var current: Int?
    private(set) var currentFill = 0
    private let fileExtension: String

    /// Starts `plan.workers` threads; `make` creates a segment's dataset and layer at a path (on
    /// the worker thread).
    init(directory: URL, fileExtension: String, plan: SegmentPlan, location: ErrorLocation,
         make: @escaping (String) throws -> SegmentSink) throws {
        self.directory = directory
        self.fileExtension = fileExtension
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        } catch {
            throw ReplicaExportError.fileSystem(error, doing: "creating the temporary segment folder", path: directory.path,
                                                at: location)
        }
        // Each worker may hold half a segment queued: by the time a worker is down to the last
        // half of its segment, the next worker's segment is being filled, so that both keep busy
        // (measured: a whole segment queued gave no more speed and more memory); memory stays
        // within about workers x weightPerSegment / 2 beyond an unsegmented run.
        queues = (0..<plan.workers).map { _ in BoundedPipe<Work>(capacity: max(1, plan.weightPerSegment / 2)) }
        let make = UncheckedSendable(make)
        for (n, queue) in queues.enumerated() {
            threads.enter()
            let box = UncheckedSendable(queue)
            startThread(name: "replica-export segment \(n)") { [self] in
                defer { threads.leave() }
                work(box.value, make: make.value)
            }
        }
    }

    deinit { cancel() }

    /// The worker loop: one segment at a time, in the order queued.
    private func work(_ queue: BoundedPipe<Work>, make: (String) throws -> SegmentSink) {
        var sink: SegmentSink?
        var outcome: Outcome?
        func fail(_ error: any Error) {
            lock.lock()
            if let outcome {
                if outcome.error == nil { outcome.error = error }
                failedSegment = min(failedSegment ?? .max, outcome.number)
            }
            lock.unlock()
            sink = nil  // closed (silently) by deinit; the files are removed with the folder
        }
        // take() throws only a producer failure, which this producer never sends.
        while let item = (try? queue.take()) ?? nil {
            switch item {
            case .begin(let next):
                sink = nil
                outcome = next
                guard !skips(next.number) else { continue }
                do { sink = try make(next.url.path) } catch { fail(error) }
            case .batch(let features, let firstIndex):
                guard let current = sink, let number = outcome?.number, !skips(number) else { continue }
                do { try current.writer.write(features, firstIndex: firstIndex) } catch { fail(error) }
            case .end:
                guard let current = sink, let done = outcome else { continue }
                do {
                    let deferred = current.writer.takeDeferred()
                    try current.close()
                    lock.lock()
                    done.writer = current.writer
                    done.deferred = deferred
                    done.closed = true
                    lock.unlock()
                } catch { fail(error) }
                sink = nil
            }
        }
    }

    private func skips(_ segment: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return failedSegment.map { segment > $0 } ?? false
    }

    private var hasFailed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return failedSegment != nil
    }

    /// Starts the next segment, on the next worker in turn; ends the one being filled.
    func beginSegment() {
        if let current { try? queues[current].put(.end, weight: 0) }
        let number = outcomes.count + 1  // segment 0 is the layer's own file
        let worker = current.map { ($0 + 1) % queues.count } ?? 0
        let outcome = Outcome(number: number,
                              url: directory.appendingPathComponent(String(format: "%06d.%@", number, fileExtension)))
        outcomes.append(outcome)
        current = worker
        currentFill = 0
        try? queues[worker].put(.begin(outcome), weight: 0)
    }

    /// Hands features of the current segment to its worker (blocks while that worker's queue is
    /// full). Throws the earliest segment's error once a worker failed.
    func write(_ features: [PreparedFeature], weight: Int, firstIndex: Int) throws {
        if hasFailed { try finish() }
        guard let current else { throw ReplicaExportError(.invalidState, "segment written before it began") }
        try? queues[current].put(.batch(features, firstIndex: firstIndex), weight: weight)
        currentFill += weight
    }

    /// Ends the last segment and waits for every worker; returns the segments in order, or throws
    /// the error of the earliest segment that failed (the one an unsegmented writer would have met first).
    @discardableResult
    func finish() throws -> [Outcome] {
        if !joined {
            if let current { try? queues[current].put(.end, weight: 0) }
            current = nil
            queues.forEach { $0.finish() }
            threads.wait()
            joined = true
        }
        if let failure = outcomes.first(where: { $0.error != nil })?.error { throw failure }
        if let missing = outcomes.first(where: { !$0.closed }) {
            throw ReplicaExportError(.invalidState, "segment \(missing.number) of the layer was not written")
        }
        return outcomes
    }

    /// Stops the workers without waiting for their queues and waits for them to end (their
    /// datasets closed); the files stay for the caller to remove. Safe to call more than once.
    func cancel() {
        guard !joined else { return }
        lock.lock()
        failedSegment = -1
        lock.unlock()
        queues.forEach { $0.cancel() }
        threads.wait()
        joined = true
    }
}

/// Joins segment files onto the layer's first file, as a ``SegmentLayout`` says.
enum SegmentSplice {
    static let bufferSize = 4 << 20

    /// Appends `segments` (in order) to the file at `first`, which is the first segment.
    static func append(_ segments: [URL], to first: URL, layout: SegmentLayout, location: ErrorLocation) throws {
        switch layout {
        case .headerLine:
            try appendLines(segments, to: first, location: location)
        case .featureArray(let opening, let separator, let closing):
            try appendFeatures(segments, to: first, opening: Array(opening.utf8), separator: Array(separator.utf8),
                               closing: Array(closing.utf8), location: location)
        case .spliced(let splicer):
            try splicer.append(segments, first, location)
        }
    }

    /// ``SegmentLayout/headerLine``: later segments' header lines dropped.
    private static func appendLines(_ segments: [URL], to first: URL, location: ErrorLocation) throws {
        let output = try FileDescriptor(path: first.path, flags: O_RDWR, location: location)
        var buffer: [UInt8] = []
        let header = try csvHeader(of: output, path: first.path, location: location)
        try output.seek(to: output.size())
        for segment in segments {
            let input = try FileDescriptor(path: segment.path, flags: O_RDONLY, location: location)
            let size = try input.size()
            guard size > 0 else { continue }  // no header, no records
            let own = try csvHeader(of: input, path: segment.path, location: location)
            guard own == header else {
                throw mismatch("the header line of a later segment differs from the first's", location)
            }
            try copy(from: input, range: Int64(header.count)..<size, to: output, buffer: &buffer, location: location)
        }
        try output.close(location: location)
    }

    /// ``SegmentLayout/featureArray(opening:separator:closing:)``: the bodies joined with `separator`.
    private static func appendFeatures(_ segments: [URL], to first: URL, opening: [UInt8], separator: [UInt8],
                                       closing: [UInt8], location: ErrorLocation) throws {
        let output = try FileDescriptor(path: first.path, flags: O_RDWR, location: location)
        var buffer: [UInt8] = []
        let header = try arrayHeader(of: output, opening: opening, location: location)
        let firstSize = try output.size()
        guard firstSize >= Int64(header.count + closing.count),
              try output.read(at: firstSize - Int64(closing.count), count: closing.count) == closing else {
            throw mismatch("the first segment does not end as expected", location)
        }
        var wroteFeature = firstSize > Int64(header.count + closing.count)
        try output.truncate(to: firstSize - Int64(closing.count))
        try output.seek(to: firstSize - Int64(closing.count))
        for segment in segments {
            let input = try FileDescriptor(path: segment.path, flags: O_RDONLY, location: location)
            let size = try input.size()
            guard size >= Int64(header.count + closing.count),
                  try input.read(at: 0, count: header.count) == header,
                  try input.read(at: size - Int64(closing.count), count: closing.count) == closing else {
                throw mismatch("a later segment's header or end differs from the first's", location)
            }
            let body = Int64(header.count)..<(size - Int64(closing.count))
            guard !body.isEmpty else { continue }
            if wroteFeature { try output.write(separator, location: location) }
            try copy(from: input, range: body, to: output, buffer: &buffer, location: location)
            wroteFeature = true
        }
        try output.write(closing, location: location)
        try output.close(location: location)
    }

    static func mismatch(_ what: String, _ location: ErrorLocation) -> ReplicaExportError {
        ReplicaExportError(.invalidState, "joining the segments of the layer failed: \(what) (GDAL's file layout is not the expected one)",
                           at: location)
    }

    /// The first line (through its line break; line breaks inside double quotes do not count).
    private static func csvHeader(of file: FileDescriptor, path: String, location: ErrorLocation) throws -> [UInt8] {
        var header: [UInt8] = []
        var quoted = false
        var offset: Int64 = 0
        while true {
            let chunk = try file.read(at: offset, count: 64 << 10)
            guard !chunk.isEmpty else { throw mismatch("no header line in '\((path as NSString).lastPathComponent)'", location) }
            for (i, byte) in chunk.enumerated() {
                if byte == UInt8(ascii: "\"") { quoted.toggle() }
                if byte == UInt8(ascii: "\n") && !quoted {
                    header += chunk[...i]
                    return header
                }
            }
            header += chunk
            offset += Int64(chunk.count)
        }
    }

    /// The bytes through the first occurrence of `opening`.
    private static func arrayHeader(of file: FileDescriptor, opening: [UInt8], location: ErrorLocation) throws -> [UInt8] {
        var header: [UInt8] = []
        var offset: Int64 = 0
        while true {
            let chunk = try file.read(at: offset, count: 64 << 10)
            guard !chunk.isEmpty else { throw mismatch("no feature array in the first segment", location) }
            let searchFrom = max(0, header.count - opening.count + 1)
            header += chunk
            offset += Int64(chunk.count)
            if header.count >= opening.count {
                for start in searchFrom...(header.count - opening.count) where header[start..<(start + opening.count)].elementsEqual(opening) {
                    return Array(header[..<(start + opening.count)])
                }
            }
        }
    }

    /// Copies `range` of `input` to `output`'s position, in the kernel where it can; `buffer` (grown
    /// to ``bufferSize`` when needed) otherwise.
    static func copy(from input: FileDescriptor, range: Range<Int64>, to output: FileDescriptor,
                     buffer: inout [UInt8], location: ErrorLocation) throws {
        var offset = range.lowerBound
        // In the kernel where it can (no copy through user space); else through the buffer.
        while offset < range.upperBound, let copied = try output.copyRange(from: input, at: offset,
                                                                             count: Int(range.upperBound - offset)) {
            guard copied > 0 else { throw mismatch("a segment file ended early", location) }
            offset += Int64(copied)
        }
        if offset < range.upperBound && buffer.count < bufferSize { buffer = [UInt8](repeating: 0, count: bufferSize) }
        while offset < range.upperBound {
            let want = Int(min(Int64(buffer.count), range.upperBound - offset))
            let got = try buffer.withUnsafeMutableBytes { try input.read(into: $0.baseAddress!, at: offset, count: want) }
            guard got > 0 else { throw mismatch("a segment file ended early", location) }
            try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[..<got]), location: location) }
            offset += Int64(got)
        }
    }
}
