import Foundation

/// Joins shapefiles written in segments (``SegmentLayout/spliced(_:)``) onto the layer's first one,
/// giving the bytes GDAL 3.6.2 (shapelib) writes for the whole layer in one dataset.
///
/// A shapefile's records carry their own number, its index (`.shx`) their offsets, and both
/// headers the file's length and extent; the `.dbf` header counts the records. So, unlike the
/// text formats, the records cannot simply be concatenated:
/// - `.shp`: each later record is renumbered as it streams through a buffer, and the extent
///   widened by its vertices exactly as shapelib's `SHPWriteObject` widens it: the first
///   segment's header already holds the extent of the file's first records (including shapelib's
///   quirk that a null first shape starts the extent at 0), later vertices widen it in file order
///   with shapelib's `MIN`/`MAX`, a missing Z or M counting as 0 (shapelib's zero-filled arrays);
/// - `.shx`: one entry per record at the record's new offset;
/// - `.dbf`: the records copied as they are (in the kernel where it can), the count patched, an
///   end-of-file marker kept (the writer adds it at close: see ``ShapefileFormat``).
/// A layer's `.shp` may not pass 4 GiB (its offsets count 16-bit words in 32 bits): shapelib refuses
/// the record that would pass it, and so does the splice, before writing it.
enum ShapefileSplice {
    /// Appends the shapefiles at `segments` (their `.shp`, or `.dbf` for a table) to the one at `first`.
    static func append(_ segments: [URL], to first: URL, location: ErrorLocation) throws {
        func dbf(_ url: URL) -> URL { url.deletingPathExtension().appendingPathExtension("dbf") }
        func shx(_ url: URL) -> URL { url.deletingPathExtension().appendingPathExtension("shx") }
        if first.pathExtension.lowercased() == "shp" {
            try appendShapes(segments.map { ($0, shx($0)) }, to: (first, shx(first)), location: location)
        }
        try appendRecords(segments.map(dbf), to: dbf(first), location: location)
    }

    // MARK: .shp and .shx

    /// The 100-byte header the `.shp` and `.shx` share (only the file length differs).
    struct MainHeader: Equatable {
        static let size = 100
        static let fileCode: UInt32 = 9994
        static let version: UInt32 = 1000
        var bytes: [UInt8]

        init?(_ bytes: [UInt8]) {
            guard bytes.count == Self.size else { return nil }
            self.bytes = bytes
            guard Self.bigEndian(bytes, at: 0) == Self.fileCode, Self.littleEndian(bytes, at: 28) == Self.version else { return nil }
        }

        var shapeType: UInt32 { Self.littleEndian(bytes, at: 32) }

        /// The file's length in 16-bit words (big-endian at byte 24).
        var lengthInWords: UInt32 {
            get { Self.bigEndian(bytes, at: 24) }
            set { withUnsafeBytes(of: newValue.bigEndian) { bytes.replaceSubrange(24..<28, with: $0) } }
        }

        /// Xmin, Ymin, Xmax, Ymax, Zmin, Zmax, Mmin, Mmax (little-endian doubles from byte 36).
        var extent: ShapeExtent {
            get {
                var values = [Double](repeating: 0, count: 8)
                for i in 0..<8 {
                    values[i] = Double(bitPattern: UInt64(Self.littleEndian(bytes, at: 36 + 8 * i))
                                       | UInt64(Self.littleEndian(bytes, at: 40 + 8 * i)) << 32)
                }
                return ShapeExtent(min: [values[0], values[1], values[4], values[6]],
                                   max: [values[2], values[3], values[5], values[7]])
            }
            set {
                let values = [newValue.min[0], newValue.min[1], newValue.max[0], newValue.max[1],
                              newValue.min[2], newValue.max[2], newValue.min[3], newValue.max[3]]
                for (i, value) in values.enumerated() {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.replaceSubrange((36 + 8 * i)..<(44 + 8 * i), with: $0) }
                }
            }
        }

        /// The header without the file length and the extent: what every segment must share.
        var layout: [UInt8] { Array(bytes[0..<24]) + bytes[28..<36] }

        static func bigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
            UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
        }

        static func littleEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
            UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        }
    }

    /// A shapefile's extent per dimension (x, y, z, m), widened as shapelib widens it.
    struct ShapeExtent: Equatable {
        var min: [Double]
        var max: [Double]

        /// shapelib's `MIN(a, b)` is `a < b ? a : b` and `MAX(a, b)` is `a > b ? a : b`: with a NaN
        /// the order decides, so the same expressions are kept.
        @inline(__always)
        mutating func widen(_ dimension: Int, by value: Double) {
            min[dimension] = min[dimension] < value ? min[dimension] : value
            max[dimension] = max[dimension] > value ? max[dimension] : value
        }
    }

    private static func appendShapes(_ segments: [(shp: URL, shx: URL)], to first: (shp: URL, shx: URL),
                                     location: ErrorLocation) throws {
        let shp = try FileDescriptor(path: first.shp.path, flags: O_RDWR, location: location)
        let shx = try FileDescriptor(path: first.shx.path, flags: O_RDWR, location: location)
        guard var header = MainHeader(try shp.read(at: 0, count: MainHeader.size)),
              let indexHeader = MainHeader(try shx.read(at: 0, count: MainHeader.size)),
              indexHeader.layout == header.layout else {
            throw mismatch("the first segment's .shp or .shx header is not a shapefile header", location)
        }
        var shpSize = try shp.size()
        let shxSize = try shx.size()
        guard shpSize == Int64(header.lengthInWords) * 2, (shxSize - Int64(MainHeader.size)) % 8 == 0 else {
            throw mismatch("the first segment's length is not the one its header gives", location)
        }
        var recordCount = UInt32((shxSize - Int64(MainHeader.size)) / 8)
        var extent = header.extent
        try shp.seek(to: shpSize)
        try shx.seek(to: shxSize)

        var buffer = [UInt8](repeating: 0, count: SegmentSplice.bufferSize)
        var index: [UInt8] = []
        index.reserveCapacity(indexFlushSize + 8)
        for segment in segments {
            let input = try FileDescriptor(path: segment.shp.path, flags: O_RDONLY, location: location)
            guard let own = MainHeader(try input.read(at: 0, count: MainHeader.size)), own.layout == header.layout else {
                throw mismatch("a later segment's .shp header differs from the first's", location)
            }
            let size = try input.size()
            guard size == Int64(own.lengthInWords) * 2 else {
                throw mismatch("a later segment's .shp length is not the one its header gives", location)
            }
            try forEachRecord(of: input, size: size, to: shp, buffer: &buffer, location: location) { record in
                // shapelib: a record that would take the file past UINT_MAX bytes is refused.
                guard shpSize + Int64(record.count) <= Int64(UInt32.max) else {
                    throw ReplicaExportError(.tooLarge, "the layer's .shp would pass 4 GiB, the shapefile format's limit (its offsets are 32-bit); write it to FileGDB or GeoPackage, or split the layer",
                                             at: location)
                }
                recordCount += 1
                record.storeBytes(of: recordCount.bigEndian, toByteOffset: 0, as: UInt32.self)
                let content = UnsafeRawBufferPointer(rebasing: record[8...])
                guard widen(&extent, by: content, shapeType: header.shapeType) else {
                    throw mismatch("a later segment holds a record that is not a shape of the layer's type \(header.shapeType)", location)
                }
                withUnsafeBytes(of: UInt32(shpSize / 2).bigEndian) { index.append(contentsOf: $0) }
                withUnsafeBytes(of: UInt32(content.count / 2).bigEndian) { index.append(contentsOf: $0) }
                shpSize += Int64(record.count)
                if index.count >= indexFlushSize {
                    try shx.write(index, location: location)
                    index.removeAll(keepingCapacity: true)
                }
            }
        }
        try shx.write(index, location: location)

        header.extent = extent
        header.lengthInWords = UInt32(shpSize / 2)
        try shp.write(header.bytes, at: 0, location: location)
        var indexHeaderOut = header
        indexHeaderOut.lengthInWords = UInt32((Int64(MainHeader.size) + 8 * Int64(recordCount)) / 2)
        try shx.write(indexHeaderOut.bytes, at: 0, location: location)
        try shp.close(location: location)
        try shx.close(location: location)
    }

    private static let indexFlushSize = 256 << 10

    /// Streams the records after a `.shp` header through `body`, which may patch each (its 8-byte
    /// header and content) in place, and appends them to `output` a buffer at a time. The buffer
    /// grows to the largest record (which the writer held in memory anyway).
    private static func forEachRecord(of input: FileDescriptor, size: Int64, to output: FileDescriptor, buffer: inout [UInt8],
                                      location: ErrorLocation, _ body: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        var offset = Int64(MainHeader.size)
        var filled = 0
        while true {
            // The whole records in the buffer, patched, then written.
            var parsed = 0
            var pending = 0  // the size of the record the buffer ends inside, once its header is in
            try buffer.withUnsafeMutableBytes { raw in
                while filled - parsed >= 8 {
                    let words = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: parsed + 4, as: UInt32.self))
                    let recordSize = 8 + 2 * Int(words)
                    guard filled - parsed >= recordSize else { pending = recordSize; break }
                    try body(UnsafeMutableRawBufferPointer(rebasing: raw[parsed..<(parsed + recordSize)]))
                    parsed += recordSize
                }
                if parsed > 0 {
                    try output.write(UnsafeRawBufferPointer(rebasing: raw[..<parsed]), location: location)
                    if filled > parsed { raw.baseAddress!.copyMemory(from: raw.baseAddress! + parsed, byteCount: filled - parsed) }
                }
            }
            filled -= parsed
            guard offset < size else {
                guard filled == 0 else { throw mismatch("a later segment's .shp ends inside a record", location) }
                return
            }
            if pending > buffer.count { buffer += [UInt8](repeating: 0, count: pending - buffer.count) }
            let want = Int(min(Int64(buffer.count - filled), size - offset))
            let got = try buffer.withUnsafeMutableBytes { try input.read(into: $0.baseAddress! + filled, at: offset, count: want) }
            guard got > 0 else { throw mismatch("a later segment's .shp ended early", location) }
            filled += got
            offset += Int64(got)
        }
    }

    /// Widens `extent` by the vertices of one record's content, in order, as `SHPWriteObject` does;
    /// false when the content is not a well-formed shape of `shapeType` (or a null shape).
    static func widen(_ extent: inout ShapeExtent, by content: UnsafeRawBufferPointer, shapeType: UInt32) -> Bool {
        func int32(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 4 <= content.count else { return nil }
            return Int(Int32(littleEndian: content.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        }
        func double(_ offset: Int) -> Double {
            Double(bitPattern: UInt64(littleEndian: content.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        }
        guard let type = int32(0) else { return false }
        if type == 0 { return true }  // a null shape: nothing to widen
        guard type == Int(shapeType) else { return false }
        let hasZ: Bool, hasMSlot: Bool  // Z types; M types (a Z type's M is optional in its record)
        switch type {
        case 11, 13, 15, 18, 31: (hasZ, hasMSlot) = (true, false)
        case 21, 23, 25, 28: (hasZ, hasMSlot) = (false, true)
        default: (hasZ, hasMSlot) = (false, false)
        }
        switch type {
        case 1, 11, 21:
            guard content.count >= 20 else { return false }
            extent.widen(0, by: double(4))
            extent.widen(1, by: double(12))
            var next = 20
            if hasZ {
                guard content.count >= 28 else { return false }
                extent.widen(2, by: double(20))
                next = 28
            } else {
                extent.widen(2, by: 0)
            }
            extent.widen(3, by: content.count >= next + 8 ? double(next) : 0)
            return true
        case 3, 5, 8, 13, 15, 18, 23, 25, 28, 31:
            let isMultipoint = type == 8 || type == 18 || type == 28
            guard let parts = isMultipoint ? 0 : int32(36), let count = int32(isMultipoint ? 36 : 40),
                  parts >= 0, count >= 0 else { return false }
            let points = (isMultipoint ? 40 : 44) + 4 * parts * (type == 31 ? 2 : 1)
            let pointsEnd = points + 16 * count
            guard pointsEnd <= content.count else { return false }
            // The Z array follows its range; M's range and array follow, when the record has them.
            let zValues = pointsEnd + 16
            if hasZ && zValues + 8 * count > content.count { return false }
            let mValues = hasZ ? zValues + 8 * count + 16 : pointsEnd + 16
            let hasM = (hasZ || hasMSlot) && mValues + 8 * count <= content.count
            for i in 0..<count {
                extent.widen(0, by: double(points + 16 * i))
                extent.widen(1, by: double(points + 16 * i + 8))
                extent.widen(2, by: hasZ ? double(zValues + 8 * i) : 0)
                extent.widen(3, by: hasM ? double(mValues + 8 * i) : 0)
            }
            return true
        default:
            return false
        }
    }

    // MARK: .dbf

    /// The `.dbf` header fields the splice reads: the record count (little-endian at byte 4), the
    /// header and record lengths (at 8 and 10).
    private struct TableHeader {
        var bytes: [UInt8]
        var recordCount: UInt32 { MainHeader.littleEndian(bytes, at: 4) }
        var headerLength: Int { Int(bytes[8]) | Int(bytes[9]) << 8 }
        var recordLength: Int { Int(bytes[10]) | Int(bytes[11]) << 8 }
        /// Everything but the date of last update (bytes 1-3) and the record count: what every
        /// segment must share.
        var layout: [UInt8] { [bytes[0]] + bytes[8...] }

        init?(_ file: FileDescriptor) throws {
            let head = try file.read(at: 0, count: 32)
            guard head.count == 32 else { return nil }
            let length = Int(head[8]) | Int(head[9]) << 8
            guard length > 32 else { return nil }
            bytes = try file.read(at: 0, count: length)
            guard bytes.count == length, recordLength > 0 else { return nil }
        }

        /// Where the records end; the file is that long, or one byte longer with the end-of-file
        /// marker (0x1A) GDAL writes.
        var recordsEnd: Int64 { Int64(headerLength) + Int64(recordCount) * Int64(recordLength) }
    }

    private static let endOfFile = ShapefileFormat.endOfFileMarker

    private static func appendRecords(_ segments: [URL], to first: URL, location: ErrorLocation) throws {
        let output = try FileDescriptor(path: first.path, flags: O_RDWR, location: location)
        guard let header = try TableHeader(output) else { throw mismatch("the first segment's .dbf header is malformed", location) }
        let size = try output.size()
        let end = header.recordsEnd
        let hasEndOfFile = try size == end + 1 && output.read(at: end, count: 1) == [endOfFile]
        guard size == end || hasEndOfFile else {
            throw mismatch("the first segment's .dbf length is not the one its header gives", location)
        }
        var count = UInt64(header.recordCount)
        try output.truncate(to: end)
        try output.seek(to: end)
        var buffer: [UInt8] = []
        for segment in segments {
            let input = try FileDescriptor(path: segment.path, flags: O_RDONLY, location: location)
            guard let own = try TableHeader(input), own.layout == header.layout else {
                throw mismatch("a later segment's .dbf header differs from the first's", location)
            }
            let ownSize = try input.size()
            guard ownSize == own.recordsEnd || ownSize == own.recordsEnd + 1 else {
                throw mismatch("a later segment's .dbf length is not the one its header gives", location)
            }
            count += UInt64(own.recordCount)
            guard count <= UInt64(UInt32.max) else {
                throw ReplicaExportError(.tooLarge, "the layer has more records than a .dbf can count (2^32 - 1)", at: location)
            }
            try SegmentSplice.copy(from: input, range: Int64(own.headerLength)..<own.recordsEnd, to: output,
                                   buffer: &buffer, location: location)
        }
        if hasEndOfFile { try output.write([endOfFile], location: location) }
        try withUnsafeBytes(of: UInt32(count).littleEndian) { try output.write(Array($0), at: 4, location: location) }
        try output.close(location: location)
    }

    private static func mismatch(_ what: String, _ location: ErrorLocation) -> ReplicaExportError {
        SegmentSplice.mismatch(what, location)
    }
}
