import Foundation
import Testing

/// Attachment bytes stream: 1,000 attachments of 1 MB each (1 GB) convert in flat memory.
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
    }
}
