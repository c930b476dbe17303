import Foundation

/// Ring orientation, reversal, containment and grouping.
enum Rings {
    /// Calls `body` for each segment: index, start, end and the resolved curve (nil for a straight segment).
    /// Errors name the segment.
    static func forEachSegment(of path: Path, _ body: (Int, Vertex, Vertex, ResolvedCurve?) throws -> Void) throws {
        guard path.vertices.count >= 2 else { return }
        var curveIndex = 0
        for i in 0..<(path.vertices.count - 1) {
            while curveIndex < path.curves.count && path.curves[curveIndex].index < i { curveIndex += 1 }
            let a = path.vertices[i], b = path.vertices[i + 1]
            if curveIndex < path.curves.count && path.curves[curveIndex].index == i {
                let curve: ResolvedCurve
                do {
                    curve = try ResolvedCurve.resolve(start: a.xy, end: b.xy, kind: path.curves[curveIndex].kind)
                } catch var error as ReplicaExportError {
                    error.location = error.location.filled(from: ErrorLocation(detail: "segment \(i)"))
                    throw error
                }
                try body(i, a, b, curve)
            } else {
                try body(i, a, b, nil)
            }
        }
    }

    /// The signed area of a ring including its curves (counter-clockwise positive). Exact for every
    /// segment form. A ring that does not repeat its first vertex is closed by a straight segment.
    static func signedArea(_ ring: Path) throws -> Double {
        guard let first = ring.vertices.first?.xy else { return 0 }
        var sum = 0.0
        try forEachSegment(of: ring) { _, a, b, curve in
            if let curve {
                sum += curve.signedAreaContribution(origin: first)
            } else {
                sum += (a.xy - first).cross(b.xy - first) / 2
            }
        }
        // An unclosed ring's closing segment ends at the origin: it adds nothing.
        return sum
    }

    /// The length of a path including its curves.
    static func length(_ path: Path) throws -> Double {
        var sum = 0.0
        try forEachSegment(of: path) { _, a, b, curve in
            sum += curve?.length ?? (b.xy - a.xy).norm
        }
        return sum
    }

    /// The path run backwards, curves included: a three-point arc keeps its interior, center and
    /// elliptic arcs flip `isClockwise`, a Bezier swaps its controls; curve index i becomes n - 2 - i.
    static func reversed(_ path: Path) -> Path {
        let n = path.vertices.count
        let curves = path.curves.reversed().map { segment -> CurveSegment in
            let kind: CurveKind
            switch segment.kind {
            case .circularArc: kind = segment.kind
            case .circularArcByCenter(let c, let minor, let cw):
                kind = .circularArcByCenter(center: c, isMinor: minor, isClockwise: !cw)
            case .ellipticArc(let c, let minor, let cw, let rot, let a, let r):
                kind = .ellipticArc(center: c, isMinor: minor, isClockwise: !cw, rotation: rot,
                                    semiMajorAxis: a, minorMajorRatio: r)
            case .bezier(let c1, let c2):
                kind = .bezier(control1: c2, control2: c1)
            }
            return CurveSegment(index: n - 2 - segment.index, kind: kind)
        }
        return Path(vertices: path.vertices.reversed(), curves: curves)
    }

    enum Containment: Sendable, Equatable { case inside, outside, boundary }

    /// Point in a linear ring (use a densified ring), by crossing number; `boundary` within `tolerance`.
    static func locate(_ point: XY, in ring: [Vertex], tolerance: Double = 0) -> Containment {
        guard ring.count >= 3 else { return .outside }
        var inside = false
        var j = ring.count - 1
        for i in 0..<ring.count {
            let a = ring[i].xy, b = ring[j].xy
            if distanceToSegment(point, a, b) <= tolerance { return .boundary }
            if (a.y > point.y) != (b.y > point.y) {
                let x = a.x + (point.y - a.y) / (b.y - a.y) * (b.x - a.x)
                if point.x < x { inside.toggle() }
            }
            j = i
        }
        return inside ? .inside : .outside
    }

    /// A ring prepared for grouping: its true signed area and a densified copy for containment tests.
    struct RingInfo: Sendable {
        var index: Int
        var signedArea: Double
        var densified: [Vertex]
        var box: BoundingBox
        init(index: Int, signedArea: Double, densified: [Vertex]) {
            self.index = index
            self.signedArea = signedArea
            self.densified = densified
            var box = BoundingBox(densified.first?.xy ?? .zero)
            for v in densified { box.include(v.xy) }
            self.box = box
        }
    }

    /// The result of grouping Esri rings: each polygon is (exterior ring index, hole ring indices);
    /// `orphanHoles` are counter-clockwise rings that no exterior contains (they are listed as
    /// exteriors of their own polygons too).
    struct Grouping: Sendable, Equatable {
        var polygons: [(exterior: Int, holes: [Int])]
        var orphanHoles: [Int]
        static func == (l: Grouping, r: Grouping) -> Bool {
            l.orphanHoles == r.orphanHoles && l.polygons.count == r.polygons.count
                && zip(l.polygons, r.polygons).allSatisfy { $0.exterior == $1.exterior && $0.holes == $1.holes }
        }
    }

    /// Groups rings in Esri's convention (exterior clockwise = negative area, hole counter-clockwise):
    /// each hole goes to the smallest exterior that contains it, whatever the order. Polygons come in the
    /// order of their exteriors; a hole no exterior contains becomes an exterior (reported in `orphanHoles`).
    static func group(_ rings: [RingInfo]) -> Grouping {
        // Zero-area (degenerate) rings count as exteriors: they are kept as polygons of their own.
        let exteriors = rings.filter { $0.signedArea <= 0 }.sorted { abs($0.signedArea) < abs($1.signedArea) }
        var holesOf: [Int: [Int]] = [:]
        var orphans: [Int] = []
        for hole in rings where hole.signedArea > 0 {
            var owner: Int?
            for exterior in exteriors where abs(exterior.signedArea) >= abs(hole.signedArea) {
                if contains(exterior, hole) { owner = exterior.index; break }
            }
            if let owner { holesOf[owner, default: []].append(hole.index) } else { orphans.append(hole.index) }
        }
        var polygons: [(exterior: Int, holes: [Int])] = []
        for ring in rings where ring.signedArea <= 0 || orphans.contains(ring.index) {
            polygons.append((ring.index, holesOf[ring.index] ?? []))
        }
        return Grouping(polygons: polygons, orphanHoles: orphans)
    }

    /// Whether `outer` contains `inner`: decided by the first vertex of `inner` that is not on the
    /// boundary of `outer` (a ring touching its exterior at some vertices is still inside).
    static func contains(_ outer: RingInfo, _ inner: RingInfo) -> Bool {
        guard outer.box.minX <= inner.box.minX, outer.box.minY <= inner.box.minY,
              outer.box.maxX >= inner.box.maxX, outer.box.maxY >= inner.box.maxY else { return false }
        let scale = Swift.max(outer.box.maxX - outer.box.minX, outer.box.maxY - outer.box.minY)
        let tolerance = scale * 1e-12
        for v in inner.densified {
            switch locate(v.xy, in: outer.densified, tolerance: tolerance) {
            case .inside: return true
            case .outside: return false
            case .boundary: continue
            }
        }
        // Every vertex on the boundary: test an edge midpoint.
        if inner.densified.count >= 2 {
            let mid = 0.5 * (inner.densified[0].xy + inner.densified[1].xy)
            return locate(mid, in: outer.densified, tolerance: tolerance) != .outside
        }
        return true
    }
}
