import Foundation
import Testing
@testable import ReplicaExport

enum MGDB {
    static let files = [
        "LA_Trails.geodatabase", "militaryoverlay.geodatabase", "canyonlands_3b1fef0d.geodatabase",
        "arcrestgo_m5pc4wu4_10.4.1.geodatabase", "procaching_data_Pro2.8_10.9.0.geodatabase",
        "ArcGISRuntimeBook_sf_parking_meters_10.3.1.geodatabase",
        "MmpkTest_USA_mmpk_p12_feature_service_data.geodatabase",
    ]
    static func url(_ name: String) -> URL { TestPaths.testData("mobilegdb/\(name)") }

    /// Our own oracle SQL for "current rows", written independently of the reader's predicate.
    static func currentFilter(_ isArchive: Bool) -> String {
        isArchive ? " WHERE abs(gdb_to_date - 5373484.499988426) < 0.000001" : ""
    }

    /// Runs the sqlite3 command line on a (copied) file, read-write.
    @discardableResult
    static func sqlite3(_ path: URL, _ sql: String) throws -> String {
        try Processes.succeed("sqlite3", [path.path, sql])
    }

    static func copy(_ name: String, to dir: URL) throws -> URL {
        let dest = dir.appendingPathComponent(name)
        try FileManager.default.copyItem(at: url(name), to: dest)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dest.path)
        return dest
    }

    static func all(_ source: MobileGeodatabaseSource, layer: Int) throws -> [Feature] {
        var out: [Feature] = []
        try source.features(inLayer: layer, batchSize: 500) { out += $0 }
        return out
    }

    static func bbox(_ g: Geometry) -> (Double, Double, Double, Double) {
        var vs: [Vertex]
        switch g.shape {
        case .point(let v): vs = [v]
        case .multipoint(let p): vs = p
        case .polyline(let ps), .polygon(let ps): vs = ps.flatMap(\.vertices)
        }
        return (vs.map(\.x).min()!, vs.map(\.y).min()!, vs.map(\.x).max()!, vs.map(\.y).max()!)
    }
}

@Suite("Mobile geodatabase reader")
struct MobileGeodatabaseTests {
    @Test(arguments: MGDB.files)
    func everyLayerStreamsWithOracleCountsAndBoundingBoxes(file: String) throws {
        let source = try MobileGeodatabaseSource(url: MGDB.url(file))
        let oracle = try SQLiteConnection(readOnlyImmutable: MGDB.url(file))
        #expect(!source.replica.layers.isEmpty)
        for (i, layer) in source.replica.layers.enumerated() {
            let plan = source.plans[i]
            let features = try MGDB.all(source, layer: i)
            let expected = try oracle.rows("SELECT count(*) FROM \(SQLName.quote(plan.table))\(MGDB.currentFilter(plan.isArchive))") { $0.int64(0) }[0]
            #expect(Int64(features.count) == expected, "\(file) \(layer.name)")
            #expect(features.allSatisfy { $0.attributes.count == layer.fields.count })
            // Values carry their field's storage kind.
            for f in features {
                for (v, field) in zip(f.attributes, layer.fields) where !v.isNull {
                    #expect(v.kind == field.type.storage, "\(layer.name).\(field.name)")
                }
            }
            // No archive column reaches the schema.
            #expect(!layer.fields.contains { $0.name.lowercased().hasPrefix("gdb_") })
            #expect(layer.fields.filter { $0.type == .objectID }.count == 1, "\(layer.name)")
            guard let shape = plan.shapeColumn, let grid = plan.grid else { continue }
            // Stored per-geometry boxes, decoded independently from our own SQL, vs the streamed geometry.
            let blobs = try oracle.rows("SELECT \(SQLName.quote(shape)) FROM \(SQLName.quote(plan.table))\(MGDB.currentFilter(plan.isArchive))") { $0.isNull(0) ? nil : $0.bytes(0) }
            #expect(blobs.count == features.count)
            var extent: (Double, Double, Double, Double)?
            var checkedBoxes = 0
            for (blob, feature) in zip(blobs, features) {
                guard let blob, let g = feature.geometry else { continue }
                #expect(g.geometryType == layer.geometryType)
                let b = MGDB.bbox(g)
                if let stored = try ShapeBlob.decode(blob, grid: grid).storedBox {
                    checkedBoxes += 1
                    #expect(abs(b.0 - stored.xmin) <= grid.halfUnit && abs(b.1 - stored.ymin) <= grid.halfUnit)
                    #expect(abs(b.2 - stored.xmax) <= grid.halfUnit && abs(b.3 - stored.ymax) <= grid.halfUnit)
                }
                extent = extent.map { (min($0.0, b.0), min($0.1, b.1), max($0.2, b.2), max($0.3, b.3)) } ?? b
            }
            // The layer extent GDB_Layers stores, when set.
            let stored = try oracle.rows("SELECT minx, miny, maxx, maxy FROM GDB_Layers WHERE lower(table_name) = lower('\(plan.table)')") {
                ($0.double(0), $0.double(1), $0.double(2), $0.double(3))
            }
            if let s = stored.first, abs(s.0) < 1e30, let e = extent {
                let tol = grid.halfUnit + 1e-9 * max(abs(s.0), abs(s.1), 1)
                #expect(abs(e.0 - s.0) <= tol && abs(e.1 - s.1) <= tol && abs(e.2 - s.2) <= tol && abs(e.3 - s.3) <= tol,
                        "\(file) \(layer.name): decoded extent \(e) vs GDB_Layers \(s)")
            }
            _ = checkedBoxes
        }
    }

    /// `maxTextBytes` bounds every text value the cursor yields, and is near the longest (three
    /// times its stored bytes, for text SQLite holds that is not valid UTF-8).
    @Test(arguments: MGDB.files)
    func maxTextBytesBoundsEveryTextValue(file: String) throws {
        let source = try MobileGeodatabaseSource(url: MGDB.url(file))
        for (i, layer) in source.replica.layers.enumerated() {
            let maxima = try source.maxTextBytes(inLayer: i)
            let text = layer.fields.indices.filter { layer.fields[$0].type == .string || layer.fields[$0].type == .xml }
            #expect(Set(maxima.keys) == Set(text.map { layer.fields[$0].name }), "\(file) \(layer.name)")
            var longest: [String: Int] = [:]
            for feature in try MGDB.all(source, layer: i) {
                for f in text {
                    if case .string(let s) = feature.attributes[f] {
                        longest[layer.fields[f].name] = max(longest[layer.fields[f].name] ?? 0, s.utf8.count)
                    }
                }
            }
            for (name, bound) in maxima {
                let seen = longest[name] ?? 0
                #expect(seen <= bound && bound <= 3 * seen, "\(file) \(layer.name).\(name): \(seen) bytes, bound \(bound)")
            }
        }
        // It describes one input, not the field: a schema's JSON does not carry it.
        var field = Field(name: "t", type: .string)
        field.maxValueBytes = 12
        let json = String(decoding: try JSONEncoder().encode(field), as: UTF8.self)
        #expect(json.contains("\"name\"") && !json.contains("maxValueBytes") && !json.contains("12"))
    }

    @Test func laTrailsPointsMatchTheirOwnLatLon() throws {
        let source = try MobileGeodatabaseSource(url: MGDB.url("LA_Trails.geodatabase"))
        let layer = try #require(source.replica.layers.first)
        #expect(layer.name == "Trailheads" && layer.id == 0 && layer.geometryType == .point)
        #expect(layer.spatialReference?.preferredWkid == 3857)
        #expect(layer.spatialReference?.xyResolution == 1e-4)
        #expect(layer.objectIdField == "OBJECTID_1")
        let lat = try #require(layer.fieldIndex(named: "LAT")), lon = try #require(layer.fieldIndex(named: "LON"))
        let features = try MGDB.all(source, layer: 0)
        #expect(features.count == 475)
        var compared = 0
        for f in features {
            guard case .point(let v)? = f.geometry?.shape,
                  let la = f.attributes[lat].doubleValue, let lo = f.attributes[lon].doubleValue else { continue }
            let r = 6378137.0
            let x = r * lo * .pi / 180
            let y = r * log(tan(.pi / 4 + la * .pi / 360))
            #expect(abs(v.x - x) < 0.1 && abs(v.y - y) < 0.1, "\(v) vs \(x), \(y)")
            compared += 1
        }
        #expect(compared > 400)
    }

    @Test func militaryOverlayDomainsCustomGridAndZ() throws {
        let source = try MobileGeodatabaseSource(url: MGDB.url("militaryoverlay.geodatabase"))
        let names = source.replica.layers.map(\.name)
        #expect(names == ["Units_Multipoint", "Units", "Air", "ControlMeasuresLines", "ControlMeasuresAreas"])
        #expect(source.replica.layers.allSatisfy { $0.hasZ })
        let grid = try #require(source.plans[1].grid)
        #expect(grid.xOrigin == -400 && abs(grid.xyScale - 11258999068426.24) < 0.001 && grid.zOrigin == -100000 && grid.zScale == 10000)
        let units = source.replica.layers[1]
        let echelon = try #require(units.fields[units.fieldIndex(named: "echelon")!].domain)
        guard case .codedValue(let name, let codes) = echelon else { Issue.record("not coded"); return }
        #expect(name == "Echelons")
        #expect(codes.first == CodedValue(code: .int32(11), name: "Team/Crew"))
        let direction = try #require(units.fields[units.fieldIndex(named: "direction")!].domain)
        #expect(direction == .range(name: "Direction", minimum: .int16(0), maximum: .int16(360)))
        #expect(units.fields[units.fieldIndex(named: "identity")!].alias == "Standard Identity")
        let withDomains = source.replica.layers.flatMap(\.fields).compactMap(\.domain).map(\.name)
        #expect(Set(withDomains).count > 20)
        // Z decoded, near the stored z column, and coordinates in the California bay.
        let features = try MGDB.all(source, layer: 1)
        let zIndex = try #require(units.fieldIndex(named: "z"))
        for f in features {
            guard case .point(let v)? = f.geometry?.shape else { Issue.record("no point"); continue }
            #expect(v.x > -122 && v.x < -121.5 && v.y > 36.5 && v.y < 36.9)
            if let z = f.attributes[zIndex].doubleValue { #expect(abs(v.z - z) < 0.001) }
        }
        let areas = try MGDB.all(source, layer: 4)
        #expect(areas.allSatisfy { $0.geometry?.hasZ == true })
        #expect(source.replica.name == "militaryoverlay")
        #expect(source.replica.syncModel == nil)
    }

    @Test func canyonlandsReplicaMetadataAndMultipartLines() throws {
        let source = try MobileGeodatabaseSource(url: MGDB.url("canyonlands_3b1fef0d.geodatabase"))
        let r = source.replica
        #expect(r.name == "MyReplica_13863")
        #expect(r.id == "{00000000-0000-0000-0000-000000000000}")
        #expect(r.syncModel == .perLayer)
        #expect(r.layerServerGens == [0: 443368, 1: 443368])
        #expect(r.layers.map(\.name) == ["CNP_Roads", "CNP_Trails"])
        #expect(r.layers.map(\.id) == [0, 1])
        let roads = r.layers[0]
        #expect(roads.objectIdField == "FID" && roads.globalIdField == "GlobalID_2")
        #expect(roads.schemaSource == .layerResource)
        var multipart = 0
        for i in 0..<2 {
            for f in try MGDB.all(source, layer: i) {
                if case .polyline(let paths)? = f.geometry?.shape, paths.count > 1 { multipart += 1 }
            }
        }
        #expect(multipart >= 6)
    }

    @Test func supersededHistoryRowsNeverReachTheOutput() throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-history")
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = try MGDB.copy("canyonlands_3b1fef0d.geodatabase", to: dir)
        let before = try MobileGeodatabaseSource(url: copy)
        let roadsBefore = try MGDB.all(before, layer: 0)
        // Esri's triggers call functions of its extension: drop them in the copy, then add history.
        let triggers = try MGDB.sqlite3(copy, "SELECT name FROM sqlite_master WHERE type='trigger'")
            .split(separator: "\n").map(String.init)
        #expect(!triggers.isEmpty)
        try MGDB.sqlite3(copy, triggers.map { "DROP TRIGGER \"\($0)\";" }.joined())
        let columns = try MGDB.sqlite3(copy, "SELECT name FROM pragma_table_info('CNP_Roads') WHERE name NOT IN ('gdb_archive_oid','gdb_from_date','gdb_to_date')")
            .split(separator: "\n").map { "\"\($0)\"" }.joined(separator: ",")
        let select = columns.replacingOccurrences(of: "\"RDNAME\"", with: "'SUPERSEDED'")
        try MGDB.sqlite3(copy, "INSERT INTO CNP_Roads (\(columns), gdb_from_date, gdb_to_date) SELECT \(select), 2458000.0, 2458600.5 FROM CNP_Roads WHERE FID IN (SELECT FID FROM CNP_Roads LIMIT 5)")
        #expect(try MGDB.sqlite3(copy, "SELECT count(*) FROM CNP_Roads").trimmingCharacters(in: .whitespacesAndNewlines) == "94")
        let after = try MobileGeodatabaseSource(url: copy)
        let roadsAfter = try MGDB.all(after, layer: 0)
        #expect(roadsAfter == roadsBefore)
        #expect(after.featureCount(inLayer: 0) == roadsAfter.count)
        let rdname = try #require(after.replica.layers[0].fieldIndex(named: "RDNAME"))
        #expect(!roadsAfter.contains { $0.attributes[rdname] == .string("SUPERSEDED") })
    }

    @Test func arcrestgoRelationshipsAttachmentsAndDates() throws {
        let source = try MobileGeodatabaseSource(url: MGDB.url("arcrestgo_m5pc4wu4_10.4.1.geodatabase"))
        let r = source.replica
        #expect(r.name == "MyReplica" && r.id == "{1a4df0c8-b105-48ea-86f6-00c435f5530b}")
        #expect(r.layers.map(\.name) == ["Homesites", "Homesites inspections"])
        let homesites = r.layers[0], inspections = r.layers[1]
        #expect(inspections.kind == .table && inspections.hasAttachments)
        #expect(!homesites.hasAttachments)
        #expect(homesites.relationships.first?.relatedLayerId == 1 && homesites.relationships.first?.role == .origin)
        #expect(inspections.relationships.first?.keyField == "GlobalGUID")
        #expect(homesites.fields[homesites.fieldIndex(named: "GlobalID")!].type == .globalID)
        #expect(inspections.fields[inspections.fieldIndex(named: "GlobalGUID")!].type == .guid)
        let lease = try #require(homesites.fields[homesites.fieldIndex(named: "lease_site")!].domain)
        if case .codedValue(_, let codes) = lease { #expect(codes.allSatisfy { $0.code.kind == .int16 }) } else { Issue.record("no coded domain") }
        var count = 0
        try source.attachments(inLayer: 1) { _ in count += 1 }
        #expect(count == 0)
        // A realdate becomes milliseconds: compare with SQLite's own conversion.
        let oracle = try SQLiteConnection(readOnlyImmutable: MGDB.url("arcrestgo_m5pc4wu4_10.4.1.geodatabase"))
        let expected = try oracle.rows("SELECT CAST(round((CreationDate - 2440587.5) * 86400000) AS INTEGER) FROM Homesites WHERE CreationDate IS NOT NULL\(" AND abs(gdb_to_date - 5373484.499988426) < 0.000001")") { $0.int64(0) }
        let created = try #require(homesites.fieldIndex(named: "CreationDate"))
        let got = try MGDB.all(source, layer: 0).compactMap { f -> Int64? in
            if case .date(let ms) = f.attributes[created] { return ms } else { return nil }
        }
        #expect(got == expected && !got.isEmpty)
    }

    @Test func attachmentsStreamCurrentRowsOnly() throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-attach")
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = try MGDB.copy("arcrestgo_m5pc4wu4_10.4.1.geodatabase", to: dir)
        // No public sample has attachment rows: add one current and one superseded row to the copy.
        try MGDB.sqlite3(copy, """
            INSERT INTO Homesites_inspections__ATTACH (ATTACHMENTID, GLOBALID, REL_GLOBALID, CONTENT_TYPE, ATT_NAME, DATA_SIZE, DATA, gdb_from_date, gdb_to_date)
            VALUES (1, '{11111111-1111-1111-1111-111111111111}', '{22222222-2222-2222-2222-222222222222}', 'image/png', 'a.png', 3, x'010203', 2458000.0, julianday('9999-12-31 23:59:59')),
                   (1, '{11111111-1111-1111-1111-111111111111}', '{22222222-2222-2222-2222-222222222222}', 'image/png', 'old.png', 1, x'09', 2457000.0, 2458000.0);
            """)
        let source = try MobileGeodatabaseSource(url: copy)
        var got: [ReplicaExport.Attachment] = []
        try source.attachments(inLayer: 1) { got.append($0) }
        #expect(got == [ReplicaExport.Attachment(attachmentId: 1, globalId: "{11111111-1111-1111-1111-111111111111}",
                                   parentGlobalId: "{22222222-2222-2222-2222-222222222222}", contentType: "image/png",
                                   name: "a.png", size: 3, data: [1, 2, 3])])
        #expect(source.attachmentCount(inLayer: 1) == 1)
    }

    @Test func proFileWithBracketNamesAndSecondSpatialReference() throws {
        let source = try MobileGeodatabaseSource(url: MGDB.url("procaching_data_Pro2.8_10.9.0.geodatabase"))
        let byName = Dictionary(uniqueKeysWithValues: source.replica.layers.map { ($0.name, $0) })
        #expect(byName["roads"]?.geometryType == .polyline)
        #expect(byName["test_extent"]?.spatialReference?.preferredWkid == 26912)
        #expect(byName["roads"]?.spatialReference?.preferredWkid == 3857)
        #expect(source.replica.name == "procaching_data_Pro2.8_10.9.0")
    }

    @Test func batchesNeverExceedTheRequestedSize() throws {
        let source = try MobileGeodatabaseSource(url: MGDB.url("ArcGISRuntimeBook_sf_parking_meters_10.3.1.geodatabase"))
        #expect(source.replica.layers.count == 1)
        var total = 0, batches = 0, largest = 0
        var first: Feature?
        try source.features(inLayer: 0, batchSize: 7) { batch in
            #expect(batch.count <= 7 && !batch.isEmpty)
            largest = max(largest, batch.count)
            total += batch.count
            batches += 1
            if first == nil { first = batch.first }
        }
        #expect(total == 24924 && largest == 7 && batches == (24924 + 6) / 7)
        guard case .point(let v)? = first?.geometry?.shape else { Issue.record("no point"); return }
        #expect(abs(v.x - -122.4369) < 0.01 && abs(v.y - 37.78) < 0.05)
    }

    @Test func readingNeverChangesOrCreatesFiles() throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-wal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = try MGDB.copy("LA_Trails.geodatabase", to: dir)
        #expect(try MGDB.sqlite3(copy, "PRAGMA journal_mode=WAL").contains("wal"))
        let listing = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let bytes = try Data(contentsOf: copy)
        let source = try MobileGeodatabaseSource(url: copy)
        for i in source.replica.layers.indices { _ = try MGDB.all(source, layer: i) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == listing)
        #expect(try Data(contentsOf: copy) == bytes)
        #expect(!FileManager.default.fileExists(atPath: copy.path + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: copy.path + "-shm"))
    }

    func expectReadingError(_ url: URL, _ code: ReplicaExportError.Code, _ text: String) {
        do {
            let s = try MobileGeodatabaseSource(url: url)
            for i in s.replica.layers.indices { _ = try MGDB.all(s, layer: i) }
            Issue.record("opened \(url.lastPathComponent) without error")
        } catch let e as ReplicaExportError {
            #expect(e.code == code, "\(e)")
            #expect(e.description.contains(text), "\(e)")
            #expect(e.location.input == url.path)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func damagedAndForeignFilesAreClearErrors() throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-damaged")
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try Data(contentsOf: MGDB.url("militaryoverlay.geodatabase"))

        let truncated = dir.appendingPathComponent("truncated.geodatabase")
        try original.prefix(original.count / 2).write(to: truncated)
        expectReadingError(truncated, .corrupt, "damaged")

        let scrambled = dir.appendingPathComponent("scrambled.geodatabase")
        var bytes = [UInt8](original)
        let pageSize = 4096, page = bytes.count / pageSize / 2
        var rng = SystemRandomNumberGenerator()
        for i in (page * pageSize)..<((page + 1) * pageSize) { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        try Data(bytes).write(to: scrambled)
        expectReadingError(scrambled, .corrupt, "damaged")

        let text = dir.appendingPathComponent("notes.geodatabase")
        try Data("these are not the droids you are looking for\n".utf8).write(to: text)
        expectReadingError(text, .corrupt, "not an SQLite database")

        let empty = dir.appendingPathComponent("empty.geodatabase")
        try Data().write(to: empty)
        expectReadingError(empty, .corrupt, "empty")

        let plain = dir.appendingPathComponent("plain.geodatabase")
        try MGDB.sqlite3(plain, "CREATE TABLE birds (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO birds VALUES (1, 'wren');")
        expectReadingError(plain, .notAReplica, "not a mobile geodatabase")

        expectReadingError(dir.appendingPathComponent("missing.geodatabase"), .fileNotFound, "no such file")
    }

    @Test func syncDeltaIsNotAReplica() throws {
        let dir = try TestPaths.makeTemporaryDirectory("mgdb-delta")
        defer { try? FileManager.default.removeItem(at: dir) }
        // No public delta sample: shape a copy like one (T_<n>_inserts, GDB_DataChanges, no GDB_ServiceItems).
        let copy = try MGDB.copy("LA_Trails.geodatabase", to: dir)
        try Fixtures.makeSyncDelta(copy)
        expectReadingError(copy, .notAReplica, "DELTA")
    }

    /// What each real file holds, layer by layer: kind, geometry, Z, spatial reference, current rows,
    /// fields, domains, relationships and attachments, as the catalog and SQL counts say.
    @Test func everyFileIsDescribed() throws {
        let expected: [String: [String]] = [
            "LA_Trails.geodatabase": [
                "0 'Trailheads' featureLayer esriGeometryPoint Z=false wkid=3857 rows=475 fields=26 domains=0 rels=0 attach=false"],
            "militaryoverlay.geodatabase": [
                "0 'Units_Multipoint' featureLayer esriGeometryMultipoint Z=true wkid=4326 rows=5 fields=36 domains=17 rels=0 attach=false",
                "1 'Units' featureLayer esriGeometryPoint Z=true wkid=4326 rows=4 fields=36 domains=17 rels=0 attach=false",
                "2 'Air' featureLayer esriGeometryPoint Z=true wkid=4326 rows=2 fields=32 domains=14 rels=0 attach=false",
                "3 'ControlMeasuresLines' featureLayer esriGeometryPolyline Z=true wkid=4326 rows=9 fields=29 domains=7 rels=0 attach=false",
                "4 'ControlMeasuresAreas' featureLayer esriGeometryPolygon Z=true wkid=4326 rows=10 fields=29 domains=6 rels=0 attach=false"],
            "canyonlands_3b1fef0d.geodatabase": [
                "0 'CNP_Roads' featureLayer esriGeometryPolyline Z=false wkid=3857 rows=89 fields=62 domains=0 rels=0 attach=false",
                "1 'CNP_Trails' featureLayer esriGeometryPolyline Z=false wkid=3857 rows=55 fields=41 domains=0 rels=0 attach=false"],
            "arcrestgo_m5pc4wu4_10.4.1.geodatabase": [
                "0 'Homesites' featureLayer esriGeometryPoint Z=false wkid=3857 rows=69 fields=17 domains=5 rels=1 attach=false",
                "1 'Homesites inspections' table - Z=false wkid=- rows=0 fields=22 domains=0 rels=1 attach=true"],
            "procaching_data_Pro2.8_10.9.0.geodatabase": [
                "0 'test_extent' featureLayer esriGeometryPolygon Z=false wkid=26912 rows=1 fields=1 domains=0 rels=0 attach=false",
                "1 'roads' featureLayer esriGeometryPolyline Z=false wkid=3857 rows=3082 fields=86 domains=38 rels=0 attach=false"],
            "ArcGISRuntimeBook_sf_parking_meters_10.3.1.geodatabase": [
                "0 'Parking Meters' featureLayer esriGeometryPoint Z=false wkid=4326 rows=24924 fields=2 domains=0 rels=0 attach=false"],
            "MmpkTest_USA_mmpk_p12_feature_service_data.geodatabase": [
                "0 'ESRI_StateCityHighway_USA - states' featureLayer esriGeometryPolygon Z=false wkid=3857 rows=51 fields=52 domains=0 rels=0 attach=false"],
        ]
        #expect(Set(expected.keys) == Set(MGDB.files))
        for file in MGDB.files {
            let s = try MobileGeodatabaseSource(url: MGDB.url(file))
            var described: [String] = []
            for (i, l) in s.replica.layers.enumerated() {
                var n = 0
                try s.features(inLayer: i, batchSize: 10_000) { n += $0.count }
                #expect(s.featureCount(inLayer: i) == n, "\(file) layer \(i)")
                let domains = l.fields.compactMap(\.domain).count
                described.append("\(l.id) '\(l.name)' \(l.kind.rawValue) \(l.geometryType?.rawValue ?? "-") Z=\(l.hasZ) "
                                 + "wkid=\(l.spatialReference?.preferredWkid.map(String.init) ?? "-") rows=\(n) "
                                 + "fields=\(l.fields.count) domains=\(domains) rels=\(l.relationships.count) attach=\(l.hasAttachments)")
            }
            #expect(described == expected[file], "\(file)")
            #expect(s.diagnostics.isEmpty, "\(file): \(s.diagnostics)")
        }
    }
}
