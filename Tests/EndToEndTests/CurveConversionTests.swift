import Foundation
import Testing

/// Issue 3 ("True curves and the densifier: the syncDataOptions 256 bit") through the real command:
/// analytic curves (TestData/curves, made by make_curves.py) and Esri's documented curve examples
/// are converted with and without `--true-curves` to all four formats, read back through GDAL by the
/// independent oracle `verify_curves.py`, and compared with analytic areas and lengths.
@Suite struct CurveConversionTests {
    static let formats = ["filegdb", "shapefile", "csv", "geojson", "geopackage", "kml", "excel"]
    /// The formats that keep circular arcs as true curves when the bit asks for them.
    static let curveFormats = ["filegdb", "csv", "geopackage"]
    /// The formats that keep no M.
    static let withoutM: Set = ["geojson", "kml", "excel"]
    static let curves = EndToEnd.testData("curves/curves.replica.json")
    static let shapes = EndToEnd.testData("curves/curves.shapes.json")

    /// Default tolerance for a projected spatial reference in metres (2 x 0.0001 x 100).
    static let defaultDeviation = 0.02
    /// Shapes with a circular arc (kept as a true curve with the bit where the format can hold it).
    static let circular: Set = ["square_arc", "circle", "half_circle_line", "circle_line", "zm_path"]
    /// Shapes with only elliptic arcs or Beziers: densified everywhere, whatever the bit says.
    static let neverCurves: Set = ["half_ellipse", "bezier_hump", "half_ellipse_line", "bezier_line"]

    // MARK: Running the command and the oracle

    struct Conversion {
        var directories: [String: URL]
        var stderr: String
    }

    /// Converts `input` to all four formats in one run (one read feeding every writer: arcs kept for
    /// the formats that can hold them, densified for the others); each format lands in `DIR/<format>`.
    static func convert(_ input: URL, into output: URL, _ options: [String]) throws -> Conversion {
        let result = try EndToEnd.cli(["convert", input.path, "--format", formats.joined(separator: ","),
                                       "--output", output.path] + options)
        try #require(result.status == 0, "convert \(options) failed: \(result.stderr)")
        try EndToEnd.verify(input, output: output, syncDataOptions: syncDataOptions(options))
        let directories = Dictionary(uniqueKeysWithValues: formats.map { ($0, output.appendingPathComponent($0)) })
        return Conversion(directories: directories, stderr: result.stderr)
    }

    /// The createReplica syncDataOptions a convert run's options ask for, nil when none.
    static func syncDataOptions(_ options: [String]) -> Int? {
        if options.contains("--true-curves") { return 256 }
        if let i = options.firstIndex(of: "--sync-data-options"), i + 1 < options.count { return Int(options[i + 1]) }
        return nil
    }

    typealias Object = [String: Any]

    static func measureShapes(_ directory: URL, _ format: String) throws -> [String: Object] {
        let result = try EndToEnd.python("verify_curves.py", ["shapes", "--shapes", shapes.path,
                                                              "--dir", directory.path, "--format", format])
        return try #require(result["features"] as? [String: Object])
    }

    static func double(_ object: Object, _ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }
    static func int(_ object: Object, _ key: String) -> Int? { (object[key] as? NSNumber)?.intValue }
    static func bool(_ object: Object, _ key: String) -> Bool? { (object[key] as? NSNumber)?.boolValue }

    /// Chords the densifier needs for an arc: the fewest equal steps with sagitta r(1 - cos(step/2))
    /// <= tolerance and step <= 10 degrees (ArcGIS's documented rule).
    static func chords(radius: Double, sweep: Double, tolerance: Double) -> Int {
        let byDeviation = sweep / (2 * acos(1 - tolerance / radius))
        let byAngle = sweep / (10 * Double.pi / 180)
        return Int((max(byDeviation, byAngle) * (1 - 1e-12)).rounded(.up))
    }

    // MARK: 1. Analytic shapes, with and without the bit

    /// No option, `--true-curves`, and the createReplica bit set with another bit beside 256.
    static let curveOptions: [[String]] = [[], ["--true-curves"], ["--sync-data-options", "257"]]

    @Test(arguments: curveOptions)
    func analyticShapesKeepAreaAndLengthInEveryFormat(options: [String]) throws {
        let trueCurves = !options.isEmpty
        let output = try EndToEnd.makeTemporaryDirectory("curves")
        defer { try? FileManager.default.removeItem(at: output) }
        let conversion = try Self.convert(Self.curves, into: output, options)
        let names = Self.circular.union(Self.neverCurves)

        for format in Self.formats {
            let features = try Self.measureShapes(conversion.directories[format]!, format)
            #expect(Set(features.keys) == names, "\(format): features read back \(features.keys.sorted())")
            for (name, feature) in features.sorted(by: { $0.key < $1.key }) {
                let label = "\(format) \(name) (true curves \(trueCurves))"
                try #require(Self.bool(feature, "null") == false && Self.bool(feature, "empty") == false, "\(label): no geometry")
                let nonlinear = try #require(Self.bool(feature, "nonlinear") as Bool?)
                // Areas and lengths: within 0.1 % of the analytic value in every format (GeoJSON measured
                // after transforming back to EPSG:26912, see verify_curves.py).
                if let error = Self.double(feature, "area_rel_error") {
                    #expect(error < 1e-3, "\(label): area \(feature["area"]!) vs \(feature["expected_area"]!), relative error \(error)")
                    // Without the bit the densified polygon lies inside the curve: some area is lost, but
                    // not nothing (an output that kept the analytic value would not be densified).
                    if !nonlinear { #expect(error > 1e-6, "\(label): densified, yet the area is exact") }
                }
                if let numeric = Self.double(feature, "numeric_area"), let analytic = Self.double(feature, "expected_area") {
                    #expect(abs(numeric - analytic) / analytic < 1e-7, "\(name): analytic area \(analytic) vs sampled \(numeric)")
                }
                if let error = Self.double(feature, "length_rel_error") {
                    #expect(error < 1e-3, "\(label): length \(feature["length"]!) vs \(feature["expected_length"]!), relative error \(error)")
                }
                // Where curves may be: circular arcs in FileGDB and CSV, with the bit, and nothing else.
                let expectCurve = trueCurves && Self.curveFormats.contains(format) && Self.circular.contains(name)
                #expect(nonlinear == expectCurve, "\(label): read back as \(feature["type"]!)")
                if format == "csv", let keyword = feature["wkt_keyword"] as? String {
                    #expect(Self.bool(feature, "wkt_has_curve_keyword") == expectCurve, "\(label): WKT \(keyword)")
                }
                if expectCurve {
                    // True arcs: GDAL computes exact lengths of arcs; areas exact to 1e-6. For FileGDB
                    // GDAL's own GetArea is exact (its rings come back clockwise); for CSV's counter-
                    // clockwise COMPOUNDCURVE rings GDAL 3.6.2's GetArea linearises at 4 degrees, so the
                    // oracle's exact arc-segment area is used there.
                    if let error = Self.double(feature, format == "filegdb" ? "area_rel_error" : "exact_curve_area_rel_error") {
                        #expect(error < 1e-6, "\(label): true-curve area relative error \(error)")
                    }
                    if let error = Self.double(feature, "length_rel_error") {
                        #expect(error < 1e-6, "\(label): true-curve length relative error \(error)")
                    }
                } else if let sagitta = Self.double(feature, "max_sagitta") {
                    // Densified circles: the circle bulges at most the tolerance beyond each chord
                    // (plus FileGDB's 0.0001 m grid snapping, plus GeoJSON's ~1 cm rounding of degrees).
                    let slack = ["filegdb": 2e-4, "geojson": 1.5e-2, "kml": 1e-6][format] ?? 1e-9
                    #expect(sagitta <= Self.defaultDeviation + slack, "\(label): chord sagitta \(sagitta)")
                    #expect(sagitta > Self.defaultDeviation / 2, "\(label): chords finer than needed (sagitta \(sagitta))")
                }
            }
            if !trueCurves || !Self.curveFormats.contains(format) {
                // The exact vertex count of the densified circles: 112 chords for r = 50 m at 0.02 m.
                let full = Self.chords(radius: 50, sweep: 2 * .pi, tolerance: Self.defaultDeviation)
                #expect(full == 112)
                #expect(Self.int(features["circle"] ?? [:], "vertex_count") == full + 1, "\(format): circle")
                #expect(Self.int(features["circle_line"] ?? [:], "vertex_count") == full + 1, "\(format): circle_line")
                #expect(Self.int(features["half_circle_line"] ?? [:], "vertex_count") == full / 2 + 1, "\(format): half circle")
            }
            try checkZM(try #require(features["zm_path"]), format: format, trueCurves: trueCurves)
        }

        // What was densified is said on stderr (with the bit: the user asked for curves and did not
        // get all of them). 2 elliptic arcs and 3 Beziers are in the payload, 5 circular arcs.
        if trueCurves {
            for format in Self.curveFormats {
                #expect(conversion.stderr.contains("\(format): densified 2 elliptic arcs, 3 Bezier curves"), "\(conversion.stderr)")
            }
            for format in Self.formats where !Self.curveFormats.contains(format) {
                #expect(conversion.stderr.contains("\(format): densified 5 circular arcs (the format cannot hold curves), 2 elliptic arcs, 3 Bezier curves"),
                        "\(conversion.stderr)")
            }
        } else {
            #expect(!conversion.stderr.contains("densified"), "\(conversion.stderr)")
        }
    }

    /// Z and M on a densified path: the input's segment end vertices exact, interior ones between
    /// (and monotone: interpolated along the curve). Shapefile, CSV and FileGDB keep both; GeoJSON,
    /// KML and Excel Z only.
    func checkZM(_ feature: Object, format: String, trueCurves: Bool) throws {
        let label = "\(format) zm_path (true curves \(trueCurves))"
        #expect(Self.bool(feature, "has_z") == true, "\(label): Z lost")
        #expect(Self.bool(feature, "has_m") == !Self.withoutM.contains(format), "\(label): M")
        guard Self.bool(feature, "nonlinear") == false else { return }  // the arc kept as a true curve
        let zm = try #require(feature["zm"] as? Object, "\(label): no Z/M report")
        let xy = try #require(zm["end_xy_error"] as? [Double])
        #expect(xy.allSatisfy { $0 <= (format == "geojson" ? 1e-2 : 1e-6) }, "\(label): end vertices moved \(xy)")
        let z = try #require(zm["end_z_error"] as? [Double])
        #expect(z == [0, 0, 0, 0], "\(label): end Z errors \(z)")
        if !Self.withoutM.contains(format) {
            let m = try #require(zm["end_m_error"] as? [Double], "\(label): M missing")
            #expect(m == [0, 0, 0, 0], "\(label): end M errors \(m)")
        }
        let segments = try #require(zm["segments"] as? [Object])
        #expect(segments.count == 3)
        for segment in segments {
            let kind = segment["kind"] as? String ?? "?"
            if kind != "line" { #expect((Self.int(segment, "interior") ?? 0) > 10, "\(label) \(kind): hardly densified") }
            #expect(Self.bool(segment, "z_between") == true, "\(label) \(kind): interior Z outside its ends'")
            #expect(Self.bool(segment, "z_monotone") == true, "\(label) \(kind): interior Z not monotone")
            if !Self.withoutM.contains(format) {
                #expect(Self.bool(segment, "m_between") == true, "\(label) \(kind): interior M outside its ends'")
            }
        }
    }

    // MARK: 2. Esri's documented curve examples

    static let samples = ["gntools_esridoc_curveRings_hasM.featureset.json",
                          "gntools_esridoc_curvePaths_bezier_ellipticarc.featureset.json"]

    @Test(arguments: samples, [false, true])
    func documentedEsriCurveExamplesConvert(sample: String, trueCurves: Bool) throws {
        let output = try EndToEnd.makeTemporaryDirectory("esricurves")
        defer { try? FileManager.default.removeItem(at: output) }
        let input = EndToEnd.testData("esrijson/" + sample)
        let conversion = try Self.convert(input, into: output, trueCurves ? ["--true-curves"] : [])
        let polygon = sample.contains("curveRings")

        for format in Self.formats {
            let label = "\(sample) \(format) (true curves \(trueCurves))"
            let result = try EndToEnd.python("verify_curves.py", ["sample", "--input", input.path,
                                                                   "--dir", conversion.directories[format]!.path, "--format", format])
            let source = try #require(result["input"] as? Object)
            let features = try #require(result["features"] as? [Object])
            try #require(features.count == 1, "\(label): \(features.count) features")
            let feature = features[0]
            try #require(Self.bool(feature, "null") == false && Self.bool(feature, "empty") == false, "\(label): no geometry")
            let inputParts = try #require(source["curve_parts"] as? [Any]).count
            #expect(Self.int(feature, "part_count") == inputParts, "\(label): \(feature["part_count"]!) parts")
            // The first and last vertices of each part are the input's (M kept except in GeoJSON).
            let matches = try #require(feature["end_matches"] as? [Any])
            #expect(matches.count == inputParts)
            var matched = Set<Int>()
            for item in matches {
                guard let match = item as? Object else { Issue.record("\(label): a part's ends match no input part"); continue }
                matched.insert(Self.int(match, "input_part") ?? -1)
                if polygon {  // the curveRings sample has M
                    #expect(Self.bool(match, "output_has_m") == !Self.withoutM.contains(format), "\(label): M")
                    if !Self.withoutM.contains(format) { #expect(Self.bool(match, "m_equal") == true, "\(label): end M differ \(match)") }
                }
            }
            #expect(matched == Set(0..<inputParts), "\(label): parts matched \(matched)")

            if polygon {
                // Written from the curves, not from the linear `rings` member beside them: 2 parts
                // (not 3), and the area of the curves (within the densification of a 2.6 m-radius arc
                // in 10-degree steps, ~0.6 %), 32 % away from the `rings` member's 21.
                let rings = try #require(source["rings_member"] as? Object)
                #expect(Self.int(rings, "parts") == 3 && Self.int(feature, "part_count") == 2)
                #expect((Self.int(feature, "vertex_count") ?? 0) > 3 * (Self.int(rings, "vertices") ?? 0),
                        "\(label): \(feature["vertex_count"]!) vertices vs the rings member's \(rings["vertices"]!)")
                let curveError = try #require(Self.double(feature, "area_rel_error_vs_curves"))
                let ringsError = try #require(Self.double(feature, "area_rel_error_vs_rings_member"))
                #expect(curveError < 1e-2, "\(label): area \(feature["area"]!) vs the curves' \(source["curve_area"]!)")
                #expect(ringsError > 0.2, "\(label): area \(feature["area"]!) close to the rings member's")
                let keepsArc = trueCurves && Self.curveFormats.contains(format)
                #expect(Self.bool(feature, "nonlinear") == keepsArc, "\(label): \(feature["type"]!)")
            } else {
                // A Bezier and an elliptic arc: densified in every format, even with the bit.
                #expect(Self.bool(feature, "nonlinear") == false, "\(label): \(feature["type"]!)")
                #expect((Self.int(feature, "vertex_count") ?? 0) > 20, "\(label): \(feature["vertex_count"]!) vertices")
            }
        }
        if trueCurves && !polygon {
            for format in Self.formats {
                #expect(conversion.stderr.contains("\(format): densified 1 elliptic arcs, 1 Bezier curves"), "\(conversion.stderr)")
            }
        }
    }

    // MARK: 3. --max-deviation

    @Test func maxDeviationControlsTheChords() throws {
        let output = try EndToEnd.makeTemporaryDirectory("deviation")
        defer { try? FileManager.default.removeItem(at: output) }
        var counts: [Double: [String: Int]] = [:]
        for tolerance in [0.001, 0.02, 0.1] {
            let directory = output.appendingPathComponent("d\(tolerance)")
            let result = try EndToEnd.cli(["convert", Self.curves.path, "--format", "shapefile", "--output", directory.path,
                                           "--max-deviation", String(tolerance)])
            try #require(result.status == 0, "convert --max-deviation \(tolerance) failed: \(result.stderr)")
            try EndToEnd.verify(Self.curves, output: directory, maxDeviation: tolerance)
            let features = try Self.measureShapes(directory.appendingPathComponent("shapefile"), "shapefile")
            var vertices: [String: Int] = [:]
            for (name, feature) in features { vertices[name] = Self.int(feature, "vertex_count") }
            counts[tolerance] = vertices
            for name in ["circle", "circle_line", "half_circle_line", "square_arc"] {
                let feature = try #require(features[name])
                // For each chord between two points of the circle: r - |centre - midpoint| <= tolerance.
                let sagitta = try #require(Self.double(feature, "max_sagitta"))
                #expect(sagitta <= tolerance * (1 + 1e-9), "\(name) at \(tolerance): sagitta \(sagitta)")
                #expect((Self.double(feature, "max_radial_error") ?? 1) < 1e-6, "\(name): vertices off the circle")
            }
            let expected = Self.chords(radius: 50, sweep: 2 * .pi, tolerance: tolerance) + 1
            #expect(vertices["circle"] == expected, "circle at \(tolerance): \(vertices["circle"] ?? -1) vertices, expected \(expected)")
        }
        // 498, 113 and 51 vertices for the r = 50 m circle; fewer for a larger tolerance, every curve.
        #expect(counts[0.001]?["circle"] == 498 && counts[0.02]?["circle"] == 113 && counts[0.1]?["circle"] == 51)
        for name in ["circle", "square_arc", "half_ellipse", "bezier_hump", "half_circle_line", "half_ellipse_line", "bezier_line", "zm_path"] {
            let n = [0.001, 0.02, 0.1].map { counts[$0]?[name] ?? 0 }
            #expect(n[0] > n[1] && n[1] > n[2], "\(name): vertex counts \(n) for tolerances 0.001, 0.02, 0.1")
        }
    }
}
