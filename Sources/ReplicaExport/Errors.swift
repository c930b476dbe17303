/// Where something happened: as much of file, layer, feature and byte offset as is known.
public struct ErrorLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var layer: String?
    /// Zero-based index of the feature (row) within its layer.
    public var featureIndex: Int?
    /// Byte offset into the file.
    public var byteOffset: Int?
    /// Extra context such as a table name and row id or a JSON key path.
    public var detail: String?

    public init(file: String? = nil, layer: String? = nil, featureIndex: Int? = nil,
                byteOffset: Int? = nil, detail: String? = nil) {
        self.file = file
        self.layer = layer
        self.featureIndex = featureIndex
        self.byteOffset = byteOffset
        self.detail = detail
    }

    public var isEmpty: Bool {
        file == nil && layer == nil && featureIndex == nil && byteOffset == nil && detail == nil
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let layer { parts.append("layer '\(layer)'") }
        if let featureIndex { parts.append("feature \(featureIndex)") }
        if let byteOffset { parts.append("byte \(byteOffset)") }
        if let detail { parts.append(detail) }
        return parts.joined(separator: ", ")
    }

    /// This location with the gaps filled from `outer` (what an enclosing layer of code knows).
    public func filled(from outer: ErrorLocation) -> ErrorLocation {
        ErrorLocation(file: file ?? outer.file, layer: layer ?? outer.layer,
                      featureIndex: featureIndex ?? outer.featureIndex,
                      byteOffset: byteOffset ?? outer.byteOffset, detail: detail ?? outer.detail)
    }
}

/// What every error of this library offers: a stable code, a message that says what went wrong and
/// what to do, where it happened, and the underlying cause.
public protocol ReplicaExportError: Error, CustomStringConvertible, Sendable {
    associatedtype Code: RawRepresentable & Sendable where Code.RawValue == String
    var code: Code { get }
    var message: String { get }
    var location: ErrorLocation { get set }
    var cause: (any Error & Sendable)? { get }
}

extension ReplicaExportError {
    public var description: String {
        var text = location.isEmpty ? message : "\(location): \(message)"
        if let cause { text += " (cause: \(cause))" }
        return text
    }
}

/// Reading an input failed: it is missing, unreadable, malformed or of an unsupported kind.
public struct ReadingError: ReplicaExportError {
    public enum Code: String, Sendable {
        case fileNotFound, unreadable, unknownFormat, syntax, unexpectedType, truncated,
             pointerPayload, notAReplica, unsupported, schemaMismatch, corrupt
    }
    public var code: Code
    public var message: String
    public var location: ErrorLocation
    public var cause: (any Error & Sendable)?
    public init(_ code: Code, _ message: String, at location: ErrorLocation = .init(), cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.cause = cause
    }
}

/// A geometry could not be interpreted or prepared (degenerate curve, invalid parameters).
public struct GeometryError: ReplicaExportError {
    public enum Code: String, Sendable { case invalidCurve, invalidGeometry, unsupported }
    public var code: Code
    public var message: String
    public var location: ErrorLocation
    public var cause: (any Error & Sendable)?
    public init(_ code: Code, _ message: String, at location: ErrorLocation = .init(), cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.cause = cause
    }
}

/// Writing an output failed, in GDAL or on the file system.
public struct WritingError: ReplicaExportError {
    public enum Code: String, Sendable {
        case gdal, outputExists, fileSystem, dataLoss, unsupported
    }
    public var code: Code
    public var message: String
    public var location: ErrorLocation
    public var cause: (any Error & Sendable)?
    public init(_ code: Code, _ message: String, at location: ErrorLocation = .init(), cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.cause = cause
    }
}

/// The export request itself is wrong (unknown format, bad option).
public struct ExportError: ReplicaExportError {
    public enum Code: String, Sendable { case unknownFormat, invalidOption, outputExists, fileSystem }
    public var code: Code
    public var message: String
    public var location: ErrorLocation
    public var cause: (any Error & Sendable)?
    public init(_ code: Code, _ message: String, at location: ErrorLocation = .init(), cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.cause = cause
    }
}

/// Something the user should know that did not stop the export (an inferred schema, densified
/// curves, a renamed field).
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var location: ErrorLocation
    public init(_ message: String, at location: ErrorLocation = .init()) {
        self.message = message
        self.location = location
    }
    public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}

/// Collects diagnostics up to a limit and counts the rest, so that one flaw repeated in a million
/// features is one readable warning list, not a million lines.
public struct DiagnosticLog: Sendable {
    public private(set) var entries: [Diagnostic] = []
    public private(set) var omitted = 0
    public let limit: Int

    public init(limit: Int = 50) { self.limit = limit }

    public mutating func append(_ diagnostic: Diagnostic) {
        if entries.count < limit { entries.append(diagnostic) } else { omitted += 1 }
    }

    public mutating func append(contentsOf diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics { append(diagnostic) }
    }

    /// The entries, plus one line that says how many were left out.
    public var all: [Diagnostic] {
        omitted == 0 ? entries : entries + [Diagnostic("\(omitted) more warnings like these were not listed")]
    }
}
