import Foundation
import ReplicaExport
import Testing

/// A batch stopped from outside: killed outright (SIGKILL) and resumed, or asked to stop.
@Suite(.serialized) struct BatchInterruptionTests {
    static let formats = "filegdb,shapefile,csv,geojson,geopackage"

    /// The output folders under `directory` that hold a manifest (complete inputs).
    static func manifests(under directory: URL) -> [String] {
        EndToEnd.listing(directory).filter { $0.hasSuffix("/.replica-export-manifest.json") }
    }

    /// Waits until `condition` holds or the process ends; false on timeout or exit.
    static func wait(for process: Process, timeout: Double = 300, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            usleep(10_000)
        }
        return false
    }

    @Test func aRunKilledMidwayResumesToTheSameBytes() throws {
        // Sizes that differ, so that when the first input is complete the other worker is mid-way.
        let sizes = [600, 1_200, 1_800, 2_400]
        let count = sizes.count
        let root = try BatchFixtures.syntheticTree(features: sizes)
        let base = try EndToEnd.makeTemporaryDirectory("batch-kill")
        defer { TestPaths.remove(root, base) }
        let clean = base.appendingPathComponent("clean")
        let uninterrupted = try EndToEnd.cli(["batch", root.path, "--format", Self.formats, "--output", clean.path, "--jobs", "2"])
        try #require(uninterrupted.status == 0, "\(uninterrupted.stderr)")

        // Killed with SIGKILL as soon as the first input is complete: the other worker is mid-way.
        let killed = base.appendingPathComponent("killed")
        let process = try Processes.start(Processes.replicaExport,
                                          ["batch", root.path, "--format", Self.formats, "--output", killed.path, "--jobs", "2"])
        let sawOne = Self.wait(for: process) { !Self.manifests(under: killed).isEmpty }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(sawOne, "the batch ended before any input was complete")
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
        let complete = Self.manifests(under: killed).count
        #expect(complete >= 1 && complete < count, "\(complete) of \(count) inputs complete when killed")

        let reportFile = base.appendingPathComponent("resumed.json")
        let resumed = try EndToEnd.cli(["batch", root.path, "--format", Self.formats, "--output", killed.path, "--jobs", "2",
                                        "--resume", "--report", reportFile.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let report = try BatchReport.decode(Data(contentsOf: reportFile))
        #expect(report.totals.skippedResume == complete)
        #expect(report.totals.converted == count - complete)
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent(".replica-export-staging").path))

        let expected = try OutputFingerprint.of(clean)
        let actual = try OutputFingerprint.of(killed)
        #expect(expected.count > count * 20)
        let missing = Set(actual.keys).symmetricDifference(expected.keys).sorted()
        let changed = actual.filter { expected[$0.key] != nil && expected[$0.key] != $0.value }.keys.sorted()
        #expect(actual == expected, "files in one tree only: \(missing); different bytes: \(changed)")
    }

    /// SIGTERM mid-way: the running exports stop and remove what they wrote, nothing new starts, the
    /// report says what finished, the exit status is 143. SIGINT the same with 130.
    @Test func aSignalStopsTheBatchAndTheReportSaysWhatFinished() throws {
        // One small input that is complete when the signal comes, three large ones mid-way or not started.
        let root = try BatchFixtures.syntheticTree(features: [300, 4_000, 4_000, 4_000])
        let base = try EndToEnd.makeTemporaryDirectory("batch-signal")
        defer { TestPaths.remove(root, base) }
        for (signal, status) in [(SIGTERM, Int32(143)), (SIGINT, Int32(130))] {
            let out = base.appendingPathComponent("out\(signal)")
            let reportFile = base.appendingPathComponent("report\(signal).json")
            let process = try Processes.start(Processes.replicaExport, ["batch", root.path, "--format", Self.formats,
                                                                        "--output", out.path, "--jobs", "2", "--report", reportFile.path])
            let staging = out.appendingPathComponent(".replica-export-staging")
            let ready = Self.wait(for: process) {
                // SIGTERM once the small input is complete, SIGINT as soon as two exports are writing.
                signal == SIGTERM ? !Self.manifests(under: out).isEmpty : EndToEnd.listing(staging).filter { !$0.contains("/") }.count == 2
            }
            try #require(ready, "the batch ended before the signal could be sent")
            let sent = Date()
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            let latency = Date().timeIntervalSince(sent)
            #expect(process.terminationReason == .exit && process.terminationStatus == status)
            #expect(latency < 30, "stopped \(latency) s after the signal")

            let report = try BatchReport.decode(Data(contentsOf: reportFile))
            #expect(report.cancelled)
            #expect(report.totals.cancelled >= 1, "\(report.inputs.map { ($0.path, $0.status) })")
            #expect(report.totals.failed == 0)
            #expect(report.totals.converted + report.totals.cancelled + report.totals.notStarted == 4)
            if signal == SIGTERM { #expect(report.totals.converted >= 1) }
            for input in report.inputs {
                let folder = out.appendingPathComponent(input.output)
                switch input.status {
                case .converted:
                    #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(".replica-export-manifest.json").path))
                default:
                    #expect(!FileManager.default.fileExists(atPath: folder.path), "\(input.path) \(input.status): \(EndToEnd.listing(folder))")
                }
            }
            // No temporary anywhere: the exporter removed its own, the batch its staging folders.
            #expect(!FileManager.default.fileExists(atPath: staging.path), "\(EndToEnd.listing(staging))")
            #expect(!EndToEnd.listing(out).contains { $0.contains(".partial") }, "\(EndToEnd.listing(out))")
        }
    }
}
