import Foundation

/// Keeps text values that look like JSON as text in GeoJSON.
///
/// GDAL 3.6.2's GeoJSON writer writes a text value that starts with `{` and ends with `}`, or
/// starts with `[` and ends with `]`, as the JSON it parses to (`OGRGeoJSONWriteAttributes`; the
/// layer option `AUTODETECT_JSON_STRINGS` that turns this off came in a later GDAL): the text
/// `[1, 2]` became the array `[ 1, 2 ]`. Such a value, and one that starts with the marker itself,
/// goes to GDAL behind a marker, U+0001, which makes GDAL keep it a string and which json-c writes
/// as `\u0001`; once the file is closed (and its segments joined), the marker is taken out again
/// where a member's string value starts with it: `: "\u0001`, a sequence that occurs nowhere
/// else (inside a string a quote is escaped).
enum GeoJSONTextMarker {
    static let marker: Character = "\u{01}"

    /// Whether GDAL would parse `text` as JSON, or it starts with the marker.
    static func needsMarker(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return false }
        return (first == UInt8(ascii: "{") && last == UInt8(ascii: "}"))
            || (first == UInt8(ascii: "[") && last == UInt8(ascii: "]")) || first == 0x01
    }

    /// The features with every text value of `textFields` that needs it behind the marker.
    static func mark(_ features: [PreparedFeature], textFields: [Int]) -> [PreparedFeature] {
        var out = features
        for (row, feature) in features.enumerated() {
            for field in textFields {
                if case .string(let text) = feature.attributes[field], needsMarker(text) {
                    out[row].attributes[field] = .string(String(marker) + text)
                }
            }
        }
        return out
    }

    /// What json-c writes for a member value that starts with the marker; the marker is its last
    /// six bytes.
    private static let markedValue = Array(": \"\\u0001".utf8)
    private static let markerBytes = 6

    /// Takes the markers out of the closed GeoJSON file at `url`: rewrites it (a temporary file
    /// renamed over it) when it holds any, leaves it untouched otherwise. Reads `window` bytes at a
    /// time.
    static func strip(_ url: URL, location: ErrorLocation, window: Int = 4 << 20) throws {
        let input = try FileDescriptor(path: url.path, flags: O_RDONLY, role: "the GeoJSON file", location: location)
        let size = try input.size()
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).unmarked")
        var output: FileDescriptor?
        var copied: Int64 = 0  // input bytes before this are in the output
        var copyBuffer: [UInt8] = []
        do {
            var offset: Int64 = 0
            let window = max(window, markedValue.count)
            let overlap = markedValue.count - 1
            while offset < size {
                let chunk = try input.read(at: offset, count: Int(min(Int64(window), size - offset)))
                guard !chunk.isEmpty else { break }
                let atEnd = offset + Int64(chunk.count) >= size
                // A match starting in the last `overlap` bytes is found by the next window.
                let lastStart = chunk.count - markedValue.count
                var matches: [Int64] = []
                chunk.withUnsafeBufferPointer { bytes in
                    guard let base = bytes.baseAddress, lastStart >= 0 else { return }
                    // Backslashes are rare in GeoJSON (escapes in text), so the search goes from
                    // one to the next, a word at a time, and looks around each.
                    let backslashAt = 3  // in markedValue
                    var p = backslashAt
                    while true {
                        p = ByteRuns.first(UInt8(ascii: "\\"), in: base, from: p, to: lastStart + backslashAt + 1)
                        if p > lastStart + backslashAt { break }
                        let start = p - backslashAt
                        if (0..<markedValue.count).allSatisfy({ bytes[start + $0] == markedValue[$0] }) {
                            matches.append(offset + Int64(start))
                            p = start + markedValue.count + backslashAt
                        } else {
                            p += 1
                        }
                    }
                }
                for match in matches {
                    if output == nil {
                        output = try FileDescriptor(path: temporary.path, flags: O_WRONLY | O_CREAT | O_TRUNC,
                                                    role: "the GeoJSON file", location: location)
                    }
                    let keep = match + Int64(markedValue.count - markerBytes)
                    try SegmentSplice.copy(from: input, range: copied..<keep, to: output!, buffer: &copyBuffer, location: location)
                    copied = keep + Int64(markerBytes)
                }
                if atEnd { break }
                offset += Int64(max(1, chunk.count - overlap))
                // Do not find a match again that this window already took.
                if let last = matches.last, last + Int64(markedValue.count) > offset { offset = last + Int64(markedValue.count) }
            }
            guard let output else { return }
            try SegmentSplice.copy(from: input, range: copied..<size, to: output, buffer: &copyBuffer, location: location)
            try output.close(location: location)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        try FileDescriptor.replace(url, with: temporary, doing: "replacing the GeoJSON file with its unmarked copy", location: location)
    }
}
