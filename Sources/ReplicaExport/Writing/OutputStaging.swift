import Foundation

/// Temporary outputs beside their targets: each output group is written inside a hidden directory
/// `.<name>.partial-<random>` in the output directory and its contents renamed into place only at
/// `commit()`. `abort()` removes every temporary. Nothing that looks complete exists before commit.
///
/// Each group directory holds a lock file locked (`flock`) for as long as its run lives; the kernel
/// drops the lock when the process dies, even by SIGKILL. A later run into the same directory
/// removes every group whose lock it can take, so what a killed run left behind is cleaned by the
/// next one, while the groups of a run still writing there are left alone.
final class OutputStaging {
    let outputDirectory: URL
    let overwrite: Bool
    private struct Group {
        var directory: URL
        /// Final names that belong to this output and are replaced (with overwrite) even if not rewritten.
        var obsolete: [String]
        /// Holds the group's lock until the group is committed or removed.
        var lock: FileLock?
    }
    private var groups: [Group] = []
    private let fileManager = FileManager.default

    init(outputDirectory: URL, overwrite: Bool) {
        self.outputDirectory = outputDirectory
        self.overwrite = overwrite
    }

    func finalURL(_ name: String) -> URL { outputDirectory.appendingPathComponent(name) }

    /// Throws `.outputExists` when one of `names` exists in the output directory and overwrite is off.
    func checkAvailable(_ names: [String], at location: ErrorLocation) throws {
        guard !overwrite else { return }
        for name in names where fileManager.fileExists(atPath: finalURL(name).path) {
            throw ReplicaExportError(.outputExists, "'\(finalURL(name).path)' already exists; allow overwriting to replace it",
                               at: location)
        }
    }

    /// A new hidden directory for one output group, locked for this run's lifetime. Groups that
    /// runs killed earlier left in the output directory are removed first.
    func makeGroup(label: String, obsolete: [String] = [], at location: ErrorLocation) throws -> URL {
        Self.removeAbandonedGroups(in: outputDirectory)
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let dir = outputDirectory.appendingPathComponent(".\(label)\(Self.groupMarker)\(random)")
        do {
            try fileManager.createDirectory(at: dir, withIntermediateDirectories: false)
        } catch {
            throw ReplicaExportError.fileSystem(error, doing: "creating the temporary output", path: dir.path, at: location)
        }
        // A file system without flock leaves the group unlocked; no sweeper can take its lock
        // either, so it is never removed under a live run (only not cleaned after a dead one).
        let lock = try? FileLock(lockingFileAt: dir.appendingPathComponent(Self.lockFileName))
        groups.append(Group(directory: dir, obsolete: obsolete, lock: lock))
        return dir
    }

    /// What marks a group directory's name: `.<label>.partial-<random>`.
    static let groupMarker = ".partial-"
    /// The lock file inside each group directory; never moved into place.
    static let lockFileName = ".replica-export.lock"
    /// A group without a lock file (its run died between creating the directory and the lock, or an
    /// older version made it) counts as abandoned once it is this old.
    static let unlockedGroupGrace: TimeInterval = 600

    /// Removes the group directories in `directory` whose run is gone: those whose lock can be
    /// taken, and those without a lock file older than ``unlockedGroupGrace``. Best effort: what
    /// cannot be removed is left for a later run.
    static func removeAbandonedGroups(in directory: URL) {
        let fileManager = FileManager.default
        guard let names = try? fileManager.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix(".") && name.contains(groupMarker) {
            let group = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: group.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            let lockFile = group.appendingPathComponent(lockFileName)
            if fileManager.fileExists(atPath: lockFile.path) {
                // Taking the lock proves its run is gone; hold it while removing so that no
                // other sweeper races us.
                guard let lock = try? FileLock(lockingFileAt: lockFile, wait: false) else { continue }
                try? fileManager.removeItem(at: group)
                _ = lock
            } else if let modified = (try? fileManager.attributesOfItem(atPath: group.path))?[.modificationDate] as? Date,
                      Date().timeIntervalSince(modified) > unlockedGroupGrace {
                try? fileManager.removeItem(at: group)
            }
        }
    }

    /// Renames every staged item into place (replacing old outputs when overwrite is on).
    ///
    /// Signals cannot split this: the command line handles SIGINT and SIGTERM by setting the
    /// export's cancellation flag, which is checked before the commit begins and never during it,
    /// so once the renames start they all finish and every format is committed. Only a process
    /// killed outright (SIGKILL, power loss) can stop between two renames; it leaves the
    /// `.<format>.partial-*` directory of what was not yet moved, hidden, never under a final name.
    func commit() throws {
        try requireSpaceLeft()
        // First check everything, then move: an existing target fails before anything moves.
        var moves: [(from: URL, to: URL)] = []
        for group in groups {
            let items = (try? fileManager.contentsOfDirectory(atPath: group.directory.path)) ?? []
            for item in items.sorted() where item != Self.lockFileName {
                let target = finalURL(item)
                if fileManager.fileExists(atPath: target.path) && !overwrite {
                    throw ReplicaExportError(.outputExists, "'\(target.path)' already exists; allow overwriting to replace it")
                }
                moves.append((group.directory.appendingPathComponent(item), target))
            }
        }
        do {
            if overwrite {
                for group in groups {
                    for name in group.obsolete where fileManager.fileExists(atPath: finalURL(name).path) {
                        try fileManager.removeItem(at: finalURL(name))
                    }
                }
            }
            for move in moves {
                if overwrite && fileManager.fileExists(atPath: move.to.path) {
                    try fileManager.removeItem(at: move.to)
                }
                try fileManager.moveItem(at: move.from, to: move.to)
            }
            for group in groups { try? fileManager.removeItem(at: group.directory) }
            groups.removeAll()
        } catch let error as ReplicaExportError {
            throw error
        } catch {
            throw ReplicaExportError.fileSystem(error, doing: "moving outputs into place in", path: outputDirectory.path,
                                                at: ErrorLocation(output: outputDirectory.path))
        }
    }

    /// GDAL's GeoJSON (and other text) writers ignore a failed write when they close the file, so
    /// a full disk leaves a file cut short and no error. A file system with no space left after
    /// writing is taken as that failure: the outputs are refused rather than committed truncated.
    /// (root may write into the reserved blocks, so for root only a file system with no free block
    /// at all counts.)
    private func requireSpaceLeft() throws {
        var info = statvfs()
        guard statvfs(outputDirectory.path, &info) == 0 else { return }
        let full = info.f_bavail == 0 && (getuid() != 0 || info.f_bfree == 0)
        if full {
            throw ReplicaExportError(.fileSystem,
                "the disk holding the output directory is full, so a written file may be cut short; free space and run again",
                at: ErrorLocation(output: outputDirectory.path), cause: FileSystemCause(errno: ENOSPC))
        }
    }

    func abort() {
        for group in groups { try? fileManager.removeItem(at: group.directory) }
        groups.removeAll()
    }
}

/// An exclusive `flock(2)` on a file, held until this value is released. The kernel releases it
/// when the process ends in any way, which is what lets a later run tell a dead run's temporaries
/// from a live one's.
final class FileLock {
    private let descriptor: Int32

    /// Opens (creating) the file at `url` and locks it: `open(2)` then `flock(LOCK_EX)`, with
    /// `LOCK_NB` unless `wait`. Throws the errno (EWOULDBLOCK when another process holds it).
    init(lockingFileAt url: URL, wait: Bool = false) throws {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemCause(errno: errno) }
        guard flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0 else {
            let code = errno
            close(fd)
            throw FileSystemCause(errno: code)
        }
        descriptor = fd
    }

    /// Locks the directory at `url` itself, waiting for whoever holds it: `open(2)` with
    /// `O_DIRECTORY` then `flock(LOCK_EX)`. Nothing is created in the directory.
    init(lockingDirectoryAt url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemCause(errno: errno) }
        while flock(fd, LOCK_EX) != 0 {
            let code = errno
            guard code == EINTR else {
                close(fd)
                throw FileSystemCause(errno: code)
            }
        }
        descriptor = fd
    }

    deinit { close(descriptor) }
}

/// File-system safe names, unique per writer.
struct OutputNames {
    private var used: Set<String> = []

    /// The layer's name made safe for file names (path separators, control and reserved characters
    /// become `_`, no leading dot), unique among the names handed out (case-insensitively).
    mutating func name(for layer: LayerSchema) -> String {
        var name = Self.sanitize(layer.name)
        if name.isEmpty { name = "layer_\(layer.id)" }
        if used.contains(name.lowercased()) { name += "_\(layer.id)" }
        var candidate = name, n = 2
        while used.contains(candidate.lowercased()) { candidate = "\(name)_\(n)"; n += 1 }
        used.insert(candidate.lowercased())
        return candidate
    }

    /// `wanted`, or `wanted_2`, `wanted_3`, ... where a name handed out already takes it: a layer
    /// a writer adds to a dataset besides the replica's own (``name(for:)`` then avoids it too).
    mutating func name(_ wanted: String) -> String {
        var candidate = wanted, n = 2
        while used.contains(candidate.lowercased()) { candidate = "\(wanted)_\(n)"; n += 1 }
        used.insert(candidate.lowercased())
        return candidate
    }

    /// The file (or folder) of a format that holds the whole replica: `<replica>.<ext>`, the name
    /// made safe (``sanitize(_:)``), `replica` when nothing is left, an `.<ext>` it already ends
    /// with not repeated.
    static func datasetFileName(replicaName: String, extension ext: String) -> String {
        var base = sanitize(replicaName)
        if base.isEmpty { base = "replica" }
        if base.lowercased().hasSuffix(".\(ext)") { base = String(base.dropLast(ext.count + 1)) }
        return "\(base).\(ext)"
    }

    static func sanitize(_ raw: String) -> String {
        let reserved: Set<Character> = ["/", "\\", ":", "*", "?", "\"", "<", ">", "|"]
        var out = String(raw.map { c -> Character in
            if reserved.contains(c) || c.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                return "_"
            }
            return c
        })
        while out.hasPrefix(".") { out.removeFirst() }
        out = out.trimmingCharacters(in: .whitespaces)
        if out.utf8.count > 200 { out = ValueText.truncated(out, maxBytes: 200) ?? out }
        return out
    }
}

extension LayerSchema {
    /// Whether a geometry of `type` is of another type than the layer's (an envelope layer's
    /// geometries are polygons), and so goes to `<layer>_<type>s` in a format that holds one
    /// geometry type per layer.
    func isOtherGeometryType(_ type: GeometryType) -> Bool {
        type != geometryType && !(geometryType == .envelope && type == .polygon)
    }
}

/// The layers a writer adds for features of other geometry types than their layer's, in a format
/// whose layers are named in the file and known by id (the feature collection, the mobile
/// geodatabase's GDB_ServiceItems): `<layer>_<type>s`, unique among the replica's layer names, with
/// an id beyond every layer's.
struct SplitLayerSchemas {
    private var names = OutputNames()
    private var nextID: Int

    init(replica: Replica) {
        for layer in replica.layers { _ = names.name(layer.name) }
        nextID = (replica.layers.map(\.id).max() ?? -1) + 1
    }

    /// The schema of the layer holding `layer`'s features of `type`: its fields, with that type,
    /// its own name and id, and no relationship classes (they name the layer's own id).
    mutating func schema(splitting layer: LayerSchema, into type: GeometryType) -> LayerSchema {
        var schema = layer
        schema.name = names.name("\(layer.name)_\(type.fileSuffix)")
        schema.id = nextID
        nextID += 1
        schema.geometryType = type
        schema.relationships = []
        return schema
    }
}
