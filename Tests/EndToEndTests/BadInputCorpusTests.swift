import Foundation
import Testing

/// The corpus of broken inputs (`TestData/bad/cases.tsv`, plus large or derived cases generated
/// here): every case ends with its expected error code on one line, a non-zero exit, no crash or
/// hang, and nothing in the output directory.
@Suite struct BadInputCorpusTests {
    struct Outcome {
        var status: Int32
        var stderr: String
        var leftBehind: [String]
    }

    /// Runs `convert` under a watchdog (`timeout 120`: a hang shows as status 124, not a stuck suite).
    static func convert(_ input: URL, _ extra: [String] = []) throws -> Outcome {
        let output = try EndToEnd.makeTemporaryDirectory("bad")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try Processes.run(URL(fileURLWithPath: "/usr/bin/timeout"),
                                       ["120", Processes.replicaExport.path, "convert", input.path,
                                        "--format", "geopackage,csv,geojson", "--output", output.path] + extra)
        return Outcome(status: result.status, stderr: result.stderr, leftBehind: EndToEnd.listing(output))
    }

    static func expect(_ outcome: Outcome, code: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.status != 124, "\(what): hung", sourceLocation: sourceLocation)
        if code == "ok" {
            #expect(outcome.status == 0, "\(what): \(outcome.stderr)", sourceLocation: sourceLocation)
            return
        }
        #expect(outcome.status == 1, "\(what): exit \(outcome.status) \(outcome.stderr)", sourceLocation: sourceLocation)
        let lines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("replica-export: error:") }
        #expect(lines.count == 1 && outcome.stderr.split(separator: "\n").count == 1, "\(what): \(outcome.stderr)",
                sourceLocation: sourceLocation)
        #expect(outcome.stderr.contains("[\(code)]"), "\(what): expected [\(code)], got \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.leftBehind.isEmpty, "\(what): left \(outcome.leftBehind)", sourceLocation: sourceLocation)
    }

    @Test func everyCommittedCaseEndsWithItsExpectedError() throws {
        let directory = TestPaths.testData("bad")
        let manifest = try String(contentsOf: directory.appendingPathComponent("cases.tsv"), encoding: .utf8)
        var count = 0
        for line in manifest.split(separator: "\n") where !line.hasPrefix("#") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let extra = columns[2].split(separator: " ").map(String.init).map { argument in
                argument.hasPrefix("--") ? argument : directory.appendingPathComponent(argument).path
            }
            let outcome = try Self.convert(directory.appendingPathComponent(columns[0]), extra)
            Self.expect(outcome, code: columns[1], "\(columns[0]) (\(columns[3]))")
            count += 1
        }
        #expect(count >= 29)
    }

    /// A real payload cut at 40 offsets: always an error that says the file ends early.
    @Test func truncationsAtManyOffsets() throws {
        let source = TestPaths.testData("esrijson/pyesridump_us-ca-carson-0.replica.json")
        let bytes = try Data(contentsOf: source)
        let directory = try EndToEnd.makeTemporaryDirectory("cut")
        defer { try? FileManager.default.removeItem(at: directory) }
        for i in 1...40 {
            let cut = bytes.count * i / 41
            let url = directory.appendingPathComponent("cut_\(cut).json")
            try bytes.prefix(cut).write(to: url)
            Self.expect(try Self.convert(url), code: "truncated", "cut at \(cut) of \(bytes.count)")
        }
    }

    /// Deterministic byte flips: each run ends in a result or one clear error, never a crash.
    @Test func flippedBytes() throws {
        let source = TestPaths.testData("esrijson/pyesridump_us-ca-carson-0.replica.json")
        let bytes = [UInt8](try Data(contentsOf: source))
        let directory = try EndToEnd.makeTemporaryDirectory("flip")
        defer { try? FileManager.default.removeItem(at: directory) }
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        for i in 0..<30 {
            var mutated = bytes
            for _ in 0..<(1 + i % 4) { mutated[next() % mutated.count] ^= UInt8(1 << (next() % 8)) }
            let url = directory.appendingPathComponent("flip_\(i).json")
            try Data(mutated).write(to: url)
            let outcome = try Self.convert(url)
            #expect(outcome.status == 0 || outcome.status == 1, "flip \(i): exit \(outcome.status) \(outcome.stderr)")
            // Every line is one message (a warning, or an error for a format that failed while the
            // others committed), and no temporaries are left.
            #expect(outcome.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("replica-export: error:") || $0.hasPrefix("warning:") || $0.hasPrefix("note:") },
                    "flip \(i): \(outcome.stderr)")
            #expect(!outcome.leftBehind.contains { $0.contains(".partial-") }, "flip \(i): \(outcome.leftBehind)")
            if outcome.status == 1 && !outcome.stderr.contains("warning:") {
                #expect(outcome.stderr.split(separator: "\n").count == 1 && outcome.leftBehind.isEmpty, "flip \(i): \(outcome.stderr)")
            }
        }
    }

    @Test func nestingAMillionDeep() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("deep")
        defer { try? FileManager.default.removeItem(at: directory) }
        let deep = String(repeating: "[", count: 1_000_000) + String(repeating: "]", count: 1_000_000)
        let cases: [(String, String)] = [
            (#"{"spatialReference": \#(deep), "features": []}"#, "syntax"),
            (#"{"features": [\#(deep)]}"#, "unexpectedType"),
            (#"{"unknown": \#(deep), "features": []}"#, "ok"),
            // An array attribute is written as its JSON text: one nested past 512 levels cannot be.
            (#"{"features": [{"attributes": {"a": \#(deep)}}]}"#, "syntax"),
        ]
        for (i, (json, code)) in cases.enumerated() {
            let url = directory.appendingPathComponent("deep_\(i).json")
            try json.write(to: url, atomically: false, encoding: .utf8)
            Self.expect(try Self.convert(url), code: code, "deep case \(i)")
        }
    }

    /// Broken geodatabases made from a real one with the sqlite3 command line.
    @Test func brokenGeodatabases() throws {
        func copy() throws -> URL { try TestPaths.privateCopy(of: "mobilegdb/LA_Trails.geodatabase") }
        func sqlite(_ url: URL, _ sql: String) throws {
            let result = try Processes.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [url.path, sql])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let dropTriggers = "DROP TRIGGER st_insert_trigger_Trailheads_Shape; DROP TRIGGER st_delete_trigger_Trailheads_Shape; DROP TRIGGER st_update_trigger_Trailheads_Shape; DROP TRIGGER st_update1_trigger_Trailheads_Shape;"

        // Cut short.
        let short = try copy()
        let bytes = try Data(contentsOf: short)
        try bytes.prefix(bytes.count / 3).write(to: short)
        Self.expect(try Self.convert(short), code: "corrupt", "geodatabase cut to a third")

        // A blob that claims 2^32 - 1 points.
        let huge = try copy()
        try sqlite(huge, dropTriggers + "UPDATE Trailheads SET Shape = CAST(substr(Shape, 1, 4) || x'FFFFFFFF' || substr(Shape, 9) AS BLOB) WHERE OBJECTID_1 = (SELECT min(OBJECTID_1) FROM Trailheads);")
        Self.expect(try Self.convert(huge), code: "corrupt", "blob with 2^32 - 1 points")

        // A blob cut inside its last varint.
        let varint = try copy()
        try sqlite(varint, dropTriggers + "UPDATE Trailheads SET Shape = substr(Shape, 1, length(Shape) - 1) WHERE OBJECTID_1 = (SELECT min(OBJECTID_1) FROM Trailheads);")
        Self.expect(try Self.convert(varint), code: "corrupt", "blob cut inside a varint")

        // The catalog names a table that is gone: the file is damaged and an export of every layer
        // fails naming the layer; the other layers can still be chosen and exported.
        let missing = try TestPaths.privateCopy(of: "mobilegdb/militaryoverlay.geodatabase")
        try sqlite(missing, "ALTER TABLE Air RENAME TO Air_gone;")
        let all = try Self.convert(missing)
        Self.expect(all, code: "corrupt", "catalog naming a table that is gone")
        #expect(all.stderr.contains("layer 'main.Air' (id 2) but the file has no table 'Air'"), "\(all.stderr)")
        Self.expect(try Self.convert(missing, ["--layers", "2"]), code: "corrupt", "the gone layer chosen")
        Self.expect(try Self.convert(missing, ["--layers", "0,1,3,4"]), code: "ok", "the other layers chosen")
    }
}
