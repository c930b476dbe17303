import Foundation
import Testing

/// Bad input and bad arguments: a clear one-line error, a non-zero exit, and nothing left behind.
@Suite struct ConvertErrorTests {
    /// Runs `convert` on `input` and checks the failure contract; returns stderr.
    func expectFailure(input: String, format: String = "filegdb,shapefile,csv,geojson",
                       extra: [String] = [], mentions: [String]) throws -> String {
        let output = try EndToEnd.makeTemporaryDirectory("error")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try EndToEnd.cli(["convert", input, "--format", format, "--output", output.path] + extra)
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line, got: \(result.stderr)")
        #expect(result.stderr.hasPrefix("replica-export: error: "))
        for word in mentions {
            #expect(result.stderr.localizedCaseInsensitiveContains(word), "'\(word)' in: \(result.stderr)")
        }
        #expect(EndToEnd.listing(output).isEmpty, "left behind: \(EndToEnd.listing(output))")
        return result.stderr
    }

    func writeTemporary(_ name: String, _ contents: String) throws -> URL {
        let directory = try EndToEnd.makeTemporaryDirectory("input")
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func missingFile() throws {
        _ = try expectFailure(input: "/nonexistent/replica.json", mentions: ["/nonexistent/replica.json", "no such file"])
    }

    @Test func unknownFormatIsRefusedBeforeReading() throws {
        let input = EndToEnd.testData("esrijson/seed_example3_marine.replica.json").path
        _ = try expectFailure(input: input, format: "csv,pdf", mentions: ["pdf", "filegdb", "geojson"])
    }

    @Test func truncatedJSON() throws {
        let full = try String(contentsOf: EndToEnd.testData("esrijson/seed_example4_canada.replica.json"), encoding: .utf8)
        for fraction in [0.1, 0.5, 0.9] {
            let cut = String(full.prefix(Int(Double(full.count) * fraction)))
            let url = try writeTemporary("truncated.json", cut)
            _ = try expectFailure(input: url.path, mentions: ["truncated.json", "byte"])
        }
    }

    @Test func pointerPayloads() throws {
        for body in [#"{"statusUrl": "https://example.com/jobs/1"}"#,
                     #"{"URL": "https://example.com/replicas/r.json"}"#,
                     #"{"resultUrl": "https://example.com/r.json", "status": "Completed"}"#] {
            let url = try writeTemporary("pointer.json", body)
            _ = try expectFailure(input: url.path, mentions: ["pointer.json"])
        }
    }

    @Test func wrongTypes() throws {
        let url = try writeTemporary("wrong.json", #"{"replicaName": "x", "syncModel": "none", "layers": 5}"#)
        _ = try expectFailure(input: url.path, mentions: ["wrong.json", "layers"])
    }

    @Test func notAReplica() throws {
        let url = try writeTemporary("notes.txt", "hello, this is not a replica")
        _ = try expectFailure(input: url.path, mentions: ["notes.txt"])
    }

    @Test func existingOutputIsKeptWithoutOverwrite() throws {
        let output = try EndToEnd.makeTemporaryDirectory("exists")
        defer { try? FileManager.default.removeItem(at: output) }
        let input = EndToEnd.testData("esrijson/seed_example3_marine.replica.json").path
        let first = try EndToEnd.cli(["convert", input, "--format", "geojson", "--output", output.path])
        #expect(first.status == 0, "\(first.stderr)")
        let before = EndToEnd.listing(output)
        let second = try EndToEnd.cli(["convert", input, "--format", "geojson", "--output", output.path])
        #expect(second.status != 0)
        #expect(second.stderr.contains("already exists") && second.stderr.contains("overwrit"), "\(second.stderr)")
        #expect(EndToEnd.listing(output) == before)
        let third = try EndToEnd.cli(["convert", input, "--format", "geojson", "--output", output.path, "--overwrite"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(EndToEnd.listing(output) == before)
    }
}
