import Testing
@testable import ReplicaExport

/// The encoder against the decoder: every shape the decoder reads comes back as it went in.
@Suite struct ShapeBlobEncoderTests {
    static let grid = ShapeGrid(xOrigin: -20_037_700, yOrigin: -30_241_100, xyScale: 10_000, zOrigin: -100_000, zScale: 10_000)

    /// A vertex on the grid, computed as the decoder computes it, so the round trip is exact.
    /// Without Z the decoder gives z 0.
    static func v(_ x: Int64, _ y: Int64, _ z: Int64? = nil) -> Vertex {
        Vertex(x: Double(x) / grid.xyScale + grid.xOrigin, y: Double(y) / grid.xyScale + grid.yOrigin,
               z: z.map { Double($0) / grid.zScale + grid.zOrigin } ?? 0)
    }

    /// A closed square ring, clockwise (an Esri outer ring) or counter-clockwise (a hole).
    static func square(_ x: Int64, _ y: Int64, _ size: Int64, clockwise: Bool, z: Int64? = nil) -> Path {
        let corners = [v(x, y, z), v(x, y + size, z.map { $0 + 1 }), v(x + size, y + size, z.map { $0 + 2 }),
                       v(x + size, y, z.map { $0 + 3 })]
        let ring = clockwise ? corners : [corners[0]] + corners.dropFirst().reversed()
        return Path(vertices: ring + [ring[0]])
    }

    static let shapes: [(String, Geometry)] = [
        ("point", Geometry(.point(v(123_456_789, 987_654_321)))),
        ("point Z", Geometry(.point(v(5, 7, 1_000_000)), hasZ: true)),
        ("multipoint of 12", Geometry(.multipoint((0..<12).map { v(1_000 + $0 * 37, 2_000 - $0 * 11) }))),
        ("line", Geometry(.polyline([Path(vertices: [v(0, 0), v(10, 5), v(-3, 40)])]))),
        ("two lines Z", Geometry(.polyline([Path(vertices: (0..<8).map { v($0 * 100, $0 * $0, $0 - 4) }),
                                            Path(vertices: [v(9, 9, 9), v(8, 8, 8)])]), hasZ: true)),
        ("polygon with a hole", Geometry(.polygon([square(0, 0, 1_000, clockwise: true),
                                                   square(100, 100, 50, clockwise: false)]))),
        ("two polygons, holes in both, Z", Geometry(.polygon([
            square(0, 0, 1_000, clockwise: true, z: 10), square(100, 100, 50, clockwise: false, z: 20),
            square(300, 300, 50, clockwise: false, z: 30), square(5_000, 5_000, 10, clockwise: true, z: 40),
            square(5_002, 5_002, 3, clockwise: false, z: 50)]), hasZ: true)),
    ]

    @Test(arguments: shapes.indices)
    func encodeThenDecodeGivesTheSameGeometry(_ index: Int) throws {
        let (name, geometry) = Self.shapes[index]
        let blob = try ShapeBlobEncoder.encode(geometry, grid: Self.grid, srid: 3857)
        let decoded = try ShapeBlob.decode(blob, grid: Self.grid)
        #expect(decoded.geometry == geometry, "\(name)")
        #expect(decoded.header.srid == 3857)
        #expect(decoded.header.hasZ == geometry.hasZ)
    }

    @Test func anEmptyGeometryIsAnEmptyBlob() throws {
        let decoded = try ShapeBlob.decode(try ShapeBlobEncoder.encode(nil, grid: Self.grid, srid: 4326), grid: Self.grid)
        #expect(decoded.geometry == nil)
        #expect(decoded.header.pointCount == 0)
    }

    @Test func curvesAndMeasuresAreRefused() {
        let arc = Geometry(.polyline([Path(vertices: [Self.v(0, 0), Self.v(10, 0)],
                                           curves: [CurveSegment(index: 1, kind: .circularArc(interior: XY(x: 5, y: 5)))])]))
        #expect(throws: ReplicaExportError.self) { try ShapeBlobEncoder.encode(arc, grid: Self.grid, srid: 3857) }
        let measured = Geometry(.point(Self.v(1, 1)), hasM: true)
        #expect(throws: ReplicaExportError.self) { try ShapeBlobEncoder.encode(measured, grid: Self.grid, srid: 3857) }
    }

    @Test func varintsMatchTheHandMadeBlobs() {
        for value: Int64 in [0, 1, -1, 63, 64, -64, 8191, 8192, 1 << 40, -(1 << 40)] {
            var out: [UInt8] = []
            ShapeBlobEncoder.appendVarint(value, to: &out)
            #expect(out == BlobMaker.varint(value), "\(value)")
        }
    }
}
