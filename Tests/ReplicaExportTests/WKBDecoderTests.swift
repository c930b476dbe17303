import Foundation
import Testing
@testable import ReplicaExport
import GDALReadBack

/// Reading outputs back into the model: our encoder and GDAL's own WKB decode to the same shapes.
@Suite struct WKBDecoderTests {
    @Test func pointsAndMultipointsWithZAndM() throws {
        let point = try WKBDecoder.decode(WKB.encode(PreparedGeometry(.point(Vertex(x: 1, y: 2, z: 3, m: 4)), hasZ: true, hasM: true)))
        #expect(point == Geometry(.point(Vertex(x: 1, y: 2, z: 3, m: 4)), hasZ: true, hasM: true))
        let vertices = [Vertex(x: 1, y: 2, z: 3), Vertex(x: -5, y: 1e300, z: 0)]
        let multi = try WKBDecoder.decode(WKB.encode(PreparedGeometry(.multipoint(vertices), hasZ: true)))
        #expect(multi == Geometry(.multipoint(vertices), hasZ: true))
        // An empty point (NaN coordinates) and an empty collection are no geometry.
        #expect(try WKBDecoder.decode(WKB.encode(PreparedGeometry(.point(Vertex(x: .nan, y: .nan))))) == nil)
        #expect(try WKBDecoder.decode(WKB.encode(PreparedGeometry(.lines([])))) == nil)
    }

    @Test func linesKeepTheirArcs() throws {
        let arc = Path(vertices: [Vertex(x: 0, y: 0, m: 1), Vertex(x: 2, y: 0, m: 2), Vertex(x: 3, y: 0, m: 3)],
                       curves: [CurveSegment(index: 0, kind: .circularArc(interior: XY(x: 1, y: 1)))])
        let straight = Path(vertices: [Vertex(x: 5, y: 5, m: 0), Vertex(x: 6, y: 6, m: 0)])
        let decoded = try WKBDecoder.decode(WKB.encode(PreparedGeometry(.lines([arc, straight]), hasM: true)))
        #expect(decoded == Geometry(.polyline([arc, straight]), hasM: true))
    }

    @Test func polygonsComeBackInEsriOrientation() throws {
        // OGC orientation in (exterior counter-clockwise, hole clockwise), Esri's out.
        let exterior = Path(vertices: [Vertex(x: 0, y: 0), Vertex(x: 10, y: 0), Vertex(x: 10, y: 10), Vertex(x: 0, y: 10), Vertex(x: 0, y: 0)])
        let hole = Path(vertices: [Vertex(x: 2, y: 2), Vertex(x: 2, y: 8), Vertex(x: 8, y: 8), Vertex(x: 8, y: 2), Vertex(x: 2, y: 2)])
        let decoded = try WKBDecoder.decode(WKB.encode(PreparedGeometry(.polygons([[exterior, hole]]))))
        #expect(decoded == Geometry(.polygon([Rings.reversed(exterior), Rings.reversed(hole)])))
    }

    @Test func gdalsOwnCurvesDecode() throws {
        let wkt = "MULTISURFACE Z (CURVEPOLYGON Z (COMPOUNDCURVE Z (CIRCULARSTRING Z (0 0 1,1 1 2,2 0 3),(2 0 3,0 0 1))))"
        let wkb = try #require(GDALGeometryOracle.isoWKB(fromWKT: wkt))
        let decoded = try #require(try WKBDecoder.decode(wkb))
        // Up over the arc and back along the bottom: already clockwise, so kept as it is.
        #expect(decoded == Geometry(.polygon([Path(
            vertices: [Vertex(x: 0, y: 0, z: 1), Vertex(x: 2, y: 0, z: 3), Vertex(x: 0, y: 0, z: 1)],
            curves: [CurveSegment(index: 0, kind: .circularArc(interior: XY(x: 1, y: 1)))])]), hasZ: true))
        // And what we decode, GDAL reads back to the same WKT.
        let lines = try #require(GDALGeometryOracle.isoWKB(fromWKT: "MULTILINESTRING M ((1 2 3,4 5 6))"))
        #expect(try WKBDecoder.decode(lines) == Geometry(.polyline([Path(vertices: [Vertex(x: 1, y: 2, m: 3), Vertex(x: 4, y: 5, m: 6)])]), hasM: true))
    }

    @Test func bigEndianAndExtendedFlags() throws {
        // XDR point with the extended-WKB Z flag.
        var bytes: [UInt8] = [0]
        bytes += withUnsafeBytes(of: UInt32(0x8000_0001).bigEndian) { Array($0) }
        for value in [1.5, -2.5, 7.0] { bytes += withUnsafeBytes(of: value.bitPattern.bigEndian) { Array($0) } }
        #expect(try WKBDecoder.decode(bytes) == Geometry(.point(Vertex(x: 1.5, y: -2.5, z: 7)), hasZ: true))
    }

    @Test func damagedWKBIsRefusedWithoutAllocating() throws {
        let line = WKB.encode(PreparedGeometry(.lines([Path(vertices: [Vertex(x: 0, y: 0), Vertex(x: 1, y: 1)])])))
        for cut in [0, 1, 5, 9, line.count - 1] {
            #expect(throws: WKBDecoder.Failure.self) { try WKBDecoder.decode(Array(line.prefix(cut))) }
        }
        // A MultiLineString claiming 2^32 - 1 parts in a few bytes.
        var huge: [UInt8] = [1]
        huge += withUnsafeBytes(of: UInt32(5).littleEndian) { Array($0) }
        huge += withUnsafeBytes(of: UInt32.max.littleEndian) { Array($0) }
        #expect(throws: WKBDecoder.Failure.self) { try WKBDecoder.decode(huge) }
        #expect(throws: WKBDecoder.Failure.self) { try WKBDecoder.decode(line + [0]) }
    }
}
