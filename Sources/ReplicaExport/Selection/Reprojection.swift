import Foundation

/// Moves geometries from one coordinate system to another through GDAL, a geometry's vertices
/// in one batch. Curves are densified first except circular arcs through an interior point,
/// whose three points are moved (as ArcGIS projects arcs); elliptic arcs and Beziers have no
/// exact image under a projection.
final class GeometryReprojector {
    let transformation: GDALCoordinateTransformation
    let densifier: Densifier

    /// nil when both name the same coordinate system (nothing to do).
    static func make(from source: SpatialReference?, to target: SpatialReference?,
                     densifier: Densifier, at location: ErrorLocation) throws -> GeometryReprojector? {
        guard let source, let target, source != target else { return nil }
        let from = try GDALSpatialReference.from(source, at: location)
        let to = try GDALSpatialReference.from(target, at: location)
        if from.isSame(to) { return nil }
        return GeometryReprojector(transformation: try GDALCoordinateTransformation(from: from, to: to, at: location),
                                   densifier: densifier)
    }

    init(transformation: GDALCoordinateTransformation, densifier: Densifier) {
        self.transformation = transformation
        self.densifier = densifier
    }

    func reproject(_ geometry: Geometry, keepCircularArcs: Bool = true) throws -> Geometry {
        var out = geometry
        func move(_ points: [Vertex]) throws -> [Vertex] {
            guard let moved = transformation.transform(points: points) else {
                throw ReplicaExportError(.invalidGeometry,
                    "a coordinate cannot be transformed to the requested coordinate system (it lies outside its area of use)")
            }
            return moved
        }
        func paths(_ list: [Path]) throws -> [Path] {
            try list.map { path in
                let arcsOnly = path.curves.allSatisfy { if case .circularArc = $0.kind { return true } else { return false } }
                guard keepCircularArcs, arcsOnly else {
                    return Path(vertices: try move(try densifier.densify(path).vertices))
                }
                let vertices = try move(path.vertices)
                guard !path.curves.isEmpty else { return Path(vertices: vertices) }
                let interiors = try move(path.curves.map { curve -> Vertex in
                    guard case .circularArc(let interior) = curve.kind else { preconditionFailure("checked above") }
                    return Vertex(x: interior.x, y: interior.y)
                })
                return Path(vertices: vertices, curves: zip(path.curves, interiors).map { curve, point in
                    CurveSegment(index: curve.index, kind: .circularArc(interior: XY(x: point.x, y: point.y)))
                })
            }
        }
        switch geometry.shape {
        case .point(let v): out.shape = .point(try move([v])[0])
        case .multipoint(let vs): out.shape = .multipoint(try move(vs))
        case .polyline(let list): out.shape = .polyline(try paths(list))
        case .polygon(let list): out.shape = .polygon(try paths(list))
        }
        return out
    }
}

extension GeometryReprojector {
    /// A prepared geometry moved to the target system: every vertex and every arc's interior point
    /// in one `OCTTransform` call. Preparation leaves only straight segments and three-point
    /// circular arcs, which move exactly as ArcGIS projects them (by their three points).
    func reproject(_ geometry: PreparedGeometry) throws -> PreparedGeometry {
        var points: [Vertex] = []
        Self.collect(geometry, into: &points)
        guard let moved = transformation.transform(points: points) else { throw Self.outsideAreaOfUse() }
        var next = 0
        return Self.rebuild(geometry, from: moved, next: &next)
    }

    /// Features with their geometries moved to the target system, all of a batch's points in one
    /// `OCTTransform` call: PROJ's per-call set-up is paid once per batch instead of once per
    /// feature, which is most of the cost for points. `firstIndex` is the layer-wide index of
    /// `features[0]`, named when a geometry cannot be moved.
    func reproject(_ features: [PreparedFeature], firstIndex: Int) throws -> [PreparedFeature] {
        var points: [Vertex] = []
        points.reserveCapacity(features.count)
        for feature in features { if let g = feature.geometry { Self.collect(g, into: &points) } }
        guard let moved = transformation.transform(points: points) else {
            // Find the geometry that cannot be moved, to name it.
            for (offset, feature) in features.enumerated() {
                guard let g = feature.geometry else { continue }
                do { _ = try reproject(g) } catch let error as ReplicaExportError {
                    throw error.located(ErrorLocation(featureIndex: firstIndex + offset))
                }
            }
            throw Self.outsideAreaOfUse()
        }
        var next = 0
        return features.map { feature in
            guard let g = feature.geometry else { return feature }
            return PreparedFeature(attributes: feature.attributes, geometry: Self.rebuild(g, from: moved, next: &next))
        }
    }

    private static func outsideAreaOfUse() -> ReplicaExportError {
        ReplicaExportError(.invalidGeometry,
            "a coordinate cannot be transformed to the requested output coordinate system (it lies outside its area of use)")
    }

    /// Appends the geometry's vertices and arc interior points, in the order ``rebuild`` takes them.
    private static func collect(_ geometry: PreparedGeometry, into points: inout [Vertex]) {
        func collect(_ path: Path) {
            points.append(contentsOf: path.vertices)
            for curve in path.curves {
                if case .circularArc(let interior) = curve.kind { points.append(Vertex(x: interior.x, y: interior.y)) }
            }
        }
        switch geometry.shape {
        case .point(let v): points.append(v)
        case .multipoint(let vs): points.append(contentsOf: vs)
        case .lines(let paths): paths.forEach(collect)
        case .polygons(let polygons): polygons.forEach { $0.forEach(collect) }
        }
    }

    /// The geometry with its points taken from `moved`, starting at `next` (advanced past them).
    private static func rebuild(_ geometry: PreparedGeometry, from moved: [Vertex], next: inout Int) -> PreparedGeometry {
        func rebuild(_ path: Path) -> Path {
            let vertices = Array(moved[next..<next + path.vertices.count])
            next += path.vertices.count
            let curves = path.curves.map { curve -> CurveSegment in
                guard case .circularArc = curve.kind else { return curve }
                let p = moved[next]
                next += 1
                return CurveSegment(index: curve.index, kind: .circularArc(interior: XY(x: p.x, y: p.y)))
            }
            return Path(vertices: vertices, curves: curves)
        }
        var out = geometry
        switch geometry.shape {
        case .point:
            out.shape = .point(moved[next])
            next += 1
        case .multipoint(let vs):
            out.shape = .multipoint(Array(moved[next..<next + vs.count]))
            next += vs.count
        case .lines(let paths): out.shape = .lines(paths.map(rebuild))
        case .polygons(let polygons): out.shape = .polygons(polygons.map { $0.map(rebuild) })
        }
        return out
    }
}

/// The move to WGS 84 longitude/latitude of a format that requires it
/// (``WriterCapabilities/requiresWGS84``: GeoJSON), made once per layer where features are
/// prepared, so that a writer only writes: it is given ``schema``, and features already moved.
package struct WGS84Move {
    /// The layer as the writer is given it: in WGS 84 when its features are moved there.
    package let schema: LayerSchema
    /// nil when nothing moves: a table, a layer in WGS 84 already, or one without a spatial
    /// reference (written as given; the writer says so).
    let reprojector: GeometryReprojector?

    /// The move for `layer`; throws when its spatial reference cannot be moved to WGS 84.
    package init(layer: LayerSchema, at location: ErrorLocation) throws {
        guard layer.kind != .table, layer.geometryType != nil, let own = layer.spatialReference,
              let reprojector = try GeometryReprojector.make(from: own, to: .wgs84, densifier: Densifier(spatialReference: own),
                                                             at: location) else {
            schema = layer
            reprojector = nil
            return
        }
        var moved = layer
        moved.spatialReference = .wgs84
        schema = moved
        self.reprojector = reprojector
    }

    /// `features` in WGS 84; `firstIndex` is the layer-wide index of `features[0]`, for errors.
    package func apply(_ features: [PreparedFeature], firstIndex: Int) throws -> [PreparedFeature] {
        guard let reprojector else { return features }
        do {
            return try reprojector.reproject(features, firstIndex: firstIndex)
        } catch let error as ReplicaExportError {
            throw error.located(ErrorLocation(layer: schema.name))
        }
    }
}
