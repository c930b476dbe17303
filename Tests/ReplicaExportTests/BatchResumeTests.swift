import Foundation
import Testing
@testable import ReplicaExport

/// `resume`: a manifest per output folder records what was written from which input and schema
/// bytes with which settings; a complete folder is skipped, anything else converted again.
@Suite struct BatchResumeTests {
    static let formats = ["filegdb", "shapefile", "geojson"]

    func options(_ root: URL, _ output: URL, formats: [String] = Self.formats, resume: Bool = true) -> BatchOptions {
        BatchOptions(inputDirectory: root, outputDirectory: output, formats: formats, jobs: 2, resume: resume)
    }

    @Test func aSecondRunSkipsWhatIsCompleteAndReportsItInFull() throws {
        let root = try BatchTree.make()
        let output = try TestPaths.makeTemporaryDirectory("resume")
        defer { TestPaths.remove(root, output) }
        let first = try BatchConverter(options: options(root, output, resume: false)).run()
        let before = try OutputFingerprint.of(output)
        let second = try BatchConverter(options: options(root, output)).run()
        #expect(try OutputFingerprint.of(output) == before)
        #expect(second.totals.skippedResume == BatchTree.good.count)
        #expect(second.totals.failed == BatchTree.broken.count, "failed inputs have no manifest: tried again")
        for (a, b) in zip(first.inputs, second.inputs) where a.status == .converted {
            #expect(b.status == .skippedResume)
            #expect((a.layers, a.featuresRead, a.features, a.losses, a.warnings, a.outputBytes)
                    == (b.layers, b.featuresRead, b.features, b.losses, b.warnings, b.outputBytes), "\(a.path)")
        }
        // Every folder's manifest lists exactly the files in its format folders.
        for input in first.inputs where input.status == .converted {
            let folder = output.appendingPathComponent(input.output)
            let manifest = try #require(BatchManifest.read(in: folder))
            let listed = Set(manifest.files.map(\.path))
            let present = Set(Self.formats.flatMap { format in
                TestPaths.listing(folder.appendingPathComponent(format)).map { format + "/" + $0 }
            }.filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isDirectory)
                    && !isDirectory.boolValue
            })
            #expect(listed == present, "\(input.path)")
            #expect(manifest.inputSHA256 == (try SHA256.hash(fileAt: root.appendingPathComponent(input.path))))
            #expect(manifest.files.reduce(0) { $0 + $1.bytes } == input.outputBytes)
        }
    }

    @Test func whatChangedIsConvertedAgain() throws {
        let root = try BatchTree.make()
        let output = try TestPaths.makeTemporaryDirectory("resume-changes")
        defer { TestPaths.remove(root, output) }
        let first = try BatchConverter(options: options(root, output)).run()
        let folders = Dictionary(uniqueKeysWithValues: first.inputs.map { ($0.path, output.appendingPathComponent($0.output)) })

        // An input changed (same size: the hash tells), a schema changed, an output deleted, a manifest damaged.
        let marine = root.appendingPathComponent("replicas/marine.json")
        var bytes = try Data(contentsOf: marine)
        let space = try #require(bytes.firstIndex(of: UInt8(ascii: " ")))
        bytes[space] = UInt8(ascii: "\n")
        try bytes.write(to: marine)
        let schema = root.appendingPathComponent("replicas/carson.replica.layers.json")
        try (try Data(contentsOf: schema) + Data("\n".utf8)).write(to: schema)
        let lineFolder = try #require(folders["featuresets/LineHasM.json"])
        try FileManager.default.removeItem(at: lineFolder.appendingPathComponent("geojson/LineHasM.geojson"))
        let trailsFolder = try #require(folders["devices/LA_Trails.geodatabase"])
        try Data("{".utf8).write(to: trailsFolder.appendingPathComponent(BatchConverter.manifestName))

        let second = try BatchConverter(options: options(root, output)).run()
        let changed: Set = ["replicas/marine.json", "links/marine-again.json", "replicas/carson.replica.json",
                            "featuresets/LineHasM.json", "devices/LA_Trails.geodatabase"]
        for input in second.inputs where BatchTree.broken[input.path] == nil {
            #expect(input.status == (changed.contains(input.path) ? .converted : .skippedResume), "\(input.path)")
        }
        #expect(FileManager.default.fileExists(atPath: lineFolder.appendingPathComponent("geojson/LineHasM.geojson").path))
        #expect(BatchManifest.read(in: trailsFolder) != nil)

        // Other settings: everything again.
        let third = try BatchConverter(options: options(root, output, formats: ["filegdb", "shapefile"])).run()
        #expect(third.totals.skippedResume == 0 && third.totals.converted == BatchTree.good.count)
        // Without resume, everything is converted again, to the same bytes.
        let before = try OutputFingerprint.of(output)
        let fourth = try BatchConverter(options: options(root, output, formats: ["filegdb", "shapefile"], resume: false)).run()
        #expect(fourth.totals.converted == BatchTree.good.count)
        let after = try OutputFingerprint.of(output)
        #expect(after == before, "\(after.filter { before[$0.key] != $0.value }.keys.sorted())")
    }

    /// What a run killed at any moment leaves: a staging folder with half-written outputs, an output
    /// folder missing a format, no manifest. Resuming ends where an uninterrupted run ends.
    @Test func aKilledRunsLeftoversAreReplaced() throws {
        let root = try BatchTree.make()
        let base = try TestPaths.makeTemporaryDirectory("resume-killed")
        defer { TestPaths.remove(root, base) }
        let clean = base.appendingPathComponent("clean")
        let killed = base.appendingPathComponent("killed")
        _ = try BatchConverter(options: options(root, clean, resume: false)).run()
        _ = try BatchConverter(options: options(root, killed, resume: false)).run()

        let converter = BatchConverter(options: options(root, killed))
        let plan = try converter.plan()
        let trails = try #require(plan.inputs.first { $0.path == "devices/LA_Trails.geodatabase" })
        let marine = try #require(plan.inputs.first { $0.path == "replicas/marine.json" })
        // Killed while renaming: the manifest and one format gone, leftovers in the staging folder.
        let trailsFolder = killed.appendingPathComponent(trails.output)
        BatchManifest.remove(in: trailsFolder)
        let staging = converter.stagingFolder(for: trails)
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: trailsFolder.appendingPathComponent("shapefile"), to: staging.appendingPathComponent("shapefile"))
        try Data("half".utf8).write(to: staging.appendingPathComponent("shapefile/Trailheads.dbf"))
        // Killed while writing the manifest.
        let marineFolder = killed.appendingPathComponent(marine.output)
        let manifest = try Data(contentsOf: marineFolder.appendingPathComponent(BatchConverter.manifestName))
        BatchManifest.remove(in: marineFolder)
        try manifest.prefix(100).write(to: marineFolder.appendingPathComponent(BatchConverter.manifestName + ".partial"))

        let resumed = try converter.run()
        let converted = Set(resumed.inputs.filter { $0.status == .converted }.map(\.path))
        #expect(converted == ["devices/LA_Trails.geodatabase", "replicas/marine.json"])
        #expect(try OutputFingerprint.of(killed) == OutputFingerprint.of(clean))
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent(BatchConverter.stagingName).path))
    }
}
