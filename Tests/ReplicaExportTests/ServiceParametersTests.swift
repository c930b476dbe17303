import Foundation
import Testing
@testable import ReplicaExport

/// createReplica requests parsed as a feature service receives them, and the 400 answers of the
/// invalid ones.
@Suite struct ServiceParametersTests {
    static let minimal = "syncModel=none&dataFormat=filegdb&layers=0"

    /// The error a body is refused with, as the service would answer it.
    func refusal(_ body: String) -> ServiceError? {
        do {
            _ = try CreateReplicaParameters(formBody: body)
            return nil
        } catch {
            return ServiceError(error)
        }
    }

    @Test func aFullBodyIsDecoded() throws {
        let body = "replicaName=My+Export&layers=%5B0%2C+1%5D&syncModel=none&dataFormat=geoPackage"
            + "&layerQueries=" + "{\"1\":{\"queryOption\":\"useFilter\",\"where\":\"NAME = 'a+b'\",\"useGeometry\":false}}"
                .addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            + "&geometry=-104,35.6,-94.32,41&geometryType=esriGeometryEnvelope&inSR=4326"
            + "&replicaSR=%7B%22wkid%22%3A3857%7D&returnAttachments=false&attachmentsSyncDirection=none"
            + "&replicaOptions=%7B%22syncDataOptions%22%3A256%7D&async=true&transportType=esriTransportTypeUrl&f=pjson"
            + "&syncDirection=bidirectional&targetType=client&datumTransformations=%5B%5D"
        let p = try CreateReplicaParameters(formBody: body)
        #expect(p.replicaName == "My Export")
        #expect(p.layerIds == [0, 1])
        #expect(p.dataFormat == .geoPackage)
        #expect(p.layerQueries[1] == .init(queryOption: .useFilter, useGeometry: false, whereClause: "NAME = 'a+b'"))
        #expect(p.layerQueries[0] == nil)
        #expect(p.geometry == Geometry(.polygon([Path(vertices: [
            Vertex(x: -104, y: 35.6), Vertex(x: -104, y: 41), Vertex(x: -94.32, y: 41),
            Vertex(x: -94.32, y: 35.6), Vertex(x: -104, y: 35.6)])])))
        #expect(p.inSpatialReference == SpatialReference(wkid: 4326))
        #expect(p.replicaSpatialReference == SpatialReference(wkid: 3857))
        #expect(p.returnAttachments == false)
        #expect(p.attachmentsSyncDirection == CreateReplicaParameters.AttachmentsSyncDirection.none)
        #expect(p.syncDataOptions == 256)
        #expect(p.isAsync)
        #expect(p.transportType == .url)
        #expect(p.responseFormat == "pjson")
    }

    @Test func namesAreCaseInsensitiveAndDefaultsApply() throws {
        let p = try CreateReplicaParameters(["SYNCMODEL": "None", "DataFormat": "CSV", "LAYERS": "3"])
        #expect(p.dataFormat == .csv)
        #expect(p.layerIds == [3])
        #expect(p.replicaName == nil && p.geometry == nil && p.syncDataOptions == nil)
        #expect(!p.isAsync && p.transportType == .url && p.responseFormat == "json" && p.geometryType == .envelope)
    }

    @Test func geometryForms() throws {
        func geometry(_ type: String, _ text: String) throws -> CreateReplicaParameters {
            try CreateReplicaParameters(["syncModel": "none", "dataFormat": "csv", "layers": "0",
                                         "geometryType": type, "geometry": text])
        }
        // The seed's own unquoted spelling.
        let envelope = try geometry("esriGeometryEnvelope", "{xmin: -104, ymin: 35.6, xmax: -94.32, ymax: 41}")
        #expect(envelope.geometry == (try geometry("esriGeometryEnvelope", "-104,35.6,-94.32,41")).geometry)
        #expect(try geometry("esriGeometryPoint", "-104,35.6").geometry == Geometry(.point(Vertex(x: -104, y: 35.6))))
        let point = try geometry("esriGeometryPoint", #"{"x": 1, "y": 2, "spatialReference": {"wkid": 3857}}"#)
        #expect(point.geometry == Geometry(.point(Vertex(x: 1, y: 2))))
        #expect(point.inSpatialReference == SpatialReference(wkid: 3857))
        #expect(try geometry("esriGeometryMultipoint", #"{"points": [[1, 2], [3, 4]]}"#).geometry
                == Geometry(.multipoint([Vertex(x: 1, y: 2), Vertex(x: 3, y: 4)])))
        #expect(try geometry("esriGeometryPolyline", #"{"paths": [[[0, 0], [1, 1]]]}"#).geometry
                == Geometry(.polyline([Path(vertices: [Vertex(x: 0, y: 0), Vertex(x: 1, y: 1)])])))
        // An unclosed ring is closed.
        #expect(try geometry("esriGeometryPolygon", #"{"rings": [[[0, 0], [0, 1], [1, 1]]]}"#).geometry
                == Geometry(.polygon([Path(vertices: [Vertex(x: 0, y: 0), Vertex(x: 0, y: 1), Vertex(x: 1, y: 1), Vertex(x: 0, y: 0)])])))
    }

    @Test(arguments: [
        ("dataFormat=csv&layers=0", "syncModel"),
        ("syncModel=perReplica&dataFormat=csv&layers=0", "syncModel"),
        ("syncModel=none&dataFormat=shapefile-zip&layers=0", "dataFormat"),
        ("syncModel=none&dataFormat=pdf&layers=0", "dataFormat"),
        ("syncModel=none&dataFormat=csv", "layers"),
        ("syncModel=none&dataFormat=csv&layers=a,b", "layers"),
        ("syncModel=none&dataFormat=csv&layers=0&layers=1", "layers"),
        ("syncModel=none&dataFormat=csv&layers=0&geometry=1,2,3", "geometry"),
        ("syncModel=none&dataFormat=csv&layers=0&geometry=5,0,1,1", "geometry"),
        ("syncModel=none&dataFormat=csv&layers=0&geometryType=esriGeometryPolygon&geometry=%7B%22rings%22%3A%5B%5D%7D", "geometry"),
        ("syncModel=none&dataFormat=csv&layers=0&geometryType=esriGeometryPolygon&geometry=%7B%22curveRings%22%3A%5B%5D%7D", "geometry"),
        ("syncModel=none&dataFormat=csv&layers=0&geometryType=esriGeometryCircle", "geometryType"),
        ("syncModel=none&dataFormat=csv&layers=0&inSR=abc", "inSR"),
        ("syncModel=none&dataFormat=csv&layers=0&replicaSR=%7B%7D", "replicaSR"),
        ("syncModel=none&dataFormat=csv&layers=0&returnAttachments=yes", "returnAttachments"),
        ("syncModel=none&dataFormat=csv&layers=0&attachmentsSyncDirection=bidirectional", "attachmentsSyncDirection"),
        ("syncModel=none&dataFormat=csv&layers=0&replicaOptions=256", "replicaOptions"),
        ("syncModel=none&dataFormat=csv&layers=0&replicaOptions=%7B%22syncDataOptions%22%3A-1%7D", "replicaOptions.syncDataOptions"),
        ("syncModel=none&dataFormat=csv&layers=0&replicaOptions=%7B%22registerExistingData%22%3A%7B%7D%7D", "replicaOptions.registerExistingData"),
        ("syncModel=none&dataFormat=csv&layers=0&async=maybe", "async"),
        ("syncModel=none&dataFormat=csv&layers=0&transportType=esriTransportTypeFtp", "transportType"),
        ("syncModel=none&dataFormat=csv&layers=0&f=html", "f"),
        ("syncModel=none&dataFormat=csv&layers=0&datumTransformations=%5B1234%5D", "datumTransformations"),
        ("syncModel=none&dataFormat=csv&layers=0&replicaName=..%2Fetc", "replicaName"),
        ("syncModel=none&dataFormat=csv&layers=0&layerQueries=%7B%222%22%3A%7B%7D%7D", "layerQueries[2]"),
        ("syncModel=none&dataFormat=csv&layers=0&layerQueries=%7B%220%22%3A%7B%22queryOption%22%3A%22some%22%7D%7D", "layerQueries[0].queryOption"),
        ("syncModel=none&dataFormat=csv&layers=0&layerQueries=%7B%220%22%3A%7B%22orderBy%22%3A%22x%22%7D%7D", "layerQueries[0].orderBy"),
        ("syncModel=none&dataFormat=csv&layers=0&replicaName=%ZZ", "replicaName"),
    ])
    func eachInvalidParameterIsA400NamingIt(body: String, parameter: String) throws {
        let error = try #require(refusal(body))
        #expect(error.code == 400)
        #expect(error.message.hasPrefix(parameter + ":"), "\(error.message)")
        // The JSON a service sends back.
        let object = try #require(try JSONSerialization.jsonObject(with: error.json()) as? [String: Any])
        let inner = try #require(object["error"] as? [String: Any])
        #expect(inner["code"] as? Int == 400)
        #expect((inner["message"] as? String)?.hasPrefix(parameter) == true)
        #expect(inner["details"] is [String])
    }

    @Test func exportFormatsAreCaseInsensitiveAndCodable() throws {
        #expect(ExportFormat(dataFormat: "geoPackage") == .geoPackage)
        #expect(ExportFormat(dataFormat: "FileGDB") == .fileGDB)
        #expect(ExportFormat(dataFormat: "json") == .json)
        #expect(ExportFormat(dataFormat: "featureCollection") == .featureCollection)
        #expect(ExportFormat(dataFormat: "SQLite") == .sqlite)
        let data = try JSONEncoder().encode([ExportFormat.shapefile])
        #expect(String(decoding: data, as: UTF8.self) == #"["shapefile"]"#)
        #expect(try JSONDecoder().decode([ExportFormat].self, from: Data(#"["GeoJSON"]"#.utf8)) == [.geoJSON])
        // Every format is one the exporter can write.
        #expect(ExportFormat.all.allSatisfy { WriterRegistry.standard.writer(named: $0.name) != nil })
    }

    /// ArcGIS's own default: a request without dataFormat exports createReplica's JSON payload.
    @Test func noDataFormatMeansJSONAndFormatsAreListedAsArcGISSpellsThem() throws {
        #expect(try CreateReplicaParameters(formBody: "syncModel=none&layers=0").dataFormat == .json)
        let advertised = ReplicaService().supportedExportFormats.split(separator: ",").map(String.init)
        #expect(Set(advertised) == Set(["csv", "shapefile", "geoPackage", "filegdb", "featureCollection", "geojson", "kml",
                                        "excel", "json", "sqlite"]))
        for name in advertised { #expect(ExportFormat(dataFormat: name)?.arcGISName == name, "\(name)") }
    }

    @Test func formatListsComeFromTheRegistry() {
        let registry = WriterRegistry.standard
        #expect(registry.formatNames(in: "all") == registry.formatNames)
        #expect(registry.formatNames(in: " csv , ,GeoJSON") == ["csv", "GeoJSON"])
        // A format named beside `all` is named twice, which the exporter and batch refuse or fold.
        #expect(registry.formatNames(in: "csv,ALL").count == registry.formatNames.count + 1)
        #expect(ExportFormat.all.map(\.name) == registry.formatNames)
        #expect(ExportFormat.all.filter(\.alwaysZipped).map(\.name) == ["filegdb", "geopackage", "json", "shapefile"])
    }

    @Test func payloadFaultsAre500WithTheLocation() {
        let error = ServiceError(ReplicaExportError(.syntax, "expected ','", at: ErrorLocation(input: "in.json", byteOffset: 42)))
        #expect(error.code == 500)
        #expect(error.details.contains { $0.contains("byte 42") })
        #expect(ServiceError(ReplicaExportError(.invalidOption, "layer 9 is not in the payload")).code == 400)
    }
}
