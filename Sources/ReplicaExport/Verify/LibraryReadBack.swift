import Foundation

/// Formats whose outputs this library reads back itself (``WriterProfile/Reader/library``): the
/// output is opened with ``ReplicaSources`` like any input, and everything is compared exactly,
/// nothing within a tolerance: each layer's schema (name, kind, geometry type, Z and M, spatial
/// reference, ObjectID and GlobalID fields, fields with their types, aliases, lengths,
/// nullability and domains, relationships, subtypes), every value (GUIDs whatever their spelling;
/// NaN and infinity, which JSON cannot hold, as null), every geometry as the export prepared it
/// (vertices, Z, M and circular arcs, rings in Esri's orientation), every attachment (ids, parents,
/// name, content type, size and bytes, or its URL), and the relationship listing.
extension FormatVerifier {
    mutating func runThroughLibrary() throws -> FormatVerification {
        var result = FormatVerification(format: format, layers: [], problems: [])
        guard case .oneDataset(let ext) = profile.layout else {
            result.problems.append("\(format): only a format with one file for the whole replica is read back by the library")
            return result
        }
        guard let file = Self.document(in: folder, extension: ext) else {
            result.problems.append("no .\(ext) in \(folder.path)")
            return result
        }
        let output: any ReplicaSource
        do {
            output = try ReplicaSources.open(file)
        } catch let error as ReplicaExportError {
            result.problems.append("\(file.lastPathComponent) cannot be read back: \(error.description)")
            return result
        }
        result.layers = try eachLayer { verifier, layer, index, base, verification in
            try verifier.verifyReadBack(output, layer: layer, index: index, base: base, into: &verification)
        }
        verifyRelationships(in: nil, into: &result)
        return result
    }

    /// The format's one document in `folder`: the file with the extension that is neither the
    /// relationship listing nor the layer resources the reader finds beside another.
    static func document(in folder: URL, extension ext: String) -> URL? {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            .filter { $0.hasSuffix(".\(ext)") && $0 != RelationshipListingEntry.fileName }
        let schemas = Set(files.map { EsriJSONReplicaSource.schemaBeside(folder.appendingPathComponent($0)).lastPathComponent })
        return files.first { !schemas.contains($0) }.map { folder.appendingPathComponent($0) }
    }

    private mutating func verifyReadBack(_ output: any ReplicaSource, layer: LayerSchema, index: Int, base: String,
                                         into verification: inout LayerVerification) throws {
        guard let outputIndex = output.replica.layers.firstIndex(where: { $0.id == layer.id }) else {
            verification.differ(Difference(location: here(layer), expected: "a layer with id \(layer.id)", actual: "none"))
            return
        }
        let written = output.replica.layers[outputIndex]
        outputLayerNames[layer.id] = written.name
        outputSchemas[layer.id] = written
        verification.featuresOut = output.featureCount(inLayer: outputIndex) ?? 0
        verification.spatialReference = layer.kind == .table ? nil
            : written.spatialReference.map { reference in reference.preferredWkid.map { "wkid \($0)" } ?? "WKT" } ?? "none"
        let keepsOtherTypes = profile.capabilities.contains(.mixedGeometryTypes)
        // Where the ObjectID is the row's id, features are found by it (rows come in id order,
        // not the input's); a repeated or invalid one was given a new id (reported at export).
        let byObjectID = profile.featureID == .objectIDColumn && layer.objectIDFieldIndex != nil
            && written.objectIdField.flatMap(written.fieldIndex(named:)) != nil
        func features(of index: Int) throws -> OutputFeatures {
            let schema = output.replica.layers[index]
            return try OutputFeatures(FeatureStream(output, layer: index),
                                      objectIDColumn: schema.objectIdField.flatMap(schema.fieldIndex(named:)), byObjectID: byObjectID)
        }
        let main = try features(of: outputIndex)
        // Features of other geometry types, in layers `<layer>_<type>s` of their own where the
        // format declares one type per layer.
        var splits: [GeometryType: OutputFeatures] = [:]
        var splitIndexes: [Int] = []
        if !keepsOtherTypes, layer.kind != .table, layer.geometryType != nil {
            let inputIDs = Set(source.replica.layers.map(\.id))
            for type in GeometryType.splitTypes where layer.isOtherGeometryType(type) {
                let name = "\(layer.name)_\(type.fileSuffix)"
                guard let i = output.replica.layers.firstIndex(where: {
                    !inputIDs.contains($0.id) && $0.geometryType == type && ($0.name == name || $0.name.hasPrefix(name + "_"))
                }) else { continue }
                splits[type] = try features(of: i)
                splitIndexes.append(i)
                verification.featuresOut += output.featureCount(inLayer: i) ?? 0
            }
        }
        checkCount(&verification, layer: layer)
        for (what, expected, actual) in Self.schemaDifferences(expectedSchema(layer, found: written), written) {
            verification.differ(Difference(location: here(layer, field: what.field).with(detail: what.detail),
                                           expected: expected, actual: actual))
        }
        verification.domainsCompared = layer.fields.filter { $0.domain != nil }.count

        let columns = layer.fields.map { written.fieldIndex(named: $0.name) }
        let keepsM = profile.capabilities.contains(.mValues)
        let tolerance = coordinateTolerance(written)
        let hasGeometry = layer.kind != .table && layer.geometryType != nil
        var seen = Set<Int64>()
        var featureIndex = 0
        try source.features(inLayer: index, batchSize: 512) { batch in
            for feature in batch {
                defer { featureIndex += 1 }
                let oid = layer.objectIDFieldIndex.flatMap { feature.attributes[$0].integerValue }
                if byObjectID, !(oid.map { $0 > 0 && seen.insert($0).inserted } ?? false) { continue }
                var expected = !hasGeometry ? nil : feature.geometry
                    .flatMap { try? preparer.prepare($0, spatialReference: layer.spatialReference) }.flatMap(Self.esriGeometry)
                var holder = main
                if let type = expected?.geometryType, layer.isOtherGeometryType(type), !keepsOtherTypes {
                    if let split = splits[type] {
                        holder = split
                    } else {
                        verification.differ(Difference(location: here(layer, featureIndex, oid),
                                                       expected: "a feature in a layer '\(layer.name)_\(type.fileSuffix)'", actual: "no such layer"))
                        continue
                    }
                }
                guard let read = try holder.next(objectID: oid) else {
                    verification.differ(Difference(location: here(layer, featureIndex, oid), expected: "a feature",
                                                   actual: "none (the output has fewer features)"))
                    continue
                }
                for (i, column) in columns.enumerated() {
                    guard let column else { continue }  // a missing field is a schema difference
                    let (expected, actual) = (feature.attributes[i], read.attributes[column])
                    if !Self.same(expected, actual, nonFiniteReals: profile.nonFiniteReals) {
                        verification.differ(Difference(location: here(layer, featureIndex, oid, field: layer.fields[i].name),
                                                       expected: "\(expected)", actual: "\(actual)"))
                    }
                    verification.valuesCompared += 1
                }
                guard hasGeometry else { continue }
                if !keepsM { expected?.hasM = false }  // M dropped (reported)
                if profile.readBack.ringsSplitAtTheirStart, let geometry = expected { expected = Self.ringsSplitAtStart(geometry) }
                if let problem = Self.geometryDifference(expected, read.geometry, tolerance: tolerance) {
                    verification.differ(Difference(location: here(layer, featureIndex, oid), expected: problem.expected,
                                                   actual: problem.actual))
                }
                verification.verticesCompared += expected.map(GeometryComparison.vertices)?.count ?? 0
            }
        }
        if !byObjectID {
            for holder in [main] + splits.values {
                guard let extra = try holder.next(objectID: nil) else { continue }
                verification.differ(Difference(location: here(layer, featureIndex).with(detail: holder.stream.schema.name),
                                               expected: "no more features", actual: "another (\(extra.attributes.count) values)"))
            }
        }
        if profile.capabilities.contains(.attachments) {
            try verifyAttachments(output, layer: layer, index: index, outputIndexes: [outputIndex] + splitIndexes, into: &verification)
        } else {
            try verifySidecar(base: base, layer: layer, index: index, into: &verification)
        }
    }

    /// One output layer's features: looked up by ObjectID where the format keeps it as the row's
    /// id (rows then come in id order, not the input's), else taken in order.
    final class OutputFeatures {
        let stream: FeatureStream
        private let objectIDColumn: Int?
        private let byObjectID: Bool
        private var pending: [Int64: Feature] = [:]

        init(_ stream: FeatureStream, objectIDColumn: Int?, byObjectID: Bool) {
            self.stream = stream
            self.objectIDColumn = objectIDColumn
            self.byObjectID = byObjectID
        }

        /// The feature of `objectID`, or the next one in order.
        func next(objectID: Int64?) throws -> Feature? {
            guard byObjectID else { return try stream.next() }
            guard let objectID, let column = objectIDColumn else { return nil }
            if let found = pending.removeValue(forKey: objectID) { return found }
            while let read = try stream.next() {
                guard let id = read.attributes[column].integerValue else { continue }
                if id == objectID { return read }
                pending[id] = read
            }
            return nil
        }
    }

    // MARK: attachments

    /// Every attachment of the input, in the output's document with the same id, parents, name,
    /// content type, size and bytes (or the same URL, for one known only by URL), and no other.
    private func verifyAttachments(_ output: any ReplicaSource, layer: LayerSchema, index: Int, outputIndexes: [Int],
                                   into verification: inout LayerVerification) throws {
        struct Record: Equatable {
            var globalId: String?, parentGlobalId: String?, parentObjectId: Int64?, contentType: String?, name: String
            var size: Int64?
            /// SHA-256 of the bytes, or the URL of an attachment known only by URL.
            var content: String

            init(_ a: Attachment) {
                globalId = a.globalId.map(ValueText.guidKey)
                parentGlobalId = a.parentGlobalId.map(ValueText.guidKey)
                parentObjectId = a.parentObjectId
                contentType = a.contentType
                name = a.name
                size = a.data.map { Int64($0.count) } ?? a.size
                content = a.data.map { "SHA-256 " + SHA256.hash($0).hex } ?? "url \(a.url ?? "none")"
            }
        }
        // The output's side as small records (no bytes), then the input's one at a time.
        var found: [Int64: Record] = [:]
        for outputIndex in outputIndexes {
            try output.attachments(inLayer: outputIndex) { found[$0.attachmentId] = Record($0) }
        }
        let onlyDeclaredWithData = profile.readBack.attachmentsOnlyDeclaredWithData
        try source.attachments(inLayer: index) { attachment in
            // Not kept by the format, and reported at export.
            if onlyDeclaredWithData && (!layer.hasAttachments || attachment.data == nil) { return }
            let place = ErrorLocation(layer: layer.name, detail: "attachment \(attachment.attachmentId)", format: format)
            verification.attachmentsCompared += 1
            guard let read = found.removeValue(forKey: attachment.attachmentId) else {
                verification.differ(Difference(location: place, expected: "the attachment", actual: "none"))
                return
            }
            let expected = Record(attachment)
            if read != expected {
                verification.differ(Difference(location: place, expected: "\(expected)", actual: "\(read)"))
            }
        }
        for id in found.keys.sorted() {
            verification.differ(Difference(location: ErrorLocation(layer: layer.name, detail: "attachment \(id)", format: format),
                                           expected: "no such attachment", actual: "one"))
        }
    }

    // MARK: values and geometries

    /// The layer as the format reads it back, by what its profile declares: no M where it keeps
    /// none, the ObjectID not nullable, the spatial reference with the grid the format gave it.
    func expectedSchema(_ layer: LayerSchema, found: LayerSchema) -> LayerSchema {
        var expected = layer
        let readBack = profile.readBack
        if !profile.capabilities.contains(.mValues) { expected.hasM = false }
        if readBack.objectIDNotNullable, let i = expected.objectIDFieldIndex { expected.fields[i].nullable = false }
        if readBack.spatialReferenceGainsGrid, expected.kind != .table, expected.geometryType != nil, let gained = found.spatialReference {
            if var reference = expected.spatialReference {
                reference.xyResolution = reference.xyResolution ?? gained.xyResolution
                reference.xyTolerance = reference.xyTolerance ?? gained.xyTolerance
                reference.grid = reference.grid ?? gained.grid
                expected.spatialReference = reference
            } else if gained.wkid == nil && gained.latestWkid == nil && gained.wkt == nil && gained.verticalWkid == nil {
                expected.spatialReference = gained  // none: the format's grid of an unknown system
            }
        }
        return expected
    }

    /// How far a coordinate read back may be from the one written: exactly, or within the grid
    /// the output layer declares (1.5 of its resolution: the snap, and the double arithmetic of
    /// a grid whose origin is far away).
    func coordinateTolerance(_ written: LayerSchema) -> (xy: Double, z: Double)? {
        guard case .resolutionGrid = profile.readBack.coordinates else { return nil }
        let reference = written.spatialReference
        let xy = reference?.grid.map { 1 / $0.xyScale } ?? reference?.xyResolution
            ?? ((reference?.isGeographic ?? false) ? 1e-9 : 1e-4)
        let z = reference?.grid.map { 1 / $0.zScale } ?? 1e-4
        return (xy * 1.5, z * 1.5)
    }

    /// Exactly the same value: GUIDs whatever their braces and case; a number the format cannot
    /// hold (NaN, infinity: JSON neither, the mobile geodatabase NaN) as null; a zero with its sign.
    static func same(_ expected: Value, _ actual: Value, nonFiniteReals: NonFiniteReals = []) -> Bool {
        switch (expected, actual) {
        case (.float64(let e), .float64(let a)) where !e.isFinite && nonFiniteReals.holds(e): return e.isNaN ? a.isNaN : e == a
        case (.float32(let e), .float32(let a)) where !e.isFinite && nonFiniteReals.holds(Double(e)): return e.isNaN ? a.isNaN : e == a
        case (.float64(let e), _) where !e.isFinite: return actual.isNull
        case (.float32(let e), _) where !e.isFinite: return actual.isNull
        case (.float64(let e), .float64(let a)): return e == a && e.sign == a.sign
        case (.float32(let e), .float32(let a)): return e == a && e.sign == a.sign
        case (.guid(let e), .guid(let a)): return ValueText.guidKey(e) == ValueText.guidKey(a)
        default: return expected == actual
        }
    }

    /// A prepared geometry as a reader gives it back from Esri JSON: rings in Esri's orientation
    /// (exterior clockwise), one list of rings; nil for one without vertices (written as none).
    static func esriGeometry(_ prepared: PreparedGeometry) -> Geometry? {
        let shape: Geometry.Shape
        switch prepared.shape {
        case .point(let v):
            guard v.x.isFinite && v.y.isFinite else { return nil }
            shape = .point(v)
        case .multipoint(let vertices):
            guard !vertices.isEmpty else { return nil }
            shape = .multipoint(vertices)
        case .lines(let paths):
            let parts = paths.filter { !$0.vertices.isEmpty }
            guard !parts.isEmpty else { return nil }
            shape = .polyline(parts)
        case .polygons(let polygons):
            let rings = polygons.flatMap { $0.map(Rings.reversed) }.filter { !$0.vertices.isEmpty }
            guard !rings.isEmpty else { return nil }
            shape = .polygon(rings)
        }
        return Geometry(shape, hasZ: prepared.hasZ, hasM: prepared.hasM)
    }

    /// `geometry` with each polygon ring (Esri's orientation) that meets its first vertex before
    /// its end split there, as a reader of a format that stores rings so reads them back.
    static func ringsSplitAtStart(_ geometry: Geometry) -> Geometry {
        guard case .polygon(let rings) = geometry.shape else { return geometry }
        var out: [Path] = []
        for ring in rings {
            // Split in the order written (the reverse of Esri's), each piece then reversed back.
            let written = Array(ring.vertices.reversed())
            guard ring.isLinear, let first = written.first, written.count > 2 else { out.append(ring); continue }
            var piece: [Vertex] = [first]
            var pieces: [[Vertex]] = []
            for (i, v) in written.enumerated().dropFirst() {
                piece.append(v)
                if v.x == first.x && v.y == first.y && i < written.count - 1 {
                    pieces.append(piece)
                    piece = [v]
                }
            }
            pieces.append(piece)
            out += pieces.map { Path(vertices: $0.reversed()) }
        }
        var split = geometry
        split.shape = .polygon(out)
        return split
    }

    /// nil when both are the same geometry to the bit (Z and M where the geometry has them, a
    /// missing M as such, the same circular arcs); else the first difference.
    static func geometryDifference(_ expected: Geometry?, _ actual: Geometry?,
                                   tolerance: (xy: Double, z: Double)? = nil) -> (expected: String, actual: String)? {
        guard let expected else { return actual == nil ? nil : ("no geometry", "a geometry") }
        guard let actual else { return ("a geometry", "none") }
        if expected.geometryType != actual.geometryType {
            return ("a \(expected.geometryType.rawValue)", "a \(actual.geometryType.rawValue)")
        }
        if expected.hasZ != actual.hasZ || expected.hasM != actual.hasM {
            return ("hasZ \(expected.hasZ), hasM \(expected.hasM)", "hasZ \(actual.hasZ), hasM \(actual.hasM)")
        }
        let (z, m) = (expected.hasZ, expected.hasM)
        func same(_ a: Double, _ b: Double, within limit: Double? = nil) -> Bool {
            if let limit, abs(a - b) <= limit { return true }
            return a == b && a.sign == b.sign || a.isNaN && b.isNaN
        }
        func vertexDifference(_ e: Vertex, _ a: Vertex, _ place: String) -> (expected: String, actual: String)? {
            if same(e.x, a.x, within: tolerance?.xy) && same(e.y, a.y, within: tolerance?.xy)
                && (!z || same(e.z, a.z, within: tolerance?.z)) && (!m || same(e.m, a.m)) { return nil }
            return ("\(place) (\(e.x), \(e.y)\(z ? ", z \(e.z)" : "")\(m ? ", m \(e.m)" : ""))",
                    "(\(a.x), \(a.y)\(z ? ", z \(a.z)" : "")\(m ? ", m \(a.m)" : ""))")
        }
        switch (expected.shape, actual.shape) {
        case (.point(let e), .point(let a)):
            return vertexDifference(e, a, "point")
        case (.multipoint(let e), .multipoint(let a)):
            guard e.count == a.count else { return ("\(e.count) points", "\(a.count)") }
            for (i, (ev, av)) in zip(e, a).enumerated() {
                if let difference = vertexDifference(ev, av, "point \(i)") { return difference }
            }
            return nil
        case (.polyline(let e), .polyline(let a)), (.polygon(let e), .polygon(let a)):
            guard e.count == a.count else { return ("\(e.count) parts", "\(a.count)") }
            for (p, (ep, ap)) in zip(e, a).enumerated() {
                guard ep.vertices.count == ap.vertices.count else {
                    return ("part \(p): \(ep.vertices.count) vertices", "\(ap.vertices.count)")
                }
                for (i, (ev, av)) in zip(ep.vertices, ap.vertices).enumerated() {
                    if let difference = vertexDifference(ev, av, "part \(p), vertex \(i)") { return difference }
                }
                if ep.curves != ap.curves {
                    return ("part \(p): curves \(ep.curves.map { "\($0.index): \($0.kind)" })",
                            "\(ap.curves.map { "\($0.index): \($0.kind)" })")
                }
            }
            return nil
        default:
            return ("\(expected.shape)", "\(actual.shape)")
        }
    }

    // MARK: schemas

    /// Where a schema difference is: a field, or a part of the layer's resource.
    struct SchemaPlace {
        var field: String?
        var detail: String
    }

    /// Every difference between the layer's schema and the one read back, in what a layer
    /// resource holds (not where it came from, nor which fields were inferred).
    static func schemaDifferences(_ expected: LayerSchema, _ found: LayerSchema) -> [(SchemaPlace, String, String)] {
        var differences: [(SchemaPlace, String, String)] = []
        func check<T: Equatable>(_ what: String, _ e: T, _ a: T, field: String? = nil) {
            if e != a { differences.append((SchemaPlace(field: field, detail: what), "\(what) \(e)", "\(a)")) }
        }
        check("name", expected.name, found.name)
        check("kind", expected.kind, found.kind)
        check("geometry type", expected.geometryType, found.geometryType)
        check("hasZ", expected.hasZ, found.hasZ)
        check("hasM", expected.hasM, found.hasM)
        check("spatial reference", expected.spatialReference, found.spatialReference)
        check("objectIdField", expected.objectIdField, found.objectIdField)
        check("globalIdField", expected.globalIdField, found.globalIdField)
        check("hasAttachments", expected.hasAttachments, found.hasAttachments)
        check("fields", expected.fields.map(\.name), found.fields.map(\.name))
        for field in expected.fields {
            guard let other = found.fields.first(where: { $0.name == field.name }) else { continue }
            var (e, a) = (field, other)
            (e.maxValueBytes, a.maxValueBytes) = (nil, nil)  // what one input told, not the field
            check("field", e, a, field: field.name)
        }
        check("relationships", expected.relationships, found.relationships)
        check("subtype field", expected.subtypeField, found.subtypeField)
        check("subtypes", expected.subtypes, found.subtypes)
        return differences
    }
}

private extension ErrorLocation {
    func with(detail: String) -> ErrorLocation {
        var copy = self
        copy.detail = detail
        return copy
    }
}
