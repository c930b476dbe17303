import Foundation
import Testing
@testable import ReplicaExport

/// An Esri (clockwise) square ring.
func esriSquare(_ x: Double, _ y: Double, _ s: Double) -> Path {
    Path(vertices: [vx(x, y), vx(x, y + s), vx(x + s, y + s), vx(x + s, y), vx(x, y)])
}

/// A counter-clockwise square ring (an Esri hole).
func esriHole(_ x: Double, _ y: Double, _ s: Double) -> Path { Rings.reversed(esriSquare(x, y, s)) }

@Suite struct RingTests {
    @Test func signedAreaIncludesCurves() throws {
        #expect(try esriSquare(0, 0, 2).signedArea() == -4)
        #expect(try esriHole(0, 0, 2).signedArea() == 4)
        // A full-circle ring: two equal vertices, chord area zero, true area pi r^2.
        let circle = Path(vertices: [vx(3, 0), vx(3, 0)],
                          curves: [CurveSegment(index: 0, kind: .circularArcByCenter(center: xy(0, 0), isMinor: false, isClockwise: true))])
        #expect(relClose(try circle.signedArea(), -9 * .pi, 1e-12))
    }

    @Test func reversingKeepsTheShapeOfEveryCurveForm() throws {
        var rng = GeomSplitMix64(seed: 5)
        for _ in 0..<100 {
            // A curve and a straight segment after it.
            let kinds: [CurveKind] = [
                .bezier(control1: xy(rng.uniform(-5...5), rng.uniform(-5...5)), control2: xy(rng.uniform(-5...5), rng.uniform(-5...5))),
                .circularArc(interior: xy(rng.uniform(-5...5), rng.uniform(5...9))),
            ]
            for kind in kinds {
                let path = Path(vertices: [vx(-6, 0, z: 1), vx(6, 0, z: 2), vx(8, -3, z: 3)], curves: [CurveSegment(index: 0, kind: kind)])
                let back = Rings.reversed(path)
                #expect(back.vertices.map(\.z) == [3, 2, 1])
                #expect(back.curves.map(\.index) == [1])
                #expect(relClose(try back.length(), try path.length(), 1e-12))
                // The reversed curve passes through the same points.
                let forward = try Densifier(maxDeviation: 1e-3).densify(path)
                let reversedCurve = try ResolvedCurve.resolve(start: back.vertices[1].xy, end: back.vertices[2].xy, kind: back.curves[0].kind)
                for v in forward.vertices.dropLast() {
                    #expect(distanceToCurve(reversedCurve, v.xy) < 1e-9)
                }
            }
        }
        // Center and elliptic forms flip their direction, so the same arc is traced backwards.
        let ellipse = CurveKind.ellipticArc(center: xy(0, 0), isMinor: false, isClockwise: false, rotation: 0.4, semiMajorAxis: 5, minorMajorRatio: 0.3)
        let u = xy(cos(0.4), sin(0.4)), v = xy(-sin(0.4), cos(0.4))
        let s = 5 * cos(0.2) * u + 1.5 * sin(0.2) * v, e = 5 * cos(2.5) * u + 1.5 * sin(2.5) * v
        let path = Path(vertices: [Vertex(x: s.x, y: s.y), Vertex(x: e.x, y: e.y)], curves: [CurveSegment(index: 0, kind: ellipse)])
        let back = Rings.reversed(path)
        guard case .ellipticArc(_, _, let cw, _, _, _) = back.curves[0].kind else { Issue.record(); return }
        #expect(cw)
        let c1 = try ResolvedCurve.resolve(start: s, end: e, kind: ellipse)
        let c2 = try ResolvedCurve.resolve(start: e, end: s, kind: back.curves[0].kind)
        for t in stride(from: 0.0, through: 1.0, by: 0.1) { #expect(dist(c1.point(at: t), c2.point(at: 1 - t)) < 1e-12) }
        #expect(relClose(c1.signedAreaContribution(), -c2.signedAreaContribution(), 1e-12))
    }

    @Test func groupingIsByContainmentNotOrder() throws {
        // Two exteriors (A small, B big), a hole in B; given as hole, A, B.
        let a = esriSquare(100, 100, 10), b = esriSquare(0, 0, 50), hole = esriHole(10, 10, 5)
        let infos = try [hole, a, b].enumerated().map { i, ring in
            Rings.RingInfo(index: i, signedArea: try ring.signedArea(), densified: ring.vertices)
        }
        let grouping = Rings.group(infos)
        #expect(grouping.orphanHoles.isEmpty)
        #expect(grouping.polygons.count == 2)
        #expect(grouping.polygons[0].exterior == 1 && grouping.polygons[0].holes.isEmpty)
        #expect(grouping.polygons[1].exterior == 2 && grouping.polygons[1].holes == [0])
    }

    @Test func holeGoesToTheSmallestContainingExteriorAndIslandsStaySeparate() throws {
        // Big exterior, a hole in it, an island inside the hole, and a hole in the island.
        let rings = [esriSquare(0, 0, 100), esriHole(10, 10, 80), esriSquare(20, 20, 60), esriHole(30, 30, 10)]
        let infos = try rings.enumerated().map { i, r in Rings.RingInfo(index: i, signedArea: try r.signedArea(), densified: r.vertices) }
        let grouping = Rings.group(infos)
        #expect(grouping.polygons.count == 2)
        #expect(grouping.polygons[0].exterior == 0 && grouping.polygons[0].holes == [1])
        #expect(grouping.polygons[1].exterior == 2 && grouping.polygons[1].holes == [3])
    }

    @Test func pointInRing() {
        let ring = esriSquare(0, 0, 10).vertices
        #expect(Rings.locate(xy(5, 5), in: ring) == .inside)
        #expect(Rings.locate(xy(15, 5), in: ring) == .outside)
        #expect(Rings.locate(xy(10, 5), in: ring, tolerance: 1e-9) == .boundary)
    }
}
