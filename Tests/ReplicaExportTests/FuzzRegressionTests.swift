import Foundation
import Testing
@testable import ReplicaExport
import ReplicaExportTestSupport
import ReplicaExportFuzzTargets
import ReplicaExportBenchmarkSupport

/// The fuzz targets in the test suite: the regression corpus (`TestData/bad/fuzz/<target>/`:
/// inputs that once crashed or hung) replayed, and a short deterministic mutation run of each
/// target on seeds from TestData. Every input ends in a result or a ``ReplicaExportError``; a crash
/// ends the test process, which fails the suite. The long runs are `Fuzz/run.sh` (libFuzzer).
@Suite struct FuzzRegressionTests {
    static func corpus(_ target: FuzzTarget) -> [[UInt8]] {
        let directory = TestPaths.testData("bad/fuzz/\(target.rawValue)")
        return TestPaths.entries(directory).compactMap { try? [UInt8](Data(contentsOf: directory.appendingPathComponent($0))) }
    }

    /// Runs `input`; only a ``ReplicaExportError`` may come out of it.
    static func expectClearEnding(_ target: FuzzTarget, _ input: [UInt8], scratch: URL, _ what: @autoclosure () -> String) {
        do {
            try input.withUnsafeBytes { try target.run($0, scratch: scratch) }
        } catch is ReplicaExportError {
        } catch {
            Issue.record("\(target.rawValue), \(what()): an error that is not a ReplicaExportError: \(error)")
        }
    }

    @Test(arguments: FuzzTarget.allCases) func regressionCorpus(_ target: FuzzTarget) throws {
        let scratch = try TestPaths.makeTemporaryDirectory("fuzz-replay-\(target.rawValue)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inputs = Self.corpus(target)
        #expect(!inputs.isEmpty)
        for (i, input) in inputs.enumerated() { Self.expectClearEnding(target, input, scratch: scratch, "corpus file \(i)") }
    }

    /// Seeds like those `Fuzz/run.sh` gives libFuzzer, kept small so that a run takes seconds.
    static func seeds(_ target: FuzzTarget) throws -> [[UInt8]] {
        func file(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: TestPaths.testData(path))) }
        switch target {
        case .json:
            return try ["esrijson/arcgis-rest-js_PolygonHasZM.replica.json", "esrijson/gntools_esridoc_curveRings_hasM.featureset.json",
                        "esrijson/pyesridump_us-ca-carson-0.replica.json", "esrijson/seed_example4_canada.replica.json",
                        "quirks/nan_literals.json", "quirks/nonstandard_json.json", "quirks/object_attributes.json",
                        "quirks/integer_overflow.json", "quirks/broken_vertices.json", "quirks/multipoint_zm.json"].map(file)
        case .blob:
            var blobs: [[UInt8]] = []
            for (gdb, table) in [("LA_Trails", "Trailheads"), ("militaryoverlay", "ControlMeasuresAreas"), ("militaryoverlay", "ControlMeasuresLines")] {
                let db = try SQLiteConnection.openInput(TestPaths.testData("mobilegdb/\(gdb).geodatabase"))
                blobs += try db.rows("SELECT Shape FROM \(table) WHERE Shape IS NOT NULL LIMIT 4") { $0.bytes(0) }
            }
            return blobs
        case .xml:
            let db = try SQLiteConnection.openInput(TestPaths.testData("mobilegdb/militaryoverlay.geodatabase"))
            return try db.rows("SELECT Definition FROM GDB_Items WHERE Definition IS NOT NULL AND length(Definition) < 20000 LIMIT 6") {
                Array(($0.text(0) ?? "").utf8)
            }
        case .catalog:
            return try [file("mobilegdb/LA_Trails.geodatabase")]
        }
    }

    /// Mutations per target: each input costs microseconds (blob, xml) to tens of milliseconds
    /// (a whole geodatabase), so that every target runs for a few seconds.
    static func iterations(_ target: FuzzTarget) -> Int {
        switch target {
        case .json: 1_500
        case .blob: 60_000
        case .xml: 6_000
        case .catalog: 200
        }
    }

    /// A short deterministic mutation run (fixed seed): bit flips, interesting bytes, JSON tokens
    /// spliced in, ranges cut, repeated or truncated; every mutant ends in a result or a clear error.
    @Test(arguments: FuzzTarget.allCases) func shortMutationRun(_ target: FuzzTarget) throws {
        let scratch = try TestPaths.makeTemporaryDirectory("fuzz-smoke-\(target.rawValue)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let seeds = try Self.seeds(target) + Self.corpus(target)
        try #require(!seeds.isEmpty)
        var random = SplitMix64(seed: 0x5EED_0000 + UInt64(target.rawValue.utf8.count))
        for i in 0..<Self.iterations(target) {
            var input = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0...(random.next() % 4) { Mutator.mutate(&input, &random, target: target) }
            Self.expectClearEnding(target, input, scratch: scratch, "mutant \(i)")
        }
    }
}

/// The mutations of the smoke run: a small subset of libFuzzer's, plus tokens that found faults.
enum Mutator {
    static let interestingBytes: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x22, 0x5B, 0x5D, 0x7B, 0x7D, 0x2C, 0x3A, 0x2D, 0x39, 0x5C, 0x3C, 0x3E]
    static let jsonTokens = ["1e400", "-1e308", "NaN", "null", "true", "[[[[[[", "]]]", "{\"a\":", "\"\\ud800\"", "\"\\u0000\"",
                             "9007199254740993", "-0", "{\"curvePaths\":[[[0,0],{\"b\":[[1,1],[2,2],[1e308,3]]}]]}", "\"x\":\"NaN\""]

    static func mutate(_ bytes: inout [UInt8], _ random: inout SplitMix64, target: FuzzTarget) {
        func position(_ extra: Int = 0) -> Int { bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count + extra)) }
        switch random.next() % 7 {
        case 0 where !bytes.isEmpty:  // flip a bit
            bytes[position()] ^= UInt8(1 << (random.next() % 8))
        case 1 where !bytes.isEmpty:  // an interesting byte
            bytes[position()] = interestingBytes[Int(random.next() % UInt64(interestingBytes.count))]
        case 2:  // a token (JSON) or a run of random bytes (binary)
            let insert: [UInt8] = target == .json || target == .xml
                ? Array(jsonTokens[Int(random.next() % UInt64(jsonTokens.count))].utf8)
                : (0..<(1 + random.next() % 8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            bytes.insert(contentsOf: insert, at: position(1))
        case 3 where bytes.count > 1:  // cut a range
            let start = position(), length = min(bytes.count - start, 1 + Int(random.next() % 64))
            bytes.removeSubrange(start..<(start + length))
        case 4 where bytes.count > 1:  // repeat a range
            let start = position(), length = min(bytes.count - start, 1 + Int(random.next() % 64))
            bytes.insert(contentsOf: bytes[start..<(start + length)], at: position(1))
        case 5 where !bytes.isEmpty:  // truncate
            bytes.removeSubrange(position()...)
        default:  // an integer field changed: the blob's counts and the SQLite header's fields
            guard bytes.count >= 4 else { return }
            let at = position() & ~3
            guard at + 4 <= bytes.count else { return }
            let value = [UInt32.max, 0, 1, 0x8000_0000, UInt32(truncatingIfNeeded: random.next())][Int(random.next() % 5)]
            for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
        }
    }
}
