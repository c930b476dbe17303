/// A coordinate. `z` and `m` are meaningful only when the owning geometry's `hasZ` / `hasM` is set
/// (they are 0 otherwise); an M may legitimately be NaN ("no measure").
public struct Vertex: Sendable, Equatable, Hashable {
    /// X (easting or longitude), in the units of the layer's spatial reference.
    public var x: Double
    /// Y (northing or latitude), in the units of the layer's spatial reference.
    public var y: Double
    /// Z (height), in the vertical units; 0 when the geometry has no Z.
    public var z: Double
    /// M (measure); 0 when the geometry has no M, NaN for a vertex without a measure.
    public var m: Double

    /// A vertex; leave `z` and `m` at 0 for a geometry without Z or M.
    @inlinable
    public init(x: Double, y: Double, z: Double = 0, m: Double = 0) {
        self.x = x
        self.y = y
        self.z = z
        self.m = m
    }

    /// The planar position.
    @inlinable public var xy: XY { XY(x: x, y: y) }
}

/// A planar point: curve control points carry no Z or M.
public struct XY: Sendable, Equatable, Hashable {
    /// X, in the units of the layer's spatial reference.
    public var x: Double
    /// Y, in the units of the layer's spatial reference.
    public var y: Double
    /// A planar point.
    @inlinable public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// The shape of a non-linear segment, as the Esri JSON segment forms describe it.
/// The segment's start and end are the path's vertices around it.
public enum CurveKind: Sendable, Equatable, Hashable {
    /// `{"c": [end, interior]}`: the circular arc through start, `interior` and end.
    case circularArc(interior: XY)
    /// `{"a": [end, center, minor, clockwise]}`: a circular arc given by its center; with end == start a
    /// full circle.
    case circularArcByCenter(center: XY, isMinor: Bool, isClockwise: Bool)
    /// `{"a": [end, center, minor, clockwise, rotation, axis, ratio]}`: an elliptic arc. `rotation` is the
    /// angle of the major axis in radians, `semiMajorAxis` its half length, `minorMajorRatio` <= 1.
    case ellipticArc(center: XY, isMinor: Bool, isClockwise: Bool, rotation: Double,
                     semiMajorAxis: Double, minorMajorRatio: Double)
    /// `{"b": [end, cp1, cp2]}`: a cubic Bezier curve.
    case bezier(control1: XY, control2: XY)
}

/// A non-linear segment of a ``Path``: the segment from `vertices[index]` to `vertices[index + 1]`.
public struct CurveSegment: Sendable, Equatable, Hashable {
    /// The segment's position in its path: it runs from `vertices[index]` to `vertices[index + 1]`.
    public var index: Int
    /// The curve's shape and its parameters.
    public var kind: CurveKind
    /// The curve `kind` in place of the straight segment starting at `vertices[index]`.
    @inlinable public init(index: Int, kind: CurveKind) {
        self.index = index
        self.kind = kind
    }
}

/// A path or ring: vertices joined by straight segments, except where ``curves`` says otherwise.
///
/// Linear paths (by far the most common) are plain vertex arrays; curves are a sparse list sorted by
/// segment index. A ring repeats its first vertex at the end.
public struct Path: Sendable, Equatable, Hashable {
    /// The vertices in order; a ring repeats its first vertex at the end.
    public var vertices: [Vertex]
    /// Sorted by ``CurveSegment/index``; each index is in `0 ..< vertices.count - 1`.
    public var curves: [CurveSegment]

    /// A path of `vertices`, straight between them except at `curves` (sorted by index).
    @inlinable public init(vertices: [Vertex], curves: [CurveSegment] = []) {
        self.vertices = vertices
        self.curves = curves
    }

    /// True when every segment is straight (``curves`` is empty).
    @inlinable public var isLinear: Bool { curves.isEmpty }
}

/// A geometry as the input said it: nothing densified, nothing reoriented.
public struct Geometry: Sendable, Equatable {
    /// The geometry proper: which kind, and its vertices or paths.
    public enum Shape: Sendable, Equatable {
        /// A single vertex (`esriGeometryPoint`).
        case point(Vertex)
        /// A set of vertices (`esriGeometryMultipoint`).
        case multipoint([Vertex])
        /// Parts of a polyline.
        case polyline([Path])
        /// Rings of a polygon in Esri's convention: exterior rings clockwise, holes counter-clockwise;
        /// which exterior a hole belongs to is decided by containment, not by order.
        /// Readers of formats with another convention reverse rings to this one.
        case polygon([Path])
    }

    /// The points, paths or rings.
    public var shape: Shape
    /// Whether the vertices carry Z values (``Vertex/z`` is meaningful).
    public var hasZ: Bool
    /// Whether the vertices carry M values (``Vertex/m`` is meaningful).
    public var hasM: Bool

    /// A geometry of `shape`, with Z and M as the flags say.
    @inlinable public init(_ shape: Shape, hasZ: Bool = false, hasM: Bool = false) {
        self.shape = shape
        self.hasZ = hasZ
        self.hasM = hasM
    }

    /// The layer geometry type this shape belongs to.
    public var geometryType: GeometryType {
        switch shape {
        case .point: return .point
        case .multipoint: return .multipoint
        case .polyline: return .polyline
        case .polygon: return .polygon
        }
    }

    /// True when any path has a non-linear segment.
    public var hasCurves: Bool {
        switch shape {
        case .point, .multipoint: return false
        case .polyline(let paths), .polygon(let paths): return paths.contains { !$0.curves.isEmpty }
        }
    }
}
