import Foundation
import Testing
@testable import ReplicaExport

/// The SQLite wrapper on databases it creates: binding and reading every storage class, transactions,
/// and errors that keep SQLite's extended result code and the statement. Result codes are written as
/// numbers because only the wrapper may see SQLite's C API.
@Suite struct SQLiteTests {
    /// A new database file in its own temporary directory.
    static func newDatabase(_ label: String) throws -> (directory: URL, file: URL) {
        let directory = try TestPaths.makeTemporaryDirectory("sqlite-\(label)")
        return (directory, directory.appendingPathComponent("test.sqlite"))
    }

    static func count(_ db: SQLiteConnection, _ table: String) throws -> Int64 {
        try db.rows("SELECT count(*) FROM \(table)") { $0.int64(0) }[0]
    }

    struct Planned: Error {}

    static let createTable = "CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, d REAL, s TEXT, b BLOB)"
    static let insert = "INSERT INTO t (id, i, d, s, b) VALUES (?1, ?2, ?3, ?4, ?5)"

    @Test func everyTypeRoundTripsThroughBoundValuesInATransaction() throws {
        let (directory, file) = try Self.newDatabase("types")
        defer { try? FileManager.default.removeItem(at: directory) }
        struct Row: Equatable {
            var i: Int64?, d: Double?, s: String?, b: [UInt8]?
        }
        let rows = [
            Row(i: Int64.min, d: -0.5, s: "", b: []),
            Row(i: Int64.max, d: .greatestFiniteMagnitude, s: "Zürich, 東京, 🌍", b: [0, 0, 0]),
            Row(i: 0, d: 1e-300, s: "before\u{0}after", b: [0x00, 0xFF, 0x00, 0x41]),
            Row(i: nil, d: nil, s: nil, b: nil),
        ]
        do {
            let db = try SQLiteConnection(readWrite: file)
            try db.execute(Self.createTable)
            try db.transaction {
                let stmt = try db.prepare(Self.insert)
                for (n, row) in rows.enumerated() {
                    try stmt.bind(Int64(n + 1), at: 1)
                    if let i = row.i { try stmt.bind(i, at: 2) } else { try stmt.bindNull(at: 2) }
                    if let d = row.d { try stmt.bind(d, at: 3) } else { try stmt.bindNull(at: 3) }
                    if let s = row.s { try stmt.bind(s, at: 4) } else { try stmt.bindNull(at: 4) }
                    if let b = row.b { try stmt.bind(b, at: 5) } else { try stmt.bindNull(at: 5) }
                    #expect(try stmt.step() == false)
                    stmt.reset()
                }
            }
        }
        // Read back through a fresh read-only connection: the rows were committed to the file.
        let db = try SQLiteConnection(readOnlyImmutable: file)
        let back = try db.rows("SELECT i, d, s, b FROM t ORDER BY id") { s in
            Row(i: s.isNull(0) ? nil : s.int64(0), d: s.isNull(1) ? nil : s.double(1),
                s: s.text(2), b: s.isNull(3) ? nil : s.bytes(3))
        }
        #expect(back == rows)
        let types = try db.rows("SELECT i, d, s, b FROM t ORDER BY id") { s in (0..<4).map { s.type($0) } }
        #expect(types[0] == [.integer, .float, .text, .blob])  // the empty blob and text are not NULL
        #expect(types[3] == [.null, .null, .null, .null])
        // Every byte was stored, the NUL and what follows it included.
        #expect(try db.rows("SELECT length(CAST(s AS BLOB)), length(b) FROM t WHERE id = 3") { [$0.int64(0), $0.int64(1)] } == [[12, 4]])
    }

    @Test func aThrownErrorRollsTheTransactionBack() throws {
        let (directory, file) = try Self.newDatabase("rollback")
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = try SQLiteConnection(readWrite: file)
        try db.execute(Self.createTable)
        try db.execute("INSERT INTO t (id, s) VALUES (1, 'kept')")
        #expect(throws: Planned.self) {
            try db.transaction {
                try db.execute("INSERT INTO t (id, s) VALUES (2, 'undone')")
                try db.execute("DELETE FROM t WHERE id = 1")
                throw Planned()
            }
        }
        #expect(try db.rows("SELECT id, s FROM t") { "\($0.int64(0)) \($0.text(1) ?? "")" } == ["1 kept"])

        // A statement failing inside the transaction undoes the earlier ones too, and its error
        // keeps the extended code (SQLITE_CONSTRAINT_PRIMARYKEY = 1555, not just SQLITE_CONSTRAINT = 19).
        let error = try #require(throws: ReplicaExportError.self) {
            try db.transaction {
                try db.execute("INSERT INTO t (id, s) VALUES (3, 'undone')")
                let stmt = try db.prepare(Self.insert)
                try stmt.bind(Int64(1), at: 1)
                for i in Int32(2)...5 { try stmt.bindNull(at: i) }
                _ = try stmt.step()
            }
        }
        let cause = try #require(error.cause as? SQLiteError)
        #expect(cause.extendedResultCode == 1555 && cause.resultCode == 19)
        #expect(cause.sql == Self.insert)
        #expect(error.location.output == file.path && error.location.input == nil)
        #expect(try Self.count(db, "t") == 1)

        // No transaction was left open: a new one begins and commits.
        try db.transaction { try db.execute("INSERT INTO t (id) VALUES (4)") }
        #expect(try Self.count(db, "t") == 2)
    }

    @Test func badSQLThrowsWithTheExtendedCodeAndTheStatement() throws {
        let (directory, file) = try Self.newDatabase("bad-sql")
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = try SQLiteConnection(readWrite: file)
        for (sql, run) in [
            ("CREATE TABLE (", { try db.execute("CREATE TABLE (") }),
            ("SELEC 1", { _ = try db.prepare("SELEC 1") }),
            ("SELECT * FROM missing", { _ = try db.rows("SELECT * FROM missing") { _ in () } }),
        ] as [(String, () throws -> Void)] {
            let error = try #require(throws: ReplicaExportError.self) { try run() }
            let cause = try #require(error.cause as? SQLiteError, "\(error)")
            #expect(cause.extendedResultCode == 1)  // SQLITE_ERROR
            #expect(cause.sql == sql)
            #expect(!cause.message.isEmpty)
            #expect(error.code == .invalidState)
            #expect(error.location.detail == "SQL: \(sql)")
        }

        // Bindings are one-based: index 0 is SQLITE_RANGE (25).
        try db.execute(Self.createTable)
        let stmt = try db.prepare(Self.insert)
        let range = try #require(throws: ReplicaExportError.self) { try stmt.bind(Int64(1), at: 0) }
        #expect((range.cause as? SQLiteError)?.extendedResultCode == 25)

        // The read-only opener still reports the input's errors as before.
        let reader = try SQLiteConnection(readOnlyImmutable: file)
        let readError = try #require(throws: ReplicaExportError.self) { _ = try reader.prepare("SELEC 1") }
        #expect(readError.code == .unreadable && readError.location.input == file.path)
        #expect((readError.cause as? SQLiteError)?.sql == "SELEC 1")
    }

    @Test func openingForWritingCreatesOnlyWhenAsked() throws {
        let (directory, file) = try Self.newDatabase("create")
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(throws: ReplicaExportError.self) { _ = try SQLiteConnection(readWrite: file, create: false) }
        #expect(error.code == .fileSystem && error.location.output == file.path)
        #expect((error.cause as? SQLiteError)?.resultCode == 14)  // SQLITE_CANTOPEN
        #expect(!FileManager.default.fileExists(atPath: file.path))

        // A name with URI characters stays a file name.
        let odd = directory.appendingPathComponent("a?b#c%d.sqlite")
        do {
            let db = try SQLiteConnection(readWrite: odd)
            try db.execute("CREATE TABLE t (x)")
        }
        #expect(FileManager.default.fileExists(atPath: odd.path))
        let again = try SQLiteConnection(readWrite: odd, create: false)
        #expect(try Self.count(again, "t") == 0)
    }
}
