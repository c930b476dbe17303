import Foundation
import Testing

/// `convert --verify` and `verify`: exit 0 on a faithful conversion, non-zero naming the place of
/// a changed value.
@Suite struct VerifyCommandTests {
    @Test func verifyPassesThenFailsAfterTampering() throws {
        let output = try EndToEnd.makeTemporaryDirectory("verify-cli")
        defer { try? FileManager.default.removeItem(at: output) }
        let input = EndToEnd.testData("mobilegdb/canyonlands_3b1fef0d.geodatabase").path
        let converted = try EndToEnd.cli(["convert", input, "--format", "filegdb,shapefile,csv,geojson,geopackage,json,featurecollection",
                                          "--output", output.path, "--verify"])
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(converted.stdout.contains("geopackage: ok") && converted.stdout.contains("json: ok")
                && converted.stdout.contains("featurecollection: ok") && !converted.stdout.contains("DIFFERS"))

        // Change one road's name in the CSV.
        let csv = output.appendingPathComponent("csv/CNP_Roads.csv")
        let text = try String(contentsOf: csv, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let columns = lines[0].components(separatedBy: ",")
        let header = try #require(columns.firstIndex { $0.uppercased().contains("NAME") })
        var changed = lines
        var cells = changed[1].components(separatedBy: ",")
        guard cells.count == columns.count else { return }  // a quoted comma in the row: leave the check to the unit tests
        cells[header] = "TAMPERED"
        changed[1] = cells.joined(separator: ",")
        try changed.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)

        let verified = try EndToEnd.cli(["verify", input, output.path, "--report", output.appendingPathComponent("v.json").path])
        #expect(verified.status != 0)
        #expect(verified.stdout.contains("csv: DIFFERS") && verified.stdout.contains("TAMPERED"), "\(verified.stdout)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("v.json"))) as? [String: Any]
        #expect((report?["formats"] as? [Any])?.count == 7)
    }
}
