import Foundation
import Testing
@testable import ReplicaExport

@Suite struct GeometryPreparerTests {
    static let circularKinds: [(String, CurveKind)] = [
        ("three-point", .circularArc(interior: xy(5, 5))),
        ("center", .circularArcByCenter(center: xy(5, 0), isMinor: true, isClockwise: true)),
        ("elliptic ratio 1", .ellipticArc(center: xy(5, 0), isMinor: true, isClockwise: true, rotation: 0.7, semiMajorAxis: 5, minorMajorRatio: 1)),
    ]
    static let otherKinds: [(String, CurveKind)] = [
        ("elliptic", .ellipticArc(center: xy(5, 0), isMinor: true, isClockwise: true, rotation: 0, semiMajorAxis: 5, minorMajorRatio: 0.5)),
        ("bezier", .bezier(control1: xy(0, 5), control2: xy(10, 5))),
    ]

    func line(_ kind: CurveKind) -> Geometry {
        // (0,0) -> curve -> (10,0) -> (12,0): every kind above is an upper half arc from (0,0) to (10,0).
        Geometry(.polyline([Path(vertices: [vx(0, 0, z: 1), vx(10, 0, z: 3), vx(12, 0, z: 4)], curves: [CurveSegment(index: 0, kind: kind)])]), hasZ: true)
    }

    @Test func ruleTable() throws {
        for caps in [WriterCapabilities.circularArcs, [.circularArcs, .zValues], [], [.zValues, .mValues]] {
            for keep in [true, false] {
                for (name, kind) in Self.circularKinds + Self.otherKinds {
                    var preparer = GeometryPreparer(capabilities: caps, keepTrueCurves: keep)
                    let prepared = try preparer.prepare(line(kind), spatialReference: nil)
                    guard case .lines(let paths) = prepared.shape else { Issue.record(); continue }
                    let isCircular = Self.circularKinds.contains { $0.0 == name }
                    let expectKept = keep && caps.contains(.circularArcs) && isCircular
                    #expect(prepared.hasZ && !prepared.hasM)
                    #expect(paths[0].vertices.first == vx(0, 0, z: 1) && paths[0].vertices.last == vx(12, 0, z: 4))
                    if expectKept {
                        #expect(paths[0].curves.count == 1, "\(name) \(caps) \(keep)")
                        #expect(paths[0].vertices.count == 3)
                        guard case .circularArc(let interior) = paths[0].curves[0].kind else { Issue.record(); continue }
                        #expect(dist(interior, xy(5, 5)) < 1e-12, "interior at the angular midpoint")
                        #expect(preparer.statistics.curvesKept == 1 && preparer.statistics.curvesDensified == 0)
                    } else {
                        #expect(paths[0].curves.isEmpty, "\(name) \(caps) \(keep)")
                        #expect(paths[0].vertices.count > 10)
                        #expect(preparer.statistics.curvesKept == 0)
                        let s = preparer.statistics
                        switch name {
                        case "elliptic": #expect(s.ellipticArcsDensified == 1 && s.curvesDensified == 1)
                        case "bezier": #expect(s.beziersDensified == 1 && s.curvesDensified == 1)
                        default: #expect(s.circularArcsDensified == 1 && s.curvesDensified == 1)
                        }
                    }
                    #expect(!prepared.hasCurves || expectKept)
                }
            }
        }
    }

    @Test func fullCircleRingIsSplitIntoTwoHalvesAndOrientedCounterClockwise() throws {
        let r = 4.0
        let ring = Path(vertices: [vx(r, 0, z: 0, m: 10), vx(r, 0, z: 0, m: 10)],
                        curves: [CurveSegment(index: 0, kind: .circularArcByCenter(center: xy(0, 0), isMinor: false, isClockwise: true))])
        let geometry = Geometry(.polygon([ring]), hasZ: true, hasM: true)
        var keep = GeometryPreparer(capabilities: .circularArcs, keepTrueCurves: true)
        let kept = try keep.prepare(geometry, spatialReference: nil)
        guard case .polygons(let polygons) = kept.shape else { Issue.record(); return }
        #expect(polygons.count == 1 && polygons[0].count == 1)
        let out = polygons[0][0]
        #expect(out.vertices.count == 3 && out.curves.map(\.index) == [0, 1])
        #expect(dist(out.vertices[1].xy, xy(-r, 0)) < 1e-12)
        #expect(relClose(try kept.area(), .pi * r * r, 1e-12))
        #expect(try out.signedArea() > 0)
        // Densified: the area within 0.1 % and oriented counter-clockwise.
        // Explicit tolerance: the default 0.02 is coarse for a ring of radius 4 (0.1 % = 0.05 of area).
        var dense = GeometryPreparer(capabilities: [], keepTrueCurves: true, maxDeviation: 0.001)
        let densified = try dense.prepare(geometry, spatialReference: nil)
        #expect(!densified.hasCurves)
        #expect(relClose(try densified.area(), .pi * r * r, 1e-3))
    }

    @Test func analyticShapesDensifyWithinATenthOfAPercent() throws {
        let s = 6.0
        let square = Path(vertices: [vx(0, 0), vx(0, s), vx(s, s), vx(s, 0), vx(0, 0)],
                          curves: [CurveSegment(index: 1, kind: .circularArc(interior: xy(s / 2, s + s / 2)))])
        let a = 5.0, b = 2.0
        let halfEllipse = Path(vertices: [vx(-a, 0), vx(a, 0), vx(-a, 0)],
                               curves: [CurveSegment(index: 0, kind: .ellipticArc(center: xy(0, 0), isMinor: false, isClockwise: true, rotation: 0, semiMajorAxis: a, minorMajorRatio: b / a))])
        let w = 8.0, h = 3.0
        let hump = Path(vertices: [vx(0, 0), vx(w, 0), vx(0, 0)],
                        curves: [CurveSegment(index: 0, kind: .bezier(control1: xy(0, h), control2: xy(w, h)))])
        let cases: [(Path, Double, Double)] = [
            (square, s * s + .pi * s * s / 8, 3 * s + .pi * s / 2),
            (halfEllipse, .pi * a * b / 2, halfEllipsePerimeter(a: a, b: b) + 2 * a),
            (hump, 3 * w * h / 5, try hump.length()),
        ]
        for (ring, area, length) in cases {
            for caps in [WriterCapabilities.circularArcs, []] {
                // Small shapes: a tolerance finer than the default 0.02 (the area error is about 2/3 x deviation x curve length).
                var preparer = GeometryPreparer(capabilities: caps, keepTrueCurves: true, maxDeviation: 0.001)
                let prepared = try preparer.prepare(Geometry(.polygon([ring])), spatialReference: nil)
                let preparedArea = try prepared.area(), preparedLength = try prepared.length()
                #expect(relClose(preparedArea, area, 1e-3), "\(preparedArea) vs \(area) \(caps)")
                #expect(relClose(preparedLength, length, 1e-3), "\(preparedLength) vs \(length)")
                #expect(relClose(try Geometry(.polygon([ring])).area(), area, 1e-12))
            }
        }
    }

    @Test func polygonsAreGroupedAndOrientedTheOGCWay() throws {
        let rings = [esriHole(10, 10, 5), esriSquare(100, 100, 10), esriSquare(0, 0, 50)]
        var preparer = GeometryPreparer(capabilities: [], keepTrueCurves: false)
        let prepared = try preparer.prepare(Geometry(.polygon(rings)), spatialReference: nil)
        guard case .polygons(let polygons) = prepared.shape else { Issue.record(); return }
        #expect(polygons.count == 2)
        #expect(polygons[0].count == 1 && polygons[1].count == 2)
        #expect(try polygons[1][0].signedArea() == 2500 && polygons[1][1].signedArea() == -25)
        #expect(try polygons[0][0].signedArea() == 100)
        #expect(try prepared.area() == 2500 - 25 + 100)
        #expect(preparer.diagnostics.isEmpty)
    }

    @Test func orphanHolesBecomeExteriorsWithADiagnostic() throws {
        var preparer = GeometryPreparer(capabilities: [], keepTrueCurves: false)
        let prepared = try preparer.prepare(Geometry(.polygon([esriSquare(0, 0, 5), esriHole(20, 20, 5)])), spatialReference: nil)
        guard case .polygons(let polygons) = prepared.shape else { Issue.record(); return }
        #expect(polygons.count == 2)
        #expect(try polygons.allSatisfy { try $0[0].signedArea() > 0 })
        #expect(preparer.diagnostics.count == 1)
    }

    @Test func degenerateRingsAreKeptAsPolygonsOfTheirOwn() throws {
        var preparer = GeometryPreparer(capabilities: [], keepTrueCurves: false)
        let sliver = Path(vertices: [vx(0, 0), vx(1, 1), vx(0, 0)])
        let prepared = try preparer.prepare(Geometry(.polygon([esriSquare(0, 0, 5), sliver])), spatialReference: nil)
        guard case .polygons(let polygons) = prepared.shape else { Issue.record(); return }
        #expect(polygons.count == 2)
        #expect(polygons[1] == [sliver] || polygons[1] == [Rings.reversed(sliver)])
        #expect(preparer.diagnostics.count == 1)
        let alone = try preparer.prepare(Geometry(.polygon([sliver])), spatialReference: nil)
        guard case .polygons(let single) = alone.shape else { Issue.record(); return }
        #expect(single.count == 1 && single[0][0].vertices.count == 3)
        // A bad curve is located by part and segment.
        let bad = Path(vertices: [vx(0, 0), vx(1, 0), vx(0, 0)],
                       curves: [CurveSegment(index: 1, kind: .ellipticArc(center: xy(0, 0), isMinor: true, isClockwise: true, rotation: 0, semiMajorAxis: 1, minorMajorRatio: 0))])
        do {
            _ = try preparer.prepare(Geometry(.polyline([esriSquare(0, 0, 1), bad])), spatialReference: nil)
            Issue.record("expected an error")
        } catch let error as ReplicaExportError {
            #expect(error.location.detail == "part 1, segment 1")
        }
    }

    @Test func gntoolsSamplesPrepare() throws {
        var preparer = GeometryPreparer(capabilities: .circularArcs, keepTrueCurves: true)
        let line = try preparer.prepare(Geometry(.polyline([GNToolsSamples.curvePath])), spatialReference: nil)
        guard case .lines(let paths) = line.shape else { Issue.record(); return }
        #expect(paths[0].curves.isEmpty)
        #expect(paths[0].vertices.first?.xy == xy(6, 3) && paths[0].vertices.last?.xy == xy(0, 2))
        #expect(preparer.statistics.beziersDensified == 1 && preparer.statistics.ellipticArcsDensified == 1)
        #expect(preparer.statistics.inconsistentEllipticArcs == 1)
        let polygon = try preparer.prepare(Geometry(.polygon([GNToolsSamples.ring1, GNToolsSamples.ring2]), hasM: true), spatialReference: nil)
        guard case .polygons(let polygons) = polygon.shape else { Issue.record(); return }
        // The three-point arc ring survives as a curve, in OGC orientation.
        let curved = polygons.joined().filter { !$0.curves.isEmpty }
        #expect(curved.count == 1)
        #expect(preparer.statistics.curvesKept == 1 && preparer.statistics.beziersDensified == 2)
        #expect(polygon.hasM)
    }

    @Test func pointsPassThrough() throws {
        var preparer = GeometryPreparer(capabilities: [], keepTrueCurves: false)
        let p = try preparer.prepare(Geometry(.point(vx(1, 2, z: 3)), hasZ: true), spatialReference: nil)
        #expect(p == PreparedGeometry(.point(vx(1, 2, z: 3)), hasZ: true))
        let mp = try preparer.prepare(Geometry(.multipoint([vx(1, 2), vx(3, 4)])), spatialReference: nil)
        #expect(mp == PreparedGeometry(.multipoint([vx(1, 2), vx(3, 4)])))
    }
}
