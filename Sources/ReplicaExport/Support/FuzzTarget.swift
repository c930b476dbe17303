import Foundation

/// The readers of untrusted bytes as fuzz targets: one entry point shared by the libFuzzer binary
/// (`Fuzz/FuzzTargets.swift`, built by `Fuzz/run.sh`), the in-suite smoke run and the replay of
/// the regression corpus (`TestData/bad/fuzz/<target>/`), so that all three drive the same code.
///
/// A thrown ``ReplicaExportError`` is a correct answer; anything else escaping, a crash, a hang or
/// a runaway allocation is a finding.
enum FuzzTarget: String, CaseIterable, Sendable {
    /// The Esri JSON scanner and reader, every layer drained (features and attachments).
    case json
    /// The shape-blob decoder.
    case blob
    /// The catalog's definition-XML parser and its tree walk.
    case xml
    /// A whole mobile geodatabase: catalog, schemas, every feature and attachment.
    case catalog

    /// The grid the blob target decodes on: wide enough for any coordinate a seed holds.
    static let blobGrid = ShapeGrid(xOrigin: -400, yOrigin: -400, xyScale: 1e9, zOrigin: -100_000, zScale: 10_000)

    /// Runs one input. The file-based targets write it to `scratch` (a directory) first.
    func run(_ bytes: UnsafeRawBufferPointer, scratch: URL) throws {
        switch self {
        case .json:
            let url = try Self.write(bytes, to: scratch.appendingPathComponent("input.json"))
            try Self.drain(EsriJSONReplicaSource(url: url, schemaURL: nil, chunkSize: 4096))
        case .blob:
            _ = try ShapeBlob.decode(bytes, grid: Self.blobGrid)
        case .xml:
            if let root = GDBXMLElement.parse(String(decoding: bytes, as: UTF8.self)) {
                _ = root.descendants("GPFieldInfoEx").count
            }
        case .catalog:
            let url = try Self.write(bytes, to: scratch.appendingPathComponent("input.geodatabase"))
            try Self.drain(MobileGeodatabaseSource(url: url, checkIntegrity: true))
        }
    }

    /// Reads every feature and attachment of every layer, as an export would.
    static func drain(_ source: any ReplicaSource) throws {
        for layer in source.replica.layers.indices {
            try source.features(inLayer: layer, batchSize: 64) { _ in }
            try source.attachments(inLayer: layer) { _ in }
        }
    }

    private static func write(_ bytes: UnsafeRawBufferPointer, to url: URL) throws -> URL {
        try Data(bytes).write(to: url)
        return url
    }
}
