import Foundation
import GDALReadBack
import ReplicaExport
import Testing

/// Issue 23, one odd value never costs the file: each payload of `TestData/quirks` (what real
/// servers and tools put in Esri JSON that does not fit its own declaration) converts to every
/// format; the report names exactly the expected losses and repairs, each with its count and first
/// OBJECTID; every output read back through GDAL holds what the format can hold; `verify` passes;
/// `--strict` refuses the same input with exit 1 and writes nothing; `batch` counts each as
/// converted, with warnings.
@Suite struct QuirkConversionTests {
    /// Every format the registry knows: each converts, reports and verifies every quirk.
    static let formats = ExportFormat.all.map(\.name)
    /// The formats whose values are also read back here through GDAL (the JSON formats, which GDAL
    /// does not read, and Excel, whose geometry is in columns, are read back by `verify`).
    static let readBackFormats = ["filegdb", "shapefile", "csv", "geojson", "geopackage", "kml"]

    /// A diagnostic the report must hold: its format (nil: the reader's), code, count and first OBJECTID.
    struct Expected: Sendable, CustomStringConvertible {
        var format: String?
        var code: Diagnostic.Code
        var count: Int?
        var objectID: Int64?
        var description: String { "\(format ?? "reader") \(code) count \(count.map(String.init) ?? "-") OBJECTID \(objectID.map(String.init) ?? "-")" }
    }

    struct Case: Sendable, CustomStringConvertible {
        var file: String
        /// Every diagnostic that is a loss or a repair of the input (what `--strict` refuses), and only these.
        var expected: [Expected]
        var description: String { file }
    }

    static func reader(_ code: Diagnostic.Code, _ count: Int?, _ objectID: Int64?) -> Expected {
        Expected(format: nil, code: code, count: count, objectID: objectID)
    }

    static func formats(_ names: [String], _ code: Diagnostic.Code, _ count: Int?, _ objectID: Int64?) -> [Expected] {
        names.map { Expected(format: $0, code: code, count: count, objectID: objectID) }
    }

    static let cases: [Case] = [
        Case(file: "integer_overflow.json", expected: [
            reader(.fieldWidened, 2, 2), reader(.fieldWidened, 1, 2), reader(.fieldWidened, 1, 2),
            Expected(format: "filegdb", code: .integerRounded, count: 1, objectID: 3),
            // An Excel number is a double.
            Expected(format: "excel", code: .integerRounded, count: 1, objectID: 3)]),
        Case(file: "single_overflow.json", expected: [
            reader(.fieldWidened, 1, 2), Expected(format: "shapefile", code: .valueDropped, count: 2, objectID: 2)]),
        Case(file: "string_too_long.json", expected: [reader(.fieldWidened, 2, 2), reader(.fieldWidened, 1, 2)]),
        Case(file: "number_as_text.json", expected: [
            reader(.valueConverted, 1, 2), reader(.valueConverted, 2, 2), reader(.fieldWidened, 1, 3),
            // " 2 ": GDAL's KML writer drops leading spaces.
            Expected(format: "kml", code: .textChanged, count: 1, objectID: 2)]),
        Case(file: "date_as_iso_text.json", expected: [
            reader(.valueConverted, 3, 2), Expected(format: "shapefile", code: .timeOfDayDropped, count: 3, objectID: 1)]),
        Case(file: "second_oid.json", expected: [reader(.secondObjectIDField, nil, nil)]),
        Case(file: "nan_text.json", expected: [
            reader(.nonFiniteNumber, 2, 2), reader(.nonFiniteNumber, 1, 2), reader(.valueDropped, 1, 2)]
            + formats(["shapefile", "csv", "geojson", "kml", "excel", "json", "featurecollection"], .nonFiniteNumberDropped, 2, 2)
            + formats(["shapefile", "csv", "geojson", "kml", "excel", "json", "featurecollection"], .nonFiniteNumberDropped, 1, 2)
            // SQLite stores a NaN as NULL, infinity as it is (GeoPackage, the mobile geodatabase).
            + formats(["geopackage", "sqlite"], .nonFiniteNumberDropped, 1, 2)),
        Case(file: "nan_literals.json", expected: [
            reader(.nonFiniteNumber, 3, 2), reader(.valueDropped, 1, 2), reader(.nonStandardJSON, 4, nil)]
            + formats(["shapefile", "csv", "geojson", "kml", "excel", "json", "featurecollection"], .nonFiniteNumberDropped, 3, 2)
            + formats(["geopackage", "sqlite"], .nonFiniteNumberDropped, 1, 2)),
        Case(file: "empty_points.json", expected: [reader(.emptyGeometry, 2, 2)]),
        Case(file: "empty_geometries.json", expected: [reader(.emptyGeometry, 3, 2)]),
        Case(file: "empty_rings.json", expected: [reader(.emptyGeometry, 2, 2)]),
        Case(file: "broken_vertices.json", expected: [reader(.geometryDropped, 4, 2)]),
        Case(file: "object_attributes.json", expected: [
            reader(.valueConverted, 2, 2), reader(.valueConverted, 1, 3), reader(.fieldWidened, 1, 3)]),
        // A sheet of a point layer holds X / Y columns; every format that holds one geometry
        // type per layer splits into `<layer>_<type>s`.
        Case(file: "mixed_geometry_types.json", expected: [reader(.geometryTypeMismatch, 1, 2),
            Expected(format: "excel", code: .geometryOmitted, count: 1, objectID: 2)]),
        Case(file: "contradicting_geometry.json", expected: [reader(.geometryTypeMismatch, 1, 2),
            Expected(format: "excel", code: .geometryOmitted, count: 1, objectID: 2)]),
        Case(file: "nonstandard_json.json", expected: [reader(.nonStandardJSON, 4, nil), reader(.nonStandardJSON, 4, nil)]),
        Case(file: "missing_z_m.json", expected: [reader(.missingZReplaced, 2, 3)]
            + formats(["filegdb", "shapefile", "csv"], .missingMeasureReplaced, 3, 2)
            // The mobile geodatabase: no public sample shows M in a shape blob.
            + formats(["geojson", "kml", "excel", "sqlite"], .measuresDropped, nil, nil)),
        Case(file: "multipoint_zm.json", expected: [reader(.undeclaredZOrM, 2, 1), reader(.undeclaredZOrM, 2, 1)]
            + formats(["geojson", "kml", "excel", "sqlite"], .measuresDropped, nil, nil)),
        Case(file: "outside_wgs84.json", expected: [
            Expected(format: "geojson", code: .geometryRefused, count: 1, objectID: 2),
            Expected(format: "geojson", code: .geometryRefused, count: 2, objectID: 2),
            Expected(format: "kml", code: .geometryRefused, count: 1, objectID: 2),
            Expected(format: "kml", code: .geometryRefused, count: 2, objectID: 2)]),
        // GeoJSON wraps a point's longitude into ±180 (the same place); KML takes none beyond it.
        Case(file: "points_beyond_180.json", expected: [Expected(format: "kml", code: .geometryRefused, count: 2, objectID: 1)]),
    ]

    @Test(arguments: cases)
    func convertsEverywhereReportsAndVerifies(_ quirk: Case) throws {
        let input = EndToEnd.testData("quirks/" + quirk.file)
        let directory = try EndToEnd.makeTemporaryDirectory("quirk")
        defer { TestPaths.remove(directory) }
        let output = directory.appendingPathComponent("out")
        let reportFile = directory.appendingPathComponent("report.json")
        let result = try EndToEnd.cli(["convert", input.path, "--format", Self.formats.joined(separator: ","),
                                       "--output", output.path, "--report", reportFile.path])
        try #require(result.status == 0, "\(quirk.file): \(result.stderr)")
        let report = try Self.decodeReport(reportFile)
        #expect(report.failures.isEmpty)
        for format in Self.formats { #expect(report.outputs[format]?.isEmpty == false, "\(quirk.file): no \(format)") }

        // Exactly the expected losses and repairs, each with its count and first OBJECTID.
        var refused = report.diagnostics.filter(\.isRefusedByStrict)
        for expected in quirk.expected {
            guard let index = refused.firstIndex(where: {
                $0.code == expected.code && $0.location.format == expected.format
                    && (expected.count == nil || $0.count == expected.count)
                    && (expected.objectID == nil || $0.location.objectID == expected.objectID)
            }) else {
                Issue.record("\(quirk.file): no \(expected) in \(refused.map { "\($0.location.format ?? "reader") \($0.code) \($0.count ?? -1) \($0.location.objectID ?? -1)" })")
                continue
            }
            refused.remove(at: index)
        }
        #expect(refused.isEmpty, "\(quirk.file): unexpected \(refused)")
        try EndToEnd.verify(input, output: output)
        try Self.checkValues(quirk.file, Written(output))

        // --strict refuses the same input, writing nothing.
        let strictOutput = directory.appendingPathComponent("strict")
        let strict = try EndToEnd.cli(["convert", input.path, "--format", Self.formats.joined(separator: ","),
                                       "--output", strictOutput.path, "--strict"])
        #expect(strict.status == 1, "\(quirk.file): \(strict.stderr)")
        #expect(strict.stderr.contains("[dataLoss]"), "\(quirk.file): \(strict.stderr)")
        #expect(!FileManager.default.fileExists(atPath: strictOutput.path), "\(quirk.file): \(EndToEnd.listing(strictOutput))")
    }

    @Test func batchCountsEveryQuirkAsConvertedWithWarnings() throws {
        let root = try EndToEnd.makeTemporaryDirectory("quirk-batch")
        let output = try EndToEnd.makeTemporaryDirectory("quirk-batch-out")
        defer { TestPaths.remove(root, output) }
        for quirk in Self.cases { try Fixtures.copy("quirks/" + quirk.file, to: root, as: quirk.file) }
        try Fixtures.copy("quirks/outside_wgs84.layers.json", to: root, as: "outside_wgs84.layers.json")
        let reportFile = output.appendingPathComponent("report.json")
        let result = try EndToEnd.cli(["batch", root.path, "--format", Self.formats.joined(separator: ","),
                                       "--output", output.appendingPathComponent("tree").path, "--jobs", "2",
                                       "--report", reportFile.path])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try BatchReport.decode(Data(contentsOf: reportFile))
        #expect(report.inputs.count == Self.cases.count)
        for input in report.inputs {
            #expect(input.status == .converted, "\(input.path): \(String(describing: input.error))")
            #expect(input.warnings + input.losses.count > 0, "\(input.path): no diagnostic")
            #expect(input.failedFormats.isEmpty, "\(input.path)")
        }
        // With --strict each is refused instead, as convert refuses it.
        let strict = try EndToEnd.cli(["batch", root.path, "--format", "csv,geojson,kml", "--output",
                                       output.appendingPathComponent("strict").path, "--strict", "--jobs", "2"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("\(Self.cases.count) of \(Self.cases.count) inputs failed"), "\(strict.stderr)")
    }

    static func decodeReport(_ url: URL) throws -> ExportReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity",
                                                                        negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(ExportReport.self, from: Data(contentsOf: url))
    }

    // MARK: what each format holds

    /// Per case, what every format must hold, read back through GDAL.
    static func checkValues(_ file: String, _ written: Written) throws {
        for format in readBackFormats {
            let f = try written.features(format)
            func value(_ oid: Int64, _ field: String) -> GDALFieldValue? { f.value(oid, field) }
            func number(_ oid: Int64, _ field: String) -> Double? { value(oid, field)?.numeric }
            func text(_ oid: Int64, _ field: String) -> String? { value(oid, field)?.string }
            let place = "\(file) \(format)"
            switch file {
            case "integer_overflow.json":
                #expect(number(2, "PARCELID") == 170_230_401_012, "\(place)")
                #expect(number(2, "UNITS") == 40_000 && number(2, "ACRES") == 12.75, "\(place)")
                // 2^53 + 1: FileGDB's Double column rounds it (reported), the others keep it.
                if format == "filegdb" {
                    #expect(number(3, "PARCELID") == 9_007_199_254_740_992, "\(place)")
                } else if format == "shapefile" {
                    // GDAL reads a .dbf number of 20 digits back as a Real; the file holds every digit.
                    let dbf = try Data(contentsOf: written.output.appendingPathComponent("shapefile/integer_overflow.dbf"))
                    #expect(String(decoding: dbf, as: UTF8.self).contains("9007199254740993"), "\(place)")
                } else {
                    #expect(value(3, "PARCELID")?.int64 == 9_007_199_254_740_993 || text(3, "PARCELID") == "9007199254740993",
                            "\(place): \(String(describing: value(3, "PARCELID")))")
                }
            case "single_overflow.json":
                if format == "shapefile" {
                    // Beyond a .dbf number's 33 characters: null (reported).
                    #expect(value(2, "FLOW") == .null && value(3, "FLOW") == .null, "\(place)")
                } else {
                    #expect(number(2, "FLOW") == 1e40 && number(3, "FLOW") == 3.4e38, "\(place)")
                }
                #expect(number(1, "FLOW") == 0.5, "\(place)")
            case "string_too_long.json":
                #expect(text(2, "NAME") == "Riverside Community Park" && text(3, "NAME") == "Ça été là", "\(place)")
                #expect(text(2, "CODE") == "12345", "\(place)")
            case "number_as_text.json":
                #expect(number(2, "COUNT") == 12 && number(2, "DEPTH") == -3.5 && number(3, "DEPTH") == 1000, "\(place)")
                #expect(value(3, "COUNT") == .null || text(3, "COUNT") == "", "\(place)")
                // CLASS holds "unknown": a text column, its values as given (a .dbf reads back trimmed).
                #expect(text(2, "CLASS").map { $0.trimmingCharacters(in: .whitespaces) } == "2" && text(3, "CLASS") == "unknown", "\(place)")
            case "date_as_iso_text.json":
                for oid: Int64 in [1, 2, 3] {
                    let expected = format == "shapefile" ? "2024-03-15" : "2024-03-15T13:45:30"
                    #expect(value(oid, "INSPECTED")?.isoUTC.hasPrefix(expected) == true,
                            "\(place) \(oid): \(String(describing: value(oid, "INSPECTED")))")
                }
                #expect(value(4, "INSPECTED")?.isoUTC.hasPrefix("2024-03-16") == true, "\(place)")
            case "second_oid.json":
                #expect(number(1, "OBJECTID_1") == 101 && number(2, "OBJECTID_1") == 102, "\(place)")
                let type = try written.fieldType(format, "OBJECTID_1")
                #expect(type.hasPrefix("Integer") || (format == "csv" && type == "Integer64"), "\(place): \(type)")
            case "nan_text.json", "nan_literals.json":
                let keepsNaN = format == "filegdb", keepsInfinity = format == "filegdb" || format == "geopackage"
                #expect(keepsNaN ? number(2, "LEVEL")?.isNaN == true : value(2, "LEVEL") == .null, "\(place): \(String(describing: value(2, "LEVEL")))")
                #expect(keepsInfinity ? number(3 + (file == "nan_text.json" ? 0 : 1), "LEVEL") == -.infinity
                                      : value(3 + (file == "nan_text.json" ? 0 : 1), "LEVEL") == .null, "\(place)")
                #expect(value(2, "COUNT") == .null && number(1, "LEVEL") == 2.5, "\(place)")
                if file == "nan_text.json" {
                    #expect(keepsInfinity ? number(2, "RATE") == .infinity : value(2, "RATE") == .null, "\(place)")
                }
            case "empty_points.json", "empty_geometries.json", "empty_rings.json", "broken_vertices.json":
                #expect(f.geometryWKT(1) != nil, "\(place)")
                let others: [Int64] = file == "empty_points.json" || file == "empty_rings.json" ? [2, 3]
                    : file == "empty_geometries.json" ? [2, 3, 4] : [2, 3, 4, 5]
                for oid in others {
                    #expect(f.has(oid) && f.geometryWKT(oid) == nil, "\(place) \(oid): \(String(describing: f.geometryWKT(oid)))")
                }
                #expect(text(2, "NAME") != nil, "\(place): the rest of the feature is kept")
            case "object_attributes.json":
                #expect(text(2, "TAGS") == #"{"kind":"bench","seats":[2,4]}"#, "\(place): \(String(describing: value(2, "TAGS")))")
                #expect(text(3, "TAGS") == #"["a","b \"quoted\""]"#, "\(place)")
                #expect(text(3, "SIZE") == #"{"w":3,"h":4}"# && text(2, "SIZE") == "2", "\(place)")
            case "mixed_geometry_types.json", "contradicting_geometry.json":
                let other = file == "mixed_geometry_types.json" ? "POLYGON" : "LINESTRING"
                #expect(f.geometryWKT(2)?.contains(other) == true, "\(place): \(String(describing: f.geometryWKT(2)))")
                #expect(f.geometryWKT(1)?.hasPrefix("POINT") == true && f.geometryWKT(3)?.hasPrefix("POINT") == true, "\(place)")
                #expect(f.count == 3, "\(place)")
                if ["filegdb", "geopackage", "shapefile"].contains(format) {
                    let suffix = file == "mixed_geometry_types.json" ? "_polygons" : "_polylines"
                    #expect(f.layer(of: 2)?.hasSuffix(suffix) == true, "\(place): \(String(describing: f.layer(of: 2)))")
                }
            case "nonstandard_json.json":
                #expect(text(1, "NAME") == "a" && text(2, "NAME") == "b" && f.geometryWKT(2) == "POINT (2 2)", "\(place)")
            case "missing_z_m.json":
                let second = Written.ordinates(f.geometryWKT(2)), third = Written.ordinates(f.geometryWKT(3))
                // Z: a missing one is 0 (reported by the reader).
                #expect(third.first?[2] == 0 && second.first?[2] == 10, "\(place): \(third)")
                let m = second.first.flatMap { $0.count > 3 ? $0[3] : nil }
                switch format {
                case "geopackage": #expect(m?.isNaN == true, "\(place): \(second)")
                case "filegdb": #expect(m == 0, "\(place): \(second)")
                case "shapefile", "csv": #expect(m.map { $0 < -1e38 } == true, "\(place): \(second)")
                default: #expect(m == nil, "\(place): \(second)")
                }
            case "multipoint_zm.json":
                let wkt = f.geometryWKT(1) ?? ""
                let keepsM = format != "geojson" && format != "kml"
                #expect(wkt.hasPrefix(keepsM ? "MULTIPOINT ZM " : "MULTIPOINT Z ") && wkt.contains("5 6 7"), "\(place): \(wkt)")
            case "outside_wgs84.json":
                let refused = format == "geojson" || format == "kml"
                #expect((f.geometryWKT(2, layer: "sites") == nil) == refused, "\(place)")
                #expect((f.geometryWKT(2, layer: "areas") == nil) == refused && (f.geometryWKT(3, layer: "areas") == nil) == refused, "\(place)")
                #expect(f.geometryWKT(1, layer: "sites") != nil && f.geometryWKT(1, layer: "areas") != nil, "\(place)")
                #expect(f.value(2, "NAME", layer: "areas")?.string == "web mercator metres", "\(place)")
            case "points_beyond_180.json":
                let first = Written.ordinates(f.geometryWKT(1)).first, second = Written.ordinates(f.geometryWKT(2)).first
                switch format {
                case "geojson": #expect(first == [-160, 10] && second == [169.5, -10], "\(place): \(String(describing: first))")
                case "kml": #expect(first == nil && second == nil && text(1, "NAME") == "east of the antimeridian", "\(place)")
                default: #expect(first == [200, 10] && second == [-190.5, -10], "\(place): \(String(describing: first))")
                }
                #expect(Written.ordinates(f.geometryWKT(3)).first == [10, 10], "\(place)")
            default:
                Issue.record("no read-back checks for \(file)")
            }
        }
    }
}

/// An export's outputs read back through GDAL, per format: every feature by OBJECTID (the FID
/// where the format makes the ObjectID the FID, else the OBJECTID column).
struct Written {
    let output: URL

    init(_ output: URL) { self.output = output }

    struct Features {
        /// (layer, its fields, the feature), for every feature of every layer.
        var rows: [(layer: String, info: GDALLayerInfo, feature: GDALReadFeature, objectID: Int64?)] = []

        var count: Int { rows.count }

        private func row(_ oid: Int64, layer: String?) -> (layer: String, info: GDALLayerInfo, feature: GDALReadFeature, objectID: Int64?)? {
            rows.first { $0.objectID == oid && (layer == nil || $0.layer.lowercased().hasPrefix(layer!.lowercased())) }
        }
        func has(_ oid: Int64) -> Bool { row(oid, layer: nil) != nil }
        func layer(of oid: Int64) -> String? { row(oid, layer: nil)?.layer }
        func value(_ oid: Int64, _ field: String, layer: String? = nil) -> GDALFieldValue? {
            guard let row = row(oid, layer: layer) else { return nil }
            let index = row.info.fields.firstIndex { $0.name.lowercased() == field.lowercased() }
                ?? row.info.fields.firstIndex { $0.name.lowercased() == String(field.lowercased().prefix(10)) }
            return index.map { row.feature.values[$0] }
        }
        func geometryWKT(_ oid: Int64, layer: String? = nil) -> String? { row(oid, layer: layer)?.feature.geometryWKT }
    }

    func features(_ format: String) throws -> Features {
        let folder = output.appendingPathComponent(format)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        var result = Features()
        for file in files {
            let ext = (file as NSString).pathExtension
            let oneDataset = ext == "gdb" || ext == "gpkg"
            guard oneDataset || ["shp", "csv", "geojson", "kmz"].contains(ext) else { continue }
            let url = folder.appendingPathComponent(file)
            // GDAL's KML driver reads no ExtendedData: LIBKML reads the KMZ's document.
            let dataset = ext == "kmz"
                ? try GDALReadDataset(url: url, path: "/vsizip/\(url.path)/doc.kml", options: GDALReadOptions(drivers: ["LIBKML"]))
                : try GDALReadDataset(url: url)
            for name in dataset.layerNames {
                let info = try dataset.layerInfo(name)
                let oid = info.fields.firstIndex { $0.name == "OBJECTID" }
                for feature in try dataset.features(name) {
                    let objectID = oneDataset ? feature.fid : oid.flatMap { feature.values[$0].int64 ?? feature.values[$0].string.flatMap { Int64($0) } }
                    result.rows.append((name, info, feature, objectID))
                }
            }
        }
        return result
    }

    /// The GDAL type name of a field in the format's (first) layer that has it.
    func fieldType(_ format: String, _ field: String) throws -> String {
        try features(format).rows.lazy.compactMap { $0.info.fields.first { $0.name == field }?.type }.first ?? "none"
    }

    /// The coordinates of each vertex of a WKT text, as numbers (`nan` included).
    static func ordinates(_ wkt: String?) -> [[Double]] {
        guard let wkt, let open = wkt.lastIndex(of: "("), let close = wkt.firstIndex(of: ")") , open < close else { return [] }
        return wkt[wkt.index(after: open)..<close].split(separator: ",").map { vertex in
            vertex.split(separator: " ").compactMap { Double($0) ?? ($0.lowercased() == "nan" ? .nan : nil) }
        }
    }
}

extension GDALFieldValue {
    /// A number however the format gives it back: an integer, a real, or text (CSV without types).
    var numeric: Double? { double ?? string.flatMap(Double.init) }

    /// A date-time as `YYYY-MM-DDTHH:MM:SS` in UTC (a date alone as `YYYY-MM-DD`), from a date value or ISO text.
    var isoUTC: String {
        switch self {
        case .dateTime(let y, let mo, let d, let h, let mi, let s, let tz):
            if tz == 0 && h == 0 && mi == 0 && s == 0 { return String(format: "%04d-%02d-%02d", y, mo, d) }
            // tzFlag 100 is UTC; 100 ± n is n quarter hours east or west.
            var minutes = h * 60 + mi - (tz > 1 ? (tz - 100) * 15 : 0)
            var day = d
            if minutes < 0 { minutes += 1440; day -= 1 }
            if minutes >= 1440 { minutes -= 1440; day += 1 }
            return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, day, minutes / 60, minutes % 60, Int(s))
        case .string(let text): return text
        default: return description
        }
    }
}
