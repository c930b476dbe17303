/// Something the user should know that did not stop the export: an inferred schema, a densified
/// curve, a renamed field, a value a format could not hold. Data, not text: a code to match on, a
/// severity, the place, and how many features it concerns; the batch report, the service response
/// and the command line render the same values.
public struct Diagnostic: Sendable, Equatable, Codable, CustomStringConvertible {
    /// What happened, as a stable code to match on.
    public var code: Code
    /// How much it matters; by default a loss for the codes that report one, else a warning.
    public var severity: Severity
    /// What happened, in words, with what to do where the user can act.
    public var message: String
    /// Where: the input, layer and feature, or the output format and file, as far as known.
    public var location: ErrorLocation
    /// How many values or features this concerns, when it was counted.
    public var count: Int?

    /// A diagnostic; `severity` nil = ``Severity/loss`` when ``Code/isLoss``, else ``Severity/warning``.
    public init(_ code: Code, _ message: String, at location: ErrorLocation = .init(), count: Int? = nil,
                severity: Severity? = nil) {
        self.code = code
        self.severity = severity ?? (code.isLoss ? .loss : .warning)
        self.message = message
        self.location = location
        self.count = count
    }

    /// Whether `--strict` refuses the export for this diagnostic: a loss, or a flaw of the input
    /// repaired while reading (``Code/isInputFault``).
    public var isRefusedByStrict: Bool { severity == .loss || code.isInputFault }

    /// `location: message`, or the message alone when the location is empty.
    public var description: String { location.isEmpty ? message : "\(location): \(message)" }

    /// How much a diagnostic matters.
    public enum Severity: String, Sendable, Codable, Comparable {
        /// For information: nothing was changed (a schema source, a layout choice).
        case info
        /// The input was repaired or interpreted; nothing the format could hold was lost.
        case warning
        /// A value or geometry was not written as given because the format cannot hold it.
        case loss

        private var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
        /// Orders by how much it matters: info < warning < loss.
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// A stable diagnostic code; new codes may be added in any release.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible,
                        ExpressibleByStringLiteral {
        /// The code's stable name, e.g. `curvesDensified`.
        public let rawValue: String
        /// The code named `rawValue`, known to this library or not.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code named by the literal.
        public init(stringLiteral value: String) { self.rawValue = value }
        /// The code's name (``rawValue``).
        public var description: String { rawValue }

        /// Whether a diagnostic with this code reports a loss (a value not written as given).
        public var isLoss: Bool { Self.losses.contains(self) }

        // Reading.
        /// Field types were inferred from the values: no schema came with the payload.
        public static let schemaInferred: Code = "schemaInferred"
        /// Something in the input was skipped (unknown keys, unused tables).
        public static let inputSkipped: Code = "inputSkipped"
        /// The input was interpreted where it was ambiguous or irregular.
        public static let inputIrregular: Code = "inputIrregular"

        // Geometry.
        /// A ring or arc was repaired (orphan hole, degenerate ring, elliptic arc off its ellipse).
        public static let geometryRepaired: Code = "geometryRepaired"
        /// True curves were densified because the format has no type for them.
        public static let curvesDensified: Code = "curvesDensified"

        // Naming and layout.
        /// A field was renamed (by the driver, shortened, or to avoid a collision).
        public static let fieldRenamed: Code = "fieldRenamed"
        /// A layer was stored under another name.
        public static let layerRenamed: Code = "layerRenamed"
        /// A field type was stored as another type that keeps every value (e.g. TimeOnly as ISO text).
        public static let typeChanged: Code = "typeChanged"
        /// Features of another geometry type went to a file of their own.
        public static let geometryTypeSplit: Code = "geometryTypeSplit"
        /// The layer has no spatial reference; coordinates were written as given.
        public static let noSpatialReference: Code = "noSpatialReference"
        /// ObjectIDs that repeat or are not positive were given new ones.
        public static let objectIDReassigned: Code = "objectIDReassigned"
        /// A layer has more features than one layer of the format holds (an Excel sheet's rows):
        /// it continues in further layers.
        public static let layerContinued: Code = "layerContinued"
        /// A layer without features was written without its column names (an Excel sheet's header
        /// row is written above features only).
        public static let columnsNotWritten: Code = "columnsNotWritten"
        /// The format cannot record the coordinate system its coordinates are in (Excel).
        public static let spatialReferenceNotStored: Code = "spatialReferenceNotStored"

        // Losses: what a format cannot hold.
        /// Dates rounded to the nearest second.
        public static let millisecondsDropped: Code = "millisecondsDropped"
        /// Time of day of dates dropped (date kept).
        public static let timeOfDayDropped: Code = "timeOfDayDropped"
        /// Text truncated to the format's maximum length.
        public static let valueTruncated: Code = "valueTruncated"
        /// 64-bit integers beyond 2^53 rounded to the nearest double.
        public static let integerRounded: Code = "integerRounded"
        /// NaN or infinity written as null: the format has no such numbers (JSON).
        public static let nonFiniteNumberDropped: Code = "nonFiniteNumberDropped"
        /// Text changed to what the format can hold (control characters dropped from XML, ...).
        public static let textChanged: Code = "textChanged"
        /// Doubles rounded to the significant digits the format's driver writes.
        public static let realRounded: Code = "realRounded"
        /// Dates earlier than the format shows as given (Excel's serial dates begin in 1900).
        public static let dateOutOfRange: Code = "dateOutOfRange"
        /// A geometry the format could not hold as written (a WKT longer than an Excel cell) was
        /// not written; the feature was kept without it.
        public static let geometryOmitted: Code = "geometryOmitted"
        /// A field the format has no type for was not written.
        public static let fieldDropped: Code = "fieldDropped"
        /// Attribute domains not kept (the values are; a warning, not a loss).
        public static let domainDropped: Code = "domainDropped"
        /// M values dropped.
        public static let measuresDropped: Code = "measuresDropped"
        /// Missing M values (NaN) written as a stand-in value.
        public static let missingMeasureReplaced: Code = "missingMeasureReplaced"
        /// Attachments not kept by this format.
        public static let attachmentsDropped: Code = "attachmentsDropped"
        /// Attachments known only by URL: listed, never fetched.
        public static let attachmentsByURL: Code = "attachmentsByURL"
        /// How many attachments went where (information).
        public static let attachmentsWritten: Code = "attachmentsWritten"
        /// Relationship classes not kept by this format (the keys are; a warning, not a loss).
        public static let relationshipsDropped: Code = "relationshipsDropped"
        /// A geometry no format can represent (a non-finite or null coordinate, an unknown curve
        /// segment) was dropped; the feature was kept with a null geometry.
        public static let geometryDropped: Code = "geometryDropped"
        /// Vertices of a Z-aware layer without a Z value (null or absent) were given Z 0.
        public static let missingZReplaced: Code = "missingZReplaced"
        /// Fields of the input with the same name: the later ones were renamed `name_1`, `name_2`, ...
        public static let duplicateFieldRenamed: Code = "duplicateFieldRenamed"
        /// The input says it is incomplete (a query page cut at the server's transfer limit).
        public static let inputIncomplete: Code = "inputIncomplete"

        /// Subtypes not kept by this format (the subtype codes are; a warning, not a loss).
        public static let subtypesDropped: Code = "subtypesDropped"

        // What the input gets wrong, repaired while reading (``isInputFault``: `--strict` refuses them).
        /// A field declared with a type or length that does not hold the input's values (a
        /// SmallInteger or Integer holding larger integers, a Single beyond float range, an integer
        /// with a fraction, a String longer than its length, text that is no value of the type): its
        /// column was widened (SmallInteger, Integer, BigInteger, Double, String; a longer String) so
        /// that every value is kept. The count is of the values outside the declared type.
        public static let fieldWidened: Code = "fieldWidened"
        /// A value given in another form than its field's type was converted: a number as text
        /// (`"12"`), a date as ISO 8601 text instead of epoch milliseconds, an object or array
        /// (written as its JSON text).
        public static let valueConverted: Code = "valueConverted"
        /// A layer declares a second esriFieldTypeOID field: it is written as an integer column
        /// (Integer, or BigInteger when its values need it), the first one being the ObjectID.
        public static let secondObjectIDField: Code = "secondObjectIDField"
        /// NaN or infinity in a Single or Double attribute (`"NaN"`, `"Infinity"`, `"-Infinity"` as
        /// text, or as bare literals): kept where the format holds it, else written as null and
        /// reported as ``nonFiniteNumberDropped`` by that format.
        public static let nonFiniteNumber: Code = "nonFiniteNumber"
        /// A value was written as null because it cannot be held: by any column of its field, in
        /// every format (NaN or infinity in an integer or date field, an ObjectID that is not an
        /// integer), or by this format's column (a number too large for a shapefile's fixed-point
        /// `.dbf` field).
        public static let valueDropped: Code = "valueDropped"
        /// Esri JSON's documented empty geometry (`"x": null` or `"NaN"`, no paths or rings, or only
        /// empty ones): the feature was written without geometry.
        public static let emptyGeometry: Code = "emptyGeometry"
        /// Geometries of another type than their layer's (a layer without a declared type whose
        /// geometries differ, or a geometry contradicting the declared type): kept, and written to
        /// `<layer>_<type>s` where a format holds one geometry type per layer (``geometryTypeSplit``).
        public static let geometryTypeMismatch: Code = "geometryTypeMismatch"
        /// Geometries carry Z or M values their layer does not declare (hasZ / hasM): the layer was
        /// made Z- or M-aware so that every format keeps them.
        public static let undeclaredZOrM: Code = "undeclaredZOrM"
        /// JSON that is not standard JSON but that GDAL's and Python's readers accept: a comma before
        /// `]` or `}`, the literals `NaN`, `Infinity` and `-Infinity`, a UTF-8 byte-order mark. Read
        /// as those readers read it; the message names the first byte offset.
        public static let nonStandardJSON: Code = "nonStandardJSON"
        /// A geometry this format's driver refused (GeoJSON: coordinates outside WGS 84's range in
        /// a layer that claims WGS 84) was written as null in this format; the rest of the feature
        /// was written, and the other formats keep the geometry.
        public static let geometryRefused: Code = "geometryRefused"

        /// Stands for diagnostics left out because too many of them were raised (an export lists the
        /// first 50 geometry repairs); its ``Diagnostic/count`` says how many.
        public static let omitted: Code = "omitted"

        /// Whether a diagnostic with this code reports a flaw of the input that was repaired while
        /// reading (a value outside its declared type, JSON that is not standard): written as the
        /// outputs allow and reported, and refused by `--strict` like a loss.
        public var isInputFault: Bool { Self.inputFaults.contains(self) }

        static let losses: Set<Code> = [
            .millisecondsDropped, .timeOfDayDropped, .valueTruncated, .integerRounded, .nonFiniteNumberDropped, .fieldDropped,
            .measuresDropped, .missingMeasureReplaced, .attachmentsDropped, .geometryDropped, .textChanged, .realRounded,
            .dateOutOfRange, .geometryOmitted, .geometryRefused, .valueDropped,
        ]

        static let inputFaults: Set<Code> = [
            .fieldWidened, .valueConverted, .secondObjectIDField, .nonFiniteNumber, .emptyGeometry, .geometryTypeMismatch,
            .undeclaredZOrM, .nonStandardJSON, .missingZReplaced,
        ]
    }
}

/// Collects diagnostics up to a limit and counts the rest, so that one flaw repeated in a million
/// features is one readable warning list, not a million lines.
struct DiagnosticLog: Sendable {
    private(set) var entries: [Diagnostic] = []
    private(set) var omitted = 0
    let limit: Int

    init(limit: Int = 50) { self.limit = limit }

    mutating func append(_ diagnostic: Diagnostic) {
        if entries.count < limit { entries.append(diagnostic) } else { omitted += 1 }
    }

    mutating func append(contentsOf diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics { append(diagnostic) }
    }

    /// The entries, plus one that says how many were left out.
    var all: [Diagnostic] {
        omitted == 0 ? entries
            : entries + [Diagnostic(.omitted, "\(omitted) more warnings like these were not listed", count: omitted)]
    }
}

extension Diagnostic {
    /// A copy whose location has its gaps filled from `outer`.
    func located(_ outer: ErrorLocation) -> Diagnostic {
        var copy = self
        copy.location = location.filled(from: outer)
        return copy
    }
}
