import Foundation
import Synchronization
import Testing
@testable import ReplicaExport

/// A directory tree as field crews and archives hold them: good JSON replicas, FeatureSets with and
/// without schemas, pages of one layer, mobile geodatabases (one without an extension), broken
/// payloads, and unrelated files, links and a FIFO.
enum BatchTree {
    /// The inputs that convert.
    static let good = [
        "devices/LA_Trails.geodatabase", "devices/field-crew-7", "devices/nested/deep/militaryoverlay.geodatabase",
        "featuresets/LineHasM.json", "featuresets/PointHasZM.json", "links/marine-again.json",
        "pages/esri-test-0.json", "pages/esri-test-1.json", "replicas/carson.replica.json", "replicas/marine.json",
    ]
    /// The inputs that fail, with the code of their error.
    static let broken: [String: ReplicaExportError.Code] = [
        "broken/corrupt.geodatabase": .corrupt, "broken/delta.geodatabase": .notAReplica, "broken/truncated.json": .truncated,
    ]
    /// Every other file, with the reason it is skipped.
    static let skipped: [String: BatchSkippedFile.Reason] = [
        "README.md": .notAPayload, "docs/map.png": .notAPayload, "empty.json": .empty,
        "featuresets/PointHasZM.layers.json": .schema, "replicas/carson.replica.layers.json": .schema,
        "pages/esri-test-metadata.json": .schema, "other/package.json": .notAPayload, "other/points.geojson": .notAPayload,
        "other/fifo": .notARegularFile, "links/outside": .symbolicLink, "links/to-dir": .symbolicLink,
    ]

    /// Builds the tree in a new temporary directory.
    static func make() throws -> URL {
        let root = try TestPaths.makeTemporaryDirectory("batch-tree")
        try Fixtures.copy("esrijson/pyesridump_us-ca-carson-0.replica.json", to: root, as: "replicas/carson.replica.json")
        try Fixtures.copy("esrijson/pyesridump_us-ca-carson-0.replica.layers.json", to: root, as: "replicas/carson.replica.layers.json")
        try Fixtures.copy("esrijson/seed_example3_marine.replica.json", to: root, as: "replicas/marine.json")
        try Fixtures.copy("esrijson/arcgis-rest-js_LineHasM.json", to: root, as: "featuresets/LineHasM.json")
        try Fixtures.copy("esrijson/arcgis-rest-js_PointHasZM.json", to: root, as: "featuresets/PointHasZM.json")
        try Fixtures.copy("esrijson/arcgis-rest-js_PointHasZM.replica.layers.json", to: root, as: "featuresets/PointHasZM.layers.json")
        try Fixtures.copy("esrijson/pyesridump_us-esri-test-0.json", to: root, as: "pages/esri-test-0.json")
        try Fixtures.copy("esrijson/pyesridump_us-esri-test-0.json", to: root, as: "pages/esri-test-1.json")
        try Fixtures.copy("esrijson/pyesridump_us-esri-test-metadata.json", to: root, as: "pages/esri-test-metadata.json")
        try Fixtures.copy("mobilegdb/LA_Trails.geodatabase", to: root, as: "devices/LA_Trails.geodatabase")
        try Fixtures.copy("mobilegdb/arcrestgo_m5pc4wu4_10.4.1.geodatabase", to: root, as: "devices/field-crew-7")
        try Fixtures.copy("mobilegdb/militaryoverlay.geodatabase", to: root, as: "devices/nested/deep/militaryoverlay.geodatabase")

        // Broken payloads.
        let canada = try Data(contentsOf: TestPaths.testData("esrijson/seed_example4_canada.replica.json"))
        try Fixtures.write(canada.prefix(canada.count / 2), to: root, as: "broken/truncated.json")
        try Fixtures.copy("mobilegdb/LA_Trails.geodatabase", to: root, as: "broken/corrupt.geodatabase")
        try Fixtures.corrupt(root.appendingPathComponent("broken/corrupt.geodatabase"), with: 0xA5)
        try Fixtures.copy("mobilegdb/LA_Trails.geodatabase", to: root, as: "broken/delta.geodatabase")
        try Fixtures.makeSyncDelta(root.appendingPathComponent("broken/delta.geodatabase"))

        // Everything else.
        try Fixtures.write(Data("# Field crew exports\n".utf8), to: root, as: "README.md")
        try Fixtures.write(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 7, count: 64)), to: root, as: "docs/map.png")
        try Fixtures.write(Data(), to: root, as: "empty.json")
        try Fixtures.write(Data(#"{"name": "tools", "version": "1.0.0", "dependencies": {}}"#.utf8), to: root, as: "other/package.json")
        try Fixtures.write(Data(#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": null}]}"#.utf8),
                           to: root, as: "other/points.geojson")
        try Processes.succeed("mkfifo", [root.appendingPathComponent("other/fifo").path])
        try FileManager.default.createDirectory(at: root.appendingPathComponent("links"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("links/outside").path,
                                                   withDestinationPath: TestPaths.testData("esrijson/seed_example3_marine.replica.json").path)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("links/to-dir").path, withDestinationPath: "../replicas")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("links/marine-again.json").path,
                                                   withDestinationPath: "../replicas/marine.json")
        return root
    }
}

@Suite struct BatchConverterTests {
    static let formats = ["filegdb", "shapefile", "csv", "geojson", "geopackage"]

    @Test func findsPayloadsByContentAndSkipsEverythingElse() throws {
        let root = try BatchTree.make()
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: root.appendingPathComponent("out"),
                                                            formats: ["geojson"])).plan()
        #expect(plan.inputs.map(\.path) == (BatchTree.good + BatchTree.broken.keys).sorted())
        #expect(Dictionary(uniqueKeysWithValues: plan.skipped.map { ($0.path, $0.reason) }) == BatchTree.skipped)
        let byPath = Dictionary(uniqueKeysWithValues: plan.inputs.map { ($0.path, $0) })
        #expect(byPath["replicas/carson.replica.json"]?.schema == "replicas/carson.replica.layers.json")
        #expect(byPath["featuresets/PointHasZM.json"]?.schema == "featuresets/PointHasZM.layers.json")
        #expect(byPath["featuresets/LineHasM.json"]?.schema == nil)
        #expect(byPath["devices/field-crew-7"]?.format == .mobileGeodatabase)
        #expect(byPath["replicas/carson.replica.json"]?.output == "replicas/carson.replica")
        #expect(byPath["devices/nested/deep/militaryoverlay.geodatabase"]?.output == "devices/nested/deep/militaryoverlay")
        #expect(plan.skipped.first { $0.path == "replicas/carson.replica.layers.json" }?.detail.contains("replicas/carson.replica.json") == true)
    }

    @Test func anOutputDirectoryInsideTheTreeIsNotSearched() throws {
        let root = try BatchTree.make()
        defer { try? FileManager.default.removeItem(at: root) }
        let options = BatchOptions(inputDirectory: root, outputDirectory: root.appendingPathComponent("out"), formats: ["geopackage"], jobs: 2)
        let first = try BatchConverter(options: options).run()
        #expect(first.totals.converted == BatchTree.good.count)
        // The GeoPackages written are SQLite files: found again, they would fail as payloads.
        let second = try BatchConverter(options: options).plan()
        #expect(second.inputs.count == BatchTree.good.count + BatchTree.broken.count)
        #expect(!second.skipped.contains { $0.path.hasPrefix("out") })
    }

    @Test func refusesAnOutputDirectoryThatHoldsTheInput() throws {
        let root = try TestPaths.makeTemporaryDirectory("batch-nest")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("in"), withIntermediateDirectories: true)
        for output in [root.appendingPathComponent("in"), root] {
            let options = BatchOptions(inputDirectory: root.appendingPathComponent("in"), outputDirectory: output, formats: ["csv"])
            #expect { try BatchConverter(options: options).plan() } throws: { ($0 as? ReplicaExportError)?.code == .invalidOption }
        }
        let missing = BatchOptions(inputDirectory: root.appendingPathComponent("nope"), outputDirectory: root.appendingPathComponent("out"),
                                   formats: ["csv"])
        #expect(throws: ReplicaExportError.self) { try BatchConverter(options: missing).plan() }
        let unknown = BatchOptions(inputDirectory: root.appendingPathComponent("in"), outputDirectory: root.appendingPathComponent("out"),
                                   formats: ["csv", "pdf"])
        #expect { try BatchConverter(options: unknown).plan() } throws: { ($0 as? ReplicaExportError)?.code == .unknownOutputFormat }
    }

    @Test func outputFoldersNeverCollide() {
        func input(_ path: String) -> BatchInput { BatchInput(path: path, format: .esriJSON, output: "", bytes: 0) }
        var inputs = ["x.geodatabase", "x.json", "a.json", "a/filegdb/b.json", "c/d.json", "y", "y.json.json", "y.json"].sorted().map(input)
        BatchDiscovery.assignOutputFolders(&inputs, formatNames: ["filegdb", "csv"])
        let folders = Dictionary(uniqueKeysWithValues: inputs.map { ($0.path, $0.output) })
        #expect(folders["x.json"] == "x.json")
        #expect(folders["x.geodatabase"] == "x.geodatabase")
        #expect(folders["a.json"] == "a.json", "a/filegdb/ would be inside a's FileGDB folder")
        #expect(folders["a/filegdb/b.json"] == "a/filegdb/b")
        #expect(folders["c/d.json"] == "c/d")
        #expect(Set(folders.values).count == inputs.count, "\(folders)")
    }

    @Test func everyGoodInputConvertsAndEveryBrokenOneIsReported() throws {
        let root = try BatchTree.make()
        let output = try TestPaths.makeTemporaryDirectory("batch-out")
        defer { TestPaths.remove(root, output) }
        let report = try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: output,
                                                              formats: Self.formats, jobs: 3)).run()
        #expect(!report.cancelled)
        #expect(report.totals.inputs == BatchTree.good.count + BatchTree.broken.count)
        #expect(report.totals.converted == BatchTree.good.count)
        #expect(report.totals.failed == BatchTree.broken.count)
        #expect(report.totals.skippedFiles == BatchTree.skipped.count)
        #expect(report.totals.schemas == 3)
        for input in report.inputs {
            if let code = BatchTree.broken[input.path] {
                #expect(input.status == .failed, "\(input.path)")
                #expect(input.error?.code == code, "\(input.path): \(String(describing: input.error))")
                #expect(input.error?.location.input == input.path, "relative to the tree: \(String(describing: input.error))")
                #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(input.output).path))
            } else {
                #expect(input.status == .converted, "\(input.path): \(String(describing: input.error))")
                #expect(input.layers ?? 0 > 0)
                #expect(Set(input.features.keys) == Set(Self.formats))
                #expect(input.features["geojson"] == input.featuresRead)
                #expect(input.outputBytes > 0)
                for format in Self.formats {
                    let folder = output.appendingPathComponent(input.output).appendingPathComponent(format)
                    #expect(!TestPaths.entries(folder).isEmpty, "\(folder.path)")
                    #expect(!TestPaths.entries(folder).contains { $0.hasPrefix(".") }, "a temporary left in \(folder.path)")
                }
            }
        }
        // FeatureSets without a schema infer their fields and say so; the one with a schema does not.
        let line = try #require(report.inputs.first { $0.path == "featuresets/LineHasM.json" })
        #expect(line.schema == nil && line.warnings > 0)
        #expect(report.inputs.first { $0.path == "featuresets/PointHasZM.json" }?.schema == "featuresets/PointHasZM.layers.json")
        // Nothing but outputs: the staging area is gone.
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(BatchConverter.stagingName).path))
        let decoded = try BatchReport.decode(report.json())
        #expect(decoded == report)
    }

    @Test func strictFailsTheInputsWithLossesOnly() throws {
        let root = try BatchTree.make()
        let output = try TestPaths.makeTemporaryDirectory("batch-strict")
        defer { TestPaths.remove(root, output) }
        let lenient = try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: output, formats: ["shapefile", "geojson"])).run()
        let lossy = Set(lenient.inputs.filter { !$0.losses.isEmpty }.map(\.path))
        #expect(!lossy.isEmpty)
        let strictOutput = output.appendingPathComponent("strict")
        let strict = try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: strictOutput,
                                                              formats: ["shapefile", "geojson"], strict: true)).run()
        for input in strict.inputs where BatchTree.broken[input.path] == nil {
            if lossy.contains(input.path) {
                #expect(input.status == .failed && input.error?.code == .dataLoss, "\(input.path)")
                #expect(!FileManager.default.fileExists(atPath: strictOutput.appendingPathComponent(input.output).path))
            } else {
                #expect(input.status == .converted, "\(input.path)")
            }
        }
    }

    /// The exporter shares nothing between exports but what GDAL and SQLite make thread-safe: two at
    /// once write what one after the other writes.
    @Test func twoExportsAtOnceWriteWhatOneAfterTheOtherWrites() throws {
        let inputs = ["mobilegdb/militaryoverlay.geodatabase", "esrijson/pyesridump_us-ca-carson-0.replica.json",
                      "mobilegdb/LA_Trails.geodatabase", "curves/curves.replica.json"]
        let base = try TestPaths.makeTemporaryDirectory("batch-concurrent")
        defer { try? FileManager.default.removeItem(at: base) }
        @Sendable func export(_ input: String, into directory: URL) throws {
            _ = try Exporter().export(ExportRequest(input: TestPaths.testData(input), formats: Self.formats,
                                                    outputDirectory: directory, syncDataOptions: 256))
        }
        for (index, input) in inputs.enumerated() {
            try export(input, into: base.appendingPathComponent("sequential/\(index)"))
        }
        for round in 0..<2 {
            let failures = Mutex<[String]>([])
            let group = DispatchGroup()
            for (index, input) in inputs.enumerated() {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    do {
                        try export(input, into: base.appendingPathComponent("concurrent\(round)/\(index)"))
                    } catch {
                        failures.withLock { $0.append("\(input): \(error)") }
                    }
                }
            }
            group.wait()
            #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
            for index in inputs.indices {
                let sequential = try OutputFingerprint.of(base.appendingPathComponent("sequential/\(index)"))
                let concurrent = try OutputFingerprint.of(base.appendingPathComponent("concurrent\(round)/\(index)"))
                #expect(!sequential.isEmpty)
                #expect(sequential == concurrent, "\(inputs[index]), round \(round)")
            }
        }
    }

    @Test func oneJobAndSeveralWriteTheSameTree() throws {
        let root = try BatchTree.make()
        let output = try TestPaths.makeTemporaryDirectory("batch-jobs")
        defer { TestPaths.remove(root, output) }
        let one = try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: output.appendingPathComponent("1"),
                                                           formats: Self.formats, jobs: 1)).run()
        let four = try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: output.appendingPathComponent("4"),
                                                            formats: Self.formats, jobs: 4)).run()
        #expect(try OutputFingerprint.of(output.appendingPathComponent("1")) == OutputFingerprint.of(output.appendingPathComponent("4")))
        #expect(one.inputs.map(\.status) == four.inputs.map(\.status))
        #expect(one.totals.features == four.totals.features)
    }

    @Test func aCancelledBatchStartsNothingAndLeavesNothing() throws {
        let root = try BatchTree.make()
        let output = try TestPaths.makeTemporaryDirectory("batch-cancel")
        defer { TestPaths.remove(root, output) }
        let cancellation = ExportCancellation()
        cancellation.cancel()
        let report = try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: output, formats: ["csv"],
                                                              cancellation: cancellation)).run()
        #expect(report.cancelled)
        #expect(report.inputs.allSatisfy { $0.status == .notStarted })
        #expect(report.totals.notStarted == report.totals.inputs)
        #expect(TestPaths.listing(output).isEmpty, "\(TestPaths.listing(output))")
    }
}
