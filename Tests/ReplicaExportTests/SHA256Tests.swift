import Foundation
import Testing
@testable import ReplicaExport

/// SHA-256 against the FIPS 180-4 examples (and the NIST long-message vector), fed whole and in
/// pieces of every awkward size, and against Python's hashlib around the padding boundaries.
@Suite struct SHA256Tests {
    static func hex(_ text: String) -> String { SHA256.hash(Array(text.utf8)).hex }

    @Test func fipsVectors() {
        #expect(Self.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Self.hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func oneMillionAs() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)).hex == expected)
        // The same million, streamed in uneven pieces that straddle block boundaries.
        var hash = SHA256()
        var left = 1_000_000
        var piece = 1
        while left > 0 {
            let n = min(piece, left)
            hash.update([UInt8](repeating: UInt8(ascii: "a"), count: n))
            left -= n
            piece = piece % 997 + 13
        }
        #expect(hash.finalize().hex == expected)
    }

    @Test func piecesOfEverySizeGiveTheSameHash() {
        let message = [UInt8]((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let whole = SHA256.hash(message)
        for size in [1, 2, 3, 55, 56, 57, 63, 64, 65, 127, 128, 129, 299] {
            var hash = SHA256()
            var start = 0
            while start < message.count {
                let end = min(start + size, message.count)
                hash.update(Array(message[start..<end]))
                start = end
            }
            #expect(hash.finalize() == whole, "pieces of \(size)")
        }
        // finalize() leaves the hash usable: more bytes continue the same message.
        var hash = SHA256()
        hash.update(Array(message[..<100]))
        _ = hash.finalize()
        hash.update(Data(message[100...]))
        #expect(hash.finalize() == whole)
    }

    /// Every length from 0 to 200 bytes, through the padding cases (55, 56, 63, 64, 119, 120...),
    /// compared with Python's hashlib.
    @Test func agreesWithHashlibAroundThePadding() throws {
        let output = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), [
            "-c", "import hashlib\nfor n in range(201): print(hashlib.sha256(bytes((i * 7 + 3) % 256 for i in range(n))).hexdigest())"]).stdout
        let expected = output.split(separator: "\n").map(String.init)
        try #require(expected.count == 201)
        for n in 0...200 {
            let message = (0..<n).map { UInt8(($0 * 7 + 3) % 256) }
            #expect(SHA256.hash(message).hex == expected[n], "length \(n)")
        }
    }

    @Test func filesAreHashedStreaming() throws {
        let url = TestPaths.testData("mobilegdb/LA_Trails.geodatabase")
        let data = try Data(contentsOf: url)
        let digest = try #require(try SHA256.hash(fileAt: url))
        #expect(digest == SHA256.hash([UInt8](data)))
        #expect(try SHA256.hash(fileAt: url, shouldStop: { true }) == nil)
    }

    @Test func digestsAreCodableAsHex() throws {
        let digest = SHA256.hash(Array("abc".utf8))
        let data = try JSONEncoder().encode([digest])
        #expect(String(decoding: data, as: UTF8.self) == #"["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]"#)
        #expect(try JSONDecoder().decode([SHA256.Digest].self, from: data) == [digest])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([SHA256.Digest].self, from: Data(#"["abc"]"#.utf8)) }
    }
}
