import Foundation
import Testing

/// Inputs that are not what `convert` expects (issue 12): a FIFO or a device, the schema given as
/// the input, the payload given as its own schema, repeated layer ids. Each is refused at once
/// with one clear line, a non-zero exit and nothing in the output directory.
@Suite struct InputKindTests {
    func expectRefused(_ arguments: [String], mentions: [String]) throws {
        let output = try EndToEnd.makeTemporaryDirectory("kind")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try EndToEnd.cli(["convert"] + arguments + ["--format", "geopackage,csv", "--output", output.path])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        for word in mentions {
            #expect(result.stderr.localizedCaseInsensitiveContains(word), "'\(word)' in: \(result.stderr)")
        }
        #expect(EndToEnd.listing(output).isEmpty, "left behind: \(EndToEnd.listing(output))")
    }

    /// Opening a FIFO for reading blocks until a writer comes: this test would hang without the check.
    @Test func aFIFOIsRefusedAtOnce() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("fifo")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("payload.json")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        try expectRefused([fifo.path], mentions: ["FIFO", fifo.path])
        let page = EndToEnd.testData("esrijson/arcgis-rest-js_LineHasM.json").path
        try expectRefused([page, "--schema", fifo.path], mentions: ["FIFO"])
    }

    @Test func aDeviceIsRefused() throws {
        try expectRefused(["/dev/zero"], mentions: ["device", "/dev/zero"])
    }

    @Test func layerResourcesGivenAsTheInputAreRefused() throws {
        let schema = EndToEnd.testData("esrijson/arcgis-rest-js_LineHasM.replica.layers.json").path
        try expectRefused([schema], mentions: ["layer resources", "schema"])
    }

    @Test func aPayloadGivenAsItsOwnSchemaIsRefused() throws {
        let payload = EndToEnd.testData("esrijson/arcgis-rest-js_LineHasM.replica.json").path
        try expectRefused([payload, "--schema", payload], mentions: ["payload", "schema"])
        let page = EndToEnd.testData("esrijson/arcgis-rest-js_LineHasM.json").path
        try expectRefused([page, "--schema", page], mentions: ["payload"])
    }

    @Test func repeatedLayerIdsAreRefused() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("dup")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("twice.json")
        try #"{"layers": [{"id": 0, "features": []}, {"id": 0, "features": []}]}"#.write(to: input, atomically: true, encoding: .utf8)
        try expectRefused([input.path], mentions: ["id 0"])

        let payload = directory.appendingPathComponent("page.json")
        try #"{"layers": [{"id": 0, "features": []}]}"#.write(to: payload, atomically: true, encoding: .utf8)
        let schema = directory.appendingPathComponent("schema.json")
        try #"{"layers": [{"id": 0, "name": "a", "fields": []}, {"id": 0, "name": "b", "fields": []}]}"#
            .write(to: schema, atomically: true, encoding: .utf8)
        try expectRefused([payload.path, "--schema", schema.path], mentions: ["id 0"])
    }

    /// SQLite's integrity report runs to many lines; the error is one.
    @Test func scrambledPagesAreOneLineError() throws {
        let copy = try TestPaths.privateCopy(of: "mobilegdb/LA_Trails.geodatabase")
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let handle = try FileHandle(forWritingTo: copy)
        var generator = SystemRandomNumberGenerator()
        for page in stride(from: 40, to: 200, by: 7) {
            try handle.seek(toOffset: UInt64(page * 1024 + 8))
            try handle.write(contentsOf: Data((0..<900).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        }
        try handle.close()
        try expectRefused([copy.path], mentions: ["damaged"])
    }
}
