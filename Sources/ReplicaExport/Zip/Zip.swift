import CZip
import Foundation

/// The only code that touches libzip. A zip archive being written: files are added by path and
/// streamed from disk by libzip when the archive is closed, never read into memory here.
final class ZipArchive {
    private var handle: OpaquePointer?
    let path: String

    /// Creates (or truncates) the archive at `path` with `zip_open(ZIP_CREATE | ZIP_TRUNCATE)`.
    init(creating path: String) throws {
        self.path = path
        var code: Int32 = 0
        guard let handle = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code) else {
            throw ReplicaExportError(.fileSystem, "cannot create the zip archive: \(zipErrorText(code))", at: ErrorLocation(output: path))
        }
        self.handle = handle
    }

    /// Discards an archive that was not closed (`zip_discard`): nothing is written.
    deinit { if let handle { zip_discard(handle) } }

    /// Adds the file at `file` as `name` (a `/`-separated path inside the archive), with
    /// `zip_source_file_create` and `zip_file_add`; its bytes are read when the archive closes,
    /// deflated at `compressionLevel` (1 fastest to 9 smallest; nil: libzip's default, 9).
    func addFile(at file: URL, as name: String, compressionLevel: Int? = nil) throws {
        guard let handle else { throw closedError() }
        var error = zip_error_t()
        zip_error_init(&error)
        defer { zip_error_fini(&error) }
        guard let source = zip_source_file_create(file.path, 0, -1, &error) else {
            throw ReplicaExportError(.fileSystem, "cannot add \(name) to the zip archive: \(String(cString: zip_error_strerror(&error)))",
                                     at: ErrorLocation(output: path))
        }
        let index = zip_file_add(handle, name, source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE)
        if index < 0 {
            zip_source_free(source)
            throw archiveError("cannot add \(name) to the zip archive")
        }
        if let compressionLevel,
           zip_set_file_compression(handle, zip_uint64_t(index), ZIP_CM_DEFLATE, zip_uint32_t(compressionLevel)) < 0 {
            throw archiveError("cannot set the compression of \(name) in the zip archive")
        }
    }

    /// Adds a directory entry `name/` (`zip_dir_add`), as ArcGIS's file geodatabase zips have.
    func addDirectory(_ name: String) throws {
        guard let handle else { throw closedError() }
        if zip_dir_add(handle, name, ZIP_FL_ENC_UTF_8) < 0 { throw archiveError("cannot add the folder \(name) to the zip archive") }
    }

    /// Writes the archive (`zip_close`): libzip streams every added file into it.
    func close() throws {
        guard let handle else { throw closedError() }
        if zip_close(handle) < 0 {
            let error = archiveError("cannot write the zip archive")
            zip_discard(handle)
            self.handle = nil
            throw error
        }
        self.handle = nil
    }

    private func archiveError(_ what: String) -> ReplicaExportError {
        let message = handle.flatMap { zip_strerror($0) }.map { String(cString: $0) } ?? "unknown libzip error"
        return ReplicaExportError(.fileSystem, "\(what): \(message)", at: ErrorLocation(output: path))
    }

    private func closedError() -> ReplicaExportError {
        ReplicaExportError(.invalidState, "the zip archive is already closed", at: ErrorLocation(output: path))
    }

    /// Adds the contents of `directory` (recursively, entries relative to it, sorted, under
    /// `prefix` when given): folders as folder entries, files streamed at close.
    func addDirectoryContents(_ directory: URL, prefix: String = "") throws {
        let base = directory.standardizedFileURL.path
        var entries: [(url: URL, name: String, isDirectory: Bool)] = []
        if let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isDirectoryKey]) {
            for case let url as URL in enumerator {
                let isDirectory = (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) ?? false
                var relative = String(url.standardizedFileURL.path.dropFirst(base.count))
                while relative.hasPrefix("/") { relative.removeFirst() }
                entries.append((url, prefix + relative, isDirectory))
            }
        }
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            if entry.isDirectory { try addDirectory(entry.name) } else { try addFile(at: entry.url, as: entry.name) }
        }
    }

    /// Zips the contents of `directory` (recursively, entries relative to it, sorted, under
    /// `prefix` when given) into `destination`: written under a temporary name beside it and
    /// renamed when complete, so that no partial archive ever carries the final name.
    static func zipDirectory(_ directory: URL, to destination: URL, prefix: String = "") throws {
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).partial")
        do {
            let archive = try ZipArchive(creating: temporary.path)
            try archive.addDirectoryContents(directory, prefix: prefix)
            try archive.close()
            if FileManager.default.fileExists(atPath: destination.path) { try FileManager.default.removeItem(at: destination) }
            try FileManager.default.moveItem(at: temporary, to: destination)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? ReplicaExportError { throw error }
            throw ReplicaExportError(.fileSystem, "cannot write the zip archive", at: ErrorLocation(output: destination.path),
                                     cause: error as NSError)
        }
    }
}

/// A zip archive being read (`zip_open` read-only): what verify reads inside a package (a KMZ's
/// attachments).
final class ZipReader {
    private var handle: OpaquePointer?
    let path: String

    /// Opens the archive at `path` read-only (`zip_open(ZIP_RDONLY)`).
    init(path: String) throws {
        self.path = path
        var code: Int32 = 0
        guard let handle = zip_open(path, ZIP_RDONLY, &code) else {
            throw ReplicaExportError(.unreadable, "cannot open the zip archive: \(zipErrorText(code))", at: ErrorLocation(input: path))
        }
        self.handle = handle
    }

    deinit { if let handle { zip_discard(handle) } }

    /// The bytes of the entry `name`; nil when the archive has none.
    func contents(of name: String) throws -> [UInt8]? {
        var stat = zip_stat_t()
        zip_stat_init(&stat)
        guard zip_stat(handle, name, 0, &stat) == 0, let file = zip_fopen(handle, name, 0) else { return nil }
        defer { zip_fclose(file) }
        var bytes = [UInt8](repeating: 0, count: Int(stat.size))
        var done = 0
        while done < bytes.count {
            let read = bytes.withUnsafeMutableBytes { zip_fread(file, $0.baseAddress! + done, zip_uint64_t($0.count - done)) }
            guard read > 0 else {
                throw ReplicaExportError(.unreadable, "cannot read \(name) in the zip archive", at: ErrorLocation(input: path))
            }
            done += Int(read)
        }
        return bytes
    }
}

/// libzip's text for an error code `zip_open` gave.
private func zipErrorText(_ code: Int32) -> String {
    var error = zip_error_t()
    zip_error_init_with_code(&error, code)
    defer { zip_error_fini(&error) }
    return String(cString: zip_error_strerror(&error))
}
