import Foundation

/// A typed attribute value. A non-null value carries the case that its field's
/// ``FieldType/storage`` names; readers coerce, writers rely on it.
public enum Value: Sendable, Equatable, Hashable {
    /// No value (JSON `null`, SQL NULL).
    case null
    /// A SmallInteger value.
    case int16(Int16)
    /// An Integer value.
    case int32(Int32)
    /// A BigInteger or ObjectID value.
    case int64(Int64)
    /// A Single value.
    case float32(Float)
    /// A Double value; may be NaN or infinite where the input says so (formats that cannot hold
    /// them report it: ``Diagnostic/Code/nonFiniteNumberDropped``).
    case float64(Double)
    /// A String or XML value.
    case string(String)
    /// Milliseconds since 1970-01-01T00:00:00Z (may be negative).
    case date(milliseconds: Int64)
    /// A DateOnly value.
    case dateOnly(DateOnly)
    /// A TimeOnly value.
    case timeOnly(TimeOnly)
    /// A TimestampOffset value.
    case timestampOffset(TimestampOffset)
    /// A GUID as the input spelled it (`{UPPER}` or lower case without braces).
    case guid(String)
    /// A Blob or Raster value: the bytes.
    case blob([UInt8])

    /// The storage kinds, one per case.
    public enum Kind: Sendable, Equatable {
        /// One per ``Value`` case, named alike.
        case null, int16, int32, int64, float32, float64, string, date, dateOnly, timeOnly, timestampOffset, guid, blob
    }

    /// Which case this value is, without its payload.
    public var kind: Kind {
        switch self {
        case .null: return .null
        case .int16: return .int16
        case .int32: return .int32
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .string: return .string
        case .date: return .date
        case .dateOnly: return .dateOnly
        case .timeOnly: return .timeOnly
        case .timestampOffset: return .timestampOffset
        case .guid: return .guid
        case .blob: return .blob
        }
    }

    /// True for ``null``.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The value as a 64-bit integer, for integer cases.
    public var integerValue: Int64? {
        switch self {
        case .int16(let v): return Int64(v)
        case .int32(let v): return Int64(v)
        case .int64(let v): return v
        default: return nil
        }
    }

    /// The value as a Double, for numeric cases.
    public var doubleValue: Double? {
        switch self {
        case .int16(let v): return Double(v)
        case .int32(let v): return Double(v)
        case .int64(let v): return Double(v)
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return nil
        }
    }
}

/// A calendar date without time (`esriFieldTypeDateOnly`).
public struct DateOnly: Sendable, Equatable, Hashable, Codable {
    /// The year, e.g. 2024.
    public var year: Int
    /// The month, 1 to 12.
    public var month: Int
    /// The day of the month, 1 to 31.
    public var day: Int
    /// A date; the parts are not validated.
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }
}

/// A time of day without date (`esriFieldTypeTimeOnly`).
public struct TimeOnly: Sendable, Equatable, Hashable, Codable {
    /// The hour, 0 to 23.
    public var hour: Int
    /// The minute, 0 to 59.
    public var minute: Int
    /// The second, 0 to 59.
    public var second: Int
    /// The millisecond, 0 to 999.
    public var millisecond: Int
    /// A time of day; the parts are not validated.
    public init(hour: Int, minute: Int, second: Int, millisecond: Int = 0) {
        self.hour = hour
        self.minute = minute
        self.second = second
        self.millisecond = millisecond
    }
}

/// An instant with the UTC offset it was recorded in (`esriFieldTypeTimestampOffset`).
public struct TimestampOffset: Sendable, Equatable, Hashable, Codable {
    /// The instant, milliseconds since 1970-01-01T00:00:00Z.
    public var utcMilliseconds: Int64
    /// The offset from UTC in minutes (e.g. +120, -300).
    public var offsetMinutes: Int
    /// An instant and the offset it was recorded in.
    public init(utcMilliseconds: Int64, offsetMinutes: Int) {
        self.utcMilliseconds = utcMilliseconds
        self.offsetMinutes = offsetMinutes
    }
}

/// A value as JSON: `null`, or one member naming its kind, `{"int32": 5}`, `{"date": 1710510330250}`,
/// `{"blob": "<base64>"}`, so that a report keeps the type a bare JSON number would lose.
extension Value: Codable {
    private enum CodingKeys: String, CodingKey {
        case int16, int32, int64, float32, float64, string, date, dateOnly, timeOnly, timestampOffset, guid, blob
    }

    /// Encodes `null` as JSON null, any other value as an object of one member naming its case.
    public func encode(to encoder: any Encoder) throws {
        if case .null = self {
            var single = encoder.singleValueContainer()
            try single.encodeNil()
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .null: break
        case .int16(let v): try container.encode(v, forKey: .int16)
        case .int32(let v): try container.encode(v, forKey: .int32)
        case .int64(let v): try container.encode(v, forKey: .int64)
        case .float32(let v): try container.encode(v, forKey: .float32)
        case .float64(let v): try container.encode(v, forKey: .float64)
        case .string(let v): try container.encode(v, forKey: .string)
        case .date(let ms): try container.encode(ms, forKey: .date)
        case .dateOnly(let v): try container.encode(v, forKey: .dateOnly)
        case .timeOnly(let v): try container.encode(v, forKey: .timeOnly)
        case .timestampOffset(let v): try container.encode(v, forKey: .timestampOffset)
        case .guid(let v): try container.encode(v, forKey: .guid)
        case .blob(let v): try container.encode(Data(v).base64EncodedString(), forKey: .blob)
        }
    }

    /// Decodes what ``encode(to:)`` writes; any other shape is a `DecodingError`.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), single.decodeNil() {
            self = .null
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let key = container.allKeys.first, container.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a value is null or an object with one member naming its kind"))
        }
        switch key {
        case .int16: self = .int16(try container.decode(Int16.self, forKey: key))
        case .int32: self = .int32(try container.decode(Int32.self, forKey: key))
        case .int64: self = .int64(try container.decode(Int64.self, forKey: key))
        case .float32: self = .float32(try container.decode(Float.self, forKey: key))
        case .float64: self = .float64(try container.decode(Double.self, forKey: key))
        case .string: self = .string(try container.decode(String.self, forKey: key))
        case .date: self = .date(milliseconds: try container.decode(Int64.self, forKey: key))
        case .dateOnly: self = .dateOnly(try container.decode(DateOnly.self, forKey: key))
        case .timeOnly: self = .timeOnly(try container.decode(TimeOnly.self, forKey: key))
        case .timestampOffset: self = .timestampOffset(try container.decode(TimestampOffset.self, forKey: key))
        case .guid: self = .guid(try container.decode(String.self, forKey: key))
        case .blob:
            guard let bytes = Data(base64Encoded: try container.decode(String.self, forKey: key)) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not base64")
            }
            self = .blob([UInt8](bytes))
        }
    }
}
