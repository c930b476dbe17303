import Foundation
import ReplicaExport

/// The readers of untrusted bytes as fuzz targets: one entry point shared by the libFuzzer binary
/// (`Fuzz/FuzzTargets.swift`, built by `Fuzz/run.sh`), the in-suite smoke run and the replay of
/// the regression corpus (`TestData/bad/fuzz/<target>/`), so that all three drive the same code.
///
/// A thrown ``ReplicaExportError`` is a correct answer; anything else escaping, a crash, a hang or
/// a runaway allocation is a finding.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// The Esri JSON scanner and reader, every layer drained (features and attachments).
    case json
    /// The shape-blob decoder.
    case blob
    /// The catalog's definition-XML parser and its tree walk.
    case xml
    /// A whole mobile geodatabase: catalog, schemas, every feature and attachment.
    case catalog

    /// The grid the blob target decodes on: wide enough for any coordinate a seed holds.
    package static let blobGrid = ShapeGrid(xOrigin: -400, yOrigin: -400, xyScale: 1e9, zOrigin: -100_000, zScale: 10_000)

    /// Runs one input. The file-based targets write it to `scratch` (a directory) first.
    package func run(_ bytes: UnsafeRawBufferPointer, scratch: URL) throws {
        switch self {
        case .json:
            let url = try Self.write(bytes, to: scratch.appendingPathComponent("input.json"))
            let wholeChunks = Self.outcome { try EsriJSONReplicaSource(url: url, schemaURL: nil, chunkSize: 4096) }
            // The same bytes through a buffer of a few bytes, so that tokens straddle refills
            // everywhere: the scanner must read the same features, or fail the same way.
            let smallChunks = Self.outcome { try EsriJSONReplicaSource(url: url, schemaURL: nil, chunkSize: 1 + bytes.count % 11) }
            if wholeChunks.digest != smallChunks.digest {
                fatalError("the chunk size changed what was read:\n4096: \(wholeChunks.digest)\n\(1 + bytes.count % 11): \(smallChunks.digest)")
            }
            if let error = wholeChunks.error { throw error }
        case .blob:
            _ = try ShapeBlob.decode(bytes, grid: Self.blobGrid)
        case .xml:
            if let root = GDBXMLElement.parse(String(decoding: bytes, as: UTF8.self)) {
                _ = root.descendants("GPFieldInfoEx").count
            }
        case .catalog:
            let url = try Self.write(bytes, to: scratch.appendingPathComponent("input.geodatabase"))
            var noDigest: String?
            try Self.drain(MobileGeodatabaseSource(url: url, checkIntegrity: true), describingInto: &noDigest)
        }
    }

    /// What reading a source gave: a description of every layer, feature and attachment, or
    /// of the error's code, and the error itself.
    package static func outcome(_ open: () throws -> any ReplicaSource) -> (digest: String, error: (any Error)?) {
        var digest: String? = ""
        do {
            try drain(open(), describingInto: &digest)
            return (digest ?? "", nil)
        } catch let error as ReplicaExportError {
            return ("error \(error.code)", error)
        } catch {
            return ("error \(error)", error)
        }
    }

    /// Reads every feature and attachment of every layer, as an export would; describes each into
    /// `digest` unless it is nil.
    package static func drain(_ source: any ReplicaSource, describingInto digest: inout String?) throws {
        for layer in source.replica.layers.indices {
            digest? += "layer \(source.replica.layers[layer].name)\n"
            try source.features(inLayer: layer, batchSize: 64) { batch in
                guard digest != nil else { return }
                for feature in batch { digest! += "\(feature)\n" }
            }
            try source.attachments(inLayer: layer) { attachment in digest? += "attachment \(attachment)\n" }
        }
    }

    private static func write(_ bytes: UnsafeRawBufferPointer, to url: URL) throws -> URL {
        try Data(bytes).write(to: url)
        return url
    }
}
