import Foundation

/// A typed attribute value. A non-null value carries the case that its field's
/// ``FieldType/storage`` names; readers coerce, writers rely on it.
public enum Value: Sendable, Equatable, Hashable {
    case null
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case string(String)
    /// Milliseconds since 1970-01-01T00:00:00Z (may be negative).
    case date(milliseconds: Int64)
    case dateOnly(DateOnly)
    case timeOnly(TimeOnly)
    case timestampOffset(TimestampOffset)
    /// A GUID as the input spelled it (`{UPPER}` or lower case without braces).
    case guid(String)
    case blob([UInt8])

    /// The storage kinds, one per case.
    public enum Kind: Sendable, Equatable {
        case null, int16, int32, int64, float32, float64, string, date, dateOnly, timeOnly, timestampOffset, guid, blob
    }

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
    public var year: Int
    public var month: Int
    public var day: Int
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }
}

/// A time of day without date (`esriFieldTypeTimeOnly`).
public struct TimeOnly: Sendable, Equatable, Hashable, Codable {
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var millisecond: Int
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
