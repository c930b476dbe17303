import Foundation
import Testing
@testable import ReplicaExport

/// The spatial filter's intersects test against every geometry type, holes, containment either
/// way, curves, and a filter given in another coordinate system.
@Suite struct GeometryFilterTests {
    static let layer = LayerSchema(id: 0, geometryType: .polygon, spatialReference: SpatialReference(wkid: 3857),
                                   schemaSource: .layerResource)

    static func v(_ x: Double, _ y: Double) -> Vertex { Vertex(x: x, y: y) }
    static func ring(_ points: [(Double, Double)]) -> Path { Path(vertices: (points + [points[0]]).map { v($0.0, $0.1) }) }

    /// A 10 x 10 square (clockwise) with a 4 x 4 hole in its middle.
    static let squareWithHole = Geometry(.polygon([
        ring([(0, 0), (0, 10), (10, 10), (10, 0)]),
        ring([(3, 3), (7, 3), (7, 7), (3, 7)]),
    ]))

    func filter(_ geometry: Geometry, from reference: SpatialReference? = nil) throws -> GeometryFilter {
        try GeometryFilter(geometry: geometry, inputReference: reference, layer: Self.layer, location: .init())
    }

    @Test func pointsAgainstAPolygonWithAHole() throws {
        let f = try filter(Self.squareWithHole)
        #expect(try f.intersects(Geometry(.point(Self.v(1, 1)))))
        #expect(try !f.intersects(Geometry(.point(Self.v(5, 5)))), "in the hole")
        #expect(try f.intersects(Geometry(.point(Self.v(3, 5)))), "on the hole's edge")
        #expect(try f.intersects(Geometry(.point(Self.v(10, 10)))), "on a corner")
        #expect(try !f.intersects(Geometry(.point(Self.v(11, 5)))))
        #expect(try f.intersects(Geometry(.multipoint([Self.v(20, 20), Self.v(5, 5), Self.v(9, 9)]))))
        #expect(try !f.intersects(Geometry(.multipoint([Self.v(20, 20), Self.v(5, 5)]))))
    }

    @Test func linesAndAreas() throws {
        let f = try filter(Self.squareWithHole)
        // Inside the hole, not touching it.
        #expect(try !f.intersects(Geometry(.polyline([Path(vertices: [Self.v(4, 4), Self.v(6, 6)])]))))
        #expect(try !f.intersects(Geometry(.polygon([Self.ring([(4, 4), (4, 6), (6, 6), (6, 4)])]))))
        // Crossing the outer edge without a vertex inside.
        #expect(try f.intersects(Geometry(.polyline([Path(vertices: [Self.v(-1, 1), Self.v(1, -1)])]))))
        // Wholly inside the area.
        #expect(try f.intersects(Geometry(.polyline([Path(vertices: [Self.v(1, 1), Self.v(2, 2)])]))))
        // Containing the filter entirely.
        #expect(try f.intersects(Geometry(.polygon([Self.ring([(-5, -5), (-5, 15), (15, 15), (15, -5)])]))))
        // Disjoint, though the bounding boxes overlap.
        let e = try filter(Geometry(.polygon([Self.ring([(0, 0), (0, 1), (1, 1), (1, 0)])])))
        #expect(try !e.intersects(Geometry(.polyline([Path(vertices: [Self.v(0.5, 2), Self.v(2, 0.5), Self.v(2, 2)])]))))
        // Touching at a single point counts.
        #expect(try e.intersects(Geometry(.polygon([Self.ring([(1, 1), (1, 2), (2, 2), (2, 1)])]))))
        // A filter line crossing a feature polygon.
        let line = try filter(Geometry(.polyline([Path(vertices: [Self.v(-1, 5), Self.v(20, 5)])])))
        #expect(try line.intersects(Self.squareWithHole))
        #expect(try !line.intersects(Geometry(.point(Self.v(5, 6)))))
        #expect(try line.intersects(Geometry(.point(Self.v(5, 5)))))
    }

    @Test func curvesAreDensifiedBeforeTheTest() throws {
        // A full circle of radius 1 around the origin: its vertices are one point, (1, 0).
        let circle = Geometry(.polygon([Path(vertices: [Self.v(1, 0), Self.v(1, 0)],
                                             curves: [CurveSegment(index: 0, kind: .circularArcByCenter(center: XY(x: 0, y: 0), isMinor: false, isClockwise: true))])]))
        let near = try filter(Geometry(.polygon([Self.ring([(0.6, 0.6), (0.6, 2), (2, 2), (2, 0.6)])])))
        let far = try filter(Geometry(.polygon([Self.ring([(0.75, 0.75), (0.75, 2), (2, 2), (2, 0.75)])])))
        #expect(try near.intersects(circle))   // (0.6, 0.6) is 0.85 from the center
        #expect(try !far.intersects(circle))   // (0.75, 0.75) is 1.06 from the center
        // A filter inside the circle, touching no vertex.
        let inner = try filter(Geometry(.point(Self.v(0, -0.5))))
        #expect(try inner.intersects(circle))
    }

    @Test func aFilterInAnotherCoordinateSystemIsProjectedThroughGDAL() throws {
        // (10°E, 50°N) in Web Mercator.
        let x = 1_113_194.9079327357, y = 6_446_275.841017158
        let around = try filter(Geometry(.polygon([Self.ring([(9.9, 49.9), (9.9, 50.1), (10.1, 50.1), (10.1, 49.9)])])),
                                from: SpatialReference(wkid: 4326))
        #expect(try around.intersects(Geometry(.point(Self.v(x, y)))))
        let beside = try filter(Geometry(.polygon([Self.ring([(10.01, 49.9), (10.01, 50.1), (10.1, 50.1), (10.1, 49.9)])])),
                                from: SpatialReference(wkid: 4326))
        #expect(try !beside.intersects(Geometry(.point(Self.v(x, y)))))
        // Same system: nothing is moved.
        let same = try filter(Geometry(.point(Self.v(x, y))), from: SpatialReference(wkid: 3857))
        #expect(try same.intersects(Geometry(.point(Self.v(x, y)))))
    }

    @Test func batchTransformMatchesPointByPoint() throws {
        let from = try GDALSpatialReference.from(SpatialReference(wkid: 4326))
        let to = try GDALSpatialReference.from(SpatialReference(wkid: 3857))
        let transformation = try GDALCoordinateTransformation(from: from, to: to)
        let points = (0..<50).map { Vertex(x: Double($0) - 25, y: Double($0) / 2, z: 3, m: 7) }
        let batch = try #require(transformation.transform(points: points))
        for (point, moved) in zip(points, batch) {
            let single = try #require(transformation.transform(x: point.x, y: point.y, z: point.z))
            #expect(abs(single.x - moved.x) < 1e-6 && abs(single.y - moved.y) < 1e-6)
            #expect(moved.m == 7)
        }
        // Latitude 95° has no Mercator image.
        #expect(transformation.transform(points: [Vertex(x: 0, y: 95)]) == nil)
    }
}
