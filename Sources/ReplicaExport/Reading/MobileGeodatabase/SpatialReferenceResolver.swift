import Foundation

/// Decides, for a registered geometry column, its geometry type, Z and M, the integer grid its shape
/// blobs are stored on, and the spatial reference to write.
///
/// The sources differ in what they hold and how far they can be trusted (FORMATS.md section 2), so
/// each answer has its own order. Grid: st_aux_spatial_reference_systems, the class definition's last
/// `SpatialReference`, the layer JSON's `extent.spatialReference`, built-in defaults for 4326 and 3857;
/// none of these is an error, because decoding on a guessed grid would write wrong coordinates.
/// Spatial reference: the class definition, st_aux, the layer JSON, the column's srid alone.
struct SpatialReferenceResolver {
    /// st_aux_spatial_reference_systems by srid.
    let auxSpatialReferences: [Int: AuxSpatialReference]

    /// What the resolver decided for one geometry column.
    struct Resolution {
        var geometryType: GeometryType
        var hasZ: Bool
        var hasM: Bool
        var grid: ShapeGrid
        var spatialReference: SpatialReference
    }

    /// Reads every row of st_aux_spatial_reference_systems.
    static func readAuxiliarySpatialReferences(_ db: SQLiteConnection) throws -> [Int: AuxSpatialReference] {
        var auxSRS: [Int: AuxSpatialReference] = [:]
        let s = try db.prepare("SELECT srid, auth_name, auth_srid, srtext, falsex, falsey, xyunits, falsez, zunits, falsem, munits, xycluster_tol FROM st_aux_spatial_reference_systems")
        while try s.step() {
            func d(_ i: Int32, _ def: Double) -> Double { s.isNull(i) ? def : s.double(i) }
            let grid = ShapeGrid(xOrigin: s.double(4), yOrigin: s.double(5), xyScale: s.double(6),
                                 zOrigin: d(7, 0), zScale: d(8, 1), mOrigin: d(9, 0), mScale: d(10, 1))
            auxSRS[Int(s.int64(0))] = AuxSpatialReference(
                authName: s.text(1), authSRID: s.isNull(2) ? nil : Int(s.int64(2)), srtext: s.text(3),
                grid: grid, xyTolerance: s.isNull(11) ? nil : s.double(11))
        }
        return auxSRS
    }

    /// Resolves `column` of a class whose definition is `xml` and whose layer JSON is `json`.
    func resolve(_ column: GeometryColumn, xml: GDBXMLElement?, json: [String: Any]?,
                 location: ErrorLocation, notes: inout [Diagnostic]) throws -> Resolution {
        let geometryType: GeometryType
        switch column.geometryType % 1000 {
        case 1: geometryType = .point
        case 4: geometryType = .multipoint
        case 5: geometryType = .polyline
        case 6: geometryType = .polygon
        default:
            throw ReplicaExportError(.unsupported, "geometry type code \(column.geometryType) in st_geometry_columns is not one this reader knows (1 point, 4 multipoint, 5 line, 6 polygon, +1000 Z, +2000 M)", at: location)
        }
        let dims = column.geometryType / 1000
        var hasZ = dims == 1 || dims == 3
        var hasM = dims == 2 || dims == 3
        if let x = xml?.string("HasZ") { hasZ = hasZ || x == "true" }
        if let x = xml?.string("HasM") { hasM = hasM || x == "true" }

        let xmlSR = xml?.descendants("SpatialReference").last
        let jsonSR = (json?["extent"] as? [String: Any])?["spatialReference"] as? [String: Any]
        let aux = auxSpatialReferences[column.srid]
        let grid = try Self.grid(srid: column.srid, aux: aux, xmlSR: xmlSR, jsonSR: jsonSR, location: location)
        var sr = Self.spatialReference(srid: column.srid, aux: aux, xmlSR: xmlSR, jsonSR: jsonSR,
                                       location: location, notes: &notes)
        sr.xyResolution = 1 / grid.xyScale
        sr.grid = grid
        return Resolution(geometryType: geometryType, hasZ: hasZ, hasM: hasM, grid: grid, spatialReference: sr)
    }

    private static func number(_ d: [String: Any]?, _ k: String) -> Double? { (d?[k] as? NSNumber)?.doubleValue }

    /// Grid: st_aux, class XML, layer JSON, built-in defaults.
    private static func grid(srid: Int, aux: AuxSpatialReference?, xmlSR: GDBXMLElement?, jsonSR: [String: Any]?,
                             location: ErrorLocation) throws -> ShapeGrid {
        if let aux {
            return aux.grid
        } else if let xg = xmlSR?.grid {
            return xg
        } else if let fx = number(jsonSR, "falseX"), let fy = number(jsonSR, "falseY"), let u = number(jsonSR, "xyUnits"), u > 0 {
            return ShapeGrid(xOrigin: fx, yOrigin: fy, xyScale: u,
                             zOrigin: number(jsonSR, "falseZ") ?? -100000, zScale: number(jsonSR, "zUnits") ?? 10000,
                             mOrigin: number(jsonSR, "falseM") ?? -100000, mScale: number(jsonSR, "mUnits") ?? 10000)
        } else if srid == 4326 {
            return ShapeGrid(xOrigin: -400, yOrigin: -400, xyScale: 1e9, zOrigin: -100000, zScale: 10000, mOrigin: -100000, mScale: 10000)
        } else if srid == 3857 || srid == 102100 {
            return ShapeGrid(xOrigin: -20037700, yOrigin: -30241100, xyScale: 1e4, zOrigin: -100000, zScale: 10000, mOrigin: -100000, mScale: 10000)
        } else {
            throw ReplicaExportError(.unsupported, "no coordinate grid (origin and scale) found for srid \(srid): not in st_aux_spatial_reference_systems, the class definition or the layer JSON", at: location)
        }
    }

    /// CRS: class XML, st_aux, layer JSON, the column srid.
    private static func spatialReference(srid: Int, aux: AuxSpatialReference?, xmlSR: GDBXMLElement?,
                                         jsonSR: [String: Any]?, location: ErrorLocation,
                                         notes: inout [Diagnostic]) -> SpatialReference {
        var sr = SpatialReference()
        if let xmlSR, xmlSR.string("WKID") != nil || xmlSR.string("LatestWKID") != nil || xmlSR.string("WKT") != nil {
            sr.wkid = xmlSR.string("WKID").flatMap(Int.init)
            sr.latestWkid = xmlSR.string("LatestWKID").flatMap(Int.init)
            sr.wkt = xmlSR.string("WKT")
            sr.xyTolerance = xmlSR.string("XYTolerance").flatMap(Double.init)
            sr.verticalWkid = xmlSR.string("LatestVCSWKID").flatMap(Int.init) ?? xmlSR.string("VCSWKID").flatMap(Int.init)
        } else if let aux, (aux.authSRID.map { $0 < 300000 } ?? false) || (aux.srtext.map { $0 != "UNKNOWN" && !$0.isEmpty } ?? false) {
            if let code = aux.authSRID, code < 300000 { sr.wkid = code }
            if let t = aux.srtext, t != "UNKNOWN", !t.isEmpty { sr.wkt = t }
            sr.xyTolerance = aux.xyTolerance
        } else if let jsonSR, jsonSR["wkid"] != nil || jsonSR["latestWkid"] != nil || jsonSR["wkt"] != nil {
            sr.wkid = (jsonSR["wkid"] as? NSNumber)?.intValue
            sr.latestWkid = (jsonSR["latestWkid"] as? NSNumber)?.intValue
            sr.wkt = jsonSR["wkt"] as? String
            sr.xyTolerance = number(jsonSR, "xyTolerance")
        } else if srid < 300000 {
            sr.wkid = srid
            notes.append(Diagnostic(.inputIrregular, "spatial reference taken from the column's srid \(srid) alone", at: location))
        } else {
            notes.append(Diagnostic(.noSpatialReference, "no spatial reference found for srid \(srid)", at: location))
        }
        return sr
    }
}
