import Foundation
import Testing

/// One value or geometry too large for memory (issue 12): a 100 MB string converts within a small
/// multiple of its size, and what the machine cannot hold ends with a clear `tooLarge` error that
/// names the byte offset, never with the kernel's out-of-memory kill. The budget is set through
/// `REPLICA_EXPORT_MEMORY_MB` to stand for a small machine.
@Suite(.serialized) struct LargeValueTests {
    static let stringBytes = 100_000_000

    /// A FeatureSet of one point whose text attribute is `stringBytes` long.
    static func payloadWithHugeString(in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("huge_string.json")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.write(contentsOf: Data(head.utf8))
        let chunk = Data(String(repeating: "abcdefghij", count: 100_000).utf8)  // 1 MB
        for _ in 0..<(stringBytes / chunk.count) { try handle.write(contentsOf: chunk) }
        try handle.write(contentsOf: Data(tail.utf8))
        return url
    }

    static let tail = #""},"geometry":{"x":1,"y":2}}]}"#
    static let head = #"{"objectIdFieldName":"OBJECTID","geometryType":"esriGeometryPoint","spatialReference":{"wkid":4326},"fields":[{"name":"OBJECTID","type":"esriFieldTypeOID"},{"name":"note","type":"esriFieldTypeString","length":200000000}],"features":[{"attributes":{"OBJECTID":1,"note":""#

    @Test func aHundredMegabyteStringConvertsInASmallMultipleOfItsSize() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("huge-string")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.payloadWithHugeString(in: directory)
        for format in ["csv", "filegdb"] {
            let output = directory.appendingPathComponent("out-\(format)")
            let measured = try EndToEnd.python("peak_memory.py", [
                Processes.replicaExport.path, "convert", input.path, "--format", format, "--output", output.path])
            try #require(measured["status"] as? Int == 0, "\(measured["stderr"] ?? "")")
            let peak = (measured["maxrss_kib"] as? Int ?? 0) * 1024
            #expect(peak < 6 * Self.stringBytes, "\(format): peak \(peak >> 20) MB for a \(Self.stringBytes >> 20) MB string")
            // The whole string arrived. GDAL's Python bindings crash on a 100 MB field and its CSV
            // reader refuses lines that long, so FileGDB is read by ogrinfo, CSV by Python's csv.
            let length: Int
            if format == "csv" {
                let read = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", """
                    import csv, sys
                    csv.field_size_limit(sys.maxsize)
                    print(len(next(csv.DictReader(open(sys.argv[1], newline='')))['note']))
                    """, output.appendingPathComponent("csv/huge_string.csv").path])
                length = Int(read.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            } else {
                let read = try Processes.run(URL(fileURLWithPath: "/usr/bin/ogrinfo"),
                                             ["-al", "-q", output.appendingPathComponent("filegdb/huge_string.gdb").path])
                let prefix = "  note (String) = "
                length = read.stdout.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { $0.utf8.count - prefix.utf8.count } ?? -1
            }
            #expect(length == Self.stringBytes, "\(format): \(length) bytes read back")
        }
    }

    @Test func aStringTooLargeForTheMemoryBudgetIsAClearError() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("huge-string-budget")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.payloadWithHugeString(in: directory)
        let output = directory.appendingPathComponent("out")
        let result = try Processes.run(Processes.replicaExport,
                                       ["convert", input.path, "--format", "csv,geojson", "--output", output.path],
                                       environment: ["REPLICA_EXPORT_MEMORY_MB": "300"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("replica-export: error: [tooLarge]"), "\(result.stderr)")
        #expect(result.stderr.contains("feature 0 (OBJECTID 1), byte \(Self.head.utf8.count - 1):"), "\(result.stderr)")
        #expect(result.stderr.contains("more memory"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.path), "\(EndToEnd.listing(output))")
    }

    @Test func aGeometryTooLargeForTheMemoryBudgetIsAClearError() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("huge-geometry")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("long_line.json")
        let vertices = (0..<200_000).map { "[\($0 % 1000).5,\($0 / 1000).25]" }.joined(separator: ",")
        try Data(#"{"geometryType":"esriGeometryPolyline","spatialReference":{"wkid":3857},"fields":[{"name":"OBJECTID","type":"esriFieldTypeOID"}],"features":[{"attributes":{"OBJECTID":7},"geometry":{"paths":[[\#(vertices)]]}}]}"#.utf8)
            .write(to: url)
        let output = directory.appendingPathComponent("out")
        let refused = try Processes.run(Processes.replicaExport, ["convert", url.path, "--format", "csv", "--output", output.path],
                                        environment: ["REPLICA_EXPORT_MEMORY_MB": "20"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.hasPrefix("replica-export: error: [tooLarge]"), "\(refused.stderr)")
        #expect(refused.stderr.contains("a geometry part of more than"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
        // With the machine's real budget the same line converts.
        let converted = try EndToEnd.cli(["convert", url.path, "--format", "csv", "--output", output.path])
        #expect(converted.status == 0, "\(converted.stderr)")
    }
}
