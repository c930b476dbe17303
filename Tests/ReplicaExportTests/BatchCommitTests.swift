import Foundation
import Synchronization
import Testing
@testable import ReplicaExport

/// A manifest never claims outputs that were not committed: it is removed before an output folder
/// changes and written only after every output is in place.
@Suite struct BatchCommitTests {
    static let formats = ["geojson", "csv"]

    static func tree() throws -> URL {
        let root = try TestPaths.makeTemporaryDirectory("commit")
        try Fixtures.copy("esrijson/seed_example3_marine.replica.json", to: root, as: "a/marine.json")
        try Fixtures.copy("esrijson/arcgis-rest-js_LineHasM.json", to: root, as: "b/line.json")
        return root
    }

    /// The tree, an empty output directory and the options every test here runs with (resume on:
    /// the manifests are what they watch). The caller removes the two directories.
    static func setUp() throws -> (root: URL, output: URL, options: BatchOptions) {
        let root = try tree()
        let output = try TestPaths.makeTemporaryDirectory("commit-out")
        return (root, output, BatchOptions(inputDirectory: root, outputDirectory: output, formats: formats, jobs: 1, resume: true))
    }

    /// What each checkpoint saw in the output folder.
    final class Seen: Sendable {
        let log = Mutex<[String]>([])
        func add(_ line: String) { log.withLock { $0.append(line) } }
        var lines: [String] { log.withLock { $0 } }
    }

    static func formatFolders(_ folder: URL) -> [String] {
        formats.filter { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
    }

    @Test func theManifestIsWrittenOnlyAfterTheOutputsAreInPlace() throws {
        let (root, output, options) = try Self.setUp()
        defer { TestPaths.remove(root, output) }
        _ = try BatchConverter(options: options).run()
        // The input changes: its folder holds the old outputs and their manifest when the new export ends.
        let data = try Data(contentsOf: root.appendingPathComponent("b/line.json"))
        try (data + Data("\n".utf8)).write(to: root.appendingPathComponent("b/line.json"))
        let seen = Seen()
        let converter = BatchConverter(options: options) { step, input, _, folder in
            let manifest = BatchManifest.read(in: folder)
            seen.add("\(step) \(input.path) manifest:\(manifest == nil ? "none" : "old") formats:\(Self.formatFolders(folder).joined(separator: ","))")
        }
        let report = try converter.run()
        #expect(report.inputs.map(\.status) == [.skippedResume, .converted])
        #expect(seen.lines == [
            "exported b/line.json manifest:old formats:geojson,csv",  // the old outputs, as the old manifest says
            "installed b/line.json manifest:none formats:geojson,csv",  // the new outputs, no manifest yet
        ])
        let manifest = try #require(BatchManifest.read(in: output.appendingPathComponent("b/line")))
        #expect(manifest.inputSHA256 == (try SHA256.hash(fileAt: root.appendingPathComponent("b/line.json"))))
        #expect(manifest.filesArePresent(in: output.appendingPathComponent("b/line")))
    }

    @Test func aCancellationAfterTheExportStillEndsWithOutputsAndManifestTogether() throws {
        let (root, output, options) = try Self.setUp()
        defer { TestPaths.remove(root, output) }
        let cancellation = options.cancellation
        // Cancelled once the first input is exported: it is committed whole (outputs, then the
        // manifest); the second is not started; nothing else is written.
        let report = try BatchConverter(options: options) { step, _, _, _ in
            if step == .exported { cancellation.cancel() }
        }.run()
        #expect(report.cancelled)
        let done = try #require(report.inputs.first { $0.status == .converted })
        #expect(report.inputs.filter { $0.status == .notStarted }.count == 1)
        let folder = output.appendingPathComponent(done.output)
        let manifest = try #require(BatchManifest.read(in: folder))
        #expect(manifest.filesArePresent(in: folder))
        let notStarted = try #require(report.inputs.first { $0.status == .notStarted })
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(notStarted.output).path))
        #expect(TestPaths.entries(output).allSatisfy { !$0.hasPrefix(".replica-export-staging") })
    }

    @Test func anOutputMissingAtInstallFailsTheInputAndWritesNoManifest() throws {
        let (root, output, options) = try Self.setUp()
        defer { TestPaths.remove(root, output) }
        _ = try BatchConverter(options: options).run()
        try FileManager.default.removeItem(at: output.appendingPathComponent("a/marine/" + BatchConverter.manifestName))
        // The second format's staged output vanishes between the export and the install.
        let report = try BatchConverter(options: options) { step, input, staging, _ in
            if step == .exported, input.path == "a/marine.json" {
                try? FileManager.default.removeItem(at: staging.appendingPathComponent("csv"))
            }
        }.run()
        let marine = try #require(report.inputs.first { $0.path == "a/marine.json" })
        #expect(marine.status == .failed)
        #expect(marine.error?.code == .fileSystem)
        #expect(marine.error?.message.contains("csv output") == true, "\(String(describing: marine.error))")
        #expect(BatchManifest.read(in: output.appendingPathComponent("a/marine")) == nil, "no manifest claims the csv output")
        // The next run converts it again, whole.
        let again = try BatchConverter(options: options).run()
        #expect(again.inputs.first { $0.path == "a/marine.json" }?.status == .converted)
        #expect(Self.formatFolders(output.appendingPathComponent("a/marine")) == Self.formats)
    }
}
