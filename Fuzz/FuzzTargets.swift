// libFuzzer entry point for the readers of untrusted bytes. Compiled by Fuzz/run.sh into the
// same module as the library sources (so internal readers are reachable); FUZZ_TARGET picks the
// target: json, blob, xml or catalog (``FuzzTarget``, which the tests' smoke run and regression
// replay drive too). Any thrown ReplicaExportError is a correct answer; a crash, a sanitizer
// report, a hang (-timeout) or a runaway allocation (-rss_limit_mb) is a finding.
import Foundation

private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? "json"
    guard let target = FuzzTarget(rawValue: name) else { fatalError("FUZZ_TARGET must be json, blob, xml or catalog") }
    return target
}()
private let scratch: URL = {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replica-export-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    // libFuzzer ends the process with exit(): the scratch file goes with it.
    atexit { try? FileManager.default.removeItem(at: scratch) }
    return directory
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    do {
        try target.run(UnsafeRawBufferPointer(start: start, count: count), scratch: scratch)
    } catch is ReplicaExportError {
        // A clear refusal is the expected answer to most mutated inputs.
    } catch {
        fatalError("an error that is not a ReplicaExportError escaped: \(error)")
    }
    return 0
}
