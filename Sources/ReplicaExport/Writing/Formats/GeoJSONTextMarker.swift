import Foundation

/// Values that replica-export, not GDAL, spells in GeoJSON: text that looks like JSON, and numbers.
///
/// GDAL 3.6.2's GeoJSON writer writes a text value that starts with `{` and ends with `}`, or
/// starts with `[` and ends with `]`, as the JSON it parses to (`OGRGeoJSONWriteAttributes`; the
/// layer option `AUTODETECT_JSON_STRINGS` that turns this off came in a later GDAL): the text
/// `[1, 2]` became the array `[ 1, 2 ]`. Such a value (a braced GUID too, which GDAL tries to parse
/// and then writes as text, a tenth of its time on a point layer), and one that starts with a
/// marker itself, goes to GDAL behind the text marker, U+0001, which makes GDAL keep it a string.
///
/// GDAL prints a double property with `%.17g` and, where that shows a run of six 0s or six 9s after
/// the point, with 16, 15 or 14 digits: 0.30000000000000004 became 0.3 and -73.99000000000001
/// became -73.99, other doubles than the ones written, at 8,000 instructions a value. A number goes
/// to GDAL as text instead, its shortest round-trip form behind the number marker, U+0002.
///
/// json-c writes a marker as `\u0001` or `\u0002`. Once the file is closed (and its segments
/// joined), a member's string value that starts with the text marker loses the marker, one that
/// starts with the number marker loses the marker and its quotes: `: "\u0002` is a sequence that
/// occurs nowhere else (inside a string a quote is escaped), and a number's text holds no quote.
enum GeoJSONTextMarker {
    static let textMarker: UInt8 = 0x01
    static let numberMarker: UInt8 = 0x02

    /// Whether GDAL would parse `text` as JSON, or it starts with a marker.
    private static func needsMarker(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return false }
        return (first == UInt8(ascii: "{") && last == UInt8(ascii: "}"))
            || (first == UInt8(ascii: "[") && last == UInt8(ascii: "]")) || first == textMarker || first == numberMarker
    }

    /// `text`, behind the text marker where GDAL needs it (``needsMarker(_:)``).
    static func text(_ text: String) -> String {
        needsMarker(text) ? prefixed(textMarker, text) : text
    }

    /// The shortest round-trip text of a finite number, behind the number marker.
    static func number(_ value: Double) -> String { prefixed(numberMarker, value.description) }

    /// A float32's shortest round-trip text (`1.1`, not the double's `1.100000023841858`).
    static func number(_ value: Float) -> String { prefixed(numberMarker, value.description) }

    private static func prefixed(_ marker: UInt8, _ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            String(unsafeUninitializedCapacity: bytes.count + 1) { out in
                out[0] = marker
                _ = UnsafeMutableBufferPointer(rebasing: out[1...]).initialize(from: bytes)
                return bytes.count + 1
            }
        }
    }

    /// What json-c writes for a member value that starts with a marker, but the marker's last
    /// digit: `: "\u000`, eight bytes, compared as one little-endian word. `: "` is kept before
    /// text, `: ` before a number.
    private static let markedValue = UInt64(littleEndianBytes: Array(": \"\\u000".utf8))
    /// The pattern's length with that last digit.
    private static let patternLength = 9
    /// Where the backslash is in the pattern: the search goes from one backslash to the next.
    private static let backslashAt = 3

    /// Takes the markers out of the closed GeoJSON file at `url`: rewrites it (a temporary file
    /// renamed over it) when it holds any, leaves it untouched otherwise. Reads `window` bytes at a
    /// time into one buffer, in which what is kept is moved to the front and written from there
    /// (the output is never longer than the input).
    static func strip(_ url: URL, location: ErrorLocation, window: Int = 4 << 20) throws {
        let input = try FileDescriptor(path: url.path, flags: O_RDONLY, role: "the GeoJSON file", location: location)
        let size = try input.size()
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).unmarked")
        let window = max(window, patternLength)
        var output: FileDescriptor?
        var copyBuffer: [UInt8] = []
        // The bytes carried from the previous window (where a pattern may start), then a window.
        var buffer = [UInt8](repeating: 0, count: window + patternLength)
        do {
            var offset: Int64 = 0    // the next input byte to read
            var carried = 0
            var inNumber = false     // a number's text runs on into the next window
            while offset < size {
                let want = Int(min(Int64(window), size - offset))
                let got = try buffer.withUnsafeMutableBytes { try input.read(into: $0.baseAddress! + carried, at: offset, count: want) }
                guard got > 0 else {
                    throw ReplicaExportError(.fileSystem, "the GeoJSON file ended at byte \(offset), before its size of \(size) bytes: "
                                             + "something else changed it while it was written", at: location)
                }
                offset += Int64(got)
                let count = carried + got
                let bufferStart = offset - Int64(count)
                // A pattern that starts before `lastStart` lies whole in this buffer; a later one
                // is found in the next, which begins with the bytes from there.
                let lastStart = count - (patternLength - 1)
                let keptUntil = offset >= size ? count : lastStart
                try buffer.withUnsafeMutableBufferPointer { bytes in
                    let base = bytes.baseAddress!
                    var handled = 0  // bytes before this are kept or dropped
                    var kept = 0     // the kept bytes of this buffer, at its front (once there is an output)
                    func keep(_ range: Range<Int>) {
                        guard output != nil, !range.isEmpty else { return }
                        if kept != range.lowerBound { memmove(base + kept, base + range.lowerBound, range.count) }
                        kept += range.count
                    }
                    // A number's text from `start`; its closing quote is dropped.
                    func finishNumber(from start: Int) {
                        let quote = ByteRuns.first(UInt8(ascii: "\""), in: base, from: start, to: count)
                        keep(start..<quote)
                        inNumber = quote == count
                        handled = inNumber ? quote : quote + 1
                    }
                    if inNumber { finishNumber(from: 0) }
                    var p = handled + backslashAt
                    while !inNumber {
                        p = ByteRuns.first(UInt8(ascii: "\\"), in: base, from: p, to: lastStart + backslashAt)
                        if p >= lastStart + backslashAt { break }
                        let start = p - backslashAt
                        let kind = base[start + 8]
                        guard kind == UInt8(ascii: "1") || kind == UInt8(ascii: "2"),
                              UnsafeRawPointer(base + start).loadUnaligned(as: UInt64.self) == markedValue else {
                            p += 1
                            continue
                        }
                        if output == nil {
                            // The first marker: everything before this buffer is copied as it is.
                            let file = try FileDescriptor(path: temporary.path, flags: O_WRONLY | O_CREAT | O_TRUNC,
                                                          role: "the GeoJSON file", location: location)
                            output = file
                            try SegmentSplice.copy(from: input, range: 0..<bufferStart, to: file, buffer: &copyBuffer, location: location)
                        }
                        if kind == UInt8(ascii: "1") {
                            keep(handled..<start + 3)  // `: "`, then the text
                            handled = start + patternLength
                        } else {
                            keep(handled..<start + 2)  // `: `, then the number
                            finishNumber(from: start + patternLength)
                        }
                        p = handled + backslashAt
                    }
                    let end = max(handled, keptUntil)
                    keep(handled..<end)
                    if let output { try output.write(UnsafeRawBufferPointer(start: base, count: kept), location: location) }
                    carried = count - end
                    if carried > 0 { memmove(base, base + end, carried) }
                }
            }
            guard let output else { return }
            try output.close(location: location)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        try FileDescriptor.replace(url, with: temporary, doing: "replacing the GeoJSON file with its unmarked copy", location: location)
    }
}

private extension UInt64 {
    /// The word of eight bytes as they lie in memory on a little-endian machine.
    init(littleEndianBytes bytes: [UInt8]) {
        precondition(bytes.count == 8)
        self = bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}
