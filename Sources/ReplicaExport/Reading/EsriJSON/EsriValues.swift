import Foundation

/// Why a JSON value does not fit a field; the reader adds where it happened.
struct CoercionFailure: Error {
    var message: String
}

/// Coercion of JSON scalars to a field's ``FieldType/storage``.
///
/// Rules (documented in SOURCES.md and the reader's doc comment):
/// - integers: JSON integers, integral doubles and numeric strings, range-checked for the type;
/// - Single/Double: any number or numeric string; a Single must be finite as a Float when the input was;
/// - String/XML: strings; numbers and booleans are written as their JSON text;
/// - Date: milliseconds as a number (integral, else rounded to the nearest millisecond) or a numeric string;
/// - DateOnly `YYYY-MM-DD`, TimeOnly `HH:MM:SS[.fff]`, TimestampOffset `YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM)`
///   (a number there is taken as UTC milliseconds with offset 0);
/// - GUID/GlobalID: a GUID string, kept as spelled; an empty string is null;
/// - Blob/Raster: base64.
///
/// What a field's declaration does not hold, and the forms values are converted from (a number or
/// an ISO 8601 date as text, NaN and infinity, an object as JSON text), are decided by
/// ``read(_:as:)`` and ``needs(_:declared:)`` in DeclaredValues.swift: the reader widens the field
/// or converts the value, and reports it.
enum EsriValues {
    static func coerce(number n: JSONNumber, to type: FieldType) -> Value? {
        switch type.storage {
        case .int16:
            guard let i = integral(n), let v = Int16(exactly: i) else { return nil }
            return .int16(v)
        case .int32:
            guard let i = integral(n), let v = Int32(exactly: i) else { return nil }
            return .int32(v)
        case .int64:
            guard let i = integral(n) else { return nil }
            return .int64(i)
        case .float32:
            let d = n.doubleValue
            let f = Float(d)
            if d.isFinite && !f.isFinite { return nil }
            return .float32(f)
        case .float64:
            return .float64(n.doubleValue)
        case .string:
            switch n {
            case .int(let i): return .string(String(i))
            case .double(let d): return .string(d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d))
            }
        case .date:
            switch n {
            case .int(let i): return .date(milliseconds: i)
            case .double(let d):
                guard d.isFinite, abs(d) < 9.2e18 else { return nil }
                return .date(milliseconds: Int64(d.rounded()))
            }
        case .timestampOffset:
            guard let i = integral(n) else { return nil }
            return .timestampOffset(TimestampOffset(utcMilliseconds: i, offsetMinutes: 0))
        case .null, .dateOnly, .timeOnly, .guid, .blob:
            return nil
        }
    }

    private static func integral(_ n: JSONNumber) -> Int64? {
        switch n {
        case .int(let i): return i
        case .double(let d):
            guard d.isFinite, d.rounded() == d, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else { return nil }
            return Int64(d)
        }
    }

    static func coerce(string s: String, to type: FieldType) throws(CoercionFailure) -> Value {
        switch type.storage {
        case .string:
            return .string(s)
        case .int16, .int32, .int64, .float32, .float64, .date:
            let t = s.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { return .null }
            let n: JSONNumber
            if let i = Int64(t) { n = .int(i) } else if let d = Double(t), d.isFinite { n = .double(d) } else {
                throw CoercionFailure(message: "the string \(quoted(s)) is not a number")
            }
            guard let v = coerce(number: n, to: type) else {
                throw CoercionFailure(message: "\(t) does not fit \(type.rawValue)")
            }
            return v
        case .guid:
            if s.isEmpty { return .null }
            guard isGUID(s) else { throw CoercionFailure(message: "\(quoted(s)) is not a GUID") }
            return .guid(s)
        case .blob:
            guard let data = Data(base64Encoded: s, options: [.ignoreUnknownCharacters]) else {
                throw CoercionFailure(message: "the string is not base64")
            }
            return .blob([UInt8](data))
        case .dateOnly:
            guard let d = parseDate(Array(s.utf8)[...]) else {
                throw CoercionFailure(message: "\(quoted(s)) is not a date (YYYY-MM-DD)")
            }
            return .dateOnly(d)
        case .timeOnly:
            guard let t = parseTime(Array(s.utf8)[...]) else {
                throw CoercionFailure(message: "\(quoted(s)) is not a time (HH:MM:SS)")
            }
            return .timeOnly(t)
        case .timestampOffset:
            guard let t = parseTimestampOffset(s) else {
                throw CoercionFailure(message: "\(quoted(s)) is not a timestamp with offset (YYYY-MM-DDTHH:MM:SS+HH:MM)")
            }
            return .timestampOffset(t)
        case .null:
            return .null
        }
    }

    static func quoted(_ s: String) -> String {
        "\"" + (s.count > 40 ? String(s.prefix(40)) + "..." : s) + "\""
    }

    /// `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`, with or without braces. Runs per value: no allocation.
    static func isGUID(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { isGUID($0) }
    }

    /// ``isGUID(_:)`` of UTF-8 bytes.
    static func isGUID(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        do {
            guard var start = bytes.baseAddress else { return false }
            var count = bytes.count
            if count == 38 {
                guard start[0] == UInt8(ascii: "{"), start[37] == UInt8(ascii: "}") else { return false }
                start += 1
                count = 36
            }
            guard count == 36 else { return false }
            guard start[8] == UInt8(ascii: "-"), start[13] == UInt8(ascii: "-"),
                  start[18] == UInt8(ascii: "-"), start[23] == UInt8(ascii: "-") else { return false }
            // Every byte but the dashes (checked above) a hex digit: a table load per byte, no branch.
            let table = hexDigits
            let dashes: UInt64 = 1 << 8 | 1 << 13 | 1 << 18 | 1 << 23
            var allHex: UInt8 = 1
            for i in 0..<36 {
                allHex &= table[Int(start[i])] | UInt8(truncatingIfNeeded: dashes &>> UInt64(i))
            }
            return allHex & 1 == 1
        }
    }

    /// 1 for the bytes 0-9, A-F and a-f, else 0. (Never written after it is made.)
    nonisolated(unsafe) private static let hexDigits: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
        for c in Array(0x30...0x39) + Array(0x41...0x46) + Array(0x61...0x66) { table[c] = 1 }
        return UnsafePointer(table)
    }()

    private static func digits(_ u: ArraySlice<UInt8>, _ from: Int, _ n: Int) -> Int? {
        let start = u.startIndex + from
        guard from >= 0, start + n <= u.endIndex else { return nil }
        var v = 0
        for c in u[start..<(start + n)] {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    static func parseDate(_ u: ArraySlice<UInt8>) -> DateOnly? {
        guard u.count == 10, u[u.startIndex + 4] == UInt8(ascii: "-"), u[u.startIndex + 7] == UInt8(ascii: "-"),
              let y = digits(u, 0, 4), let m = digits(u, 5, 2), let d = digits(u, 8, 2),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        return DateOnly(year: y, month: m, day: d)
    }

    static func parseTime(_ u: ArraySlice<UInt8>) -> TimeOnly? {
        guard u.count >= 8, u[u.startIndex + 2] == UInt8(ascii: ":"), u[u.startIndex + 5] == UInt8(ascii: ":"),
              let h = digits(u, 0, 2), let mi = digits(u, 3, 2), let s = digits(u, 6, 2),
              h < 24, mi < 60, s < 61 else { return nil }
        var ms = 0
        if u.count > 8 {
            guard u[u.startIndex + 8] == UInt8(ascii: "."), u.count > 9 else { return nil }
            let frac = u[(u.startIndex + 9)...]
            guard frac.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            var scale = 100
            for c in frac.prefix(3) { ms += Int(c - 0x30) * scale; scale /= 10 }
        }
        return TimeOnly(hour: h, minute: mi, second: s, millisecond: ms)
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func parseTimestampOffset(_ s: String) -> TimestampOffset? {
        let u = Array(s.utf8)[...]
        guard u.count >= 19, u[u.startIndex + 10] == UInt8(ascii: "T") || u[u.startIndex + 10] == UInt8(ascii: " "),
              let date = parseDate(u.prefix(10)) else { return nil }
        var rest = u.dropFirst(11)
        // Time part ends at Z, + or - (after the seconds).
        var end = rest.startIndex
        while end < rest.endIndex, rest[end] != UInt8(ascii: "Z"), rest[end] != UInt8(ascii: "+"),
              rest[end] != UInt8(ascii: "-") { end += 1 }
        guard let time = parseTime(rest[rest.startIndex..<end]) else { return nil }
        rest = rest[end...]
        var offset = 0
        if rest.first == UInt8(ascii: "Z") {
            guard rest.count == 1 else { return nil }
        } else if let sign = rest.first {
            let body = rest.dropFirst()
            guard let oh = digits(body, 0, 2) else { return nil }
            var om = 0
            if body.count == 5 && body[body.startIndex + 2] == UInt8(ascii: ":") {
                guard let v = digits(body, 3, 2) else { return nil }
                om = v
            } else if body.count == 4 {
                guard let v = digits(body, 2, 2) else { return nil }
                om = v
            } else if body.count != 2 {
                return nil
            }
            offset = (oh * 60 + om) * (sign == UInt8(ascii: "-") ? -1 : 1)
        }
        let days = daysFromCivil(date.year, date.month, date.day)
        let localMs = Int64(days) * 86_400_000 + Int64(time.hour * 3_600_000 + time.minute * 60_000
                                                      + time.second * 1000 + time.millisecond)
        return TimestampOffset(utcMilliseconds: localMs - Int64(offset) * 60_000, offsetMinutes: offset)
    }
}
