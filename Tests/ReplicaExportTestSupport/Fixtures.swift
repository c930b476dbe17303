import Foundation

/// The inputs tests build for themselves: trees of `TestData/` copies and written files, damaged
/// copies, synthetic payloads.
public enum Fixtures {
    /// Copies a `TestData/` file to `relative` under `root`, making the folders between.
    public static func copy(_ testData: String, to root: URL, as relative: String) throws {
        let target = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestPaths.testData(testData), to: target)
    }

    /// Writes `bytes` to `relative` under `root`, making the folders between.
    public static func write(_ bytes: Data, to root: URL, as relative: String) throws {
        let target = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try bytes.write(to: target)
    }

    /// Overwrites 8 KiB from the middle of a file with `byte`: a geodatabase SQLite opens but finds damaged.
    public static func corrupt(_ url: URL, with byte: UInt8) throws {
        let handle = try FileHandle(forUpdating: url)
        try handle.seek(toOffset: try handle.seekToEnd() / 2)
        try handle.write(contentsOf: Data(repeating: byte, count: 8192))
        try handle.close()
    }

    /// Shapes a copy of a mobile geodatabase like a sync delta, of which there is no public sample:
    /// no GDB_ServiceItems, a `T_<n>_inserts` table and GDB_DataChangesDatasets.
    public static func makeSyncDelta(_ url: URL) throws {
        try Processes.succeed("sqlite3", [
            url.path,
            "DROP TABLE GDB_ServiceItems; CREATE TABLE T_8_inserts (OBJECTID INTEGER); CREATE TABLE GDB_DataChangesDatasets (id INTEGER);"])
    }

    /// Writes a synthetic replica of `features` features at `url`, and its `.layers.json` beside it,
    /// with Benchmarks/generate_replica.py; `options` are the script's (`--geometry`, `--seed`).
    public static func syntheticReplica(features: Int, at url: URL, _ options: [String] = []) throws {
        let generator = TestPaths.packageRoot.appendingPathComponent("Benchmarks/generate_replica.py").path
        try Processes.succeed("/usr/bin/python3", [generator, String(features), url.path] + options)
    }
}
