import Foundation
import Testing
@testable import ReplicaExport

/// Pull cursors against the push API on every sample input, the counts readers know without
/// reading, and what a cursor does at its end and after an error.
@Suite struct CursorTests {
    /// Every Esri JSON sample but the schemas kept beside payloads, and every mobile geodatabase.
    static let inputs: [String] = {
        func list(_ folder: String, _ keep: (String) -> Bool) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: TestPaths.testData(folder).path)) ?? []
            return names.filter(keep).sorted().map { "\(folder)/\($0)" }
        }
        return list("esrijson") { $0.hasSuffix(".json") && !$0.hasSuffix(".layers.json") }
            + list("mobilegdb") { $0.hasSuffix(".geodatabase") }
    }()

    /// Samples that are not payloads: a layer resource and two bare geometries.
    static let notPayloads: Set<String> = [
        "esrijson/pyesridump_us-esri-test-metadata.json",
        "esrijson/gntools_esridoc_curveRings_hasM.geometry.json",
        "esrijson/gntools_esridoc_curvePaths_bezier_ellipticarc.geometry.json",
    ]

    /// `==`, except that a missing M or Z (NaN) equals itself: the model's synthesized `==` follows
    /// IEEE, so two reads of one point without an M never compare equal. The reflection prints each
    /// Double in its shortest exact form, so nothing else is loosened.
    static func same(_ a: some Collection<Feature>, _ b: some Collection<Feature>) -> Bool {
        a.elementsEqual(b) || (a.count == b.count && String(reflecting: Array(a)) == String(reflecting: Array(b)))
    }

    /// Steps a cursor and checks each batch, as it comes, against the features the push API gave,
    /// so that a test holds one copy of a layer however many cursors it runs (the memory test in
    /// another suite measures the whole process).
    final class Follower {
        let cursor: any FeatureCursor
        let expected: [Feature]
        let batchSize: Int
        let name: String
        private(set) var offset = 0
        private(set) var done = false

        init(_ cursor: any FeatureCursor, expected: [Feature], batchSize: Int, name: String) {
            self.cursor = cursor
            self.expected = expected
            self.batchSize = batchSize
            self.name = name
        }

        func step() throws {
            guard let batch = try cursor.next() else {
                done = true
                #expect(offset == expected.count, "\(name): ended after \(offset) of \(expected.count)")
                // It stays at its end.
                #expect(try cursor.next() == nil)
                #expect(try cursor.next() == nil)
                return
            }
            #expect(!batch.isEmpty && batch.count <= batchSize, "\(name)")
            let end = offset + batch.count
            #expect(batch.count == batchSize || end == expected.count, "\(name): only the last batch may be short")
            guard end <= expected.count else {
                // A cursor that runs past the end (or starts over) would never stop.
                Issue.record("\(name): more than the \(expected.count) features the push API gave")
                done = true
                return
            }
            #expect(CursorTests.same(batch, expected[offset..<end]), "\(name): features \(offset)..<\(end)")
            offset = end
        }

        func stepToEnd() throws {
            while !done { try step() }
        }
    }

    @Test func everySampleIsListed() {
        #expect(Self.inputs.filter { $0.hasPrefix("esrijson/") }.count >= 20)
        #expect(Self.inputs.filter { $0.hasPrefix("mobilegdb/") }.count == MGDB.files.count)
    }

    @Test(arguments: inputs)
    func cursorsYieldWhatThePushAPIYields(input: String) throws {
        let url = TestPaths.testData(input)
        let source: any ReplicaSource
        do {
            source = try ReplicaSources.open(url)
        } catch let error as ReplicaExportError where Self.notPayloads.contains(input) {
            #expect(error.code == .notAReplica)
            return
        }
        #expect(!Self.notPayloads.contains(input), "\(input) opened as a payload")
        #expect(!source.replica.layers.isEmpty)
        for (i, layer) in source.replica.layers.enumerated() {
            let name = "\(input) \(layer.name)"
            // The push API runs on a cursor too: bound it by the count, so that a cursor that never
            // ends fails here instead of hanging.
            let count = source.featureCount(inLayer: i)
            var pushed: [Feature] = []
            try source.features(inLayer: i, batchSize: 100) { batch in
                pushed += batch
                if let count, pushed.count > count { throw ReplicaExportError(.invalidState, "\(name): more than \(count) features") }
            }

            try Follower(try source.featureCursor(inLayer: i, batchSize: 7), expected: pushed, batchSize: 7,
                         name: name).stepToEnd()
            if let count {
                #expect(count == pushed.count, "\(name)")
            }

            // Two cursors on one layer, stepped in turn, the second one batch behind: each keeps
            // its own position.
            let a = Follower(try source.featureCursor(inLayer: i, batchSize: 7), expected: pushed, batchSize: 7, name: name + " a")
            let b = Follower(try source.featureCursor(inLayer: i, batchSize: 7), expected: pushed, batchSize: 7, name: name + " b")
            try a.step()
            while !a.done || !b.done {
                if !b.done { try b.step() }
                if !a.done { try a.step() }
            }

            var attachments = 0
            try source.attachments(inLayer: i) { _ in attachments += 1 }
            if let count = source.attachmentCount(inLayer: i) {
                #expect(count == attachments, "\(name)")
            }
        }
    }

    @Test func jsonCountsAreKnownAtOpen() throws {
        let source = try EsriJSONReplicaSource(url: TestPaths.testData("esrijson/seed_example4_canada.replica.json"))
        #expect(source.featureCount(inLayer: 0) == 8)
        #expect(source.attachmentCount(inLayer: 0) == 16)
        #expect(source.featureCount(inLayer: 1) == nil)
        #expect(source.attachmentCount(inLayer: 1) == nil)
    }

    @Test func geodatabaseCountsCurrentRowsAndAttachmentTables() throws {
        let source = try MobileGeodatabaseSource(url: MGDB.url("arcrestgo_m5pc4wu4_10.4.1.geodatabase"))
        #expect(source.plans.allSatisfy { $0.isArchive })
        #expect(source.featureCount(inLayer: 0) == (try MGDB.all(source, layer: 0)).count)
        #expect(source.attachmentCount(inLayer: 0) == 0)  // no __ATTACH table
        #expect(source.attachmentCount(inLayer: 1) == 0)  // an empty one
        #expect(source.featureCount(inLayer: 2) == nil)
        #expect(source.attachmentCount(inLayer: 2) == nil)
    }

    /// A payload whose second feature has a value its field cannot hold, and an attribute outside
    /// the schema in the first.
    static func badPayload() throws -> (directory: URL, payload: URL) {
        let directory = try TestPaths.makeTemporaryDirectory("cursor-json")
        try Data(#"""
        {"layers": [{"id": 0, "name": "t", "type": "Table", "objectIdField": "oid", "fields": [
          {"name": "oid", "type": "esriFieldTypeOID"}, {"name": "n", "type": "esriFieldTypeSmallInteger"}]}]}
        """#.utf8).write(to: directory.appendingPathComponent("bad.layers.json"))
        let payload = directory.appendingPathComponent("bad.json")
        try Data(#"""
        {"layers": [{"id": 0, "features": [
          {"attributes": {"oid": 1, "n": 1, "extra": true}},
          {"attributes": {"oid": 2, "n": 2}, "geometry": "not a geometry"},
          {"attributes": {"oid": 3, "n": 3}}]}]}
        """#.utf8).write(to: payload)
        return (directory, payload)
    }

    @Test func aJSONCursorThatThrowsNamesTheFeatureAndThenStays() throws {
        let (directory, payload) = try Self.badPayload()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try EsriJSONReplicaSource(url: payload)
        let cursor = try source.featureCursor(inLayer: 0, batchSize: 1)
        #expect(try cursor.next()?.first?.attributes == [.int64(1), .int16(1)])
        let error = try #require(throws: ReplicaExportError.self) { try cursor.next() }
        #expect(error.code == .syntax)
        #expect(error.location.input == payload.path && error.location.layer == "t")
        #expect(error.location.featureIndex == 1 && error.location.objectID == 2)
        #expect(try cursor.next() == nil)
        #expect(try cursor.next() == nil)
        // A cursor that failed did not reach the end: nothing was concluded about the layer.
        #expect(!source.diagnostics.contains { $0.message.contains("not a field") })
    }

    @Test func jsonEndOfLayerDiagnosticsAreRecordedWhenACursorReachesTheEnd() throws {
        let directory = try TestPaths.makeTemporaryDirectory("cursor-json-end")
        defer { try? FileManager.default.removeItem(at: directory) }
        let payload = directory.appendingPathComponent("p.json")
        try Data(#"""
        {"layers": [{"id": 0, "features": [
          {"attributes": {"oid": 1, "extra": true}, "geometry": {"x": 1, "y": 2}},
          {"attributes": {"oid": 2}}]}]}
        """#.utf8).write(to: payload)
        try Data(#"""
        {"layers": [], "tables": [{"id": 0, "name": "t", "type": "Table", "objectIdField": "oid",
          "fields": [{"name": "oid", "type": "esriFieldTypeOID"}]}]}
        """#.utf8).write(to: directory.appendingPathComponent("p.layers.json"))
        let source = try EsriJSONReplicaSource(url: payload)
        func skipped() -> [String] { source.diagnostics.filter { $0.code == .inputSkipped }.map(\.message) }

        let cursor = try source.featureCursor(inLayer: 0, batchSize: 1)
        #expect(try cursor.next()?.count == 1)
        #expect(skipped().isEmpty)  // the layer has not been read to its end yet
        #expect(try cursor.next()?.count == 1)
        #expect(try cursor.next() == nil)
        #expect(skipped() == [
            "attribute 'extra' is not a field of the layer's schema; its values were ignored",
            "1 features of this table carry a geometry; it was ignored",
        ])
        #expect(source.diagnostics.allSatisfy { $0.location.layer == "t" && $0.location.input == payload.path })
        // The unknown attribute is reported once per layer, however often it is read.
        let again = try source.featureCursor(inLayer: 0, batchSize: 5)
        while try again.next() != nil {}
        #expect(skipped().filter { $0.contains("'extra'") }.count == 1)
    }

    /// A point shape blob that passes Esri's CHECK constraint (0x64 first, at least 18 bytes) but
    /// announces a 100-byte payload and has none.
    static let shortPayloadBlob = "x'" + "64110F00" + "01000000" + "04" + "01" + "A4010000" + "00000000" + "'"

    @Test func aGeodatabaseCursorThatThrowsNamesTheRowAndTheObjectID() throws {
        let directory = try TestPaths.makeTemporaryDirectory("cursor-mgdb")
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = try MGDB.copy("LA_Trails.geodatabase", to: directory)
        // Esri's triggers call functions of its extension: drop them in the copy before editing.
        let triggers = try MGDB.sqlite3(copy, "SELECT name FROM sqlite_master WHERE type='trigger'")
            .split(separator: "\n").map { "DROP TRIGGER \"\($0)\";" }.joined()
        if !triggers.isEmpty { try MGDB.sqlite3(copy, triggers) }
        let source = try MobileGeodatabaseSource(url: copy)
        let layer = source.replica.layers[0]
        let oidColumn = try #require(layer.objectIdField)
        let all = try MGDB.all(source, layer: 0)
        let oidIndex = try #require(layer.fieldIndex(named: oidColumn))
        let broken = try #require(all[10].attributes[oidIndex].integerValue)
        try MGDB.sqlite3(copy, "UPDATE \(SQLName.quote(source.plans[0].table)) SET \(SQLName.quote(source.plans[0].shapeColumn!)) = \(Self.shortPayloadBlob) WHERE \(SQLName.quote(oidColumn)) = \(broken)")

        let reopened = try MobileGeodatabaseSource(url: copy)
        let cursor = try reopened.featureCursor(inLayer: 0, batchSize: 4)
        #expect(Self.same(try #require(try cursor.next()), all[0..<4]))
        #expect(Self.same(try #require(try cursor.next()), all[4..<8]))
        let error = try #require(throws: ReplicaExportError.self) { try cursor.next() }
        #expect(error.code.fault == .input, "\(error)")
        #expect(error.location.input == copy.path && error.location.layer == layer.name)
        #expect(error.location.featureIndex == 10 && error.location.objectID == broken)
        #expect(try cursor.next() == nil)
    }
}
