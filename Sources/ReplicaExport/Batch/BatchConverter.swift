import Foundation
import Synchronization

/// Converts every payload of a directory tree, several at once, into a mirrored output tree.
///
/// ```swift
/// let report = try BatchConverter(options: BatchOptions(
///     inputDirectory: URL(fileURLWithPath: "replicas"),
///     outputDirectory: URL(fileURLWithPath: "out"),
///     formats: ["filegdb", "geojson"])).run()
/// print(report.summary)
/// ```
///
/// Payloads are found by content (``ReplicaSources/detectFormat(of:)``), never by extension; layer
/// resources and every other file are listed in ``BatchReport/skipped``, never an error. Input
/// `a/b.json` is written to `<output>/a/b/<format>/...`.
///
/// ``BatchOptions/jobs`` workers each run one ``Exporter`` export at a time (exports share
/// nothing but the cancellation flag), so memory is bounded by that many conversions. An input that
/// fails is reported with its error and never stops the others.
///
/// Every input is written into a staging folder (`<output>/.replica-export-staging/<id>`) and its
/// format folders renamed into place only when its export succeeded: a failed, cancelled or killed
/// conversion leaves nothing in the output tree but its staging folder, which the next run removes.
public final class BatchConverter: Sendable {
    /// What to convert, where to, and how.
    public let options: BatchOptions
    /// The exporter every input goes through (its ``Exporter/registry`` decides the format names).
    public let exporter: Exporter

    /// The staging area inside the output directory.
    static let stagingName = ".replica-export-staging"
    /// The manifest inside each input's output folder.
    static let manifestName = ".replica-export-manifest.json"

    /// The steps of one input's conversion, for tests to act between them.
    enum Checkpoint: Sendable {
        /// The export wrote every format into the staging folder.
        case exported
        /// The formats are in place in the output folder; the manifest is not written yet.
        case installed
    }
    private let checkpoint: (@Sendable (Checkpoint, BatchInput, _ staging: URL, _ folder: URL) -> Void)?

    /// A converter for `options`; nothing is read or written until ``plan()`` or ``run(plan:monitor:)``.
    public init(options: BatchOptions, exporter: Exporter = Exporter()) {
        self.options = options
        self.exporter = exporter
        self.checkpoint = nil
    }

    /// `checkpoint` is called with the step, the input, its staging folder and its output folder.
    init(options: BatchOptions, exporter: Exporter = Exporter(),
         checkpoint: @escaping @Sendable (Checkpoint, BatchInput, _ staging: URL, _ folder: URL) -> Void) {
        self.options = options
        self.exporter = exporter
        self.checkpoint = checkpoint
    }

    /// Checks the options and walks the input tree: what would be converted and what is skipped.
    public func plan() throws -> BatchPlan {
        try validate()
        let output = options.outputDirectory.standardizedFileURL
        var plan = try BatchDiscovery.plan(root: options.inputDirectory, excluding: output,
                                           formatNames: exporter.registry.formatNames, mergePages: options.mergePages)
        if let shard = options.shard {
            // Output folders were decided over the whole tree, so every shard agrees on them.
            plan.inputs = plan.inputs.filter { shard.contains($0.path) }
            plan.skipped = plan.skipped.filter { shard.contains($0.path) }
        }
        return plan
    }

    /// Converts every input of `plan` (by default, of ``plan()``). Throws only when the batch cannot
    /// start (bad options, no input directory, an output directory that cannot be created, a plan
    /// that these options would not make); what happens to each input is in the report. The options
    /// are checked the same way whether the plan is given or not.
    public func run(plan given: BatchPlan? = nil, monitor: BatchProgressMonitor? = nil) throws -> BatchReport {
        let started = Date()
        let plan: BatchPlan
        if let given {
            try validate()
            try check(given)
            plan = given
        } else {
            plan = try self.plan()
        }
        let outputRoot = options.outputDirectory
        do {
            try FileManager.default.createDirectory(at: outputRoot, withIntermediateDirectories: true)
        } catch {
            throw ReplicaExportError(.fileSystem, "cannot create the output directory; check the path and permissions",
                                     at: ErrorLocation(output: outputRoot.path), cause: error as NSError)
        }

        // Largest first: the long conversions start early and the last ones to finish are short.
        let order = plan.inputs.indices.sorted {
            (plan.inputs[$0].bytes, plan.inputs[$1].path) > (plan.inputs[$1].bytes, plan.inputs[$0].path)
        }
        let monitor = monitor ?? BatchProgressMonitor()
        monitor.begin(plan.inputs)
        let results = ResultSlots(count: plan.inputs.count)
        let next = Mutex(0)
        let workers = max(1, min(options.jobs, plan.inputs.count))
        let group = DispatchGroup()
        for worker in 0..<workers {
            group.enter()
            startThread(name: "replica-export batch \(worker + 1)") { [self] in
                defer { group.leave() }
                while true {
                    let taken: Int? = next.withLock { position in
                        guard position < order.count, !options.cancellation.isCancelled else { return nil }
                        defer { position += 1 }
                        return order[position]
                    }
                    guard let index = taken else { return }
                    let input = plan.inputs[index]
                    monitor.started(input)
                    let entry = convert(input, monitor: monitor)
                    results.set(index, entry)
                    monitor.finished(input, entry)
                }
            }
        }
        group.wait()
        removeStagingAreaIfEmpty()

        let inputs = plan.inputs.indices.map { results.get($0) ?? BatchInputReport(input: plan.inputs[$0], status: .notStarted) }
        return BatchReport(inputDirectory: options.inputDirectory.path, outputDirectory: outputRoot.path,
                           settings: options.settings, shard: options.shard, cancelled: options.cancellation.isCancelled,
                           inputs: inputs, skipped: plan.skipped, seconds: Date().timeIntervalSince(started))
    }

    /// Refuses a plan these options would not have made: inputs outside the shard, or pages merged
    /// (or not) against ``BatchOptions/mergePages``.
    private func check(_ plan: BatchPlan) throws {
        if let shard = options.shard, let outside = plan.inputs.first(where: { !shard.contains($0.path) }) {
            throw ReplicaExportError(.invalidOption,
                                     "the plan holds \(outside.path), which is in shard \(BatchShard.shard(of: outside.path, count: shard.count))/\(shard.count), not \(shard); make the plan with this converter's plan()",
                                     at: ErrorLocation(input: outside.path))
        }
        if !options.mergePages, let group = plan.inputs.first(where: { $0.pages != nil }) {
            throw ReplicaExportError(.invalidOption,
                                     "the plan merges the pages \(group.path) but the options do not merge pages; make the plan with this converter's plan()",
                                     at: ErrorLocation(input: group.path))
        }
    }

    private func validate() throws {
        guard !options.formats.isEmpty else {
            throw ReplicaExportError(.unknownOutputFormat, "no output format given; choose from \(exporter.registry.formatNames.joined(separator: ", "))")
        }
        for name in options.formats where exporter.registry.profile(named: name) == nil {
            throw ReplicaExportError(.unknownOutputFormat, "'\(name)' is not an output format; choose from \(exporter.registry.formatNames.joined(separator: ", "))")
        }
        let lowered = options.formats.map { $0.lowercased() }
        if Set(lowered).count != lowered.count {
            throw ReplicaExportError(.invalidOption, "a format is named twice in \(options.formats.joined(separator: ","))")
        }
        guard options.jobs >= 1 else {
            throw ReplicaExportError(.invalidOption, "the number of jobs must be at least 1, got \(options.jobs)")
        }
        guard options.batchSize > 0 else {
            throw ReplicaExportError(.invalidOption, "batch size must be positive, got \(options.batchSize)")
        }
        if let deviation = options.maxDeviation, !(deviation > 0 && deviation.isFinite) {
            throw ReplicaExportError(.invalidOption, "maximum deviation must be a positive distance, got \(deviation)")
        }
        let input = try BatchDiscovery.realPath(options.inputDirectory.path, what: "the input directory")
        var outputPath = options.outputDirectory.standardizedFileURL.path
        if let resolved = try? BatchDiscovery.realPath(outputPath, what: "") { outputPath = resolved }
        if outputPath == input || input.hasPrefix(outputPath.hasSuffix("/") ? outputPath : outputPath + "/") {
            throw ReplicaExportError(.invalidOption, "the output directory must not be the input directory or hold it; give a folder beside or inside it",
                                     at: ErrorLocation(output: options.outputDirectory.path))
        }
    }

    // MARK: one input

    /// Converts one input; never throws: what went wrong is in the entry.
    func convert(_ input: BatchInput, monitor: BatchProgressMonitor) -> BatchInputReport {
        let clock = ContinuousClock.now
        func seconds() -> Double {
            let elapsed = ContinuousClock.now - clock
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        let root = options.inputDirectory
        let inputURL = root.appendingPathComponent(input.path)
        let schemaURL = input.schema.map { root.appendingPathComponent($0) }
        let folder = options.outputDirectory.appendingPathComponent(input.output, isDirectory: true)
        let staging = stagingFolder(for: input)
        let cancellation = options.cancellation
        do {
            guard let hashes = try hashes(of: input) else { return BatchInputReport(input: input, status: .cancelled, seconds: seconds()) }
            if options.resume, let manifest = completeManifest(for: input, in: folder, hashes: hashes) {
                return BatchInputReport(input: input, status: .skippedResume, layers: manifest.layers,
                                        featuresRead: manifest.featuresRead, features: manifest.features,
                                        losses: manifest.losses, warnings: manifest.warnings,
                                        outputBytes: manifest.outputBytes, seconds: seconds())
            }
            try prepareStaging(staging)
            let opened = try input.pages.map { pages in
                try ReplicaSources.openPages(pages.map { root.appendingPathComponent($0) }, schemaURL: schemaURL)
            } ?? ReplicaSources.open(inputURL, schemaURL: schemaURL)
            let source = CountingSource(opened) { monitor.read($0, in: input) }
            monitor.expect(source.expectedFeatures, in: input)
            let request = ExportRequest(input: inputURL, formats: options.formats, outputDirectory: staging,
                                        syncDataOptions: options.syncDataOptions, maxDeviation: options.maxDeviation,
                                        batchSize: options.batchSize, strict: options.strict, cancellation: cancellation)
            let report = try exporter.export(from: source, request: request)
            var entry = entry(for: input, report: report, seconds: 0)
            checkpoint?(.exported, input, staging, folder)
            // Removes the old manifest before anything in the folder changes.
            try install(report, from: staging, into: folder)
            checkpoint?(.installed, input, staging, folder)
            // The manifest last, only once every output is in place: a folder with a manifest is
            // complete. The outputs are in place already, so a cancellation no longer stops this
            // input; when anything before this line failed or was cancelled, no manifest is written.
            if entry.status == .converted {
                let files = try BatchManifest.files(in: folder, formats: options.settings.formats, shouldStop: { false }) ?? []
                let manifest = BatchManifest(
                    version: BatchManifest.currentVersion, input: input.path, inputBytes: hashes.inputBytes,
                    inputSHA256: hashes.input, schema: input.schema, schemaSHA256: hashes.schema, settings: options.settings.forOutputs,
                    files: files, layers: entry.layers ?? 0, featuresRead: entry.featuresRead ?? 0, features: entry.features,
                    losses: entry.losses, warnings: entry.warnings, pages: input.pages)
                try manifest.write(in: folder)
                entry.outputBytes = manifest.outputBytes
            } else {
                entry.outputBytes = options.settings.formats.reduce(0) { $0 + Self.size(of: folder.appendingPathComponent($1)) }
            }
            try? FileManager.default.removeItem(at: staging)
            entry.seconds = seconds()
            return entry
        } catch {
            try? FileManager.default.removeItem(at: staging)
            if let error = error as? ReplicaExportError, error.code == .cancelled, cancellation.isCancelled {
                return BatchInputReport(input: input, status: .cancelled, seconds: seconds())
            }
            return BatchInputReport(input: input, status: .failed, error: BatchInputError(relativized(error)),
                                    seconds: seconds())
        }
    }

    /// The SHA-256 of an input and its schema, which its manifest records; nil when cancelled meanwhile.
    struct InputHashes {
        var input: SHA256.Digest
        var inputBytes: Int64
        var schema: SHA256.Digest?
    }

    private func hashes(of input: BatchInput) throws -> InputHashes? {
        let root = options.inputDirectory
        let cancellation = options.cancellation
        func hash(_ relative: String) throws -> SHA256.Digest? {
            let url = root.appendingPathComponent(relative)
            do {
                return try SHA256.hash(fileAt: url, shouldStop: { cancellation.isCancelled })
            } catch {
                throw ReplicaExportError(.unreadable, "cannot be read: \(error.localizedDescription)",
                                         at: ErrorLocation(input: relative), cause: error as NSError)
            }
        }
        var inputHash: SHA256.Digest
        var bytes: Int64 = 0
        if let pages = input.pages {
            // Pages merged: one digest over every page's name and digest, in page order, so that a
            // page changed, added, removed or renamed makes the group another input.
            var combined: [UInt8] = []
            for page in pages {
                guard let digest = try hash(page) else { return nil }
                combined += Array(page.utf8) + [0] + Array(digest.hex.utf8) + [0x0A]
                bytes += (try? FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(page).path)[.size] as? Int64)
                    .flatMap { $0 } ?? 0
            }
            inputHash = SHA256.hash(combined)
        } else {
            guard let digest = try hash(input.path) else { return nil }
            inputHash = digest
            bytes = (try? FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(input.path).path)[.size] as? Int64)
                .flatMap { $0 } ?? input.bytes
        }
        var schemaHash: SHA256.Digest?
        if let schema = input.schema {
            guard let digest = try hash(schema) else { return nil }
            schemaHash = digest
        }
        return InputHashes(input: inputHash, inputBytes: bytes, schema: schemaHash)
    }

    /// The manifest of `folder` when it shows the outputs complete for this input (same bytes), this
    /// schema and these settings.
    func completeManifest(for input: BatchInput, in folder: URL, hashes: InputHashes) -> BatchManifest? {
        guard let manifest = BatchManifest.read(in: folder), manifest.version == BatchManifest.currentVersion,
              manifest.input == input.path, manifest.inputSHA256 == hashes.input, manifest.inputBytes == hashes.inputBytes,
              manifest.schema == input.schema, manifest.schemaSHA256 == hashes.schema,
              manifest.settings == options.settings.forOutputs, manifest.pages == input.pages,
              manifest.filesArePresent(in: folder) else { return nil }
        return manifest
    }

    /// Whether ``BatchOptions/resume`` would skip `input` (for a dry run).
    public func wouldResume(_ input: BatchInput) -> Bool {
        guard options.resume, let hashes = try? hashes(of: input) else { return false }
        let folder = options.outputDirectory.appendingPathComponent(input.output, isDirectory: true)
        return completeManifest(for: input, in: folder, hashes: hashes) != nil
    }

    /// The entry of an input the exporter converted (a format may have failed).
    private func entry(for input: BatchInput, report: ExportReport, seconds: Double) -> BatchInputReport {
        let diagnostics = report.diagnostics.map(relativized)
        let losses = diagnostics.filter { $0.severity == .loss }
        var features: [String: Int] = [:]
        for format in report.outputs.keys { features[format] = report.featuresWritten(format: format) }
        let failures = report.failures
        return BatchInputReport(
            input: input, status: failures.isEmpty ? .converted : .failed, layers: report.replica.layers.count,
            featuresRead: report.featuresRead.values.reduce(0, +), features: features, losses: losses,
            warnings: diagnostics.count - losses.count,
            error: failures.first.map { BatchInputError($0).relativized(root: inputRootPrefixes) },
            failedFormats: failures.map(\.format), seconds: seconds)
    }

    /// Puts the formats the export wrote in place of what an earlier run left in the input's output
    /// folder. The manifest goes first, so that the folder never claims to be complete while it is
    /// changing; each old format folder is renamed aside (into the staging folder) before the new one
    /// is renamed in, so a format is always either the old one, the new one, or absent. A format
    /// that failed loses its old folder too: it would not match the input any more.
    private func install(_ report: ExportReport, from staging: URL, into folder: URL) throws {
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
            BatchManifest.remove(in: folder)
            for format in options.settings.formats {
                let written = staging.appendingPathComponent(format, isDirectory: true)
                let target = folder.appendingPathComponent(format, isDirectory: true)
                if fileManager.fileExists(atPath: target.path) {
                    try fileManager.moveItem(at: target, to: staging.appendingPathComponent(".old-" + format))
                }
                if report.outputs[format] != nil {
                    // A format the export says it wrote must be there to move: installing the others
                    // and writing the manifest would claim an output that was never committed.
                    guard fileManager.fileExists(atPath: written.path) else {
                        throw ReplicaExportError(.fileSystem, "the \(format) output the export wrote is not in its staging folder \(written.path) any more; convert the input again",
                                                 at: ErrorLocation(format: format, output: folder.path))
                    }
                    try fileManager.moveItem(at: written, to: target)
                }
            }
        } catch let error as ReplicaExportError {
            throw error
        } catch {
            throw ReplicaExportError(.fileSystem, "moving the outputs into place failed: \(error.localizedDescription)",
                                     at: ErrorLocation(output: folder.path), cause: error as NSError)
        }
    }

    // MARK: staging

    /// The staging folder of one input: named after its output folder, so that the next run that
    /// converts the input removes what a killed run left.
    func stagingFolder(for input: BatchInput) -> URL {
        options.outputDirectory.appendingPathComponent(Self.stagingName, isDirectory: true)
            .appendingPathComponent(SHA256.hash(Array(input.output.utf8)).hex, isDirectory: true)
    }

    /// Removes a staging folder a killed run left, and makes sure its parent exists.
    private func prepareStaging(_ staging: URL) throws {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: staging.path) { try? fileManager.removeItem(at: staging) }
        var lastError: (any Error)?
        // Another process of a sharded batch may remove the empty staging area between our steps.
        for _ in 0..<3 {
            do {
                try fileManager.createDirectory(at: staging.deletingLastPathComponent(), withIntermediateDirectories: true)
                return
            } catch {
                lastError = error
            }
        }
        throw ReplicaExportError(.fileSystem, "cannot create the staging folder: \(lastError?.localizedDescription ?? "")",
                                 at: ErrorLocation(output: staging.path), cause: lastError.map { $0 as NSError })
    }

    private func removeStagingAreaIfEmpty() {
        let area = options.outputDirectory.appendingPathComponent(Self.stagingName)
        rmdir(area.path)  // fails, harmlessly, unless empty
    }

    // MARK: paths in reports

    /// The input directory as given and as resolved: paths under it are reported relative to it.
    private var inputRootPrefixes: [String] {
        var prefixes = [options.inputDirectory.standardizedFileURL.path]
        if let resolved = try? BatchDiscovery.realPath(options.inputDirectory.path, what: "") { prefixes.append(resolved) }
        return prefixes.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
    }

    private func relativized(_ error: any Error) -> any Error {
        guard var error = error as? ReplicaExportError else { return error }
        error.location = error.location.relativized(root: inputRootPrefixes)
        return error
    }

    private func relativized(_ diagnostic: Diagnostic) -> Diagnostic {
        var copy = diagnostic
        copy.location = diagnostic.location.relativized(root: inputRootPrefixes)
        return copy
    }

    /// Bytes of the regular files under `url`.
    static func size(of url: URL) -> Int64 {
        var total: Int64 = 0
        let keys: [URLResourceKey] = [.fileSizeKey, .isRegularFileKey]
        guard let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: keys) else { return 0 }
        for case let file as URL in enumerator {
            if let values = try? file.resourceValues(forKeys: Set(keys)), values.isRegularFile == true {
                total += Int64(values.fileSize ?? 0)
            }
        }
        return total
    }
}

extension ErrorLocation {
    /// The input path relative to the batch's input directory, so that reports of shards that
    /// mount the tree in different places agree.
    func relativized(root prefixes: [String]) -> ErrorLocation {
        guard let input, let prefix = prefixes.first(where: { input.hasPrefix($0) }) else { return self }
        var copy = self
        copy.input = String(input.dropFirst(prefix.count))
        return copy
    }
}

extension BatchInputError {
    func relativized(root prefixes: [String]) -> BatchInputError {
        var copy = self
        copy.location = location.relativized(root: prefixes)
        return copy
    }
}

/// Per input, the entry a worker wrote; read once every worker finished.
private final class ResultSlots: Sendable {
    private let slots: Mutex<[BatchInputReport?]>
    init(count: Int) { slots = Mutex([BatchInputReport?](repeating: nil, count: count)) }
    func set(_ index: Int, _ value: BatchInputReport) { slots.withLock { $0[index] = value } }
    func get(_ index: Int) -> BatchInputReport? { slots.withLock { $0[index] } }
}
