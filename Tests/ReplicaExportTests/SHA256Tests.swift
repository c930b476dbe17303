import Testing
@testable import ReplicaExport

@Suite struct SHA256Tests {
    /// FIPS 180-4 / NIST test vectors, and input split across block boundaries.
    @Test func knownDigests() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(SHA256.hexString(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Pieces of odd sizes give the digest of the whole.
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var pieces = SHA256()
        var start = 0
        for size in [1, 63, 64, 65, 7, 300, 500] { pieces.update(Array(bytes[start..<min(start + size, bytes.count)])); start += size }
        #expect(SHA256.hexString(pieces.finalize()) == SHA256.hex(bytes))
    }
}
