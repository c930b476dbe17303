import Foundation
import ReplicaExport

/// Outputs compared by content: every file by its SHA-256, except the bytes the formats stamp with
/// the time of the run, which are compared by size (or masked) instead:
/// - GeoPackage `*.gpkg`: `gpkg_contents.last_change` holds the time of writing;
/// - FileGDB `a00000004.gdbtable` (GDB_Items) and `a00000006.gdbtable` (GDB_ItemRelationships): the
///   UUIDs GDAL 3.6 generates for them come from a generator seeded with the time of day;
/// - shapefile `*.dbf`: header bytes 1-3 hold the date of writing (masked, the rest compared).
/// Manifests record the hashes of those files: they are compared without them.
public enum OutputFingerprint {
    /// Relative path -> SHA-256 of the content of every file under `directory` (or the size, for
    /// time-stamped files).
    public static func of(_ directory: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        for relative in TestPaths.listing(directory) {
            let url = directory.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            var data = try Data(contentsOf: url)
            if isTimeStamped(relative) {
                result[relative] = "\(data.count) bytes (time-stamped)"
                continue
            }
            if relative.hasSuffix(".dbf"), data.count > 4 { data.replaceSubrange(1..<4, with: [0, 0, 0]) }
            // The batch manifest (BatchConverter.manifestName).
            if relative.hasSuffix(".replica-export-manifest.json") { data = try comparableManifest(data) }
            result[relative] = SHA256.hash([UInt8](data)).hex
        }
        return result
    }

    public static func isTimeStamped(_ relativePath: String) -> Bool {
        let name = URL(fileURLWithPath: relativePath).lastPathComponent
        return name.hasSuffix(".gpkg")
            || (relativePath.contains(".gdb/") && (name == "a00000004.gdbtable" || name == "a00000006.gdbtable"))
    }

    static func comparableManifest(_ data: Data) throws -> Data {
        var manifest = try JSONDecoder().decode(BatchManifest.self, from: data)
        let blank = SHA256.hash([])
        for index in manifest.files.indices where isTimeStamped(manifest.files[index].path) || manifest.files[index].path.hasSuffix(".dbf") {
            manifest.files[index].sha256 = blank
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(manifest)
    }
}
