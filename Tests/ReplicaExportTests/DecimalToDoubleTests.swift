import Foundation
import Testing
@testable import ReplicaExport
import ReplicaExportBenchmarkSupport

/// ``DecimalToDouble/eiselLemire(mantissa:exponent10:negative:)`` and the scanner's number path
/// that uses it, bit for bit against the correctly rounding `Double(String)`.
@Suite struct DecimalToDoubleTests {
    /// Hard decimals: ties between two doubles (which round to even), the neighbours of 2^53, the
    /// largest and smallest normals, subnormals down to the smallest and the zero below it, the
    /// overflow to infinity, the classic inexact fractions, and more than 19 significant digits
    /// (where the scanner must decide from mantissa and mantissa + 1, or fall back).
    static let hardCases = [
        "9007199254740991", "9007199254740992", "9007199254740993", "9007199254740995",
        "9007199254740993.0", "9.007199254740993e15", "-9007199254740993.0",
        "9007199254740993.0000000000001", "9007199254740992.9999999999999",
        "18014398509481985.0", "18014398509481987.0", "18014398509481986.00000000000000000001",
        "4503599627370496.5", "4503599627370497.5", "562949953421312.0625", "562949953421312.1875",
        "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "-1.7976931348623157e308",
        "8.98846567431158e307", "1e308", "1e309", "1e400", "-1e400",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "2.2250738585072012e-308", "2.2250738585072013e-308",
        "4.9406564584124654e-324", "5e-324", "4.9e-324", "3e-324", "2.4703282292062328e-324",
        "2.4703282292062327e-324", "2e-324", "1e-324", "1e-340", "1e-400", "-5e-324", "-1e-400",
        "0.1", "0.2", "0.3", "0.30000000000000004", "0.1e1", "1e-22", "1e22", "1e23", "-1e23", "1e-23",
        "9.999999999999999e22", "8.589973e9", "123456789012345678e-5", "7.038531e-26",
        "12345678901234567890", "12345678901234567890.5", "123456789012345678901234567890",
        "1234567890123456789012345e-10", "0.12345678901234567890123", "9999999999999999999.9",
        "99999999999999999999e-20", "0.0000000000000000000000000001234567890123456789012",
        "-24286.686951704905", "-13046125.123456789", "-120.73650757099995", "6056886.973585309",
        "35.165736219000053", "2.5E+10", "1E-7", "-0.0", "-0", "0.0", "0e10", "-0e-10", "0.000e5",
    ]

    func write(_ texts: [String]) throws -> URL {
        let dir = try TestPaths.makeTemporaryDirectory("decimal-to-double")
        let url = dir.appendingPathComponent("numbers.json")
        try Data(("[" + texts.joined(separator: ",") + "]").utf8).write(to: url)
        return url
    }

    /// Reads the array of numbers at `url` and records every one that is not what `Double(String)`
    /// (or `Int64(String)`, for an integer the scanner keeps whole) makes of its text.
    func expectScannerAgrees(_ url: URL, texts: [String], chunk: Int) throws {
        let scanner = try JSONScanner(url: url, chunkSize: chunk)
        try scanner.beginArray()
        var first = true
        var i = 0
        var failures = 0
        while try scanner.nextElement(first: &first) {
            let text = texts[i]
            i += 1
            let number = try scanner.readNumber()
            let agrees: Bool
            switch number {
            case .int(let v): agrees = Int64(text) == v
            case .double(let v): agrees = Double(text).map { $0.bitPattern == v.bitPattern } ?? false
            }
            if !agrees {
                failures += 1
                if failures <= 20 { Issue.record("\(text): read \(number), Double(String) says \(Double(text) as Any) (chunk \(chunk))") }
            }
        }
        #expect(i == texts.count)
        #expect(failures == 0)
    }

    /// An exponent past the scanner's cap of 100,000, after as many fraction digits: the two must not
    /// cancel into 1.0 (the value is infinite).
    @Test func anExponentBeyondTheCapIsNotCancelledByFractionDigits() throws {
        let texts = ["0." + String(repeating: "0", count: 99_999) + "1e1234579",
                     "-0." + String(repeating: "0", count: 99_999) + "1e1234579",
                     "1" + String(repeating: "0", count: 99_990) + "e-1234579"]
        try expectScannerAgrees(try write(texts), texts: texts, chunk: 1 << 20)
    }

    @Test func scannerReadsHardCasesExactly() throws {
        let url = try write(Self.hardCases)
        for chunk in [1, 7, 1 << 20] {
            try expectScannerAgrees(url, texts: Self.hardCases, chunk: chunk)
        }
    }

    @Test func hardCasesDirectly() {
        // (mantissa, exponent): ties, 2^53 ± 1, the extremes, subnormals, powers of ten.
        let cases: [(UInt64, Int)] = [
            (9_007_199_254_740_991, 0), (9_007_199_254_740_993, 0), (9_007_199_254_740_995, 0),
            (90_071_992_547_409_930, -1), (45_035_996_273_704_965, -1), (5_629_499_534_213_120_625, -4),
            (18_014_398_509_481_985, 0), (9_007_199_254_740_993, 1), (9_007_199_254_740_993, 2),
            (17_976_931_348_623_157, 292), (17_976_931_348_623_158, 292), (17_976_931_348_623_159, 292),
            (898_846_567_431_158, 293), (1, 308), (18, 307), (UInt64.max, 308),
            (22_250_738_585_072_014, -324), (22_250_738_585_072_012, -324), (22_250_738_585_072_011, -324),
            (5, -324), (49, -325), (3, -324), (2, -324), (24_703_282_292_062_328, -340),
            (24_703_282_292_062_327, -340), (UInt64.max, -342), (1, -342), (9_999_999_999_999_999_999, -342),
            (1, -1), (2, -1), (3, -1), (1, -22), (1, 22), (1, 23), (1, -23), (1, 0), (UInt64.max, 0),
            (UInt64.max, -19), (10_000_000_000_000_000_000, -19), (24_286_686_951_704_905, -12),
        ]
        for (mantissa, exponent) in cases {
            for negative in [false, true] {
                let text = (negative ? "-" : "") + "\(mantissa)e\(exponent)"
                let got = DecimalToDouble.eiselLemire(mantissa: mantissa, exponent10: exponent, negative: negative)
                #expect(got?.bitPattern == Double(text)!.bitPattern, "\(text): \(got as Any) != \(Double(text)!)")
            }
        }
        // Zero keeps its sign; outside the table the caller decides.
        #expect(DecimalToDouble.eiselLemire(mantissa: 0, exponent10: 5, negative: true)?.bitPattern == (-0.0).bitPattern)
        #expect(DecimalToDouble.eiselLemire(mantissa: 0, exponent10: 5, negative: false)?.bitPattern == (0.0).bitPattern)
        #expect(DecimalToDouble.eiselLemire(mantissa: 1, exponent10: -343, negative: false) == nil)
        #expect(DecimalToDouble.eiselLemire(mantissa: 1, exponent10: 309, negative: false) == nil)
    }

    /// 300,000 significands of 1 to 19 digits at exponents -350...350 (the table's ends and beyond).
    @Test func randomDecimalsDirectly() {
        var random = SplitMix64(seed: 0xDEC1_4A1)
        var failures = 0
        for _ in 0..<300_000 {
            let digitCount = Int(random.next() % 19) + 1
            var mantissa: UInt64 = 0
            for _ in 0..<digitCount { mantissa = mantissa &* 10 &+ random.next() % 10 }
            let exponent = Int(random.next() % 701) - 350
            let negative = random.next() & 1 == 1
            let got = DecimalToDouble.eiselLemire(mantissa: mantissa, exponent10: exponent, negative: negative)
            let inTable = exponent >= DecimalToDouble.smallestPowerOfTen && exponent <= DecimalToDouble.largestPowerOfTen
            let agrees: Bool
            if inTable {
                let want = Double((negative ? "-" : "") + "\(mantissa)e\(exponent)")!
                agrees = got?.bitPattern == want.bitPattern
            } else {
                agrees = got == nil
            }
            if !agrees {
                failures += 1
                if failures <= 20 { Issue.record("\(negative ? "-" : "")\(mantissa)e\(exponent): \(got as Any)") }
            }
        }
        #expect(failures == 0)
    }

    /// 300,000 JSON number texts as they come in files: 1 to 25 significant digits (so some are cut
    /// at 19), in plain and exponent form, values from about 1e-350 to 1e350, through the scanner.
    /// A share are a double's 17 digits with more appended, which land near halfway points.
    @Test func randomNumberTextsThroughTheScanner() throws {
        var random = SplitMix64(seed: 0x5CA_77E4)
        var texts: [String] = []
        texts.reserveCapacity(300_000)
        for _ in 0..<300_000 {
            texts.append(Self.randomNumberText(&random))
        }
        let url = try write(texts)
        try expectScannerAgrees(url, texts: texts, chunk: 1 << 20)
    }

    /// One random JSON number text (see ``randomNumberTextsThroughTheScanner()``).
    static func randomNumberText(_ random: inout SplitMix64) -> String {
        let sign = random.next() & 3 == 0 ? "-" : ""
        var digits: [UInt8]
        if random.next() % 4 == 0 {
            // Near a double: its 17 significant digits, then 1 to 8 more.
            var value = Double(bitPattern: random.next() >> 1)
            if !value.isFinite || value == 0 { value = .greatestFiniteMagnitude }
            let scientific = String(format: "%.16e", value)  // d.dddddddddddddddde±x
            let mantissaPart = scientific.prefix { $0 != "e" }
            let exponent = Int(scientific[scientific.index(after: mantissaPart.endIndex)...])!
            digits = mantissaPart.utf8.filter { $0 != UInt8(ascii: ".") }.map { $0 - 0x30 }
            let extra = Int(random.next() % 8) + 1
            for _ in 0..<extra { digits.append(UInt8(random.next() % 10)) }
            return sign + format(digits: digits, pointAfter: exponent + 1, &random)
        }
        let count = Int(random.next() % 25) + 1
        digits = (0..<count).map { _ in UInt8(random.next() % 10) }
        if digits[0] == 0 { digits[0] = 1 }
        if random.next() % 8 == 0 {
            // Trailing zeros, which are not significant.
            for i in max(1, count - Int(random.next() % 6))..<count { digits[i] = 0 }
        }
        // Where the decimal point goes relative to the first digit: 10^(pointAfter - 1) is the
        // magnitude, -350...350 overall.
        let pointAfter = Int(random.next() % 701) - 349
        return sign + format(digits: digits, pointAfter: pointAfter, &random)
    }

    /// `0.digits × 10^pointAfter` written in one of JSON's forms: plain when the point falls near
    /// the digits, otherwise (or by choice) with an exponent, `e` or `E`, with or without `+`.
    static func format(digits: [UInt8], pointAfter: Int, _ random: inout SplitMix64) -> String {
        let text = String(decoding: digits.map { $0 + 0x30 }, as: UTF8.self)
        if pointAfter >= -25 && pointAfter <= 40 && random.next() % 2 == 0 {
            if pointAfter <= 0 { return "0." + String(repeating: "0", count: -pointAfter) + text }
            if pointAfter >= digits.count {
                // Pad with zeros to an integer, then either leave it (an integer token) or add ".0".
                let whole = text + String(repeating: "0", count: pointAfter - digits.count)
                return random.next() % 2 == 0 ? whole : whole + ".0"
            }
            let split = text.index(text.startIndex, offsetBy: pointAfter)
            return String(text[..<split]) + "." + String(text[split...])
        }
        // d.ddd e(pointAfter - 1), sometimes with the point moved so the exponent absorbs more.
        let e = random.next() % 2 == 0 ? "e" : "E"
        if digits.count > 1 && random.next() % 3 == 0 {
            let exponent = pointAfter - digits.count  // an integer significand
            return text + e + (exponent >= 0 && random.next() % 2 == 0 ? "+" : "") + String(exponent)
        }
        let exponent = pointAfter - 1
        let mantissa = digits.count == 1 ? text : String(text.prefix(1)) + "." + String(text.dropFirst())
        return mantissa + e + (exponent >= 0 && random.next() % 2 == 0 ? "+" : "") + String(exponent)
    }
}
