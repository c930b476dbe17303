import Foundation

// Exact math for the Esri segment forms.
//
// Every curve segment of a ``Path`` is first *resolved* into a ``ResolvedCurve``: a parametric curve
// P(t), t in [0, 1], with P(0) == start and P(1) == end exactly. Everything else (evaluation, length,
// area, bounding box, densification, conversion to three-point arcs) works on the resolved form, so
// the interpretation of the Esri parameters lives in one place: ``ResolvedCurve/resolve(start:end:kind:)``.
//
// Conventions decided here (Esri's REST "Geometry objects" and the ArcGIS Maps SDK EllipticArcSegment
// docs describe the parameters; they do not describe inconsistent input, so these are ours):
// - `.circularArc(interior:)`: the circle through start, interior, end; the arc from start to end that
//   passes the interior. Collinear points (or an interior equal to an end) -> a straight segment.
//   start == end with a distinct interior -> a full circle whose diameter is start-interior, drawn
//   CLOCKWISE (the orientation of an Esri exterior ring; the three-point form cannot say otherwise).
// - `.circularArcByCenter`: radius |start - center|; direction from `isClockwise`; end == start is a full
//   circle. `isMinor` is implied by the direction and ignored when they disagree: the direction wins.
//   When |end - center| differs from the radius the arc still ends exactly at `end`: the difference is
//   blended in linearly along the parameter (see "endpoint offsets" below).
// - `.ellipticArc`: center C, major axis at `rotation` radians counter-clockwise from +x, a = semi-major,
//   b = a * ratio. Parametric angles t with P = C + a cos t U + b sin t V (U the major axis direction,
//   V = U turned +90 degrees); start and end parameters from atan2((Q.V)/b, (Q.U)/a) with Q = point - C;
//   from start to end in the given direction (end == start: the full ellipse). ratio == 1 is a circle
//   (resolved exactly like `.circularArcByCenter`, radius |start - center|). ratio <= 0, > 1, a <= 0 or
//   non-finite values throw.
// - Endpoint offsets: when an end does not lie exactly on the circle/ellipse the parameters describe
//   (Esri's own documentation sample puts both ends about 5% off its ellipse), the curve is
//   P(t) = E(t) + (1 - t) dS + t dE with dS, dE the residuals of start and end, so it starts and ends
//   exactly on the given vertices. Residuals below 1e-12 of the radius are treated as zero, which keeps
//   every interior point exactly on the circle/ellipse for consistent input.
// - `.bezier`: the cubic Bezier start, control1, control2, end.

/// An axis-aligned bounding box.
struct BoundingBox: Sendable, Equatable {
    var minX: Double
    var minY: Double
    var maxX: Double
    var maxY: Double

    init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    init(_ point: XY) {
        self.init(minX: point.x, minY: point.y, maxX: point.x, maxY: point.y)
    }

    mutating func include(_ point: XY) {
        minX = Swift.min(minX, point.x)
        minY = Swift.min(minY, point.y)
        maxX = Swift.max(maxX, point.x)
        maxY = Swift.max(maxY, point.y)
    }

    mutating func include(_ box: BoundingBox) {
        minX = Swift.min(minX, box.minX)
        minY = Swift.min(minY, box.minY)
        maxX = Swift.max(maxX, box.maxX)
        maxY = Swift.max(maxY, box.maxY)
    }

    func contains(_ point: XY) -> Bool {
        point.x >= minX && point.x <= maxX && point.y >= minY && point.y <= maxY
    }
}

// MARK: - Small vector helpers (internal)

extension XY {
    static func + (a: XY, b: XY) -> XY { XY(x: a.x + b.x, y: a.y + b.y) }
    static func - (a: XY, b: XY) -> XY { XY(x: a.x - b.x, y: a.y - b.y) }
    static func * (s: Double, a: XY) -> XY { XY(x: s * a.x, y: s * a.y) }
    func dot(_ b: XY) -> Double { x * b.x + y * b.y }
    func cross(_ b: XY) -> Double { x * b.y - y * b.x }
    var norm: Double { (x * x + y * y).squareRoot() }
    var isFinite: Bool { x.isFinite && y.isFinite }
    static let zero = XY(x: 0, y: 0)
}

/// Distance from `p` to the segment a-b.
func distanceToSegment(_ p: XY, _ a: XY, _ b: XY) -> Double {
    let ab = b - a
    let len2 = ab.dot(ab)
    if len2 == 0 { return (p - a).norm }
    let t = Swift.max(0, Swift.min(1, (p - a).dot(ab) / len2))
    return (p - (a + t * ab)).norm
}

/// `angle` reduced to [0, 2 pi).
func positiveAngle(_ angle: Double) -> Double {
    var r = angle.truncatingRemainder(dividingBy: 2 * Double.pi)
    if r < 0 { r += 2 * Double.pi }
    if r >= 2 * Double.pi { r = 0 }
    return r
}

/// `angle` reduced to (-pi, pi].
func wrappedAngle(_ angle: Double) -> Double {
    var r = positiveAngle(angle)
    if r > Double.pi { r -= 2 * Double.pi }
    return r
}

// 8-point Gauss-Legendre nodes and weights on [-1, 1].
private let gaussNodes: [Double] = [
    -0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
    0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363,
]
private let gaussWeights: [Double] = [
    0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620,
    0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763,
]

/// Integral of `f` over [a, b] by composite 8-point Gauss-Legendre with `pieces` pieces.
func integrate(_ a: Double, _ b: Double, pieces: Int, _ f: (Double) -> Double) -> Double {
    if a == b { return 0 }
    let n = Swift.max(1, pieces)
    let h = (b - a) / Double(n)
    var sum = 0.0
    for k in 0..<n {
        let lo = a + Double(k) * h
        let mid = lo + h / 2
        var s = 0.0
        for j in 0..<8 { s += gaussWeights[j] * f(mid + h / 2 * gaussNodes[j]) }
        sum += s * h / 2
    }
    return sum
}

// MARK: - ResolvedCurve

/// One segment resolved to an exact parametric curve P(t), t in [0, 1], P(0) == start, P(1) == end.
struct ResolvedCurve: Sendable, Equatable {
    enum Form: Sendable, Equatable {
        /// A straight segment (a degenerate circular arc resolves to this).
        case line
        /// A circular arc: `sweep` is signed (counter-clockwise positive), |sweep| <= 2 pi; 2 pi = full circle.
        case circle(center: XY, radius: Double, startAngle: Double, sweep: Double)
        /// An elliptic arc (ratio < 1) in parametric angles: P = C + a cos t U + b sin t V, t from
        /// `startParameter` over the signed `sweep`.
        case ellipse(center: XY, semiMajor: Double, semiMinor: Double, rotation: Double,
                     startParameter: Double, sweep: Double)
        /// A cubic Bezier curve.
        case bezier(control1: XY, control2: XY)
    }

    /// What the input said: used for statistics (an elliptic arc with ratio 1 resolves to `.circle`).
    enum Origin: Sendable, Equatable { case circularArc, ellipticArc, bezier }

    let start: XY
    let end: XY
    let form: Form
    let origin: Origin
    /// Residual of the start (end) from the circle/ellipse, blended in linearly; zero for consistent input.
    let startOffset: XY
    let endOffset: XY

    init(start: XY, end: XY, form: Form, origin: Origin, startOffset: XY = .zero, endOffset: XY = .zero) {
        self.start = start
        self.end = end
        self.form = form
        self.origin = origin
        self.startOffset = startOffset
        self.endOffset = endOffset
    }

    /// True for circular arcs (including elliptic arcs with ratio 1).
    var isCircular: Bool { if case .circle = form { return true } else { return false } }

    /// True for a full circle (|sweep| == 2 pi).
    var isFullCircle: Bool {
        if case .circle(_, _, _, let sweep) = form { return abs(sweep) >= 2 * Double.pi }
        return false
    }

    var hasOffsets: Bool { startOffset != .zero || endOffset != .zero }

    // MARK: Resolution

    /// Interprets an Esri segment form from `start` to `end`. Throws ``ReplicaExportError`` with code
    /// `.invalidCurve` for non-finite values, a zero radius, or an elliptic ratio outside (0, 1].
    static func resolve(start: XY, end: XY, kind: CurveKind) throws -> ResolvedCurve {
        guard start.isFinite, end.isFinite else {
            throw ReplicaExportError(.invalidCurve, "a curve segment has a non-finite end point")
        }
        switch kind {
        case .circularArc(let interior):
            guard interior.isFinite else {
                throw ReplicaExportError(.invalidCurve, "a circular arc has a non-finite interior point")
            }
            return threePointArc(start: start, interior: interior, end: end)

        case .circularArcByCenter(let center, _, let isClockwise):
            guard center.isFinite else {
                throw ReplicaExportError(.invalidCurve, "a circular arc has a non-finite center")
            }
            return try centerArc(start: start, end: end, center: center, isClockwise: isClockwise,
                                 origin: .circularArc)

        case .ellipticArc(let center, _, let isClockwise, let rotation, let semiMajorAxis, let ratio):
            guard center.isFinite, rotation.isFinite, semiMajorAxis.isFinite, ratio.isFinite else {
                throw ReplicaExportError(.invalidCurve, "an elliptic arc has a non-finite parameter")
            }
            guard ratio > 0, ratio <= 1 + 1e-12 else {
                throw ReplicaExportError(.invalidCurve,
                                    "an elliptic arc has minor/major ratio \(ratio); it must be in (0, 1]")
            }
            guard semiMajorAxis > 0 else {
                throw ReplicaExportError(.invalidCurve,
                                    "an elliptic arc has semi-major axis \(semiMajorAxis); it must be positive")
            }
            if ratio >= 1 - 1e-12 {
                return try centerArc(start: start, end: end, center: center, isClockwise: isClockwise,
                                     origin: .ellipticArc)
            }
            return ellipticArc(start: start, end: end, center: center, isClockwise: isClockwise,
                               rotation: rotation, a: semiMajorAxis, b: semiMajorAxis * ratio)

        case .bezier(let c1, let c2):
            guard c1.isFinite, c2.isFinite else {
                throw ReplicaExportError(.invalidCurve, "a Bezier curve has a non-finite control point")
            }
            // Distances between its points must be computable: a control point near 1e308 describes
            // a curve no coordinate arithmetic (length, deviation, densification) can follow.
            guard (c1 - start).norm.isFinite, (c2 - c1).norm.isFinite, (end - c2).norm.isFinite,
                  (end - start).norm.isFinite else {
                throw ReplicaExportError(.invalidCurve, "a Bezier curve has a control point too far away to compute with")
            }
            return ResolvedCurve(start: start, end: end, form: .bezier(control1: c1, control2: c2), origin: .bezier)
        }
    }

    private static func threePointArc(start s: XY, interior p: XY, end e: XY) -> ResolvedCurve {
        if s == e {
            if p == s { return ResolvedCurve(start: s, end: e, form: .line, origin: .circularArc) }
            // Full circle with diameter s-p, clockwise.
            let center = 0.5 * (s + p)
            let radius = (s - center).norm
            let a0 = atan2(s.y - center.y, s.x - center.x)
            return ResolvedCurve(start: s, end: e,
                                 form: .circle(center: center, radius: radius, startAngle: a0, sweep: -2 * Double.pi),
                                 origin: .circularArc)
        }
        let ps = p - s, es = e - s
        let cross = ps.cross(es)
        // Collinear (relative test) or interior equal to an end: a straight segment.
        if p == s || p == e || abs(cross) <= 1e-12 * ps.norm * es.norm {
            return ResolvedCurve(start: s, end: e, form: .line, origin: .circularArc)
        }
        // Circumcenter relative to s.
        let d = 2 * cross
        let ps2 = ps.dot(ps), es2 = es.dot(es)
        let ux = (es.y * ps2 - ps.y * es2) / d
        let uy = (ps.x * es2 - es.x * ps2) / d
        let center = XY(x: s.x + ux, y: s.y + uy)
        let radius = (ux * ux + uy * uy).squareRoot()
        let aS = atan2(s.y - center.y, s.x - center.x)
        let aP = atan2(p.y - center.y, p.x - center.x)
        let aE = atan2(e.y - center.y, e.x - center.x)
        let ccwToEnd = positiveAngle(aE - aS)
        let ccwToInterior = positiveAngle(aP - aS)
        let sweep = ccwToInterior < ccwToEnd ? ccwToEnd : -(2 * Double.pi - ccwToEnd)
        return circle(start: s, end: e, center: center, radius: radius, startAngle: aS, sweep: sweep,
                      origin: .circularArc)
    }

    private static func centerArc(start s: XY, end e: XY, center c: XY, isClockwise: Bool,
                                  origin: Origin) throws -> ResolvedCurve {
        let radius = (s - c).norm
        guard radius > 0, radius.isFinite else {
            throw ReplicaExportError(.invalidCurve, "a circular arc has zero radius (its start is its center)")
        }
        let aS = atan2(s.y - c.y, s.x - c.x)
        let full = (e - s).norm <= 1e-12 * radius
        let sweep: Double
        if full {
            sweep = isClockwise ? -2 * Double.pi : 2 * Double.pi
        } else {
            let aE = atan2(e.y - c.y, e.x - c.x)
            if isClockwise {
                let cw = positiveAngle(aS - aE)
                sweep = -(cw == 0 ? 2 * Double.pi : cw)
            } else {
                let ccw = positiveAngle(aE - aS)
                sweep = ccw == 0 ? 2 * Double.pi : ccw
            }
        }
        return circle(start: s, end: e, center: c, radius: radius, startAngle: aS, sweep: sweep, origin: origin)
    }

    private static func circle(start s: XY, end e: XY, center: XY, radius: Double, startAngle: Double,
                               sweep: Double, origin: Origin) -> ResolvedCurve {
        let a1 = startAngle + sweep
        let onCircleEnd = XY(x: center.x + radius * cos(a1), y: center.y + radius * sin(a1))
        var dE = e - onCircleEnd
        if dE.norm <= 1e-12 * radius { dE = .zero }
        return ResolvedCurve(start: s, end: e,
                             form: .circle(center: center, radius: radius, startAngle: startAngle, sweep: sweep),
                             origin: origin, endOffset: dE)
    }

    private static func ellipticArc(start s: XY, end e: XY, center c: XY, isClockwise: Bool,
                                    rotation: Double, a: Double, b: Double) -> ResolvedCurve {
        let u = XY(x: cos(rotation), y: sin(rotation))
        let v = XY(x: -u.y, y: u.x)
        func parameter(_ p: XY) -> Double {
            let q = p - c
            return atan2(q.dot(v) / b, q.dot(u) / a)
        }
        func onEllipse(_ t: Double) -> XY { c + (a * cos(t)) * u + (b * sin(t)) * v }
        let t0 = parameter(s)
        let full = (e - s).norm <= 1e-12 * a
        let sweep: Double
        if full {
            sweep = isClockwise ? -2 * Double.pi : 2 * Double.pi
        } else {
            let t1 = parameter(e)
            if isClockwise {
                let cw = positiveAngle(t0 - t1)
                sweep = -(cw == 0 ? 2 * Double.pi : cw)
            } else {
                let ccw = positiveAngle(t1 - t0)
                sweep = ccw == 0 ? 2 * Double.pi : ccw
            }
        }
        var dS = s - onEllipse(t0)
        var dE = e - onEllipse(t0 + sweep)
        if dS.norm <= 1e-12 * a { dS = .zero }
        if dE.norm <= 1e-12 * a { dE = .zero }
        return ResolvedCurve(start: s, end: e,
                             form: .ellipse(center: c, semiMajor: a, semiMinor: b, rotation: rotation,
                                            startParameter: t0, sweep: sweep),
                             origin: .ellipticArc, startOffset: dS, endOffset: dE)
    }

    // MARK: Evaluation

    /// The point at parameter `t` in [0, 1]; exactly `start` at 0 and `end` at 1.
    func point(at t: Double) -> XY {
        if t <= 0 { return start }
        if t >= 1 { return end }
        let base: XY
        switch form {
        case .line:
            return start + t * (end - start)
        case .circle(let c, let r, let a0, let sweep):
            let a = a0 + t * sweep
            base = XY(x: c.x + r * cos(a), y: c.y + r * sin(a))
        case .ellipse(let c, let a, let b, let rot, let t0, let sweep):
            let p = t0 + t * sweep
            let ca = cos(p), sa = sin(p), cr = cos(rot), sr = sin(rot)
            base = XY(x: c.x + a * ca * cr - b * sa * sr, y: c.y + a * ca * sr + b * sa * cr)
        case .bezier(let c1, let c2):
            let m = 1 - t
            let w0 = m * m * m, w1 = 3 * m * m * t, w2 = 3 * m * t * t, w3 = t * t * t
            return XY(x: w0 * start.x + w1 * c1.x + w2 * c2.x + w3 * end.x,
                      y: w0 * start.y + w1 * c1.y + w2 * c2.y + w3 * end.y)
        }
        if !hasOffsets { return base }
        return base + (1 - t) * startOffset + t * endOffset
    }

    /// dP/dt at parameter `t` (not normalized).
    func derivative(at t: Double) -> XY {
        let offsetRate = endOffset - startOffset
        switch form {
        case .line:
            return end - start
        case .circle(_, let r, let a0, let sweep):
            let a = a0 + t * sweep
            return XY(x: -r * sin(a) * sweep, y: r * cos(a) * sweep) + offsetRate
        case .ellipse(_, let a, let b, let rot, let t0, let sweep):
            let p = t0 + t * sweep
            let ca = cos(p), sa = sin(p), cr = cos(rot), sr = sin(rot)
            return XY(x: sweep * (-a * sa * cr - b * ca * sr), y: sweep * (-a * sa * sr + b * ca * cr)) + offsetRate
        case .bezier(let c1, let c2):
            let m = 1 - t
            let d0 = c1 - start, d1 = c2 - c1, d2 = end - c2
            return XY(x: 3 * (m * m * d0.x + 2 * m * t * d1.x + t * t * d2.x),
                      y: 3 * (m * m * d0.y + 2 * m * t * d1.y + t * t * d2.y))
        }
    }

    /// The unit tangent at `t` (zero where the derivative vanishes, e.g. at a Bezier cusp).
    func tangent(at t: Double) -> XY {
        let d = derivative(at: t)
        let n = d.norm
        return n > 0 ? (1 / n) * d : .zero
    }

    // MARK: Length

    /// Number of quadrature pieces for a parameter interval of width `width`.
    private func pieces(_ width: Double) -> Int {
        switch form {
        case .line: return 1
        case .circle(_, _, _, let sweep): return Swift.max(1, Int((abs(sweep * width) / (Double.pi / 8)).rounded(.up)))
        case .ellipse(_, _, _, _, _, let sweep): return Swift.max(2, Int((abs(sweep * width) / (Double.pi / 16)).rounded(.up)))
        case .bezier: return Swift.max(4, Int((32 * width).rounded(.up)))
        }
    }

    /// The length of the curve between parameters `t0` and `t1` (t0 <= t1).
    func length(from t0: Double, to t1: Double) -> Double {
        switch form {
        case .line:
            return (end - start).norm * (t1 - t0)
        case .circle(_, let r, _, let sweep) where !hasOffsets:
            return r * abs(sweep) * (t1 - t0)
        default:
            return integrate(t0, t1, pieces: pieces(t1 - t0)) { derivative(at: $0).norm }
        }
    }

    /// The length of the whole curve.
    var length: Double { length(from: 0, to: 1) }

    /// The fraction of the arc length reached at parameter `t` (for interpolating Z and M).
    func lengthFraction(at t: Double, totalLength: Double) -> Double {
        if t <= 0 { return 0 }
        if t >= 1 { return 1 }
        switch form {
        case .line: return t
        case .circle where !hasOffsets: return t
        default:
            guard totalLength > 0 else { return t }
            return Swift.min(1, Swift.max(0, length(from: 0, to: t) / totalLength))
        }
    }

    // MARK: Area

    /// The contribution of this segment to a ring's signed area (counter-clockwise positive):
    /// the integral of ((x - o.x) dy - (y - o.y) dx) / 2 along the curve. Exact (closed form) for
    /// circles, ellipses and Beziers; summed over a closed ring it is the ring's true area.
    /// Choose `origin` near the ring (its first vertex) to keep precision for large coordinates.
    func signedAreaContribution(origin o: XY = XY(x: 0, y: 0)) -> Double {
        let s = start - o, e = end - o
        switch form {
        case .line:
            return s.cross(e) / 2
        case .circle(let c, let r, let a0, let sweep):
            let cc = c - o
            let cs = XY(x: r * cos(a0), y: r * sin(a0))  // circle points relative to the center
            let ce = XY(x: r * cos(a0 + sweep), y: r * sin(a0 + sweep))
            let exact = (cc.cross(ce - cs) + r * r * sweep) / 2
            return exact + offsetCorrection(origin: o)
        case .ellipse(let c, let a, let b, let rot, let t0, let sweep):
            let cc = c - o
            let u = XY(x: cos(rot), y: sin(rot)), v = XY(x: -u.y, y: u.x)
            let r0 = (a * cos(t0)) * u + (b * sin(t0)) * v
            let r1 = (a * cos(t0 + sweep)) * u + (b * sin(t0 + sweep)) * v
            let exact = (cc.cross(r1 - r0) + a * b * sweep) / 2
            return exact + offsetCorrection(origin: o)
        case .bezier:
            // x y' - y x' is a polynomial of degree 5: 3-point Gauss-Legendre is exact.
            let nodes = [0.5 - 0.5 * (0.6).squareRoot(), 0.5, 0.5 + 0.5 * (0.6).squareRoot()]
            let weights = [5.0 / 18, 8.0 / 18, 5.0 / 18]
            var sum = 0.0
            for k in 0..<3 {
                let p = point(at: nodes[k]) - o
                sum += weights[k] * p.cross(derivative(at: nodes[k]))
            }
            return sum / 2
        }
    }

    /// The area contribution of the endpoint offsets: with P = B + L, L(t) = (1-t) dS + t dE,
    /// P x P' - B x B' = B x L' + L x B' + L x L' (and L x L' = dS x dE is constant).
    private func offsetCorrection(origin o: XY) -> Double {
        guard hasOffsets else { return 0 }
        let rate = endOffset - startOffset
        let integral = integrate(0, 1, pieces: pieces(1)) { t -> Double in
            let l = (1 - t) * self.startOffset + t * self.endOffset
            let b = self.point(at: t) - l - o
            let bPrime = self.derivative(at: t) - rate
            return b.cross(rate) + l.cross(bPrime)
        }
        return (integral + startOffset.cross(endOffset)) / 2
    }

    // MARK: Bounding box

    /// The exact bounding box of the curve (for curves with endpoint offsets: of the circle/ellipse
    /// part widened by the offsets).
    var boundingBox: BoundingBox {
        var box = BoundingBox(start)
        box.include(end)
        switch form {
        case .line:
            break
        case .circle(_, _, _, let sweep):
            // Axis extremes at angles k * pi/2 inside the sweep.
            for k in 0..<4 {
                if let t = parameterOfAngle(Double(k) * Double.pi / 2, sweep: sweep) { box.include(point(at: t)) }
            }
        case .ellipse(_, let a, let b, let rot, _, let sweep):
            // x'(t) = 0 at tan t = -b sin(rot) / (a cos(rot)); y'(t) = 0 at tan t = b cos(rot) / (a sin(rot)).
            let tx = atan2(-b * sin(rot), a * cos(rot))
            let ty = atan2(b * cos(rot), a * sin(rot))
            for base in [tx, tx + Double.pi, ty, ty + Double.pi] {
                if let t = parameterOfAngle(base, sweep: sweep) { box.include(point(at: t)) }
            }
        case .bezier(let c1, let c2):
            for axis in 0..<2 {
                func coord(_ p: XY) -> Double { axis == 0 ? p.x : p.y }
                // Derivative / 3 = A t^2 + B t + C.
                let p0 = coord(start), p1 = coord(c1), p2 = coord(c2), p3 = coord(end)
                let qa = -p0 + 3 * p1 - 3 * p2 + p3
                let qb = 2 * (p0 - 2 * p1 + p2)
                let qc = p1 - p0
                var roots: [Double] = []
                if abs(qa) < 1e-15 * (abs(qb) + abs(qc) + 1e-300) {
                    if qb != 0 { roots.append(-qc / qb) }
                } else {
                    let disc = qb * qb - 4 * qa * qc
                    if disc >= 0 {
                        let sq = disc.squareRoot()
                        roots.append((-qb + sq) / (2 * qa))
                        roots.append((-qb - sq) / (2 * qa))
                    }
                }
                for t in roots where t > 0 && t < 1 { box.include(point(at: t)) }
            }
        }
        if hasOffsets {
            // The blend moves points by at most max(|dS|, |dE|).
            let grow = Swift.max(startOffset.norm, endOffset.norm)
            box.minX -= grow; box.minY -= grow; box.maxX += grow; box.maxY += grow
        }
        return box
    }

    /// The curve parameter where the circle/ellipse angle equals `angle` (mod 2 pi), if inside the sweep.
    private func parameterOfAngle(_ angle: Double, sweep: Double) -> Double? {
        let startAngle: Double
        switch form {
        case .circle(_, _, let a0, _): startAngle = a0
        case .ellipse(_, _, _, _, let t0, _): startAngle = t0
        default: return nil
        }
        let delta = sweep >= 0 ? positiveAngle(angle - startAngle) : positiveAngle(startAngle - angle)
        let t = delta / abs(sweep)
        return t > 0 && t < 1 ? t : nil
    }

    // MARK: Three-point form

    /// The circular arc as Esri/OGC three-point arcs with each interior at the angular midpoint:
    /// one arc, or two half circles for a full circle. Each element is (interior, end, parameter of end);
    /// the first arc starts at `start`. Nil for anything but a circle.
    func threePointArcs() -> [(interior: XY, end: XY, endParameter: Double)]? {
        guard isCircular else { return nil }
        if isFullCircle {
            return [(point(at: 0.25), point(at: 0.5), 0.5), (point(at: 0.75), end, 1)]
        }
        return [(point(at: 0.5), end, 1)]
    }
}

extension Vertex {
    /// The vertex at `position` with Z and M interpolated between `a` and `b` at fraction `f`.
    static func interpolated(_ position: XY, _ a: Vertex, _ b: Vertex, fraction f: Double) -> Vertex {
        Vertex(x: position.x, y: position.y, z: a.z + (b.z - a.z) * f, m: a.m + (b.m - a.m) * f)
    }
}
