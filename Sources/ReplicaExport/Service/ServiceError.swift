import Foundation

/// An error as an ArcGIS feature service answers it:
/// `{"error":{"code":400,"message":"...","details":["..."]}}`.
///
/// Build one from any error the library throws with ``init(_:)``: an error whose
/// ``ReplicaExportError/fault`` is ``ReplicaExportError/Fault/request`` (the client asked for
/// something invalid) is code 400; everything else (a bad payload, an output that could not be
/// written, a library fault) is code 500 with the location in `details`.
public struct ServiceError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// The HTTP-like status: 400 for an invalid request, 500 for a failed export.
    public var code: Int
    /// What went wrong; for a 400 it names the parameter.
    public var message: String
    /// Where it happened and what to do, one item per line.
    public var details: [String]

    /// An answer with these members, as given.
    public init(code: Int, message: String, details: [String] = []) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// The answer to `error`, classified by its fault (see the type's documentation).
    public init(_ error: any Error) {
        if let error = error as? ServiceError {
            self = error
        } else if let error = error as? ReplicaExportError {
            var details: [String] = []
            if !error.location.isEmpty { details.append(error.location.description) }
            if let cause = error.cause { details.append("cause: \(cause)") }
            details.append("code: \(error.code)")
            self.init(code: error.fault == .request ? 400 : 500, message: error.message, details: details)
        } else {
            self.init(code: 500, message: "the export failed: \(error)", details: [])
        }
    }

    private struct Envelope: Codable { var error: ServiceError }

    /// The JSON a service sends back: `{"error":{"code":...,"message":...,"details":[...]}}`.
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding three plain members cannot fail.
        return (try? encoder.encode(Envelope(error: self))) ?? Data()
    }

    /// `error <code>: message (detail; detail)`.
    public var description: String {
        "error \(code): \(message)" + (details.isEmpty ? "" : " (\(details.joined(separator: "; ")))")
    }
}

extension ReplicaExportError {
    /// An invalid createReplica parameter: a request error whose message and location name it.
    static func invalidParameter(_ name: String, _ message: String) -> ReplicaExportError {
        ReplicaExportError(.invalidOption, "\(name): \(message)", at: ErrorLocation(detail: "parameter \(name)"))
    }
}
