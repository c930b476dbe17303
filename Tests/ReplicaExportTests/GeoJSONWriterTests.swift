import Foundation
import Testing
@testable import ReplicaExport
import ReplicaExportBenchmarkSupport
import GDALReadBack

@Suite struct GeoJSONWriterTests {
    private func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// Writes one layer, `segmented` in segments of 3 features (the first of 2) on two workers.
    @discardableResult
    private func write(_ features: [PreparedFeature], layer: LayerSchema, into dir: URL, segmented: Bool) throws -> GeoJSONWriter {
        let (layer, features) = try WriterFixtures.delivered(GeoJSONWriter.self, layer: layer, features: features)
        var request = WriterFixtures.request(dir, layers: [layer])
        request.segments = segmented ? SegmentPlan(weightPerSegment: 3, workers: 2, firstSegmentWeight: 2) : .off
        let writer = try GeoJSONWriter(request: request)
        try writer.beginLayer(layer)
        try writer.write(features)
        try writer.endLayer()
        _ = try writer.commit()
        return writer
    }

    private func numbers(_ any: Any?) -> [Double] { (any as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }

    @Test(arguments: [SpatialReference(wkid: 102100), SpatialReference(wkid: 102100, latestWkid: 3857)])
    func reprojectsWebMercatorToLonLat(_ sr: SpatialReference) throws {
        let dir = try TestPaths.makeTemporaryDirectory("geojson-3857")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard let xy = GDALGeometryOracle.transform(x: 2.35, y: 48.85, from: "EPSG:4326", to: "EPSG:3857") else {
            Issue.record("no transformation"); return
        }
        #expect(abs(xy.x - 261_600) < 100)  // easting, not northing: traditional axis order
        let layer = LayerSchema(id: 0, name: "paris", geometryType: .point, hasZ: true, hasM: true, spatialReference: sr,
                                objectIdField: "OBJECTID", fields: [Field(name: "OBJECTID", type: .objectID),
                                                                    Field(name: "when", type: .date)],
                                schemaSource: .layerResource)
        let (writer, _) = try WriterFixtures.write(GeoJSONWriter.self, into: dir, layer: layer, features: [
            PreparedFeature(attributes: [.int64(42), .date(milliseconds: 1_710_510_330_250)],
                            geometry: PreparedGeometry(.point(Vertex(x: xy.x, y: xy.y, z: 35, m: 9)), hasZ: true, hasM: true))])
        let doc = try json(dir.appendingPathComponent("paris.geojson"))
        let feature = (doc["features"] as! [[String: Any]])[0]
        #expect((feature["id"] as? NSNumber)?.intValue == 42)
        let properties = feature["properties"] as! [String: Any]
        #expect(properties["when"] as? String == "2024-03-15T13:45:30.250Z")
        let coordinates = numbers((feature["geometry"] as! [String: Any])["coordinates"])
        #expect(coordinates.count == 3)  // Z kept, M dropped
        #expect(abs(coordinates[0] - 2.35) < 1e-6 && abs(coordinates[1] - 48.85) < 1e-6)
        #expect(coordinates[2] == 35)
        #expect(writer.diagnostics.contains { $0.code == .measuresDropped && $0.severity == .loss })
    }

    @Test func feetAndRingOrientation() throws {
        let dir = try TestPaths.makeTemporaryDirectory("geojson-2227")
        defer { try? FileManager.default.removeItem(at: dir) }
        // EPSG:2227 (California zone 3, US feet): a clockwise (Esri) square near San Francisco.
        guard let p = GDALGeometryOracle.transform(x: -122.42, y: 37.77, from: "EPSG:4326", to: "EPSG:2227") else {
            Issue.record("no transformation"); return
        }
        let d = 1000.0
        let clockwise = Path(vertices: [Vertex(x: p.x, y: p.y), Vertex(x: p.x, y: p.y + d), Vertex(x: p.x + d, y: p.y + d),
                                        Vertex(x: p.x + d, y: p.y), Vertex(x: p.x, y: p.y)])
        let layer = LayerSchema(id: 0, name: "sf", geometryType: .polygon, spatialReference: SpatialReference(wkid: 2227),
                                objectIdField: "OBJECTID", fields: [Field(name: "OBJECTID", type: .objectID),
                                                                    Field(name: "bytes", type: .blob)],
                                schemaSource: .layerResource)
        try WriterFixtures.write(GeoJSONWriter.self, into: dir, layer: layer, features: [
            PreparedFeature(attributes: [.int64(1), .blob([0, 1, 2, 254, 255])], geometry: PreparedGeometry(.polygons([[clockwise]])))])
        let feature = (try json(dir.appendingPathComponent("sf.geojson"))["features"] as! [[String: Any]])[0]
        #expect((feature["properties"] as! [String: Any])["bytes"] as? String == "AAEC/v8=")
        let geometry = feature["geometry"] as! [String: Any]
        // Verified on GDAL 3.6.2: a one-part MultiPolygon is written as a GeoJSON Polygon.
        #expect(geometry["type"] as? String == "Polygon")
        guard let rings = geometry["coordinates"] as? [Any], let first = rings.first as? [Any] else {
            Issue.record("no ring in \(geometry)"); return
        }
        let ring = first.map { numbers($0) }
        guard ring.count == 5, ring.allSatisfy({ $0.count == 2 }) else { Issue.record("bad ring \(ring)"); return }
        #expect(abs(ring[0][0] - -122.42) < 1e-5 && abs(ring[0][1] - 37.77) < 1e-5)
        var twiceArea = 0.0
        for i in 0..<(ring.count - 1) { twiceArea += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] }
        #expect(twiceArea > 0)  // counter-clockwise exterior (RFC 7946)
    }

    /// Point layers skip GDAL's RFC 7946 mode (a copy of every feature) and get its rules here:
    /// longitudes beyond ±180 wrapped as GDAL wraps them, no `crs` member, an empty point null,
    /// a latitude beyond ±90 refused.
    /// A layer of `type` with only an ObjectID, in WGS 84.
    static func wgs84Layer(_ name: String, _ type: GeometryType) -> LayerSchema {
        LayerSchema(id: 0, name: name, geometryType: type, spatialReference: SpatialReference(wkid: 4326),
                    objectIdField: "OBJECTID", fields: [Field(name: "OBJECTID", type: .objectID)], schemaSource: .layerResource)
    }

    @Test func pointLayersFollowRFC7946WithoutGDALsMode() throws {
        let dir = try TestPaths.makeTemporaryDirectory("geojson-wrap")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = Self.wgs84Layer("wrap", .point)
        func point(_ id: Int64, _ x: Double, _ y: Double) -> PreparedFeature {
            PreparedFeature(attributes: [.int64(id)], geometry: PreparedGeometry(.point(Vertex(x: x, y: y))))
        }
        try WriterFixtures.write(GeoJSONWriter.self, into: dir, layer: layer, features: [
            point(1, 190, 10), point(2, -540.5, 5), point(3, 180, -90), point(4, .nan, .nan)])
        let doc = try json(dir.appendingPathComponent("wrap.geojson"))
        #expect(doc["crs"] == nil)
        let features = doc["features"] as! [[String: Any]]
        #expect(numbers((features[0]["geometry"] as? [String: Any])?["coordinates"]) == [-170, 10])
        #expect(numbers((features[1]["geometry"] as? [String: Any])?["coordinates"]) == [179.5, 5])
        #expect(numbers((features[2]["geometry"] as? [String: Any])?["coordinates"]) == [180, -90])
        #expect(features[3]["geometry"] is NSNull)

        // Beyond ±90° of latitude: written without the geometry, reported (issue 23).
        let refused = try TestPaths.makeTemporaryDirectory("geojson-bounds")
        defer { try? FileManager.default.removeItem(at: refused) }
        let (writer, _) = try WriterFixtures.write(GeoJSONWriter.self, into: refused, layer: layer,
                                                   features: [point(1, 10, 10), point(2, 10, 95)])
        let kept = try json(refused.appendingPathComponent("wrap.geojson"))["features"] as! [[String: Any]]
        #expect(numbers((kept[0]["geometry"] as? [String: Any])?["coordinates"]) == [10, 10])
        #expect(kept[1]["geometry"] is NSNull && (kept[1]["properties"] as? [String: Any])?["OBJECTID"] as? Int == 2)
        let note = try #require(writer.diagnostics.first { $0.code == .geometryRefused })
        #expect(note.count == 1 && note.location.objectID == 2 && note.location.featureIndex == 1)
    }

    /// Lines and polygons beyond what RFC 7946 holds: beyond ±360° of longitude (where GDAL 3.6.2
    /// would write an empty polygon without a word) refused here, beyond ±90° of latitude refused
    /// by GDAL; both written without their geometry and reported, the others kept.
    @Test func linesAndPolygonsBeyondWGS84AreWrittenWithoutGeometry() throws {
        let dir = try TestPaths.makeTemporaryDirectory("geojson-refused")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = Self.wgs84Layer("areas", .polygon)
        func square(_ id: Int64, _ x: Double, _ y: Double) -> PreparedFeature {
            let ring = [Vertex(x: x, y: y), Vertex(x: x + 1, y: y), Vertex(x: x + 1, y: y + 1), Vertex(x: x, y: y + 1), Vertex(x: x, y: y)]
            return PreparedFeature(attributes: [.int64(id)], geometry: PreparedGeometry(.polygons([[Path(vertices: ring)]])))
        }
        let (writer, _) = try WriterFixtures.write(GeoJSONWriter.self, into: dir, layer: layer, features: [
            square(1, 10, 10), square(2, 1_447_153, 6_800_125), square(3, 10, 89.5), square(4, 20, 20)])
        let features = try json(dir.appendingPathComponent("areas.geojson"))["features"] as! [[String: Any]]
        #expect(features.map { $0["geometry"] is NSNull } == [false, true, true, false])
        let note = try #require(writer.diagnostics.first { $0.code == .geometryRefused })
        #expect(note.count == 2 && note.location.objectID == 2 && note.severity == .loss)
    }

    /// Text that looks like JSON stays text (GDAL 3.6.2 would write `[1, 2]` as an array), in point
    /// layers (segmented or not) and polygon layers alike; read back with Foundation's parser.
    @Test(arguments: [GeometryType.point, .polygon], [false, true])
    func textThatLooksLikeJSONStaysText(type: GeometryType, segmented: Bool) throws {
        let dir = try TestPaths.makeTemporaryDirectory("geojson-text")
        defer { try? FileManager.default.removeItem(at: dir) }
        let texts = ["[1, 2]", "{\"k\": 3}", "{}", "[]", "\u{1}", "\u{1}[1]", "\u{1}\u{1}x", "a: \"\u{1}b", "[not json",
                     "{C386BBC4-1027-4414-81E2-C2CE7ED4D57B}", "plain", "[\"nested\", {\"a\": [1]}]", "", "x]"]
        let layer = LayerSchema(id: 0, name: "texts", geometryType: type, spatialReference: SpatialReference(wkid: 4326),
                                objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID), Field(name: "s", type: .string),
                                         Field(name: "doc", type: .xml)],
                                schemaSource: .layerResource)
        let square = Path(vertices: [Vertex(x: 0, y: 0), Vertex(x: 1, y: 0), Vertex(x: 1, y: 1), Vertex(x: 0, y: 0)])
        let features = texts.enumerated().map { i, text in
            PreparedFeature(attributes: [.int64(Int64(i + 1)), .string(text), .string(String(text.reversed()))],
                            geometry: PreparedGeometry(type == .point ? .point(Vertex(x: Double(i), y: 1)) : .polygons([[square]])))
        }
        try write(features, layer: layer, into: dir, segmented: segmented)
        let document = try json(dir.appendingPathComponent("texts.geojson"))
        let properties = (document["features"] as? [[String: Any]] ?? []).map { $0["properties"] as? [String: Any] ?? [:] }
        #expect(properties.map { $0["s"] as? String } == texts.map { $0 })
        #expect(properties.map { $0["doc"] as? String } == texts.map { String($0.reversed()) })
        #expect(TestPaths.entries(dir) == ["texts.geojson"])
    }

    /// Single and Double values are written exactly (GDAL 3.6.2 alone writes 0.30000000000000004 as
    /// 0.3), in point layers (segmented or not) and line layers (GDAL's RFC 7946 mode) alike; a
    /// NaN or infinity, which JSON cannot hold, is null and reported. Read back through GDAL,
    /// which types the fields Real.
    @Test(arguments: [GeometryType.point, .polyline], [false, true])
    func numbersAreWrittenExactly(type: GeometryType, segmented: Bool) throws {
        let dir = try TestPaths.makeTemporaryDirectory("geojson-numbers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let doubles: [Double] = [0.30000000000000004, -73.99000000000001, 34.626618000000006, 1512.5250411699999,
                                 1e300, .leastNonzeroMagnitude, -0.0, 3, 1e21, 12_345_678_901_234_568, 0.1, .greatestFiniteMagnitude,
                                 2.5e-5, 1e16, -1234.5000000000002, .infinity, .nan]
        let singles: [Float] = [1.1, 3, 0.1, .leastNonzeroMagnitude, 16_777_215, -2.5e-5, .greatestFiniteMagnitude,
                                1e10, 0.3, 7.0e-8, 1e30, 5, 6, 7, 8, -.infinity, 9]
        let layer = LayerSchema(id: 0, name: "numbers", geometryType: type, spatialReference: SpatialReference(wkid: 4326),
                                objectIdField: "OBJECTID",
                                fields: [Field(name: "OBJECTID", type: .objectID), Field(name: "d", type: .double),
                                         Field(name: "f", type: .single)],
                                schemaSource: .layerResource)
        let features = doubles.indices.map { i in
            let shape: PreparedGeometry.Shape = type == .point
                ? .point(Vertex(x: Double(i), y: 1))
                : .lines([Path(vertices: [Vertex(x: 0, y: 0), Vertex(x: 1, y: Double(i))])])
            return PreparedFeature(attributes: [.int64(Int64(i + 1)), .float64(doubles[i]), .float32(singles[i])],
                                   geometry: PreparedGeometry(shape))
        }
        let writer = try write(features, layer: layer, into: dir, segmented: segmented)
        let url = dir.appendingPathComponent("numbers.geojson")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("\"d\": 0.30000000000000004,") && text.contains("\"f\": 1.1 }"))
        #expect(!text.contains("\\u0002"))

        let read = try GDALReadDataset(url: url)
        let info = try read.layerInfo("numbers")
        #expect(info.fields.first { $0.name == "d" }?.type == "Real" && info.fields.first { $0.name == "f" }?.type == "Real")
        let back = try read.features("numbers")
        #expect(back.count == doubles.count)
        for (i, feature) in back.enumerated() {
            let d = feature.value("d", in: info), f = feature.value("f", in: info)
            if doubles[i].isFinite {
                #expect(d?.double?.bitPattern == doubles[i].bitPattern, "d of feature \(i + 1): \(String(describing: d))")
            } else {
                #expect(d == .null)
            }
            if singles[i].isFinite {
                #expect(f?.double == Double(String(singles[i])), "f of feature \(i + 1): \(String(describing: f))")
            } else {
                #expect(f == .null)
            }
        }
        let dropped = writer.diagnostics.filter { $0.code == .nonFiniteNumberDropped }
        #expect(dropped.compactMap(\.count).sorted() == [1, 2] && dropped.allSatisfy { $0.severity == .loss })
        #expect(dropped.first { $0.location.field == "d" }?.location.objectID == 16)
    }

    /// The marker is taken out wherever a window boundary falls, and only where a member's value
    /// starts with it.
    @Test func markersAreTakenOutAcrossWindows() throws {
        let dir = try TestPaths.makeTemporaryDirectory("geojson-strip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let marked = #"{ "a": "\u0001[1]", "b": "x\u0001", "c": "\u0001\u0001y", "d": "q\": \"\u0001z", "e": "\u00021.5e-07", "f": "\u0001\u0002t", "g": "\u00020.30000000000000004" }"#
        let expected = #"{ "a": "[1]", "b": "x\u0001", "c": "\u0001y", "d": "q\": \"\u0001z", "e": 1.5e-07, "f": "\u0002t", "g": 0.30000000000000004 }"#
        for window in [1, 9, 10, 11, 12, 13, 17, 20, 64, 1 << 20] {
            let url = dir.appendingPathComponent("w\(window).geojson")
            try Data(String(repeating: marked + "\n", count: 20).utf8).write(to: url)
            try GeoJSONTextMarker.strip(url, location: ErrorLocation(), window: window)
            #expect(try String(contentsOf: url, encoding: .utf8) == String(repeating: expected + "\n", count: 20), "window \(window)")
        }
        // A file without markers is left as it is.
        let plain = dir.appendingPathComponent("plain.geojson")
        let unmarked = #"{ "a": "[1]", "b": "x\u0001", "d": "q\": \"\u0001z" }"#
        try Data(unmarked.utf8).write(to: plain)
        try GeoJSONTextMarker.strip(plain, location: ErrorLocation(), window: 9)
        #expect(try String(contentsOf: plain, encoding: .utf8) == unmarked)
        #expect(TestPaths.entries(dir).allSatisfy { !$0.hasPrefix(".") })
    }

    /// Seeded files of members whose values are marked and unmarked text (with escapes, quotes and
    /// backslashes), marked numbers and plain numbers: the windowed pass gives what one replacement
    /// over the whole text gives, for windows that cut patterns and numbers everywhere.
    @Test func markerPassMatchesAWholeFileReplacement() throws {
        let dir = try TestPaths.makeTemporaryDirectory("geojson-strip-seeded")
        defer { try? FileManager.default.removeItem(at: dir) }
        var random = SplitMix64(seed: 7)
        let texts = [#"plain"#, #"\u0001x"#, #"\u0002y"#, #"q\": \"\u0001"#, #"a\\"#, #"\"\u00e9\""#, #": \"\u0002"#, ""]
        let numbers = ["0", "-1.5", "0.30000000000000004", "1e+16", "-2.5e-05", "123456789.125"]
        for round in 0..<40 {
            var marked = "{ ", expected = "{ "
            for member in 0..<Int(random.next() % 40) {
                let key = "\"k\(member)\": "
                marked += key; expected += key
                switch random.next() % 4 {
                case 0:
                    let text = texts[Int(random.next() % UInt64(texts.count))]
                    marked += "\"\\u0001\(text)\""; expected += "\"\(text)\""
                case 1:
                    let number = numbers[Int(random.next() % UInt64(numbers.count))]
                    marked += "\"\\u0002\(number)\""; expected += number
                case 2:
                    // Unmarked text never starts with a marker: the writer marks such text.
                    let unmarked = texts.filter { !$0.hasPrefix(#"\u000"#) }
                    let text = unmarked[Int(random.next() % UInt64(unmarked.count))]
                    marked += "\"\(text)\""; expected += "\"\(text)\""
                default:
                    let number = numbers[Int(random.next() % UInt64(numbers.count))]
                    marked += number; expected += number
                }
                marked += ", "; expected += ", "
            }
            marked += "}\n"; expected += "}\n"
            for window in [9, 10, 11, 13, 16, 37, 4096] {
                let url = dir.appendingPathComponent("r\(round)-w\(window).geojson")
                try Data(marked.utf8).write(to: url)
                try GeoJSONTextMarker.strip(url, location: ErrorLocation(), window: window)
                #expect(try String(contentsOf: url, encoding: .utf8) == expected, "round \(round), window \(window)")
            }
        }
    }
}
