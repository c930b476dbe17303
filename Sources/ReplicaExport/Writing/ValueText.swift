import Foundation

/// Text forms of values, shared by the writers.
enum ValueText {
    /// Civil date from days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    struct DateTimeParts {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int
    }

    static func parts(milliseconds ms: Int64) -> DateTimeParts {
        let dayMs: Int64 = 86_400_000
        var days = ms / dayMs
        var rest = ms % dayMs
        if rest < 0 { rest += dayMs; days -= 1 }
        let (y, mo, d) = civil(fromDays: days)
        let msOfDay = Int(rest)
        return DateTimeParts(year: y, month: mo, day: d, hour: msOfDay / 3_600_000,
                             minute: msOfDay / 60_000 % 60, second: msOfDay / 1000 % 60,
                             millisecond: msOfDay % 1000)
    }

    /// `2024-03-15T13:45:30.250Z`.
    static func isoUTC(milliseconds ms: Int64) -> String {
        let p = parts(milliseconds: ms)
        return ISOText.make { text in
            text.date(p.year, p.month, p.day); text.byte("T")
            text.time(p.hour, p.minute, p.second, p.millisecond); text.byte("Z")
        }
    }

    /// `2024-03-15T15:45:30.250+02:00`: the local time at the recorded offset.
    static func isoOffset(_ t: TimestampOffset) -> String {
        let p = parts(milliseconds: t.utcMilliseconds + Int64(t.offsetMinutes) * 60_000)
        return ISOText.make { text in
            text.date(p.year, p.month, p.day); text.byte("T")
            text.time(p.hour, p.minute, p.second, p.millisecond)
            let off = abs(t.offsetMinutes)
            text.byte(t.offsetMinutes < 0 ? "-" : "+")
            text.digits(off / 60, width: 2); text.byte(":"); text.digits(off % 60, width: 2)
        }
    }

    /// `2024-03-15`.
    static func isoDate(_ d: DateOnly) -> String { ISOText.make { $0.date(d.year, d.month, d.day) } }

    /// `13:45:30.250`.
    static func isoTime(_ t: TimeOnly) -> String {
        ISOText.make { $0.time(t.hour, t.minute, t.second, t.millisecond) }
    }

    /// A GlobalID or GUID as compared: lower case, without braces.
    static func guidKey(_ guid: String) -> String {
        guid.trimmingCharacters(in: CharacterSet(charactersIn: "{}")).lowercased()
    }

    /// `{UPPER-CASE}`, from either spelling.
    static func guidBracedUpper(_ guid: String) -> String {
        var guid = guid
        // Runs per value: the common spellings ({UPPER} as given, or lower case without braces)
        // are handled on the bytes, and one already {UPPER} is handed back as it is.
        let converted = guid.withUTF8 { bytes -> String? in
            var core = bytes[...]
            if core.first == UInt8(ascii: "{") { core = core.dropFirst() }
            if core.last == UInt8(ascii: "}") { core = core.dropLast() }
            if core.count == bytes.count - 2, !core.contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) {
                return nil
            }
            return String(unsafeUninitializedCapacity: core.count + 2) { out in
                out[0] = UInt8(ascii: "{")
                var i = 1
                for c in core {
                    out[i] = (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) ? c - 32 : c
                    i += 1
                }
                out[i] = UInt8(ascii: "}")
                return i + 1
            }
        }
        return converted ?? guid
    }

    /// A float32 as the double its shortest decimal text denotes (1.1f -> 1.1).
    static func shortestDecimal(_ f: Float) -> Double {
        Double(String(f)) ?? Double(f)
    }

    /// Whether `d` written as fixed-point text with `precision` decimals (`%.*f`, as a `.dbf`
    /// numeric field holds it) takes at most `width` characters.
    static func fixedPointFits(_ d: Double, width: Int, precision: Int) -> Bool {
        guard d.isFinite else { return false }
        // Below 10^(width - precision - 3) the digits, sign, point and decimals always fit.
        let integerDigits = width - precision - 3
        if integerDigits > 0, integerDigits < 300, abs(d) < pow(10, Double(integerDigits)) { return true }
        return String(format: "%.*f", precision, d).utf8.count <= width
    }

    /// `s` cut to at most `maxBytes` UTF-8 bytes without splitting a character; nil when it fits.
    static func truncated(_ s: String, maxBytes: Int) -> String? {
        guard s.utf8.count > maxBytes else { return nil }
        var bytes = 0
        var end = s.startIndex
        for c in s {
            let n = c.utf8.count
            if bytes + n > maxBytes { break }
            bytes += n
            end = s.index(after: end)
        }
        return String(s[..<end])
    }

    /// The significant digits of the shortest text that reads back as `d` (1 for 0, NaN and
    /// infinity): a driver that prints doubles with fewer (`%.16g`) writes another double.
    static func significantDigits(_ d: Double) -> Int {
        guard d.isFinite, d != 0 else { return 1 }
        if d == d.rounded(), abs(d) < 1e15 { return 15 }  // an integer: at most 15 digits, all kept
        var digits = 0, zeros = 0, leading = true
        for b in String(d).utf8 {
            if b == UInt8(ascii: "e") { break }
            guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { continue }
            if b == UInt8(ascii: "0") {
                if !leading { zeros += 1 }
            } else {
                leading = false
                digits += zeros + 1
                zeros = 0
            }
        }
        return digits
    }

    /// `d` as a driver that prints it with `digits` significant digits (`%.<digits>g`) writes it.
    static func rounded(_ d: Double, significantDigits digits: Int) -> Double {
        guard d.isFinite else { return d }
        return Double(String(format: "%.\(digits)g", d)) ?? d
    }

    /// `text` as an XML reader reads it back from a document GDAL wrote it into (KML, Excel's
    /// shared strings): without the control characters XML 1.0 cannot hold (GDAL leaves them
    /// out), with CR LF and a lone CR as LF (XML's end-of-line rule) and, where
    /// `dropLeadingSpaces`, without leading spaces (GDAL's KML writer drops them). nil when
    /// nothing changes.
    static func xmlReadBack(_ text: String, dropLeadingSpaces: Bool) -> String? {
        let utf8 = text.utf8
        let changes = (dropLeadingSpaces && utf8.first == UInt8(ascii: " "))
            || utf8.contains { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A }
        guard changes else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var leading = dropLeadingSpaces, previousCR = false
        for b in utf8 {
            // GDAL drops the leading spaces of the text as given, then the control characters;
            // the reader then reads what is left, CR LF and a lone CR as LF.
            if leading {
                if b == UInt8(ascii: " ") { continue }
                leading = false
            }
            if b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D { continue }
            if b == 0x0A && previousCR {
                previousCR = false  // the LF of CR LF: the CR became it
                continue
            }
            previousCR = b == 0x0D
            out.append(b == 0x0D ? 0x0A : b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Shortest text that reads back as the same double; integral values without ".0".
    static func numberText(_ d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(base64Alphabet[Int(n >> 18 & 63)]); out.append(base64Alphabet[Int(n >> 12 & 63)])
            out.append(base64Alphabet[Int(n >> 6 & 63)]); out.append(base64Alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(base64Alphabet[Int(n >> 18 & 63)]); out.append(base64Alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? base64Alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// ISO 8601 text written a byte at a time into the string's own storage: building it from
/// `String(v)`, padding strings and concatenation cost about 7,000 instructions a date, a tenth of
/// a GeoJSON or CSV writer's time where a layer has one date field.
private struct ISOText {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    /// The text `write` makes; at most 48 bytes (a year of Int64 milliseconds has 9 digits).
    static func make(_ write: (inout ISOText) -> Void) -> String {
        String(unsafeUninitializedCapacity: 48) { buffer in
            var text = ISOText(buffer: buffer)
            write(&text)
            return text.count
        }
    }

    private init(buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    mutating func byte(_ b: Unicode.Scalar) {
        buffer[count] = UInt8(ascii: b)
        count += 1
    }

    /// `v` (not negative) in decimal, zero-padded to at least `width` digits.
    mutating func digits(_ v: Int, width: Int) {
        var length = 1, rest = v / 10
        while rest > 0 { length += 1; rest /= 10 }
        length = max(length, width)
        var v = v
        for i in stride(from: count + length - 1, through: count, by: -1) {
            buffer[i] = UInt8(truncatingIfNeeded: v % 10) + UInt8(ascii: "0")
            v /= 10
        }
        count += length
    }

    /// `YYYY-MM-DD`; a year before 1 BCE (0000) with a minus sign, one after 9999 with more digits.
    mutating func date(_ year: Int, _ month: Int, _ day: Int) {
        if year < 0 { byte("-") }
        digits(abs(year), width: 4); byte("-"); digits(month, width: 2); byte("-"); digits(day, width: 2)
    }

    /// `hh:mm:ss.sss`.
    mutating func time(_ hour: Int, _ minute: Int, _ second: Int, _ millisecond: Int) {
        digits(hour, width: 2); byte(":"); digits(minute, width: 2); byte(":"); digits(second, width: 2)
        byte("."); digits(millisecond, width: 3)
    }
}
