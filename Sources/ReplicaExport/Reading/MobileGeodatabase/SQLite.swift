import CSQLite
import Foundation

// The only file of the project that talks to SQLite's C API. Each handle is its own Swift type that
// frees it in deinit; every SQLite failure becomes a `ReplicaExportError` naming the file and the SQL.

/// A read-only, immutable SQLite connection: nothing is ever written or created beside the file
/// (no journal, no `-wal` / `-shm`), whatever journal mode the file was left in.
final class SQLiteConnection {
    let handle: OpaquePointer
    /// The file's path, for error messages.
    let path: String

    init(readOnlyImmutable url: URL) throws {
        path = url.path
        let uri = "file:" + SQLiteConnection.percentEncodedPath(url.path) + "?mode=ro&immutable=1"
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nil)
        guard rc == SQLITE_OK, let db else {
            let detail = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw ReplicaExportError(.unreadable, "SQLite cannot open the file: \(detail)",
                               at: ErrorLocation(input: url.path),
                               cause: SQLiteError(extendedResultCode: rc, message: detail))
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        // Esri's catalog has an index declared with the ICU collation `ICUFOLDCASE`; we never query
        // by it, but an integrity check must be able to prepare. A plain ASCII case-folding compare
        // is enough for that (we never write, so ordering differences cannot do harm).
        sqlite3_create_collation_v2(db, "ICUFOLDCASE", SQLITE_UTF8, nil, { _, n1, p1, n2, p2 in
            let c = sqlite3_strnicmp(p1?.assumingMemoryBound(to: CChar.self),
                                     p2?.assumingMemoryBound(to: CChar.self), min(n1, n2))
            if c != 0 { return c }
            return n1 < n2 ? -1 : (n1 > n2 ? 1 : 0)
        }, nil)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Everything but unreserved characters and '/' is percent-encoded, so that '?', '#' and '%'
    /// in a user's path cannot change the URI's meaning.
    static func percentEncodedPath(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw error(rc, sql: sql)
        }
        return SQLiteStatement(handle: stmt, connection: self, sql: sql)
    }

    /// All rows of a query, each column as produced by `row`.
    func rows<T>(_ sql: String, _ row: (SQLiteStatement) throws -> T) throws -> [T] {
        let stmt = try prepare(sql)
        var out: [T] = []
        while try stmt.step() { out.append(try row(stmt)) }
        return out
    }

    /// Maps an SQLite result code to a reading error.
    func error(_ rc: Int32, sql: String?) -> ReplicaExportError {
        let message = String(cString: sqlite3_errmsg(handle))
        let primary = rc & 0xFF
        let location = ErrorLocation(input: path, detail: sql.map { "SQL: \($0)" })
        let cause = SQLiteError(extendedResultCode: rc, message: message, sql: sql)
        switch primary {
        case SQLITE_NOTADB:
            return ReplicaExportError(.corrupt, "the file is not an SQLite database (\(message)); a mobile geodatabase (.geodatabase) is an SQLite file: check that this is the right file and that it was copied completely", at: location, cause: cause)
        case SQLITE_CORRUPT:
            return ReplicaExportError(.corrupt, "the SQLite file is damaged (\(message)); it may be truncated or partly overwritten: copy it again from its source, or export it again from ArcGIS", at: location, cause: cause)
        case SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PERM:
            return ReplicaExportError(.unreadable, "the file cannot be read (\(message))", at: location, cause: cause)
        default:
            return ReplicaExportError(.unreadable, "SQLite error \(rc): \(message)", at: location, cause: cause)
        }
    }
}

/// A prepared statement. Column accessors take zero-based indexes.
final class SQLiteStatement {
    let handle: OpaquePointer
    let connection: SQLiteConnection
    let sql: String

    init(handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    enum ColumnType { case integer, float, text, blob, null }

    /// Advances to the next row; false when done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.error(rc, sql: sql)
    }

    func reset() { sqlite3_reset(handle) }

    func bind(_ index: Int32, _ value: String) throws {
        let rc = sqlite3_bind_text(handle, index, value, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        if rc != SQLITE_OK { throw connection.error(rc, sql: sql) }
    }

    var columnCount: Int32 { sqlite3_column_count(handle) }

    func columnName(_ i: Int32) -> String { String(cString: sqlite3_column_name(handle, i)) }

    func type(_ i: Int32) -> ColumnType {
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER: return .integer
        case SQLITE_FLOAT: return .float
        case SQLITE_TEXT: return .text
        case SQLITE_BLOB: return .blob
        default: return .null
        }
    }

    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }

    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }

    func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }

    func text(_ i: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, i) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, i))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// The column's bytes, valid only inside `body` (no copy).
    func withBlob<T>(_ i: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let p = sqlite3_column_blob(handle, i)
        let n = Int(sqlite3_column_bytes(handle, i))
        return try body(UnsafeRawBufferPointer(start: p, count: p == nil ? 0 : n))
    }

    func bytes(_ i: Int32) -> [UInt8] { withBlob(i) { [UInt8]($0) } }
}
