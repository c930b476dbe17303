/// The one error type of this library, in the shape of swift-nio's `FileSystemError`: a stable,
/// extensible ``Code``, a message that says what went wrong and what to do, where it happened
/// (``ErrorLocation``), and the underlying cause when there is one (``GDALCallError``,
/// ``SQLiteError``, a Foundation error).
///
/// Messages speak of the library's own options, never of command-line flags: a front end adds its
/// own wording (see ``ErrorLocation`` and ``ReplicaExportError/Code/fault``).
public struct ReplicaExportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable code to match on; its ``Code/fault`` says who has to act.
    public var code: Code
    /// What went wrong and what to do, in words.
    public var message: String
    /// Where it happened, as far as known.
    public var location: ErrorLocation
    /// What failed underneath, when something did.
    public var cause: (any Error & Sendable)?

    /// An error with `code`, `message`, where it happened and what failed underneath.
    public init(_ code: Code, _ message: String, at location: ErrorLocation = .init(),
                cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.cause = cause
    }

    /// Who is at fault, for a service that maps errors to responses.
    public var fault: Fault { code.fault }

    /// `[code] where: message (cause: ...)`, on one line (line breaks a cause or a message
    /// quoted from elsewhere may hold become spaces).
    public var description: String {
        var text = "[\(code)] " + (location.isEmpty ? message : "\(location): \(message)")
        if let cause { text += " (cause: \(cause))" }
        guard text.contains(where: \.isNewline) else { return text }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// A copy whose location has its gaps filled from `outer` (what an enclosing layer of code knows).
    func located(_ outer: ErrorLocation) -> ReplicaExportError {
        var copy = self
        copy.location = location.filled(from: outer)
        return copy
    }
}

extension ReplicaExportError {
    /// Who has to act on an error.
    public enum Fault: String, Sendable, Codable {
        /// The request is wrong (an unknown format, an invalid option): a service answers 400.
        case request
        /// The payload is wrong (missing, malformed, corrupt, unsupported content).
        case input
        /// Writing the outputs failed (file system, GDAL).
        case output
        /// The library itself misbehaved; please report it.
        case `internal`
    }

    /// A stable error code. New codes may be added in any release: match the ones you handle and
    /// keep a default branch.
    public struct Code: Hashable, Sendable, CustomStringConvertible, Codable {
        /// The code's stable name, as it appears in descriptions and reports.
        public let name: String
        /// Who has to act on an error with this code.
        public let fault: Fault

        private init(_ name: String, _ fault: Fault) {
            self.name = name
            self.fault = fault
        }

        /// The code's ``name``.
        public var description: String { name }

        // The request.
        /// An option of the request is invalid (a negative batch size, an unknown layer id, ...).
        public static let invalidOption = Code("invalidOption", .request)
        /// An output format nobody registered.
        public static let unknownOutputFormat = Code("unknownOutputFormat", .request)
        /// An output exists and the request does not allow replacing it.
        public static let outputExists = Code("outputExists", .request)
        /// The caller cancelled the export (``ExportCancellation``); nothing was committed.
        public static let cancelled = Code("cancelled", .request)

        // The input.
        /// The input file does not exist.
        public static let fileNotFound = Code("fileNotFound", .input)
        /// The input cannot be opened or read (permissions, a directory, an I/O error).
        public static let unreadable = Code("unreadable", .input)
        /// The input is neither Esri JSON nor a mobile geodatabase.
        public static let unknownFormat = Code("unknownFormat", .input)
        /// The JSON is not well formed.
        public static let syntax = Code("syntax", .input)
        /// A JSON value or a column has a type its place does not allow.
        public static let unexpectedType = Code("unexpectedType", .input)
        /// The input ends early.
        public static let truncated = Code("truncated", .input)
        /// The payload only points at the data (`statusUrl`, `resultUrl`): fetch it first.
        public static let pointerPayload = Code("pointerPayload", .input)
        /// Well formed, but not a replica (a sync delta, a layer resource, an unrelated database).
        public static let notAReplica = Code("notAReplica", .input)
        /// Content this library does not read (an unknown field type or geometry code).
        public static let unsupported = Code("unsupported", .input)
        /// The schema and the payload contradict each other.
        public static let schemaMismatch = Code("schemaMismatch", .input)
        /// The file is damaged (SQLite integrity, an undecodable shape blob).
        public static let corrupt = Code("corrupt", .input)
        /// A curve's parameters describe no curve.
        public static let invalidCurve = Code("invalidCurve", .input)
        /// A geometry cannot be interpreted.
        public static let invalidGeometry = Code("invalidGeometry", .input)
        /// A geometry form this library cannot prepare.
        public static let unsupportedGeometry = Code("unsupportedGeometry", .input)
        /// One value or geometry would need more memory than the machine has available.
        public static let tooLarge = Code("tooLarge", .input)

        // The outputs.
        /// A GDAL call failed; the cause is a ``GDALCallError``.
        public static let gdal = Code("gdal", .output)
        /// Creating, moving or removing an output on the file system failed.
        public static let fileSystem = Code("fileSystem", .output)
        /// A value cannot be written as given and the request does not allow losses.
        public static let dataLoss = Code("dataLoss", .output)

        /// The library was used against its contract (a writer called out of order).
        public static let invalidState = Code("invalidState", .internal)

        private static let all: [Code] = [
            .invalidOption, .unknownOutputFormat, .outputExists, .cancelled, .fileNotFound, .unreadable, .unknownFormat,
            .syntax, .unexpectedType, .truncated, .pointerPayload, .notAReplica, .unsupported, .schemaMismatch, .tooLarge,
            .corrupt, .invalidCurve, .invalidGeometry, .unsupportedGeometry, .gdal, .fileSystem, .dataLoss,
            .invalidState,
        ]

        /// Decodes a code from its name; a name this library does not know decodes as a code of that
        /// name whose fault is ``ReplicaExportError/Fault/internal``.
        public init(from decoder: any Decoder) throws {
            let name = try decoder.singleValueContainer().decode(String.self)
            self = Self.all.first { $0.name == name } ?? Code(name, .internal)
        }

        /// Encodes the code as its name (a JSON string).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(name)
        }

        /// Codes are equal when their names are.
        public static func == (a: Code, b: Code) -> Bool { a.name == b.name }
        /// Hashes the name, as ``==`` compares it.
        public func hash(into hasher: inout Hasher) { hasher.combine(name) }
    }
}

/// Where something happened: as much of the input (file, layer, feature and OBJECTID, row, byte
/// offset, field) and of the output (format, file) as is known.
public struct ErrorLocation: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The input file.
    public var input: String?
    /// The layer or table, by name.
    public var layer: String?
    /// Zero-based index of the feature within its layer.
    public var featureIndex: Int?
    /// The feature's ObjectID, when known.
    public var objectID: Int64?
    /// The row id in a geodatabase table.
    public var row: Int64?
    /// Byte offset into the input file.
    public var byteOffset: Int?
    /// The field (attribute) concerned.
    public var field: String?
    /// Extra context: a table name, a JSON key path, "part 2, segment 5", an SQL statement.
    public var detail: String?
    /// The output format (`filegdb`, ...).
    public var format: String?
    /// The output file, relative to its format's folder or absolute.
    public var output: String?

    /// A location; give what is known, leave the rest nil.
    public init(input: String? = nil, layer: String? = nil, featureIndex: Int? = nil, objectID: Int64? = nil,
                row: Int64? = nil, byteOffset: Int? = nil, field: String? = nil, detail: String? = nil,
                format: String? = nil, output: String? = nil) {
        self.input = input
        self.layer = layer
        self.featureIndex = featureIndex
        self.objectID = objectID
        self.row = row
        self.byteOffset = byteOffset
        self.field = field
        self.detail = detail
        self.format = format
        self.output = output
    }

    /// True when nothing is known (every member nil).
    public var isEmpty: Bool { self == ErrorLocation() }

    /// The known parts, outputs first, joined by commas: `geojson, roads.geojson, in.json, layer 'roads',
    /// feature 12 (OBJECTID 13), field 'NAME'`.
    public var description: String {
        var parts: [String] = []
        if let format { parts.append(format) }
        if let output { parts.append(output) }
        if let input { parts.append(input) }
        if let layer { parts.append("layer '\(layer)'") }
        if let featureIndex {
            parts.append("feature \(featureIndex)" + (objectID.map { " (OBJECTID \($0))" } ?? ""))
        } else if let objectID {
            parts.append("OBJECTID \(objectID)")
        }
        if let row { parts.append("row \(row)") }
        if let byteOffset { parts.append("byte \(byteOffset)") }
        if let field { parts.append("field '\(field)'") }
        if let detail { parts.append(detail) }
        return parts.joined(separator: ", ")
    }

    /// This location with the gaps filled from `outer` (what an enclosing layer of code knows).
    public func filled(from outer: ErrorLocation) -> ErrorLocation {
        ErrorLocation(input: input ?? outer.input, layer: layer ?? outer.layer,
                      featureIndex: featureIndex ?? outer.featureIndex, objectID: objectID ?? outer.objectID,
                      row: row ?? outer.row, byteOffset: byteOffset ?? outer.byteOffset,
                      field: field ?? outer.field, detail: detail ?? outer.detail,
                      format: format ?? outer.format, output: output ?? outer.output)
    }
}

/// A GDAL call that failed: the C function, GDAL's CPLErrorNum and its message.
public struct GDALCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The C function, e.g. `OGR_L_CreateFeature`.
    public var function: String
    /// GDAL's `CPLErrorNum` (`CPLE_AppDefined` = 1, `CPLE_OpenFailed` = 4, ...); 0 when GDAL raised none.
    public var cplError: Int32
    /// GDAL's message, or empty.
    public var message: String

    /// A failed GDAL call.
    public init(function: String, cplError: Int32, message: String) {
        self.function = function
        self.cplError = cplError
        self.message = message
    }

    /// `OGR_L_CreateFeature failed (CPLE 1): message`.
    public var description: String {
        "\(function) failed" + (cplError != 0 ? " (CPLE \(cplError))" : "") + (message.isEmpty ? "" : ": \(message)")
    }
}

/// An SQLite call that failed, with SQLite's extended result code as GRDB keeps it.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The extended result code (`SQLITE_CORRUPT` = 11, `SQLITE_IOERR_SHORT_READ` = 522, ...).
    public var extendedResultCode: Int32
    /// SQLite's message.
    public var message: String
    /// The statement, when one was running.
    public var sql: String?

    /// A failed SQLite call.
    public init(extendedResultCode: Int32, message: String, sql: String? = nil) {
        self.extendedResultCode = extendedResultCode
        self.message = message
        self.sql = sql
    }

    /// The primary result code (the low byte of the extended one).
    public var resultCode: Int32 { extendedResultCode & 0xFF }

    /// `SQLite error <extended code>: message`.
    public var description: String {
        "SQLite error \(extendedResultCode): \(message)"
    }
}
