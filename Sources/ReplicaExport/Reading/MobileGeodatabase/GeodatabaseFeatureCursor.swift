/// A cursor over one layer's table: its own prepared statement, left between steps, so that SQLite
/// reads no further than the batch asked for. Only current rows of an archive table are selected.
final class GeodatabaseFeatureCursor: FeatureCursor {
    private let file: String
    private let plan: LayerPlan
    private let layerName: String
    private let batchSize: Int
    /// nil once the cursor has ended or failed; dropping it finalizes the statement at once.
    private var statement: SQLiteStatement?
    private let oidIndex: Int?
    /// The shape column comes after the attribute columns.
    private let shapeIndex: Int32
    private var row = 0
    /// Awaited when the table has been read to its end.
    private let integrity: IntegrityCheck?

    init(connection: SQLiteConnection, file: String, plan: LayerPlan, layerName: String, batchSize: Int,
         integrity: IntegrityCheck? = nil) throws {
        self.integrity = integrity
        self.file = file
        self.plan = plan
        self.layerName = layerName
        self.batchSize = max(1, batchSize)
        var selected = plan.columns.map { SQLName.quote($0.name) }
        if let s = plan.shapeColumn { selected.append(SQLName.quote(s)) }
        if selected.isEmpty { selected.append("NULL") }
        var sql = "SELECT \(selected.joined(separator: ", ")) FROM \(SQLName.quote(plan.table))"
        if plan.isArchive { sql += " WHERE " + currentRowPredicate }
        statement = try connection.prepare(sql)
        oidIndex = plan.columns.firstIndex { $0.name == plan.oidColumn }
        shapeIndex = Int32(plan.columns.count)
    }

    func next() throws -> [Feature]? {
        guard let stmt = statement else { return nil }
        var batch: [Feature] = []
        batch.reserveCapacity(min(batchSize, 4096))
        do {
            while batch.count < batchSize {
                guard try stmt.step() else {
                    statement = nil
                    try integrity?.verdict()
                    break
                }
                batch.append(try feature(stmt))
                row += 1
            }
        } catch {
            statement = nil
            throw error
        }
        return batch.isEmpty ? nil : batch
    }

    /// The current row as a feature; an error names the row and, once its value has been read,
    /// the OBJECTID.
    private func feature(_ stmt: SQLiteStatement) throws -> Feature {
        var attributes: [Value] = []
        attributes.reserveCapacity(plan.columns.count)
        do {
            for (i, column) in plan.columns.enumerated() {
                attributes.append(try value(stmt, Int32(i), column))
            }
            var geometry: Geometry?
            if plan.shapeColumn != nil, !stmt.isNull(shapeIndex), let grid = plan.grid {
                guard stmt.type(shapeIndex) == .blob else {
                    throw ReplicaExportError(.corrupt, "the shape column holds a \(stmt.type(shapeIndex)) value, not a shape blob")
                }
                geometry = try stmt.withBlob(shapeIndex) { try ShapeBlob.decode($0, grid: grid) }.geometry
            }
            return Feature(attributes: attributes, geometry: geometry)
        } catch let error as ReplicaExportError {
            let oid = oidIndex.flatMap { $0 < attributes.count ? attributes[$0].integerValue : nil }
            throw error.located(ErrorLocation(input: file, layer: layerName, featureIndex: row, objectID: oid,
                                              detail: "table \(plan.table)"))
        }
    }

    @inline(__always)
    private func value(_ stmt: SQLiteStatement, _ i: Int32, _ column: ColumnPlan) throws -> Value {
        let type = stmt.type(i)
        if type == .null { return .null }
        func mismatch(_ what: String) -> ReplicaExportError {
            ReplicaExportError(.schemaMismatch, "column '\(column.name)' holds \(what), which does not fit its declared type (\(column.storage))",
                         at: ErrorLocation(field: column.name))
        }
        func integer() throws -> Int64 {
            switch type {
            case .integer: return stmt.int64(i)
            case .float:
                let d = stmt.double(i)
                guard let v = Int64(exactly: d) else { throw mismatch("the real number \(d)") }
                return v
            default: throw mismatch("a \(type) value")
            }
        }
        switch column.storage {
        case .int16:
            let v = try integer()
            guard let x = Int16(exactly: v) else { throw mismatch("\(v), out of 16-bit range") }
            return .int16(x)
        case .int32:
            let v = try integer()
            guard let x = Int32(exactly: v) else { throw mismatch("\(v), out of 32-bit range") }
            return .int32(x)
        case .int64:
            return .int64(try integer())
        case .float32, .float64:
            guard type == .integer || type == .float else { throw mismatch("a \(type) value") }
            let d = stmt.double(i)
            return column.storage == .float32 ? .float32(Float(d)) : .float64(d)
        case .string:
            switch type {
            case .text: return .string(stmt.text(i) ?? "")
            case .integer: return .string(String(stmt.int64(i)))
            case .float: return .string(String(stmt.double(i)))
            default: return .string(String(decoding: stmt.bytes(i), as: UTF8.self))
            }
        case .guid:
            guard type == .text else { throw mismatch("a \(type) value") }
            return .guid(stmt.text(i) ?? "")
        case .date:
            guard type == .float || type == .integer else { throw mismatch("a \(type) value") }
            return .date(milliseconds: julianDayToUnixMilliseconds(stmt.double(i)))
        case .blob:
            return .blob(stmt.bytes(i))
        default:
            throw mismatch("a value of a kind this reader does not produce")
        }
    }
}
