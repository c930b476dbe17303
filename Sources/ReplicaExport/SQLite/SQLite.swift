import CSQLite
import Foundation

// The only file of the project that talks to SQLite's C API. Each handle is its own Swift type that
// frees it in deinit; every SQLite failure becomes a `ReplicaExportError` naming the file and the SQL,
// with SQLite's extended result code in an `SQLiteError` cause.

/// An SQLite connection: either read-only and immutable (an input: a mobile geodatabase is never
/// changed, nor anything created beside it), or read-write (a database this library writes).
package final class SQLiteConnection {
    /// How the file was opened; it decides what a failure means (see ``error(_:sql:message:)``).
    enum Access {
        /// An input: read-only, immutable, failures are the input's.
        case readOnlyImmutable
        /// A database this library writes: failures are the output's.
        case readWrite
    }

    let handle: OpaquePointer
    /// The file's path, for error messages.
    let path: String
    let access: Access
    /// The private copy opened instead of an input that has a `-wal` or `-journal` beside it;
    /// removed when the connection closes.
    private(set) var snapshotDirectory: URL?

    /// Opens an input database as SQLite itself would read it, without changing anything beside it.
    ///
    /// A file alone is opened in place, read-only and immutable (``init(readOnlyImmutable:)``). A
    /// file with a non-empty `-wal` (committed changes not yet checkpointed) or `-journal` (a hot
    /// journal a killed writer left, which SQLite rolls back) is copied with those files into a
    /// private temporary directory, and the copy is opened normally, so that SQLite applies the
    /// WAL or rolls the journal back there; the input's folder is never written to. The copy is a
    /// snapshot: a writer still active while it is taken may leave the copy a transaction behind.
    ///
    /// Calls `sqlite3_open_v2` (read-write on the private copy, since a rollback writes).
    static func openInput(_ url: URL) throws -> SQLiteConnection {
        let sidecars = ["-wal", "-journal"].map { URL(fileURLWithPath: url.path + $0) }.filter { sidecar in
            ((try? FileManager.default.attributesOfItem(atPath: sidecar.path)[.size] as? Int) ?? 0) > 0
        }
        guard !sidecars.isEmpty else { return try SQLiteConnection(readOnlyImmutable: url) }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("replica-export-snapshot-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o700])
            let copy = directory.appendingPathComponent(url.lastPathComponent)
            try FileManager.default.copyItem(at: url, to: copy)
            for sidecar in sidecars {
                try FileManager.default.copyItem(at: sidecar, to: URL(fileURLWithPath: copy.path + sidecar.path.dropFirst(url.path.count)))
            }
            let connection = try SQLiteConnection(snapshot: copy, of: url)
            connection.snapshotDirectory = directory
            return connection
        } catch let error as ReplicaExportError {
            try? FileManager.default.removeItem(at: directory)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw ReplicaExportError(.unreadable,
                "the geodatabase has a -wal or -journal file beside it and copying it to read a consistent snapshot failed: \(error.localizedDescription); free space in the temporary directory or let the writer finish",
                at: ErrorLocation(input: url.path))
        }
    }

    /// Opens a private copy of `input` read-write (see ``openInput(_:)``); errors name the input.
    private init(snapshot copy: URL, of input: URL) throws {
        path = input.path
        access = .readOnlyImmutable
        let uri = "file:" + SQLiteConnection.percentEncodedPath(copy.path) + "?mode=rw"
        handle = try Self.open(uri, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, failure: { detail, cause in
            ReplicaExportError(.unreadable, "SQLite cannot open the file: \(detail)", at: ErrorLocation(input: input.path),
                               cause: cause)
        })
        Self.registerCollation(handle)
    }

    /// Opens `url` read-only and immutable: nothing is ever written or created beside the file
    /// (no journal, no `-wal` / `-shm`), whatever journal mode the file was left in.
    ///
    /// Inputs are opened `SQLITE_OPEN_NOMUTEX`: an input connection is used by one thread at a
    /// time (the catalog by the opening thread, then features by the export's reader thread), so
    /// SQLite's serialized mode, a mutex taken and released in every `sqlite3_column_*` call, was
    /// pure cost (about a tenth of reading a large geodatabase).
    ///
    /// Calls `sqlite3_open_v2` with a `file:` URI (`mode=ro&immutable=1`), then
    /// `sqlite3_extended_result_codes` and `sqlite3_create_collation_v2`.
    init(readOnlyImmutable url: URL) throws {
        path = url.path
        access = .readOnlyImmutable
        let uri = "file:" + SQLiteConnection.percentEncodedPath(url.path) + "?mode=ro&immutable=1"
        let db = try Self.open(uri, flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, failure: { detail, cause in
            ReplicaExportError(.unreadable, "SQLite cannot open the file: \(detail)", at: ErrorLocation(input: url.path),
                               cause: cause)
        })
        handle = db
        Self.registerCollation(db)
    }

    /// Calls `sqlite3_create_collation_v2`. Esri's catalog has an index declared with the ICU
    /// collation `ICUFOLDCASE`; we never query by it, but an integrity check must be able to
    /// prepare. A plain ASCII case-folding compare is enough for that (inputs are never written,
    /// and a snapshot's rollback restores pages without comparing keys).
    private static func registerCollation(_ db: OpaquePointer) {
        sqlite3_create_collation_v2(db, "ICUFOLDCASE", SQLITE_UTF8, nil, { _, n1, p1, n2, p2 in
            let c = sqlite3_strnicmp(p1?.assumingMemoryBound(to: CChar.self),
                                     p2?.assumingMemoryBound(to: CChar.self), min(n1, n2))
            if c != 0 { return c }
            return n1 < n2 ? -1 : (n1 > n2 ? 1 : 0)
        }, nil)
    }

    /// Opens `url` for reading and writing; with `create` (the default) a missing file becomes a new,
    /// empty database. Errors name the file `reportedAs` where given: the place a file written
    /// under a temporary name will have. No `ICUFOLDCASE` stand-in is registered here: writing
    /// through an index ordered by a different collation than Esri's would corrupt that index.
    ///
    /// Calls `sqlite3_open_v2` with a `file:` URI (`mode=rwc` or `mode=rw`), then
    /// `sqlite3_extended_result_codes`.
    package init(readWrite url: URL, create: Bool = true, reportedAs: String? = nil) throws {
        path = reportedAs ?? url.path
        access = .readWrite
        // A URI with the path percent-encoded, so that '?' or '#' in a file name stay part of it.
        let uri = "file:" + SQLiteConnection.percentEncodedPath(url.path) + (create ? "?mode=rwc" : "?mode=rw")
        // One connection, one thread at a time (as for inputs): no mutex taken per call.
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX
        if create { flags |= SQLITE_OPEN_CREATE }
        handle = try Self.open(uri, flags: flags, failure: { detail, cause in
            ReplicaExportError(.fileSystem, "SQLite cannot open the file for writing: \(detail)",
                               at: ErrorLocation(output: reportedAs ?? url.path), cause: cause)
        })
    }

    /// Calls `sqlite3_open_v2`, then `sqlite3_extended_result_codes` on success; on failure closes
    /// what SQLite may have allocated (`sqlite3_close_v2`) and throws `failure`'s error.
    private static func open(_ uri: String, flags: Int32,
                             failure: (String, SQLiteError) -> ReplicaExportError) throws -> OpaquePointer {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(uri, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let code = db.map { sqlite3_extended_errcode($0) } ?? rc
            let detail = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw failure(detail, SQLiteError(extendedResultCode: code, message: detail))
        }
        sqlite3_extended_result_codes(db, 1)
        return db
    }

    /// Calls `sqlite3_close_v2`, which also rolls back a transaction left open; a snapshot's
    /// private copy is removed.
    deinit {
        sqlite3_close_v2(handle)
        if let snapshotDirectory { try? FileManager.default.removeItem(at: snapshotDirectory) }
    }

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

    /// Compiles one statement.
    ///
    /// Calls `sqlite3_prepare_v2`.
    package func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw error(rc, sql: sql)
        }
        return SQLiteStatement(handle: stmt, connection: self, sql: sql)
    }

    /// Runs `sql`, which may hold several statements; rows they return are discarded. For DDL,
    /// pragmas and transaction control.
    ///
    /// Calls `sqlite3_exec` (and `sqlite3_free` on its message).
    package func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        let text = message.map { String(cString: $0) }
        sqlite3_free(message)
        if rc != SQLITE_OK { throw error(rc, sql: sql, message: text) }
    }

    /// Runs `body` inside `BEGIN` ... `COMMIT`. When `body` throws, or `COMMIT` fails, the
    /// transaction is rolled back and the error rethrown.
    ///
    /// Calls `sqlite3_exec` and `sqlite3_get_autocommit`.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // SQLite may already have rolled back on its own (some errors do, see "Response To
            // Errors Within A Transaction"); only a transaction still open needs it. A failed
            // ROLLBACK would hide the error that caused it, so that one is the error thrown.
            if sqlite3_get_autocommit(handle) == 0 { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// All rows of a query, each column as produced by `row`.
    package func rows<T>(_ sql: String, _ row: (SQLiteStatement) throws -> T) throws -> [T] {
        let stmt = try prepare(sql)
        var out: [T] = []
        while try stmt.step() { out.append(try row(stmt)) }
        return out
    }

    /// Maps an SQLite result code to a ``ReplicaExportError`` whose cause keeps the extended code,
    /// SQLite's message (`message`, else the connection's current one) and the statement.
    ///
    /// Calls `sqlite3_errmsg`.
    func error(_ rc: Int32, sql: String?, message: String? = nil) -> ReplicaExportError {
        let message = message ?? String(cString: sqlite3_errmsg(handle))
        let primary = rc & 0xFF
        let cause = SQLiteError(extendedResultCode: rc, message: message, sql: sql)
        switch access {
        case .readOnlyImmutable:
            let location = ErrorLocation(input: path, detail: sql.map { "SQL: \($0)" })
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
        case .readWrite:
            let location = ErrorLocation(detail: sql.map { "SQL: \($0)" }, output: path)
            switch primary {
            case SQLITE_FULL:
                // Either disk: the output's, or the one SQLite's temporary files (sorts, temporary
                // tables) go to, which is not the output's.
                return ReplicaExportError(.fileSystem, "writing the SQLite file failed (\(message)): the disk of the output, or of SQLite's temporary files (the folder SQLITE_TMPDIR names, else TMPDIR, else /var/tmp), is full; free space there, or point SQLITE_TMPDIR at a folder with room", at: location, cause: cause)
            case SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY, SQLITE_NOTADB,
                 SQLITE_CORRUPT, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOLFS:
                // The file or the file system refused: the output is at fault.
                return ReplicaExportError(.fileSystem, "writing the SQLite file failed (\(message))", at: location, cause: cause)
            default:
                // The statement itself is wrong for this database: the library's SQL or values.
                return ReplicaExportError(.invalidState, "SQLite refused a statement (error \(rc): \(message))", at: location, cause: cause)
            }
        }
    }
}

/// A prepared statement. Column accessors take zero-based indexes, bindings one-based ones, as
/// SQLite does.
package final class SQLiteStatement {
    let handle: OpaquePointer
    let connection: SQLiteConnection
    let sql: String

    init(handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    /// Calls `sqlite3_finalize`.
    deinit { sqlite3_finalize(handle) }

    enum ColumnType { case integer, float, text, blob, null }

    /// Advances to the next row; false when done.
    ///
    /// Calls `sqlite3_step`.
    package func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.error(rc, sql: sql)
    }

    /// Rewinds the statement so that it can be stepped again; bindings keep their values.
    /// Its result only repeats the error of the last ``step()``, which that call already threw.
    ///
    /// Calls `sqlite3_reset`.
    package func reset() { sqlite3_reset(handle) }

    // MARK: Binding

    /// SQLite copies the bytes before the bind call returns (the C macro `SQLITE_TRANSIENT`,
    /// which does not import into Swift).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func check(_ rc: Int32) throws {
        if rc != SQLITE_OK { throw connection.error(rc, sql: sql) }
    }

    /// Calls `sqlite3_bind_int64`.
    package func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    /// Calls `sqlite3_bind_double`.
    package func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, value))
    }

    /// Binds the string's UTF-8 bytes, all of them (a NUL inside does not cut it short).
    ///
    /// Calls `sqlite3_bind_text64`.
    package func bind(_ value: String, at index: Int32) throws {
        func bindText(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
            // A null pointer would bind NULL, not an empty text.
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                return sqlite3_bind_text64(handle, index, "", 0, Self.transient, UInt8(SQLITE_UTF8))
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text64(handle, index, $0, UInt64(bytes.count), Self.transient, UInt8(SQLITE_UTF8))
            }
        }
        let rc = value.utf8.withContiguousStorageIfAvailable(bindText)
            ?? Array(value.utf8).withUnsafeBufferPointer(bindText)
        try check(rc)
    }

    /// Binds the bytes as a blob; an empty array is an empty blob, not NULL.
    ///
    /// Calls `sqlite3_bind_blob64`, or `sqlite3_bind_zeroblob` for no bytes (a null pointer would
    /// bind NULL).
    package func bind(_ value: [UInt8], at index: Int32) throws {
        let rc = value.withUnsafeBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                return sqlite3_bind_zeroblob(handle, index, 0)
            }
            return sqlite3_bind_blob64(handle, index, base, UInt64(bytes.count), Self.transient)
        }
        try check(rc)
    }

    /// Calls `sqlite3_bind_null`.
    package func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    // MARK: Columns

    /// Calls `sqlite3_column_count`.
    var columnCount: Int32 { sqlite3_column_count(handle) }

    /// Calls `sqlite3_column_name`.
    func columnName(_ i: Int32) -> String { String(cString: sqlite3_column_name(handle, i)) }

    /// Calls `sqlite3_column_type`.
    func type(_ i: Int32) -> ColumnType {
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER: return .integer
        case SQLITE_FLOAT: return .float
        case SQLITE_TEXT: return .text
        case SQLITE_BLOB: return .blob
        default: return .null
        }
    }

    /// Calls `sqlite3_column_type`.
    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }

    /// Calls `sqlite3_column_int64`.
    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }

    /// Calls `sqlite3_column_double`.
    func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }

    /// nil for NULL. All the bytes, NULs included.
    ///
    /// Calls `sqlite3_column_text` and `sqlite3_column_bytes`.
    package func text(_ i: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, i) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, i))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// The column's bytes, valid only inside `body` (no copy).
    ///
    /// Calls `sqlite3_column_blob` and `sqlite3_column_bytes`.
    func withBlob<T>(_ i: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let p = sqlite3_column_blob(handle, i)
        let n = Int(sqlite3_column_bytes(handle, i))
        return try body(UnsafeRawBufferPointer(start: p, count: p == nil ? 0 : n))
    }

    /// A copy of the column's bytes (see ``withBlob(_:_:)``).
    func bytes(_ i: Int32) -> [UInt8] { withBlob(i) { [UInt8]($0) } }
}
