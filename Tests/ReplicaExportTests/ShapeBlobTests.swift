import Testing
@testable import ReplicaExport

/// Hand-made shape blobs, written the way FORMATS.md section 2 describes them.
enum BlobMaker {
    static func varint(_ v: Int64) -> [UInt8] {
        var m = v.magnitude
        var first = UInt8(m & 0x3F)
        if v < 0 { first |= 0x40 }
        m >>= 6
        var out: [UInt8] = []
        if m != 0 { first |= 0x80 }
        out.append(first)
        while m != 0 {
            var b = UInt8(m & 0x7F)
            m >>= 7
            if m != 0 { b |= 0x80 }
            out.append(b)
        }
        return out
    }

    /// points: accumulated integer coordinates (separators included as (-1, 0)).
    static func blob(kind: Int, entity: Int, points: [(Int64, Int64)], zs: [Int64]? = nil, hasM: Bool = false,
                     partCounts: [Int]? = nil, srid: Int = 3857, box: Bool = true,
                     payloadLengthDelta: Int = 0, trailing: [UInt8] = []) -> [UInt8] {
        var b: [UInt8] = [0x64, UInt8(srid & 0xFF), UInt8((srid >> 8) & 0xFF), UInt8((srid >> 16) & 0xFF)]
        let n = points.count
        b += [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8((n >> 24) & 0xFF)]
        b.append(UInt8(kind << 2) | (zs != nil ? 2 : 0) | (hasM ? 1 : 0))
        b.append(UInt8(entity))
        if n > 10 && box {
            let real = points.filter { !($0.0 == -1 && $0.1 == 0) }
            b += varint(real.map(\.0).min()!) + varint(real.map(\.1).min()!)
            b += varint(real.map(\.0).max()!) + varint(real.map(\.1).max()!)
        }
        if let partCounts {
            b += varint(Int64(partCounts.count))
            for c in partCounts { b += varint(Int64(c)) }
        }
        var payload: [UInt8] = []
        var px: Int64 = 0, py: Int64 = 0
        for (x, y) in points {
            payload += varint(x - px) + varint(y - py)
            px = x; py = y
        }
        if let zs {
            var pz: Int64 = 0
            for z in zs { payload += varint(z - pz); pz = z }
        }
        payload += trailing
        var slot = varint(Int64(payload.count + payloadLengthDelta))
        while slot.count < 4 { slot.append(0xEE) }  // leftovers the decoder must ignore
        b += slot
        b += [1, zs != nil ? 1 : 0, 0, 0]
        return b + payload
    }

    static let grid = ShapeGrid(xOrigin: -100, yOrigin: -200, xyScale: 10, zOrigin: -1000, zScale: 100)
}

@Suite("Shape blob decoder")
struct ShapeBlobTests {
    let grid = BlobMaker.grid

    @Test func point() throws {
        let blob = BlobMaker.blob(kind: 1, entity: 1, points: [(1005, 2505)])
        let d = try ShapeBlob.decode(blob, grid: grid)
        #expect(d.geometry == Geometry(.point(Vertex(x: 0.5, y: 50.5))))
        #expect(d.header.srid == 3857)
        #expect(d.storedBox == nil)
    }

    @Test func pointZ() throws {
        let blob = BlobMaker.blob(kind: 1, entity: 1, points: [(1000, 2000)], zs: [100_150])
        let d = try ShapeBlob.decode(blob, grid: grid)
        #expect(d.geometry == Geometry(.point(Vertex(x: 0, y: 0, z: 1.5)), hasZ: true))
    }

    @Test func multipoint() throws {
        let blob = BlobMaker.blob(kind: 2, entity: 0x41, points: [(1000, 2000), (1010, 1990), (990, 2020)])
        let d = try ShapeBlob.decode(blob, grid: grid)
        #expect(d.geometry == Geometry(.multipoint([Vertex(x: 0, y: 0), Vertex(x: 1, y: -1), Vertex(x: -1, y: 2)])))
    }

    @Test func lineWithBoundingBox() throws {
        var pts: [(Int64, Int64)] = []
        for i in 0..<12 { pts.append((Int64(1000 + i * 10), Int64(2000 + (i % 3) * 5))) }
        let blob = BlobMaker.blob(kind: 5, entity: 4, points: pts)
        let d = try ShapeBlob.decode(blob, grid: grid)
        guard case .polyline(let paths)? = d.geometry?.shape else { Issue.record("not a line"); return }
        #expect(paths.count == 1 && paths[0].vertices.count == 12)
        #expect(paths[0].vertices.last == Vertex(x: 11, y: 1))
        let box = try #require(d.storedBox)
        #expect(box.xmin == 0 && box.xmax == 11 && box.ymin == 0 && box.ymax == 1)
    }

    @Test func multipartLineDropsSeparators() throws {
        let pts: [(Int64, Int64)] = [(1000, 2000), (1010, 2000), (-1, 0), (1100, 2100), (1110, 2110), (1120, 2100), (-1, 0), (1200, 2000), (1210, 2000)]
        let blob = BlobMaker.blob(kind: 5, entity: 0x44, points: pts, partCounts: [3, 4])
        let d = try ShapeBlob.decode(blob, grid: grid)
        guard case .polyline(let paths)? = d.geometry?.shape else { Issue.record("not a line"); return }
        #expect(paths.map(\.vertices.count) == [2, 3, 2])
        #expect(paths[1].vertices[1] == Vertex(x: 11, y: 11))
    }

    @Test func polygonWithHoleAndSecondPartReversedToClockwise() throws {
        // Part 1: a CCW square with a CW hole; part 2: a CCW triangle. Mobile gdb orientation.
        let outer: [(Int64, Int64)] = [(1000, 2000), (1100, 2000), (1100, 2100), (1000, 2100), (1000, 2000)]
        let hole: [(Int64, Int64)] = [(1020, 2020), (1020, 2080), (1080, 2080), (1080, 2020), (1020, 2020)]
        let tri: [(Int64, Int64)] = [(1200, 2000), (1300, 2000), (1250, 2050), (1200, 2000)]
        let pts = outer + hole + [(-1, 0)] + tri
        let blob = BlobMaker.blob(kind: 6, entity: 0x48, points: pts, partCounts: [11])
        let d = try ShapeBlob.decode(blob, grid: grid)
        guard case .polygon(let rings)? = d.geometry?.shape else { Issue.record("not a polygon"); return }
        #expect(rings.map(\.vertices.count) == [5, 5, 4])
        // Reversed: the outer ring now runs clockwise (signed area < 0).
        func area(_ p: Path) -> Double {
            zip(p.vertices, p.vertices.dropFirst()).reduce(0) { $0 + ($1.0.x * $1.1.y - $1.1.x * $1.0.y) } / 2
        }
        #expect(area(rings[0]) < 0)
        #expect(area(rings[1]) > 0)
        #expect(area(rings[2]) < 0)
        #expect(rings[0].vertices[1] == Vertex(x: 0, y: 10))
    }

    @Test func polygonZ() throws {
        let ring: [(Int64, Int64)] = [(1000, 2000), (1100, 2000), (1100, 2100), (1000, 2000)]
        let blob = BlobMaker.blob(kind: 6, entity: 8, points: ring, zs: [100_000, 100_100, 100_200, 100_000])
        let d = try ShapeBlob.decode(blob, grid: grid)
        guard case .polygon(let rings)? = d.geometry?.shape else { Issue.record("not a polygon"); return }
        #expect(d.geometry?.hasZ == true)
        #expect(rings[0].vertices.map(\.z) == [0, 2, 1, 0])
    }

    @Test func emptyGeometry() throws {
        let blob = BlobMaker.blob(kind: 5, entity: 0, points: [])
        #expect(blob.count == 18)
        let d = try ShapeBlob.decode(blob, grid: grid)
        #expect(d.geometry == nil)
        #expect(d.header.pointCount == 0)
    }

    func expectFailure(_ blob: [UInt8], _ code: ReplicaExportError.Code, containing text: String) {
        do {
            _ = try ShapeBlob.decode(blob, grid: grid)
            Issue.record("decoded a bad blob")
        } catch let e as ReplicaExportError {
            #expect(e.code == code)
            #expect(e.message.contains(text), "\(e.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func truncatedVarint() {
        var blob = BlobMaker.blob(kind: 5, entity: 4, points: [(1000, 2000), (100_000, 2000)])
        blob[blob.count - 1] |= 0x80  // the last varint now says "more follows"
        expectFailure(blob, .truncated, containing: "inside a varint")
    }

    @Test func wrongMagic() {
        var blob = BlobMaker.blob(kind: 1, entity: 1, points: [(1000, 2000)])
        blob[0] = 0x65
        expectFailure(blob, .corrupt, containing: "0x64")
    }

    @Test func payloadLengthMismatch() {
        let blob = BlobMaker.blob(kind: 1, entity: 1, points: [(1000, 2000)], payloadLengthDelta: 1)
        expectFailure(blob, .corrupt, containing: "payload length")
    }

    @Test func trailingBytes() {
        let blob = BlobMaker.blob(kind: 1, entity: 1, points: [(1000, 2000)], trailing: [0, 0])
        expectFailure(blob, .corrupt, containing: "trailing bytes")
    }

    @Test func mFlag() {
        let blob = BlobMaker.blob(kind: 1, entity: 1, points: [(1000, 2000)], hasM: true)
        expectFailure(blob, .unsupported, containing: "M values")
    }

    @Test func unknownKind() {
        let blob = BlobMaker.blob(kind: 7, entity: 8, points: [(1000, 2000)])
        expectFailure(blob, .unsupported, containing: "unknown kind")
    }

    @Test func partCountBeyondN() {
        let pts: [(Int64, Int64)] = [(1000, 2000), (1010, 2000), (-1, 0), (1100, 2100), (1110, 2110)]
        let blob = BlobMaker.blob(kind: 5, entity: 0x44, points: pts, partCounts: [3, 4])
        expectFailure(blob, .corrupt, containing: "part size")
    }

    @Test func separatorNotWhereAnnounced() {
        let pts: [(Int64, Int64)] = [(1000, 2000), (1010, 2000), (-1, 0), (1100, 2100), (1110, 2110)]
        let blob = BlobMaker.blob(kind: 5, entity: 0x44, points: pts, partCounts: [2])
        expectFailure(blob, .corrupt, containing: "separate")
    }

    @Test func badStoredBoundingBox() {
        var pts: [(Int64, Int64)] = []
        for i in 0..<11 { pts.append((Int64(1000 + i), 2000)) }
        let blob = BlobMaker.blob(kind: 5, entity: 4, points: pts)
        var b = Array(blob.prefix(10))
        b += BlobMaker.varint(999) + BlobMaker.varint(2000) + BlobMaker.varint(1010) + BlobMaker.varint(2000)
        let boxLength = BlobMaker.varint(1000).count + BlobMaker.varint(2000).count + BlobMaker.varint(1010).count + BlobMaker.varint(2000).count
        b += blob[(10 + boxLength)...]  // the rest as written, with a wrong xmin above
        expectFailure(b, .corrupt, containing: "bounding box")
    }

    @Test func ringThatDoesNotClose() {
        let blob = BlobMaker.blob(kind: 6, entity: 8, points: [(1000, 2000), (1100, 2000), (1100, 2100), (1000, 2100)])
        expectFailure(blob, .corrupt, containing: "does not close")
    }

    @Test func shortBlob() {
        expectFailure([0x64, 0, 0], .truncated, containing: "header")
    }

    @Test func varintRoundTrip() throws {
        for v: Int64 in [0, 1, -1, 63, 64, -64, 8191, 1 << 40, -(1 << 52) - 3] {
            let bytes = BlobMaker.varint(v)
            let decoded = try bytes.withUnsafeBytes { buf -> Int64 in
                var r = ShapeBlob.Reader(buffer: buf)
                return try r.varint()
            }
            #expect(decoded == v)
        }
    }
}
