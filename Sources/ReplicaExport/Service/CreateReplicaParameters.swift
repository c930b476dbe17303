import Foundation

/// A createReplica request with `syncModel=none` (an export), parsed and checked as an ArcGIS
/// feature service checks it, from the raw form-encoded body or from name/value pairs.
///
/// Parameter names are matched case-insensitively. Every invalid parameter throws a
/// ``ReplicaExportError`` with fault ``ReplicaExportError/Fault/request`` whose message starts with
/// the parameter's name; ``ServiceError/init(_:)`` turns it into the 400 answer.
///
/// Parameters that shape the export: `replicaName`, `layers` (required), `layerQueries`,
/// `geometry`, `geometryType`, `inSR`, `replicaSR`, `returnAttachments`,
/// `returnAttachmentsDataByUrl` (json: attachments as files beside the payload, or embedded),
/// `attachmentsSyncDirection`, `syncModel` (required, must be `none`), `dataFormat` (checked here),
/// `replicaOptions` (`syncDataOptions` only), `async`, `transportType`, `f`.
///
/// Accepted and ignored, because they do not apply to an export: `syncDirection`, `targetType`,
/// `token`, `datumTransformations` when empty (`[]` or blank), and
/// names createReplica does not define (as ArcGIS ignores them).
///
/// Refused because the library cannot honour them: a non-empty `datumTransformations`,
/// `replicaOptions.registerExistingData` (it creates a replica, not an export), a `geometry` with
/// true curves. `returnAttachments` (default false, as ArcGIS) decides whether attachments are
/// exported; with a filter, only those of the selected features.
///
/// `replicaSR` reprojects every format's output, except GeoJSON, which RFC 7946 fixes to WGS 84
/// (as ArcGIS writes it). `transportType` is echoed: an export is always a file behind `resultUrl`.
public struct CreateReplicaParameters: Sendable, Equatable {
    /// How a layer is filtered (`layerQueries[id]`).
    public struct LayerQuery: Sendable, Equatable {
        /// `queryOption`: `all` takes every feature, `none` only related ones (with
        /// `includeRelated`), `useFilter` those that pass `where` and the geometry.
        public enum QueryOption: String, Sendable, Equatable, Codable {
            /// `all`: every feature; `none`: no feature, except the rows related to kept origins
            /// when ``includeRelated`` is true; `useFilter`: the features that pass `where` and,
            /// with ``useGeometry``, the request's `geometry`.
            case all, none, useFilter
        }
        /// nil when not given: the layer is filtered as `useFilter` would.
        public var queryOption: QueryOption?
        /// `useGeometry`: apply the request's `geometry` to this layer (default true).
        public var useGeometry: Bool
        /// `where`: an attribute filter in ArcGIS's standardized SQL (see ``WhereClause``).
        public var whereClause: String?
        /// `includeRelated`: with `queryOption=none`, keep the rows related to kept origins (default true).
        public var includeRelated: Bool

        /// A layer query with createReplica's defaults: no `queryOption` (filtered as `useFilter`), the
        /// request's geometry applied, no `where`, related rows included.
        public init(queryOption: QueryOption? = nil, useGeometry: Bool = true, whereClause: String? = nil,
                    includeRelated: Bool = true) {
            self.queryOption = queryOption
            self.useGeometry = useGeometry
            self.whereClause = whereClause
            self.includeRelated = includeRelated
        }
    }

    /// `transportType`: how a client fetches the result. An export is always a file behind
    /// `resultUrl`; the value is echoed in the response.
    public enum TransportType: String, Sendable, Equatable, Codable {
        /// The result is a file behind `resultUrl` (the default).
        case url = "esriTransportTypeUrl"
        /// Asks for the data in the response; an export still answers with a `resultUrl` and echoes
        /// the value.
        case embedded = "esriTransportTypeEmbedded"
    }

    /// `attachmentsSyncDirection`.
    public enum AttachmentsSyncDirection: String, Sendable, Equatable, Codable {
        /// The directions createReplica names; `bidirectional` needs `returnAttachments=true`. An export
        /// does not sync, so the value is checked and kept, and nothing acts on it.
        case bidirectional, upload, none
    }

    /// `replicaName`; names the output file. nil when not given.
    public var replicaName: String?
    /// `layers`: the layer and table ids to export, in request order.
    public var layerIds: [Int]
    /// `layerQueries`, by layer id; a layer without an entry is filtered by `geometry` only.
    public var layerQueries: [Int: LayerQuery]
    /// `geometry` (an envelope becomes its rectangle polygon), in ``inSpatialReference``.
    public var geometry: Geometry?
    /// `geometryType` (default `esriGeometryEnvelope`).
    public var geometryType: GeometryType
    /// `inSR`, else the `spatialReference` inside `geometry`; nil = the layer's own.
    public var inSpatialReference: SpatialReference?
    /// `replicaSR`: the coordinate system of the outputs; nil = each layer's own.
    public var replicaSpatialReference: SpatialReference?
    /// `returnAttachments`.
    public var returnAttachments: Bool
    /// `returnAttachmentsDataByUrl` (default true, as ArcGIS): where the format's document holds
    /// attachments (`json`), each is referenced by a file beside it, else embedded as base64.
    public var returnAttachmentsDataByURL: Bool
    /// `attachmentsSyncDirection`, when given.
    public var attachmentsSyncDirection: AttachmentsSyncDirection?
    /// `dataFormat`.
    public var dataFormat: ExportFormat
    /// `replicaOptions.syncDataOptions` (bit 256 keeps true curves); nil when not given or 0, which
    /// createReplica treats as not given.
    public var syncDataOptions: Int?
    /// `async`: run the export in the background and answer with a status URL.
    public var isAsync: Bool
    /// `transportType` (default `esriTransportTypeUrl`).
    public var transportType: TransportType
    /// `f`: `json` or `pjson` (pretty-printed).
    public var responseFormat: String

    /// The parameters named in `parameters`. Names are case-insensitive; a name given twice in two
    /// spellings is refused.
    public init(_ parameters: [String: String]) throws {
        var byName: [String: (name: String, value: String)] = [:]
        for (name, value) in parameters {
            let key = name.lowercased()
            if byName[key] != nil {
                throw ReplicaExportError.invalidParameter(name, "given more than once; give it once")
            }
            byName[key] = (name, value)
        }
        try self.init(normalized: byName)
    }

    /// The parameters of a raw `application/x-www-form-urlencoded` body (`a=1&b=%7B%7D`): `+` is a
    /// space, `%XX` a byte of UTF-8. A parameter given twice is refused.
    public init(formBody body: String) throws {
        var byName: [String: (name: String, value: String)] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.formDecode(String(parts[0]), parameter: String(parts[0]))
            let value = parts.count > 1 ? try Self.formDecode(String(parts[1]), parameter: name) : ""
            let key = name.lowercased()
            if key.isEmpty { continue }
            if byName[key] != nil {
                throw ReplicaExportError.invalidParameter(name, "given more than once; give it once")
            }
            byName[key] = (name, value)
        }
        try self.init(normalized: byName)
    }

    /// Decodes one form component: `+` → space, `%XX` → byte, the bytes read as UTF-8.
    static func formDecode(_ text: String, parameter: String) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard iterator.count >= 2, let high = hexValue(iterator[iterator.startIndex]),
                      let low = hexValue(iterator[iterator.startIndex + 1]) else {
                    throw ReplicaExportError.invalidParameter(parameter, "has a '%' not followed by two hexadecimal digits; percent-encode the value")
                }
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            default: bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw ReplicaExportError.invalidParameter(parameter, "is not UTF-8 once percent-decoded")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private init(normalized p: [String: (name: String, value: String)]) throws {
        func value(_ key: String) -> (name: String, value: String)? {
            guard let entry = p[key.lowercased()] else { return nil }
            let trimmed = entry.value.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : (entry.name, trimmed)
        }

        // syncModel and dataFormat first: they decide whether this is an export at all.
        guard let syncModel = value("syncModel") else {
            throw ReplicaExportError.invalidParameter("syncModel", "is required; an export takes syncModel=none")
        }
        guard syncModel.value.lowercased() == "none" else {
            throw ReplicaExportError.invalidParameter(syncModel.name,
                "'\(syncModel.value)' creates a replica to sync; \(ExportFormat.all.map(\.name).joined(separator: ", ")) are exports and take syncModel=none")
        }
        // No dataFormat: createReplica's default, its JSON payload, as ArcGIS answers.
        if let format = value("dataFormat") {
            guard let dataFormat = ExportFormat(dataFormat: format.value) else {
                throw ReplicaExportError.invalidParameter(format.name,
                    "'\(format.value)' is not an export format; give one of \(ExportFormat.all.map(\.arcGISName).joined(separator: ", "))")
            }
            self.dataFormat = dataFormat
        } else {
            dataFormat = .createReplicaDefault
        }

        guard let layers = value("layers") else {
            throw ReplicaExportError.invalidParameter("layers", "is required; give the layer ids to export, such as 0,1 or [0,1]")
        }
        let layerIds = try Self.parseLayerIds(layers.value, parameter: layers.name)
        self.layerIds = layerIds

        replicaName = try value("replicaName").map { try Self.checkReplicaName($0.value, parameter: $0.name) }
        layerQueries = try value("layerQueries").map { try Self.parseLayerQueries($0.value, parameter: $0.name, layerIds: layerIds) } ?? [:]

        if let type = value("geometryType") {
            guard let parsed = GeometryType(rawValue: type.value)
                    ?? GeometryType.allCases.first(where: { $0.rawValue.lowercased() == type.value.lowercased() }) else {
                throw ReplicaExportError.invalidParameter(type.name,
                    "'\(type.value)' is not one of \(GeometryType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            geometryType = parsed
        } else {
            geometryType = .envelope
        }
        var geometrySR: SpatialReference?
        if let geometry = value("geometry") {
            let parsed = try FilterGeometryParser.parse(geometry.value, type: geometryType, parameter: geometry.name)
            self.geometry = parsed.geometry
            geometrySR = parsed.spatialReference
        } else {
            self.geometry = nil
        }
        inSpatialReference = try value("inSR").map { try Self.parseSpatialReference($0.value, parameter: $0.name) } ?? geometrySR
        replicaSpatialReference = try value("replicaSR").map { try Self.parseSpatialReference($0.value, parameter: $0.name) }

        returnAttachments = try value("returnAttachments").map { try Self.parseBool($0.value, parameter: $0.name) } ?? false
        returnAttachmentsDataByURL = try value("returnAttachmentsDataByUrl").map { try Self.parseBool($0.value, parameter: $0.name) } ?? true
        if let direction = value("attachmentsSyncDirection") {
            guard let parsed = AttachmentsSyncDirection(rawValue: direction.value.lowercased()) else {
                throw ReplicaExportError.invalidParameter(direction.name, "'\(direction.value)' is not one of bidirectional, upload, none")
            }
            // The seed's rule: without attachments only upload or none are valid.
            guard parsed != .bidirectional || returnAttachments else {
                throw ReplicaExportError.invalidParameter(direction.name,
                    "bidirectional needs returnAttachments=true; with returnAttachments=false give upload or none")
            }
            attachmentsSyncDirection = parsed
        } else {
            attachmentsSyncDirection = nil
        }

        syncDataOptions = try value("replicaOptions").flatMap { try Self.parseReplicaOptions($0.value, parameter: $0.name) }
        isAsync = try value("async").map { try Self.parseBool($0.value, parameter: $0.name) } ?? false
        if let transport = value("transportType") {
            guard let parsed = TransportType(rawValue: transport.value)
                    ?? [TransportType.url, .embedded].first(where: { $0.rawValue.lowercased() == transport.value.lowercased() }) else {
                throw ReplicaExportError.invalidParameter(transport.name, "'\(transport.value)' is not one of esriTransportTypeUrl, esriTransportTypeEmbedded")
            }
            transportType = parsed
        } else {
            transportType = .url
        }
        if let f = value("f") {
            guard ["json", "pjson"].contains(f.value.lowercased()) else {
                throw ReplicaExportError.invalidParameter(f.name, "'\(f.value)' is not a response format of this service; give json or pjson")
            }
            responseFormat = f.value.lowercased()
        } else {
            responseFormat = "json"
        }
        if let transformations = value("datumTransformations") {
            let inner = transformations.value.trimmingCharacters(in: CharacterSet(charactersIn: "[] \t\n"))
            guard inner.isEmpty else {
                throw ReplicaExportError.invalidParameter(transformations.name,
                    "cannot be honoured: the export reprojects with GDAL's default transformation; leave datumTransformations out")
            }
        }
    }

    // MARK: - Single parameters

    static func parseLayerIds(_ text: String, parameter: String) throws -> [Int] {
        let inner = text.trimmingCharacters(in: .whitespaces)
        let body = inner.hasPrefix("[") && inner.hasSuffix("]") ? String(inner.dropFirst().dropLast()) : inner
        var ids: [Int] = []
        for item in body.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let id = Int(trimmed), id >= 0 else {
                throw ReplicaExportError.invalidParameter(parameter, "'\(text)' is not a list of layer ids such as 0,1 or [0,1]")
            }
            if !ids.contains(id) { ids.append(id) }
        }
        guard !ids.isEmpty else {
            throw ReplicaExportError.invalidParameter(parameter, "is empty; give the layer ids to export")
        }
        return ids
    }

    static func checkReplicaName(_ name: String, parameter: String) throws -> String {
        // It names a file in the service's result folder: no path separators, no hidden or parent names.
        let forbidden = CharacterSet(charactersIn: "/\\:*?\"<>|").union(.controlCharacters)
        guard name.rangeOfCharacter(from: forbidden) == nil, !name.hasPrefix("."), name.utf8.count <= 200 else {
            throw ReplicaExportError.invalidParameter(parameter,
                "'\(name)' cannot name a file; use letters, digits, spaces, '-' and '_' (at most 200 bytes, not starting with '.')")
        }
        return name
    }

    static func parseBool(_ text: String, parameter: String) throws -> Bool {
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw ReplicaExportError.invalidParameter(parameter, "'\(text)' is not true or false")
        }
    }

    /// `4326`, `{"wkid": 4326}`, `{"latestWkid": 3857, "wkid": 102100}` or `{"wkt": "..."}`.
    static func parseSpatialReference(_ text: String, parameter: String) throws -> SpatialReference {
        if let wkid = Int(text) {
            guard wkid > 0 else { throw ReplicaExportError.invalidParameter(parameter, "'\(text)' is not a well-known id") }
            return SpatialReference(wkid: wkid)
        }
        guard let object = ServiceJSON.object(text) else {
            throw ReplicaExportError.invalidParameter(parameter, "'\(text)' is neither a well-known id nor a spatial reference object such as {\"wkid\": 4326}")
        }
        guard let reference = spatialReference(object) else {
            throw ReplicaExportError.invalidParameter(parameter, "has neither wkid, latestWkid nor wkt; give one, such as {\"wkid\": 4326}")
        }
        return reference
    }

    static func spatialReference(_ object: [String: Any]) -> SpatialReference? {
        let wkid = ServiceJSON.int(object["wkid"])
        let latest = ServiceJSON.int(object["latestWkid"])
        let wkt = object["wkt"] as? String
        guard wkid != nil || latest != nil || (wkt.map { !$0.isEmpty } ?? false) else { return nil }
        return SpatialReference(wkid: wkid, latestWkid: latest, wkt: wkt)
    }

    static func parseReplicaOptions(_ text: String, parameter: String) throws -> Int? {
        guard let object = ServiceJSON.object(text) else {
            throw ReplicaExportError.invalidParameter(parameter, "'\(text)' is not a JSON object such as {\"syncDataOptions\": 256}")
        }
        if object["registerExistingData"] != nil {
            throw ReplicaExportError.invalidParameter(parameter + ".registerExistingData",
                "creates a replica from an existing one; an export (syncModel=none) cannot honour it")
        }
        guard let raw = object["syncDataOptions"] else { return nil }
        guard let number = ServiceJSON.int(raw), number >= 0 else {
            throw ReplicaExportError.invalidParameter(parameter + ".syncDataOptions", "must be a non-negative integer bit set such as 256")
        }
        // syncDataOptions 0 is "as if the parameter was not passed" (seed).
        return number == 0 ? nil : number
    }

    static func parseLayerQueries(_ text: String, parameter: String, layerIds: [Int]) throws -> [Int: LayerQuery] {
        guard let object = ServiceJSON.object(text) else {
            throw ReplicaExportError.invalidParameter(parameter, "is not a JSON object such as {\"0\": {\"where\": \"POP > 100\"}}")
        }
        var queries: [Int: LayerQuery] = [:]
        for (key, raw) in object {
            let name = "\(parameter)[\(key)]"
            guard let id = Int(key.trimmingCharacters(in: .whitespaces)) else {
                throw ReplicaExportError.invalidParameter(name, "'\(key)' is not a layer id")
            }
            guard layerIds.contains(id) else {
                throw ReplicaExportError.invalidParameter(name, "layer \(id) is not in layers; add it to layers or remove its query")
            }
            guard let properties = raw as? [String: Any] else {
                throw ReplicaExportError.invalidParameter(name, "is not an object such as {\"where\": \"POP > 100\"}")
            }
            var query = LayerQuery()
            for (property, value) in properties {
                // Keys are trimmed: the seed's own example spells " queryOption".
                switch property.trimmingCharacters(in: .whitespaces).lowercased() {
                case "queryoption":
                    guard let text = value as? String,
                          let option = [LayerQuery.QueryOption.all, .none, .useFilter].first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
                        throw ReplicaExportError.invalidParameter(name + ".queryOption", "'\(value)' is not one of none, useFilter, all")
                    }
                    query.queryOption = option
                case "usegeometry":
                    guard let flag = ServiceJSON.bool(value) else {
                        throw ReplicaExportError.invalidParameter(name + ".useGeometry", "'\(value)' is not true or false")
                    }
                    query.useGeometry = flag
                case "includerelated":
                    guard let flag = ServiceJSON.bool(value) else {
                        throw ReplicaExportError.invalidParameter(name + ".includeRelated", "'\(value)' is not true or false")
                    }
                    query.includeRelated = flag
                case "where":
                    guard let clause = value as? String else {
                        throw ReplicaExportError.invalidParameter(name + ".where", "is not a string")
                    }
                    let trimmed = clause.trimmingCharacters(in: .whitespacesAndNewlines)
                    query.whereClause = trimmed.isEmpty ? nil : trimmed
                    // The syntax is checked now; the field names once the payload's schema is known.
                    if !trimmed.isEmpty {
                        do {
                            _ = try WhereClause(trimmed)
                        } catch let error as ReplicaExportError {
                            let reason = error.message.hasPrefix("where: ") ? String(error.message.dropFirst(7)) : error.message
                            throw ReplicaExportError.invalidParameter(name + ".where", reason)
                        }
                    }
                default:
                    throw ReplicaExportError.invalidParameter(name + "." + property,
                        "is not a layer query property; the properties are queryOption, useGeometry, where, includeRelated")
                }
            }
            queries[id] = query
        }
        return queries
    }
}

/// The small JSON values of request parameters, read with Foundation (they are a few bytes;
/// the streaming scanner is for payloads). Object keys may be unquoted, as in the seed's own
/// `{xmin: -104, ymin: 35.6, ...}`.
enum ServiceJSON {
    static func parse(_ text: String) -> Any? {
        if let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) {
            return value
        }
        // Quote bare keys (an identifier after `{` or `,` and before `:`), then parse strictly again.
        let quoted = text.replacingOccurrences(of: #"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:"#, with: "$1\"$2\":",
                                              options: .regularExpression)
        return try? JSONSerialization.jsonObject(with: Data(quoted.utf8), options: [.fragmentsAllowed])
    }

    static func object(_ text: String) -> [String: Any]? { parse(text) as? [String: Any] }

    static func int(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber, type(of: value as Any) != Bool.self else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 9e15 else { return nil }
        return Int(double)
    }

    static func double(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber, type(of: value as Any) != Bool.self else {
            if let text = value as? String { return Double(text) }
            return nil
        }
        return number.doubleValue
    }

    static func bool(_ value: Any) -> Bool? {
        if let flag = value as? Bool { return flag }
        if let text = value as? String { return ["true": true, "false": false][text.lowercased()] }
        return nil
    }
}
