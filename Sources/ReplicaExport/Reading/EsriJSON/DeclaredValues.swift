/// One attribute value as the JSON gives it, before it becomes a value of its field's type.
enum ScannedValue: Equatable {
    case null
    case number(JSONNumber)
    case string(String)
    case bool(Bool)
    /// An object or array, as its compact JSON text (``JSONValue/jsonText``).
    case json(String)
}

extension JSONScanner {
    /// Reads one attribute value, whatever its kind.
    func readScannedValue() throws -> ScannedValue {
        let b = try peekValueStart()
        switch b {
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "{"), UInt8(ascii: "["): return .json(try readValue().jsonText)
        default:
            if Self.startsNumber(b) { return .number(try readNumber()) }
            guard let flag = try readLiteral() else { return .null }
            return .bool(flag)
        }
    }
}

/// How one value became a value of its field's type (``EsriValues/read(_:as:)``).
enum ValueReading: Equatable {
    /// As given, or by the documented rules that change nothing (a number in a text field as its
    /// JSON text, a GUID as spelled, an empty string as null).
    case value(Value)
    /// Given in another form and converted (reported: ``Diagnostic/Code/valueConverted``).
    case converted(Value, ValueConversion)
    /// NaN or infinity in a Single or Double field (reported: ``Diagnostic/Code/nonFiniteNumber``).
    case nonFinite(Value)
    /// NaN or infinity in a field of another type: null (reported: ``Diagnostic/Code/valueDropped``).
    case dropped
    /// No value of the type: the field must be wider (see ``ValueNeeds``).
    case misfit
}

/// The forms a value may be converted from.
enum ValueConversion: Int, CaseIterable {
    case numberFromText, dateFromText, jsonText

    var description: String {
        switch self {
        case .numberFromText: return "number(s) given as text converted to numbers"
        case .dateFromText: return "date(s) given as ISO 8601 text instead of epoch milliseconds converted to dates"
        case .jsonText: return "object(s) or array(s) written as their JSON text"
        }
    }
}

/// What the values of a field need beyond its declared type: the steps of widening, from the
/// narrowest. SmallInteger < Integer < BigInteger < Double < String; Single < Double < String;
/// any other type < String; a String to a greater length.
struct ValueNeeds: OptionSet, Equatable {
    let rawValue: Int
    static let int32 = ValueNeeds(rawValue: 1 << 0)
    static let int64 = ValueNeeds(rawValue: 1 << 1)
    static let double = ValueNeeds(rawValue: 1 << 2)
    static let text = ValueNeeds(rawValue: 1 << 3)
    /// Text longer than the field's declared length.
    static let length = ValueNeeds(rawValue: 1 << 4)
}

extension EsriValues {
    /// The value `scanned` as a value of `type`, and how it got there.
    static func read(_ scanned: ScannedValue, as type: FieldType) -> ValueReading {
        let storage = type.storage
        switch scanned {
        case .null:
            return .value(.null)
        case .number(let n):
            if case .double(let d) = n, !d.isFinite { return nonFinite(d, storage: storage) }
            return coerce(number: n, to: type).map(ValueReading.value) ?? .misfit
        case .bool(let b):
            return storage == .string ? .value(.string(b ? "true" : "false")) : .misfit
        case .json(let text):
            return storage == .string ? .converted(.string(text), .jsonText) : .misfit
        case .string(let s):
            switch storage {
            case .string:
                return .value(.string(s))
            case .int16, .int32, .int64, .float32, .float64, .date:
                let t = s.trimmingCharacters(in: .whitespaces)
                if t.isEmpty { return .value(.null) }
                if let d = nonFiniteText(t) { return nonFinite(d, storage: storage) }
                if let n = numberText(t) {
                    return coerce(number: n, to: type).map { .converted($0, .numberFromText) } ?? .misfit
                }
                if storage == .date, let ms = isoInstant(t) { return .converted(.date(milliseconds: ms), .dateFromText) }
                return .misfit
            default:
                return (try? coerce(string: s, to: type)).map(ValueReading.value) ?? .misfit
            }
        }
    }

    /// NaN or infinity for a field of `storage`: kept in Single and Double fields, text in text
    /// fields, dropped elsewhere.
    private static func nonFinite(_ d: Double, storage: Value.Kind) -> ValueReading {
        switch storage {
        case .float32: return .nonFinite(.float32(Float(d)))
        case .float64: return .nonFinite(.float64(d))
        case .string: return .value(.string(d.isNaN ? "NaN" : d < 0 ? "-Infinity" : "Infinity"))
        default: return .dropped
        }
    }

    /// `NaN`, `Infinity`, `-Infinity` (and `inf`, any case) as text: the number; nil for other text.
    static func nonFiniteText(_ t: String) -> Double? {
        guard t.utf8.count <= 9 else { return nil }
        switch t.lowercased() {
        case "nan", "+nan", "-nan": return .nan
        case "infinity", "+infinity", "inf", "+inf": return .infinity
        case "-infinity", "-inf": return -.infinity
        default: return nil
        }
    }

    /// A finite decimal number as text (`12`, `-3.5`, `1e3`); nil for any other text.
    static func numberText(_ t: String) -> JSONNumber? {
        if let i = Int64(t) { return .int(i) }
        // Only what looks like a decimal number: Double("0x1p3") and Double("nan") parse too.
        guard t.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2B || $0 == 0x2E || $0 | 0x20 == 0x65 }),
              let d = Double(t), d.isFinite else { return nil }
        return .double(d)
    }

    /// An ISO 8601 date (`2024-03-15`, midnight UTC) or date and time (`2024-03-15T13:45:30[.250]`,
    /// with `Z` or an offset, UTC without one) as milliseconds since 1970; nil for any other text.
    static func isoInstant(_ t: String) -> Int64? {
        if t.utf8.count == 10 {
            guard let d = parseDate(Array(t.utf8)[...]) else { return nil }
            return Int64(daysFromCivil(d.year, d.month, d.day)) * 86_400_000
        }
        return parseTimestampOffset(t)?.utcMilliseconds
    }

    /// What `scanned` needs beyond the declared `field` (empty when it is a value of its type and
    /// length), and the length of its text where a String field must grow for it.
    static func needs(_ scanned: ScannedValue, declared field: Field) -> (needs: ValueNeeds, textLength: Int) {
        let type = field.type
        switch read(scanned, as: type) {
        case .misfit:
            return (numericNeeds(scanned, declared: type), 0)
        case .value(.string(let s)), .converted(.string(let s), _):
            guard let length = field.length, length > 0, s.utf8.count > length else { return ([], 0) }
            // Characters <= UTF-8 bytes: counted only where the bytes could exceed the length.
            let characters = s.count
            return characters > length ? (.length, characters) : ([], 0)
        default:
            return ([], 0)
        }
    }

    /// The widening a number (or a number given as text) needs in a numeric field; text otherwise.
    private static func numericNeeds(_ scanned: ScannedValue, declared type: FieldType) -> ValueNeeds {
        let number: JSONNumber?
        switch scanned {
        case .number(let n): number = n
        case .string(let s): number = numberText(s.trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number else { return .text }
        switch type.storage {
        case .int16, .int32, .int64:
            var integer: Int64?
            switch number {
            case .int(let i): integer = i
            case .double(let d):
                if d.rounded() == d, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 { integer = Int64(d) }
            }
            guard let integer else { return .double }
            return Int32(exactly: integer) != nil ? .int32 : .int64
        case .float32:
            return .double
        default:
            return .text
        }
    }

    /// The field that holds every value `needs` says: the next wider type (see ``ValueNeeds``), a
    /// String without a length limit for text, or a String of `length` characters.
    static func widened(_ field: Field, needs: ValueNeeds, length: Int) -> Field {
        var wide = field
        if needs.contains(.text) {
            if field.type.storage != .string { wide.type = .string }
            wide.length = nil
            return wide
        }
        if needs.contains(.length), field.type.storage == .string {
            wide.length = max(field.length ?? 0, length)
        }
        switch field.type {
        case .smallInteger, .integer, .bigInteger:
            if needs.contains(.double) {
                wide.type = .double
            } else if needs.contains(.int64) {
                wide.type = .bigInteger
            } else if needs.contains(.int32), field.type == .smallInteger {
                wide.type = .integer
            }
        case .single:
            if needs.contains(.double) { wide.type = .double }
        default:
            break
        }
        return wide
    }

    /// The wider of two widenings of one declared field (the pages of one layer widen each for
    /// its own values): the later step of ``ValueNeeds``, the greater length.
    static func wider(_ a: Field, _ b: Field) -> Field {
        func rank(_ type: FieldType) -> Int {
            switch type {
            case .smallInteger: return 1
            case .integer, .single: return 2
            case .bigInteger: return 3
            case .double: return 4
            case .string, .xml: return 5
            default: return 0
            }
        }
        var wide = rank(b.type) > rank(a.type) ? b : a
        if wide.type.storage == .string {
            let lengths = [a, b].filter { $0.type.storage == .string }.map(\.length)
            wide.length = lengths.contains(where: { $0 == nil }) ? nil : lengths.compactMap { $0 }.max()
        }
        return wide
    }

    /// A value of a field's old type as a value of the type it was widened to (a domain's code, a
    /// subtype's default value); nil when it has no such value.
    static func widenedValue(_ value: Value, to type: FieldType) -> Value? {
        if value.isNull || value.kind == type.storage { return value }
        switch type.storage {
        case .int32: return value.integerValue.flatMap { Int32(exactly: $0) }.map(Value.int32)
        case .int64: return value.integerValue.map(Value.int64)
        case .float64: return value.doubleValue.map(Value.float64)
        case .string:
            switch value {
            case .int16, .int32, .int64: return value.integerValue.map { .string(String($0)) }
            case .float32(let f): return .string(String(f))
            case .float64(let d): return .string(String(d))
            case .string(let s), .guid(let s): return .string(s)
            default: return nil
            }
        default: return nil
        }
    }
}
