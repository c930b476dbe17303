import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// What the KML and Excel tests share: an in-memory replica exported through the exporter (as a
/// payload would be), verified with the format's own verifier, and outputs read back through GDAL.
enum FormatFixtures {
    /// `rows` of ``WriterFixtures/allTypesFields`` as features of `layer`, at `vertices` (nil: none).
    static func features(_ rows: [[Value]], at vertices: [Vertex?], hasZ: Bool = false, hasM: Bool = false) -> [Feature] {
        zip(rows, vertices).map { row, vertex in
            Feature(attributes: row, geometry: vertex.map { Geometry(.point($0), hasZ: hasZ, hasM: hasM) })
        }
    }

    /// Exports `layers` with their `features` to `format` under `directory`.
    static func export(_ layers: [LayerSchema], _ features: [[Feature]], format: String, into directory: URL,
                       strict: Bool = false, name: String = "replica") throws -> (ExportReport, ExporterTests.MemorySource) {
        let source = ExporterTests.MemorySource(replica: Replica(name: name, layers: layers), features: features)
        source.knowsCounts = true
        var request = ExportRequest(input: directory.appendingPathComponent("memory.json"), formats: [format],
                                    outputDirectory: directory)
        request.strict = strict
        return (try Exporter().export(from: source, request: request), source)
    }

    /// The format's verifier run on what `export` wrote.
    static func verify(_ source: any ReplicaSource, format: String, in directory: URL) throws -> FormatVerification {
        let profile = try #require(WriterRegistry.standard.profile(named: format))
        var verifier = FormatVerifier(source: source, profile: profile, trueCurves: false, maxDeviation: nil,
                                      folder: directory.appendingPathComponent(format))
        return try verifier.run()
    }

    /// The diagnostics of `format` with `code`.
    static func diagnostics(_ report: ExportReport, _ format: String, _ code: Diagnostic.Code) -> [Diagnostic] {
        report.diagnostics.filter { $0.location.format == format && $0.code == code }
    }
}

/// KML: one KMZ holding one document, a folder per layer, typed ExtendedData under schemas at the
/// top, read back through LIBKML as verify reads it; attachments inside the KMZ.
@Suite struct KMLWriterTests {
    static func read(_ kmz: URL) throws -> GDALReadDataset {
        try GDALReadDataset(url: kmz, path: "/vsizip/\(kmz.path)/doc.kml", options: KMLFormat.profile.readBack.open)
    }

    static func document(_ kmz: URL) throws -> String {
        String(decoding: try #require(try ZipReader(path: kmz.path).contents(of: "doc.kml")), as: UTF8.self)
    }

    static func zipListing(_ url: URL) throws -> [String] {
        let listing = try Processes.succeed("unzip", ["-Z1", url.path])
        return listing.split(separator: "\n").map(String.init)
    }

    @Test func everyFieldTypeIsTypedExtendedDataInWGS84() throws {
        let dir = try TestPaths.makeTemporaryDirectory("kml-types")
        defer { try? FileManager.default.removeItem(at: dir) }
        var rows = WriterFixtures.allTypesRows
        rows[0][6] = .string("  Zürich\u{1} 東京\r\n🚀")   // leading spaces, a control character, CR LF
        rows[1][3] = .int64(9_007_199_254_740_993)       // 2^53 + 1: exact as text
        rows[1][5] = .float64(0.30000000000000004)       // 17 digits: GDAL alone would print 0.3
        let layer = WriterFixtures.allTypesLayer(name: "all types", hasZ: true, hasM: true, wkid: 3857)
        let features = FormatFixtures.features(rows, at: [Vertex(x: 261_600, y: 6_250_000, z: 10, m: 5),
                                                          Vertex(x: 261_601.5, y: 6_250_001.25, z: -3.5, m: 1), nil],
                                               hasZ: true, hasM: true)
        let (report, source) = try FormatFixtures.export([layer], [features], format: "kml", into: dir)
        #expect(report.failures.isEmpty)
        let kmz = dir.appendingPathComponent("kml/replica.kmz")
        #expect(report.outputs["kml"]?.map(\.url) == [kmz])
        #expect(TestPaths.entries(dir.appendingPathComponent("kml")) == ["replica.kmz"])
        #expect(try Self.zipListing(kmz) == ["doc.kml"])

        // The schema comes first, typed from the columns; each placemark is named by its ObjectID.
        let doc = try Self.document(kmz)
        let schema = try #require(doc.range(of: "<Schema name=\"all_types\" id=\"all_types\">"))
        let folder = try #require(doc.range(of: "<Folder><name>all_types</name>"))
        #expect(schema.lowerBound < folder.lowerBound)
        #expect(doc.components(separatedBy: "<Schema ").count == 2)
        for (field, type) in [("OBJECTID", "string"), ("small", "short"), ("whole", "int"), ("big", "string"), ("single", "float"),
                              ("dbl", "double"), ("name", "string"), ("stamp", "string"), ("bytes", "string")] {
            #expect(doc.contains("<SimpleField name=\"\(field)\" type=\"\(type)\"></SimpleField>"), "\(field)")
        }
        #expect(!doc.contains("replica-export:name"))
        #expect(doc.contains("<name>1</name>") && doc.contains("<name>17</name>"))
        // Z as altitude: the only layer has Z.
        #expect(doc.contains("<Point><altitudeMode>absolute</altitudeMode><coordinates>"))
        #expect(doc.hasSuffix("</Folder>\n</Document></kml>\n"))

        let ds = try Self.read(kmz)
        #expect(ds.layerNames == ["all_types"])
        let info = try ds.layerInfo("all_types")
        func type(_ name: String) -> String? { info.fields.first { $0.name == name }?.type }
        #expect(type("whole") == "Integer" && type("dbl") == "Real" && type("single") == "Real" && type("big") == "String")
        let read = try ds.features("all_types")
        try #require(read.count == 3)
        #expect(read[0].value("name", in: info) == .string("Zürich 東京\n🚀"))
        #expect(read[1].value("big", in: info) == .string("9007199254740993"))
        #expect(read[1].value("dbl", in: info) == .real(0.30000000000000004))
        #expect(read[0].value("single", in: info) == .real(1.1))
        #expect(read[0].value("stamp", in: info) == .string("2024-03-15T13:45:30.250Z"))
        #expect(read[0].value("bytes", in: info) == .string("AAEC/v8="))
        #expect(read[2].geometryWKB == nil)
        let point = try #require(try read[0].geometryWKB.flatMap { try WKBDecoder.decode($0) })
        let lonLat = try #require(GDALGeometryOracle.transform(x: 261_600, y: 6_250_000, from: "EPSG:3857", to: "EPSG:4326"))
        guard case .point(let p) = point.shape else { Issue.record("not a point: \(point)"); return }
        #expect(abs(p.x - lonLat.x) < 1e-12 && abs(p.y - lonLat.y) < 1e-12 && p.z == 10 && point.hasZ && !point.hasM)

        // What was not kept is reported, with the first ObjectID.
        let changed = FormatFixtures.diagnostics(report, "kml", .textChanged)
        #expect(changed.count == 1 && changed.first?.count == 1 && changed.first?.location.objectID == 1
                && changed.first?.location.field == "name" && changed.first?.severity == .loss)
        #expect(!FormatFixtures.diagnostics(report, "kml", .measuresDropped).isEmpty)
        let verification = try FormatFixtures.verify(source, format: "kml", in: dir)
        #expect(verification.passed, "\(verification)")
        #expect(verification.layers.first?.valuesCompared == 3 * 15)

        // Strict refuses the changed text, and writes nothing.
        let strictDir = dir.appendingPathComponent("strict")
        #expect(throws: ReplicaExportError.self) {
            _ = try FormatFixtures.export([layer], [features], format: "kml", into: strictDir, strict: true)
        }
        #expect(TestPaths.listing(strictDir).allSatisfy { !$0.hasSuffix(".kmz") })
    }

    /// One folder per layer and table, in order, each with its schema at the top; an empty geometry
    /// is written as none (GDAL would write an empty point at 0,0); a layer without features
    /// keeps its (empty) folder.
    @Test func oneFolderPerLayerAndTable() throws {
        let dir = try TestPaths.makeTemporaryDirectory("kml-layers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let oid = Field(name: "OBJECTID", type: .objectID)
        let points = LayerSchema(id: 0, name: "points", geometryType: .point, spatialReference: .wgs84,
                                 objectIdField: "OBJECTID", fields: [oid, Field(name: "n", type: .integer)], schemaSource: .layerResource)
        let lines = LayerSchema(id: 1, name: "lines", geometryType: .polyline, spatialReference: .wgs84,
                                objectIdField: "OBJECTID", fields: [oid, Field(name: "label", type: .string)], schemaSource: .layerResource)
        let empty = LayerSchema(id: 2, name: "empty", geometryType: .point, spatialReference: .wgs84,
                                objectIdField: "OBJECTID", fields: [oid], schemaSource: .layerResource)
        let table = LayerSchema(id: 3, name: "notes", kind: .table, objectIdField: "OBJECTID",
                                fields: [oid, Field(name: "text", type: .string)], schemaSource: .layerResource)
        let line = Geometry(.polyline([Path(vertices: [Vertex(x: 1, y: 2), Vertex(x: 3, y: 4)]),
                                       Path(vertices: [Vertex(x: 5, y: 6), Vertex(x: 7, y: 8)])]))
        let features: [[Feature]] = [
            [Feature(attributes: [.int64(1), .int32(5)], geometry: Geometry(.point(Vertex(x: 10, y: 20)))),
             Feature(attributes: [.int64(2), .int32(6)], geometry: Geometry(.point(Vertex(x: .nan, y: .nan))))],
            [Feature(attributes: [.int64(1), .string("a & <b>")], geometry: line)],
            [],
            [Feature(attributes: [.int64(1), .string("note")])],
        ]
        let (report, source) = try FormatFixtures.export([points, lines, empty, table], features, format: "kml", into: dir)
        #expect(report.failures.isEmpty)
        let kmz = dir.appendingPathComponent("kml/replica.kmz")
        let doc = try Self.document(kmz)
        let folders = doc.components(separatedBy: "<Folder><name>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        #expect(folders == ["points", "lines", "empty", "notes"])
        // Three schemas (the empty layer has none), all before the first folder.
        let firstFolder = try #require(doc.range(of: "<Folder>")).lowerBound
        #expect(doc.components(separatedBy: "<Schema ").count == 4)
        #expect(doc[firstFolder...].range(of: "<Schema ") == nil)
        // No altitude mode: no layer has Z.
        #expect(!doc.contains("altitudeMode"))
        #expect(!doc.contains("<coordinates>0,0</coordinates>"))
        let ds = try Self.read(kmz)
        #expect(ds.layerNames == ["points", "lines", "empty", "notes"])
        #expect(try ds.features("points")[1].geometryWKB == nil)
        #expect(try ds.features("lines").first?.geometryWKT == "MULTILINESTRING ((1 2,3 4),(5 6,7 8))")
        let notes = try ds.layerInfo("notes")
        #expect(try ds.features("notes").first?.value("text", in: notes) == .string("note"))
        #expect(try FormatFixtures.verify(source, format: "kml", in: dir).passed)
    }

    /// `AltitudeMode=absolute` only where no 2D line or polygon layer would be put at sea level.
    @Test func altitudeModeOnlyWhereEveryLineHasZ() {
        func layer(_ type: GeometryType, z: Bool) -> LayerSchema {
            LayerSchema(id: 0, name: "l", geometryType: type, hasZ: z, schemaSource: .layerResource)
        }
        func options(_ layers: [LayerSchema]) -> [String] { KMLFormat.datasetOptions(for: Replica(name: "r", layers: layers)) }
        #expect(options([layer(.point, z: true), layer(.polygon, z: true)]) == ["AltitudeMode=absolute"])
        #expect(options([layer(.point, z: true), layer(.point, z: false), layer(.multipoint, z: false)]) == ["AltitudeMode=absolute"])
        #expect(options([layer(.point, z: true), layer(.polyline, z: false)]) == [])
        #expect(options([layer(.polygon, z: false)]) == [])
    }

    /// Field names GDAL would write unescaped into the document are renamed.
    @Test func fieldNamesAreSafeInTheDocument() throws {
        let dir = try TestPaths.makeTemporaryDirectory("kml-names")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = LayerSchema(id: 0, name: "odd", kind: .table, fields: [Field(name: "a<b", type: .integer),
                                                                            Field(name: "a>b", type: .integer),
                                                                            Field(name: "q\"&", type: .string)],
                                schemaSource: .layerResource)
        let (report, source) = try FormatFixtures.export([layer], [[Feature(attributes: [.int32(1), .int32(2), .string("x")])]],
                                                         format: "kml", into: dir)
        #expect(report.failures.isEmpty)
        let doc = try Self.document(dir.appendingPathComponent("kml/replica.kmz"))
        #expect(doc.contains("<SimpleData name=\"a_b\">1</SimpleData>") && doc.contains("<SimpleData name=\"a_b_1\">2</SimpleData>"))
        #expect(doc.contains("<SimpleData name=\"q__\">x</SimpleData>"))
        #expect(FormatFixtures.diagnostics(report, "kml", .fieldRenamed).count == 3)
        _ = source
    }

    /// Attachments go inside the KMZ: `files/<layer>/` and `files/<layer>.csv`, as verify finds them.
    @Test func attachmentsAreInsideTheKMZ() throws {
        let directory = try TestPaths.makeTemporaryDirectory("kml-attachments")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try AttachmentTests.payload(in: directory)
        let output = directory.appendingPathComponent("out")
        let report = try Exporter().export(ExportRequest(input: input, formats: ["kml"], outputDirectory: output))
        #expect(report.failures.isEmpty)
        #expect(TestPaths.entries(output.appendingPathComponent("kml")) == ["inspections.kmz"])
        let listing = try Self.zipListing(output.appendingPathComponent("kml/inspections.kmz"))
        #expect(listing.first == "doc.kml")
        #expect(Set(listing.filter { !$0.hasSuffix("/") }) == [
            "doc.kml", "files/sites.csv", "files/sites/survey.bin", "files/sites/empty.txt", "files/sites/evil.txt",
            "files/sites/photo.jpg", "files/sites/photo_5.jpg"])
        let written = report.diagnostics.first { $0.location.format == "kml" && $0.code == .attachmentsWritten }
        #expect(written?.count == 5 && written?.message.contains("inside inspections.kmz") == true)
        let verification = try Verifier().verify(VerifyRequest(input: input, outputDirectory: output))
        #expect(verification.passed, "\(verification.summary)")
        #expect(verification.formats.first?.layers.first?.attachmentsCompared == 5)
    }
}
