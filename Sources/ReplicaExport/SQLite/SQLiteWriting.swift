import CSQLite
import Foundation

// The write side of the SQLite layer (see SQLite.swift): what a database this library writes needs
// beyond preparing and stepping statements. Like the rest of SQLite/, the only code that calls
// SQLite's C API for it.

extension SQLiteConnection {
    /// The rowid of the last row inserted on this connection.
    ///
    /// Calls `sqlite3_last_insert_rowid`.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Registers `ICUFOLDCASE`, the collation of ArcGIS's index on `GDB_Items.Name`, so that rows
    /// can be written through that index: names compared after Unicode lower-casing, in UTF-16
    /// code unit order, as ICU's case-insensitive comparison orders them. It orders every name
    /// made of ASCII letters, digits and punctuation exactly as ICU does; for other scripts ICU's
    /// full case folding can differ from lower-casing in a few characters (`ß`).
    ///
    /// Calls `sqlite3_create_collation_v2`.
    func registerFoldCaseCollation() throws {
        let rc = sqlite3_create_collation_v2(handle, "ICUFOLDCASE", SQLITE_UTF8, nil, { _, n1, p1, n2, p2 in
            func text(_ p: UnsafeRawPointer?, _ n: Int32) -> String {
                guard let p, n > 0 else { return "" }
                return String(decoding: UnsafeRawBufferPointer(start: p, count: Int(n)), as: UTF8.self)
            }
            let a = text(p1, n1), b = text(p2, n2)
            // ASCII on both sides (every catalog name ArcGIS makes): no allocation.
            if a.utf8.allSatisfy({ $0 < 0x80 }) && b.utf8.allSatisfy({ $0 < 0x80 }) {
                return sqlite3_strnicmp(a, b, Int32.max)
            }
            let x = Array(a.lowercased().utf16), y = Array(b.lowercased().utf16)
            for (u, v) in zip(x, y) where u != v { return u < v ? -1 : 1 }
            return x.count < y.count ? -1 : (x.count > y.count ? 1 : 0)
        }, nil)
        if rc != SQLITE_OK { throw error(rc, sql: "sqlite3_create_collation_v2(ICUFOLDCASE)") }
    }

    /// Registers an SQL function of `argumentCount` arguments that returns an integer computed by
    /// `body` from its arguments alone (deterministic, so SQLite may evaluate it once per row of a
    /// sort), callable only from top-level SQL (`SQLITE_DIRECTONLY`: never from a schema object
    /// such as a trigger or view, where a file written here must not depend on it). `body` lives as
    /// long as the registration: until the connection closes or the name is registered again.
    ///
    /// Calls `sqlite3_create_function_v2` (its destructor releases `body`); each call of the
    /// function calls `sqlite3_user_data` and `sqlite3_result_int64`.
    func registerDeterministicFunction(_ name: String, argumentCount: Int,
                                       _ body: @escaping (SQLiteFunctionArguments) -> Int64) throws {
        let box = Unmanaged.passRetained(IntegerFunctionBox(body)).toOpaque()
        let rc = sqlite3_create_function_v2(
            handle, name, Int32(argumentCount), SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, box,
            { context, count, values in
                let function = Unmanaged<IntegerFunctionBox>.fromOpaque(sqlite3_user_data(context)).takeUnretainedValue()
                sqlite3_result_int64(context, function.body(SQLiteFunctionArguments(values: values, count: Int(count))))
            },
            nil, nil,
            { box in box.map { Unmanaged<IntegerFunctionBox>.fromOpaque($0).release() } })
        // On failure SQLite has already called the destructor, which released the box.
        if rc != SQLITE_OK { throw error(rc, sql: "sqlite3_create_function_v2(\(name))") }
    }

    /// Enters a schema object into `sqlite_master` as it is, without running its statement: for
    /// virtual tables of modules this process does not have (Esri's `VSRS`, `VTSpindex`), which
    /// SQLite cannot create but reads as any other entry (the module is needed only when the table
    /// is used). Call it last, when nothing more is written through this connection: the
    /// connection's own copy of the schema no longer matches the file.
    ///
    /// Calls `sqlite3_exec` (`PRAGMA writable_schema`) and the statement functions.
    func insertSchemaEntry(type: String, name: String, tableName: String, sql: String) throws {
        try execute("PRAGMA writable_schema = ON")
        defer { try? execute("PRAGMA writable_schema = OFF") }
        let insert = try prepare("INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES (?, ?, ?, 0, ?)")
        try insert.bind(type, at: 1)
        try insert.bind(name, at: 2)
        try insert.bind(tableName, at: 3)
        try insert.bind(sql, at: 4)
        _ = try insert.step()
    }
}

extension SQLiteStatement {
    /// Binds a blob of `length` zero bytes, to be filled afterwards through an ``SQLiteBlob`` without
    /// ever holding the whole value in memory.
    ///
    /// Calls `sqlite3_bind_zeroblob64`.
    func bindZeroBlob(length: Int64, at index: Int32) throws {
        let rc = sqlite3_bind_zeroblob64(handle, index, sqlite3_uint64(max(0, length)))
        if rc != SQLITE_OK { throw connection.error(rc, sql: sql) }
    }

    /// Binds a double, or NULL for nil.
    func bind(_ value: Double?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    /// Binds an integer, or NULL for nil.
    func bind(_ value: Int64?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    /// Binds a text, or NULL for nil.
    func bind(_ value: String?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    /// Steps a statement that returns no row, then resets it and clears its bindings for the next.
    ///
    /// Calls `sqlite3_step`, `sqlite3_reset` and `sqlite3_clear_bindings`.
    func run() throws {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        _ = try step()
    }
}

/// The arguments of one call of a function registered with
/// ``SQLiteConnection/registerDeterministicFunction(_:argumentCount:_:)``, valid only during that call.
struct SQLiteFunctionArguments {
    fileprivate let values: UnsafeMutablePointer<OpaquePointer?>?
    /// How many arguments the call has.
    let count: Int

    /// The argument at `index` (zero-based) as a double: NULL is 0, text is parsed as SQLite's
    /// `CAST(... AS REAL)` does.
    ///
    /// Calls `sqlite3_value_double`.
    func double(_ index: Int) -> Double {
        precondition(index >= 0 && index < count, "argument \(index) of \(count)")
        return sqlite3_value_double(values?[index])
    }
}

/// A registered function's body, kept alive by SQLite's reference to it.
private final class IntegerFunctionBox {
    let body: (SQLiteFunctionArguments) -> Int64
    init(_ body: @escaping (SQLiteFunctionArguments) -> Int64) { self.body = body }
}

/// An open blob of one row, written in pieces (incremental blob I/O): a large value goes into the
/// file through a small buffer.
final class SQLiteBlob {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection
    private let what: String

    /// Opens `column` of the row `rowid` of `table` for writing.
    ///
    /// Calls `sqlite3_blob_open`.
    init(connection: SQLiteConnection, table: String, column: String, rowid: Int64) throws {
        var blob: OpaquePointer?
        let rc = sqlite3_blob_open(connection.handle, "main", table, column, rowid, 1, &blob)
        what = "blob \(table).\(column) of row \(rowid)"
        guard rc == SQLITE_OK, let blob else {
            throw connection.error(rc, sql: what)
        }
        handle = blob
        self.connection = connection
    }

    /// Calls `sqlite3_blob_close`.
    deinit { sqlite3_blob_close(handle) }

    /// Writes `bytes` at `offset` (within the blob's length, fixed when the row was written).
    ///
    /// Calls `sqlite3_blob_write`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let rc = sqlite3_blob_write(handle, base, Int32(bytes.count), Int32(offset))
        if rc != SQLITE_OK { throw connection.error(rc, sql: what) }
    }
}
