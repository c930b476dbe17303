import Foundation

/// createReplica's spatial filter: keeps the features whose geometry intersects the filter
/// geometry (touching counts, as in ArcGIS's esriSpatialRelIntersects).
///
/// The filter is moved from `inSR` into the layer's coordinate system through GDAL once; an
/// envelope or polygon filter's edges are first split so that they follow the projection
/// (`projectionSteps` pieces per edge). The test is exact, in the layer's coordinates, for
/// every geometry type: points against areas (even-odd over all rings, so holes exclude),
/// segment crossings, and containment either way. Feature curves are densified first with the
/// layer's ``Densifier`` tolerance (0.02 m at the default resolution), so a feature whose curve
/// passes closer than that to the filter's edge may be decided either way.
struct GeometryFilter {
    /// The filter's pieces in the layer's coordinates.
    let shape: Pieces
    let densifier: Densifier

    /// Pieces edges are split into before a projection, so that straight edges follow it.
    static let projectionSteps = 32

    /// A geometry as points, segments and areas.
    struct Pieces {
        var points: [XY] = []
        /// Paths (polyline parts and polygon rings), as vertex lists.
        var paths: [[XY]] = []
        /// Whether `paths` are rings bounding an area.
        var isArea = false
        var bounds = Bounds()
    }

    struct Bounds {
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        mutating func add(_ p: XY) {
            minX = min(minX, p.x); minY = min(minY, p.y); maxX = max(maxX, p.x); maxY = max(maxY, p.y)
        }
        func overlaps(_ o: Bounds) -> Bool { minX <= o.maxX && o.minX <= maxX && minY <= o.maxY && o.minY <= maxY }
    }

    /// The filter for one layer: `geometry` in `inputReference` (nil = already the layer's).
    init(geometry: Geometry, inputReference: SpatialReference?, layer: LayerSchema, location: ErrorLocation) throws {
        densifier = Densifier(spatialReference: layer.spatialReference)
        var filter = try densifier.densify(geometry)
        let reprojector = try GeometryReprojector.make(from: inputReference, to: layer.spatialReference,
                                                       densifier: densifier, at: location)
        if let reprojector {
            filter = try reprojector.reproject(Self.split(filter, steps: Self.projectionSteps), keepCircularArcs: false)
        }
        shape = Self.pieces(of: filter)
    }

    /// Whether `geometry` (in the layer's coordinates) intersects the filter.
    func intersects(_ geometry: Geometry) throws -> Bool {
        let feature = Self.pieces(of: geometry.hasCurves ? try densifier.densify(geometry) : geometry)
        guard feature.bounds.overlaps(shape.bounds) else { return false }
        return Self.intersects(feature, shape)
    }

    // MARK: - Geometry

    static func split(_ geometry: Geometry, steps: Int) -> Geometry {
        func splitPath(_ path: Path) -> Path {
            var out: [Vertex] = []
            for (a, b) in zip(path.vertices, path.vertices.dropFirst()) {
                for k in 0..<steps {
                    let t = Double(k) / Double(steps)
                    out.append(Vertex(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t, z: a.z + (b.z - a.z) * t, m: a.m))
                }
            }
            if let last = path.vertices.last { out.append(last) }
            return Path(vertices: out)
        }
        var out = geometry
        switch geometry.shape {
        case .point, .multipoint: break
        case .polyline(let paths): out.shape = .polyline(paths.map(splitPath))
        case .polygon(let rings): out.shape = .polygon(rings.map(splitPath))
        }
        return out
    }

    static func pieces(of geometry: Geometry) -> Pieces {
        var pieces = Pieces()
        switch geometry.shape {
        case .point(let v):
            if v.x.isFinite && v.y.isFinite { pieces.points = [v.xy] }
        case .multipoint(let vs):
            pieces.points = vs.filter { $0.x.isFinite && $0.y.isFinite }.map(\.xy)
        case .polyline(let paths):
            pieces.paths = paths.map { $0.vertices.map(\.xy) }.filter { !$0.isEmpty }
        case .polygon(let rings):
            pieces.paths = rings.map { ring in
                var xy = ring.vertices.map(\.xy)
                if let first = xy.first, xy.last != first { xy.append(first) }
                return xy
            }.filter { $0.count >= 2 }
            pieces.isArea = true
        }
        for p in pieces.points { pieces.bounds.add(p) }
        for path in pieces.paths { for p in path { pieces.bounds.add(p) } }
        return pieces
    }

    static func intersects(_ a: Pieces, _ b: Pieces) -> Bool {
        // Points of either in or on the other.
        for p in a.points where covers(b, p) { return true }
        for p in b.points where covers(a, p) { return true }
        // One inside the other without crossing: any vertex of one inside the other's area.
        if b.isArea { for path in a.paths { if let p = path.first, inside(b, p) { return true } } }
        if a.isArea { for path in b.paths { if let p = path.first, inside(a, p) { return true } } }
        // Boundaries crossing or touching.
        for pa in a.paths {
            for (a0, a1) in zip(pa, pa.dropFirst()) {
                let segmentBounds = Bounds(minX: min(a0.x, a1.x), minY: min(a0.y, a1.y), maxX: max(a0.x, a1.x), maxY: max(a0.y, a1.y))
                guard segmentBounds.overlaps(b.bounds) else { continue }
                for pb in b.paths {
                    for (b0, b1) in zip(pb, pb.dropFirst()) where segmentsIntersect(a0, a1, b0, b1) { return true }
                }
            }
        }
        // A single-vertex path is a point.
        for path in a.paths where path.count == 1 { if covers(b, path[0]) { return true } }
        return false
    }

    /// The point lies on or in the geometry.
    static func covers(_ g: Pieces, _ p: XY) -> Bool {
        if g.points.contains(p) { return true }
        for path in g.paths {
            if path.count == 1, path[0] == p { return true }
            for (a, b) in zip(path, path.dropFirst()) where onSegment(p, a, b) { return true }
        }
        return g.isArea && inside(g, p)
    }

    /// Even-odd containment over all rings (holes exclude), boundary not included.
    static func inside(_ g: Pieces, _ p: XY) -> Bool {
        var inside = false
        for ring in g.paths {
            for (a, b) in zip(ring, ring.dropFirst()) where (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x)
                if p.x < x { inside.toggle() }
            }
        }
        return inside
    }

    static func orientation(_ a: XY, _ b: XY, _ c: XY) -> Double {
        (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
    }

    static func onSegment(_ p: XY, _ a: XY, _ b: XY) -> Bool {
        orientation(a, b, p) == 0 && min(a.x, b.x) <= p.x && p.x <= max(a.x, b.x) && min(a.y, b.y) <= p.y && p.y <= max(a.y, b.y)
    }

    /// Proper crossings and touchings (an end on the other segment, collinear overlaps).
    static func segmentsIntersect(_ p1: XY, _ p2: XY, _ q1: XY, _ q2: XY) -> Bool {
        let d1 = orientation(q1, q2, p1), d2 = orientation(q1, q2, p2)
        let d3 = orientation(p1, p2, q1), d4 = orientation(p1, p2, q2)
        if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) { return true }
        return onSegment(p1, q1, q2) || onSegment(p2, q1, q2) || onSegment(q1, p1, p2) || onSegment(q2, p1, p2)
    }
}
