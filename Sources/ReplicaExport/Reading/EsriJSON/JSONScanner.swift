#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A JSON number as the scanner read it: an integer when it has no fraction or exponent and fits
/// Int64, otherwise a Double (parsed exactly).
enum JSONNumber: Equatable {
    case int(Int64)
    case double(Double)

    var doubleValue: Double {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        }
    }
}

/// What a ``JSONScanner`` read although standard JSON does not allow it, as GDAL's and Python's
/// readers read it: a comma before `]` or `}`, the literals `NaN`, `Infinity` and `-Infinity` (as
/// numbers), a UTF-8 byte-order mark at the start of the file. Counted, with the first offset.
struct NonStandardJSON: Equatable {
    enum Kind: Int, CaseIterable {
        case trailingComma, nonFiniteLiteral, byteOrderMark

        var description: String {
            switch self {
            case .trailingComma: return "a comma before ']' or '}'"
            case .nonFiniteLiteral: return "NaN or Infinity as a bare literal"
            case .byteOrderMark: return "a UTF-8 byte-order mark"
            }
        }
    }

    /// How many times, of every kind.
    private(set) var count = 0
    /// The byte offset of the first one.
    private(set) var firstOffset: Int?
    /// Bit `kind.rawValue` set for each kind seen.
    private var kinds = 0

    mutating func note(_ kind: Kind, at offset: Int) {
        if count == 0 || offset < firstOffset! { firstOffset = offset }
        count &+= 1
        kinds |= 1 << kind.rawValue
    }

    /// The kinds seen, in a fixed order.
    var seen: [Kind] { Kind.allCases.filter { kinds & (1 << $0.rawValue) != 0 } }

    /// Adds what another scanner saw.
    mutating func absorb(_ other: NonStandardJSON) {
        guard let offset = other.firstOffset else { return }
        if count == 0 || offset < firstOffset! { firstOffset = offset }
        count &+= other.count
        kinds |= other.kinds
    }

    /// The ``Diagnostic/Code/nonStandardJSON`` diagnostic for these, nil when there were none.
    func diagnostic(input: String, layer: String? = nil) -> Diagnostic? {
        guard let firstOffset else { return nil }
        return Diagnostic(.nonStandardJSON,
                          "\(count) place(s) of JSON that is not standard JSON (\(seen.map(\.description).joined(separator: ", "))), first at byte \(firstOffset); read as GDAL and Python read it",
                          at: ErrorLocation(input: input, layer: layer, byteOffset: firstOffset), count: count)
    }
}

/// A byte-level streaming JSON scanner over a file.
///
/// Reads the file in chunks of `chunkSize` bytes into one fixed buffer, so memory does not depend on
/// the file's size; a token may span any number of chunk boundaries. It does not build a document:
/// callers walk objects and arrays with ``beginObject()`` / ``nextMember(first:key:)`` and
/// ``beginArray()`` / ``nextElement(first:)``, read scalars, and ``skipValue()`` what they do not need.
/// Every error is a ``ReplicaExportError`` carrying the file and the byte offset; end of input inside a
/// value is ``ReplicaExportError/Code/truncated``. What GDAL's and Python's readers accept beyond
/// standard JSON is read too, and counted in ``nonStandard`` (see ``NonStandardJSON``).
final class JSONScanner {
    let path: String
    let chunkSize: Int
    private let fd: Int32
    private let buffer: UnsafeMutablePointer<UInt8>
    // The scanner's state is touched for every byte; one scanner belongs to one thread and its
    // methods never reenter, so the runtime's access checks (a tenth of the reading time) are off.
    @exclusivity(unchecked) private var count = 0
    @exclusivity(unchecked) private var pos = 0
    /// File offset of `buffer[0]`.
    @exclusivity(unchecked) private var base = 0
    @exclusivity(unchecked) private var atEOF = false
    /// Scratch for string and number bytes, reused.
    @exclusivity(unchecked) private var scratch: [UInt8] = []
    /// Above this capacity the scratch buffer is dropped after use, not kept for the next string.
    private static let largeScratch = 1 << 20
    @exclusivity(unchecked) private var bracketStack: [UInt8] = []
    /// ``byteClasses``, held here so that the loops do not pass through its lazy initialization.
    private let byteClasses = JSONScanner.byteClasses
    /// Where ``nextKey(first:)`` keeps a key that could not be handed out of the buffer.
    @exclusivity(unchecked) private var keyStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
    @exclusivity(unchecked) private var keyCapacity = 64
    /// What was read that standard JSON does not allow (the owner reports it).
    @exclusivity(unchecked) var nonStandard = NonStandardJSON()

    /// Where the run of plain string bytes (no quote, backslash or control character) that starts
    /// at `start` ends in this chunk: the index of that byte, or `count`.
    @inline(__always)
    private func plainRunEnd(from start: Int) -> Int {
        let buf = buffer, n = count, table = byteClasses
        var p = ByteRuns.plainStringPrefix(buf, from: start, to: n)
        while p < n, table[Int(buf[p])] & Self.stringStop == 0 { p &+= 1 }
        return p
    }

    /// The byte offset of the next unread byte.
    var offset: Int { base &+ pos }

    init(url: URL, chunkSize: Int = 1 << 20) throws {
        self.path = url.path
        self.chunkSize = max(1, chunkSize)
        let fd = open(url.path, O_RDONLY)
        if fd < 0 {
            let err = errno
            if err == ENOENT || err == ENOTDIR {
                throw ReplicaExportError(.fileNotFound,
                                   "no such file; check the path (give the createReplica result file, or a query page saved with f=json)",
                                   at: ErrorLocation(input: url.path))
            }
            throw ReplicaExportError(.unreadable, "cannot open the file: \(String(cString: strerror(err)))",
                               at: ErrorLocation(input: url.path))
        }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw ReplicaExportError(.unreadable, "this is a directory, not a JSON file", at: ErrorLocation(input: url.path))
        }
        self.fd = fd
        self.buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: self.chunkSize)
        scratch.reserveCapacity(256)
        // A UTF-8 byte-order mark (which some Windows tools write) is passed over: offsets stay the file's.
        var mark: (UInt8, UInt8, UInt8) = (0, 0, 0)
        if withUnsafeMutableBytes(of: &mark, { pread(fd, $0.baseAddress, 3, 0) }) == 3, mark == (0xEF, 0xBB, 0xBF),
           lseek(fd, 3, SEEK_SET) == 3 {
            base = 3
            nonStandard.note(.byteOrderMark, at: 0)
        }
    }

    /// Forgets what was counted in ``nonStandard`` so far (a scanner positioned inside a part of
    /// the file counts only what it reads from there).
    func resetNonStandard() { nonStandard = NonStandardJSON() }

    deinit {
        close(fd)
        buffer.deallocate()
        keyStorage.deallocate()
    }

    // MARK: errors

    func location(_ at: Int? = nil) -> ErrorLocation {
        ErrorLocation(input: path, byteOffset: at ?? offset)
    }

    func syntaxError(_ message: String, at: Int? = nil) -> ReplicaExportError {
        ReplicaExportError(.syntax, "invalid JSON: \(message)", at: location(at))
    }

    func truncatedError(_ what: String) -> ReplicaExportError {
        ReplicaExportError(.truncated, "the file ends in the middle of \(what); it was probably cut short (an interrupted download?)",
                     at: location())
    }

    // MARK: buffer

    /// Repositions the scanner at a byte offset of the file.
    func seek(to fileOffset: Int) throws {
        if fileOffset >= base && fileOffset <= base &+ count {
            pos = fileOffset &- base
            return
        }
        if lseek(fd, off_t(fileOffset), SEEK_SET) < 0 {
            throw ReplicaExportError(.unreadable, "cannot seek: \(String(cString: strerror(errno)))", at: location(fileOffset))
        }
        base = fileOffset
        count = 0
        pos = 0
        atEOF = false
    }

    /// Reads the next chunk; false at end of file.
    private func refill() throws -> Bool {
        if atEOF { return false }
        base &+= count
        count = 0
        pos = 0
        while true {
            let n = read(fd, buffer, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw ReplicaExportError(.unreadable, "read failed: \(String(cString: strerror(errno)))", at: location())
            }
            if n == 0 { atEOF = true; return false }
            count = n
            return true
        }
    }

    /// The next byte without consuming it; nil at end of file.
    @inline(__always)
    func peek() throws -> UInt8? {
        if pos < count { return buffer[pos] }
        guard try refill() else { return nil }
        return buffer[pos]
    }

    @inline(__always)
    private func advance() { pos &+= 1 }

    /// The next byte, consumed; throws `truncated` at end of file.
    @inline(__always)
    private func next(_ what: @autoclosure () -> String) throws -> UInt8 {
        if pos >= count {
            guard try refill() else { throw truncatedError(what()) }
        }
        let b = buffer[pos]
        pos &+= 1
        return b
    }

    /// Skips whitespace; returns the next byte (not consumed) or nil at end of file.
    @inline(__always)
    func peekNonSpace() throws -> UInt8? {
        while true {
            if pos >= count {
                guard try refill() else { return nil }
            }
            let buf = buffer
            let n = count
            var p = pos
            while p < n {
                let b = buf[p]
                if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 {
                    p &+= 1
                    continue
                }
                pos = p
                return b
            }
            pos = p
        }
    }

    /// Like ``peekNonSpace()`` but end of file is `truncated`.
    @inline(__always)
    func peekValueStart(_ what: @autoclosure () -> String = "a value") throws -> UInt8 {
        guard let b = try peekNonSpace() else { throw truncatedError(what()) }
        return b
    }

    /// True when only whitespace remains.
    func atEndOfInput() throws -> Bool { try peekNonSpace() == nil }

    // MARK: structure

    func beginObject() throws {
        let b = try peekValueStart("an object")
        guard b == UInt8(ascii: "{") else { throw syntaxError("expected '{'") }
        advance()
    }

    func beginArray() throws {
        let b = try peekValueStart("an array")
        guard b == UInt8(ascii: "[") else { throw syntaxError("expected '['") }
        advance()
    }

    /// Advances to the next member of an object opened with ``beginObject()``; reads its key into
    /// `key` (UTF-8 bytes) and consumes the ':'. False when the object ends (its '}' consumed).
    func nextMember(first: inout Bool, key: inout [UInt8]) throws -> Bool {
        guard let bytes = try nextKey(first: &first) else { return false }
        key.removeAll(keepingCapacity: true)
        key.append(contentsOf: bytes)
        return true
    }

    /// Like ``nextMember(first:key:)``, but the key comes as bytes valid only until the next call
    /// on this scanner: a key that lies whole in the buffer is not copied at all. nil when the
    /// object ends (its '}' consumed).
    func nextKey(first: inout Bool) throws -> UnsafeBufferPointer<UInt8>? {
        var b = try peekValueStart("an object")
        if first {
            first = false
            if b == UInt8(ascii: "}") { advance(); return nil }
        } else {
            if b == UInt8(ascii: "}") { advance(); return nil }
            guard b == UInt8(ascii: ",") else { throw syntaxError("expected ',' or '}' in an object") }
            let comma = offset
            advance()
            b = try peekValueStart("an object")
            if b == UInt8(ascii: "}") {
                nonStandard.note(.trailingComma, at: comma)
                advance()
                return nil
            }
        }
        guard b == UInt8(ascii: "\"") else { throw syntaxError("expected a key (a string) in an object") }
        advance()
        // Fast path: the key without escapes, and the ':' after it, in this chunk.
        do {
            let buf = buffer
            let n = count
            let p = plainRunEnd(from: pos)
            if p < n && buf[p] == 0x22 {
                var colon = p &+ 1
                while colon < n, buf[colon] == 0x20 || buf[colon] == 0x0A || buf[colon] == 0x0D || buf[colon] == 0x09 {
                    colon &+= 1
                }
                if colon < n && buf[colon] == UInt8(ascii: ":") {
                    let key = UnsafeBufferPointer(start: buf + pos, count: p &- pos)
                    pos = colon &+ 1
                    return key
                }
            }
        }
        // Otherwise unescaped into storage of the scanner's own, which no refill overwrites.
        scratch.removeAll(keepingCapacity: true)
        try readStringBody(into: &scratch)
        let c = try peekValueStart("an object")
        guard c == UInt8(ascii: ":") else { throw syntaxError("expected ':' after a key") }
        advance()
        if keyCapacity < scratch.count {
            keyStorage.deallocate()
            keyCapacity = max(scratch.count, keyCapacity * 2)
            keyStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: keyCapacity)
        }
        scratch.withUnsafeBufferPointer { keyStorage.update(from: $0.baseAddress!, count: $0.count) }
        return UnsafeBufferPointer(start: keyStorage, count: scratch.count)
    }

    /// Whether `key` (from ``nextKey(first:)``) is `name`'s bytes.
    @inline(__always)
    static func key(_ key: UnsafeBufferPointer<UInt8>, is name: [UInt8]) -> Bool {
        guard key.count == name.count else { return false }
        // Keys are a few bytes long: a loop here costs less than a call to memcmp.
        return name.withUnsafeBufferPointer { name in
            for i in 0..<name.count where name[i] != key[i] { return false }
            return true
        }
    }

    /// Advances to the next element of an array opened with ``beginArray()``. False when the array
    /// ends (its ']' consumed).
    func nextElement(first: inout Bool) throws -> Bool {
        let b = try peekValueStart("an array")
        if b == UInt8(ascii: "]") { advance(); first = false; return false }
        if first {
            first = false
            return true
        }
        guard b == UInt8(ascii: ",") else { throw syntaxError("expected ',' or ']' in an array") }
        let comma = offset
        advance()
        let c = try peekValueStart("an array")
        if c == UInt8(ascii: "]") {
            nonStandard.note(.trailingComma, at: comma)
            advance()
            return false
        }
        return true
    }

    // MARK: scalars

    /// Reads a string value (the opening quote not yet consumed).
    func readString() throws -> String {
        let b = try peekValueStart("a string")
        guard b == UInt8(ascii: "\"") else { throw syntaxError("expected a string") }
        advance()
        let start = offset &- 1
        // Fast path: a string without escapes that ends inside this chunk becomes a String from
        // the buffer directly, one copy.
        do {
            let buf = buffer
            let n = count
            let p = plainRunEnd(from: pos)
            if p < n && buf[p] == 0x22 {
                let bytes = UnsafeBufferPointer(start: buf + pos, count: p &- pos)
                let text = try Self.string(utf8: bytes) { location(start) }
                pos = p &+ 1
                return text
            }
        }
        scratch.removeAll(keepingCapacity: true)
        try readStringBody(into: &scratch)
        let text = try scratch.withUnsafeBufferPointer { bytes in
            try Self.string(utf8: bytes) { location(start) }
        }
        // After a huge string, give its buffer back rather than keep it for the rest of the run.
        if scratch.capacity > Self.largeScratch { scratch = []; scratch.reserveCapacity(256) }
        return text
    }

    /// The string of `bytes`, which must be UTF-8: invalid bytes are refused rather than silently
    /// replaced by U+FFFD.
    private static func string(utf8 bytes: UnsafeBufferPointer<UInt8>,
                               at location: () -> ErrorLocation) throws -> String {
        // `String(validating:as:)` is generic over the encoding and costs about ten times this
        // check; once the bytes are known to be valid, `String(decoding:as:)` repairs nothing.
        guard isValidUTF8(bytes) else {
            throw ReplicaExportError(.syntax, "a string holds bytes that are not UTF-8; the file may be in another encoding (convert it to UTF-8) or damaged",
                                     at: location())
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `bytes` is well-formed UTF-8 (the Unicode Standard's table 3-7: no overlong form,
    /// no surrogate, nothing above U+10FFFF, no sequence cut short).
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = bytes.count
        var i = 0
        while i < n {
            let lead = bytes[i]
            if lead < 0x80 { i &+= 1; continue }
            func isContinuation(_ k: Int) -> Bool { bytes[k] & 0xC0 == 0x80 }
            switch lead {
            case 0xC2...0xDF:
                guard i &+ 1 < n, isContinuation(i &+ 1) else { return false }
                i &+= 2
            case 0xE0...0xEF:
                guard i &+ 2 < n else { return false }
                let second = bytes[i &+ 1]
                let low: UInt8 = lead == 0xE0 ? 0xA0 : 0x80, high: UInt8 = lead == 0xED ? 0x9F : 0xBF
                guard second >= low, second <= high, isContinuation(i &+ 2) else { return false }
                i &+= 3
            case 0xF0...0xF4:
                guard i &+ 3 < n else { return false }
                let second = bytes[i &+ 1]
                let low: UInt8 = lead == 0xF0 ? 0x90 : 0x80, high: UInt8 = lead == 0xF4 ? 0x8F : 0xBF
                guard second >= low, second <= high, isContinuation(i &+ 2), isContinuation(i &+ 3) else { return false }
                i &+= 4
            default:
                return false
            }
        }
        return true
    }

    /// Reads the rest of a string after its opening quote, unescaped, into `out`.
    func readStringBody(into out: inout [UInt8]) throws {
        let start = offset &- 1
        var nextMemoryCheck = MemoryBudget.checkedFrom
        while true {
            if out.count >= nextMemoryCheck {
                // One string is held whole, and copied by the writers: refuse before the machine runs out.
                let size = out.count
                try MemoryBudget.require(size * MemoryBudget.copiesPerValue,
                                         for: "a string of more than \(MemoryBudget.megabytes(size))",
                                         at: location(start))
                nextMemoryCheck = size * 2
            }
            if pos >= count {
                guard try refill() else { throw truncatedError("a string (opened at byte \(start))") }
            }
            // Fast path: copy the run of plain bytes in this chunk.
            let i = plainRunEnd(from: pos)
            if i > pos {
                out.append(contentsOf: UnsafeBufferPointer(start: buffer + pos, count: i &- pos))
                pos = i
            }
            if pos >= count { continue }
            let c = buffer[pos]
            pos &+= 1
            if c == 0x22 { return }
            if c < 0x20 {
                throw syntaxError("a control character (0x\(String(c, radix: 16))) inside a string; it must be escaped",
                                  at: offset &- 1)
            }
            // Escape.
            let e = try next("a string escape")
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate: a low one must follow to make a pair.
                    if try peek() == UInt8(ascii: "\\") {
                        let save = offset
                        advance()
                        if try next("a string escape") == UInt8(ascii: "u") {
                            let low = try readHex4()
                            if low >= 0xDC00 && low < 0xE000 {
                                scalar = 0x10000 &+ ((scalar &- 0xD800) << 10) &+ (low &- 0xDC00)
                                appendUTF8(scalar, to: &out)
                                continue
                            }
                            // Not a low surrogate: the lone high one becomes U+FFFD, the next escape stands.
                            appendUTF8(0xFFFD, to: &out)
                            if low >= 0xD800 && low < 0xE000 { appendUTF8(0xFFFD, to: &out) } else { appendUTF8(low, to: &out) }
                            continue
                        }
                        // Another escape: step back to it.
                        try seek(to: save)
                    }
                    appendUTF8(0xFFFD, to: &out)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    appendUTF8(0xFFFD, to: &out)  // a lone low surrogate
                } else {
                    appendUTF8(scalar, to: &out)
                }
            default:
                throw syntaxError("invalid escape '\\\(Character(Unicode.Scalar(e)))' in a string", at: offset &- 1)
            }
        }
    }

    private func readHex4() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            let h = try next("a \\u escape")
            let d: UInt32
            switch h {
            case 0x30...0x39: d = UInt32(h &- 0x30)
            case 0x41...0x46: d = UInt32(h &- 0x41 &+ 10)
            case 0x61...0x66: d = UInt32(h &- 0x61 &+ 10)
            default: throw syntaxError("invalid hex digit in a \\u escape", at: offset &- 1)
            }
            v = (v << 4) | d
        }
        return v
    }

    private func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            out.append(UInt8(truncatingIfNeeded: 0xC0 | (scalar >> 6)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(truncatingIfNeeded: 0xE0 | (scalar >> 12)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(truncatingIfNeeded: 0xF0 | (scalar >> 18)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
        }
    }

    /// Whether `b`, the first byte of a value, starts a number: a digit or `-`, or the `N` and `I`
    /// of the literals `NaN` and `Infinity`.
    @inline(__always)
    static func startsNumber(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || b == 0x2D || b == UInt8(ascii: "N") || b == UInt8(ascii: "I")
    }

    /// Reads a number token (validated against the JSON grammar), or one of the literals `NaN`,
    /// `Infinity` and `-Infinity` (as GDAL's and Python's readers do; counted in ``nonStandard``).
    func readNumber() throws -> JSONNumber {
        let first = try peekValueStart("a number")
        let start = offset
        if first == UInt8(ascii: "N") || first == UInt8(ascii: "I") { return try readNonFiniteLiteral() }
        if first == UInt8(ascii: "-") {
            // `-Infinity`: the byte after the sign decides, which may lie in the next chunk.
            let second: UInt8?
            if pos &+ 1 < count {
                second = buffer[pos &+ 1]
            } else {
                advance()
                second = try peek()
                try seek(to: start)
            }
            if second == UInt8(ascii: "I") { return try readNonFiniteLiteral() }
        }
        // Fast path: the token ends inside this chunk, so it is parsed where it lies, in one pass.
        do {
            let n = count
            if let (number, length) = try parseNumber(UnsafeBufferPointer(start: buffer + pos, count: n &- pos),
                                                      start: start, isWhole: false) {
                pos &+= length
                return number
            }
        }
        scratch.removeAll(keepingCapacity: true)
        // Collect the token's bytes.
        outer: while true {
            if pos >= count {
                guard try refill() else { break }
            }
            let buf = buffer
            let n = count
            let from = pos
            var p = from
            while p < n, Self.isNumberByte(buf[p]) { p &+= 1 }
            scratch.append(contentsOf: UnsafeBufferPointer(start: buf + from, count: p &- from))
            pos = p
            if p < n { break outer }
        }
        return try scratch.withUnsafeBufferPointer { try parseNumber($0, start: start, isWhole: true)!.number }
    }

    /// The bytes a number token can hold (the grammar is checked by `parseNumber`).
    @inline(__always)
    private static func isNumberByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x65 || c == 0x45
    }

    private static let exactPowers: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Appends the digits at `i` to `mantissa` while it holds fewer than 19 (`count`), eight at a
    /// time where eight follow (fast_float's SWAR check and conversion), and advances `i` past them.
    @inline(__always)
    private static func accumulateDigits(_ t: UnsafeBufferPointer<UInt8>, at i: inout Int,
                                         into mantissa: inout UInt64, count: inout Int) {
        let n = t.count
        while count &+ 8 <= 19 && i &+ 8 <= n {
            let word = UInt64(littleEndian: UnsafeRawPointer(t.baseAddress! + i).loadUnaligned(as: UInt64.self))
            // Every byte in 0x30...0x39: adding 0x46 sets no high bit, subtracting 0x30 borrows none.
            guard ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080 == 0 else { break }
            var v = word &- 0x3030_3030_3030_3030  // eight digit values, the first in the low byte
            v = (v &* 10) &+ (v >> 8)              // pairs: two-digit values in every other byte
            v = ((v & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32))
                 &+ ((v >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32))) >> 32
            mantissa = mantissa &* 100_000_000 &+ v
            count &+= 8
            i &+= 8
        }
        while count < 19 && i < n {
            let d = t[i] &- 0x30
            if d > 9 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            count &+= 1
            i &+= 1
        }
    }

    /// Parses the number token at the start of `t`: its value and its length in bytes.
    ///
    /// With `isWhole`, `t` is the whole token. Otherwise `t` runs on past it (the rest of the
    /// chunk), and the token ends at the first byte that cannot continue it; nil when it reaches
    /// the end of `t` first, as it may go on in the next chunk.
    private func parseNumber(_ t: UnsafeBufferPointer<UInt8>, start: Int, isWhole: Bool) throws
        -> (number: JSONNumber, length: Int)? {
        let n = t.count
        var i = 0
        var negative = false
        if n == 0 {
            if !isWhole { return nil }
            throw syntaxError("expected a value", at: start)
        }
        if t[0] == 0x2D { negative = true; i = 1 }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        guard i < n, isDigit(t[i]) else {
            if i >= n && !isWhole { return nil }
            if i >= n && atEOF && offset >= base &+ count { throw truncatedError("a number") }
            throw syntaxError("invalid number", at: start)
        }
        // Significand digits, the first 19 accumulated exactly.
        var mantissa: UInt64 = 0
        var digits = 0          // significant digits accumulated into mantissa
        var dropped = 0         // significant integer digits beyond 19 (scale up)
        var truncatedDigits = false  // a nonzero digit beyond the 19 accumulated
        if t[i] == 0x30 {
            // JSON allows one leading zero, alone: `0`, `0.5`, not `01`.
            i &+= 1
            if i < n && isDigit(t[i]) { throw syntaxError("a number with a leading zero", at: start) }
        } else {
            Self.accumulateDigits(t, at: &i, into: &mantissa, count: &digits)
            while i < n, isDigit(t[i]) {
                dropped &+= 1
                if t[i] != 0x30 { truncatedDigits = true }
                i &+= 1
            }
        }
        var isInteger = true
        var fractionDigits = 0  // fraction digits accumulated (scale down)
        if i < n && t[i] == 0x2E {
            isInteger = false
            i &+= 1
            guard i < n, isDigit(t[i]) else {
                if i >= n && !isWhole { return nil }
                if i >= n && atEOF { throw truncatedError("a number") }
                throw syntaxError("a '.' must be followed by digits", at: start)
            }
            if mantissa == 0 {
                // Zeros before the first significant digit only scale.
                while i < n, t[i] == 0x30 { fractionDigits &+= 1; i &+= 1 }
            }
            let before = digits
            Self.accumulateDigits(t, at: &i, into: &mantissa, count: &digits)
            fractionDigits &+= digits &- before
            while i < n, isDigit(t[i]) {
                if t[i] != 0x30 { truncatedDigits = true }
                i &+= 1
            }
        }
        var exponent = 0
        if i < n && (t[i] == 0x65 || t[i] == 0x45) {
            isInteger = false
            i &+= 1
            var expNegative = false
            if i < n && (t[i] == 0x2B || t[i] == 0x2D) { expNegative = t[i] == 0x2D; i &+= 1 }
            guard i < n, isDigit(t[i]) else {
                if i >= n && !isWhole { return nil }
                if i >= n && atEOF { throw truncatedError("a number") }
                throw syntaxError("an exponent must have digits", at: start)
            }
            while i < n, isDigit(t[i]) {
                if exponent < 100_000 { exponent = exponent &* 10 &+ Int(t[i] &- 0x30) }
                i &+= 1
            }
            if expNegative { exponent = -exponent }
        }
        if isWhole {
            if i != n { throw syntaxError("invalid number", at: start) }
        } else {
            // The token ends at a byte that cannot be part of a number; one that could (`1.2.3`,
            // `1-2`) makes the token invalid, as the whole token read by the slow path would be.
            if i >= n { return nil }
            if Self.isNumberByte(t[i]) { throw syntaxError("invalid number", at: start) }
        }
        let length = i

        if isInteger && dropped == 0 {
            if !negative {
                if mantissa <= UInt64(Int64.max) { return (.int(Int64(mantissa)), length) }
            } else {
                if mantissa <= UInt64(Int64.max) { return (.int(-Int64(mantissa)), length) }
                if mantissa == UInt64(Int64.max) &+ 1 { return (.int(Int64.min), length) }
            }
        }
        // The exponent stops growing at 100_000: beyond it, the digits counted above must not
        // cancel it into a plausible scale (the library parser decides such a number).
        let exponentIsWhole = exponent > -100_000 && exponent < 100_000
        // Exact fast path (Clinger): a significand of at most 2^53 and a power of ten that is exact.
        let scale = exponent &+ dropped &- fractionDigits
        if !truncatedDigits && exponentIsWhole && mantissa <= (UInt64(1) << 53) && scale >= -22 && scale <= 22 {
            var v = Double(mantissa)
            if scale >= 0 { v *= Self.exactPowers[scale] } else { v /= Self.exactPowers[-scale] }
            return (.double(negative ? -v : v), length)
        }
        if mantissa == 0 { return (.double(negative ? -0.0 : 0.0), length) }
        // Exact (Eisel-Lemire) when the exponent was read whole. With digits cut off the value lies
        // between mantissa and mantissa + 1 units, so it is exact when both round to the same
        // double (fast_float's rule).
        if exponentIsWhole,
           let v = DecimalToDouble.eiselLemire(mantissa: mantissa, exponent10: scale, negative: negative) {
            if !truncatedDigits { return (.double(v), length) }
            if let above = DecimalToDouble.eiselLemire(mantissa: mantissa &+ 1, exponent10: scale, negative: negative),
               above.bitPattern == v.bitPattern {
                return (.double(v), length)
            }
        }
        // Everything else through the correctly rounding library parser.
        let text = String(decoding: UnsafeBufferPointer(rebasing: t[..<length]), as: UTF8.self)
        guard let v = Double(text) else { throw syntaxError("invalid number", at: start) }
        return (.double(v), length)
    }

    /// `NaN`, `Infinity` or `-Infinity` at the scanner's position, as a double.
    private func readNonFiniteLiteral() throws -> JSONNumber {
        let start = offset
        var negative = false
        var c = try next("a literal")
        if c == UInt8(ascii: "-") {
            negative = true
            c = try next("a literal")
        }
        let word: [UInt8]
        let value: Double
        switch c {
        case UInt8(ascii: "N") where !negative: word = Array("aN".utf8); value = .nan
        case UInt8(ascii: "I"): word = Array("nfinity".utf8); value = negative ? -.infinity : .infinity
        default: throw syntaxError("invalid number", at: start)
        }
        for w in word where try next("a literal") != w {
            throw syntaxError("invalid literal", at: start)
        }
        // The literal ends as a number does: not followed by a letter or digit.
        if let after = try peek(), (after >= 0x30 && after <= 0x39) || (after | 0x20 >= 0x61 && after | 0x20 <= 0x7A) {
            throw syntaxError("invalid literal", at: start)
        }
        nonStandard.note(.nonFiniteLiteral, at: start)
        return .double(value)
    }

    /// Reads `true`, `false` or `null` (whichever the next byte starts).
    func readLiteral() throws -> Bool? {
        let start = offset
        let b = try peekValueStart()
        let word: [UInt8]
        let result: Bool?
        switch b {
        case UInt8(ascii: "t"): word = Array("true".utf8); result = true
        case UInt8(ascii: "f"): word = Array("false".utf8); result = false
        case UInt8(ascii: "n"): word = Array("null".utf8); result = nil
        default: throw syntaxError("unexpected character '\(printable(b))'", at: start)
        }
        for w in word {
            let c = try next("a literal")
            if c != w { throw syntaxError("invalid literal", at: start) }
        }
        return result
    }

    /// True (and consumed) when the next value is `null`.
    func consumeNull() throws -> Bool {
        if try peekValueStart() == UInt8(ascii: "n") {
            _ = try readLiteral()
            return true
        }
        return false
    }

    /// Skips one value of any kind, cheaply: strings and brackets are tracked, scalars are not
    /// converted. Truncation inside it is reported.
    func skipValue() throws {
        let start = offset
        let b = try peekValueStart()
        switch b {
        case UInt8(ascii: "\""):
            advance()
            try skipStringBody(start: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            advance()
            try skipStructure(opening: b, start: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "N"), UInt8(ascii: "I"):
            // Not converted, as nothing in a skipped structure is.
            if try skipNumberToken() == nil { _ = try readNumber() }
        default:
            _ = try readLiteral()
        }
    }

    /// Skips the rest of an object or array whose opening bracket (`opening`, at file offset
    /// `start`) was consumed: from one quote or bracket to the next, each string skipped whole by
    /// ``skipStringBody(start:)``.
    ///
    /// The open brackets are bits of one integer (1 for `{`) up to a depth of 64, and an array
    /// beyond: no allocation or call per bracket, where a bracket or a quote comes every few bytes.
    private func skipStructure(opening: UInt8, start: Int) throws {
        let table = byteClasses
        var depth = 1
        var braces: UInt64 = opening == UInt8(ascii: "{") ? 1 : 0  // bit k: the bracket at depth k + 1
        bracketStack.removeAll(keepingCapacity: true)            // brackets at depths above 64
        while true {
            if pos >= count {
                guard try refill() else {
                    throw truncatedError(opening == UInt8(ascii: "{") ? "an object (opened at byte \(start))"
                                                                      : "an array (opened at byte \(start))")
                }
            }
            let buf = buffer, n = count
            var p = ByteRuns.structuralPrefix(buf, from: pos, to: n)
            while p < n, table[Int(buf[p])] & Self.structural == 0 { p &+= 1 }
            pos = p
            if p >= n { continue }
            let c = buf[p]
            pos = p &+ 1
            if c == 0x22 {
                try skipStringBody(start: base &+ p)
            } else if c == 0x7B || c == 0x5B {
                if depth < 64 {
                    if c == 0x7B { braces |= 1 << UInt64(depth) } else { braces &= ~(1 << UInt64(depth)) }
                } else {
                    bracketStack.append(c)
                }
                depth &+= 1
            } else {
                depth &-= 1
                let openedBrace = depth < 64 ? braces & (1 << UInt64(depth)) != 0
                                             : bracketStack.removeLast() == 0x7B
                if (c == 0x7D) != openedBrace {
                    throw syntaxError("mismatched '\(printable(c))'", at: base &+ p)
                }
                if depth == 0 { return }
            }
        }
    }

    @inline(__always)
    private func skipStringBody(start: Int) throws {
        while true {
            if pos >= count {
                guard try refill() else { throw truncatedError("a string (opened at byte \(start))") }
            }
            do {
                let buf = buffer
                let n = count
                var p = pos
                let table = byteClasses
                p = ByteRuns.stringBodyPrefix(buf, from: p, to: n)
                while p < n, table[Int(buf[p])] & Self.stringEnd == 0 { p &+= 1 }
                pos = p
            }
            if pos >= count { continue }
            let c = buffer[pos]
            pos &+= 1
            if c == 0x22 { return }
            _ = try next("a string escape")  // the escaped byte; \uXXXX digits are plain bytes
        }
    }

    /// The shape of a number token, told without converting it.
    struct NumberShape {
        /// Digits before any point or exponent (leading zeros included).
        var integerDigits = 0
        /// No point and no exponent.
        var isInteger = true
        var hasExponent = false
    }

    /// Skips the number token at the scanner's position without converting it, and returns its
    /// shape; the grammar is not checked (as skipping a structure checks no scalar). nil, nothing
    /// consumed, for a `NaN` / `Infinity` literal, which the caller reads with ``readNumber()``.
    func skipNumberToken() throws -> NumberShape? {
        let start = offset
        var shape = NumberShape()
        while true {
            if pos >= count {
                guard try refill() else { return shape }
            }
            // One pass over the bytes in this chunk: a digit, a point, an exponent or a sign goes on.
            let buf = buffer, n = count
            var p = pos
            while p < n {
                let c = buf[p]
                if c &- 0x30 < 10 {
                    if shape.isInteger { shape.integerDigits &+= 1 }
                } else if c == 0x2E {
                    shape.isInteger = false
                } else if c | 0x20 == 0x65 {
                    shape.isInteger = false
                    shape.hasExponent = true
                } else if c != 0x2D && c != 0x2B {
                    pos = p
                    if (c | 0x20) &- 0x61 < 26 {
                        try seek(to: start)
                        return nil
                    }
                    return shape
                }
                p &+= 1
            }
            pos = p
        }
    }

    /// Calls `body` with the bytes of the string value at the scanner's position, unescaped but not
    /// checked as UTF-8, and consumes it: straight from the buffer when the string lies there whole
    /// without escapes (no allocation), else from scratch storage. The bytes are valid only inside `body`.
    func withStringBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T {
        guard try peekValueStart("a string") == UInt8(ascii: "\"") else { throw syntaxError("expected a string") }
        advance()
        let p = plainRunEnd(from: pos)
        if p < count && buffer[p] == 0x22 {
            let bytes = UnsafeBufferPointer(start: buffer + pos, count: p &- pos)
            pos = p &+ 1
            return try body(bytes)
        }
        scratch.removeAll(keepingCapacity: true)
        try readStringBody(into: &scratch)
        defer { if scratch.capacity > Self.largeScratch { scratch = []; scratch.reserveCapacity(256) } }
        return try scratch.withUnsafeBufferPointer(body)
    }

    /// Skips a string value, its escapes undecoded and its bytes unchecked; returns how many bytes
    /// lie between its quotes (never fewer than its UTF-8 once decoded).
    func skipString() throws -> Int {
        guard try peekValueStart("a string") == UInt8(ascii: "\"") else { throw syntaxError("expected a string") }
        let start = offset
        advance()
        try skipStringBody(start: start)
        return offset &- start &- 2
    }

    /// Classes of each byte value for the skipping loops, which look at every byte of what
    /// they skip: one load and test per byte instead of a chain of compares.
    nonisolated(unsafe) private static let byteClasses: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
        for c in [0x22, 0x5B, 0x5D, 0x7B, 0x7D] { table[c] |= structural }  // " [ ] { }
        for c in [0x22, 0x5C] { table[c] |= stringEnd }                       // " \
        for c in Array(0x00..<0x20) + [0x22, 0x5C] { table[c] |= stringStop }
        return UnsafePointer(table)
    }()
    /// A quote, a backslash or a control character: where a run of a string's plain bytes ends.
    private static let stringStop: UInt8 = 4
    /// A quote or a bracket: where skipping a structure stops.
    private static let structural: UInt8 = 1
    /// A quote or a backslash: where skipping a string's body stops.
    private static let stringEnd: UInt8 = 2

    private func printable(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? String(Character(Unicode.Scalar(b))) : "0x" + String(b, radix: 16)
    }
}
