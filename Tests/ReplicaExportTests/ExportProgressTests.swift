import Foundation
import Synchronization
import Testing
@testable import ReplicaExport

/// The progress an export reports through ``ExportRequest/progress``, which `convert`'s progress
/// line prints: counts over the whole export that never go back, the total where the source knows it.
@Suite struct ExportProgressTests {
    static func export(_ input: URL, source: (any ReplicaSource)? = nil, layerIds: [Int]? = nil,
                       batchSize: Int = 7) throws -> (ExportReport, [ExportProgress]) {
        let output = try TestPaths.makeTemporaryDirectory("progress")
        defer { try? FileManager.default.removeItem(at: output) }
        let seen = Mutex<[ExportProgress]>([])
        var request = ExportRequest(input: input, formats: ["csv", "geojson"], outputDirectory: output,
                                    layerIds: layerIds, batchSize: batchSize)
        request.progress = { progress in seen.withLock { $0.append(progress) } }
        let report = try source.map { try Exporter().export(from: $0, request: request) } ?? Exporter().export(request)
        return (report, seen.withLock { $0 })
    }

    static func expectMonotone(_ reports: [ExportProgress], total: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!reports.isEmpty, sourceLocation: sourceLocation)
        for (a, b) in zip(reports, reports.dropFirst()) {
            #expect(b.inputFeaturesDone > a.inputFeaturesDone, sourceLocation: sourceLocation)
            #expect(b.elapsed >= a.elapsed, sourceLocation: sourceLocation)
        }
        #expect(reports.allSatisfy { $0.inputFeaturesTotal == total }, sourceLocation: sourceLocation)
        #expect(reports.last?.inputFeaturesDone == total, sourceLocation: sourceLocation)
        #expect(reports.last?.fractionDone == 1, sourceLocation: sourceLocation)
        #expect(reports.allSatisfy { $0.featuresPerSecond >= 0 && ($0.secondsLeft ?? 0) >= 0 }, sourceLocation: sourceLocation)
    }

    @Test func countsOverEveryLayerNeverGoBack() throws {
        // A geodatabase of several layers: per-layer counts restart, the export's do not.
        let input = TestPaths.testData("mobilegdb/canyonlands_3b1fef0d.geodatabase")
        let (report, reports) = try Self.export(input)
        let total = report.featuresRead.values.reduce(0, +)
        #expect(Set(reports.map(\.layerId)).count > 1)
        Self.expectMonotone(reports, total: total)
        // Each layer's own count ends at the layer's total.
        for layerId in Set(reports.map(\.layerId)) {
            let last = try #require(reports.last { $0.layerId == layerId })
            #expect(last.featuresDone == last.featuresTotal)
        }
    }

    @Test func theTotalCoversTheLayersSelectedOnly() throws {
        let input = TestPaths.testData("mobilegdb/canyonlands_3b1fef0d.geodatabase")
        let source = try ReplicaSources.open(input)
        let first = source.replica.layers.indices.first { (source.featureCount(inLayer: $0) ?? 0) > 0 }!
        let (_, reports) = try Self.export(input, layerIds: [source.replica.layers[first].id])
        Self.expectMonotone(reports, total: source.featureCount(inLayer: first)!)
    }

    @Test func mergedPagesReportOneTotal() throws {
        let root = try TestPaths.makeTemporaryDirectory("progress-pages")
        defer { try? FileManager.default.removeItem(at: root) }
        for n in 0...2 { try PagedSourceTests.page(Array(n * 10 + 1...n * 10 + 10)).write(to: root.appendingPathComponent("p-\(n).json")) }
        let source = try ReplicaSources.openPages((0...2).map { root.appendingPathComponent("p-\($0).json") })
        let (_, reports) = try Self.export(root.appendingPathComponent("p"), source: source, batchSize: 4)
        Self.expectMonotone(reports, total: 30)
    }

    @Test func theEstimate() {
        var progress = ExportProgress(layerId: 0, layerName: "a", featuresDone: 250, featuresTotal: 1000, featuresSelected: 250,
                                      inputFeaturesDone: 250, inputFeaturesTotal: 1000, elapsed: 2)
        #expect(progress.featuresPerSecond == 125)
        #expect(progress.secondsLeft == 6)
        #expect(progress.fractionDone == 0.25)
        progress.elapsed = 0.5
        #expect(progress.secondsLeft == nil, "no estimate before a second")
        progress.inputFeaturesTotal = nil
        progress.elapsed = 2
        #expect(progress.secondsLeft == nil && progress.fractionDone == nil)
    }
}
