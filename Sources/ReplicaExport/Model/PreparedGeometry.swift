/// A geometry made ready for one writer by the geometry preparer: curves kept only where the writer
/// can hold them (and then only circular arcs in three-point form), everything else densified;
/// polygon rings grouped and oriented the OGC way.
package struct PreparedGeometry: Sendable, Equatable {
    package enum Shape: Sendable, Equatable {
        case point(Vertex)
        case multipoint([Vertex])
        /// The parts of a (multi) line.
        case lines([Path])
        /// Polygons, each its exterior ring (counter-clockwise) followed by its holes (clockwise).
        case polygons([[Path]])
    }

    /// In ``Path/curves`` only ``CurveKind/circularArc(interior:)`` may appear, and its interior point
    /// is the angular midpoint of the arc, so that its Z and M are the mean of the segment's ends.
    var shape: Shape
    var hasZ: Bool
    var hasM: Bool

    package init(_ shape: Shape, hasZ: Bool = false, hasM: Bool = false) {
        self.shape = shape
        self.hasZ = hasZ
        self.hasM = hasM
    }

    var geometryType: GeometryType {
        switch shape {
        case .point: return .point
        case .multipoint: return .multipoint
        case .lines: return .polyline
        case .polygons: return .polygon
        }
    }

    /// Calls `body` with every vertex, in order (not the interior points of arcs).
    func forEachVertex(_ body: (Vertex) -> Void) {
        switch shape {
        case .point(let v): body(v)
        case .multipoint(let vs): vs.forEach(body)
        case .lines(let paths): for p in paths { p.vertices.forEach(body) }
        case .polygons(let polygons): for rings in polygons { for r in rings { r.vertices.forEach(body) } }
        }
    }

    /// True when a circular arc was kept.
    var hasCurves: Bool {
        switch shape {
        case .point, .multipoint: return false
        case .lines(let paths): return paths.contains { !$0.curves.isEmpty }
        case .polygons(let polygons): return polygons.contains { $0.contains { !$0.curves.isEmpty } }
        }
    }
}

/// A feature ready for a writer: attributes as read, geometry prepared for that writer.
package struct PreparedFeature: Sendable, Equatable {
    var attributes: [Value]
    var geometry: PreparedGeometry?
    package init(attributes: [Value], geometry: PreparedGeometry?) {
        self.attributes = attributes
        self.geometry = geometry
    }
}

extension PreparedGeometry {
    /// Whether the geometry has no vertex (an empty point, multipoint, line or polygon).
    var isEmpty: Bool {
        switch shape {
        case .point(let v): return v.x.isNaN
        case .multipoint(let vertices): return vertices.isEmpty
        case .lines(let paths): return paths.allSatisfy { $0.vertices.isEmpty }
        case .polygons(let polygons): return polygons.allSatisfy { $0.allSatisfy { $0.vertices.isEmpty } }
        }
    }

    /// Whether the geometry is a point, or has no vertex: all X / Y columns can say of it.
    var isPointOrEmpty: Bool {
        if case .point = shape { return true }
        return isEmpty
    }
}
