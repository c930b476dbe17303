import Foundation
import Testing
@testable import ReplicaExport
import ReplicaExportBenchmarkSupport

/// The byte-level scanner on its own: strings, numbers, structure, errors, chunk boundaries.
@Suite struct EsriJSONScannerTests {
    static let chunkSizes = [1, 2, 3, 7, 64, 1 << 20]

    func write(_ text: String) throws -> URL {
        let dir = try TestPaths.makeTemporaryDirectory("scanner")
        let url = dir.appendingPathComponent("doc.json")
        try Data(text.utf8).write(to: url)
        return url
    }

    /// Reads an array of strings.
    func strings(_ url: URL, chunk: Int) throws -> [String] {
        let s = try JSONScanner(url: url, chunkSize: chunk)
        try s.beginArray()
        var first = true
        var out: [String] = []
        while try s.nextElement(first: &first) { out.append(try s.readString()) }
        return out
    }

    @Test func unescapesStringsAcrossChunkBoundaries() throws {
        let json = #"["plain", "a\"b\\c\/d", "\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00 smile", "héllo wörld 😀", "", "lone \ud800 high", "lone \udc00 low"]"#
        let url = try write(json)
        let expected = ["plain", "a\"b\\c/d", "\u{08}\u{0C}\n\r\t", "é中", "😀 smile", "héllo wörld 😀", "",
                        "lone \u{FFFD} high", "lone \u{FFFD} low"]
        for chunk in Self.chunkSizes {
            #expect(try strings(url, chunk: chunk) == expected, "chunk size \(chunk)")
        }
        // The oracle agrees on the well-formed ones.
        let wellFormed = #"["plain", "a\"b\\c\/d", "\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00 smile", "héllo wörld 😀", ""]"#
        let oracle = try JSONSerialization.jsonObject(with: Data(wellFormed.utf8)) as? [String]
        #expect(oracle == Array(expected.prefix(7)))
    }

    @Test func parsesNumbersExactly() throws {
        let texts = ["0", "-0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808",
                     "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
                     "0.1", "-0.1", "1.5e3", "1E-7", "2.5E+10", "-13199344.008373085", "6056886.973585309",
                     "35.165736219000053", "0.30000000000000004", "1.7976931348623157e308", "4.9e-324",
                     "2.2250738585072014e-308", "1e400", "123.456e-300", "0.000000000000000000000000123",
                     "9007199254740993", "9007199254740993.0", "1.00000000000000011102230246251565404236316680908203125",
                     "-120.73650757099995", "1298911207000", "12345678901234567890.5e-5"]
        let url = try write("[" + texts.joined(separator: ",") + "]")
        for chunk in Self.chunkSizes {
            let s = try JSONScanner(url: url, chunkSize: chunk)
            try s.beginArray()
            var first = true
            var i = 0
            while try s.nextElement(first: &first) {
                let n = try s.readNumber()
                let text = texts[i]
                let isInt = !text.contains(".") && !text.lowercased().contains("e")
                if isInt, let exact = Int64(text) {
                    #expect(n == .int(exact), "\(text)")
                } else {
                    let want = Double(text)!
                    guard case .double(let got) = n else {
                        Issue.record("\(text) read as \(n)")
                        i += 1
                        continue
                    }
                    #expect(got.bitPattern == want.bitPattern, "\(text): \(got) != \(want) (chunk \(chunk))")
                }
                i += 1
            }
            #expect(i == texts.count)
        }
    }

    /// `nextKey` hands keys out of the buffer when it can and out of its own storage when a key is
    /// escaped or crosses a chunk boundary (or its ':' does): the same keys either way.
    @Test func keysComeOutWholeAtEveryChunkSize() throws {
        let json = #"{"plain": 1, "k\u0065y\"q" : "v", "h\u00e9": [1], "héllo"   :true, "": null, "long key with spaces and more": {"in": 2}}"#
        let url = try write(json)
        let expected = ["plain", "key\"q", "hé", "héllo", "", "long key with spaces and more"]
        for chunk in Self.chunkSizes {
            let s = try JSONScanner(url: url, chunkSize: chunk)
            try s.beginObject()
            var first = true
            var seen: [String] = []
            while let key = try s.nextKey(first: &first) {
                let name = String(decoding: key, as: UTF8.self)
                #expect(JSONScanner.key(key, is: Array(name.utf8)))
                #expect(!JSONScanner.key(key, is: Array((name + "x").utf8)))
                seen.append(name)
                try s.skipValue()
            }
            #expect(seen == expected, "chunk size \(chunk)")
            #expect(try s.atEndOfInput())
        }
    }

    /// The scanner's own UTF-8 check agrees with the standard library's on every sequence of up to
    /// four bytes drawn from the bytes where the rules change (overlong forms, surrogates, the end
    /// of Unicode, cut sequences), and on random byte strings.
    @Test func utf8CheckAgreesWithTheStandardLibrary() {
        let edges: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                              0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        var disagreements: [[UInt8]] = []
        func check(_ bytes: [UInt8]) {
            let ours = bytes.withUnsafeBufferPointer { JSONScanner.isValidUTF8($0) }
            if ours != (String(validating: bytes, as: UTF8.self) != nil) { disagreements.append(bytes) }
        }
        for a in edges {
            check([a])
            for b in edges {
                check([a, b])
                for c in edges {
                    check([a, b, c])
                    for d in edges { check([a, b, c, d]) }
                }
            }
        }
        var random = SplitMix64(seed: 0x07F8)
        for _ in 0..<20_000 {
            let count = Int(random.next() % 12)
            // Mostly bytes of multibyte sequences, where mistakes hide.
            check((0..<count).map { _ in random.next() % 4 == 0 ? UInt8(random.next() % 0x80) : UInt8(0x80 + random.next() % 0x80) })
        }
        #expect(disagreements.count == 0, "first: \(disagreements.prefix(5))")
    }

    /// The word-at-a-time searches find the same byte as a byte-by-byte search, from every start,
    /// in buffers dense with the bytes they look for and their near misses (0x21, 0x23, 0x5A, 0x7C,
    /// 0x3B, 0x7E, 0x1F, 0x20, 0x80, 0xDB, 0xFB...).
    @Test func wordSearchesAgreeWithByteSearches() {
        let alphabet: [UInt8] = [0x00, 0x01, 0x0A, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x3A, 0x3B, 0x41, 0x5A, 0x5B, 0x5C,
                                 0x5D, 0x5E, 0x61, 0x7A, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F, 0x80, 0xA2, 0xDB, 0xDD, 0xFB, 0xFD, 0xFF]
        typealias Search = (UnsafePointer<UInt8>, Int, Int) -> Int
        let searches: [(String, Search, (UInt8) -> Bool)] = [
            ("plain string", { ByteRuns.plainStringPrefix($0, from: $1, to: $2) }, { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }),
            ("string body", { ByteRuns.stringBodyPrefix($0, from: $1, to: $2) }, { $0 == 0x22 || $0 == 0x5C }),
            ("structural", { ByteRuns.structuralPrefix($0, from: $1, to: $2) },
             { [0x22, 0x5B, 0x5D, 0x7B, 0x7D].contains($0) }),
        ]
        var random = SplitMix64(seed: 0xB17E5)
        var mismatches: [String] = []
        for _ in 0..<400 {
            let length = Int(random.next() % 40)
            // Sparse or dense: runs of plain letters between the chosen bytes.
            let density = random.next() % 4
            let bytes: [UInt8] = (0..<length).map { _ in
                random.next() % 4 < density ? alphabet[Int(random.next() % UInt64(alphabet.count))] : 0x61
            }
            bytes.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                for (name, search, isStop) in searches {
                    for start in 0...length {
                        let expected = (start..<length).first { isStop(buffer[$0]) } ?? length
                        var found = search(base, start, length)
                        // What the word search leaves (fewer than eight bytes) goes byte by byte.
                        let plainBefore = (start..<found).allSatisfy { !isStop(buffer[$0]) }
                        if found < expected && length - found >= 8 || !plainBefore { found = -1 }
                        while found >= 0 && found < length && !isStop(buffer[found]) { found += 1 }
                        if found != expected { mismatches.append("\(name) in \(bytes) from \(start): \(found) != \(expected)") }
                    }
                }
            }
        }
        #expect(mismatches.count == 0, "first: \(mismatches.prefix(3))")
    }

    /// `firstOther(than:)` (a .dbf value's blanks, eight at a time) finds the same byte as a byte
    /// loop, for every start and end, in runs of blanks broken by near misses.
    @Test func firstOtherAgreesWithAByteLoop() {
        var random = SplitMix64(seed: 0xDBF)
        var mismatches: [String] = []
        for _ in 0..<300 {
            let length = Int(random.next() % 40)
            let bytes: [UInt8] = (0..<length).map { _ in
                random.next() % 6 == 0 ? [0x00, 0x1F, 0x21, 0x60, 0xA0, 0x41][Int(random.next() % 6)] : 0x20
            }
            bytes.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                for start in 0...length {
                    for end in start...length {
                        let expected = (start..<end).first { buffer[$0] != 0x20 } ?? end
                        let found = ByteRuns.firstOther(than: 0x20, in: base, from: start, to: end)
                        if found != expected { mismatches.append("\(bytes) \(start)..<\(end): \(found) != \(expected)") }
                    }
                }
            }
        }
        #expect(mismatches.count == 0, "first: \(mismatches.prefix(3))")
    }

    /// A string that is not UTF-8 is refused whether it is read from the buffer or pieced together.
    @Test func invalidUTF8IsRefusedOnBothPaths() throws {
        let dir = try TestPaths.makeTemporaryDirectory("scanner")
        let url = dir.appendingPathComponent("latin1.json")
        try Data([0x5B, 0x22, 0x61, 0xE9, 0x62, 0x22, 0x5D]).write(to: url)  // ["a\xE9b"]
        for chunk in Self.chunkSizes {
            let s = try JSONScanner(url: url, chunkSize: chunk)
            try s.beginArray()
            var first = true
            _ = try s.nextElement(first: &first)
            #expect(throws: ReplicaExportError.self, "chunk size \(chunk)") { try s.readString() }
        }
    }

    @Test func walksObjectsAndSkipsValues() throws {
        let json = #" { "skip": {"a": [1, 2, {"b": "]}\"["}], "c": null}, "keep" : [true, false, null], "s": "x\"}" } "#
        let url = try write(json)
        for chunk in Self.chunkSizes {
            let s = try JSONScanner(url: url, chunkSize: chunk)
            try s.beginObject()
            var first = true
            var key: [UInt8] = []
            var seen: [String] = []
            while try s.nextMember(first: &first, key: &key) {
                let name = String(decoding: key, as: UTF8.self)
                seen.append(name)
                switch name {
                case "keep":
                    #expect(try s.readValue() == .array([.bool(true), .bool(false), .null]))
                case "s":
                    #expect(try s.readString() == "x\"}")
                default:
                    try s.skipValue()
                }
            }
            #expect(seen == ["skip", "keep", "s"])
            #expect(try s.atEndOfInput())
        }
    }

    /// Skipping keeps the open brackets as bits up to 64 levels and in an array beyond: a structure
    /// 100 levels deep, of both kinds, with escaped quotes and backslashes that a chunk boundary
    /// may split, is skipped whole; a closing bracket of the wrong kind, at either depth, is
    /// refused at its byte.
    @Test func skipsDeepStructuresAndRefusesMismatchedBrackets() throws {
        let openers = (0..<100).map { $0 % 3 == 0 ? "[" : "{\"k\\\"\($0)\": " }
        let closers = (0..<100).reversed().map { $0 % 3 == 0 ? "]" : "}" }
        let deep = openers.joined() + "\"a\\\\b\\\"c\"" + closers.joined()
        let url = try write("[" + deep + ", 7]")
        for chunk in Self.chunkSizes {
            let s = try JSONScanner(url: url, chunkSize: chunk)
            try s.beginArray()
            var first = true
            #expect(try s.nextElement(first: &first))
            try s.skipValue()
            #expect(try s.nextElement(first: &first))
            #expect(try s.readNumber() == .int(7), "chunk size \(chunk)")
            #expect(try !s.nextElement(first: &first))
        }
        // A wrong closer at depth 3 (within the bits) and at depth 80 (beyond them).
        for depth in [3, 80] {
            var closing = Array(closers.suffix(depth))
            let wrongAt = openers.prefix(depth).joined().utf8.count + 1  // the innermost closer's offset
            closing[0] = closing[0] == "]" ? "}" : "]"
            let bad = openers.prefix(depth).joined() + "1" + closing.joined()
            let badURL = try write(bad)
            for chunk in [1, 7, 1 << 20] {
                let s = try JSONScanner(url: badURL, chunkSize: chunk)
                #expect {
                    try s.skipValue()
                } throws: { error in
                    guard let e = error as? ReplicaExportError else { return false }
                    return e.code == .syntax && e.location.byteOffset == wrongAt && e.message.contains("mismatched")
                }
            }
        }
    }

    /// Syntax errors carry the byte offset of the offending token.
    @Test(arguments: [
        (#"{"a": tru }"#, 6),
        (#"{"a": 01}"#, 6),
        (#"{"a" 1}"#, 5),
        (#"{"a": 1,,}"#, 8),
        (#"[1, 2,,]"#, 6),
        (#"{"a": NaNa}"#, 6),
        (#"{"a": -Inf}"#, 6),
        (#"{"a": -NaN}"#, 6),
        ("{\"a\": \"x\ny\"}", 8),
        (#"{"a": "\q"}"#, 8),
        (#"{"a": -}"#, 6),
        (#"{"a": 1.e5}"#, 6),
    ])
    func syntaxErrorsCarryOffsets(json: String, offset: Int) throws {
        let url = try write(json)
        do {
            let s = try JSONScanner(url: url, chunkSize: 3)
            _ = try s.readValue()
            Issue.record("no error for \(json)")
        } catch let error as ReplicaExportError {
            #expect(error.code == .syntax, "\(json): \(error)")
            #expect(error.location.byteOffset == offset, "\(json): \(error)")
            #expect(error.location.input == url.path)
        }
    }

    /// What GDAL's and Python's readers accept beyond JSON is read, at every chunk size, and counted
    /// with the first offset: commas before `]` and `}`, `NaN` / `Infinity` / `-Infinity`, a BOM.
    @Test func nonStandardJSONIsReadAndCounted() throws {
        let json = "\u{FEFF}" + #"{"a": [1, NaN, -Infinity, Infinity,], "b": {"c": -1,},}"#
        let url = try write(json)
        for chunk in [1, 2, 3, 7, 1 << 16] {
            let s = try JSONScanner(url: url, chunkSize: chunk)
            let value = try s.readValue()
            #expect(try s.atEndOfInput())
            guard case .array(let items)? = value["a"] else { Issue.record("no array at chunk \(chunk)"); continue }
            #expect(items.count == 4, "chunk \(chunk)")
            #expect(items[1].double?.isNaN == true && items[2].double == -.infinity && items[3].double == .infinity)
            #expect(value["b"]?["c"]?.int == -1)
            #expect(s.nonStandard.count == 7, "chunk \(chunk): \(s.nonStandard)")
            #expect(s.nonStandard.firstOffset == 0)
            #expect(s.nonStandard.seen == [.trailingComma, .nonFiniteLiteral, .byteOrderMark])
        }
        let plain = try write(#"{"a": [1, -2]}"#)
        let s = try JSONScanner(url: plain, chunkSize: 1)
        _ = try s.readValue()
        #expect(s.nonStandard == NonStandardJSON())
    }

    @Test func truncatedInputIsReportedAtEveryCut() throws {
        let json = #"{"a": [1, -2.5e3, "str\u00e9", {"b": null, "c": true}], "d": false}"#
        let bytes = Array(json.utf8)
        let dir = try TestPaths.makeTemporaryDirectory("scanner-cut")
        for cut in 0..<bytes.count {
            let url = dir.appendingPathComponent("cut\(cut).json")
            try Data(bytes[0..<cut]).write(to: url)
            for skip in [false, true] {
                do {
                    let s = try JSONScanner(url: url, chunkSize: 4)
                    if skip { try s.skipValue() } else { _ = try s.readValue() }
                    Issue.record("no error at cut \(cut)")
                } catch let error as ReplicaExportError {
                    #expect(error.code == .truncated, "cut \(cut) skip \(skip): \(error)")
                    #expect(error.location.byteOffset != nil)
                    #expect((error.location.byteOffset ?? -1) <= cut)
                }
            }
        }
    }

    @Test func seeksBackAndForth() throws {
        let url = try write(#"{"first": [1, 2, 3], "second": "two"}"#)
        let s = try JSONScanner(url: url, chunkSize: 5)
        try s.beginObject()
        var first = true
        var key: [UInt8] = []
        _ = try s.nextMember(first: &first, key: &key)
        _ = try s.peekNonSpace()
        let arrayAt = s.offset
        try s.skipValue()
        _ = try s.nextMember(first: &first, key: &key)
        #expect(try s.readString() == "two")
        try s.seek(to: arrayAt)
        #expect(try s.readValue() == .array([.number(.int(1)), .number(.int(2)), .number(.int(3))]))
    }
}
