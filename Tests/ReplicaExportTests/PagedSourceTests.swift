import Foundation
import Testing
@testable import ReplicaExport

/// FeatureSet pages of one layer (`<stem>-<n>.json`) read as one replica, and `mergePages` in a batch.
@Suite struct PagedSourceTests {
    /// A query page: OBJECTIDs `ids`, one string field, points at x = id.
    static func page(_ ids: [Int], geometryType: String = "esriGeometryPoint", wkid: Int = 4326,
                     fields: [(String, String)] = [("OBJECTID", "esriFieldTypeOID"), ("NAME", "esriFieldTypeString")],
                     exceeded: Bool = false) -> Data {
        let fieldList = fields.map { #"{"name": "\#($0.0)", "type": "\#($0.1)"}"# }.joined(separator: ", ")
        let features = ids.map { id -> String in
            let attributes = fields.map { field -> String in
                switch field.1 {
                case "esriFieldTypeOID", "esriFieldTypeInteger": return #""\#(field.0)": \#(id)"#
                case "esriFieldTypeDouble": return #""\#(field.0)": \#(id).5"#
                default: return #""\#(field.0)": "n\#(id)""#
                }
            }.joined(separator: ", ")
            let geometry = geometryType == "esriGeometryPoint" ? #"{"x": \#(id), "y": 1}"#
                : #"{"paths": [[[\#(id), 0], [\#(id), 1]]]}"#
            return #"{"attributes": {\#(attributes)}, "geometry": \#(geometry)}"#
        }.joined(separator: ",\n")
        return Data(#"""
        {"objectIdFieldName": "OBJECTID", "geometryType": "\#(geometryType)", "spatialReference": {"wkid": \#(wkid)},
         "fields": [\#(fieldList)], \#(exceeded ? #""exceededTransferLimit": true, "# : "")"features": [\#(features)]}
        """#.utf8)
    }

    /// Writes `pages` (name -> content) into a new folder.
    static func folder(_ pages: [String: Data]) throws -> URL {
        let root = try TestPaths.makeTemporaryDirectory("pages")
        for (name, data) in pages {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        return root
    }

    static func read(_ source: any ReplicaSource, batchSize: Int = 3) throws -> [Feature] {
        var all: [Feature] = []
        try source.features(inLayer: 0, batchSize: batchSize) { all += $0 }
        return all
    }

    @Test func pageNames() {
        #expect(PagedReplicaSource.pageName("parcels-0.json")! == ("parcels", 0))
        #expect(PagedReplicaSource.pageName("parcels-12.JSON")! == ("parcels", 12))
        #expect(PagedReplicaSource.pageName("my-layer-3")! == ("my-layer", 3))
        #expect(PagedReplicaSource.pageName("parcels.json") == nil)
        #expect(PagedReplicaSource.pageName("-3.json") == nil)
        #expect(PagedReplicaSource.pageName("parcels-x.json") == nil)
        #expect(PagedReplicaSource.pageName("parcels-1.layers.json") == nil)
    }

    /// Pages agree as declared; one whose values need a wider field (issue 23) widens it for the
    /// whole layer, so that every page's values fit the columns made from the first.
    @Test func pagesAreReadWithTheWidestFieldsAnyPageNeeds() throws {
        let fields = [("OBJECTID", "esriFieldTypeOID"), ("COUNT", "esriFieldTypeInteger")]
        let root = try Self.folder(["counts-0.json": Self.page([1, 2], fields: fields),
                                    "counts-1.json": Self.page([3_000_000_000], fields: fields)])
        defer { TestPaths.remove(root) }
        let source = try PagedReplicaSource(pages: [root.appendingPathComponent("counts-0.json"),
                                                    root.appendingPathComponent("counts-1.json")])
        #expect(source.replica.layers[0].fields[1].type == .bigInteger)
        #expect(try Self.read(source).map { $0.attributes[1] } == [.int64(1), .int64(2), .int64(3_000_000_000)])
        let widened = source.diagnostics.filter { $0.code == .fieldWidened }
        #expect(widened.count == 1 && widened.first?.count == 1 && widened.first?.location.objectID == 3_000_000_000, "\(widened)")
    }

    @Test func pagesAreReadInNumericOrderAsOneLayer() throws {
        // -10 after -9: a lexical order would put it after -1.
        var pages: [String: Data] = [:]
        for n in 0...10 { pages["roads-\(n).json"] = Self.page([n * 2 + 1, n * 2 + 2], exceeded: n < 10) }
        let root = try Self.folder(pages)
        defer { try? FileManager.default.removeItem(at: root) }
        let urls = pages.keys.sorted().map { root.appendingPathComponent($0) }  // lexical: 0, 1, 10, 2, ...
        let source = try PagedReplicaSource(pages: urls)
        #expect(source.pages.map(\.number) == Array(0...10))
        #expect(source.replica.name == "roads")
        #expect(source.replica.layers.count == 1)
        #expect(source.replica.layers[0].name == "roads")
        #expect(source.featureCount(inLayer: 0) == 22)
        let ids = try Self.read(source).map { $0.attributes[0].integerValue }
        #expect(ids == (1...22).map { Int64($0) })
        // Every page but the last says exceededTransferLimit: that is paging, not a warning.
        #expect(!source.diagnostics.contains { $0.code == .inputIncomplete })
        // Two cursors at once keep their own places.
        let a = try source.featureCursor(inLayer: 0, batchSize: 5)
        let b = try source.featureCursor(inLayer: 0, batchSize: 5)
        _ = try a.next()
        #expect(try b.next()?.first?.attributes[0].integerValue == 1)
    }

    @Test func aGapAndACutLastPageAreWarnings() throws {
        let root = try Self.folder(["t-0.json": Self.page([1, 2], exceeded: true), "t-1.json": Self.page([3], exceeded: true),
                                    "t-4.json": Self.page([9], exceeded: true), "t-5.json": Self.page([10], exceeded: true)])
        defer { try? FileManager.default.removeItem(at: root) }
        let source = try PagedReplicaSource(pages: ["t-5.json", "t-4.json", "t-1.json", "t-0.json"].map { root.appendingPathComponent($0) })
        let incomplete = source.diagnostics.filter { $0.code == .inputIncomplete }
        #expect(incomplete.count == 2)
        let gap = try #require(incomplete.first { $0.message.contains("missing") })
        #expect(gap.message.contains("2 pages missing between page 0 and page 5 (2, 3)"), "\(gap.message)")
        #expect(gap.count == 2)
        #expect(incomplete.contains { $0.message.contains("exceededTransferLimit") && $0.location.input?.hasSuffix("t-5.json") == true })
        #expect(try Self.read(source).count == 5)
    }

    @Test func aPageThatContradictsTheOthersIsNamed() throws {
        let cases: [(Data, String)] = [
            (Self.page([5], geometryType: "esriGeometryPolyline"), "geometry type is esriGeometryPolyline, not esriGeometryPoint"),
            (Self.page([5], wkid: 3857), "spatial reference is wkid 3857, not wkid 4326"),
            (Self.page([5], fields: [("OBJECTID", "esriFieldTypeOID"), ("NAME", "esriFieldTypeInteger")]),
             "field 'NAME' is esriFieldTypeInteger, not esriFieldTypeString"),
            (Self.page([5], fields: [("OBJECTID", "esriFieldTypeOID")]), "it has no field 'NAME'"),
            (Self.page([5], fields: [("OBJECTID", "esriFieldTypeOID"), ("NAME", "esriFieldTypeString"), ("EXTRA", "esriFieldTypeString")]),
             "it has a field 'EXTRA' the other has not"),
        ]
        for (odd, expected) in cases {
            let root = try Self.folder(["p-0.json": Self.page([1]), "p-1.json": Self.page([2]), "p-2.json": odd])
            defer { try? FileManager.default.removeItem(at: root) }
            let error = try #require(throws: ReplicaExportError.self) {
                try PagedReplicaSource(pages: (0...2).map { root.appendingPathComponent("p-\($0).json") })
            }
            #expect(error.code == .schemaMismatch)
            #expect(error.location.input == root.appendingPathComponent("p-2.json").path)
            #expect(error.message.contains("page 2 contradicts page 0 (p-0.json)"), "\(error.message)")
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func fieldsInAnotherOrderArePutInTheFirstPagesOrder() throws {
        let root = try Self.folder([
            "o-0.json": Self.page([1], fields: [("OBJECTID", "esriFieldTypeOID"), ("NAME", "esriFieldTypeString"), ("RANK", "esriFieldTypeDouble")]),
            "o-1.json": Self.page([2], fields: [("rank", "esriFieldTypeDouble"), ("OBJECTID", "esriFieldTypeOID"), ("NAME", "esriFieldTypeString")]),
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let source = try PagedReplicaSource(pages: [0, 1].map { root.appendingPathComponent("o-\($0).json") })
        let features = try Self.read(source)
        #expect(features.map { $0.attributes[0].integerValue } == [1, 2])
        #expect(features.map { $0.attributes[1] } == [.string("n1"), .string("n2")])
        #expect(features.map { $0.attributes[2] } == [.float64(1.5), .float64(2.5)])
    }

    @Test func namesThatAreNotPagesOfOneLayerAreRefused() throws {
        let root = try Self.folder(["a-0.json": Self.page([1]), "b-1.json": Self.page([2]), "a.json": Self.page([3])])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: ReplicaExportError.self) { try PagedReplicaSource(pages: ["a-0.json", "b-1.json"].map { root.appendingPathComponent($0) }) }
        #expect(throws: ReplicaExportError.self) { try PagedReplicaSource(pages: ["a-0.json", "a.json"].map { root.appendingPathComponent($0) }) }
        #expect(throws: ReplicaExportError.self) { try PagedReplicaSource(pages: []) }
        // A createReplica result is not a page.
        let replica = try TestPaths.privateCopy(of: "esrijson/seed_example3_marine.replica.json")
        let renamed = replica.deletingLastPathComponent().appendingPathComponent("a-1.json")
        try FileManager.default.moveItem(at: replica, to: renamed)
        try FileManager.default.copyItem(at: root.appendingPathComponent("a-0.json"), to: renamed.deletingLastPathComponent().appendingPathComponent("a-0.json"))
        let error = try #require(throws: ReplicaExportError.self) {
            try PagedReplicaSource(pages: [renamed, renamed.deletingLastPathComponent().appendingPathComponent("a-0.json")])
        }
        #expect(error.message.contains("not a FeatureSet page"))
    }

    // MARK: in a batch

    /// A tree with a group of pages (-0 .. -10 but -7, a schema beside), another page group, a lone
    /// page, and a replica.
    static func tree() throws -> URL {
        var files: [String: Data] = [:]
        for n in 0...10 where n != 7 { files["survey/roads-\(n).json"] = Self.page([n * 2 + 1, n * 2 + 2], exceeded: n < 10) }
        files["survey/roads.layers.json"] = Data(#"""
        {"id": 0, "name": "Roads", "type": "Feature Layer", "geometryType": "esriGeometryPoint", "objectIdField": "OBJECTID",
         "fields": [{"name": "OBJECTID", "type": "esriFieldTypeOID"}, {"name": "NAME", "type": "esriFieldTypeString", "length": 20}],
         "extent": {"spatialReference": {"wkid": 4326}}}
        """#.utf8)
        // The same page twice: OBJECTIDs repeat across pages.
        files["twice/wells-0.json"] = Self.page([1, 2, 3])
        files["twice/wells-1.json"] = Self.page([1, 2, 3])
        files["lone/only-3.json"] = Self.page([4])
        let root = try Self.folder(files)
        try FileManager.default.copyItem(at: TestPaths.testData("esrijson/seed_example3_marine.replica.json"),
                                         to: root.appendingPathComponent("replicas/marine-1.json").creatingParent())
        return root
    }

    @Test func pagesOfOneLayerAreOneInputAndOneOutput() throws {
        let root = try Self.tree()
        let output = try TestPaths.makeTemporaryDirectory("pages-out")
        defer { TestPaths.remove(root, output) }
        var options = BatchOptions(inputDirectory: root, outputDirectory: output, formats: ["filegdb", "geojson"], jobs: 2)
        options.mergePages = true
        let report = try BatchConverter(options: options).run()
        #expect(report.inputs.map(\.path) == ["lone/only-3.json", "replicas/marine-1.json", "survey/roads", "twice/wells"])
        #expect(report.totals.failed == 0)
        #expect(report.settings.mergePages == true)
        let roads = try #require(report.inputs.first { $0.path == "survey/roads" })
        #expect(roads.pages == (0...10).filter { $0 != 7 }.map { "survey/roads-\($0).json" })
        #expect(roads.schema == "survey/roads.layers.json")
        #expect(roads.output == "survey/roads")
        #expect(roads.featuresRead == 20)
        #expect(roads.features == ["filegdb": 20, "geojson": 20])
        #expect(report.skipped.contains { $0.path == "survey/roads.layers.json" && $0.reason == .schema })
        let geojson = TestPaths.listing(output.appendingPathComponent("survey/roads/geojson"))
        #expect(geojson == ["Roads.geojson"], "named after the layer resource")
        // Repeated OBJECTIDs across pages: kept, given new ids where the format needs unique ones, reported.
        let wells = try #require(report.inputs.first { $0.path == "twice/wells" })
        #expect(wells.status == .converted)
        #expect(wells.features == ["filegdb": 6, "geojson": 6])
        #expect(wells.warnings >= 1)
        let manifest = try #require(BatchManifest.read(in: output.appendingPathComponent("twice/wells")))
        #expect(manifest.pages == ["twice/wells-0.json", "twice/wells-1.json"])
        #expect(manifest.input == "twice/wells")

        // Without mergePages, every page is an input of its own (as before).
        let separate = try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: output.appendingPathComponent("separate"),
                                                                formats: ["geojson"], jobs: 2)).plan()
        #expect(separate.inputs.count == 10 + 2 + 1 + 1)
        #expect(separate.inputs.allSatisfy { $0.pages == nil })
    }

    @Test func theGapIsAWarningAndAContradictionFailsTheGroupOnly() throws {
        let root = try Self.tree()
        let output = try TestPaths.makeTemporaryDirectory("pages-out")
        defer { TestPaths.remove(root, output) }
        try Self.page([99], geometryType: "esriGeometryPolyline").write(to: root.appendingPathComponent("twice/wells-2.json"))
        var options = BatchOptions(inputDirectory: root, outputDirectory: output, formats: ["geojson"], jobs: 1)
        options.mergePages = true
        let report = try BatchConverter(options: options).run()
        let wells = try #require(report.inputs.first { $0.path == "twice/wells" })
        #expect(wells.status == .failed)
        #expect(wells.error?.code == .schemaMismatch)
        #expect(wells.error?.location.input == "twice/wells-2.json", "the page, relative to the input directory")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("twice/wells").path))
        #expect(report.inputs.filter { $0.status == .converted }.count == 3)

        // The gap (page 7) is in the export's diagnostics.
        let source = try ReplicaSources.openPages((0...10).filter { $0 != 7 }.map { root.appendingPathComponent("survey/roads-\($0).json") },
                                                  schemaURL: root.appendingPathComponent("survey/roads.layers.json"))
        #expect(source.diagnostics.contains { $0.code == .inputIncomplete && $0.message.contains("1 page missing between page 0 and page 10 (7)") })
    }

    @Test func resumeAndShardsTreatTheGroupAsOneUnit() throws {
        let root = try Self.tree()
        let output = try TestPaths.makeTemporaryDirectory("pages-out")
        defer { TestPaths.remove(root, output) }
        var options = BatchOptions(inputDirectory: root, outputDirectory: output, formats: ["geojson"], jobs: 2, resume: true)
        options.mergePages = true
        _ = try BatchConverter(options: options).run()
        let second = try BatchConverter(options: options).run()
        #expect(second.inputs.allSatisfy { $0.status == .skippedResume })
        // One page changed: the group is converted again, nothing else.
        try Self.page([1, 2, 3, 4]).write(to: root.appendingPathComponent("twice/wells-1.json"))
        let third = try BatchConverter(options: options).run()
        #expect(third.inputs.filter { $0.status == .converted }.map(\.path) == ["twice/wells"])
        #expect(third.inputs.first { $0.path == "twice/wells" }?.featuresRead == 7)
        // A page added: again.
        try Self.page([8]).write(to: root.appendingPathComponent("twice/wells-2.json"))
        let fourth = try BatchConverter(options: options).run()
        #expect(fourth.inputs.filter { $0.status == .converted }.map(\.path) == ["twice/wells"])

        // Shards: each group falls in the shard of its own path, whole.
        var covered: [String] = []
        for k in 1...3 {
            options.shard = try BatchShard(index: k, count: 3)
            let plan = try BatchConverter(options: options).plan()
            for input in plan.inputs { #expect(BatchShard.shard(of: input.path, count: 3) == k) }
            covered += plan.inputs.map(\.path)
        }
        #expect(covered.sorted() == ["lone/only-3.json", "replicas/marine-1.json", "survey/roads", "twice/wells"])
    }
}

extension URL {
    /// Creates the parent folder; returns self.
    func creatingParent() throws -> URL {
        try FileManager.default.createDirectory(at: deletingLastPathComponent(), withIntermediateDirectories: true)
        return self
    }
}
