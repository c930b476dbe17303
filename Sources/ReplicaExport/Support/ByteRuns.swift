/// Where a run of ordinary bytes ends, looked for eight bytes at a time in one 64-bit word
/// (SWAR: "SIMD within a register").
///
/// A JSON feature has a quote or a bracket every few bytes; testing a whole word for the bytes
/// that end a run, and taking the first from the trailing zero count, costs about a third of
/// testing the bytes one by one, and its branch is taken once per run instead of once per byte.
/// Each test flags a byte by its high bit and is exact for the lowest flagged byte: a borrow only
/// carries toward higher bytes, so a false flag can only lie above a true one.
enum ByteRuns {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The eight bytes at `p`, the first in the low byte.
    @inline(__always)
    private static func word(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
    }

    /// The high bit of every byte of `w` that is zero.
    @inline(__always)
    private static func zeroBytes(_ w: UInt64) -> UInt64 { (w &- ones) & ~w & highBits }

    /// The high bit of every byte of `w` that equals `byte`.
    @inline(__always)
    private static func bytes(_ w: UInt64, equalTo byte: UInt8) -> UInt64 { zeroBytes(w ^ (ones &* UInt64(byte))) }

    /// The high bit of every byte of `w` below 0x20 (a control character).
    @inline(__always)
    private static func controlBytes(_ w: UInt64) -> UInt64 { (w &- ones &* 0x20) & ~w & highBits }

    /// The index of the first byte in `start..<end` that `flags` flags in its word, or of the
    /// first byte from where fewer than eight remain (left to the caller's byte loop).
    @inline(__always)
    private static func firstFlagged(_ buffer: UnsafePointer<UInt8>, from start: Int, to end: Int,
                                     _ flags: (UInt64) -> UInt64) -> Int {
        var p = start
        while p &+ 8 <= end {
            let m = flags(word(buffer + p))
            if m != 0 { return p &+ m.trailingZeroBitCount &>> 3 }
            p &+= 8
        }
        return p
    }

    /// The first `byte` in `start..<end`, or `end`.
    static func first(_ byte: UInt8, in buffer: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var p = firstFlagged(buffer, from: start, to: end) { w in bytes(w, equalTo: byte) }
        while p < end && buffer[p] != byte { p &+= 1 }
        return p
    }

    /// The first byte in `start..<end` other than `byte`, or `end`.
    static func firstOther(than byte: UInt8, in buffer: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        let pattern = ones &* UInt64(byte)
        var p = start
        while p &+ 8 <= end {
            let differing = word(buffer + p) ^ pattern
            if differing != 0 { return p &+ differing.trailingZeroBitCount &>> 3 }
            p &+= 8
        }
        while p < end && buffer[p] == byte { p &+= 1 }
        return p
    }

    /// The first quote, backslash or control character in `start..<end`: where the plain bytes of
    /// a string end. A result where fewer than eight bytes remain may be short of it.
    @inline(__always)
    static func plainStringPrefix(_ buffer: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        firstFlagged(buffer, from: start, to: end) { w in
            bytes(w, equalTo: 0x22) | bytes(w, equalTo: 0x5C) | controlBytes(w)
        }
    }

    /// The first quote or backslash in `start..<end` (skipping a string, which need not check
    /// control characters). A result where fewer than eight bytes remain may be short of it.
    @inline(__always)
    static func stringBodyPrefix(_ buffer: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        firstFlagged(buffer, from: start, to: end) { w in bytes(w, equalTo: 0x22) | bytes(w, equalTo: 0x5C) }
    }

    /// The first quote or bracket (`[`, `]`, `{`, `}`) in `start..<end`. Setting bit 5 maps `[`
    /// onto `{` and `]` onto `}`, and nothing else onto either. A result where fewer than eight
    /// bytes remain may be short of it.
    @inline(__always)
    static func structuralPrefix(_ buffer: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        firstFlagged(buffer, from: start, to: end) { w in
            let folded = w | (ones &* 0x20)
            return bytes(w, equalTo: 0x22) | bytes(folded, equalTo: 0x7B) | bytes(folded, equalTo: 0x7D)
        }
    }
}
