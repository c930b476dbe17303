import Foundation

/// Attachments beside a format that cannot hold them (shapefile, CSV, GeoJSON): the bytes as files
/// in `attachments/<layer>/`, and `attachments/<layer>.csv` indexing them (attachment id, parent
/// GlobalID, parent OBJECTID, original name, content type, size, SHA-256, the file's path relative
/// to the format's folder, or the URL of an attachment known only by URL: nothing is fetched).
/// A format that references its attachments by URL from its own document (Esri JSON) has the files
/// written the same way, without the index.
///
/// Everything goes into one staged `attachments` folder, renamed into place at commit with the
/// format's other outputs, or into a folder of a format's zip package (KMZ's `files/`), packed
/// with it. Bytes are written as they come, one attachment at a time.
final class AttachmentSidecar {
    static let folder = "attachments"

    /// Where the root folder goes: a staging group of its own, or a given directory.
    private let staging: OutputStaging?
    /// The root folder's name, the first component of the paths in the indexes.
    let folder: String
    /// Whether `<folder>/<layer>.csv` indexes the files.
    private let writesIndex: Bool
    private var root: URL?
    private let fixedRoot: URL?
    private var layer: (base: String, index: FileHandle?, directory: URL, names: AttachmentNames)?
    /// Of the open layer: attachments written as files, and listed by URL only.
    private var written = 0
    private var byURL = 0

    /// Attachments in a staged `attachments` folder beside the format's files; `writesIndex`:
    /// whether `attachments/<layer>.csv` indexes them (a format whose document references its
    /// attachment files itself needs no index).
    init(staging: OutputStaging, writesIndex: Bool = true) {
        self.staging = staging
        self.writesIndex = writesIndex
        folder = Self.folder
        fixedRoot = nil
    }

    /// Attachments in `root` (created when the first comes), named `folder` in the indexes.
    init(root: URL, folder: String) {
        staging = nil
        writesIndex = true
        self.folder = folder
        fixedRoot = root
    }

    /// Writes one attachment of the layer whose files are `layerBaseName`'s, starting that layer's
    /// files on its first attachment; returns the file's path relative to the format's folder, nil
    /// for an attachment known only by URL.
    @discardableResult
    func write(_ attachment: Attachment, parentObjectID: Int64?, layerBaseName: String, at location: ErrorLocation) throws -> String? {
        if layer == nil { try begin(layerBaseName: layerBaseName, at: location) }
        return try write(attachment, parentObjectID: parentObjectID, at: location)
    }

    /// Ends the open layer's files, if attachments of it were written: what went where, as the
    /// writer reports it (attachments written; those known only by URL, listed). `package`: the
    /// file the folder is packed into, when it is (a KMZ).
    func endLayer(at location: ErrorLocation, insidePackage package: String? = nil) throws -> [Diagnostic] {
        guard layer != nil else { return [] }
        let counts = try end()
        let inside = package.map { " inside \($0)" } ?? ""
        let place = writesIndex ? "\(counts.folder)/, indexed in \(counts.folder).csv\(inside)" : "\(counts.folder)/\(inside)"
        var diagnostics = [Diagnostic(.attachmentsWritten, "\(counts.written) attachment(s) written to \(place)",
                                      at: location, count: counts.written, severity: .info)]
        if counts.byURL > 0 {
            let listed = writesIndex ? "are listed in \(counts.folder).csv with their URL" : "keep their URL"
            diagnostics.append(Diagnostic(.attachmentsByURL,
                                          "\(counts.byURL) attachment(s) known only by URL \(listed) (nothing is fetched)",
                                          at: location, count: counts.byURL))
        }
        return diagnostics
    }

    /// Starts the files of one layer (its folder and its index).
    func begin(layerBaseName base: String, at location: ErrorLocation) throws {
        let root = try rootFolder(at: location)
        let directory = root.appendingPathComponent(base, isDirectory: true)
        let indexURL = root.appendingPathComponent("\(base).csv")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var handle: FileHandle?
            if writesIndex {
                guard FileManager.default.createFile(atPath: indexURL.path, contents: nil) else {
                    throw CocoaError(.fileWriteUnknown)
                }
                handle = try FileHandle(forWritingTo: indexURL)
                try handle?.write(contentsOf: Data("attachment_id,parent_globalid,parent_objectid,name,content_type,size,sha256,file_or_url\n".utf8))
            }
            layer = (base, handle, directory, AttachmentNames())
        } catch {
            throw Self.fileError("cannot start the attachment folder of the layer", error, at: location)
        }
    }

    /// Writes one attachment's bytes and its index row. `parentObjectID` is the parent's ObjectID
    /// when known. Returns the file's path relative to the format's folder, nil for an attachment
    /// known only by URL.
    @discardableResult
    func write(_ attachment: Attachment, parentObjectID: Int64?, at location: ErrorLocation) throws -> String? {
        guard let layer else { throw ReplicaExportError(.invalidState, "attachment written outside a layer") }
        var sha = "", fileOrURL = attachment.url ?? ""
        var size = attachment.size.map(String.init) ?? ""
        if let data = attachment.data {
            let name = self.layer!.names.unique(for: attachment)
            let url = layer.directory.appendingPathComponent(name)
            var hasher = SHA256()
            do {
                guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
                let handle = try FileHandle(forWritingTo: url)
                defer { try? handle.close() }
                try data.withUnsafeBytes { bytes in
                    hasher.update(bytes)
                    // The bytes are written from the attachment's own buffer, not copied.
                    if let base = bytes.baseAddress, bytes.count > 0 {
                        try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base),
                                                          count: bytes.count, deallocator: .none))
                    }
                }
            } catch {
                throw Self.fileError("cannot write attachment \(attachment.attachmentId)", error, at: location)
            }
            sha = hasher.finalize().hex
            size = String(data.count)
            fileOrURL = "\(folder)/\(layer.base)/\(name)"
            written += 1
        } else {
            byURL += 1
        }
        if let index = layer.index {
            let row = [String(attachment.attachmentId), attachment.parentGlobalId ?? "", parentObjectID.map(String.init) ?? "",
                       attachment.name, attachment.contentType ?? "", size, sha, fileOrURL].map(Self.csvField)
            do {
                try index.write(contentsOf: Data((row.joined(separator: ",") + "\n").utf8))
            } catch {
                throw Self.fileError("cannot write the attachment index", error, at: location)
            }
        }
        return attachment.data == nil ? nil : fileOrURL
    }

    /// Closes the layer's index; returns how many attachments were written as files and listed by URL.
    @discardableResult
    func end() throws -> (written: Int, byURL: Int, folder: String) {
        guard let layer else { return (0, 0, "") }
        self.layer = nil
        defer { written = 0; byURL = 0 }
        try layer.index?.close()
        return (written, byURL, "\(folder)/\(layer.base)")
    }

    private func rootFolder(at location: ErrorLocation) throws -> URL {
        if let root { return root }
        let root: URL
        if let fixedRoot {
            root = fixedRoot
        } else if let staging {
            try staging.checkAvailable([folder], at: location)
            root = try staging.makeGroup(label: folder, at: location).appendingPathComponent(folder, isDirectory: true)
        } else {
            throw ReplicaExportError(.invalidState, "an attachment folder without a place", at: location)
        }
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: false)
        } catch {
            throw Self.fileError("cannot create the attachment folder", error, at: location)
        }
        self.root = root
        return root
    }

    private static func fileError(_ what: String, _ error: any Error, at location: ErrorLocation) -> ReplicaExportError {
        ReplicaExportError(.fileSystem, "\(what): \(error.localizedDescription); check the disk and permissions",
                           at: location, cause: error as NSError)
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

/// File names for attachments that never leave their folder: no path component survives (`../../x`,
/// `/etc/x`, `C:\x`), no NUL or control characters, no leading dot; an empty or unusable name
/// becomes `attachment_<id>`; repeated names get `_<id>` before their extension. The original name
/// stays in the index.
struct AttachmentNames {
    private var used: Set<String> = []

    static func safe(_ name: String, id: Int64) -> String {
        // The last component after either separator: a Windows path is as dangerous as a Unix one.
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var cleaned = String(last.unicodeScalars.filter { scalar in
            scalar.value >= 0x20 && scalar.value != 0x7F && !":*?\"<>|".unicodeScalars.contains(scalar)
        }.map(Character.init))
        while cleaned.hasPrefix(".") { cleaned.removeFirst() }
        cleaned = cleaned.trimmingCharacters(in: .whitespaces)
        if cleaned.utf8.count > 200 { cleaned = ValueText.truncated(cleaned, maxBytes: 200) ?? cleaned }
        return cleaned.isEmpty ? "attachment_\(id)" : cleaned
    }

    /// A safe name for `attachment`, distinct from every name handed out before (case-insensitively).
    mutating func unique(for attachment: Attachment) -> String {
        var name = Self.safe(attachment.name, id: attachment.attachmentId)
        if used.contains(name.lowercased()) {
            let ext = (name as NSString).pathExtension
            let stem = (name as NSString).deletingPathExtension
            name = "\(stem)_\(attachment.attachmentId)" + (ext.isEmpty ? "" : ".\(ext)")
            var n = 2
            let base = name
            while used.contains(name.lowercased()) {
                name = ((base as NSString).deletingPathExtension) + "_\(n)" + (ext.isEmpty ? "" : ".\(ext)")
                n += 1
            }
        }
        used.insert(name.lowercased())
        return name
    }
}

/// The ObjectIDs of the open layer's features by GlobalID, for attachments that name their parent
/// only by GlobalID: kept for layers that declare attachments (one entry per feature of such a
/// layer), so that an attachment's index row or table row can name its parent's ObjectID.
struct AttachmentParents {
    private var objectIDs: [String: Int64] = [:]

    /// Notes the GlobalID and ObjectID of each feature, when `layer` has attachments and both fields.
    mutating func note(_ features: [PreparedFeature], of layer: LayerSchema) {
        guard layer.hasAttachments, let gid = layer.globalIdField.flatMap(layer.fieldIndex(named:)),
              let oid = layer.objectIDFieldIndex else { return }
        for feature in features {
            if case .guid(let g) = feature.attributes[gid], let id = feature.attributes[oid].integerValue {
                objectIDs[ValueText.guidKey(g)] = id
            }
        }
    }

    /// The parent's ObjectID: as the attachment gives it, else by its parent GlobalID.
    func objectID(of attachment: Attachment) -> Int64? {
        attachment.parentObjectId ?? attachment.parentGlobalId.flatMap { objectIDs[ValueText.guidKey($0)] }
    }

    /// Forgets the layer's features (at its end).
    mutating func removeAll() { objectIDs = [:] }
}
