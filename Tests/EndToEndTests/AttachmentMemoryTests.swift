import Foundation
import Testing

/// Attachment bytes stream: 1,000 attachments of 1 MB each (1 GB) convert in flat memory, to files
/// beside CSV, into a FileGDB table, and embedded as base64 in the JSON payload.
@Suite struct AttachmentMemoryTests {
    @Test func aThousandMegabyteAttachmentsStayUnder300MB() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("attachment-memory")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("inspections.geodatabase")
        try FileManager.default.copyItem(at: EndToEnd.testData("mobilegdb/arcrestgo_m5pc4wu4_10.4.1.geodatabase"), to: input)
        // The sample's attachment table is empty: fill it with 1,000 current rows of 1 MB.
        let filled = try Processes.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [input.path, """
            INSERT INTO Homesites_inspections__ATTACH (ATTACHMENTID, GLOBALID, REL_GLOBALID, CONTENT_TYPE, ATT_NAME,
                DATA_SIZE, DATA, gdb_from_date, gdb_to_date)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
            SELECT i, printf('{%08X-0000-4000-8000-000000000000}', i), '{00000000-0000-4000-8000-000000000001}',
                   'application/octet-stream', printf('scan_%d.bin', i), 1048576, randomblob(1048576),
                   2459000.5, julianday('9999-12-31 23:59:59') FROM n;
            """])
        try #require(filled.status == 0, "\(filled.stderr)")
        let output = directory.appendingPathComponent("out")
        let measured = try EndToEnd.python("peak_memory.py", [
            Processes.replicaExport.path, "convert", input.path, "--format", "csv,filegdb", "--output", output.path])
        #expect(measured["status"] as? Int == 0, "\(measured["stderr"] ?? "")")
        let peakKiB = measured["maxrss_kib"] as? Int ?? .max
        #expect(peakKiB < 300 * 1024, "peak RSS \(peakKiB) KiB")
        let files = TestPaths.entries(output.appendingPathComponent("csv/attachments/Homesites inspections"))
        #expect(files.count == 1000)
        let index = try String(contentsOf: output.appendingPathComponent("csv/attachments/Homesites inspections.csv"), encoding: .utf8)
        #expect(index.split(separator: "\n").count == 1001)

        // The JSON payload with every attachment embedded (1.3 GB of base64, encoded in chunks).
        let embedded = directory.appendingPathComponent("embedded")
        let json = try EndToEnd.python("peak_memory.py", [
            Processes.replicaExport.path, "convert", input.path, "--format", "json", "--embed-attachments", "--output", embedded.path])
        #expect(json["status"] as? Int == 0, "\(json["stderr"] ?? "")")
        let jsonPeakKiB = json["maxrss_kib"] as? Int ?? .max
        #expect(jsonPeakKiB < 300 * 1024, "json --embed-attachments: peak RSS \(jsonPeakKiB) KiB")
        let payload = embedded.appendingPathComponent("json/MyReplica.json")
        let size = (try FileManager.default.attributesOfItem(atPath: payload.path)[.size] as? Int) ?? 0
        #expect(size > 1000 * 1_398_100, "\(size) bytes")
        #expect(!FileManager.default.fileExists(atPath: embedded.appendingPathComponent("json/attachments").path))
    }
}
