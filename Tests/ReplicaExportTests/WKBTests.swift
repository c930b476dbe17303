import Testing
@testable import ReplicaExport
import GDALReadBack

@Suite struct WKBTests {
    private func v(_ x: Double, _ y: Double, _ z: Double = 0, _ m: Double = 0) -> Vertex { Vertex(x: x, y: y, z: z, m: m) }

    private func expectSameAsGDAL(_ g: PreparedGeometry, _ wkt: String) {
        let ours = WKB.encode(g)
        let gdal = GDALGeometryOracle.isoWKB(fromWKT: wkt)
        #expect(gdal != nil, "GDAL could not parse \(wkt)")
        #expect(ours == gdal, "WKB differs for \(wkt): GDAL reads ours as \(GDALGeometryOracle.isoWKT(fromWKB: ours) ?? "nothing")")
    }

    @Test func pointsInAllDimensions() {
        expectSameAsGDAL(PreparedGeometry(.point(v(1, 2))), "POINT (1 2)")
        expectSameAsGDAL(PreparedGeometry(.point(v(1, 2, 3)), hasZ: true), "POINT Z (1 2 3)")
        expectSameAsGDAL(PreparedGeometry(.point(v(1, 2, 0, 4)), hasM: true), "POINT M (1 2 4)")
        expectSameAsGDAL(PreparedGeometry(.point(v(1, 2, 3, 4)), hasZ: true, hasM: true), "POINT ZM (1 2 3 4)")
        let bytes = WKB.encode(PreparedGeometry(.point(v(1, 2, 3, 4)), hasZ: true, hasM: true))
        #expect(Array(bytes[0..<5]) == [1, 0xB9, 0x0B, 0, 0])  // 3001 little-endian
    }

    @Test func multipointAndLines() {
        expectSameAsGDAL(PreparedGeometry(.multipoint([v(1, 2, 3), v(4, 5, 6)]), hasZ: true), "MULTIPOINT Z ((1 2 3),(4 5 6))")
        expectSameAsGDAL(PreparedGeometry(.lines([Path(vertices: [v(0, 0, 0, 1), v(1, 1, 0, 2)]),
                                                  Path(vertices: [v(2, 2, 0, 3), v(3, 3, 0, 4), v(4, 3, 0, 5)])]), hasM: true),
                         "MULTILINESTRING M ((0 0 1,1 1 2),(2 2 3,3 3 4,4 3 5))")
    }

    @Test func multipolygonWithHole() {
        let outer = Path(vertices: [v(0, 0), v(10, 0), v(10, 10), v(0, 10), v(0, 0)])
        let hole = Path(vertices: [v(2, 2), v(2, 8), v(8, 8), v(8, 2), v(2, 2)])
        let other = Path(vertices: [v(20, 20), v(30, 20), v(30, 30), v(20, 20)])
        expectSameAsGDAL(PreparedGeometry(.polygons([[outer, hole], [other]])),
                         "MULTIPOLYGON (((0 0,10 0,10 10,0 10,0 0),(2 2,2 8,8 8,8 2,2 2)),((20 20,30 20,30 30,20 20)))")
    }

    @Test func curvesBecomeCompoundCurvesAndCircularStrings() {
        // Two consecutive arcs share one CircularString; interior Z/M = mean of the ends.
        let path = Path(vertices: [v(0, 0, 1, 10), v(2, 0, 3, 20), v(4, 0, 5, 30), v(5, 0, 5, 40)],
                        curves: [CurveSegment(index: 0, kind: .circularArc(interior: XY(x: 1, y: 1))),
                                 CurveSegment(index: 1, kind: .circularArc(interior: XY(x: 3, y: -1)))])
        expectSameAsGDAL(PreparedGeometry(.lines([path, Path(vertices: [v(9, 9, 1, 1), v(8, 8, 2, 2)])]), hasZ: true, hasM: true),
                         "MULTICURVE ZM (COMPOUNDCURVE ZM (CIRCULARSTRING ZM (0 0 1 10,1 1 2 15,2 0 3 20,3 -1 4 25,4 0 5 30),(4 0 5 30,5 0 5 40)),(9 9 1 1,8 8 2 2))")
        let ring = Path(vertices: [v(0, 0), v(2, 0), v(0, 0)],
                        curves: [CurveSegment(index: 0, kind: .circularArc(interior: XY(x: 1, y: -1)))])
        let square = Path(vertices: [v(10, 10), v(11, 10), v(11, 11), v(10, 10)])
        expectSameAsGDAL(PreparedGeometry(.polygons([[ring], [square]])),
                         "MULTISURFACE (CURVEPOLYGON (COMPOUNDCURVE (CIRCULARSTRING (0 0,1 -1,2 0),(2 0,0 0))),((10 10,11 10,11 11,10 10)))")
    }

    @Test func emptyShapesAreEmptyCollections() {
        expectSameAsGDAL(PreparedGeometry(.multipoint([])), "MULTIPOINT EMPTY")
        expectSameAsGDAL(PreparedGeometry(.lines([])), "MULTILINESTRING EMPTY")
        expectSameAsGDAL(PreparedGeometry(.polygons([]), hasZ: true), "MULTIPOLYGON Z EMPTY")
    }
}
