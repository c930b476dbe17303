import Foundation
import Testing
@testable import ReplicaExport

/// Checks the densification of one curve; returns the number of chords.
@discardableResult
func checkDensification(_ curve: ResolvedCurve, _ densifier: Densifier, onCurve: (XY) -> Double,
                        scale: Double, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
    let start = Vertex(x: curve.start.x, y: curve.start.y, z: 10, m: 100)
    let end = Vertex(x: curve.end.x, y: curve.end.y, z: 20, m: 50)
    let ts = densifier.parameters(for: curve)
    let vertices = densifier.densify(curve, from: start, to: end)
    #expect(vertices.count == ts.count, sourceLocation: sourceLocation)
    #expect(vertices.first == start && vertices.last == end, sourceLocation: sourceLocation)
    // Every vertex on the true curve.
    for v in vertices { #expect(onCurve(v.xy) <= 1e-9 * scale, "vertex off the curve by \(onCurve(v.xy))", sourceLocation: sourceLocation) }
    // Z rises and M falls monotonically.
    for k in 1..<vertices.count {
        #expect(vertices[k].z >= vertices[k - 1].z && vertices[k].m <= vertices[k - 1].m, sourceLocation: sourceLocation)
    }
    // Deviation of the true curve from each chord, by dense sampling.
    var worst = 0.0
    for k in 1..<ts.count {
        let a = vertices[k - 1].xy, b = vertices[k].xy
        for j in 1..<200 {
            let p = curve.point(at: ts[k - 1] + (ts[k] - ts[k - 1]) * Double(j) / 200)
            worst = max(worst, distanceToSegment(p, a, b))
        }
    }
    #expect(worst <= densifier.maxDeviation * (1 + 1e-9), "deviation \(worst) > \(densifier.maxDeviation)", sourceLocation: sourceLocation)
    // Angle between consecutive chords.
    for k in 2..<max(2, vertices.count) {
        let u = vertices[k - 1].xy - vertices[k - 2].xy, w = vertices[k].xy - vertices[k - 1].xy
        let angle = Densifier.angleBetween(u, w)
        #expect(angle <= densifier.maxAngleStep + 1e-9, "chord angle \(angle * 180 / .pi) degrees", sourceLocation: sourceLocation)
    }
    return ts.count - 1
}

/// Distance from `p` to a curve: the nearest of 2000 samples refined by golden-section search.
func distanceToCurve(_ curve: ResolvedCurve, _ p: XY) -> Double {
    let n = 2000
    var bestK = 0, best = Double.infinity
    for k in 0...n {
        let d = dist(p, curve.point(at: Double(k) / Double(n)))
        if d < best { best = d; bestK = k }
    }
    var lo = Double(max(0, bestK - 1)) / Double(n), hi = Double(min(n, bestK + 1)) / Double(n)
    let g = (5.0.squareRoot() - 1) / 2
    for _ in 0..<100 {
        let x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo)
        if dist(p, curve.point(at: x1)) < dist(p, curve.point(at: x2)) { hi = x2 } else { lo = x1 }
    }
    return min(best, dist(p, curve.point(at: (lo + hi) / 2)))
}

/// Total turning of the tangent over the whole curve, finely sampled.
func totalTurning(_ curve: ResolvedCurve) -> Double {
    var total = 0.0
    var previous: Double?
    for k in 0...20_000 {
        let d = curve.derivative(at: Double(k) / 20_000)
        guard d.x != 0 || d.y != 0 else { continue }
        let angle = atan2(d.y, d.x)
        if let previous { total += abs(wrappedAngle(angle - previous)) }
        previous = angle
    }
    return total
}

@Suite struct DensifierTests {
    @Test func defaultToleranceFollowsArcGIS() {
        #expect(CurveTolerance.maxDeviation(for: nil) == 2 * 0.0001 * 100)
        #expect(abs(CurveTolerance.maxDeviation(for: SpatialReference(wkid: 3857)) - 0.02) < 1e-15)
        #expect(abs(CurveTolerance.maxDeviation(for: SpatialReference(wkid: 4326)) - 2e-7) < 1e-20)
        #expect(abs(CurveTolerance.maxDeviation(for: SpatialReference(wkid: 2056, xyResolution: 0.001)) - 0.2) < 1e-15)
        #expect(CurveTolerance.maxDeviation(for: SpatialReference(wkid: 4326), override: 0.5) == 0.5)
        #expect(CurveTolerance.maxDeviation(for: nil, override: -1) == CurveTolerance.maxDeviation(for: nil))
    }

    @Test func circularArcsUseTheAnalyticMinimum() throws {
        var rng = GeomSplitMix64(seed: 42)
        for iteration in 0..<300 {
            let c = xy(rng.uniform(-1e5...1e5), rng.uniform(-1e5...1e5))
            let r = rng.uniform(0.05...500)
            let d = [0.02, 0.001, 0.5][iteration % 3]
            let densifier = Densifier(maxDeviation: d)
            let a0 = rng.uniform(-4...4)
            func at(_ a: Double) -> XY { xy(c.x + r * cos(a), c.y + r * sin(a)) }
            let curve: ResolvedCurve
            switch iteration % 3 {
            case 0:
                let sw = rng.uniform(0.01...6.27) * (rng.bool() ? 1 : -1)
                curve = try ResolvedCurve.resolve(start: at(a0), end: at(a0 + sw), kind: .circularArc(interior: at(a0 + sw * 0.3)))
            case 1:
                let a1 = rng.uniform(-4...4)
                curve = try ResolvedCurve.resolve(start: at(a0), end: at(a1), kind: .circularArcByCenter(center: c, isMinor: rng.bool(), isClockwise: rng.bool()))
            default:
                curve = try ResolvedCurve.resolve(start: at(a0), end: at(a0), kind: .circularArcByCenter(center: c, isMinor: false, isClockwise: rng.bool()))
                #expect(curve.isFullCircle)
            }
            guard case .circle(let center, let radius, _, let sweep) = curve.form else { Issue.record(); continue }
            let n = checkDensification(curve, densifier, onCurve: { abs(dist($0, center) - radius) }, scale: radius + dist(c, xy(0, 0)))
            let minimum = max(Int((abs(sweep) / (2 * acos(1 - min(d / radius, 2)))).rounded(.up)),
                              Int((abs(sweep) / (10 * Double.pi / 180) * (1 - 1e-12)).rounded(.up)), 1)
            #expect(n == minimum)
        }
    }

    @Test func ellipticArcsMeetTheBoundsWithNearMinimalCounts() throws {
        var rng = GeomSplitMix64(seed: 99)
        var excess: [Int] = []
        for _ in 0..<60 {
            let c = xy(rng.uniform(-1000...1000), rng.uniform(-1000...1000))
            let (curve, a, b, rot) = try randomEllipse(&rng, center: c)
            let d = a * rng.uniform(0.0005...0.02)
            let densifier = Densifier(maxDeviation: d)
            let u = xy(cos(rot), sin(rot)), v = xy(-sin(rot), cos(rot))
            // Distance-like residual: |(x'/a)^2 + (y'/b)^2 - 1| * b is about the distance to the ellipse.
            let n = checkDensification(curve, densifier, onCurve: { p in
                let q = p - c
                let xp = q.dot(u), yp = q.dot(v)
                return abs((xp / a) * (xp / a) + (yp / b) * (yp / b) - 1) * b
            }, scale: a + 2000)
            excess.append(n - lowerBound(curve, densifier))
        }
        #expect(excess.allSatisfy { $0 <= 1 }, "chords above the lower bound: \(excess)")
    }

    @Test func beziersMeetTheBoundsWithNearMinimalCounts() throws {
        var rng = GeomSplitMix64(seed: 2024)
        var excess: [Int] = []
        for _ in 0..<60 {
            func p() -> XY { xy(rng.uniform(-50...50), rng.uniform(-50...50)) }
            let curve = try ResolvedCurve.resolve(start: p(), end: p(), kind: .bezier(control1: p(), control2: p()))
            let densifier = Densifier(maxDeviation: rng.uniform(0.005...0.5))
            // Every vertex is evaluated on the curve; check it against the Bezier polynomial directly.
            let n = checkDensification(curve, densifier, onCurve: { distanceToCurve(curve, $0) }, scale: 100)
            // Skip near-cusp curves for the count: no chord sequence meets the angle bound at a cusp.
            if totalTurning(curve) < .pi * 1.5 { excess.append(n - lowerBound(curve, densifier)) }
        }
        #expect(excess.allSatisfy { $0 <= 1 }, "chords above the lower bound: \(excess)")
    }

    /// A lower bound on the chord count: the greedy count under the deviation and per-chord turning
    /// bounds alone (without the chord-to-chord angle). Greedy farthest-reach is optimal for bounds that
    /// hold on every sub-piece of a feasible piece: always true for turning, true for the deviation on
    /// convex pieces (every elliptic arc; Bezier pieces without an inflection).
    func lowerBound(_ curve: ResolvedCurve, _ densifier: Densifier) -> Int {
        var relaxed = densifier
        relaxed.enforcesChordAngle = false
        return relaxed.parameters(for: curve).count - 1
    }

    @Test func bezierVerticesAreOnTheCurveExactly() throws {
        let curve = try ResolvedCurve.resolve(start: xy(0, 0), end: xy(10, 0), kind: .bezier(control1: xy(0, 10), control2: xy(10, 10)))
        let densifier = Densifier(maxDeviation: 0.001)
        let ts = densifier.parameters(for: curve)
        let vs = densifier.densify(curve, from: vx(0, 0), to: vx(10, 0))
        for (t, v) in zip(ts, vs) {
            // Closed form of this Bezier: x = 10(3t^2 - 2t^3), y = 30 t (1 - t).
            #expect(abs(v.x - 10 * (3 * t * t - 2 * t * t * t)) < 1e-12 && abs(v.y - 30 * t * (1 - t)) < 1e-12)
        }
    }

    @Test func zAndMAreInterpolatedInArcLength() throws {
        // A quarter circle then the Z at the angular midpoint is the mean; M NaN stays NaN.
        let path = Path(vertices: [vx(1, 0, z: 0, m: .nan), vx(0, 1, z: 90, m: .nan)],
                        curves: [CurveSegment(index: 0, kind: .circularArcByCenter(center: xy(0, 0), isMinor: true, isClockwise: false))])
        let out = try Densifier(maxDeviation: 0.01, maxAngleStepDegrees: 1).densify(path)
        #expect(out.vertices.count == 91)
        for (k, v) in out.vertices.enumerated() {
            #expect(abs(v.z - Double(k)) < 1e-9)
            #expect(v.m.isNaN)
        }
        // For a Bezier the fraction is the arc-length fraction.
        let curve = try ResolvedCurve.resolve(start: xy(0, 0), end: xy(10, 0), kind: .bezier(control1: xy(0, 10), control2: xy(10, 10)))
        let densifier = Densifier(maxDeviation: 0.01)
        let vs = densifier.densify(curve, from: vx(0, 0, z: 0, m: 0), to: vx(10, 0, z: 1, m: 0))
        for (t, v) in zip(densifier.parameters(for: curve), vs) {
            #expect(abs(v.z - curve.length(from: 0, to: t) / curve.length) < 1e-9)
        }
    }

    @Test func pathsKeepLinearSegmentsAndDensifyCurves() throws {
        let densifier = Densifier(maxDeviation: 0.01)
        let out = try densifier.densify(GNToolsSamples.curvePath)
        #expect(out.curves.isEmpty)
        let vs = out.vertices.map(\.xy)
        #expect(vs.first == xy(6, 3) && vs[1] == xy(5, 3) && vs.last == xy(0, 2))
        // The original vertices appear in order: the curves start and end on them.
        var cursor = 0
        for v in GNToolsSamples.curvePath.vertices {
            guard let k = vs[cursor...].firstIndex(of: v.xy) else { Issue.record("\(v) missing"); break }
            cursor = k
        }
        #expect(vs.count > 20)
        // The M sample: M interpolated between the vertex values.
        let ring = try densifier.densify(GNToolsSamples.ring2)
        #expect(ring.vertices.first == GNToolsSamples.ring2.vertices[0] && ring.vertices.last == GNToolsSamples.ring2.vertices[2])
        #expect(ring.vertices.contains { $0.xy == xy(20, 16) && $0.m == 3 })
        let arcPart = ring.vertices.prefix { $0.xy != xy(20, 16) }
        #expect(arcPart.allSatisfy { $0.m >= 1 && $0.m <= 3 })
        let ring1 = try densifier.densify(GNToolsSamples.ring1)
        #expect(Array(ring1.vertices.prefix(4)) == Array(GNToolsSamples.ring1.vertices.prefix(4)))
        #expect(ring1.vertices.last == GNToolsSamples.ring1.vertices.last)
    }

    @Test func absurdTolerancesAreBoundedNotHung() throws {
        var densifier = Densifier(maxDeviation: 1e-300)
        densifier.maxVerticesPerCurve = 1000
        let arc = try ResolvedCurve.resolve(start: xy(1e6, 0), end: xy(-1e6, 0), kind: .circularArc(interior: xy(0, 1e6)))
        #expect(densifier.parameters(for: arc).count == 1001)
        let bezier = try ResolvedCurve.resolve(start: xy(0, 0), end: xy(1, 0), kind: .bezier(control1: xy(0, 1), control2: xy(1, 1)))
        #expect(densifier.parameters(for: bezier).count <= 1001)
        // A cusp (controls crossed): the tangent reverses; the densifier still ends.
        let cusp = try ResolvedCurve.resolve(start: xy(0, 0), end: xy(1, 0), kind: .bezier(control1: xy(1, 1), control2: xy(0, 1)))
        let ps = Densifier(maxDeviation: 0.001).parameters(for: cusp)
        #expect(ps.first == 0 && ps.last == 1 && ps.count < 5000)
    }
}
