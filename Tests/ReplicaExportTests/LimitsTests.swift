import Foundation
import Testing
@testable import ReplicaExport
import ReplicaExportTestSupport

/// Limits that protect the machine (issue 12): no recursion a hostile input can deepen, no
/// allocation sized by a count the input cannot back, densification work bounded by the curve.
@Suite struct LimitsTests {
    static func nested(_ depth: Int) -> String {
        String(repeating: "<a>", count: depth) + "x" + String(repeating: "</a>", count: depth)
    }

    @Test func definitionXMLDeeperThanTheLimitIsRefusedWithoutRecursion() {
        #expect(GDBXMLElement.parse(Self.nested(100_000)) == nil)
        #expect(GDBXMLElement.parse(Self.nested(GDBXMLElement.maximumDepth + 1)) == nil)
        let deepest = GDBXMLElement.parse(Self.nested(GDBXMLElement.maximumDepth))
        #expect(deepest?.descendants("a").count == GDBXMLElement.maximumDepth - 1)
    }

    @Test func descendantsKeepDocumentOrder() throws {
        let root = try #require(GDBXMLElement.parse("<r><a i='1'><a i='2'/></a><b><a i='3'/></b><a i='4'/></r>"))
        #expect(root.descendants("a").map { $0.attributes["i"] } == ["1", "2", "3", "4"])
    }

    /// Freeing a tree a million elements deep would take a million stack frames under plain ARC.
    @Test func freeingADeepTreeDoesNotRecurse() {
        var root: GDBXMLElement? = GDBXMLElement(name: "root")
        var tip = root!
        for _ in 0..<1_000_000 {
            let child = GDBXMLElement(name: "a")
            tip.children.append(child)
            tip = child
        }
        tip = GDBXMLElement(name: "other")
        root = nil
        #expect(root == nil && tip.children.isEmpty)
    }

    /// A catalog Definition nested 100,000 deep (it crashed the process): the geodatabase opens or
    /// fails with an error, in process.
    @Test func aGeodatabaseWithADeepDefinitionDoesNotCrash() throws {
        let copy = try TestPaths.privateCopy(of: "mobilegdb/LA_Trails.geodatabase")
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let open = "replace(hex(zeroblob(100000)), '00', '<a>')"
        let close = "replace(hex(zeroblob(100000)), '00', '</a>')"
        try MGDB.sqlite3(copy, "UPDATE GDB_Items SET Definition = \(open) || \(close) WHERE Definition IS NOT NULL")
        #expect(try MGDB.sqlite3(copy, "SELECT max(length(Definition)) FROM GDB_Items").trimmingCharacters(in: .whitespacesAndNewlines) == "700000")
        do {
            _ = try MobileGeodatabaseSource(url: copy)
        } catch let error as ReplicaExportError {
            #expect(!error.message.isEmpty)
        }
    }

    @Test func aBlobPointCountTheBytesCannotBackIsRefusedBeforeAllocating() throws {
        var blob = BlobMaker.blob(kind: 2, entity: 2, points: [(1, 2), (3, 4)])
        blob[4] = 0xFF; blob[5] = 0xFF; blob[6] = 0xFF; blob[7] = 0xFF
        do {
            _ = try ShapeBlob.decode(blob, grid: BlobMaker.grid)
            Issue.record("a blob claiming 2^32 - 1 points decoded")
        } catch let error as ReplicaExportError {
            #expect(error.code == .corrupt || error.code == .truncated, "\(error)")
        }
    }

    /// Varints pack a vertex in two bytes; decoded and copied by the writers it takes a hundred
    /// times that. A blob of 100,000 real points on a machine (a budget) too small for it is refused
    /// with `tooLarge`, naming the table and row, before it is decoded.
    @Test func aBlobTooLargeForTheMemoryBudgetIsAClearError() throws {
        let copy = try TestPaths.privateCopy(of: "mobilegdb/LA_Trails.geodatabase")
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        var points: [(Int64, Int64)] = []
        for i in 0..<Int64(100_000) { points.append((8_000_000_000 + i % 1000, 4_000_000_000 + i / 1000)) }
        let blob = BlobMaker.blob(kind: 2, entity: 0x42, points: points)
        do {
            let db = try SQLiteConnection(readWrite: copy, create: false)
            for trigger in try db.rows("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'Trailheads'", { $0.text(0) ?? "" }) {
                try db.execute("DROP TRIGGER \(SQLName.quote(trigger))")
            }
            let update = try db.prepare("UPDATE Trailheads SET Shape = ? WHERE OBJECTID_1 = (SELECT min(OBJECTID_1) FROM Trailheads)")
            try update.bind(blob, at: 1)
            _ = try update.step()
        }
        let output = copy.deletingLastPathComponent().appendingPathComponent("out")
        let result = try Processes.run(Processes.replicaExport, ["convert", copy.path, "--format", "csv", "--output", output.path],
                                       environment: ["REPLICA_EXPORT_MEMORY_MB": "20"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("replica-export: error: [tooLarge]"), "\(result.stderr)")
        #expect(result.stderr.contains("a geometry of 100000 points"), "\(result.stderr)")
        #expect(result.stderr.contains("Trailheads"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    /// A Bezier whose uniform (Wang) bound exceeds the vertex cap takes the cap's equal steps at once
    /// instead of searching its way there.
    @Test func anAbsurdBezierIsDensifiedWithinTheCapWithoutSearching() throws {
        var densifier = Densifier(maxDeviation: 0.01)
        densifier.maxVerticesPerCurve = 1000
        let curve = try ResolvedCurve.resolve(start: XY(x: 0, y: 0), end: XY(x: 10, y: 0),
                                              kind: .bezier(control1: XY(x: 5, y: 1e150), control2: XY(x: 6, y: 0)))
        let ts = densifier.parameters(for: curve)
        #expect(ts.count == 1000)
        #expect(ts.enumerated().allSatisfy { abs($0.element - Double($0.offset) / 999) < 1e-12 })

        // An ordinary Bezier still gets the adaptive, much shorter split.
        let ordinary = try ResolvedCurve.resolve(start: XY(x: 0, y: 0), end: XY(x: 10, y: 0),
                                                 kind: .bezier(control1: XY(x: 3, y: 5), control2: XY(x: 7, y: 5)))
        #expect(densifier.parameters(for: ordinary).count < 100)
    }

    @Test func aBezierTooFarToComputeWithIsAnInvalidCurve() {
        #expect(throws: ReplicaExportError.self) {
            _ = try ResolvedCurve.resolve(start: XY(x: 0, y: 0), end: XY(x: 10, y: 0),
                                          kind: .bezier(control1: XY(x: 5, y: 1e308), control2: XY(x: 6, y: 0)))
        }
    }
}
