import Foundation

/// Opens replica payloads, choosing the reader by the file's content, never by its extension.
public enum ReplicaSources {
    /// The payload formats this library reads.
    public enum PayloadFormat: String, Sendable {
        /// createReplica `dataFormat=json`, a feature-service query page, or a layer resource.
        case esriJSON
        /// createReplica `dataFormat=sqlite`: a mobile geodatabase.
        case mobileGeodatabase
    }

    /// Sniffs the first bytes of `url`.
    public static func detectFormat(of url: URL) throws -> PayloadFormat {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReplicaExportError(.fileNotFound, "no such file; check the path",
                               at: ErrorLocation(input: path))
        }
        guard !isDirectory.boolValue else {
            throw ReplicaExportError(.unreadable, "is a directory, not a replica payload; give a .json or .geodatabase file (the batch converter takes directories)",
                               at: ErrorLocation(input: path))
        }
        try requireRegularFile(url, role: "replica payload")
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReplicaExportError(.unreadable, "cannot be opened for reading; check its permissions",
                               at: ErrorLocation(input: path))
        }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
        if head.isEmpty {
            throw ReplicaExportError(.truncated, "the file is empty; the download may have failed",
                               at: ErrorLocation(input: path, byteOffset: 0))
        }
        if head.starts(with: Array("SQLite format 3\0".utf8)) { return .mobileGeodatabase }
        var index = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while index < head.count, [0x20, 0x09, 0x0A, 0x0D].contains(head[index]) { index += 1 }
        if index < head.count, head[index] == UInt8(ascii: "{") { return .esriJSON }
        if index == head.count {
            throw ReplicaExportError(.truncated, "the file holds only white space", at: ErrorLocation(input: path, byteOffset: index))
        }
        throw ReplicaExportError(.unknownFormat,
                           "neither an Esri JSON replica payload (a JSON object) nor a mobile geodatabase (an SQLite file); give the output of createReplica with dataFormat json or sqlite",
                           at: ErrorLocation(input: path, byteOffset: index))
    }

    /// Refuses, before anything opens it, a FIFO, socket or device: opening a FIFO blocks until a
    /// writer appears, and a device never ends. Directories and missing files are left to the caller.
    static func requireRegularFile(_ url: URL, role: String) throws {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return }
        let type = info.st_mode & S_IFMT
        guard type != S_IFREG && type != S_IFDIR else { return }
        let kind: String
        switch type {
        case S_IFIFO: kind = "a FIFO (named pipe)"
        case S_IFCHR, S_IFBLK: kind = "a device"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        throw ReplicaExportError(.unreadable, "is \(kind), not a \(role) file; save the data to a regular file and give that",
                                 at: ErrorLocation(input: url.path))
    }

    /// Opens `url` with the reader its content calls for.
    /// - Parameter schemaURL: layer resources for an Esri JSON payload (ignored for geodatabases,
    ///   which carry their own schema).
    public static func open(_ url: URL, schemaURL: URL? = nil) throws -> any ReplicaSource {
        if let schemaURL { try requireRegularFile(schemaURL, role: "schema") }
        switch try detectFormat(of: url) {
        case .esriJSON:
            return try EsriJSONReplicaSource(url: url, schemaURL: schemaURL)
        case .mobileGeodatabase:
            return try MobileGeodatabaseSource(url: url)
        }
    }
}
