import Foundation

/// Shrinks a closed `.dbf` file's text and integer columns to the widest value they hold, giving
/// exactly the bytes GDAL's shapefile layer option `RESIZE=YES` gives, in two sequential passes.
///
/// GDAL 3.6.2 resizes at close with one `DBFAlterFieldDefn` per column, and each of those rewrites
/// every record in place through a read-seek-write per record: for a layer of 8 columns that was
/// about 20 system calls per feature and most of the shapefile writer's time. Here one pass reads
/// the widths and one pass writes the compacted copy, which replaces the file.
///
/// The rules are shapelib's: a column is resized when it is text (`C`) or an integer (`N` without
/// decimals); its width becomes the longest value with leading and trailing blanks trimmed (at
/// least 1), over the records not deleted, NULL values left out; a numeric value that starts with a
/// blank keeps its rightmost characters, any other keeps its leftmost; a NULL value of a shrunk
/// column is rewritten as the type's NULL filler.
enum DBFShrink {
    /// Records per read: large sequential reads, bounded memory.
    static let recordsPerChunk = 8192

    private struct Column {
        var type: UInt8
        var offset: Int
        var width: Int
        var decimals: Int
        var resizable: Bool { type == UInt8(ascii: "C") || (type == UInt8(ascii: "N") && decimals == 0) }
    }

    /// Rewrites the file at `url` with its resizable columns shrunk; leaves it untouched when no
    /// column can shrink.
    static func shrink(_ url: URL) throws {
        let input = try FileHandle(forReadingFrom: url)
        defer { try? input.close() }
        let head = try read(input, count: 32)
        guard head.count == 32 else { throw malformed(url, "shorter than its 32-byte header") }
        let recordCount = Int(head[4]) | Int(head[5]) << 8 | Int(head[6]) << 16 | Int(head[7]) << 24
        let headerLength = Int(head[8]) | Int(head[9]) << 8
        let recordLength = Int(head[10]) | Int(head[11]) << 8
        guard headerLength > 32, recordLength > 0 else { throw malformed(url, "header or record length is zero") }
        var header = head + (try read(input, count: headerLength - 32))
        guard header.count == headerLength else { throw malformed(url, "shorter than its header") }

        var columns: [Column] = []
        var offset = 1  // byte 0 of a record is the deletion flag
        var descriptor = 32
        while descriptor + 32 <= headerLength && header[descriptor] != 0x0D {
            let type = header[descriptor + 11]
            var width = Int(header[descriptor + 16])
            var decimals = Int(header[descriptor + 17])
            if type == UInt8(ascii: "C") { width += decimals << 8; decimals = 0 }
            columns.append(Column(type: type, offset: offset, width: width, decimals: decimals))
            offset += width
            descriptor += 32
        }
        guard offset == recordLength else { throw malformed(url, "its columns do not add up to its record length") }
        let resizable = columns.indices.filter { columns[$0].resizable }
        guard !resizable.isEmpty else { return }

        // Pass 1: the widest trimmed value per resizable column.
        var best = [Int](repeating: 1, count: columns.count)
        try forEachChunk(input, from: headerLength, recordLength: recordLength, recordCount: recordCount, url: url) { chunk, count in
            chunk.withUnsafeBufferPointer { bytes in
                for r in 0..<count {
                    let record = r * recordLength
                    if bytes[record] == UInt8(ascii: "*") { continue }  // deleted
                    for c in resizable {
                        let (start, end) = trimmed(bytes, from: record + columns[c].offset, width: columns[c].width)
                        let length = end - start
                        if length == 0 { continue }
                        if columns[c].type == UInt8(ascii: "N") && bytes[start] == UInt8(ascii: "*") { continue }  // NULL
                        if length > best[c] { best[c] = length }
                    }
                }
            }
        }
        let shrunk = resizable.filter { best[$0] < columns[$0].width }
        guard !shrunk.isEmpty else { return }

        // The new layout: header patched, then each record column by column.
        var newColumns = columns
        var newOffset = 1
        for c in columns.indices {
            if shrunk.contains(c) { newColumns[c].width = best[c] }
            newColumns[c].offset = newOffset
            newOffset += newColumns[c].width
            let field = 32 + 32 * c
            if shrunk.contains(c) {
                if columns[c].type == UInt8(ascii: "C") {
                    header[field + 16] = UInt8(best[c] & 0xFF)
                    header[field + 17] = UInt8(best[c] >> 8)
                } else {
                    header[field + 16] = UInt8(best[c])
                }
            }
        }
        let newRecordLength = newOffset
        header[10] = UInt8(newRecordLength & 0xFF)
        header[11] = UInt8(newRecordLength >> 8)
        let isShrunk = columns.indices.map { shrunk.contains($0) }

        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).resizing")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw ReplicaExportError(.fileSystem, "cannot create a temporary file to shrink the .dbf columns; check free space and permissions",
                                     at: ErrorLocation(output: temporary.path))
        }
        do {
            let output = try FileHandle(forWritingTo: temporary)
            defer { try? output.close() }
            try output.write(contentsOf: header)
            var out = [UInt8]()
            out.reserveCapacity(recordsPerChunk * newRecordLength)
            try forEachChunk(input, from: headerLength, recordLength: recordLength, recordCount: recordCount, url: url) { chunk, count in
                out.removeAll(keepingCapacity: true)
                chunk.withUnsafeBufferPointer { bytes in
                    for r in 0..<count {
                        let record = r * recordLength
                        out.append(bytes[record])
                        for c in columns.indices {
                            let old = columns[c]
                            let start = record + old.offset
                            guard isShrunk[c] else {
                                out.append(contentsOf: bytes[start..<(start + old.width)])
                                continue
                            }
                            let width = newColumns[c].width
                            if isNull(bytes, from: start, width: old.width, type: old.type) {
                                let filler = old.type == UInt8(ascii: "N") ? UInt8(ascii: "*") : UInt8(ascii: " ")
                                out.append(contentsOf: repeatElement(filler, count: width))
                            } else if old.type == UInt8(ascii: "N") && bytes[start] == UInt8(ascii: " ") {
                                out.append(contentsOf: bytes[(start + old.width - width)..<(start + old.width)])
                            } else {
                                out.append(contentsOf: bytes[start..<(start + width)])
                            }
                        }
                    }
                }
                try output.write(contentsOf: out)
            }
            // What followed the records (the end-of-file marker) follows them still.
            try input.seek(toOffset: UInt64(headerLength + recordCount * recordLength))
            if let tail = try input.readToEnd(), !tail.isEmpty { try output.write(contentsOf: tail) }
        } catch let error as ReplicaExportError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ReplicaExportError(.fileSystem, "cannot shrink the .dbf columns: \(error.localizedDescription)",
                                     at: ErrorLocation(output: url.path), cause: error as NSError)
        }
        if rename(temporary.path, url.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw ReplicaExportError(.fileSystem, "cannot replace the .dbf with its shrunk copy; check permissions",
                                     at: ErrorLocation(output: url.path))
        }
    }

    /// The value's bytes without leading and trailing blanks, up to a NUL (shapelib's trimmed read).
    @inline(__always)
    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, width: Int) -> (Int, Int) {
        var end = start
        while end < start + width && bytes[end] != 0 { end += 1 }
        var first = start
        while first < end && bytes[first] == UInt8(ascii: " ") { first += 1 }
        while end > first && bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
        return (first, end)
    }

    /// shapelib's NULL test on the raw value: numbers all blanks or starting with `*`, text empty.
    @inline(__always)
    private static func isNull(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, width: Int, type: UInt8) -> Bool {
        if type == UInt8(ascii: "N") {
            if width > 0 && bytes[start] == UInt8(ascii: "*") { return true }
            var i = start
            while i < start + width && bytes[i] != 0 {
                if bytes[i] != UInt8(ascii: " ") { return false }
                i += 1
            }
            return true
        }
        return width == 0 || bytes[start] == 0
    }

    private static func forEachChunk(_ input: FileHandle, from offset: Int, recordLength: Int, recordCount: Int, url: URL,
                                     _ body: ([UInt8], Int) throws -> Void) throws {
        try input.seek(toOffset: UInt64(offset))
        var remaining = recordCount
        while remaining > 0 {
            let count = min(remaining, recordsPerChunk)
            let chunk = try read(input, count: count * recordLength)
            guard chunk.count == count * recordLength else { throw malformed(url, "shorter than its record count says") }
            try body(chunk, count)
            remaining -= count
        }
    }

    private static func read(_ input: FileHandle, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        return [UInt8](try input.read(upToCount: count) ?? Data())
    }

    private static func malformed(_ url: URL, _ what: String) -> ReplicaExportError {
        ReplicaExportError(.invalidState, "the .dbf GDAL wrote is \(what); cannot shrink its columns", at: ErrorLocation(output: url.path))
    }
}
