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
public struct DateOnly: Sendable, Equatable, Hashable {
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
public struct TimeOnly: Sendable, Equatable, Hashable {
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
public struct TimestampOffset: Sendable, Equatable, Hashable {
    /// The instant, milliseconds since 1970-01-01T00:00:00Z.
    public var utcMilliseconds: Int64
    /// The offset from UTC in minutes (e.g. +120, -300).
    public var offsetMinutes: Int
    public init(utcMilliseconds: Int64, offsetMinutes: Int) {
        self.utcMilliseconds = utcMilliseconds
        self.offsetMinutes = offsetMinutes
    }
}
