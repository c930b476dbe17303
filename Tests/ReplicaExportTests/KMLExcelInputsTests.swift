import Foundation
import Testing
@testable import ReplicaExport

/// Every TestData input (Esri JSON replicas and FeatureSets, the curves, every mobile geodatabase)
/// exports to KML and Excel with and without the true-curve bit, and verify passes: what differs
/// is exactly what the formats document and the run reports, each loss with its count.
@Suite struct KMLExcelInputsTests {
    static let formats = ["kml", "excel"]

    static var inputs: [String] {
        let root = TestPaths.testData("")
        func files(_ folder: String, _ keep: (String) -> Bool) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? [])
                .filter(keep).sorted().map { "\(folder)/\($0)" }
        }
        return files("esrijson") { $0.hasSuffix(".json") && !$0.hasSuffix(".layers.json") && !$0.hasSuffix(".geometry.json")
                                   && !$0.hasSuffix("-metadata.json") }
            + ["curves/curves.replica.json"]
            + files("mobilegdb") { $0.hasSuffix(".geodatabase") }
    }

    /// The FeatureSet whose schema is a separate metadata file.
    static func schema(for input: String) -> URL? {
        input.hasSuffix("pyesridump_us-esri-test-0.json") ? TestPaths.testData("esrijson/pyesridump_us-esri-test-metadata.json") : nil
    }

    @Test(arguments: inputs)
    func exportsAndVerifies(_ input: String) throws {
        let directory = try TestPaths.makeTemporaryDirectory("kml-excel-inputs")
        defer { try? FileManager.default.removeItem(at: directory) }
        for trueCurves in [false, true] {
            let output = directory.appendingPathComponent(trueCurves ? "curves" : "plain")
            let report = try Exporter().export(ExportRequest(input: TestPaths.testData(input), schema: Self.schema(for: input),
                                                             formats: Self.formats, outputDirectory: output,
                                                             syncDataOptions: trueCurves ? 256 : 0))
            #expect(report.failures.isEmpty, "\(input): \(report.failures)")
            let verification = try Verifier().verify(VerifyRequest(input: TestPaths.testData(input), schema: Self.schema(for: input),
                                                                   outputDirectory: output, syncDataOptions: trueCurves ? 256 : 0))
            #expect(verification.formats.map(\.format) == Self.formats.sorted())
            #expect(verification.passed, "\(input) (true curves \(trueCurves)):\n\(verification.summary)")
            for format in verification.formats {
                for layer in format.layers {
                    #expect(layer.featuresIn == layer.featuresOut, "\(input) \(format.format) \(layer.layer)")
                }
            }
            // Every loss says how much it concerns.
            for loss in report.losses where Self.formats.contains(loss.location.format ?? "") {
                #expect(loss.count != nil || loss.code == .measuresDropped || loss.code == .fieldDropped, "\(input): \(loss)")
            }
        }
    }
}
