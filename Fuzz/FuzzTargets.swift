// libFuzzer entry point for the readers of untrusted bytes. Compiled by Fuzz/run.sh into the
// same module as the library sources (so internal readers are reachable); FUZZ_TARGET picks the
// target: json, blob, xml or catalog. Any thrown ReplicaExportError is a correct answer; a crash,
// a sanitizer report, a hang (-timeout) or a runaway allocation (-rss_limit_mb) is a finding.
import Foundation

private let target = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? "json"
private let scratch: URL = {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replica-export-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}()
private let grid = ShapeGrid(xOrigin: -400, yOrigin: -400, xyScale: 1e9, zOrigin: -100_000, zScale: 10_000)

/// Reads every feature of every layer, as an export would.
private func drain(_ source: any ReplicaSource) throws {
    for layer in source.replica.layers.indices {
        try source.features(inLayer: layer, batchSize: 64) { _ in }
        try source.attachments(inLayer: layer) { _ in }
    }
}

private func write(_ data: UnsafeRawBufferPointer, as name: String) -> URL {
    let url = scratch.appendingPathComponent(name)
    FileManager.default.createFile(atPath: url.path, contents: Data(data))
    return url
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    do {
        switch target {
        case "json":
            let url = write(bytes, as: "input.json")
            try drain(EsriJSONReplicaSource(url: url, schemaURL: nil, chunkSize: 4096))
        case "blob":
            _ = try ShapeBlob.decode(bytes, grid: grid)
        case "xml":
            if let root = GDBXMLElement.parse(String(decoding: bytes, as: UTF8.self)) {
                _ = root.descendants("GPFieldInfoEx").count
            }
        case "catalog":
            let url = write(bytes, as: "input.geodatabase")
            try drain(MobileGeodatabaseSource(url: url, checkIntegrity: true))
        default:
            fatalError("FUZZ_TARGET must be json, blob, xml or catalog")
        }
    } catch is ReplicaExportError {
        // A clear refusal is the expected answer to most mutated inputs.
    } catch {
        fatalError("an error that is not a ReplicaExportError escaped: \(error)")
    }
    return 0
}
