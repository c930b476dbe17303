import Foundation

extension ReplicaSources.PayloadFormat: Codable {}

/// A payload found in a batch's input tree.
public struct BatchInput: Sendable, Codable, Equatable {
    /// Relative to the input directory, `/`-separated.
    public var path: String
    /// The payload format, told by content.
    public var format: ReplicaSources.PayloadFormat
    /// The layer resources beside an Esri JSON payload (`<stem>.layers.json`), relative; nil when none.
    public var schema: String?
    /// The input's output folder, relative to the output directory: the relative path without its
    /// extension (with it, when two inputs would otherwise share a folder).
    public var output: String
    /// Size of the input in bytes (of every page, for pages merged).
    public var bytes: Int64
    /// With ``BatchOptions/mergePages``, the FeatureSet pages merged into this input, relative, in
    /// page order; ``path`` is then `<relative folder>/<stem>`, the group's name, not a file. nil for
    /// an input of one file.
    public var pages: [String]?

    /// An input as ``BatchConverter/plan()`` finds it; all paths relative, `/`-separated.
    public init(path: String, format: ReplicaSources.PayloadFormat, schema: String? = nil, output: String,
                bytes: Int64, pages: [String]? = nil) {
        self.path = path
        self.format = format
        self.schema = schema
        self.output = output
        self.bytes = bytes
        self.pages = pages
    }

    /// The files read for this input, relative: the pages, or the input itself.
    public var files: [String] { pages ?? [path] }
}

/// A file of the input tree that is not converted, and why.
public struct BatchSkippedFile: Sendable, Codable, Equatable {
    /// Why a file is not converted.
    public enum Reason: String, Sendable, Codable {
        /// Layer resources: the schema of a payload (`<stem>.layers.json`), or a lone one.
        case schema
        /// Content that is not a replica payload (text, images, GeoJSON, other JSON, ...).
        case notAPayload
        /// An empty file, or one holding only white space.
        case empty
        /// A symbolic link leading out of the input directory, or to a directory (never followed).
        case symbolicLink
        /// A FIFO, socket or device.
        case notARegularFile
        /// A file or folder that cannot be read.
        case unreadable
    }

    /// Relative to the input directory.
    public var path: String
    /// Why it is not converted.
    public var reason: Reason
    /// In words: whose schema, what the content looked like, where the link leads.
    public var detail: String
}

/// What a batch finds in its input tree: the payloads it converts and every other file.
public struct BatchPlan: Sendable {
    /// Sorted by path.
    public var inputs: [BatchInput]
    /// Sorted by path.
    public var skipped: [BatchSkippedFile]
}

/// Walks an input tree and tells payloads from everything else by content.
enum BatchDiscovery {
    /// Finds the payloads under `root` (recursively, never following a symbolic link out of `root`
    /// or into a directory), and gives each an output folder. `excluding` (the output directory,
    /// when it lies inside the tree) is not entered.
    static func plan(root: URL, excluding excluded: URL?, formatNames: [String], mergePages: Bool = false) throws -> BatchPlan {
        let rootPath = try realPath(root.path, what: "the input directory")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: rootPath, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReplicaExportError(.invalidOption, "the input directory is not a directory; give the folder that holds the payloads",
                                     at: ErrorLocation(input: root.path))
        }
        let excludedPath = excluded.flatMap { try? realPath($0.path, what: "") }

        var files: [(path: String, classification: Classification, bytes: Int64)] = []
        var skipped: [BatchSkippedFile] = []
        walk(rootPath, relative: "", rootPath: rootPath, excluded: excludedPath, files: &files, skipped: &skipped)

        // A `<stem>.layers.json` beside an Esri JSON payload is that payload's schema, whatever it holds
        // (the exporter reads it as such).
        let byPath = Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        var schemaOf: [String: String] = [:]  // schema path -> payload path
        for file in files {
            guard case .payload(.esriJSON, _) = file.classification else { continue }
            let schema = schemaPath(for: file.path)
            if schema != file.path, byPath[schema] != nil, schemaOf[schema] == nil { schemaOf[schema] = file.path }
        }
        var inputs: [BatchInput] = []
        var featureSets = Set<String>()
        for file in files {
            if let payload = schemaOf[file.path] {
                skipped.append(BatchSkippedFile(path: file.path, reason: .schema, detail: "the schema of \(payload)"))
                continue
            }
            switch file.classification {
            case .payload(let format, let featureSet):
                if featureSet { featureSets.insert(file.path) }
                var schema: String?
                if format == .esriJSON {
                    let candidate = schemaPath(for: file.path)
                    if candidate != file.path, schemaOf[candidate] != nil { schema = candidate }
                }
                inputs.append(BatchInput(path: file.path, format: format, schema: schema, output: "", bytes: file.bytes))
            case .skip(let reason, let detail):
                skipped.append(BatchSkippedFile(path: file.path, reason: reason, detail: detail))
            }
        }
        if mergePages { mergePageGroups(&inputs, featureSets: featureSets, skipped: &skipped, present: Set(byPath.keys)) }
        inputs.sort { $0.path < $1.path }
        skipped.sort { $0.path < $1.path }
        assignOutputFolders(&inputs, formatNames: formatNames)
        return BatchPlan(inputs: inputs, skipped: skipped)
    }

    /// Replaces the FeatureSet pages of one layer (`<stem>-<n>.json` in one folder, at least two of
    /// them) by one input named `<folder>/<stem>`, its pages in numeric order; `<stem>.layers.json`
    /// beside them is the group's schema. A page that is a createReplica result, or a name shared
    /// with another payload (`<stem>` itself), is left alone.
    static func mergePageGroups(_ inputs: inout [BatchInput], featureSets: Set<String>, skipped: inout [BatchSkippedFile],
                                present: Set<String>) {
        var groups: [String: [(number: Int, index: Int)]] = [:]
        for (index, input) in inputs.enumerated() where input.format == .esriJSON && featureSets.contains(input.path) {
            let slash = input.path.lastIndex(of: "/")
            let name = slash.map { String(input.path[input.path.index(after: $0)...]) } ?? input.path
            guard let (stem, number) = PagedReplicaSource.pageName(name) else { continue }
            let folder = slash.map { String(input.path[..<$0]) + "/" } ?? ""
            groups[folder + stem, default: []].append((number, index))
        }
        let inputPaths = Set(inputs.map(\.path))
        var merged = Set<Int>()
        var added: [BatchInput] = []
        for (group, members) in groups where members.count >= 2 && !inputPaths.contains(group) {
            let ordered = members.sorted { $0.number < $1.number }
            let pages = ordered.map { inputs[$0.index].path }
            let schemaPath = group + ".layers.json"
            let schema = present.contains(schemaPath) ? schemaPath : nil
            if let schema, let at = skipped.firstIndex(where: { $0.path == schema }) {
                skipped[at] = BatchSkippedFile(path: schema, reason: .schema, detail: "the schema of the pages \(group)-*")
            }
            added.append(BatchInput(path: group, format: .esriJSON, schema: schema, output: "",
                                    bytes: ordered.reduce(0) { $0 + inputs[$1.index].bytes }, pages: pages))
            merged.formUnion(ordered.map(\.index))
        }
        inputs = inputs.enumerated().filter { !merged.contains($0.offset) }.map(\.element) + added
    }

    /// `<payload without its last extension>.layers.json`, as ``EsriJSONReplicaSource`` looks for it.
    static func schemaPath(for path: String) -> String {
        withoutExtension(path) + ".layers.json"
    }

    /// The path without the last extension of its last component (`a/b.c.json` -> `a/b.c`).
    static func withoutExtension(_ path: String) -> String {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let name = path[slash...]
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return path }
        return String(path[..<dot])
    }

    /// Output folders: the relative path without its extension. Inputs whose folders would be the
    /// same (`x.json` and `x.geodatabase`), or whose folder would lie inside another input's format
    /// folders (`a.json` beside a folder `a/filegdb/`), keep their extension; what still collides
    /// gets `~2`, `~3`, ... in path order. Decided over the whole tree, so every shard agrees.
    static func assignOutputFolders(_ inputs: inout [BatchInput], formatNames: [String]) {
        var useFullPath = Set<Int>()
        func folder(_ index: Int) -> String {
            // A group of pages is named without an extension already.
            useFullPath.contains(index) || inputs[index].pages != nil ? inputs[index].path : withoutExtension(inputs[index].path)
        }
        // Reserved names inside an output folder: the formats' folders and the batch's own files.
        let reserved = formatNames.map { $0.lowercased() } + [BatchConverter.manifestName, BatchConverter.stagingName]
        var changed = true
        while changed {
            changed = false
            var owners: [String: [Int]] = [:]
            for index in inputs.indices { owners[folder(index), default: []].append(index) }
            for (_, indices) in owners where indices.count > 1 {
                for index in indices where !useFullPath.contains(index) {
                    useFullPath.insert(index)
                    changed = true
                }
            }
            let folders = Set(inputs.indices.map(folder))
            for index in inputs.indices where !useFullPath.contains(index) {
                let mine = folder(index)
                let nested = reserved.contains { name in
                    let inside = mine.isEmpty ? name : mine + "/" + name
                    return folders.contains { $0 == inside || $0.hasPrefix(inside + "/") }
                }
                if nested {
                    useFullPath.insert(index)
                    changed = true
                }
            }
        }
        var taken = Set<String>()
        for index in inputs.indices {
            var name = folder(index)
            var n = 2
            while taken.contains(name) {
                name = folder(index) + "~\(n)"
                n += 1
            }
            taken.insert(name)
            inputs[index].output = name
        }
    }

    enum Classification {
        /// A payload; for Esri JSON, whether it is a FeatureSet (a query page) rather than a replica.
        case payload(ReplicaSources.PayloadFormat, featureSet: Bool)
        case skip(BatchSkippedFile.Reason, String)
    }

    private static func walk(_ directory: String, relative: String, rootPath: String, excluded: String?,
                             files: inout [(path: String, classification: Classification, bytes: Int64)],
                             skipped: inout [BatchSkippedFile]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            skipped.append(BatchSkippedFile(path: relative.isEmpty ? "." : relative, reason: .unreadable,
                                            detail: "the folder cannot be listed: \(error.localizedDescription)"))
            return
        }
        for name in names {
            let path = directory + "/" + name
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            if let excluded, path == excluded { continue }
            var info = stat()
            guard lstat(path, &info) == 0 else {
                skipped.append(BatchSkippedFile(path: relativePath, reason: .unreadable,
                                                detail: String(cString: strerror(errno))))
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                walk(path, relative: relativePath, rootPath: rootPath, excluded: excluded, files: &files, skipped: &skipped)
            case S_IFREG:
                files.append((relativePath, classify(path), Int64(info.st_size)))
            case S_IFLNK:
                guard let target = try? realPath(path, what: "") else {
                    skipped.append(BatchSkippedFile(path: relativePath, reason: .symbolicLink, detail: "a broken symbolic link"))
                    continue
                }
                guard target.hasPrefix(rootPath + "/") else {
                    skipped.append(BatchSkippedFile(path: relativePath, reason: .symbolicLink,
                                                    detail: "leads out of the input directory, to \(target); not followed"))
                    continue
                }
                var targetInfo = stat()
                guard stat(target, &targetInfo) == 0 else {
                    skipped.append(BatchSkippedFile(path: relativePath, reason: .unreadable, detail: String(cString: strerror(errno))))
                    continue
                }
                switch targetInfo.st_mode & S_IFMT {
                case S_IFREG:
                    files.append((relativePath, classify(path), Int64(targetInfo.st_size)))
                case S_IFDIR:
                    skipped.append(BatchSkippedFile(path: relativePath, reason: .symbolicLink,
                                                    detail: "leads to a directory; not followed (its files are found where they are)"))
                default:
                    skipped.append(BatchSkippedFile(path: relativePath, reason: .notARegularFile, detail: "leads to a FIFO, socket or device"))
                }
            default:
                skipped.append(BatchSkippedFile(path: relativePath, reason: .notARegularFile, detail: "a FIFO, socket or device"))
            }
        }
    }

    /// What a file holds, from its first bytes and, for JSON, its top-level structure.
    static func classify(_ path: String) -> Classification {
        let url = URL(fileURLWithPath: path)
        let format: ReplicaSources.PayloadFormat
        do {
            format = try ReplicaSources.detectFormat(of: url)
        } catch let error as ReplicaExportError {
            switch error.code {
            case .truncated: return .skip(.empty, error.message)
            case .unknownFormat: return .skip(.notAPayload, "neither a JSON object nor an SQLite database")
            default: return .skip(.unreadable, error.message)
            }
        } catch {
            return .skip(.unreadable, String(describing: error))
        }
        switch format {
        case .mobileGeodatabase:
            return .payload(.mobileGeodatabase, featureSet: false)
        case .esriJSON:
            switch JSONKind.of(url) {
            case .payload: return .payload(.esriJSON, featureSet: false)
            case .featureSet: return .payload(.esriJSON, featureSet: true)
            case .schema(let detail): return .skip(.schema, detail)
            case .other(let detail): return .skip(.notAPayload, detail)
            }
        }
    }

    static func realPath(_ path: String, what: String) throws -> String {
        guard let resolved = realpath(path, nil) else {
            throw ReplicaExportError(.fileNotFound, "\(what.isEmpty ? "the path" : what) does not exist: \(String(cString: strerror(errno)))",
                                     at: ErrorLocation(input: path))
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// What a JSON object is, from its top-level keys, read without loading the file: a payload (a
/// createReplica result, a FeatureSet, a job pointer or a saved service error, all of which the
/// exporter reads or explains), layer resources (a schema), or something else (GeoJSON, settings).
/// A file that cannot be parsed before its kind is known counts as a payload, so that a damaged
/// download is reported with its error rather than passed over.
enum JSONKind: Equatable {
    case payload
    /// A payload with top-level `features`: a feature-service query page.
    case featureSet
    case schema(String)
    case other(String)

    private static let replicaKeys: Set<String> = [
        "replicaName", "replicaID", "transportType", "responseType", "syncModel", "replicaServerGen",
        "layerServerGens", "statusUrl", "resultUrl", "error",
    ]

    static func of(_ url: URL) -> JSONKind {
        do {
            return try scan(JSONScanner(url: url, chunkSize: 64 << 10))
        } catch {
            return .payload
        }
    }

    private static func scan(_ s: JSONScanner) throws -> JSONKind {
        try s.beginObject()
        var key: [UInt8] = []
        var first = true
        var layerResourceKeys = false
        var layersAreResources = false
        while try s.nextMember(first: &first, key: &key) {
            let name = String(decoding: key, as: UTF8.self)
            if replicaKeys.contains(name) { return .payload }
            switch name {
            case "type":
                if try s.peekValueStart() == UInt8(ascii: "\"") {
                    let type = try s.readString()
                    if type == "FeatureCollection" || type == "Feature" { return .other("GeoJSON, not Esri JSON") }
                    if type == "Feature Layer" || type == "Table" { layerResourceKeys = true }
                } else {
                    try s.skipValue()
                }
            case "features":
                return try firstFeatureIsGeoJSON(s) ? .other("GeoJSON, not Esri JSON") : .featureSet
            case "layers":
                switch try layersKind(s) {
                case .payload: return .payload
                case .resources: layersAreResources = true
                case .unknown: break
                }
            case "fields", "geometryType", "drawingInfo":
                layerResourceKeys = true
                try s.skipValue()
            default:
                try s.skipValue()
            }
        }
        if layersAreResources { return .schema("layer resources: a 'layers' list without features") }
        if layerResourceKeys { return .schema("a layer resource: fields without features") }
        return .other("a JSON object that is neither a replica, a FeatureSet nor layer resources")
    }

    /// Reads into a `features` array far enough to tell an Esri feature (`attributes`) from a
    /// GeoJSON one (`properties`); an empty array is an empty FeatureSet.
    private static func firstFeatureIsGeoJSON(_ s: JSONScanner) throws -> Bool {
        guard try s.peekValueStart() == UInt8(ascii: "[") else { return false }
        try s.beginArray()
        var first = true
        guard try s.nextElement(first: &first), try s.peekValueStart() == UInt8(ascii: "{") else { return false }
        try s.beginObject()
        var key: [UInt8] = []
        var firstMember = true
        var properties = false
        while try s.nextMember(first: &firstMember, key: &key) {
            let name = String(decoding: key, as: UTF8.self)
            if name == "attributes" { return false }
            if name == "properties" { properties = true }
            try s.skipValue()
        }
        return properties
    }

    private enum LayersKind { case payload, resources, unknown }

    /// A replica's `layers` (and a feature collection's) hold features; the service's layer
    /// resources hold fields and no features.
    private static func layersKind(_ s: JSONScanner) throws -> LayersKind {
        guard try s.peekValueStart() == UInt8(ascii: "[") else {
            try s.skipValue()
            return .unknown
        }
        try s.beginArray()
        var first = true
        var sawResource = false
        var sawBareLayer = false
        while try s.nextElement(first: &first) {
            guard try s.peekValueStart() == UInt8(ascii: "{") else {
                try s.skipValue()
                continue
            }
            try s.beginObject()
            var key: [UInt8] = []
            var firstMember = true
            var resource = false
            while try s.nextMember(first: &firstMember, key: &key) {
                let name = String(decoding: key, as: UTF8.self)
                // A feature collection's layer holds its features in a `featureSet`.
                if name == "features" || name == "attachments" || name == "featureSet" { return .payload }
                if name == "fields" || name == "geometryType" || name == "type" || name == "drawingInfo" { resource = true }
                try s.skipValue()
            }
            if resource { sawResource = true } else { sawBareLayer = true }
        }
        // `{"id": 0}` without features is a replica's empty layer; an empty list is nothing's.
        return sawBareLayer && !sawResource ? .payload : .resources
    }
}
