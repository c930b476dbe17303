import Foundation

/// What a batch wrote for one input, kept beside the outputs (`<output folder>/.replica-export-manifest.json`):
/// from which input and schema (by SHA-256), with which settings, every file written (path, size,
/// SHA-256), and the counts the report shows. Written last, atomically, after every output is in
/// place: a folder with a manifest is complete. ``BatchOptions/resume`` skips an input whose
/// manifest matches the input, schema and settings and whose files are all there at their sizes.
public struct BatchManifest: Sendable, Codable, Equatable {
    public static let currentVersion = 1

    public struct File: Sendable, Codable, Equatable {
        /// Relative to the output folder (`filegdb/x.gdb/a00000001.gdbtable`).
        public var path: String
        public var bytes: Int64
        public var sha256: SHA256.Digest
    }

    public var version: Int
    /// The input, relative to the input directory.
    public var input: String
    public var inputBytes: Int64
    public var inputSHA256: SHA256.Digest
    /// The schema used, relative to the input directory.
    public var schema: String?
    public var schemaSHA256: SHA256.Digest?
    public var settings: BatchSettings
    /// Every file written, sorted by path.
    public var files: [File]
    // What the report shows for the input, so that a resumed run reports it in full.
    public var layers: Int
    public var featuresRead: Int
    public var features: [String: Int]
    public var losses: [Diagnostic]
    public var warnings: Int
    /// The FeatureSet pages merged into the input, relative, in page order (``inputSHA256`` is then
    /// the digest of every page's path and digest); nil for an input of one file.
    public var pages: [String]? = nil

    var outputBytes: Int64 { files.reduce(0) { $0 + $1.bytes } }

    static func url(in folder: URL) -> URL { folder.appendingPathComponent(BatchConverter.manifestName) }

    /// The manifest of `folder`, or nil when there is none or it cannot be read.
    static func read(in folder: URL) -> BatchManifest? {
        guard let data = try? Data(contentsOf: url(in: folder)) else { return nil }
        return try? JSONDecoder().decode(BatchManifest.self, from: data)
    }

    /// Writes the manifest beside a temporary name and renames it into place.
    func write(in folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity",
                                                                      negativeInfinity: "-Infinity", nan: "NaN")
        let data = try encoder.encode(self) + Data("\n".utf8)
        let target = Self.url(in: folder)
        let partial = folder.appendingPathComponent(BatchConverter.manifestName + ".partial")
        try data.write(to: partial)
        guard rename(partial.path, target.path) == 0 else {
            let error = errno
            try? FileManager.default.removeItem(at: partial)
            throw ReplicaExportError(.fileSystem, "cannot rename the manifest into place: \(String(cString: strerror(error)))",
                                     at: ErrorLocation(output: target.path))
        }
    }

    /// Removes the manifest (and a temporary a killed run left): the folder no longer claims to be complete.
    static func remove(in folder: URL) {
        unlink(url(in: folder).path)
        unlink(folder.appendingPathComponent(BatchConverter.manifestName + ".partial").path)
    }

    /// Whether every file listed is in `folder` at its recorded size (the cheap check; the
    /// input's hash is compared by the caller).
    func filesArePresent(in folder: URL) -> Bool {
        files.allSatisfy { file in
            var info = stat()
            return lstat(folder.appendingPathComponent(file.path).path, &info) == 0
                && (info.st_mode & S_IFMT) == S_IFREG && Int64(info.st_size) == file.bytes
        }
    }

    /// The regular files under `folder`'s `formats` folders, relative to `folder`, sorted, hashed.
    static func files(in folder: URL, formats: [String], shouldStop: () -> Bool) throws -> [File]? {
        var files: [File] = []
        for format in formats {
            let formatFolder = folder.appendingPathComponent(format, isDirectory: true)
            guard let enumerator = FileManager.default.enumerator(atPath: formatFolder.path) else { continue }
            while let relative = enumerator.nextObject() as? String {
                let url = formatFolder.appendingPathComponent(relative)
                var info = stat()
                guard lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                guard let digest = try SHA256.hash(fileAt: url, shouldStop: shouldStop) else { return nil }
                files.append(File(path: format + "/" + relative, bytes: Int64(info.st_size), sha256: digest))
            }
        }
        return files.sorted { $0.path < $1.path }
    }
}
