import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// The two formats replica-export writes itself, `json` (the createReplica payload with its layer
/// resources beside it) and `featurecollection`: every TestData input exports to both and verifies
/// through the library's own reader; the JSON payload, read back, exports to a FileGDB identical
/// to the one the original input gives (attachments included, by URL and embedded); a feature
/// collection's feature sets open in GDAL with the same values.
@Suite struct EsriJSONFormatTests {
    static let formats = ["json", "featurecollection"]

    /// Every payload under TestData that the golden run converts.
    static let inputs: [String] = {
        func listed(_ folder: String, _ keep: (String) -> Bool) -> [String] {
            TestPaths.entries(TestPaths.testData(folder)).filter(keep).map { "\(folder)/\($0)" }
        }
        return listed("esrijson") { $0.hasSuffix(".json") && !$0.hasSuffix(".layers.json") && !$0.hasSuffix(".geometry.json")
            && !$0.hasSuffix("metadata.json") }
            + listed("curves") { $0.hasSuffix(".replica.json") }
            + listed("mobilegdb") { $0.hasSuffix(".geodatabase") }
    }()

    static func export(_ input: URL, formats: [String], into output: URL, trueCurves: Bool,
                       configure: (inout ExportRequest) -> Void = { _ in }) throws -> ExportReport {
        var request = ExportRequest(input: input, formats: formats, outputDirectory: output, syncDataOptions: trueCurves ? 256 : 0)
        configure(&request)
        let report = try Exporter().export(request)
        #expect(report.failures.isEmpty, "\(report.failures)")
        return report
    }

    @Test(arguments: inputs, [false, true])
    func exportsAndVerifiesThroughTheLibrary(_ input: String, trueCurves: Bool) throws {
        let directory = try TestPaths.makeTemporaryDirectory("esrijson")
        defer { TestPaths.remove(directory) }
        let url = TestPaths.testData(input)
        let report = try Self.export(url, formats: Self.formats, into: directory, trueCurves: trueCurves)
        for format in Self.formats {
            #expect(report.outputs[format]?.isEmpty == false, "\(format)")
        }
        let verification = try Verifier().verify(VerifyRequest(input: url, outputDirectory: directory,
                                                               syncDataOptions: trueCurves ? 256 : 0))
        #expect(verification.formats.map(\.format) == Self.formats.sorted())
        #expect(verification.passed, "\(input):\n\(verification.summary)")
        #expect(verification.formats.allSatisfy { $0.layers.allSatisfy { $0.featuresIn == $0.featuresOut } })
        // Nothing is lost but what JSON cannot hold (no input has NaN, or features of another type).
        #expect(report.losses.isEmpty, "\(report.losses)")
    }

    // MARK: json: the payload exports to the same FileGDB as its input

    @Test(arguments: inputs)
    func jsonReadBackExportsTheSameFileGDB(_ input: String) throws {
        let directory = try TestPaths.makeTemporaryDirectory("json-roundtrip")
        defer { TestPaths.remove(directory) }
        let url = TestPaths.testData(input)
        let source = try ReplicaSources.open(url)
        let hasAttachments = source.replica.layers.indices.contains { source.attachmentCount(inLayer: $0) != 0 }
        for trueCurves in [false, true] {
            let name = trueCurves ? "curves" : "plain"
            let original = directory.appendingPathComponent("\(name)-original")
            _ = try Self.export(url, formats: ["filegdb"], into: original, trueCurves: trueCurves)
            for byURL in hasAttachments ? [true, false] : [true] {
                let json = directory.appendingPathComponent("\(name)-json-\(byURL)")
                _ = try Self.export(url, formats: ["json"], into: json, trueCurves: trueCurves) { $0.attachmentsDataByURL = byURL }
                let payload = try #require(FormatVerifier.document(in: json.appendingPathComponent("json"), extension: "json"))
                let again = directory.appendingPathComponent("\(name)-again-\(byURL)")
                _ = try Self.export(payload, formats: ["filegdb"], into: again, trueCurves: trueCurves)
                let differences = try Self.fileGDBDifferences(Self.gdb(in: original), Self.gdb(in: again))
                #expect(differences.isEmpty, "\(input) true curves \(trueCurves), by URL \(byURL):\n\(differences.prefix(10).joined(separator: "\n"))")
            }
        }
    }

    static func gdb(in output: URL) throws -> URL {
        let folder = output.appendingPathComponent("filegdb")
        let name = try #require(TestPaths.entries(folder).first { $0.hasSuffix(".gdb") })
        return folder.appendingPathComponent(name)
    }

    /// Every difference between two FileGDBs as GDAL reads them: layers, their definitions
    /// (fields, types, widths, nullability, aliases, domains, geometry type, spatial reference),
    /// every feature by FID (values and ISO WKB), domains and relationship classes.
    static func fileGDBDifferences(_ a: URL, _ b: URL) throws -> [String] {
        let (x, y) = (try GDALReadDataset(url: a), try GDALReadDataset(url: b))
        var differences: [String] = []
        guard x.layerNames == y.layerNames else { return ["layers \(x.layerNames) / \(y.layerNames)"] }
        for layer in x.layerNames {
            let (p, q) = (try x.layerInfo(layer), try y.layerInfo(layer))
            if p != q { differences.append("\(layer): \(p) / \(q)") }
            let (f, g) = (try x.features(layer), try y.features(layer))
            if f.count != g.count { differences.append("\(layer): \(f.count) / \(g.count) features") }
            for (m, n) in zip(f, g) where m != n {
                differences.append("\(layer) FID \(m.fid): \(m.values) \(m.geometryWKT ?? "-") / FID \(n.fid): \(n.values) \(n.geometryWKT ?? "-")")
            }
        }
        let (d, e) = (x.fieldDomains().sorted { $0.name < $1.name }, y.fieldDomains().sorted { $0.name < $1.name })
        if d != e { differences.append("domains \(d.map(\.name)) / \(e.map(\.name))") }
        let (r, s) = (x.relationships().sorted { $0.name < $1.name }, y.relationships().sorted { $0.name < $1.name })
        if r != s { differences.append("relationships \(r) / \(s)") }
        return differences
    }

    // MARK: attachments

    /// AttachmentTests' payload (5 MB of bytes, an empty file, a hostile name, one name twice, one
    /// by URL only) through `json`, by URL and embedded: read back with the same bytes, names and
    /// parents, and on to a FileGDB identical to the original's.
    @Test func attachmentsRoundTripByURLAndEmbedded() throws {
        let directory = try TestPaths.makeTemporaryDirectory("json-attachments")
        defer { TestPaths.remove(directory) }
        let input = try AttachmentTests.payload(in: directory)
        let original = directory.appendingPathComponent("original")
        _ = try Self.export(input, formats: ["filegdb"], into: original, trueCurves: false)
        for byURL in [true, false] {
            let output = directory.appendingPathComponent("json-\(byURL)")
            let report = try Self.export(input, formats: ["json"], into: output, trueCurves: false) { $0.attachmentsDataByURL = byURL }
            let folder = output.appendingPathComponent("json")
            let files = TestPaths.listing(folder)
            // By URL the bytes are files beside the payload (no index: the payload is the index).
            #expect(files.contains("attachments/sites/survey.bin") == byURL, "\(files)")
            #expect(!files.contains { $0.hasSuffix(".csv") }, "\(files)")
            let text = try String(contentsOf: folder.appendingPathComponent("inspections.json"), encoding: .utf8)
            #expect(text.contains("\"url\":\"attachments/sites/") == byURL)
            #expect(text.contains("\"data\":\"") == !byURL)
            #expect(text.contains("\"url\":\"https://example.com/attachments/6\""))
            #expect(report.diagnostics.contains { $0.code == .attachmentsByURL && $0.count == 1 })

            let read = try ReplicaSources.open(folder.appendingPathComponent("inspections.json"))
            var found: [Int64: ReplicaExport.Attachment] = [:]
            try read.attachments(inLayer: 0) { found[$0.attachmentId] = $0 }
            #expect(found.count == AttachmentTests.attachments.count)
            for expected in AttachmentTests.attachments {
                let attachment = try #require(found[expected.id])
                #expect(attachment.data == expected.bytes, "\(expected.id)")
                #expect(attachment.name == expected.name)
                #expect(ValueText.guidKey(attachment.parentGlobalId ?? "") == ValueText.guidKey(AttachmentTests.parent))
                #expect(attachment.size == expected.bytes.map { Int64($0.count) } ?? nil)
            }
            let again = directory.appendingPathComponent("again-\(byURL)")
            _ = try Self.export(folder.appendingPathComponent("inspections.json"), formats: ["filegdb"], into: again, trueCurves: false)
            let differences = try Self.fileGDBDifferences(Self.gdb(in: original), Self.gdb(in: again))
            #expect(differences.isEmpty, "\(differences.prefix(5))")
        }
    }

    /// A `url` the reader resolves is a file inside the payload's folder, and nothing else.
    @Test func onlyRelativeURLsInsideThePayloadsFolderAreRead() throws {
        let directory = try TestPaths.makeTemporaryDirectory("json-urls")
        defer { TestPaths.remove(directory) }
        let payload = directory.appendingPathComponent("inside/p.json")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("inside/a b"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: directory.appendingPathComponent("inside/a b/c.txt"))
        try Data("secret".utf8).write(to: directory.appendingPathComponent("outside.txt"))
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("inside/link.txt"),
                                                   withDestinationURL: directory.appendingPathComponent("outside.txt"))
        func file(_ reference: String) -> String? {
            EsriJSONReplicaSource.attachmentFile(reference, besidePayload: payload)?.lastPathComponent
        }
        #expect(file("a%20b/c.txt") == "c.txt")
        for refused in ["../outside.txt", "a%20b/../../outside.txt", "/etc/passwd", "file:///etc/passwd", "https://x/y",
                        "a%20b/./c.txt", "link.txt", "a%20b", "a%20b/c.txt?x", "a%20b\\c.txt", "%2Fetc%2Fpasswd", "missing.txt"] {
            #expect(file(refused) == nil, "\(refused)")
        }
    }

    // MARK: featurecollection through GDAL

    /// Each layer's featureSet, with its definition's fields (GDAL's ESRIJSON driver wants them
    /// there), opens in GDAL with the values and (straight-segment) geometries our reader reads.
    @Test(arguments: inputs)
    func featureCollectionLayersOpenInGDAL(_ input: String) throws {
        let directory = try TestPaths.makeTemporaryDirectory("fc-gdal")
        defer { TestPaths.remove(directory) }
        _ = try Self.export(TestPaths.testData(input), formats: ["featurecollection"], into: directory, trueCurves: true)
        let folder = directory.appendingPathComponent("featurecollection")
        let file = try #require(FormatVerifier.document(in: folder, extension: "json"))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let layers = try #require(document["layers"] as? [[String: Any]])
        let ours = try ReplicaSources.open(file)
        #expect(layers.count == ours.replica.layers.count)
        for (index, layer) in layers.enumerated() {
            let definition = try #require(layer["layerDefinition"] as? [String: Any])
            let featureSet = try #require(layer["featureSet"] as? [String: Any])
            // In the featureSet's own order (GDAL tells ESRIJSON by the members before `features`).
            var text = "{"
            for (key, value) in [("geometryType", featureSet["geometryType"]), ("spatialReference", featureSet["spatialReference"]),
                                 ("fields", definition["fields"]), ("features", featureSet["features"])] {
                guard let value else { continue }
                let json = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
                text += (text == "{" ? "" : ",") + "\"\(key)\":" + String(decoding: json, as: UTF8.self)
            }
            let extracted = directory.appendingPathComponent("layer-\(index).json")
            try (text + "}").write(to: extracted, atomically: false, encoding: .utf8)
            let gdal = try GDALReadDataset(url: extracted)
            let name = try #require(gdal.layerNames.first)
            let info = try gdal.layerInfo(name)
            let schema = ours.replica.layers[index]
            let read = try GDALDatasetSourceTests.all(ours, layer: index)
            var features = try gdal.features(name)
            #expect(features.count == read.count, "\(input) \(schema.name)")
            // GDAL takes the ObjectID as the FID and hands the features out in FID order (when they
            // are unique: a repeated one it renumbers, in the file's order).
            if let oid = schema.objectIDFieldIndex, info.fidColumn == schema.fields[oid].name,
               Set(read.map { $0.attributes[oid] }).count == read.count {
                let byFID = Dictionary(features.map { ($0.fid, $0) }, uniquingKeysWith: { first, _ in first })
                features = read.compactMap { $0.attributes[oid].integerValue.flatMap { byFID[$0] } }
                #expect(features.count == read.count, "\(input) \(schema.name): ObjectIDs")
            }
            for (feature, expected) in zip(features, read) {
                for (i, field) in schema.fields.enumerated() {
                    // GDAL takes an esriFieldTypeOID field as its FID, not as a column.
                    guard let column = info.fieldIndex(field.name) else {
                        #expect(field.type == .objectID, "\(field.name) missing")
                        if field.type == .objectID { #expect(.int64(feature.fid) == expected.attributes[i]) }
                        continue
                    }
                    #expect(Self.same(expected.attributes[i], feature.values[column]),
                            "\(input) \(schema.name) \(field.name): \(expected.attributes[i]) / \(feature.values[column])")
                }
                // GDAL 3.6.2's ESRIJSON driver reads no curvePaths / curveRings (no geometry).
                guard let geometry = expected.geometry, !geometry.hasCurves else { continue }
                let vertices = GeometryComparison.vertices(geometry)
                let wkb = try #require(feature.geometryWKB, "\(input) \(schema.name): no geometry")
                let theirs = GeometryComparison.vertices(try #require(try WKBDecoder.decode(wkb)))
                #expect(GeometryComparison.differ(vertices, theirs, tolerance: (0, 0), compareM: true, missingM: nil) == nil,
                        "\(input) \(schema.name)")
            }
        }
    }

    /// A value as GDAL's ESRIJSON driver reads it: integers and doubles as numbers, dates as the
    /// milliseconds' text (GDAL 3.6.2), everything else as the text written.
    static func same(_ value: Value, _ read: GDALFieldValue) -> Bool {
        switch (value, read) {
        case (.null, .null): return true
        case (.int64(let i), .string(let t)): return t == String(i)  // GDAL 3.6.2 knows no esriFieldTypeBigInteger
        case (.int16, _), (.int32, _), (.int64, _): return read.int64 == value.integerValue
        case (.float32(let f), _): return read.double.map { Float($0) == f } ?? false
        case (.float64(let d), _): return read.double == d
        case (.string(let s), .string(let t)): return s == t
        case (.guid(let g), .string(let t)): return t == ValueText.guidBracedUpper(g)
        case (.date(let ms), .dateTime(let y, let mo, let d, let h, let mi, let s, _)):
            let p = ValueText.parts(milliseconds: ms)
            return (p.year, p.month, p.day, p.hour, p.minute) == (y, mo, d, h, mi)
                && abs(Double(p.second) + Double(p.millisecond) / 1000 - Double(s)) < 0.0005
        case (.date(let ms), .integer(let i)): return ms == i
        case (.date(let ms), .string(let t)): return t == String(ms)  // GDAL 3.6.2 reads the milliseconds as text
        case (.dateOnly(let d), .string(let t)): return t == ValueText.isoDate(d)
        case (.timeOnly(let d), .string(let t)): return t == ValueText.isoTime(d)
        case (.timestampOffset(let d), .string(let t)): return t == ValueText.isoOffset(d)
        case (.blob(let b), .string(let t)): return Data(base64Encoded: t).map([UInt8].init) == b
        default: return false
        }
    }
}

/// Every field type at its edges, every geometry type with Z, M (and a missing M), curves, holes
/// and an empty point, written to both formats and read back by the library: the same schema,
/// values and geometries; only NaN and infinity (JSON has none) become null, reported.
@Suite struct EsriJSONValueTests {
    typealias MemorySource = ExporterTests.MemorySource

    static let codes = Domain.codedValue(name: "kinds \"quoted\"", codes: [CodedValue(code: .string("a"), name: "Alpha"),
                                                                         CodedValue(code: .string(" b"), name: " Beta")])
    static let range = Domain.range(name: "ratio", minimum: .float64(-0.5), maximum: .float64(1e300))
    static let fields = [
        Field(name: "OBJECTID", type: .objectID, alias: "Object ID", nullable: false, editable: false),
        Field(name: "GlobalID", type: .globalID, length: 38, nullable: false),
        Field(name: "parent", type: .guid),
        Field(name: "small", type: .smallInteger, domain: .range(name: "small range", minimum: .int16(-5), maximum: .int16(5))),
        Field(name: "int", type: .integer),
        Field(name: "big", type: .bigInteger),
        Field(name: "single", type: .single),
        Field(name: "double", type: .double, domain: range),
        Field(name: "kind", type: .string, alias: "Kind of thing", length: 40, domain: codes),
        Field(name: "text", type: .string),
        Field(name: "xml", type: .xml),
        Field(name: "when", type: .date),
        Field(name: "day", type: .dateOnly),
        Field(name: "time", type: .timeOnly),
        Field(name: "stamp", type: .timestampOffset),
        Field(name: "bytes", type: .blob),
        Field(name: "raster", type: .raster),
        Field(name: "sub", type: .integer),
    ]

    static func layer(_ id: Int, _ name: String, _ type: GeometryType?, hasZ: Bool = false, hasM: Bool = false) -> LayerSchema {
        var layer = LayerSchema(id: id, name: name, kind: type == nil ? .table : .featureLayer, geometryType: type, hasZ: hasZ,
                                hasM: hasM, spatialReference: type == nil ? nil : SpatialReference(wkid: 102100, latestWkid: 3857,
                                                                                                  xyResolution: 0.0001, xyTolerance: 0.001),
                                objectIdField: "OBJECTID", globalIdField: "GlobalID", fields: fields,
                                relationships: [Relationship(id: 7, name: "lines to notes", relatedLayerId: 4, cardinality: .oneToMany,
                                                             role: id == 4 ? .destination : .origin,
                                                             keyField: id == 4 ? "parent" : "GlobalID", isComposite: true)],
                                hasAttachments: id == 1, schemaSource: .layerResource)
        layer.subtypeField = "sub"
        layer.subtypes = [Subtype(code: .int32(1), name: "one", domains: ["kind": .codedValue(name: "one kinds", codes: [
            CodedValue(code: .string("c"), name: "C")])], defaultValues: ["kind": .string("c"), "small": .null])]
        return layer
    }

    static func values(_ oid: Int64) -> [Value] {
        [.int64(oid), .guid("6f9619ff-8b86-d011-b42d-00c04fc964ff"), .guid("{6F9619FF-8B86-D011-B42D-00C04FC964FE}"),
         .int16(.min), .int32(.max), .int64(.min), .float32(1.1), .float64(-828700.6830000001), .string("a"),
         .string("\"quoted\" \\ back\nline\ttab\u{0}nul\u{1f}é😀\u{2028}"), .string("<a b=\"1\"/>"),
         .date(milliseconds: -1), .dateOnly(DateOnly(year: 1, month: 1, day: 1)),
         .timeOnly(TimeOnly(hour: 23, minute: 59, second: 59, millisecond: 999)),
         .timestampOffset(TimestampOffset(utcMilliseconds: 1_710_510_330_250, offsetMinutes: -330)),
         .blob([0, 1, 2, 253, 254, 255]), .blob([]), .int32(1)]
    }

    static func extremes(_ oid: Int64) -> [Value] {
        var v = values(oid)
        v[3] = .int16(.max); v[4] = .int32(.min); v[5] = .int64(.max)
        v[6] = .float32(.leastNonzeroMagnitude); v[7] = .float64(-0.0)
        v[9] = .string(""); v[11] = .date(milliseconds: 253_402_300_799_999)
        return v
    }

    static func nulls(_ oid: Int64) -> [Value] {
        [.int64(oid)] + Array(repeating: .null, count: fields.count - 1)
    }

    static func nonFinite(_ oid: Int64) -> [Value] {
        var v = values(oid)
        v[6] = .float32(.infinity); v[7] = .float64(.nan)
        return v
    }

    static func source() -> MemorySource {
        let arc = Path(vertices: [Vertex(x: 0, y: 0, z: 1, m: .nan), Vertex(x: 10, y: 0, z: 2, m: 5), Vertex(x: 10, y: 10, z: 3, m: 0.1)],
                       curves: [CurveSegment(index: 0, kind: .circularArc(interior: XY(x: 5, y: -5)))])
        let straight = Path(vertices: [Vertex(x: 1e-7, y: .leastNonzeroMagnitude, z: -0.0, m: -1e300), Vertex(x: 123456789.123, y: -0.1, z: 0, m: 2)])
        let lines = [
            Feature(attributes: values(1), geometry: Geometry(.polyline([arc, straight]), hasZ: true, hasM: true)),
            Feature(attributes: extremes(2), geometry: Geometry(.polyline([straight]), hasZ: false, hasM: true)),
            Feature(attributes: nulls(3)),
            Feature(attributes: nonFinite(4), geometry: Geometry(.polyline([straight]), hasZ: true, hasM: false)),
        ]
        // Clockwise exterior with a counter-clockwise hole, and a curved exterior: Esri's rings.
        let exterior = Path(vertices: [Vertex(x: 0, y: 0), Vertex(x: 0, y: 10), Vertex(x: 10, y: 10), Vertex(x: 10, y: 0), Vertex(x: 0, y: 0)])
        let hole = Path(vertices: [Vertex(x: 2, y: 2), Vertex(x: 4, y: 2), Vertex(x: 4, y: 4), Vertex(x: 2, y: 4), Vertex(x: 2, y: 2)])
        let curved = Path(vertices: [Vertex(x: 20, y: 0), Vertex(x: 20, y: 10), Vertex(x: 30, y: 10), Vertex(x: 30, y: 0), Vertex(x: 20, y: 0)],
                          curves: [CurveSegment(index: 1, kind: .circularArc(interior: XY(x: 25, y: 15)))])
        let polygons = [Feature(attributes: values(1), geometry: Geometry(.polygon([exterior, hole, curved])))]
        let points = [Feature(attributes: values(1), geometry: Geometry(.multipoint([Vertex(x: 1, y: 2), Vertex(x: -3.25, y: 4)])))]
        let single = [Feature(attributes: values(1), geometry: Geometry(.point(Vertex(x: 1, y: 2, z: 3), ), hasZ: true)),
                      Feature(attributes: nulls(2), geometry: Geometry(.point(Vertex(x: .nan, y: .nan))))]
        let notes = [Feature(attributes: values(1)), Feature(attributes: nulls(2))]
        let layers = [layer(1, "lines \"zm\"", .polyline, hasZ: true, hasM: true), layer(2, "areas", .polygon),
                      layer(3, "many", .multipoint), layer(5, "one", .point, hasZ: true), layer(4, "notes", nil)]
        return MemorySource(replica: Replica(name: "edges", id: "{11111111-2222-3333-4444-555555555555}", layers: layers),
                            features: [lines, polygons, points, single, notes])
    }

    @Test(arguments: [false, true])
    func everyValueAndGeometryReadsBackTheSame(trueCurves: Bool) throws {
        let directory = try TestPaths.makeTemporaryDirectory("esrijson-values")
        defer { TestPaths.remove(directory) }
        let source = Self.source()
        let report = try Exporter().export(from: source, request: ExportRequest(
            input: directory.appendingPathComponent("edges.json"), formats: EsriJSONFormatTests.formats,
            outputDirectory: directory, syncDataOptions: trueCurves ? 256 : 0))
        #expect(report.failures.isEmpty, "\(report.failures)")
        // The two numbers JSON cannot hold, one per field, placed at their OBJECTID.
        for format in EsriJSONFormatTests.formats {
            let losses = report.losses.filter { $0.location.format == format }
            #expect(losses.map(\.code) == [.nonFiniteNumberDropped, .nonFiniteNumberDropped], "\(format): \(losses)")
            #expect(losses.allSatisfy { $0.location.objectID == 4 && $0.count == 1 && $0.location.layer == "lines \"zm\"" })
            #expect(Set(losses.compactMap(\.location.field)) == ["single", "double"])
        }
        let profile = try #require(WriterRegistry.standard.profile(named: "json"))
        var preparer = GeometryPreparer(PreparationKey(profile: profile, trueCurvesRequested: trueCurves), maxDeviation: nil)
        for format in EsriJSONFormatTests.formats {
            let file = directory.appendingPathComponent("\(format)/edges.json")
            let read = try ReplicaSources.open(file)
            #expect(read.replica.layers.map(\.id) == source.replica.layers.map(\.id), "\(format)")
            if format == "json" {
                #expect(read.replica.id == source.replica.id && read.replica.name == "edges" && read.replica.syncModel == SyncModel.none)
            }
            for (index, layer) in source.replica.layers.enumerated() {
                let written = read.replica.layers[index]
                let differences = FormatVerifier.schemaDifferences(layer, written)
                #expect(differences.isEmpty, "\(format) \(layer.name): \(differences.map { "\($0.0.detail): \($0.1) / \($0.2)" })")
                let features = try GDALDatasetSourceTests.all(read, layer: index)
                #expect(features.count == source.features[index].count)
                for (expected, actual) in zip(source.features[index], features) {
                    for (i, field) in layer.fields.enumerated() {
                        #expect(FormatVerifier.same(expected.attributes[i], actual.attributes[i]),
                                "\(format) \(layer.name) \(field.name): \(expected.attributes[i]) / \(actual.attributes[i])")
                    }
                    let prepared = try expected.geometry.map { try preparer.prepare($0, spatialReference: layer.spatialReference) }
                    let problem = FormatVerifier.geometryDifference(prepared.flatMap(FormatVerifier.esriGeometry), actual.geometry)
                    #expect(problem == nil, "\(format) \(layer.name): \(problem.map { "\($0.expected) / \($0.actual)" } ?? "")")
                }
            }
        }
        // How the text spells what needed care.
        let text = try String(contentsOf: directory.appendingPathComponent("json/edges.json"), encoding: .utf8)
        for spelled in [#""single":1.1,"#, #""double":-0.0,"#, #""double":-828700.6830000001,"#, #""big":-9223372036854775808,"#,
                        #"\"quoted\" \\ back\nline\ttab\u0000nul\u001fé😀"#, #""when":-1,"#, #""day":"0001-01-01""#,
                        #""stamp":"2024-03-15T08:15:30.250-05:30""#, #""bytes":"AAEC/f7/""#, #""raster":"""#,
                        #""GlobalID":"{6F9619FF-8B86-D011-B42D-00C04FC964FF}""#, #""single":null,"double":null"#,
                        #"[1e-07,5e-324,-0.0,-1e+300]"#, #"{"x":null,"y":null}"#, #""hasZ":false,"hasM":true"#] {
            #expect(text.contains(spelled), "\(spelled)")
        }
        #expect(text.contains(trueCurves ? #""curvePaths""# : #""paths""#))
        // The arc's end with its Z and M, then its interior (the preparer's angular midpoint).
        #expect(text.contains(#"{"c":[[10,0,2,5],["#) == trueCurves)
        let schema = try String(contentsOf: directory.appendingPathComponent("json/edges.layers.json"), encoding: .utf8)
        #expect(schema.contains(#""xyUnits":10000,"xyTolerance":0.001"#))
        #expect(schema.contains(#""extent":{"xmin":"#))
    }
}

/// verify through the library names a changed value, schema and coordinate; the service hands
/// out json as a zip with its layer resources, a one-file feature collection as itself.
@Suite struct EsriJSONVerifyAndServiceTests {
    static func replace(_ old: String, with new: String, in url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let range = try #require(text.range(of: old), "\(old) in \(url.lastPathComponent)")
        try text.replacingCharacters(in: range, with: new).write(to: url, atomically: true, encoding: .utf8)
    }

    @Test func tamperingIsFoundAndPlaced() throws {
        let directory = try TestPaths.makeTemporaryDirectory("esrijson-tamper")
        defer { TestPaths.remove(directory) }
        let input = TestPaths.testData("esrijson/replica_esri_test.json")
        _ = try Exporter().export(ExportRequest(input: input, formats: EsriJSONFormatTests.formats, outputDirectory: directory))
        let request = VerifyRequest(input: input, outputDirectory: directory)
        #expect(try Verifier().verify(request).passed)

        try Self.replace(#""objectid":306121,"facility":123,"description":"hello""#,
                         with: #""objectid":306121,"facility":123,"description":"TAMPERED""#,
                         in: directory.appendingPathComponent("json/esri_test.json"))
        try Self.replace(#""alias":"Description""#, with: #""alias":"Changed""#,
                         in: directory.appendingPathComponent("json/esri_test.layers.json"))
        try Self.replace(#"{"x":-122.1107477,"#, with: #"{"x":-122.1107478,"#,
                         in: directory.appendingPathComponent("featurecollection/esri_test.json"))
        let report = try Verifier().verify(request)
        #expect(!report.passed)
        let json = try #require(report.formats.first { $0.format == "json" }?.layers.first)
        #expect(json.differenceCount == 2, "\(json.differences)")
        #expect(json.differences.contains { $0.location.objectID == 306121 && $0.location.field == "description"
            && $0.actual.contains("TAMPERED") })
        #expect(json.differences.contains { $0.location.field == "description" && $0.actual.contains("Changed") })
        let collection = try #require(report.formats.first { $0.format == "featurecollection" }?.layers.first)
        #expect(collection.differenceCount == 1 && collection.differences.first?.actual.contains("-122.1107478") == true,
                "\(collection.differences)")
    }

    @Test func theServiceZipsJSONWithItsSchemaAndHandsOutAFeatureCollection() throws {
        let work = try TestPaths.makeTemporaryDirectory("esrijson-service")
        defer { TestPaths.remove(work) }
        let input = TestPaths.testData("mobilegdb/canyonlands_3b1fef0d.geodatabase")
        let base = URL(string: "https://example.com/replicafiles")!
        let json = try ReplicaService().export(
            try CreateReplicaParameters(formBody: "syncModel=none&dataFormat=json&layers=0&replicaName=parks"),
            input: input, workDirectory: work, resultBaseURL: base)
        let zip = work.appendingPathComponent("\(ReplicaService.folderName(json.replicaID))/parks.zip")
        #expect(json.resultUrl.hasSuffix("/parks.zip") && FileManager.default.fileExists(atPath: zip.path))
        let unzipped = work.appendingPathComponent("unzipped")
        let run = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"),
                                    ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", zip.path, unzipped.path])
        try #require(run.status == 0, "\(run.stderr)")
        #expect(TestPaths.entries(unzipped) == ["parks.json", "parks.layers.json"])
        // The file and the response name the same replica.
        let payload = try ReplicaSources.open(unzipped.appendingPathComponent("parks.json"))
        #expect(payload.replica.id == json.replicaID && payload.replica.name == "parks")
        #expect(payload.replica.layers.first?.schemaSource == .layerResource)

        let collection = try ReplicaService().export(
            try CreateReplicaParameters(formBody: "syncModel=none&dataFormat=featureCollection&layers=0,1&replicaName=parks"),
            input: input, workDirectory: work, resultBaseURL: base)
        #expect(collection.resultUrl.hasSuffix("/parks.json"), "\(collection.resultUrl)")
        let file = work.appendingPathComponent("\(ReplicaService.folderName(collection.replicaID))/parks.json")
        #expect(try ReplicaSources.open(file).replica.layers.map(\.id) == [0, 1])

        // Filtered and reprojected as every format is: the features of the FileGDB of the same request.
        let body = "syncModel=none&layers=0,1&replicaName=f&geometry=-109.95,38.2,-109.8,38.45&inSR=4326&replicaSR=4326"
            + "&layerQueries=" + ServiceExportTests.encoded(#"{"0":{"where":"RDSURFACE <> 'Paved'"}}"#)
        let filtered = try ReplicaService().export(try CreateReplicaParameters(formBody: body + "&dataFormat=featureCollection"),
                                                   input: input, workDirectory: work, resultBaseURL: base)
        let gdb = try ReplicaService().export(try CreateReplicaParameters(formBody: body + "&dataFormat=filegdb"),
                                              input: input, workDirectory: work, resultBaseURL: base)
        let read = try ReplicaSources.open(work.appendingPathComponent("\(ReplicaService.folderName(filtered.replicaID))/f.json"))
        #expect(read.replica.layers.allSatisfy { $0.spatialReference?.preferredWkid == 4326 })
        let gdbPath = "/vsizip/" + work.appendingPathComponent("\(ReplicaService.folderName(gdb.replicaID))/f.zip").path + "/f.gdb"
        let oracle = try GDALReadDataset(url: URL(fileURLWithPath: gdbPath))
        for (index, layer) in read.replica.layers.enumerated() {
            let ours = try GDALDatasetSourceTests.all(read, layer: index)
            let theirs = try oracle.features(layer.name)
            #expect(ours.count == theirs.count && !ours.isEmpty, "\(layer.name): \(ours.count) / \(theirs.count)")
            let oid = try #require(layer.objectIDFieldIndex)
            #expect(ours.compactMap { $0.attributes[oid].integerValue }.sorted() == theirs.map(\.fid).sorted(), "\(layer.name)")
        }
    }

    /// A layer whose type was inferred from geometries of several types: json keeps every
    /// geometry (its layer resource names no type, so the reader takes each feature's), a feature
    /// collection declares the first type and writes the others to a layer of their own after it,
    /// `<layer>_<type>s` with a new id (reported), as FileGDB and GeoPackage split them.
    @Test func aLayerOfSeveralGeometryTypes() throws {
        let directory = try TestPaths.makeTemporaryDirectory("esrijson-mixed")
        defer { TestPaths.remove(directory) }
        let input = directory.appendingPathComponent("mixed.json")
        try Data(#"""
            {"replicaName": "mixed", "layers": [{"id": 0, "features": [
              {"attributes": {"OBJECTID": 1}, "geometry": {"x": 1, "y": 2, "spatialReference": {"wkid": 4326}}},
              {"attributes": {"OBJECTID": 2}, "geometry": {"paths": [[[0, 0], [1, 1]]]}},
              {"attributes": {"OBJECTID": 3}, "geometry": {"x": 3, "y": 4}},
              {"attributes": {"OBJECTID": 4}, "geometry": {"paths": [[[2, 2], [3, 3]]]}}]}]}
            """#.utf8).write(to: input)
        let output = directory.appendingPathComponent("out")
        let report = try Exporter().export(ExportRequest(input: input, formats: EsriJSONFormatTests.formats, outputDirectory: output))
        #expect(report.losses.isEmpty, "\(report.losses)")
        #expect(report.diagnostics.filter { $0.code == .geometryTypeSplit }.map { "\($0.location.format ?? "") \($0.count ?? 0)" }
                == ["featurecollection 2"])
        let schema = try String(contentsOf: output.appendingPathComponent("json/mixed.layers.json"), encoding: .utf8)
        #expect(!schema.contains("geometryType"))

        // Read back: the points in the layer, the polylines in a layer of their own after it, in
        // input order, nothing left beside the document.
        let collection = try ReplicaSources.open(output.appendingPathComponent("featurecollection/mixed.json"))
        let layers = collection.replica.layers
        #expect(layers.map(\.geometryType) == [.point, .polyline])
        #expect(layers.count == 2 && layers[1].name == "\(layers[0].name)_polylines" && layers[1].id == 1)
        func objectIDs(_ index: Int) throws -> [Int64] {
            var ids: [Int64] = []
            try collection.features(inLayer: index, batchSize: 10) { batch in
                ids += batch.map { $0.attributes[0].integerValue ?? 0 }
                #expect(batch.allSatisfy { $0.geometry != nil })
            }
            return ids
        }
        #expect(try objectIDs(0) == [1, 3])
        #expect(try objectIDs(1) == [2, 4])
        let files = try FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("featurecollection").path)
        #expect(files.sorted() == ["mixed.json"])
        let verification = try Verifier().verify(VerifyRequest(input: input, outputDirectory: output))
        #expect(verification.passed, "\(verification.summary)")
    }

    @Test func returnAttachmentsDataByUrlChoosesHowAttachmentsTravel() throws {
        let defaults = try CreateReplicaParameters(formBody: "syncModel=none&dataFormat=json&layers=0")
        #expect(defaults.returnAttachmentsDataByURL)
        let embedded = try CreateReplicaParameters(formBody: "syncModel=none&dataFormat=json&layers=0&returnAttachmentsDatabyURL=false")
        #expect(!embedded.returnAttachmentsDataByURL)
        #expect(!ExportRequest(embedded, input: URL(fileURLWithPath: "x"), outputDirectory: URL(fileURLWithPath: "y")).attachmentsDataByURL)
        #expect(throws: ReplicaExportError.self) {
            try CreateReplicaParameters(formBody: "syncModel=none&dataFormat=json&layers=0&returnAttachmentsDataByUrl=maybe")
        }
    }
}

/// Numbers are written in their shortest round-trip form, whatever path writes them.
@Suite struct EsriJSONNumberTests {
    /// The text `write` puts in a file.
    static func text(_ write: (JSONTextFile) throws -> Void) throws -> String {
        let directory = try TestPaths.makeTemporaryDirectory("numbers")
        defer { TestPaths.remove(directory) }
        let url = directory.appendingPathComponent("n.txt")
        let out = try JSONTextFile(path: url.path, location: ErrorLocation())
        try write(out)
        try out.close()
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test func doublesReadBackTheSameAndNoLongerThanSwiftWritesThem() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0.1, 0.3, 0.30000000000000004, -828700.6830000001, 1e-4, 9.999e-5, 0.05, 123456789.123,
                                999999999999999.9, 1e15, 0x1p50 / 1000, 2.5e-3, -0.001, 1e300, .leastNonzeroMagnitude, -0.0, 0.0]
        for decimals in 0...12 {
            for _ in 0..<2000 {
                let scale = pow(10, Double(decimals))
                values.append((Double.random(in: -2e7...2e7, using: &generator) * scale).rounded() / scale)
            }
        }
        for _ in 0..<20000 { values.append(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))) }
        values = values.filter(\.isFinite)
        let text = try Self.text { out in
            for v in values { out.number(v); out.byte(UInt8(ascii: "\n")) }
        }
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == values.count)
        for (value, line) in zip(values, lines) {
            let read = try #require(Double(line), "\(line)")
            #expect(read == value && read.sign == value.sign, "\(value) written \(line)")
            // Swift's own shortest text, less the ".0" of a whole number (-0.0 keeps it: its sign).
            var swift = value.description
            if swift.hasSuffix(".0") && !(value == 0 && value.sign == .minus) { swift.removeLast(2) }
            #expect(line.count <= swift.count, "\(value): \(line) longer than \(swift)")
        }
    }

    @Test func floatsReadBackAsTheSameFloatThroughADouble() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Float] = [1.1, 0.1, 0.893317, 3.4028235e38, .leastNonzeroMagnitude, 16777216, -0.0, 1e-4, 0.3457]
        for _ in 0..<20000 { values.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))) }
        for _ in 0..<20000 { values.append(Float(Double.random(in: -1e6...1e6, using: &generator))) }
        values = values.filter(\.isFinite)
        let text = try Self.text { out in
            for v in values { out.number(v); out.byte(UInt8(ascii: "\n")) }
        }
        for (value, line) in zip(values, text.split(separator: "\n")) {
            let read = try #require(Double(String(line)), "\(line)")
            #expect(Float(read) == value && Float(read).sign == value.sign, "\(value) written \(line)")
        }
    }
}
