import Foundation

/// How one attribute value is handed to GDAL; chosen per field by each writer.
enum ValueEncoding: Sendable, Equatable {
    /// int16 / int32 into an Integer field.
    case integer
    /// Any integer into an Integer64 field.
    case integer64
    /// Integer64 into a field the driver stores as a double (FileGDB 3.6): |v| > 2^53 is data loss.
    case integer64Within53Bits
    /// float32 / float64 into a Real field, binary-exact.
    case real
    /// float32 through its shortest decimal form (1.1f -> 1.1), float64 as is: for a driver that
    /// prints the double as decimal text itself (the shapefile's `.dbf`).
    case realShortestDecimal
    /// Any number as Swift's shortest round-trip text, into a String field (CSV: GDAL prints 15 digits).
    case numberText
    case string
    /// A value as text by the format's own rule (``ValueFormatter``), into a String field.
    case formatted(ValueFormatter)
    /// A string cut to at most this many UTF-8 bytes, on a character boundary (shapefile: 254).
    case stringMaxBytes(Int)
    /// The X / Y / Z of a point geometry as text (CSV point columns); the source index is ignored.
    case geometryX, geometryY, geometryZ
    /// The geometry as ISO WKT, in a text column of its own (CSV): the writer, not GDAL, writes it
    /// (see ``WKT``); the source index is ignored.
    case geometryWKT
    /// GUIDs upper-cased in braces: `{XXXXXXXX-...}` (FileGDB GUID columns).
    case guidBracedUpper
    case guidAsGiven
    /// `.date` into a DateTime field, UTC, whole seconds (milliseconds dropped: diagnostic).
    case dateTimeWholeSeconds
    /// `.date` into a DateTime field with milliseconds.
    case dateTime
    /// `.date` into a Date field (time of day dropped: diagnostic).
    case dateToDate
    /// `.date` as `2024-03-15T13:45:30.250Z`.
    case dateISO
    case dateOnly
    case dateOnlyISO
    /// `.timeOnly` as `13:45:30.250`.
    case timeOnlyISO
    /// `.timeOnly` into a Time field, with milliseconds.
    case time
    /// `.timestampOffset` as `2024-03-15T13:45:30.250+02:00`.
    case timestampOffsetISO
    case binary
    case base64
    /// The label of the source field's coded value (a `<field>_label` column).
    case label(DomainLabels)
}

/// A format's own text for the values of a column, where the driver's would not keep them
/// (GeoJSON's exact numbers, and text GDAL would write as JSON): declared in the format's file
/// under `Writing/Formats/`, applied by the generic writer, compared by verify as ``readBack`` says.
struct ValueFormatter: Sendable, Equatable {
    /// How a value written this way reads back.
    enum ReadBack: Sendable, Equatable {
        /// The same number, exactly (a float32 as its shortest decimal); NaN and infinity as null.
        case exactNumber
        /// The same text (GUIDs compared case-insensitively, without braces).
        case text
        /// The text the formatter makes of the value, ``Output/altered(_:)`` included.
        case asFormatted
    }

    /// What becomes of one value.
    enum Output {
        /// Written as this text.
        case text(String)
        /// Written as this text, which is not the value as given: what the format cannot hold
        /// was left out (``ValueFormatter/alteration`` says what), a loss.
        case altered(String)
        /// NaN or infinity, which the format cannot hold: written as null, a loss.
        case nonFinite
        /// Not a value of the kind this formatter takes (a bug in the profile's table).
        case mismatch
    }

    /// Names the rule, for messages and equality.
    let name: String
    let readBack: ReadBack
    /// What an ``Output/altered(_:)`` value lost, for the report ("control characters dropped").
    let alteration: String
    let text: @Sendable (Value) -> Output

    init(name: String, readBack: ReadBack, alteration: String = "", text: @escaping @Sendable (Value) -> Output) {
        self.name = name
        self.readBack = readBack
        self.alteration = alteration
        self.text = text
    }

    static func == (a: ValueFormatter, b: ValueFormatter) -> Bool { a.name == b.name }
}

extension ValueFormatter {
    /// Text as an XML reader reads it back from a document GDAL wrote it into (KML, a workbook's
    /// shared strings: ``ValueText/xmlReadBack(_:dropLeadingSpaces:)``); text it changes is an
    /// ``Output/altered(_:)`` value, a loss `alteration` describes.
    static func xmlText(name: String, dropLeadingSpaces: Bool, alteration: String) -> ValueFormatter {
        ValueFormatter(name: name, readBack: .asFormatted, alteration: alteration) { value in
            guard case .string(let s) = value else { return .mismatch }
            return ValueText.xmlReadBack(s, dropLeadingSpaces: dropLeadingSpaces).map { .altered($0) } ?? .text(s)
        }
    }

    /// The text this formatter writes for `text` (a domain label), changed or not.
    func readBackText(_ text: String) -> String {
        switch self.text(.string(text)) {
        case .text(let written), .altered(let written): return written
        case .nonFinite, .mismatch: return text
        }
    }
}
