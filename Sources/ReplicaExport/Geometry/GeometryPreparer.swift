import Foundation

/// How many curves the preparer kept or densified, so that a run can say what it did.
public struct CurveStatistics: Sendable, Equatable, Codable {
    /// Circular arcs handed to the writer as true curves (three-point form; a full circle counts once).
    public var curvesKept = 0
    /// Circular arcs (both circular forms and elliptic arcs with ratio 1) densified.
    public var circularArcsDensified = 0
    /// Elliptic arcs (ratio < 1) densified.
    public var ellipticArcsDensified = 0
    /// Bezier curves densified.
    public var beziersDensified = 0
    /// Elliptic arcs whose end points lay off the ellipse their parameters describe (repaired so that
    /// the arc ends exactly on its vertices).
    public var inconsistentEllipticArcs = 0

    /// All counts zero.
    public init() {}

    /// Curves of every kind densified.
    public var curvesDensified: Int { circularArcsDensified + ellipticArcsDensified + beziersDensified }

    /// The counts of both, added member by member.
    public static func + (l: CurveStatistics, r: CurveStatistics) -> CurveStatistics {
        var s = l
        s.curvesKept += r.curvesKept
        s.circularArcsDensified += r.circularArcsDensified
        s.ellipticArcsDensified += r.ellipticArcsDensified
        s.beziersDensified += r.beziersDensified
        s.inconsistentEllipticArcs += r.inconsistentEllipticArcs
        return s
    }
}

/// What preparing a geometry depends on, derived from a writer's profile: writers with equal keys
/// share one preparation of each feature.
package struct PreparationKey: Hashable, Sendable {
    /// Circular arcs stay true curves (the request keeps them and the format can hold them).
    package var keepsCircularArcs: Bool
    /// Geometries are then moved to WGS 84 longitude/latitude (``WGS84Move``): the format requires it.
    package var inWGS84: Bool

    package init(profile: WriterProfile, trueCurvesRequested: Bool) {
        keepsCircularArcs = profile.keepsCircularArcs(trueCurvesRequested: trueCurvesRequested)
        inWGS84 = profile.capabilities.contains(.requiresWGS84)
    }

    /// The same preparation before any move to WGS 84: features are prepared once per such key,
    /// then moved for the keys that ask for it.
    var beforeReprojection: PreparationKey {
        var key = self
        key.inWGS84 = false
        return key
    }
}

/// The one place that decides, per output writer, what happens to curves, and that turns Esri rings
/// into OGC polygons.
///
/// - Without `keepTrueCurves` (createReplica syncDataOptions bit 256 absent) every curve is densified.
/// - With it, circular arcs (`.circularArc`, `.circularArcByCenter`, `.ellipticArc` with ratio 1) stay
///   true curves when the writer has `.circularArcs`: as `.circularArc(interior:)` with the interior at
///   the angular midpoint, a full circle as two half circles (the opposite point inserted as a vertex,
///   Z and M interpolated). Elliptic arcs (ratio < 1) and Beziers are always densified (GDAL has no type
///   for them) and counted in ``statistics``.
/// - Polygons: rings grouped by containment (exterior = clockwise by TRUE area, curves included),
///   exteriors output counter-clockwise and holes clockwise. A hole no exterior contains becomes an
///   exterior (diagnostic). Rings with no area (e.g. A-B-A) are kept as polygons of their own
///   (diagnostic): they are data, and dropping them would lose it. Unclosed rings are closed.
/// - Points and multipoints pass through; hasZ/hasM are kept as the input says.
///
/// Errors carry `detail` "part p, segment s" (or "ring r"); callers fill in file, layer and feature.
package struct GeometryPreparer: Sendable {
    let capabilities: WriterCapabilities
    let keepTrueCurves: Bool
    /// Explicit maximum deviation; nil = the default rule for each spatial reference.
    let maxDeviation: Double?
    let maxAngleStepDegrees: Double

    private(set) var statistics = CurveStatistics()
    /// Repairs made so far (orphan holes, kept degenerate rings, inconsistent elliptic arcs).
    private(set) var diagnostics: [Diagnostic] = []
    /// At most this many diagnostics are kept (the statistics still count everything).
    var diagnosticLimit = 1000

    init(capabilities: WriterCapabilities, keepTrueCurves: Bool, maxDeviation: Double? = nil,
                maxAngleStepDegrees: Double = 10) {
        self.capabilities = capabilities
        self.keepTrueCurves = keepTrueCurves
        self.maxDeviation = maxDeviation
        self.maxAngleStepDegrees = maxAngleStepDegrees
    }

    /// The preparer for writers whose profiles give `key`.
    package init(_ key: PreparationKey, maxDeviation: Double?) {
        self.init(capabilities: key.keepsCircularArcs ? [.circularArcs] : [], keepTrueCurves: key.keepsCircularArcs,
                  maxDeviation: maxDeviation)
    }

    /// Whether circular arcs survive as curves for this writer.
    var keepsCircularArcs: Bool { keepTrueCurves && capabilities.contains(.circularArcs) }

    /// The densifier used for a spatial reference.
    func densifier(for spatialReference: SpatialReference?) -> Densifier {
        Densifier(spatialReference: spatialReference, maxDeviation: maxDeviation,
                  maxAngleStepDegrees: maxAngleStepDegrees)
    }

    /// Takes the diagnostics collected so far (and clears them).
    mutating func takeDiagnostics() -> [Diagnostic] {
        defer { diagnostics.removeAll() }
        return diagnostics
    }

    private mutating func note(_ message: String, detail: String) {
        if diagnostics.count < diagnosticLimit {
            diagnostics.append(Diagnostic(.geometryRepaired, message, at: ErrorLocation(detail: detail)))
        }
    }

    package mutating func prepare(_ geometry: Geometry, spatialReference: SpatialReference?) throws -> PreparedGeometry {
        let densifier = densifier(for: spatialReference)
        switch geometry.shape {
        case .point(let v):
            return PreparedGeometry(.point(v), hasZ: geometry.hasZ, hasM: geometry.hasM)
        case .multipoint(let vs):
            return PreparedGeometry(.multipoint(vs), hasZ: geometry.hasZ, hasM: geometry.hasM)
        case .polyline(let paths):
            var out: [Path] = []
            out.reserveCapacity(paths.count)
            for (p, path) in paths.enumerated() {
                out.append(try located(part: p) { try convert(path, densifier: densifier) })
            }
            return PreparedGeometry(.lines(out), hasZ: geometry.hasZ, hasM: geometry.hasM)
        case .polygon(let rings):
            return PreparedGeometry(.polygons(try polygons(rings, densifier: densifier)),
                                    hasZ: geometry.hasZ, hasM: geometry.hasM)
        }
    }

    private func located<T>(part: Int, _ body: () throws -> T) throws -> T {
        do { return try body() } catch var error as ReplicaExportError {
            error.location.detail = "part \(part)" + (error.location.detail.map { ", " + $0 } ?? "")
            throw error
        }
    }

    /// A path with circular arcs kept (three-point form) or densified as decided, everything else densified.
    private mutating func convert(_ path: Path, densifier: Densifier) throws -> Path {
        guard !path.curves.isEmpty else { return path }
        var vertices: [Vertex] = []
        var curves: [CurveSegment] = []
        vertices.reserveCapacity(path.vertices.count * 4)
        if let first = path.vertices.first { vertices.append(first) }
        var stats = statistics
        var inconsistent = 0
        try Rings.forEachSegment(of: path) { _, a, b, curve in
            guard let curve else { vertices.append(b); return }
            if keepsCircularArcs, let arcs = curve.threePointArcs() {
                stats.curvesKept += 1
                let total = curve.length
                for arc in arcs {
                    curves.append(CurveSegment(index: vertices.count - 1, kind: .circularArc(interior: arc.interior)))
                    if arc.endParameter >= 1 {
                        vertices.append(b)
                    } else {
                        let f = curve.lengthFraction(at: arc.endParameter, totalLength: total)
                        vertices.append(.interpolated(arc.end, a, b, fraction: f))
                    }
                }
                return
            }
            switch curve.form {
            case .line: break  // a degenerate (collinear) three-point arc: a straight segment
            case .circle: stats.circularArcsDensified += 1
            case .ellipse:
                stats.ellipticArcsDensified += 1
                if curve.hasOffsets, case .ellipse(_, let semiMajor, _, _, _, _) = curve.form,
                   Swift.max(curve.startOffset.norm, curve.endOffset.norm) > 1e-6 * semiMajor {
                    inconsistent += 1
                }
            case .bezier: stats.beziersDensified += 1
            }
            vertices.append(contentsOf: densifier.densify(curve, from: a, to: b).dropFirst())
        }
        stats.inconsistentEllipticArcs += inconsistent
        statistics = stats
        if inconsistent > 0 {
            note("\(inconsistent) elliptic arc(s) have end points off the ellipse their parameters describe; "
                 + "the arc was bent to end exactly on its vertices", detail: "elliptic arc")
        }
        return Path(vertices: vertices, curves: curves)
    }

    private mutating func polygons(_ rings: [Path], densifier: Densifier) throws -> [[Path]] {
        var converted: [Path] = []
        var infos: [Rings.RingInfo] = []
        converted.reserveCapacity(rings.count)
        // Containment is needed only to place holes among several rings; a lone ring skips it.
        let needsGrouping = rings.count > 1
        for (r, input) in rings.enumerated() {
            var ring = input
            if let first = ring.vertices.first, let last = ring.vertices.last, first.xy != last.xy {
                ring.vertices.append(first)  // close it
            }
            var area = try located(part: r) { try Rings.signedArea(ring) }
            let output = ring.curves.isEmpty ? ring : try located(part: r) { try convert(ring, densifier: densifier) }
            if area == 0 || !area.isFinite {
                // A degenerate ring (e.g. A-B-A) is data the service holds: keep it, as an exterior of
                // its own, rather than lose it or fail the export.
                note("ring \(r) has no area (\(ring.vertices.count) vertices); it was kept as a polygon of its own",
                     detail: "ring \(r)")
                area = -0.0
            }
            var dense: [Vertex] = []
            if needsGrouping {
                dense = output.curves.isEmpty ? output.vertices
                    : try located(part: r) { try densifier.densify(output).vertices }
            }
            infos.append(Rings.RingInfo(index: converted.count, signedArea: area, densified: dense))
            converted.append(output)
        }
        guard needsGrouping else {
            guard let ring = converted.first, let info = infos.first else { return [] }
            if info.signedArea > 0 {
                note("the polygon's only ring is counter-clockwise (a hole in Esri's convention); it was treated as the exterior",
                     detail: "ring 0")
                return [[ring]]
            }
            return [[Rings.reversed(ring)]]
        }
        let grouping = Rings.group(infos)
        if !grouping.orphanHoles.isEmpty {
            note("\(grouping.orphanHoles.count) counter-clockwise ring(s) lie in no exterior ring; "
                 + "they were treated as exterior rings", detail: "rings")
        }
        return grouping.polygons.map { polygon in
            // Esri exteriors are clockwise (negative): reverse to counter-clockwise. An orphan hole is
            // already counter-clockwise. Holes (counter-clockwise) are reversed to clockwise.
            let exterior = infos[polygon.exterior].signedArea <= 0
                ? Rings.reversed(converted[polygon.exterior]) : converted[polygon.exterior]
            return [exterior] + polygon.holes.map { Rings.reversed(converted[$0]) }
        }
    }
}
