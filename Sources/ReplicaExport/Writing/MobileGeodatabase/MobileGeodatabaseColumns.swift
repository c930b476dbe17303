import Foundation

/// How each field type becomes a column of a mobile geodatabase table, as ArcGIS Pro 2.8 declares
/// it: the declared type with its `check` constraint, the ArcSDE type code and flags of
/// GDB_ColumnRegistry. The constraints are ArcGIS's own; a value that would break one is written as
/// NULL (or corrected) and reported instead of failing the insert.
enum MobileGeodatabaseColumns {
    /// The field type a column of `type` holds in a 10.9 geodatabase, which has no DateOnly,
    /// TimeOnly or TimestampOffset (those are kept as text), no BigInteger before Pro 3.2 (kept
    /// as int64, which 10.9 readers see as a double), and no Raster outside raster catalogs (blob).
    static func storedType(_ type: FieldType) -> FieldType {
        switch type {
        case .dateOnly, .timeOnly, .timestampOffset: return .string
        case .raster: return .blob
        default: return type
        }
    }

    /// A column name as ArcGIS writes it in DDL: bare when it is a plain identifier, else in brackets.
    static func quoted(_ name: String) -> String {
        let plain = name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
            && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        return plain ? name : "[" + name.replacingOccurrences(of: "]", with: "]]") + "]"
    }

    /// The column definition: name, declared type, constraint.
    static func definition(_ field: Field, isOID: Bool) -> String {
        let n = quoted(field.name)
        if isOID { return "\(n) integer primary key not null" }
        let nullable = field.nullable && field.type != .globalID
        func typeCheck(_ sqlType: String) -> String {
            nullable ? "(typeof(\(n)) = '\(sqlType)' or typeof(\(n)) = 'null')" : "typeof(\(n)) = '\(sqlType)'"
        }
        func tail(_ check: String) -> String { nullable ? "check(\(check))" : "check(\(check)) not null" }
        /// A check of the type alone, which ArcGIS writes without parentheses around it.
        func typeOnly(_ sqlType: String) -> String {
            nullable ? "check(typeof(\(n)) = '\(sqlType)' or typeof(\(n)) = 'null')" : "check(typeof(\(n)) = '\(sqlType)') not null"
        }
        switch storedType(field.type) {
        case .smallInteger:
            return "\(n) int16 " + tail("\(typeCheck("integer")) and \(n) >= -32768 and \(n) <= 32767")
        case .integer:
            return "\(n) int32 " + tail("\(typeCheck("integer")) and \(n) >= -2147483648 and \(n) <= 2147483647")
        case .bigInteger, .objectID:
            return "\(n) int64 " + tail("\(typeCheck("integer")) and \(n) >= -9223372036854775808 and \(n) <= 9223372036854775807")
        case .single:
            return "\(n) float32 " + typeOnly("real")
        case .double:
            return "\(n) float64 " + typeOnly("real")
        case .string:
            let length = textLength(field)
            return "\(n) text(\(length)) " + tail("\(typeCheck("text")) and not length(\(n)) > \(length)")
        case .date:
            return "\(n) realdate " + tail("\(typeCheck("real")) and \(n) >= 0.0")
        case .globalID:
            return "\(n) uuidtext check(typeof(\(n)) = 'text' and length(\(n)) = 38) not null"
        case .guid:
            return nullable
                ? "\(n) uuidtext check((typeof(\(n)) = 'text' and length(\(n)) = 38) or typeof(\(n)) = 'null')"
                : "\(n) uuidtext check(typeof(\(n)) = 'text' and length(\(n)) = 38) not null"
        case .xml:
            return "\(n) xmltext " + typeOnly("text")
        case .blob, .raster, .dateOnly, .timeOnly, .timestampOffset:
            return "\(n) blob " + typeOnly("blob")
        }
    }

    /// The declared length of a text column: the field's, or SQLite's largest for none.
    static func textLength(_ field: Field) -> Int {
        if let length = field.length, length > 0, length < Int(Int32.max) { return length }
        return Int(Int32.max)
    }

    /// GDB_ColumnRegistry's `(sde_type, column_size, decimal_digits, object_flags)` of a field.
    static func registry(_ field: Field, isOID: Bool) -> (sde: Int64, size: Int64?, digits: Int64?, flags: Int64) {
        let nullableFlag: Int64 = field.nullable ? 4 : 0
        if isOID { return (2, 0, nil, 3) }
        switch storedType(field.type) {
        case .smallInteger: return (1, 0, nil, nullableFlag)
        case .integer: return (2, 0, nil, nullableFlag)
        case .bigInteger, .objectID: return (11, 0, nil, nullableFlag)
        case .single: return (3, 0, 0, nullableFlag)
        case .double: return (4, 0, 0, nullableFlag)
        case .string: return (5, Int64(textLength(field)), nil, nullableFlag)
        case .date: return (7, 0, nil, nullableFlag)
        case .globalID: return (12, 38, nil, 256)
        case .guid: return (12, 38, nil, nullableFlag)
        case .xml: return (10, nil, nil, nullableFlag | 128)
        default: return (6, nil, nil, nullableFlag)
        }
    }

    /// Milliseconds since 1970 as a Julian day number (`realdate`).
    static func julianDay(milliseconds ms: Int64) -> Double { Double(ms) / 86_400_000 + 2440587.5 }

    /// `2021-05-17T15:42:43`, as the catalog's XML writes times (UTC, whole seconds).
    static func xmlDateTime(_ ms: Int64) -> String {
        let p = ValueText.parts(milliseconds: ms)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(String(format: "%04d", p.year))-\(two(p.month))-\(two(p.day))T\(two(p.hour)):\(two(p.minute)):\(two(p.second))"
    }

    /// A domain code or bound as the catalog's XML writes it.
    static func codeText(_ value: Value) -> String {
        switch value {
        case .int16(let v): return String(v)
        case .int32(let v): return String(v)
        case .int64(let v): return String(v)
        case .float32(let v): return "\(v)"
        case .float64(let v): return ValueText.numberText(v)
        case .string(let s): return s
        case .guid(let g): return ValueText.guidBracedUpper(g)
        case .date(let ms): return xmlDateTime(ms)
        default: return ""
        }
    }
}
