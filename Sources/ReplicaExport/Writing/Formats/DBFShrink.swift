import Foundation

/// Shrinks a closed `.dbf` file's text and integer columns to the widest value they hold, giving
/// exactly the bytes GDAL's shapefile layer option `RESIZE=YES` gives, in two passes over the
/// records, each split into ranges read (and written) by several threads at once.
///
/// GDAL 3.6.2 resizes at close with one `DBFAlterFieldDefn` per column, and each of those rewrites
/// every record in place through a read-seek-write per record: for a layer of 8 columns that was
/// about 20 system calls per feature and most of the shapefile writer's time. Here one pass reads
/// the widths and one pass writes the compacted copy, which replaces the file. Both passes are
/// serial work at the end of a layer, when the cores are otherwise idle (1,000,000 points:
/// 0.83 s on one thread).
///
/// The rules are shapelib's: a column is resized when it is text (`C`) or an integer (`N` without
/// decimals); its width becomes the longest value with leading and trailing blanks trimmed (at
/// least 1), over the records not deleted, NULL values left out; a numeric value that starts with a
/// blank keeps its rightmost characters, any other keeps its leftmost; a NULL value of a shrunk
/// column is rewritten as the type's NULL filler.
enum DBFShrink {
    /// Records per read: large sequential reads, bounded memory (per thread)...
    static let defaultRecordsPerChunk = 8192
    /// ...and at most this many bytes of them (a record of many text columns can be kilobytes).
    static let maxChunkBytes = 4 << 20
    /// At most this many threads, whatever the cores: the passes are I/O and memory bound beyond.
    static let maxThreads = 4

    private struct Column {
        var type: UInt8
        var offset: Int
        var width: Int
        var decimals: Int
        var resizable: Bool { type == UInt8(ascii: "C") || (type == UInt8(ascii: "N") && decimals == 0) }
    }

    /// Rewrites the file at `url` with its resizable columns shrunk; leaves it untouched when no
    /// column can shrink. Uses up to `threads` threads, each reading `recordsPerChunk` records at a time.
    static func shrink(_ url: URL, threads: Int = min(ProcessInfo.processInfo.activeProcessorCount, maxThreads),
                       recordsPerChunk: Int = defaultRecordsPerChunk) throws {
        let location = ErrorLocation(output: url.path)
        let input = try FileDescriptor(path: url.path, flags: O_RDONLY, role: "the .dbf", location: location)
        let head = try input.read(at: 0, count: 32)
        guard head.count == 32 else { throw malformed(url, "shorter than its 32-byte header") }
        let recordCount = Int(head[4]) | Int(head[5]) << 8 | Int(head[6]) << 16 | Int(head[7]) << 24
        let headerLength = Int(head[8]) | Int(head[9]) << 8
        let recordLength = Int(head[10]) | Int(head[11]) << 8
        guard headerLength > 32, recordLength > 0 else { throw malformed(url, "header or record length is zero") }
        var header = try input.read(at: 0, count: headerLength)
        guard header.count == headerLength else { throw malformed(url, "shorter than its header") }
        guard try input.size() >= Int64(headerLength) + Int64(recordCount) * Int64(recordLength) else {
            throw malformed(url, "shorter than its record count says")
        }

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
        let recordsPerChunk = max(1, min(recordsPerChunk, Self.maxChunkBytes / recordLength))
        let ranges = split(recordCount, into: threads, chunk: recordsPerChunk)

        // Pass 1: the widest trimmed value per resizable column, per range, then over all.
        let widths = try inParallel(ranges.count) { part -> [Int] in
            var best = [Int](repeating: 1, count: columns.count)
            try forEachChunk(input, records: ranges[part], chunk: recordsPerChunk, headerLength: headerLength,
                             recordLength: recordLength, url: url) { bytes, count in
                let base = bytes.baseAddress!
                for r in 0..<count {
                    let record = r * recordLength
                    if bytes[record] == UInt8(ascii: "*") { continue }  // deleted
                    for c in resizable where best[c] < columns[c].width {
                        // A value is longer than `best[c]` once trimmed only if neither its last
                        // nor its first `width - best[c]` bytes are all blanks (text is padded on
                        // the right, numbers on the left): most values are settled eight bytes at a time.
                        let from = record + columns[c].offset, width = columns[c].width, spare = width - best[c]
                        if ByteRuns.firstOther(than: 0x20, in: base, from: from + best[c], to: from + width) == from + width
                            || ByteRuns.firstOther(than: 0x20, in: base, from: from, to: from + spare) == from + spare {
                            continue
                        }
                        let (start, end) = trimmed(bytes, from: from, width: width)
                        let length = end - start
                        if length == 0 { continue }
                        if columns[c].type == UInt8(ascii: "N") && bytes[start] == UInt8(ascii: "*") { continue }  // NULL
                        if length > best[c] { best[c] = length }
                    }
                }
            }
            return best
        }
        let best = widths.reduce([Int](repeating: 1, count: columns.count)) { zip($0, $1).map { Swift.max($0, $1) } }
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

        // Pass 2: each range compacted into its place in a temporary file, which replaces the
        // .dbf. What followed the records (the end-of-file marker) follows them still.
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).resizing")
        do {
            let output = try FileDescriptor(path: temporary.path, flags: O_WRONLY | O_CREAT | O_TRUNC,
                                            role: "the shrunk copy of the .dbf", location: location)
            try output.write(header, at: 0, location: location)
            _ = try inParallel(ranges.count) { part in
                var out = [UInt8]()
                out.reserveCapacity(recordsPerChunk * newRecordLength)
                var written = Int64(headerLength) + Int64(ranges[part].lowerBound) * Int64(newRecordLength)
                try forEachChunk(input, records: ranges[part], chunk: recordsPerChunk, headerLength: headerLength,
                             recordLength: recordLength, url: url) { bytes, count in
                    out.removeAll(keepingCapacity: true)
                    for r in 0..<count {
                        let record = r * recordLength
                        out.append(bytes[record])
                        for c in columns.indices {
                            let old = columns[c]
                            let start = record + old.offset
                            guard isShrunk[c] else {
                                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<(start + old.width)]))
                                continue
                            }
                            let width = newColumns[c].width
                            if isNull(bytes, from: start, width: old.width, type: old.type) {
                                let filler = old.type == UInt8(ascii: "N") ? UInt8(ascii: "*") : UInt8(ascii: " ")
                                out.append(contentsOf: repeatElement(filler, count: width))
                            } else if old.type == UInt8(ascii: "N") && bytes[start] == UInt8(ascii: " ") {
                                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[(start + old.width - width)..<(start + old.width)]))
                            } else {
                                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<(start + width)]))
                            }
                        }
                    }
                    try output.write(out, at: written, location: location)
                    written += Int64(out.count)
                }
            }
            let recordsEnd = Int64(headerLength) + Int64(recordCount) * Int64(recordLength)
            let tail = try input.read(at: recordsEnd, count: Int(try input.size() - recordsEnd))
            try output.write(tail, at: Int64(headerLength) + Int64(recordCount) * Int64(newRecordLength), location: location)
            try output.close(location: location)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        try FileDescriptor.replace(url, with: temporary, doing: "replacing the .dbf with its shrunk copy", location: location)
    }

    /// `count` records cut into at most `parts` consecutive ranges of whole chunks.
    static func split(_ count: Int, into parts: Int, chunk: Int) -> [Range<Int>] {
        let chunks = (count + chunk - 1) / chunk
        let n = Swift.max(1, Swift.min(parts, chunks))
        let perPart = (chunks + n - 1) / n * chunk
        return stride(from: 0, to: Swift.max(count, 1), by: Swift.max(perPart, 1)).map { $0..<Swift.min(count, $0 + perPart) }
    }

    /// Runs `body` for 0..<count on as many threads, returns the results in order or throws the
    /// first part's error.
    private static func inParallel<T>(_ count: Int, _ body: (Int) throws -> T) throws -> [T] {
        if count == 1 { return [try body(0)] }
        let results = UncheckedSendable(ParallelResults<T>(count: count))
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: count) { part in
                let result = Result { try work.value(part) }
                results.value.set(part, result)
            }
        }
        return try results.value.values.map { try $0!.get() }
    }

    private final class ParallelResults<T> {
        private let lock = NSLock()
        private(set) var values: [Result<T, any Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: Result<T, any Error>) {
            lock.lock()
            values[index] = value
            lock.unlock()
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

    /// Reads the records of `range` a chunk at a time (positioned reads: safe beside other threads).
    private static func forEachChunk(_ input: FileDescriptor, records range: Range<Int>, chunk recordsPerChunk: Int, headerLength: Int,
                                     recordLength: Int, url: URL, _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        var chunk = [UInt8](repeating: 0, count: Swift.min(range.count, recordsPerChunk) * recordLength)
        var next = range.lowerBound
        while next < range.upperBound {
            let count = Swift.min(range.upperBound - next, recordsPerChunk)
            let size = count * recordLength
            let offset = Int64(headerLength) + Int64(next) * Int64(recordLength)
            var got = 0
            while got < size {
                let n = try chunk.withUnsafeMutableBytes { try input.read(into: $0.baseAddress! + got, at: offset + Int64(got), count: size - got) }
                guard n > 0 else { throw malformed(url, "shorter than its record count says") }
                got += n
            }
            try chunk.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<size]), count) }
            next += count
        }
    }

    private static func malformed(_ url: URL, _ what: String) -> ReplicaExportError {
        ReplicaExportError(.invalidState, "the .dbf GDAL wrote is \(what); cannot shrink its columns", at: ErrorLocation(output: url.path))
    }
}
