import Foundation
import Testing
@testable import ReplicaExport

/// Replays `TestData/bad/fuzz/<target>/` through the code each libFuzzer target of `Fuzz/run.sh`
/// drives: every input ends in a result or a ``ReplicaExportError``, never a crash.
@Suite struct FuzzRegressionTests {
    static func inputs(_ target: String) -> [URL] {
        let directory = TestPaths.testData("bad/fuzz/\(target)")
        return TestPaths.entries(directory).map { directory.appendingPathComponent($0) }
    }

    static func drain(_ source: any ReplicaSource) throws {
        for layer in source.replica.layers.indices {
            try source.features(inLayer: layer, batchSize: 64) { _ in }
            try source.attachments(inLayer: layer) { _ in }
        }
    }

    /// Runs `body`; only a ``ReplicaExportError`` may come out of it.
    static func replay(_ url: URL, _ body: () throws -> Void) {
        do {
            try body()
        } catch is ReplicaExportError {
        } catch {
            Issue.record("\(url.lastPathComponent): an error that is not a ReplicaExportError: \(error)")
        }
    }

    @Test func json() throws {
        let files = Self.inputs("json")
        #expect(!files.isEmpty)
        for url in files {
            Self.replay(url) { try Self.drain(EsriJSONReplicaSource(url: url, schemaURL: nil, chunkSize: 4096)) }
        }
    }

    @Test func blob() throws {
        let files = Self.inputs("blob")
        #expect(!files.isEmpty)
        let grid = ShapeGrid(xOrigin: -400, yOrigin: -400, xyScale: 1e9, zOrigin: -100_000, zScale: 10_000)
        for url in files {
            let bytes = [UInt8](try Data(contentsOf: url))
            Self.replay(url) { _ = try ShapeBlob.decode(bytes, grid: grid) }
        }
    }

    @Test func xml() throws {
        let files = Self.inputs("xml")
        #expect(!files.isEmpty)
        for url in files {
            let text = try String(contentsOf: url, encoding: .utf8)
            _ = GDBXMLElement.parse(text)?.descendants("GPFieldInfoEx")
        }
    }

    @Test func catalog() throws {
        let files = Self.inputs("catalog")
        #expect(!files.isEmpty)
        for url in files {
            Self.replay(url) { try Self.drain(MobileGeodatabaseSource(url: url, checkIntegrity: true)) }
        }
    }
}
