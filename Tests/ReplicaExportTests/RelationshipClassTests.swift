import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// Relationship classes of a real geodatabase: created in FileGDB, listed for every format.
@Suite struct RelationshipClassTests {
    @Test func fileGDBKeepsThemAndEveryFormatListsThem() throws {
        let directory = try TestPaths.makeTemporaryDirectory("relationships")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = TestPaths.testData("mobilegdb/arcrestgo_m5pc4wu4_10.4.1.geodatabase")
        let report = try Exporter().export(ExportRequest(input: input, formats: ["filegdb", "csv", "geopackage"],
                                                         outputDirectory: directory))
        #expect(report.replica.relationshipClasses.count == 1)
        let gdb = try GDALReadDataset(url: directory.appendingPathComponent("filegdb/MyReplica.gdb"))
        let relationship = try #require(gdb.relationships().first { $0.name == "Attributes from homesites" })
        #expect(relationship.leftTable == "Homesites" && relationship.rightTable == "Homesites_inspections")
        #expect(relationship.leftKeys == ["GlobalID"] && relationship.rightKeys == ["GlobalGUID"])
        #expect(relationship.cardinality == "1:n" && relationship.relatedTableType == "feature")  // GDAL reads FileGDB classes back so
        #expect(!report.diagnostics.contains { $0.code == .relationshipsDropped && $0.location.format == "filegdb" })

        for format in ["filegdb", "csv", "geopackage"] {
            let data = try Data(contentsOf: directory.appendingPathComponent("\(format)/relationships.json"))
            let listed = try JSONDecoder().decode([RelationshipListingEntry].self, from: data)
            #expect(listed.count == 1, "\(format)")
            #expect(listed.first?.origin.key == "GlobalID" && listed.first?.destination.key == "GlobalGUID", "\(format)")
            #expect(listed.first?.cardinality == "esriRelCardinalityOneToMany")
        }
        for format in ["csv", "geopackage"] {
            let dropped = report.diagnostics.first { $0.code == .relationshipsDropped && $0.location.format == format }
            #expect(dropped?.severity == .warning && dropped?.count == 1, "\(format)")
        }
    }
}
