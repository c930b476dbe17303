import Foundation

/// What a batch wrote for one input, kept beside the outputs (`<output folder>/.replica-export-manifest.json`):
/// from which input and schema (by SHA-256), with which settings, every file written (path, size,
/// SHA-256), and the counts the report shows. Written last, atomically, after every output is in
/// place: a folder with a manifest is complete. ``BatchOptions/resume`` skips an input whose
/// manifest matches the input, schema and settings and whose files are all there at their sizes.
public struct BatchManifest: Sendable, Codable, Equatable {
    /// The ``version`` this library writes; a manifest of another version never lets an input be skipped.
    public static let currentVersion = 1

    /// One file written for the input.
    public struct File: Sendable, Codable, Equatable {
        /// Relative to the output folder (`filegdb/x.gdb/a00000001.gdbtable`).
        public var path: String
        /// Its size in bytes.
        public var bytes: Int64
        /// Its SHA-256.
        public var sha256: SHA256.Digest
    }

    /// The manifest format's version (``currentVersion`` when written).
    public var version: Int
    /// The input, relative to the input directory.
    public var input: String
    /// The input's size in bytes (of every page, for pages merged).
    public var inputBytes: Int64
    /// The input's SHA-256 (for pages merged, see ``pages``).
    public var inputSHA256: SHA256.Digest
    /// The schema used, relative to the input directory.
    public var schema: String?
    /// The schema's SHA-256; nil without a schema.
    public var schemaSHA256: SHA256.Digest?
    /// The settings the outputs were written with (``BatchSettings/mergePages`` left nil).
    public var settings: BatchSettings
    /// Every file written, sorted by path.
    public var files: [File]
    // What the report shows for the input, so that a resumed run reports it in full.
    /// Layers and tables written.
    public var layers: Int
    /// Features read from the input, all layers.
    public var featuresRead: Int
    /// Features written, per format.
    public var features: [String: Int]
    /// The loss diagnostics of the export (``Diagnostic/Severity/loss``).
    public var losses: [Diagnostic]
    /// How many other diagnostics the export raised.
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
