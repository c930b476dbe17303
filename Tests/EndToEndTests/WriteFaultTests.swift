import Foundation
import Testing

/// Faults while writing (issue 12): signals, an output that cannot be written, a full disk, two
/// runs into one directory. Each ends with a clear error or a correct result, and never leaves
/// hidden temporaries, empty format folders or an output that looks complete but is not.
@Suite(.serialized) struct WriteFaultTests {
    /// A synthetic payload of `count` points (Benchmarks/generate_replica.py) in a new directory.
    static func payload(_ count: Int) throws -> URL {
        let directory = try EndToEnd.makeTemporaryDirectory("fault-input")
        let url = directory.appendingPathComponent("synthetic.json")
        try Fixtures.syntheticReplica(features: count, at: url)
        return url
    }

    static func hidden(_ directory: URL) -> [String] {
        EndToEnd.listing(directory).filter { $0.split(separator: "/").contains { $0.hasPrefix(".") } }
    }

    /// Starts `convert`, waits until it is writing (a path containing `marker` exists: by default
    /// a staging directory), sends `signal`.
    func interrupt(with signal: Int32, expectStatus: Int32, name: String,
                   formats: String = "all", marker: String = ".partial-",
                   environment: [String: String] = [:]) throws {
        let input = try Self.payload(300_000)
        defer { try? FileManager.default.removeItem(at: input.deletingLastPathComponent()) }
        let output = try EndToEnd.makeTemporaryDirectory("signal")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = Processes.replicaExport
        process.arguments = ["convert", input.path, "--format", formats, "--output", output.path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var sawStaging = false
        for _ in 0..<1200 where process.isRunning {
            if EndToEnd.listing(output).contains(where: { $0.contains(marker) }) { sawStaging = true; break }
            usleep(25_000)
        }
        #expect(sawStaging, "the run ended before '\(marker)' appeared")
        kill(process.processIdentifier, signal)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "killed by the signal instead of handling it")
        #expect(process.terminationStatus == expectStatus, "\(message)")
        #expect(message.contains("interrupted by \(name)"), "\(message)")
        #expect(EndToEnd.listing(output).isEmpty, "left behind: \(EndToEnd.listing(output))")
    }

    /// Interrupted while worker threads write the later segments of large CSV, GeoJSON and
    /// shapefile layers (see `SegmentedWriting.swift`): they stop, and their files go with the rest.
    @Test func sigtermDuringSegmentedWritingRemovesEverything() throws {
        // Segments forced (as on a machine with cores to spare for them).
        try interrupt(with: SIGTERM, expectStatus: 143, name: "SIGTERM", formats: "csv,geojson,shapefile", marker: ".segments/",
                      environment: ["REPLICA_EXPORT_SEGMENT_FEATURES": "16384"])
    }

    /// Interrupted in the middle of a GeoPackage layer, while one of its transactions is open (the
    /// rollback journal SQLite keeps only inside a transaction exists): the transaction is rolled
    /// back and the file removed with the rest.
    @Test func sigtermMidGeoPackageLayerRemovesEverything() throws {
        try interrupt(with: SIGTERM, expectStatus: 143, name: "SIGTERM", formats: "geopackage", marker: ".gpkg-journal")
    }

    /// Interrupted in the middle of a mobile geodatabase layer, inside one of its transactions:
    /// the file (written under a temporary name) goes with the rest.
    @Test func sigtermMidMobileGeodatabaseLayerRemovesEverything() throws {
        try interrupt(with: SIGTERM, expectStatus: 143, name: "SIGTERM", formats: "sqlite", marker: ".geodatabase")
    }

    @Test func sigintCancelsAndRemovesTemporaries() throws {
        try interrupt(with: SIGINT, expectStatus: 130, name: "SIGINT")
    }

    @Test func sigtermCancelsAndRemovesTemporaries() throws {
        try interrupt(with: SIGTERM, expectStatus: 143, name: "SIGTERM")
    }

    func expectFailure(_ output: URL, input: URL? = nil, mentions: [String]) throws {
        let payload = input ?? EndToEnd.testData("esrijson/arcgis-rest-js_LineHasM.replica.json")
        let result = try EndToEnd.cli(["convert", payload.path, "--format", "all",
                                       "--output", output.path])
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count >= 1)
        #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("Error Domain="), "\(result.stderr)")
        for word in mentions {
            #expect(result.stderr.localizedCaseInsensitiveContains(word), "'\(word)' in: \(result.stderr)")
        }
    }

    @Test func anOutputPathThatIsAFileIsAClearError() throws {
        let directory = try EndToEnd.makeTemporaryDirectory("file-output")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        try expectFailure(file, mentions: [file.path, "is a file, not a folder"])
        #expect(try Data(contentsOf: file) == Data("x".utf8))
        #expect(TestPaths.entries(directory) == ["not-a-directory"])
    }

    @Test func anOutputDirectoryThatCannotBeWrittenIsAClearError() throws {
        guard getuid() != 0 else {
            // root writes through any permission bits; the message is checked on a constructed
            // error in FileSystemErrorTests instead.
            print("note: skipping the unwritable-directory run: running as root, permission bits do not apply")
            return
        }
        let directory = try EndToEnd.makeTemporaryDirectory("readonly")
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
            try? FileManager.default.removeItem(at: directory)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: directory.path)
        try expectFailure(directory, mentions: [directory.path, "permission"])
        #expect(EndToEnd.listing(directory).isEmpty)
    }

    /// A 1 MB tmpfs: every format fails cleanly (GeoJSON included, which used to exit 0 with a
    /// truncated file) and nothing is left on it.
    @Test func aFullDiskFailsEveryFormatCleanly() throws {
        try Self.withSmallDisk(size: "1m", for: "the full-disk test") { mountPoint in
            let input = try Self.payload(20_000)
            defer { try? FileManager.default.removeItem(at: input.deletingLastPathComponent()) }
            // Shapefile once more in segments of 1,000 features: the disk fills in a worker's segment
            // or in the splice.
            for (format, segments) in [("geojson", nil), ("csv", nil), ("filegdb", nil), ("geopackage", nil), ("shapefile", nil),
                                       ("shapefile", "1000"), ("json", nil), ("featurecollection", nil), ("kml", nil), ("excel", nil),
                                       ("sqlite", nil)] as [(String, String?)] {
                let output = mountPoint.appendingPathComponent(format + (segments ?? ""))
                let result = try Processes.run(Processes.replicaExport, ["convert", input.path, "--format", format, "--output", output.path],
                                               environment: segments.map { ["REPLICA_EXPORT_SEGMENT_FEATURES": $0] } ?? [:])
                #expect(result.status != 0, "\(format) exited 0 on a full disk: \(result.stdout)")
                #expect(result.stderr.contains("replica-export: error:"), "\(format): \(result.stderr)")
                #expect(EndToEnd.listing(output).isEmpty, "\(format) left: \(EndToEnd.listing(output))")
            }
        }
    }

    /// SQLite's temporary files (the mobile geodatabase's spatial-index entries and their sort) on
    /// a full disk of their own: a clear error that says where they go, nothing left in the output.
    @Test func aFullSQLiteTemporaryFolderFailsTheGeodatabaseCleanly() throws {
        try Self.withSmallDisk(size: "512k", for: "the full temporary folder test") { mountPoint in
            let input = try Self.payload(100_000)
            defer { try? FileManager.default.removeItem(at: input.deletingLastPathComponent()) }
            let output = try EndToEnd.makeTemporaryDirectory("sqlite-tmpdir")
            defer { try? FileManager.default.removeItem(at: output) }
            let result = try Processes.run(Processes.replicaExport, ["convert", input.path, "--format", "sqlite", "--output", output.path],
                                           environment: ["SQLITE_TMPDIR": mountPoint.path])
            #expect(result.status != 0)
            #expect(result.stderr.contains("replica-export: error:") && result.stderr.contains("SQLITE_TMPDIR"), "\(result.stderr)")
            #expect(EndToEnd.listing(output).isEmpty, "left: \(EndToEnd.listing(output))")
            #expect(EndToEnd.listing(mountPoint).isEmpty, "left: \(EndToEnd.listing(mountPoint))")
        }
    }

    /// Runs `body` with a tmpfs of `size` mounted on a new folder, then unmounts and removes it;
    /// skips (saying so) where mounting is not permitted.
    static func withSmallDisk(size: String, for test: String, _ body: (URL) throws -> Void) throws {
        let mountPoint = try EndToEnd.makeTemporaryDirectory("tmpfs")
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        let mount = try Processes.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", mountPoint.path])
        guard mount.status == 0 else {
            print("note: skipping \(test): mounting a tmpfs is not permitted here (\(mount.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
            return
        }
        defer { _ = try? Processes.run(URL(fileURLWithPath: "/bin/umount"), [mountPoint.path]) }
        try body(mountPoint)
    }

    /// A run killed outright (SIGKILL: no handler runs) leaves its hidden temporaries; the next run
    /// into the same directory removes them (their lock died with the process) and ends with the
    /// complete outputs and nothing hidden.
    @Test func whatAKilledRunLeftIsCleanedByTheNextRun() throws {
        let input = try Self.payload(50_000)
        defer { try? FileManager.default.removeItem(at: input.deletingLastPathComponent()) }
        let output = try EndToEnd.makeTemporaryDirectory("killed")
        defer { try? FileManager.default.removeItem(at: output) }
        let arguments = ["convert", input.path, "--format", "filegdb,csv", "--output", output.path]
        let process = try Processes.start(Processes.replicaExport, arguments)
        for _ in 0..<600 where process.isRunning {
            if Self.hidden(output).contains(where: { $0.contains(".partial-") }) { break }
            usleep(50_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(Self.hidden(output).contains { $0.contains(".partial-") }, "nothing staged: \(EndToEnd.listing(output))")

        let rerun = try EndToEnd.cli(arguments)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(Self.hidden(output).isEmpty, "left behind: \(Self.hidden(output))")
        #expect(EndToEnd.listing(output).contains("csv/synthetic.csv"), "\(EndToEnd.listing(output))")
    }

    /// Two runs into one directory at once: each ends with a correct result or a clear error, and
    /// no temporaries are left.
    @Test func twoRunsIntoOneDirectoryAtOnce() throws {
        let input = try Self.payload(20_000)
        defer { try? FileManager.default.removeItem(at: input.deletingLastPathComponent()) }
        let output = try EndToEnd.makeTemporaryDirectory("twice")
        defer { try? FileManager.default.removeItem(at: output) }
        let arguments = ["convert", input.path, "--format", "geojson,csv,geopackage", "--output", output.path]
        nonisolated(unsafe) var results: [Processes.Result?] = [nil, nil]
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            results[i] = try? EndToEnd.cli(arguments)
        }
        let finished = results.compactMap { $0 }
        #expect(finished.count == 2)
        let succeeded = finished.filter { $0.status == 0 }
        #expect(!succeeded.isEmpty, "\(finished.map(\.stderr))")
        for failed in finished where failed.status != 0 {
            #expect(failed.stderr.contains("already exists"), "\(failed.stderr)")
        }
        #expect(Self.hidden(output).isEmpty, "left behind: \(Self.hidden(output))")
        // What was committed is complete: every feature is in each file.
        for name in EndToEnd.listing(output) where name.hasSuffix(".geojson") || name.hasSuffix(".gpkg") || name.hasSuffix(".csv") {
            let count = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", """
                import sys
                from osgeo import ogr
                ds = ogr.Open(sys.argv[1])
                print(sum(ds.GetLayer(i).GetFeatureCount() for i in range(ds.GetLayerCount())))
                """, output.appendingPathComponent(name).path])
            #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "20000", "\(name): \(count.stdout)\(count.stderr)")
        }
        // and equal to the input: the run that won wrote every format whole.
        if !succeeded.isEmpty {
            try EndToEnd.verify(input, output: output)
        }
    }
}
