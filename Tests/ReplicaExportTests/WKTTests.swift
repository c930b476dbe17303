import Foundation
import Testing
@testable import ReplicaExport
import ReplicaExportBenchmarkSupport

/// ``WKT`` against GDAL 3.6.2's own ISO WKT of the same geometry (as ``WKB`` hands it over): the
/// same text wherever both spell the numbers alike (decimals of up to 15 digits that are not whole),
/// and nil where GDAL must write it.
@Suite struct WKTTests {
    /// Coordinates GDAL and `numberText` spell alike: not whole, at most 15 significant digits.
    private static func coordinate(_ generator: inout SplitMix64) -> Double {
        let whole = Double(Int.random(in: -2_000_000...2_000_000, using: &generator))
        let quarters = [0.25, 0.5, 0.75, 0.125][Int.random(in: 0...3, using: &generator)]
        return whole + (whole < 0 ? -quarters : quarters)
    }

    private static func vertex(_ generator: inout SplitMix64) -> Vertex {
        Vertex(x: coordinate(&generator), y: coordinate(&generator), z: coordinate(&generator), m: coordinate(&generator))
    }

    private static func shapes(_ generator: inout SplitMix64) -> [PreparedGeometry.Shape] {
        func path(_ count: Int) -> Path { Path(vertices: (0..<count).map { _ in vertex(&generator) }) }
        return [
            .point(vertex(&generator)),
            .multipoint((0..<3).map { _ in vertex(&generator) }),
            .multipoint([vertex(&generator)]),
            .lines([path(2)]),
            .lines([path(5), path(2), path(3)]),
            .polygons([[path(4)]]),
            .polygons([[path(6), path(4)], [path(4)], [path(5), path(4), path(4)]]),
        ]
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func layoutIsGDALsInEveryDimension(hasZ: Bool, hasM: Bool) throws {
        var generator = SplitMix64(seed: 20261201 + (hasZ ? 1 : 0) + (hasM ? 2 : 0))
        for _ in 0..<50 {
            for shape in Self.shapes(&generator) {
                let geometry = PreparedGeometry(shape, hasZ: hasZ, hasM: hasM)
                var replaced = 0
                let ours = try #require(WKT.text(geometry, keepM: true, missingM: nil, replacedMissingM: &replaced))
                let wkb = WKB.encode(geometry, keepM: true, missingM: nil, replacedMissingM: &replaced)
                let gdal = try GDALErrorScope.run { errors in try GDALGeometry.fromWKB(wkb, errors: errors, at: .init()).isoWKT }
                #expect(ours == gdal)
            }
        }
    }

    @Test func mIsLeftOutWhenNotKeptAndAMissingMIsReplaced() throws {
        let v = Vertex(x: 1.5, y: 2.5, z: 3.5, m: .nan)
        var replaced = 0
        #expect(WKT.text(PreparedGeometry(.point(v), hasZ: true, hasM: true), keepM: false, missingM: nil,
                         replacedMissingM: &replaced) == "POINT Z (1.5 2.5 3.5)")
        #expect(WKT.text(PreparedGeometry(.lines([Path(vertices: [v, v])]), hasM: true), keepM: true, missingM: -1e39,
                         replacedMissingM: &replaced) == "MULTILINESTRING M ((1.5 2.5 -1e+39,1.5 2.5 -1e+39))")
        #expect(replaced == 2)
        // Shortest round-trip numbers, where GDAL keeps 15 significant digits.
        #expect(WKT.text(PreparedGeometry(.point(Vertex(x: 0.1 + 0.2, y: 4028719.3708000034))), keepM: true, missingM: nil,
                         replacedMissingM: &replaced) == "POINT (0.30000000000000004 4028719.3708000034)")
    }

    /// What GDAL alone spells: arcs, empty geometries or parts, non-finite X or Y.
    @Test func declinesWhatGDALMustWrite() {
        let a = Vertex(x: 0, y: 0), b = Vertex(x: 2, y: 0)
        let arc = Path(vertices: [a, b], curves: [CurveSegment(index: 0, kind: .circularArc(interior: XY(x: 1, y: 1)))])
        let declined: [PreparedGeometry.Shape] = [
            .lines([arc]), .polygons([[Path(vertices: [a, b, Vertex(x: 1, y: 1), a]), arc]]),
            .point(Vertex(x: .nan, y: .nan)), .point(Vertex(x: .infinity, y: 0)), .multipoint([]),
            .multipoint([Vertex(x: 1, y: .nan)]), .lines([]), .lines([Path(vertices: [])]), .polygons([]), .polygons([[]]),
        ]
        for shape in declined {
            var replaced = 0
            #expect(WKT.text(PreparedGeometry(shape), keepM: true, missingM: nil, replacedMissingM: &replaced) == nil,
                    "\(shape)")
        }
    }
}
