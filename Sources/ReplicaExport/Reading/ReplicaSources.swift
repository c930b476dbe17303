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

    /// Opens `url` with the reader its content calls for.
    /// - Parameter schemaURL: layer resources for an Esri JSON payload (ignored for geodatabases,
    ///   which carry their own schema).
    public static func open(_ url: URL, schemaURL: URL? = nil) throws -> any ReplicaSource {
        switch try detectFormat(of: url) {
        case .esriJSON:
            return try EsriJSONReplicaSource(url: url, schemaURL: schemaURL)
        case .mobileGeodatabase:
            return try MobileGeodatabaseSource(url: url)
        }
    }
}
