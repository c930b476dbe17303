import Foundation

// Exact lengths and areas of model geometries (true curves included), for checks and reports.

extension Path {
    /// Length including curves (exact for lines and circular arcs, numerical to ~1e-12 otherwise).
    public func length() throws -> Double { try Rings.length(self) }
    /// Signed area of the path as a ring, counter-clockwise positive, curves included (exact).
    public func signedArea() throws -> Double { try Rings.signedArea(self) }
}

extension Geometry {
    /// Total length of all paths or rings (0 for points).
    public func length() throws -> Double {
        switch shape {
        case .point, .multipoint: return 0
        case .polyline(let paths), .polygon(let paths): return try paths.reduce(0) { try $0 + $1.length() }
        }
    }

    /// Area of a polygon in Esri's orientation (exteriors clockwise count positive, holes subtract);
    /// 0 for other shapes.
    public func area() throws -> Double {
        guard case .polygon(let rings) = shape else { return 0 }
        return try -rings.reduce(0) { try $0 + $1.signedArea() }
    }
}

extension PreparedGeometry {
    /// Total length of all lines or rings (0 for points).
    func length() throws -> Double {
        switch shape {
        case .point, .multipoint: return 0
        case .lines(let paths): return try paths.reduce(0) { try $0 + $1.length() }
        case .polygons(let polygons): return try polygons.joined().reduce(0) { try $0 + $1.length() }
        }
    }

    /// Area of the polygons in OGC orientation (exteriors counter-clockwise positive, holes subtract);
    /// 0 for other shapes.
    func area() throws -> Double {
        guard case .polygons(let polygons) = shape else { return 0 }
        return try polygons.joined().reduce(0) { try $0 + $1.signedArea() }
    }
}
