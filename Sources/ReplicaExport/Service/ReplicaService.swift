import Foundation
import Synchronization

/// What a feature service answers to a createReplica export (`syncModel=none`).
public struct CreateReplicaResponse: Sendable, Equatable, Codable {
    /// The request's `replicaName`, else `replica`; it names the result file.
    public var replicaName: String
    /// A new GUID in braces: an export creates no replica to sync, but ArcGIS still names it.
    public var replicaID: String
    /// Always `esriReplicaResponseTypeData`.
    public var responseType: String
    /// The request's `transportType`.
    public var transportType: String
    /// Where the client downloads the result: the service's base URL + `<replicaID>/<file>`.
    public var resultUrl: String
    /// Milliseconds since 1970 (UTC).
    public var submissionTime: Int64
    /// When the export finished, milliseconds since 1970 (UTC).
    public var lastUpdatedTime: Int64
    /// `Completed` for a synchronous answer; see ``ReplicaJob`` for `async=true`.
    public var status: String

    /// The JSON a service sends back; `pretty` for `f=pjson`.
    public func json(pretty: Bool = false) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }
}

/// The library as a feature service uses it: one call turns a parsed createReplica request and
/// the replica payload into the result file and the response JSON.
///
/// Outputs: `workDirectory/<replicaID>/<replicaName>.<ext>`, where `<ext>` is `zip` for filegdb,
/// shapefile, geopackage and json (the payload with its layer resources and attachment files) and
/// for csv / geojson with several layers, else `csv` / `geojson` / `json` (a feature collection,
/// which holds every layer in one file).
/// Zip layout: filegdb `<replicaName>.gdb/...`; shapefile `<layer>.shp/.shx/.dbf/.prj/.cpg` (and
/// `<layer>.fieldnames.csv` where names were shortened) at the root; geopackage
/// `<replicaName>.gpkg`; csv / geojson one file per layer (with `.csvt` / `.prj` side files for
/// csv) at the root; json `<replicaName>.json`, `<replicaName>.layers.json` and `attachments/`. Work files are staged in a hidden folder of `workDirectory` and removed; a
/// failed or cancelled export leaves nothing in `workDirectory`.
///
/// Thread safety: a `ReplicaService` is a value holding an ``Exporter``; any number of exports
/// may run at once on different threads (each opens its own source and writers).
public struct ReplicaService: Sendable {
    /// The exporter that writes each request's format.
    public var exporter: Exporter

    /// A service exporting through `exporter`.
    public init(exporter: Exporter = Exporter()) {
        self.exporter = exporter
    }

    /// The formats this service exports, as a feature service advertises them in its
    /// `supportedExportFormats` (ArcGIS's spelling, comma-separated): every format of the
    /// exporter's registry.
    public var supportedExportFormats: String {
        exporter.registry.formatNames.compactMap { exporter.registry.profile(named: $0)?.arcGISName }.joined(separator: ",")
    }

    /// Runs the export and answers it. Throws ``ReplicaExportError``; give any error to
    /// ``ServiceError/init(_:)`` for the answer (400 for the request, 500 for the payload).
    public func export(_ parameters: CreateReplicaParameters, input: URL, workDirectory: URL, resultBaseURL: URL,
                       schema: URL? = nil, cancellation: ExportCancellation? = nil,
                       progress: (@Sendable (ExportProgress) -> Void)? = nil) throws -> CreateReplicaResponse {
        try run(parameters, input: input, workDirectory: workDirectory, resultBaseURL: resultBaseURL,
                replicaID: "{\(UUID().uuidString)}", submissionTime: Self.now(), schema: schema,
                cancellation: cancellation, progress: progress)
    }

    /// The export, for async callers: runs on its own thread and stops within a batch when the
    /// calling task is cancelled, leaving nothing behind (it then throws ``ReplicaExportError``
    /// with code ``ReplicaExportError/Code/cancelled``).
    public func export(_ parameters: CreateReplicaParameters, input: URL, workDirectory: URL, resultBaseURL: URL,
                       schema: URL? = nil, progress: (@Sendable (ExportProgress) -> Void)? = nil) async throws -> CreateReplicaResponse {
        let cancellation = ExportCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                startThread(name: "replica-export service") {
                    continuation.resume(with: Result {
                        try self.export(parameters, input: input, workDirectory: workDirectory, resultBaseURL: resultBaseURL,
                                        schema: schema, cancellation: cancellation, progress: progress)
                    })
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Starts the export in the background for `async=true` and returns at once; the service
    /// answers `{"statusUrl": ...}` (``ReplicaJob/submissionResponse``) and serves
    /// ``ReplicaJob/statusDocument()`` at that URL. The status URL is `resultBaseURL/<replicaID>/status`.
    public func submit(_ parameters: CreateReplicaParameters, input: URL, workDirectory: URL, resultBaseURL: URL,
                       schema: URL? = nil, progress: (@Sendable (ExportProgress) -> Void)? = nil) -> ReplicaJob {
        let replicaID = "{\(UUID().uuidString)}"
        let submitted = Self.now()
        let job = ReplicaJob(replicaID: replicaID, replicaName: Self.name(parameters),
                             statusUrl: Self.folderURL(resultBaseURL, replicaID).appendingPathComponent("status").absoluteString,
                             transportType: parameters.transportType.rawValue, submissionTime: submitted)
        startThread(name: "replica-export job") {
            do {
                let response = try self.run(parameters, input: input, workDirectory: workDirectory, resultBaseURL: resultBaseURL,
                                            replicaID: replicaID, submissionTime: submitted, schema: schema,
                                            cancellation: job.cancellation, progress: progress)
                job.finish(.success(response))
            } catch {
                job.finish(.failure(ServiceError(error)))
            }
        }
        return job
    }

    // MARK: - The run

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    static func name(_ parameters: CreateReplicaParameters) -> String { parameters.replicaName ?? "replica" }

    /// The folder of one result: braces are dropped from the GUID so that the URL needs no escaping.
    static func folderName(_ replicaID: String) -> String { replicaID.trimmingCharacters(in: CharacterSet(charactersIn: "{}")) }

    static func folderURL(_ base: URL, _ replicaID: String) -> URL {
        base.appendingPathComponent(folderName(replicaID), isDirectory: true)
    }

    private func run(_ parameters: CreateReplicaParameters, input: URL, workDirectory: URL, resultBaseURL: URL,
                     replicaID: String, submissionTime: Int64, schema: URL?, cancellation: ExportCancellation?,
                     progress: (@Sendable (ExportProgress) -> Void)?) throws -> CreateReplicaResponse {
        let name = Self.name(parameters)
        let folder = Self.folderName(replicaID)
        let staging = workDirectory.appendingPathComponent(".\(folder).staging", isDirectory: true)
        let resultFolder = workDirectory.appendingPathComponent(folder, isDirectory: true)
        var request = ExportRequest(parameters, input: input, outputDirectory: staging, schema: schema, cancellation: cancellation)
        request.replicaName = name
        request.replicaID = replicaID
        request.progress = progress
        do {
            try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
            let report: ExportReport
            do {
                report = try exporter.export(request)
            } catch let error as ReplicaExportError where error.code == .invalidOption && error.message.hasPrefix("layer ") {
                // The exporter's own check of the layer ids; the client knows it as `layers`.
                throw ReplicaExportError.invalidParameter("layers", error.message)
            }
            try cancellation?.check()
            let outputs = report.outputs[parameters.dataFormat.name] ?? []
            guard !outputs.isEmpty else {
                throw report.failures.first.map { failure in
                    ReplicaExportError(failure.code, failure.message, at: failure.location)
                } ?? ReplicaExportError(.invalidState, "the export wrote no output")
            }
            try FileManager.default.createDirectory(at: resultFolder, withIntermediateDirectories: true)
            let formatFolder = staging.appendingPathComponent(parameters.dataFormat.name, isDirectory: true)
            let result: URL
            // One file (a layer's CSV; a workbook or KMZ of every layer) goes as it is, unless
            // attachments lie beside it; several files, or attachments, as a zip.
            let files = Set(outputs.map(\.url.lastPathComponent))
            let attachments = formatFolder.appendingPathComponent(AttachmentSidecar.folder).path
            if !parameters.dataFormat.alwaysZipped, files.count == 1, !FileManager.default.fileExists(atPath: attachments) {
                let file = outputs[0].url
                result = resultFolder.appendingPathComponent(name + "." + file.pathExtension)
                try FileManager.default.moveItem(at: file, to: result)
            } else {
                result = resultFolder.appendingPathComponent(name + ".zip")
                try ZipArchive.zipDirectory(formatFolder, to: result)
            }
            try? FileManager.default.removeItem(at: staging)
            return CreateReplicaResponse(
                replicaName: name, replicaID: replicaID, responseType: "esriReplicaResponseTypeData",
                transportType: parameters.transportType.rawValue,
                resultUrl: Self.folderURL(resultBaseURL, replicaID).appendingPathComponent(result.lastPathComponent).absoluteString,
                submissionTime: submissionTime, lastUpdatedTime: Self.now(), status: "Completed")
        } catch {
            try? FileManager.default.removeItem(at: staging)
            try? FileManager.default.removeItem(at: resultFolder)
            if let error = error as? ReplicaExportError { throw error }
            throw ReplicaExportError(.fileSystem, "cannot write the export's result", at: ErrorLocation(output: resultFolder.path),
                                     cause: error as NSError)
        }
    }
}

/// An export running in the background (`async=true`): poll ``statusDocument()``.
public final class ReplicaJob: Sendable {
    /// `Pending` while the export runs, then `Completed` or `Failed`: the status document's `status`.
    public enum Status: String, Sendable, Codable { case pending = "Pending", completed = "Completed", failed = "Failed" }

    /// The id of the export, a new GUID in braces; the result folder is named after it without braces.
    public let replicaID: String
    /// The request's `replicaName`, else `replica`.
    public let replicaName: String
    /// Where the service serves ``statusDocument()``.
    public let statusUrl: String
    /// The request's `transportType`, echoed in the status document.
    public let transportType: String
    /// When the job was submitted, milliseconds since 1970 (UTC).
    public let submissionTime: Int64
    /// Cancels the job; it then fails with code 400 `cancelled` and leaves nothing.
    public let cancellation = ExportCancellation()

    private struct State {
        var result: Result<CreateReplicaResponse, ServiceError>?
        var lastUpdated: Int64
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    init(replicaID: String, replicaName: String, statusUrl: String, transportType: String, submissionTime: Int64) {
        self.replicaID = replicaID
        self.replicaName = replicaName
        self.statusUrl = statusUrl
        self.transportType = transportType
        self.submissionTime = submissionTime
        state = Mutex(State(lastUpdated: submissionTime))
    }

    /// The immediate answer to an `async=true` request: `{"statusUrl": "..."}`.
    public func submissionResponse() -> Data {
        (try? JSONSerialization.data(withJSONObject: ["statusUrl": statusUrl], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// Where the job is now.
    public var status: Status {
        state.withLock { state in
            switch state.result {
            case nil: return .pending
            case .success?: return .completed
            case .failure?: return .failed
            }
        }
    }

    /// The response once completed, the error once failed, nil while pending.
    public var result: Result<CreateReplicaResponse, ServiceError>? { state.withLock { $0.result } }

    /// The status document a client polls: replicaName, replicaID, status, submissionTime,
    /// lastUpdatedTime, responseType, transportType; resultUrl once completed; error once failed.
    public func statusDocument() -> Data {
        let (result, lastUpdated) = state.withLock { ($0.result, $0.lastUpdated) }
        var document: [String: Any] = [
            "replicaName": replicaName, "replicaID": replicaID, "status": status.rawValue,
            "submissionTime": submissionTime, "lastUpdatedTime": lastUpdated,
            "responseType": "esriReplicaResponseTypeData", "transportType": transportType,
        ]
        switch result {
        case .success(let response)?: document["resultUrl"] = response.resultUrl
        case .failure(let error)?: document["error"] = ["code": error.code, "message": error.message, "details": error.details]
        case nil: break
        }
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// Returns once the job has completed or failed.
    public func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.result != nil { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    func finish(_ result: Result<CreateReplicaResponse, ServiceError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.result = result
            state.lastUpdated = (try? result.get().lastUpdatedTime) ?? ReplicaService.now()
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }
}
