import Foundation

/// The pages of one layer that a paging tool wrote (`<stem>-0.json`, `<stem>-1.json`, ..., each a
/// feature-service query page, a FeatureSet), read as ONE one-layer replica: the features of page 0,
/// then of page 1, and so on, in the order of the page numbers (`-10` after `-9`).
///
/// Streams as a single page does: opening surveys every page (structure only, as
/// ``EsriJSONReplicaSource`` does) to check that the pages agree and to count their features, and
/// keeps only their schemas; a cursor reads one page at a time and holds one buffer.
///
/// The pages must agree on the schema: the same fields (by name, case-insensitively, in any order:
/// a page whose fields come in another order has its attributes put in the first page's order) of
/// the same types, the same geometry type, Z and M, and the same spatial reference. A page that
/// contradicts the first is an error naming both pages. An empty page whose schema could only be
/// inferred says nothing and is not compared. A gap in the numbering is a warning
/// (``Diagnostic/Code/inputIncomplete``), as is `exceededTransferLimit` on the last page; on the
/// other pages it is what paging means and is not reported. OBJECTIDs repeated across pages are the
/// writers' business, as for any input: they are given new ones and reported.
///
/// The layer schema is `<stem>.layers.json` beside the pages when given (`schemaURL`), else each
/// page's own (`<stem>-<n>.layers.json` beside it, else its `fields`, else inferred from its values).
/// The replica and its layer are named after the stem where a page would have named them after its
/// own file.
final class PagedReplicaSource: ReplicaSource {
    /// One page: its number in the name, and the file.
    struct Page: Sendable, Equatable {
        var number: Int
        var url: URL
    }

    /// The pages, ordered by number.
    let pages: [Page]
    /// The name the pages share, before `-<n>`.
    let stem: String
    let replica: Replica

    private let sources: [EsriJSONReplicaSource]
    /// Per page, where each of its attributes goes in the group's field order; nil when the page's
    /// fields are the group's, in the same order.
    private let fieldMaps: [[Int]?]
    private let openingDiagnostics: [Diagnostic]

    /// `<stem>-<n>` with an optional `.json` extension (any case): the stem and the page number;
    /// nil for any other name.
    static func pageName(_ fileName: String) -> (stem: String, number: Int)? {
        var name = Substring(fileName)
        if name.lowercased().hasSuffix(".json") { name = name.dropLast(5) }
        guard let dash = name.lastIndex(of: "-"), dash != name.startIndex else { return nil }
        let digits = name[name.index(after: dash)...]
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let number = Int(digits) else { return nil }
        return (String(name[..<dash]), number)
    }

    /// Opens the pages `urls` (in any order; they are sorted by page number). Every name must be
    /// `<stem>-<n>[.json]` with one stem, in one folder, each number once.
    convenience init(pages urls: [URL], schemaURL: URL? = nil) throws {
        try self.init(pages: urls, schemaURL: schemaURL, chunkSize: 1 << 20)
    }

    init(pages urls: [URL], schemaURL: URL?, chunkSize: Int) throws {
        guard let firstURL = urls.first else {
            throw ReplicaExportError(.invalidOption, "no page given; give the files <stem>-0.json, <stem>-1.json, ... of one layer")
        }
        var pages: [Page] = []
        var stem: String?
        for url in urls {
            guard let (pageStem, number) = Self.pageName(url.lastPathComponent) else {
                throw ReplicaExportError(.invalidOption, "is not named as a page (<stem>-<n>.json); give the pages of one layer",
                                         at: ErrorLocation(input: url.path))
            }
            if let stem, stem != pageStem || url.deletingLastPathComponent().path != firstURL.deletingLastPathComponent().path {
                throw ReplicaExportError(.invalidOption,
                                         "is not a page of '\(stem)' in \(firstURL.deletingLastPathComponent().path); give the pages of one layer, from one folder",
                                         at: ErrorLocation(input: url.path))
            }
            stem = pageStem
            if let twin = pages.first(where: { $0.number == number }) {
                throw ReplicaExportError(.invalidOption, "page \(number) is given twice (also \(twin.url.lastPathComponent))",
                                         at: ErrorLocation(input: url.path))
            }
            pages.append(Page(number: number, url: url))
        }
        pages.sort { $0.number < $1.number }
        self.pages = pages
        self.stem = stem!
        if let schemaURL { try ReplicaSources.requireRegularFile(schemaURL, role: "schema") }

        var sources: [EsriJSONReplicaSource] = []
        for page in pages {
            guard try ReplicaSources.detectFormat(of: page.url) == .esriJSON else {
                throw ReplicaExportError(.notAReplica, "page \(page.number) is a mobile geodatabase, not a FeatureSet page; only JSON query pages are merged",
                                         at: ErrorLocation(input: page.url.path))
            }
            let source = try EsriJSONReplicaSource(url: page.url, schemaURL: schemaURL, chunkSize: chunkSize)
            guard source.isFeatureSet, source.replica.layers.count == 1 else {
                throw ReplicaExportError(.notAReplica,
                                         "page \(page.number) is a createReplica result, not a FeatureSet page of one layer; convert it on its own",
                                         at: ErrorLocation(input: page.url.path))
            }
            sources.append(source)
        }
        self.sources = sources

        // The first page that says something about the schema is the reference.
        func uninformative(_ index: Int) -> Bool {
            sources[index].replica.layers[0].schemaSource == .inferred && sources[index].featureCount(inLayer: 0) == 0
        }
        let referenceIndex = sources.indices.first { !uninformative($0) } ?? 0
        let reference = sources[referenceIndex]
        var maps: [[Int]?] = []
        for index in sources.indices {
            if uninformative(index) {
                maps.append(nil)
                continue
            }
            // The pages agree as declared; each may have widened fields for its own values.
            maps.append(try Self.fieldMap(of: pages[index], sources[index].declaredLayer(0),
                                          to: pages[referenceIndex], reference.declaredLayer(0)))
        }
        self.fieldMaps = maps

        // Every page is read with the widest fields any page needs.
        var widest = reference.replica.layers[0]
        for index in sources.indices where !uninformative(index) {
            let page = sources[index].replica.layers[0]
            for (i, field) in widest.fields.enumerated() {
                guard let other = page.fields.first(where: { $0.name.lowercased() == field.name.lowercased() }) else { continue }
                let wide = EsriValues.wider(field, other)
                if wide.type != field.type || wide.length != field.length {
                    var renamed = wide
                    renamed.name = field.name
                    widest.replaceField(at: i, with: renamed)
                }
            }
            widest.hasZ = widest.hasZ || page.hasZ
            widest.hasM = widest.hasM || page.hasM
        }
        for source in sources { source.widen(layer: 0, to: widest) }
        let referenceLayer = sources[referenceIndex].replica.layers[0]

        // Named after the stem where the page named them after its own file.
        let referenceStem = pages[referenceIndex].url.deletingPathExtension().lastPathComponent
        var layer = referenceLayer
        if layer.name == referenceStem { layer.name = self.stem }
        var replica = reference.replica
        if replica.name == referenceStem { replica.name = self.stem }
        replica.layers = [layer]
        self.replica = replica

        var diagnostics: [Diagnostic] = []
        let numbers = pages.map(\.number)
        var missing: [Int] = []
        for (a, b) in zip(numbers, numbers.dropFirst()) where b > a + 1 { missing.append(contentsOf: (a + 1)..<b) }
        if !missing.isEmpty {
            let listed = missing.prefix(10).map(String.init).joined(separator: ", ") + (missing.count > 10 ? ", ..." : "")
            diagnostics.append(Diagnostic(.inputIncomplete,
                "\(missing.count) page\(missing.count == 1 ? "" : "s") missing between page \(numbers.first!) and page \(numbers.last!) (\(listed)): their features are not in the output; query them again",
                at: ErrorLocation(input: firstURL.deletingLastPathComponent().appendingPathComponent(self.stem).path, layer: layer.name),
                count: missing.count))
        }
        self.openingDiagnostics = diagnostics
    }

    /// Where each attribute of `page` goes in the reference's field order, or nil when it is in
    /// place already; throws when the page contradicts the reference.
    private static func fieldMap(of page: Page, _ layer: LayerSchema, to referencePage: Page,
                                 _ reference: LayerSchema) throws -> [Int]? {
        func contradiction(_ what: String) -> ReplicaExportError {
            let inferred = layer.schemaSource == .inferred || reference.schemaSource == .inferred
            let advice = inferred
                ? "the field types were inferred from the values; put the layer resource beside the pages as <stem>.layers.json so that every page is read with it"
                : "the pages of one layer share fields, geometry type and spatial reference; convert this page on its own or query it again"
            return ReplicaExportError(.schemaMismatch,
                                      "page \(page.number) contradicts page \(referencePage.number) (\(referencePage.url.lastPathComponent)): \(what); \(advice)",
                                      at: ErrorLocation(input: page.url.path, layer: reference.name))
        }
        func describe(_ type: GeometryType?) -> String { type.map(\.rawValue) ?? "no geometry (a table)" }
        if layer.geometryType != reference.geometryType && !(layer.geometryType == nil && reference.geometryType == nil) {
            throw contradiction("its geometry type is \(describe(layer.geometryType)), not \(describe(reference.geometryType))")
        }
        if layer.hasZ != reference.hasZ { throw contradiction(layer.hasZ ? "it has Z values, the other has not" : "it has no Z values, the other has") }
        if layer.hasM != reference.hasM { throw contradiction(layer.hasM ? "it has M values, the other has not" : "it has no M values, the other has") }
        if let a = layer.spatialReference, let b = reference.spatialReference {
            let differ: Bool
            if let x = a.preferredWkid, let y = b.preferredWkid {
                differ = x != y
            } else if a.preferredWkid == nil, b.preferredWkid == nil, let x = a.wkt, let y = b.wkt {
                differ = x != y
            } else {
                differ = (a.preferredWkid == nil) != (b.preferredWkid == nil)
            }
            if differ {
                func text(_ sr: SpatialReference) -> String { sr.preferredWkid.map { "wkid \($0)" } ?? sr.wkt.map { "WKT \($0.prefix(40))" } ?? "unknown" }
                throw contradiction("its spatial reference is \(text(a)), not \(text(b))")
            }
        }
        var map: [Int] = []
        for field in layer.fields {
            guard let target = reference.fieldIndex(named: field.name) else {
                throw contradiction("it has a field '\(field.name)' the other has not")
            }
            let expected = reference.fields[target]
            if expected.type != field.type {
                throw contradiction("field '\(field.name)' is \(field.type.rawValue), not \(expected.type.rawValue)")
            }
            map.append(target)
        }
        if let absent = reference.fields.first(where: { layer.fieldIndex(named: $0.name) == nil }) {
            throw contradiction("it has no field '\(absent.name)'")
        }
        return map == Array(reference.fields.indices) ? nil : map
    }

    var diagnostics: [Diagnostic] {
        var all = openingDiagnostics
        var seen = Set<String>()
        for (index, source) in sources.enumerated() {
            for diagnostic in source.diagnostics {
                // Every page but the last is cut at the transfer limit: that is what paging is.
                if diagnostic.code == .inputIncomplete && index < sources.count - 1 { continue }
                // What every page says alike (an inferred schema, a field outside it) is said once.
                if index > 0 && !seen.insert("\(diagnostic.code)\u{0}\(diagnostic.message)").inserted { continue }
                if index == 0 { seen.insert("\(diagnostic.code)\u{0}\(diagnostic.message)") }
                all.append(diagnostic)
            }
        }
        return all
    }

    func featureCursor(inLayer layerIndex: Int, batchSize: Int) throws -> any FeatureCursor {
        guard layerIndex == 0 else {
            throw ReplicaExportError(.notAReplica, "there is no layer at index \(layerIndex); pages hold one layer",
                                     at: ErrorLocation(input: pages[0].url.path))
        }
        return PagedCursor(source: self, batchSize: max(1, batchSize))
    }

    func featureCount(inLayer layerIndex: Int) -> Int? {
        layerIndex == 0 ? sumOverPages { $0.featureCount(inLayer: 0) } : nil
    }

    func attachments(inLayer layerIndex: Int, _ body: (Attachment) throws -> Void) throws {
        guard layerIndex == 0 else { return }
        for source in sources { try source.attachments(inLayer: 0, body) }
    }

    func attachmentCount(inLayer layerIndex: Int) -> Int? {
        layerIndex == 0 ? sumOverPages { $0.attachmentCount(inLayer: 0) } : nil
    }

    /// The sum of a count over every page; nil when one page does not know its count.
    private func sumOverPages(_ count: (any ReplicaSource) -> Int?) -> Int? {
        var total = 0
        for source in sources {
            guard let n = count(source) else { return nil }
            total += n
        }
        return total
    }

    /// One page's cursor at a time; batches do not straddle pages.
    private final class PagedCursor: FeatureCursor {
        let source: PagedReplicaSource
        let batchSize: Int
        var page = 0
        var current: (any FeatureCursor)?
        let fieldCount: Int

        init(source: PagedReplicaSource, batchSize: Int) {
            self.source = source
            self.batchSize = batchSize
            fieldCount = source.replica.layers[0].fields.count
        }

        func next() throws -> [Feature]? {
            while page < source.sources.count {
                if current == nil { current = try source.sources[page].featureCursor(inLayer: 0, batchSize: batchSize) }
                do {
                    if var batch = try current!.next() {
                        if let map = source.fieldMaps[page] {
                            for i in batch.indices {
                                var attributes = [Value](repeating: .null, count: fieldCount)
                                for (from, to) in map.enumerated() { attributes[to] = batch[i].attributes[from] }
                                batch[i].attributes = attributes
                            }
                        }
                        return batch
                    }
                } catch {
                    page = source.sources.count
                    current = nil
                    throw error
                }
                current = nil
                page += 1
            }
            return nil
        }
    }
}

extension ReplicaSources {
    /// Opens the FeatureSet pages of one layer (`<stem>-0.json`, `<stem>-1.json`, ..., each a
    /// feature-service query page) as ONE one-layer replica whose features are those of page 0,
    /// then page 1, and so on by page number (`-10` after `-9`); `urls` may come in any order.
    ///
    /// Every name must be `<stem>-<n>[.json]` with one stem, in one folder, each number once. The
    /// pages must agree on the schema (the same fields by name, case-insensitively, in any order,
    /// of the same types; the same geometry type, Z, M and spatial reference): a page that
    /// contradicts the first throws ``ReplicaExportError/Code/schemaMismatch`` naming both pages.
    /// A gap in the numbering, and `exceededTransferLimit` on the last page, are reported as
    /// ``Diagnostic/Code/inputIncomplete``. Memory stays what one page needs: a cursor reads one
    /// page at a time.
    ///
    /// - Parameter schemaURL: the layer resource every page is read with, such as `<stem>.layers.json`;
    ///   nil = each page's own (`<stem>-<n>.layers.json` beside it, else its `fields`, else inferred).
    public static func openPages(_ urls: [URL], schemaURL: URL? = nil) throws -> any ReplicaSource {
        try PagedReplicaSource(pages: urls, schemaURL: schemaURL)
    }
}
