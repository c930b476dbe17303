import Foundation
import Testing
import ReplicaExportTestSupport
import Synchronization
@testable import ReplicaExport

/// The library driven exactly as a feature service drives it: a raw createReplica body in, the
/// zip (or file) and the response JSON out. Each result is read back through GDAL (`/vsizip/`)
/// by a GDAL-Python oracle and compared with an unfiltered export of the same format, filtered
/// by OGR (attribute filter, GEOS intersects) and reprojected by OGR.
@Suite(.serialized) struct ServiceExportTests {
    /// Reads the expected rows from the unfiltered export and the actual rows from the service's
    /// result; prints per layer the counts and the first mismatches.
    static let oracle = #"""
import sys, json
from osgeo import ogr, osr
ogr.UseExceptions(); osr.UseExceptions()
baseline, result, queries, filter_wkt, filter_srs, target_srs, source_srs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
def srs(code):
    s = osr.SpatialReference(); s.SetFromUserInput(code); s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER); return s
target = srs(target_srs)
from osgeo import gdal
# A workbook's first row is its header; LIBKML's own fields out of the way of the layers' fields.
gdal.SetConfigOption("OGR_XLSX_HEADERS", "FORCE")
for own in ("NAME", "DESCRIPTION", "TIMESTAMP", "BEGIN", "END", "ALTITUDEMODE", "TESSELLATE", "EXTRUDE", "VISIBILITY", "DRAWORDER", "ICON"):
    gdal.SetConfigOption("LIBKML_%s_FIELD" % own, "kml:" + own.lower())
def from_columns(f, names, geometry_srs):
    # A workbook keeps the geometry in columns: WKT, or X and Y for points, in the layer's system.
    g = None
    if "WKT" in names and f.IsFieldSetAndNotNull("WKT"): g = ogr.CreateGeometryFromWkt(f.GetFieldAsString("WKT"))
    elif "X" in names and f.IsFieldSetAndNotNull("X"):
        g = ogr.Geometry(ogr.wkbPoint); g.AddPoint_2D(f.GetFieldAsDouble("X"), f.GetFieldAsDouble("Y"))
    if g is not None and geometry_srs is not None: g.AssignSpatialReference(geometry_srs)
    return g
def points(g):
    if g is None: return []
    if g.GetGeometryCount() > 0:
        out = []
        for i in range(g.GetGeometryCount()): out += points(g.GetGeometryRef(i))
        return out
    return [(p[0], p[1]) for p in g.GetPoints() or []]
def rows(layer, where=None, spatial=None, to=None, geometry_srs=None):
    out = []
    if where: layer.SetAttributeFilter(where)
    defn = layer.GetLayerDefn()
    names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    in_columns = layer.GetGeomType() == ogr.wkbNone and ("WKT" in names or "X" in names)
    for f in layer:
        g = from_columns(f, names, geometry_srs) if in_columns else f.GetGeometryRef()
        # A geometry a cell could not hold was not written (a reported loss): neither side has it.
        if in_columns and g is None: continue
        if spatial is not None:
            if g is None or not g.Intersects(spatial): continue
        if g is not None and to is not None:
            g = g.Clone(); g.TransformTo(to)
        out.append(({n: f.GetFieldAsString(n) for n in names if n.upper() not in ("WKT", "X", "Y") and not n.startswith("kml:")}, points(g)))
    return out
gdal.UseExceptions()
def open_layers(path):
    # A folder or zip of one-layer files (CSV, GeoJSON) is opened file by file.
    try:
        ds = ogr.Open(path)
    except Exception:
        ds = None
    if ds is not None and ds.GetLayerCount() > 0:
        return {ds.GetLayer(i).GetName(): (ds, ds.GetLayer(i)) for i in range(ds.GetLayerCount())}
    out = {}
    for entry in sorted(gdal.ReadDir(path) or []):
        if entry.rsplit(".", 1)[-1] in ("csv", "geojson"):
            d = ogr.Open(path + "/" + entry)
            out[d.GetLayer(0).GetName()] = (d, d.GetLayer(0))
    return out
base = open_layers(baseline); res = open_layers(result)
report = {}
for name, (_, bl) in base.items():
    total = bl.GetFeatureCount()
    spatial = None
    # A workbook has no geometry field and no coordinate system: its layers are in the input's.
    in_columns = bl.GetGeomType() == ogr.wkbNone and bl.GetLayerDefn().GetFieldIndex("WKT") + bl.GetLayerDefn().GetFieldIndex("X") > -2
    layer_srs = srs(source_srs) if in_columns else bl.GetSpatialRef()
    if filter_wkt and (bl.GetGeomType() != ogr.wkbNone or in_columns) and queries.get(name, {}).get("useGeometry", True):
        spatial = ogr.CreateGeometryFromWkt(filter_wkt); spatial.AssignSpatialReference(srs(filter_srs))
        spatial.TransformTo(layer_srs)
    expected = rows(bl, queries.get(name, {}).get("where"), spatial, target, layer_srs)
    # A single-file result is named after the replica, so its one layer is too.
    rl = res[name][1] if name in res else (list(res.values())[0][1] if len(res) == 1 and len(base) == 1 else None)
    actual = rows(rl) if rl is not None else None
    mismatches = []
    if actual is not None:
        for (ea, eg), (aa, ag) in zip(expected, actual):
            if ea != aa: mismatches.append({"expected": ea, "actual": aa})
            elif len(eg) != len(ag) or any(abs(p[0] - q[0]) > 1e-6 * max(1, abs(p[0])) or abs(p[1] - q[1]) > 1e-6 * max(1, abs(p[1])) for p, q in zip(eg, ag)):
                mismatches.append({"expectedPoints": eg[:3], "actualPoints": ag[:3]})
        srs_match = rl.GetSpatialRef() is None or rl.GetGeomType() == ogr.wkbNone or rl.GetSpatialRef().IsSame(target) == 1
    else:
        srs_match = False
    report[name] = {"expected": len(expected), "actual": None if actual is None else len(actual),
                    "mismatches": mismatches[:3], "srs": srs_match, "read": total}
print(json.dumps(report))
"""#

    struct Case: CustomStringConvertible, Sendable {
        var input: String
        var format: ExportFormat
        var body: String
        /// Per layer name: where and useGeometry, as the body says.
        var queries: [String: [String: Any & Sendable]]
        var filterWKT: String
        var filterSRS: String
        var targetSRS: String
        /// The input's coordinate system, which a workbook cannot record.
        var sourceSRS: String
        var description: String { "\(input) → \(format)" }
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    /// The formats GDAL reads back (the oracle is OGR's); those the library reads itself (json,
    /// featureCollection) are checked by their own round trips and `verify`.
    static let cases: [Case] = ExportFormat.all.filter {
        WriterRegistry.standard.profile(named: $0.name)?.readBack.reader == .gdal
    }.flatMap { format -> [Case] in [
        // 50 points in WGS 84 (11 with a geometry), written in Web Mercator.
        Case(input: "esrijson/replica_esri_test.json", format: format,
             body: "f=json&replicaName=facilities&layers=0&syncModel=none&dataFormat=\(format.name)"
                + "&geometryType=esriGeometryEnvelope&geometry=" + encoded("{\"xmin\":-180,\"ymin\":-80,\"xmax\":180,\"ymax\":80}")
                + "&inSR=4326&replicaSR=3857&returnAttachments=false&attachmentsSyncDirection=none"
                + "&replicaOptions=" + encoded("{\"syncDataOptions\":256}")
                + "&layerQueries=" + encoded("{\"0\":{\"queryOption\":\"useFilter\",\"where\":\"quality = 0 AND globalid LIKE '{%'\",\"useGeometry\":true}}"),
             queries: ["Facilities": ["where": "quality = 0 AND globalid LIKE '{%'"]],
             filterWKT: "POLYGON ((-180 -80,-180 80,180 80,180 -80,-180 -80))", filterSRS: "EPSG:4326", targetSRS: "EPSG:3857",
             sourceSRS: "EPSG:4326"),
        // Two polyline layers in Web Mercator; a where on one, an envelope in WGS 84 on both, written in WGS 84.
        Case(input: "mobilegdb/canyonlands_3b1fef0d.geodatabase", format: format,
             body: "f=json&replicaName=canyonlands&layers=%5B0%2C1%5D&syncModel=none&dataFormat=\(format.name)"
                + "&geometryType=esriGeometryEnvelope&geometry=-109.95,38.2,-109.8,38.45&inSR=4326&replicaSR=4326"
                + "&returnAttachments=false&replicaOptions=" + encoded("{\"syncDataOptions\":256}")
                + "&layerQueries=" + encoded("{\"0\":{\"where\":\"RDSURFACE <> 'Paved'\"},\"1\":{\"useGeometry\":true}}"),
             queries: ["CNP_Roads": ["where": "RDSURFACE <> 'Paved'"]],
             filterWKT: "POLYGON ((-109.95 38.2,-109.95 38.45,-109.8 38.45,-109.8 38.2,-109.95 38.2))", filterSRS: "EPSG:4326",
             targetSRS: "EPSG:4326", sourceSRS: "EPSG:3857"),
    ] }

    /// The GDAL path of the dataset inside a result.
    static func gdalPath(_ result: URL, format: ExportFormat, name: String) -> String {
        if result.pathExtension == "kmz" { return "/vsizip/\(result.path)/doc.kml" }
        guard result.pathExtension == "zip" else { return result.path }
        let zip = "/vsizip/" + result.path
        switch format {
        case .fileGDB: return zip + "/\(name).gdb"
        case .geoPackage: return zip + "/\(name).gpkg"
        default: return zip
        }
    }

    @Test(arguments: cases)
    func aRawRequestBecomesTheFilteredReprojectedResult(_ c: Case) throws {
        let work = try TestPaths.makeTemporaryDirectory("service")
        let input = TestPaths.testData(c.input)
        let parameters = try CreateReplicaParameters(formBody: c.body)
        let response = try ReplicaService().export(parameters, input: input, workDirectory: work.appendingPathComponent("results"),
                                                   resultBaseURL: URL(string: "https://example.com/rest/services/x/FeatureServer/replicafiles")!)
        // The response JSON.
        let json = try #require(try JSONSerialization.jsonObject(with: response.json()) as? [String: Any])
        #expect(json["responseType"] as? String == "esriReplicaResponseTypeData")
        #expect(json["status"] as? String == "Completed")
        #expect(json["transportType"] as? String == "esriTransportTypeUrl")
        #expect((json["replicaID"] as? String)?.count == 38)
        let folder = ReplicaService.folderName(response.replicaID)
        let resultURL = try #require(json["resultUrl"] as? String)
        #expect(resultURL.hasPrefix("https://example.com/rest/services/x/FeatureServer/replicafiles/\(folder)/\(parameters.replicaName!)."))
        let result = work.appendingPathComponent("results/\(folder)/" + URL(string: resultURL)!.lastPathComponent)
        #expect(FileManager.default.fileExists(atPath: result.path))
        // Only the result is left in the work directory.
        #expect(TestPaths.listing(work.appendingPathComponent("results")) == [folder, "\(folder)/\(result.lastPathComponent)"])
        let layers = parameters.layerIds.count
        // A workbook or KMZ holds every layer in its one file.
        var oneFile = false
        if case .oneDataset? = WriterRegistry.standard.profile(named: c.format.name)?.layout { oneFile = true }
        #expect((result.pathExtension == "zip") == (c.format.alwaysZipped || (layers > 1 && !oneFile)))

        // The oracle: an unfiltered export of the same format, filtered and reprojected by OGR.
        let baseline = try Exporter().export(ExportRequest(input: input, formats: [c.format.name],
                                                           outputDirectory: work.appendingPathComponent("baseline"),
                                                           syncDataOptions: 256, layerIds: parameters.layerIds))
        var baselinePath = Self.gdalPath(baseline.outputs[c.format.name]![0].url, format: c.format, name: parameters.replicaName!)
        if c.format == .shapefile || (layers > 1 && (c.format == .csv || c.format == .geoJSON)) {
            baselinePath = work.appendingPathComponent("baseline/\(c.format.name)").path
        } else if c.format == .csv {
            // The single-file result has no .csvt beside it: read the baseline the same way.
            let alone = work.appendingPathComponent("baseline-csv", isDirectory: true)
            try FileManager.default.createDirectory(at: alone, withIntermediateDirectories: true)
            let copy = alone.appendingPathComponent(URL(fileURLWithPath: baselinePath).lastPathComponent)
            try FileManager.default.copyItem(atPath: baselinePath, toPath: copy.path)
            let prj = URL(fileURLWithPath: baselinePath).deletingPathExtension().appendingPathExtension("prj")
            try FileManager.default.copyItem(at: prj, to: copy.deletingPathExtension().appendingPathExtension("prj"))
            baselinePath = copy.path
        }
        // GeoJSON and KML are WGS 84 whatever replicaSR says, as ArcGIS writes them.
        let target = WriterRegistry.standard.profile(named: c.format.name)!.capabilities.contains(.requiresWGS84)
            ? "EPSG:4326" : c.targetSRS
        var queries = String(decoding: try JSONSerialization.data(withJSONObject: c.queries), as: UTF8.self)
        if c.format == .csv {
            // Without its .csvt every CSV column reads back as text: OGR compares the text.
            queries = queries.replacingOccurrences(of: "quality = 0", with: "quality = '0'")
        }
        let run = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"),
                                    ["-c", Self.oracle, baselinePath, Self.gdalPath(result, format: c.format, name: parameters.replicaName!),
                                     queries, c.filterWKT, c.filterSRS, target, c.sourceSRS])
        let report = try #require(try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String: Any]],
                                  "\(run.stderr)")
        #expect(report.count == layers)
        for (layer, entry) in report {
            let expected = entry["expected"] as? Int ?? -1
            #expect(entry["actual"] as? Int == expected, "\(layer): \(entry)")
            #expect((entry["mismatches"] as? [Any])?.isEmpty == true, "\(layer): \(entry)")
            #expect(entry["srs"] as? Bool == true, "\(layer): output not in replicaSR")
            // The filter selects something, and not everything.
            #expect(expected > 0 && expected < (entry["read"] as? Int ?? 0), "\(layer): \(entry)")
        }
    }
}

/// What a service needs beyond one export: errors as answers, exports at once, cancellation,
/// the async job and progress.
@Suite struct ServiceBehaviourTests {
    static let input = TestPaths.testData("mobilegdb/canyonlands_3b1fef0d.geodatabase")
    static let base = URL(string: "https://example.com/replicafiles")!

    func parameters(_ body: String) throws -> CreateReplicaParameters { try CreateReplicaParameters(formBody: body) }

    @Test func payloadLevelRefusalsAre400sNamingTheParameter() throws {
        let work = try TestPaths.makeTemporaryDirectory("service")
        let cases = [
            ("syncModel=none&dataFormat=csv&layers=7", "layers:"),
            ("syncModel=none&dataFormat=csv&layers=0&layerQueries=" + ServiceExportTests.encoded(#"{"0":{"where":"NOPE = 1"}}"#),
             "layerQueries[0].where: the field 'NOPE' is not in layer 'CNP_Roads'"),
            ("syncModel=none&dataFormat=csv&layers=0&layerQueries=" + ServiceExportTests.encoded(#"{"0":{"where":"RDNAME = 1"}}"#),
             "layerQueries[0].where: '=' compares"),
            ("syncModel=none&dataFormat=csv&layers=0&replicaSR=999999", "replicaSR: cannot be honoured"),
        ]
        for (body, prefix) in cases {
            do {
                _ = try ReplicaService().export(try parameters(body), input: Self.input, workDirectory: work, resultBaseURL: Self.base)
                Issue.record("\(body) was accepted")
            } catch {
                let answer = ServiceError(error)
                #expect(answer.code == 400, "\(answer)")
                #expect(answer.message.hasPrefix(prefix), "\(answer.message)")
            }
            #expect(TestPaths.entries(work).isEmpty, "\(body) left \(TestPaths.listing(work))")
        }
        // A damaged payload is the service's 500, with where it happened.
        let bad = work.appendingPathComponent("bad.json")
        try Data(#"{"layers": [{"id": 0, "features": [{"attributes": {"a": 1},,}]}]}"#.utf8).write(to: bad)
        do {
            _ = try ReplicaService().export(try parameters("syncModel=none&dataFormat=csv&layers=0"), input: bad,
                                            workDirectory: work.appendingPathComponent("out"), resultBaseURL: Self.base)
            Issue.record("a damaged payload was exported")
        } catch {
            let answer = ServiceError(error)
            #expect(answer.code == 500, "\(answer)")
            #expect(answer.details.contains { $0.contains("bad.json") }, "\(answer)")
        }
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("out").path)
                || TestPaths.entries(work.appendingPathComponent("out")).isEmpty)
    }

    /// Every file of a result folder, by path, with its bytes.
    func contents(_ directory: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in TestPaths.listing(directory) {
            let url = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[name] = try Data(contentsOf: url)
            }
        }
        return out
    }

    @Test func exportsAtOnceGiveWhatExportsOneAfterTheOtherGive() async throws {
        let work = try TestPaths.makeTemporaryDirectory("service")
        // The geodatabases stamp each file with the time and new UUIDs, as ArcGIS does.
        let bodies = ExportFormat.all.filter { $0 != .fileGDB && $0 != .geoPackage && $0 != .sqlite }.map {
            "syncModel=none&layers=0,1&replicaName=r&dataFormat=\($0.name)&geometry=-109.95,38.2,-109.8,38.45&inSR=4326"
        }
        // One after the other, then all at once; the zips of one format must hold the same bytes.
        var sequential: [String: String] = [:]
        for body in bodies {
            let response = try ReplicaService().export(try parameters(body), input: Self.input,
                                                       workDirectory: work.appendingPathComponent("one"), resultBaseURL: Self.base,
                                                       cancellation: nil)
            sequential[body] = response.resultUrl
        }
        let concurrent = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for body in bodies {
                let p = try parameters(body)
                group.addTask {
                    let response = try await ReplicaService().export(p, input: Self.input, workDirectory: work.appendingPathComponent("many"),
                                                                     resultBaseURL: Self.base)
                    return (body, response.resultUrl)
                }
            }
            var results: [String: String] = [:]
            for try await (body, url) in group { results[body] = url }
            return results
        }
        for body in bodies {
            let one = work.appendingPathComponent("one/" + URL(string: sequential[body]!)!.pathComponents.suffix(2).joined(separator: "/"))
            let many = work.appendingPathComponent("many/" + URL(string: concurrent[body]!)!.pathComponents.suffix(2).joined(separator: "/"))
            // A .dbf header holds the date of its last update (bytes 1-3): runs on either side of
            // midnight differ there, and only there.
            // A JSON payload names its replica, a new one each export: its replicaID differs, and only that.
            let unzip = { (zip: URL) throws -> [String: String] in
                let script = """
                    import sys, zipfile, hashlib, json
                    import re
                    # A .dbf's date of last update; a JSON payload's replicaID, new for every request.
                    def undated(name, data):
                        if name.endswith('.dbf'): return data[:1] + bytes(3) + data[4:]
                        if name.endswith('.json'): return re.sub(rb'"replicaID" *: *"[^"]*"', b'"replicaID":""', data)
                        return data
                    if not zipfile.is_zipfile(sys.argv[1]):
                        print(json.dumps({"file": hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()}))
                        sys.exit(0)
                    z = zipfile.ZipFile(sys.argv[1])
                    print(json.dumps({i.filename: hashlib.sha256(undated(i.filename, z.read(i))).hexdigest() for i in z.infolist()}))
                    """
                let run = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", script, zip.path])
                return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: String] ?? [:]
            }
            let a = try unzip(one), b = try unzip(many)
            #expect(!a.isEmpty && a == b, "\(body)")
        }
    }

    @Test func aCancelledExportLeavesNothing() async throws {
        let work = try TestPaths.makeTemporaryDirectory("service")
        let p = try parameters("syncModel=none&layers=0,1&dataFormat=filegdb")
        // Two flags: the export has reported progress; the task has been cancelled. The export
        // waits for the second inside its first progress report, so it cannot finish first.
        let started = ExportCancellation(), cancelIssued = ExportCancellation()
        let task = Task {
            try await ReplicaService().export(p, input: Self.input, workDirectory: work, resultBaseURL: Self.base,
                                              progress: { _ in
                                                  started.cancel()
                                                  while !cancelIssued.isCancelled { Thread.sleep(forTimeInterval: 0.001) }
                                              })
        }
        while !started.isCancelled { try await Task.sleep(nanoseconds: 1_000_000) }
        task.cancel()
        cancelIssued.cancel()
        do {
            _ = try await task.value
            Issue.record("the cancelled export completed")
        } catch let error as ReplicaExportError {
            #expect(error.code == .cancelled)
        }
        #expect(TestPaths.entries(work).isEmpty, "left \(TestPaths.listing(work))")
    }

    @Test func theAsyncJobIsPolledUntilCompleted() async throws {
        let work = try TestPaths.makeTemporaryDirectory("service")
        let p = try parameters("syncModel=none&layers=0,1&dataFormat=shapefile&async=true&replicaName=trails")
        #expect(p.isAsync)
        let progress = Mutex<[ExportProgress]>([])
        let job = ReplicaService().submit(p, input: Self.input, workDirectory: work, resultBaseURL: Self.base,
                                          progress: { report in progress.withLock { $0.append(report) } })
        let submitted = try #require(try JSONSerialization.jsonObject(with: job.submissionResponse()) as? [String: String])
        #expect(submitted["statusUrl"] == job.statusUrl)
        #expect(job.statusUrl.hasPrefix("https://example.com/replicafiles/"))
        await job.wait()
        let status = try #require(try JSONSerialization.jsonObject(with: job.statusDocument()) as? [String: Any])
        #expect(status["status"] as? String == "Completed")
        #expect(status["replicaName"] as? String == "trails")
        #expect((status["resultUrl"] as? String)?.hasSuffix("/trails.zip") == true)
        let reports = progress.withLock { $0 }
        // Progress per layer, the last of each layer at the layer's total.
        for layerId in [0, 1] {
            let last = try #require(reports.last { $0.layerId == layerId })
            #expect(last.featuresTotal == last.featuresDone)
            #expect(last.featuresDone > 0)
        }
        // A failing job reports Failed with the error.
        let failing = ReplicaService().submit(try parameters("syncModel=none&layers=9&dataFormat=csv&async=true"), input: Self.input,
                                              workDirectory: work, resultBaseURL: Self.base)
        await failing.wait()
        let failed = try #require(try JSONSerialization.jsonObject(with: failing.statusDocument()) as? [String: Any])
        #expect(failed["status"] as? String == "Failed")
        #expect(((failed["error"] as? [String: Any])?["code"] as? Int) == 400)
    }
}

/// Feature selection inside the exporter: includeRelated, queryOption all / none, and the
/// counts of features read and selected per layer. No sample payload has related rows, so the
/// replica is built in memory: parcels (origin, key GlobalID) and their notes (destination,
/// foreign key ParcelGUID, spelled in lower case without braces as ArcGIS Online writes GUIDs).
@Suite struct ServiceSelectionTests {
    static let parcels = LayerSchema(
        id: 0, name: "parcels", kind: .table, objectIdField: "OBJECTID", globalIdField: "GlobalID",
        fields: [Field(name: "OBJECTID", type: .objectID), Field(name: "GlobalID", type: .globalID), Field(name: "Zone", type: .string)],
        relationships: [Relationship(id: 7, name: "notes", relatedLayerId: 1, cardinality: .oneToMany, role: .origin, keyField: "GlobalID")],
        schemaSource: .layerResource)
    static let notes = LayerSchema(
        id: 1, name: "notes", kind: .table, objectIdField: "OBJECTID",
        fields: [Field(name: "OBJECTID", type: .objectID), Field(name: "ParcelGUID", type: .guid), Field(name: "Text", type: .string)],
        relationships: [Relationship(id: 7, name: "notes", relatedLayerId: 0, cardinality: .oneToMany, role: .destination, keyField: "ParcelGUID")],
        schemaSource: .layerResource)

    static func guid(_ n: Int) -> String { String(format: "%08X-0000-4000-8000-000000000000", n) }

    /// 10 parcels, zones A and B alternating; 3 notes per parcel.
    static func source() -> ExporterTests.MemorySource {
        let parcelRows = (1...10).map { n in
            Feature(attributes: [.int64(Int64(n)), .guid("{\(guid(n))}"), .string(n % 2 == 0 ? "A" : "B")])
        }
        let noteRows = (1...30).map { n in
            Feature(attributes: [.int64(Int64(n)), .guid(guid((n - 1) / 3 + 1).lowercased()), .string("note \(n)")])
        }
        return ExporterTests.MemorySource(replica: Replica(name: "memory", layers: [parcels, notes]),
                                          features: [parcelRows, noteRows])
    }

    func export(_ queries: [Int: CreateReplicaParameters.LayerQuery]) throws -> (ExportReport, URL) {
        let out = try TestPaths.makeTemporaryDirectory("selection")
        var request = ExportRequest(input: URL(fileURLWithPath: "memory"), formats: ["csv"], outputDirectory: out)
        request.selection = FeatureSelection(layerQueries: queries)
        return (try Exporter().export(from: Self.source(), request: request), out)
    }

    /// The Text values of the notes CSV written to `out`.
    func noteTexts(_ out: URL) throws -> [String] {
        let text = try String(contentsOf: out.appendingPathComponent("csv/notes.csv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { String($0.split(separator: ",").last!) }
    }

    @Test func includeRelatedKeepsTheDestinationRowsOfKeptOrigins() throws {
        typealias Option = CreateReplicaParameters.LayerQuery.QueryOption
        let (report, out) = try export([0: .init(whereClause: "Zone = 'A' AND OBJECTID <= 4"),
                                        1: .init(queryOption: Option.none, includeRelated: true)])
        #expect(report.featuresSelected == ["parcels": 2, "notes": 6])
        #expect(report.featuresRead == ["parcels": 10, "notes": 30])
        // Parcels 2 and 4: notes 4-6 and 10-12.
        #expect(try noteTexts(out) == ["note 4", "note 5", "note 6", "note 10", "note 11", "note 12"])

        // queryOption none without includeRelated keeps nothing; all ignores the where.
        let (none, _) = try export([0: .init(queryOption: .all, whereClause: "Zone = 'A'"),
                                    1: .init(queryOption: Option.none, includeRelated: false)])
        #expect(none.featuresSelected == ["parcels": 10, "notes": 0])
        // A where naming a field the layer lacks is the request's fault, named as the parameter.
        #expect(throws: ReplicaExportError.self) { try export([1: .init(whereClause: "Zone = 'A'")]) }
    }
}
