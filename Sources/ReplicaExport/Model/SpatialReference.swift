/// A spatial reference as Esri gives it: well-known ids, WKT, and the coordinate grid.
public struct SpatialReference: Sendable, Equatable, Codable {
    /// `wkid`: an EPSG code or an Esri-only code such as 102100.
    public var wkid: Int?
    /// `latestWkid`: preferred over `wkid` when present.
    public var latestWkid: Int?
    /// `wkt`: Esri WKT.
    public var wkt: String?
    /// `vcsWkid` / `latestVcsWkid`: vertical coordinate system, when given.
    public var verticalWkid: Int?
    /// The XY resolution in the units of the coordinate system, when known (`xyResolution`,
    /// or 1 / `xyUnits` / XYScale). Drives the default densification tolerance.
    public var xyResolution: Double?
    /// The XY tolerance, when known.
    public var xyTolerance: Double?
    /// The integer grid (origins and scales) the input stored coordinates on, where it says
    /// (a mobile geodatabase's column): a geodatabase written from it stores them on the same grid.
    /// Not part of equality: it says where coordinates were kept, not which system they are in.
    package var grid: ShapeGrid?

    /// A spatial reference from Esri's members; each is nil where the input does not give it.
    /// Outputs resolve it through GDAL: `latestWkid`, then `wkid` (as an EPSG, then an ESRI code), then `wkt`.
    public init(wkid: Int? = nil, latestWkid: Int? = nil, wkt: String? = nil, verticalWkid: Int? = nil,
                xyResolution: Double? = nil, xyTolerance: Double? = nil) {
        self.wkid = wkid
        self.latestWkid = latestWkid
        self.wkt = wkt
        self.verticalWkid = verticalWkid
        self.xyResolution = xyResolution
        self.xyTolerance = xyTolerance
    }

    /// The same coordinate system, ids, WKT, resolution and tolerance; the storage ``grid`` aside.
    public static func == (a: SpatialReference, b: SpatialReference) -> Bool {
        a.wkid == b.wkid && a.latestWkid == b.latestWkid && a.wkt == b.wkt && a.verticalWkid == b.verticalWkid
            && a.xyResolution == b.xyResolution && a.xyTolerance == b.xyTolerance
    }

    /// WGS 84 longitude / latitude (EPSG:4326), the system of GeoJSON (RFC 7946).
    static let wgs84 = SpatialReference(wkid: 4326)

    /// The code to resolve: `latestWkid`, then `wkid`.
    public var preferredWkid: Int? { latestWkid ?? wkid }

    /// True when the coordinate system is geographic (degrees), as far as the well-known
    /// ids and WKT tell; used to pick default resolutions.
    var isGeographic: Bool {
        if let code = preferredWkid {
            return code == 4326 || code == 4269 || code == 4267 || code == 4258 || code == 4283 || code == 4617
                || (4000..<5000).contains(code) && code != 4087
        }
        if let wkt { return wkt.hasPrefix("GEOGCS") || wkt.hasPrefix("GEOGCRS") }
        return false
    }
}
