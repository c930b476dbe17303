import Foundation

/// The densification tolerance rule, in one place.
enum CurveTolerance {
    /// XY resolution assumed when the spatial reference does not say: 0.0001 m (projected) or
    /// 1e-9 degrees (geographic), Esri's defaults.
    static func xyResolution(for spatialReference: SpatialReference?) -> Double {
        if let resolution = spatialReference?.xyResolution, resolution.isFinite, resolution > 0 {
            return resolution
        }
        return spatialReference?.isGeographic == true ? 1e-9 : 0.0001
    }

    /// ArcGIS's documented automatic densification deviation: 2 x XY resolution x 100
    /// (0.02 m at the default resolution). An explicit positive, finite `override` wins.
    static func maxDeviation(for spatialReference: SpatialReference?, override: Double? = nil) -> Double {
        if let override, override.isFinite, override > 0 { return override }
        return 2 * xyResolution(for: spatialReference) * 100
    }
}

/// Replaces curves by chords: every emitted vertex lies on the true curve, the distance between the
/// curve and each chord is at most `maxDeviation`, and neither the turning of the curve within one
/// chord nor the angle between consecutive chords of one curve exceeds `maxAngleStep`.
///
/// Circular arcs are split analytically into the fewest equal angular steps. Elliptic arcs and
/// Beziers are split greedily: from each vertex the farthest parameter that still meets all bounds is
/// found by bisection (deviation measured by sampling the sub-curve and refining the maximum by
/// golden-section search). At a Bezier cusp the tangent reverses, so no chord sequence can meet the
/// angle bound there; the deviation bound is still met.
struct Densifier: Sendable {
    var maxDeviation: Double
    /// Radians.
    var maxAngleStep: Double
    /// No curve yields more vertices than this (protects against absurd tolerances); if it is reached
    /// the deviation bound is not met for that curve.
    var maxVerticesPerCurve: Int = 100_000
    /// Checks the angle between consecutive chords of adaptively split curves (off only in tests, to
    /// compute the minimum under the deviation and per-chord turning bounds alone).
    var enforcesChordAngle = true

    /// `maxDeviation` must be positive and finite (otherwise the default rule's 0.02 is used);
    /// the angle step is clamped to [0.1, 180] degrees.
    init(maxDeviation: Double, maxAngleStepDegrees: Double = 10) {
        self.maxDeviation = maxDeviation.isFinite && maxDeviation > 0 ? maxDeviation : CurveTolerance.maxDeviation(for: nil)
        let degrees = maxAngleStepDegrees.isFinite ? Swift.min(180, Swift.max(0.1, maxAngleStepDegrees)) : 10
        self.maxAngleStep = degrees * Double.pi / 180
    }

    /// Densifier with the default tolerance for a spatial reference.
    init(spatialReference: SpatialReference?, maxDeviation: Double? = nil, maxAngleStepDegrees: Double = 10) {
        self.init(maxDeviation: CurveTolerance.maxDeviation(for: spatialReference, override: maxDeviation),
                  maxAngleStepDegrees: maxAngleStepDegrees)
    }

    // MARK: Parameters

    /// The curve parameters of the vertices to emit, from 0 to 1 inclusive, increasing.
    func parameters(for curve: ResolvedCurve) -> [Double] {
        switch curve.form {
        case .line:
            return [0, 1]
        case .circle(_, let radius, _, let sweep) where !curve.hasOffsets:
            let n = circleSteps(radius: radius, sweep: abs(sweep))
            return (0...n).map { Double($0) / Double(n) }
        default:
            return adaptiveParameters(curve)
        }
    }

    /// The fewest equal steps for an arc of `radius` and |sweep|: each step's sagitta
    /// r (1 - cos(step/2)) <= maxDeviation and step <= maxAngleStep.
    func circleSteps(radius: Double, sweep: Double) -> Int {
        guard sweep > 0, radius > 0 else { return 1 }
        let x = maxDeviation / radius
        let halfStep: Double
        if x >= 2 {
            halfStep = Double.pi
        } else if x < 1e-8 {
            halfStep = (2 * x).squareRoot()  // acos(1 - x) for tiny x without cancellation
        } else {
            halfStep = acos(1 - x)
        }
        let byDeviation = sweep / (2 * halfStep)
        let byAngle = sweep / maxAngleStep
        // A relative slack so that an exact ratio (e.g. 90 / 10) is not pushed up by rounding.
        let needed = Swift.max(byDeviation, byAngle) * (1 - 1e-12)
        guard needed.isFinite, needed < Double(maxVerticesPerCurve) else { return maxVerticesPerCurve }
        return Swift.max(1, Swift.min(maxVerticesPerCurve, Int(needed.rounded(.up))))
    }

    /// The largest distance between the curve on [t0, t1] and the chord P(t0)-P(t1).
    func chordDeviation(_ curve: ResolvedCurve, _ t0: Double, _ t1: Double) -> Double {
        let a = curve.point(at: t0), b = curve.point(at: t1)
        let samples = 16
        var best = 0.0, bestIndex = 0
        var values = [Double](repeating: 0, count: samples + 1)
        for k in 1..<samples {
            let d = distanceToSegment(curve.point(at: t0 + (t1 - t0) * Double(k) / Double(samples)), a, b)
            values[k] = d
            if d > best { best = d; bestIndex = k }
        }
        guard bestIndex > 0 else { return 0 }
        // Golden-section refinement of the maximum around the best sample.
        var lo = t0 + (t1 - t0) * Double(bestIndex - 1) / Double(samples)
        var hi = t0 + (t1 - t0) * Double(bestIndex + 1) / Double(samples)
        let g = (5.0.squareRoot() - 1) / 2
        var x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo)
        var f1 = distanceToSegment(curve.point(at: x1), a, b)
        var f2 = distanceToSegment(curve.point(at: x2), a, b)
        for _ in 0..<32 where hi - lo > 1e-15 {
            if f1 > f2 {
                hi = x2; x2 = x1; f2 = f1
                x1 = hi - g * (hi - lo); f1 = distanceToSegment(curve.point(at: x1), a, b)
            } else {
                lo = x1; x1 = x2; f1 = f2
                x2 = lo + g * (hi - lo); f2 = distanceToSegment(curve.point(at: x2), a, b)
            }
        }
        return Swift.max(best, f1, f2)
    }

    /// Total turning of the tangent on [t0, t1] (radians), by sampling.
    func turning(_ curve: ResolvedCurve, _ t0: Double, _ t1: Double) -> Double {
        let samples = 16
        var total = 0.0
        var previous: Double?
        for k in 0...samples {
            let d = curve.derivative(at: t0 + (t1 - t0) * Double(k) / Double(samples))
            guard d.x != 0 || d.y != 0 else { continue }
            let angle = atan2(d.y, d.x)
            if let previous { total += abs(wrappedAngle(angle - previous)) }
            previous = angle
        }
        return total
    }

    /// Angle between two direction vectors, in [0, pi].
    static func angleBetween(_ u: XY, _ v: XY) -> Double {
        atan2(abs(u.cross(v)), u.dot(v))
    }

    /// Wang's bound: `n` equal parameter steps keep a cubic Bezier within `maxDeviation` of its
    /// chords when n >= sqrt(3/4 * max|P(i) - 2 P(i+1) + P(i+2)| / maxDeviation). It measures the
    /// curve's real extent, so a control point at 1e308 shows as an absurd count before any work.
    func bezierStepBound(_ curve: ResolvedCurve) -> Double? {
        guard case .bezier(let c1, let c2) = curve.form else { return nil }
        let d1 = curve.start - 2 * c1 + c2, d2 = c1 - 2 * c2 + curve.end
        let spread = Swift.max(d1.norm, d2.norm)
        return (0.75 * spread / maxDeviation).squareRoot()
    }

    private func adaptiveParameters(_ curve: ResolvedCurve) -> [Double] {
        // A Bezier that needs more vertices than the cap under the uniform bound would make the
        // greedy search below run to the cap at great cost: take the cap's equal steps at once.
        if let bound = bezierStepBound(curve), !(bound < Double(maxVerticesPerCurve)) {
            let n = maxVerticesPerCurve - 1
            return (0...n).map { Double($0) / Double(n) }
        }
        // Bounds applied with a hair of slack so that measured values are within the tolerance.
        let deviationBound = maxDeviation * (1 - 1e-9)
        let angleBound = maxAngleStep * (1 - 1e-9)
        var result: [Double] = [0]
        var t = 0.0
        var previousChord: XY?
        func feasible(_ t1: Double, checkChordAngle: Bool) -> Bool {
            let a = curve.point(at: t), b = curve.point(at: t1)
            if checkChordAngle, enforcesChordAngle, let previousChord, b != a,
               Densifier.angleBetween(previousChord, b - a) > angleBound { return false }
            if turning(curve, t, t1) > angleBound { return false }
            return chordDeviation(curve, t, t1) <= deviationBound
        }
        while t < 1 && result.count < maxVerticesPerCurve {
            var next: Double
            if feasible(1, checkChordAngle: true) {
                next = 1
            } else {
                next = farthest(from: t) { feasible($0, checkChordAngle: true) }
                    ?? farthest(from: t) { feasible($0, checkChordAngle: false) }
                    ?? Swift.min(1, t + 1.0 / Double(maxVerticesPerCurve))
            }
            if next <= t { next = Swift.min(1, t + 1.0 / Double(maxVerticesPerCurve)) }
            if result.count == maxVerticesPerCurve - 1 { next = 1 }
            let a = curve.point(at: t), b = curve.point(at: next)
            if b != a { previousChord = b - a }
            result.append(next)
            t = next
        }
        if result.last != 1 { result.append(1) }
        return result
    }

    /// The largest parameter in (t, 1) found feasible by bisection, or nil.
    private func farthest(from t: Double, _ feasible: (Double) -> Bool) -> Double? {
        var lo = t, hi = 1.0
        var found: Double?
        for _ in 0..<64 {
            let mid = (lo + hi) / 2
            if mid <= lo || mid >= hi { break }
            if feasible(mid) {
                lo = mid
                found = mid
            } else {
                hi = mid
            }
            // 1e-7 of the step: the step found is within a negligible fraction of the farthest one.
            if hi - lo <= 1e-7 * (hi - t) { break }
        }
        return found
    }

    // MARK: Vertices

    /// The vertices replacing a curve from `start` to `end`, both included exactly; Z and M
    /// interpolated linearly in arc length.
    func densify(_ curve: ResolvedCurve, from start: Vertex, to end: Vertex) -> [Vertex] {
        let ts = parameters(for: curve)
        let total = curve.length
        var out: [Vertex] = []
        out.reserveCapacity(ts.count)
        for (k, t) in ts.enumerated() {
            if k == 0 { out.append(start); continue }
            if k == ts.count - 1 { out.append(end); continue }
            let f = curve.lengthFraction(at: t, totalLength: total)
            out.append(.interpolated(curve.point(at: t), start, end, fraction: f))
        }
        return out
    }

    /// A path with every curve replaced by chords (linear segments pass through unchanged).
    /// Errors name the segment: `detail` is "segment i".
    func densify(_ path: Path) throws -> Path {
        guard !path.curves.isEmpty else { return Path(vertices: path.vertices) }
        var out: [Vertex] = []
        out.reserveCapacity(path.vertices.count * 4)
        var curveIterator = path.curves.makeIterator()
        var nextCurve = curveIterator.next()
        for i in 0..<path.vertices.count {
            if i == 0 { out.append(path.vertices[0]); continue }
            while let c = nextCurve, c.index < i - 1 { nextCurve = curveIterator.next() }
            if let c = nextCurve, c.index == i - 1 {
                let a = path.vertices[i - 1], b = path.vertices[i]
                let curve: ResolvedCurve
                do {
                    curve = try ResolvedCurve.resolve(start: a.xy, end: b.xy, kind: c.kind)
                } catch var error as ReplicaExportError {
                    error.location = error.location.filled(from: ErrorLocation(detail: "segment \(i - 1)"))
                    throw error
                }
                out.append(contentsOf: densify(curve, from: a, to: b).dropFirst())
            } else {
                out.append(path.vertices[i])
            }
        }
        return Path(vertices: out)
    }

    /// A geometry with every curve densified; errors name the part and segment.
    func densify(_ geometry: Geometry) throws -> Geometry {
        func paths(_ list: [Path]) throws -> [Path] {
            try list.enumerated().map { index, path in
                do { return try densify(path) } catch var error as ReplicaExportError {
                    error.location.detail = "part \(index), " + (error.location.detail ?? "")
                    throw error
                }
            }
        }
        var out = geometry
        switch geometry.shape {
        case .point, .multipoint: break
        case .polyline(let list): out.shape = .polyline(try paths(list))
        case .polygon(let list): out.shape = .polygon(try paths(list))
        }
        return out
    }
}
