import Foundation
import Testing
@testable import ReplicaExport

/// A geodatabase is read as SQLite would read it (committed WAL content seen, a hot journal rolled
/// back), and the input's folder is left exactly as it was.
@Suite struct SnapshotReadingTests {
    /// Runs a Python sqlite3 script in `directory` (the system Python's sqlite3 module).
    static func python(_ script: String, in directory: URL) throws {
        let result = try Processes.run(URL(fileURLWithPath: "/usr/bin/python3"),
                                       ["-c", "import os; os.chdir(\(String(reflecting: directory.path)))\n" + script])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Every file of the folder with its bytes.
    static func contents(_ directory: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in TestPaths.entries(directory) {
            out[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return out
    }

    static func trailNames(_ url: URL) throws -> [String] {
        let source = try MobileGeodatabaseSource(url: url)
        let index = try #require(source.replica.layers.firstIndex { $0.name == "Trailheads" })
        let field = try #require(source.replica.layers[index].fieldIndex(named: "TRL_NAME"))
        var names: [String] = []
        try source.features(inLayer: index, batchSize: 500) { batch in
            for feature in batch {
                if case .string(let s) = feature.attributes[field] { names.append(s) } else { names.append("") }
            }
        }
        return names
    }

    @Test func aCommittedChangeStillInTheWALIsSeen() throws {
        let copy = try TestPaths.privateCopy(of: "mobilegdb/LA_Trails.geodatabase")
        let directory = copy.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The writer exits without closing: nothing checkpoints the WAL.
        try Self.python("""
            import sqlite3
            c = sqlite3.connect('LA_Trails.geodatabase', isolation_level=None)
            c.execute('PRAGMA journal_mode=WAL')
            c.execute("UPDATE Trailheads SET TRL_NAME='changed in wal' WHERE OBJECTID_1=(SELECT min(OBJECTID_1) FROM Trailheads)")
            os._exit(0)
            """, in: directory)
        let before = try Self.contents(directory)
        #expect(((before["LA_Trails.geodatabase-wal"]?.count) ?? 0) > 0)

        let names = try Self.trailNames(copy)
        #expect(names.contains("changed in wal"))
        #expect(try Self.contents(directory) == before)
    }

    @Test func aHotJournalLeftByAKilledWriterIsRolledBack() throws {
        let original = try Self.trailNames(TestPaths.testData("mobilegdb/LA_Trails.geodatabase"))
        let copy = try TestPaths.privateCopy(of: "mobilegdb/LA_Trails.geodatabase")
        let directory = copy.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A tiny cache makes SQLite write changed pages into the file before the commit; the
        // process dies mid-transaction and leaves the journal hot.
        try Self.python("""
            import sqlite3
            c = sqlite3.connect('LA_Trails.geodatabase', isolation_level=None)
            c.execute('PRAGMA cache_size=2')
            c.execute('BEGIN')
            c.execute("UPDATE Trailheads SET TRL_NAME=hex(randomblob(40)), PARK_NAME=hex(randomblob(40)), FEATURE_ID=hex(randomblob(40))")
            os._exit(0)
            """, in: directory)
        let before = try Self.contents(directory)
        #expect(((before["LA_Trails.geodatabase-journal"]?.count) ?? 0) > 0)
        #expect(before["LA_Trails.geodatabase"] != (try Data(contentsOf: TestPaths.testData("mobilegdb/LA_Trails.geodatabase"))))

        #expect(try Self.trailNames(copy) == original)
        #expect(try Self.contents(directory) == before)
    }

    @Test func theSnapshotIsRemovedWhenTheSourceCloses() throws {
        let copy = try TestPaths.privateCopy(of: "mobilegdb/LA_Trails.geodatabase")
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        try Self.python("""
            import sqlite3
            c = sqlite3.connect('LA_Trails.geodatabase', isolation_level=None)
            c.execute('PRAGMA journal_mode=WAL')
            c.execute("UPDATE Trailheads SET TRL_NAME='x' WHERE OBJECTID_1=1")
            os._exit(0)
            """, in: copy.deletingLastPathComponent())
        var connection: SQLiteConnection? = try SQLiteConnection.openInput(copy)
        let snapshot = try #require(connection?.snapshotDirectory)
        #expect(FileManager.default.fileExists(atPath: snapshot.path))
        connection = nil
        #expect(!FileManager.default.fileExists(atPath: snapshot.path))
        // Without a -wal or -journal the file is read in place.
        let plain = try SQLiteConnection.openInput(TestPaths.testData("mobilegdb/LA_Trails.geodatabase"))
        #expect(plain.snapshotDirectory == nil)
    }
}
