import Foundation
import Synchronization
import Testing
@testable import ReplicaExport

/// The monitor a front end draws its progress from: each input once as it finishes, features counted
/// as they are read, an estimate of the time left.
@Suite struct BatchProgressTests {
    @Test func everyInputIsReportedOnceAndEveryFeatureCounted() throws {
        let root = try BatchTree.make()
        let output = try TestPaths.makeTemporaryDirectory("progress")
        defer { TestPaths.remove(root, output) }
        let seen = Mutex<[(String, Int)]>([])
        let monitor = BatchProgressMonitor { report, progress in
            seen.withLock { $0.append((report.path, progress.inputsDone)) }
        }
        let report = try BatchConverter(options: BatchOptions(inputDirectory: root, outputDirectory: output, formats: ["csv"], jobs: 3))
            .run(monitor: monitor)
        let finished = seen.withLock { $0 }
        #expect(finished.map(\.0).sorted() == report.inputs.map(\.path))
        #expect(finished.map(\.1).sorted() == Array(1...report.inputs.count))
        let last = monitor.snapshot()
        #expect(last.inputsDone == report.inputs.count && last.inputsTotal == report.inputs.count)
        #expect(last.running.isEmpty)
        // Features read, broken inputs included as far as they were read.
        let converted = report.inputs.compactMap(\.featuresRead).reduce(0, +)
        #expect(last.featuresDone >= converted)
        #expect(last.secondsLeft == nil || last.secondsLeft == 0)
    }

    @Test func theEstimateFollowsTheBytesConverted() throws {
        let inputs = (0..<4).map { BatchInput(path: "r\($0).json", format: .esriJSON, output: "r\($0)", bytes: 1_000) }
        let monitor = BatchProgressMonitor()
        monitor.begin(inputs)
        #expect(monitor.snapshot().secondsLeft == nil, "nothing to go by yet")
        monitor.started(inputs[0])
        monitor.expect(100, in: inputs[0])
        monitor.read(50, in: inputs[0])
        let halfway = monitor.snapshot()
        #expect(halfway.running == ["r0.json"] && halfway.featuresDone == 50)
        // A resumed input takes its bytes out of what is left to do.
        monitor.started(inputs[1])
        monitor.finished(inputs[1], BatchInputReport(input: inputs[1], status: .skippedResume))
        #expect(monitor.snapshot().inputsDone == 1)
        // After a second: 500 of the 3,000 bytes to convert are done (half of r0), so 2,500 are left
        // at the same pace: five times the time elapsed.
        usleep(1_100_000)
        let later = monitor.snapshot()
        let left = try #require(later.secondsLeft)
        #expect(abs(left - 5 * later.elapsed) < 0.05, "\(left) s left after \(later.elapsed) s")
    }
}
