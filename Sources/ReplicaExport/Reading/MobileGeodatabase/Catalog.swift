import Foundation

/// Esri's catalog item types (GDB_Items.Type).
enum GDBItemType {
    static let featureClass = "{70737809-852C-4A03-9E22-2CECEA5B9BFA}"
    static let table = "{CD06BC3B-789D-4C51-AAFA-A467912B8965}"
    static let featureDataset = "{74737149-DCB5-4257-8904-B9724E32A530}"
    static let relationshipClass = "{B606A7E1-FA5B-439C-849C-6E9C2481537B}"
    static let codedValueDomain = "{8C368B12-A12E-4C7E-9638-C9C64E69E98F}"
    static let rangeDomain = "{C29DA988-8C3E-45F7-8B5C-18E51EE7BEB4}"
    static let syncReplica = "{5B966567-FB87-4DDE-938B-B4B37423539D}"
}

/// One GDB_Items row.
struct GDBItem {
    var objectID: Int64
    var type: String
    var name: String
    var definition: GDBXMLElement?

    /// `main.Trailheads` -> `Trailheads`.
    var tableName: String {
        name.lowercased().hasPrefix("main.") ? String(name.dropFirst(5)) : name
    }
}

/// A domain as its item defines it, before its codes are typed like a field.
struct RawDomain {
    enum Kind { case coded([(code: String, name: String)]), range(min: String, max: String) }
    var name: String
    var kind: Kind
}

/// A geometry column as st_geometry_columns registers it.
struct GeometryColumn {
    var column: String
    var geometryType: Int
    var srid: Int
}

/// A row of st_aux_spatial_reference_systems.
struct AuxSpatialReference {
    var authName: String?
    var authSRID: Int?
    var srtext: String?
    var grid: ShapeGrid
    var xyTolerance: Double?
}

/// How a column's SQLite values become ``Value``s.
package struct ColumnPlan {
    package var name: String
    package var storage: Value.Kind
}

/// What the reader needs to stream one layer.
package struct LayerPlan {
    package var table: String
    package var columns: [ColumnPlan]
    package var shapeColumn: String?
    package var grid: ShapeGrid?
    package var isArchive: Bool
    package var oidColumn: String?
    var attachmentTable: String?
    var attachmentIsArchive: Bool
    var attachmentColumns: Set<String>
}

package enum SQLName {
    /// A double-quoted SQL identifier.
    package static func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

/// The predicate selecting current rows of an archive table: the very expression Esri's `_evw`
/// views use, core SQLite only.
let currentRowPredicate =
    "gdb_to_date BETWEEN (julianday('9999-12-31 23:59:59') - 0.000000001) AND (julianday('9999-12-31 23:59:59') + 0.000000001)"

/// Julian day (realdate) to milliseconds since 1970, rounded to the nearest millisecond.
@inline(__always)
func julianDayToUnixMilliseconds(_ jd: Double) -> Int64 {
    Int64(((jd - 2440587.5) * 86_400_000).rounded())
}

extension GDBXMLElement {
    /// The grid of a `SpatialReference` element, when it states XYScale.
    var grid: ShapeGrid? {
        guard let xo = string("XOrigin").flatMap(Double.init), let yo = string("YOrigin").flatMap(Double.init),
              let s = string("XYScale").flatMap(Double.init), s > 0 else { return nil }
        return ShapeGrid(xOrigin: xo, yOrigin: yo, xyScale: s,
                         zOrigin: string("ZOrigin").flatMap(Double.init) ?? -100000,
                         zScale: string("ZScale").flatMap(Double.init) ?? 10000,
                         mOrigin: string("MOrigin").flatMap(Double.init) ?? -100000,
                         mScale: string("MScale").flatMap(Double.init) ?? 10000)
    }
}

/// Field type from an ArcSDE type code (GDB_ColumnRegistry.sde_type). nil for geometry and unknown codes.
func fieldType(sdeType: Int) -> FieldType? {
    switch sdeType {
    case 1: return .smallInteger
    case 2: return .integer
    case 3: return .single
    case 4: return .double
    case 5, 13: return .string
    case 6: return .blob
    case 7: return .date
    case 10: return .xml
    case 11: return .bigInteger
    case 12: return .guid
    default: return nil
    }
}

/// Field type and length from a declared SQLite column type (`int32`, `text(80)`, `[clob](2147483647)`,
/// `BLOB`, `realdate`, `uuidtext`...). `isGeometry` for `geometryblob`.
func fieldType(declared: String) -> (type: FieldType?, length: Int?, isGeometry: Bool) {
    let lower = declared.lowercased().replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "")
        .trimmingWhitespace()
    var base = lower
    var length: Int?
    if let open = lower.firstIndex(of: "("), let close = lower.firstIndex(of: ")"), open < close {
        base = String(lower[..<open]).trimmingWhitespace()
        length = Int(String(lower[lower.index(after: open)..<close]).trimmingWhitespace())
    }
    switch base {
    case "geometryblob", "geometry", "st_geometry": return (nil, nil, true)
    case "int16", "smallint", "tinyint": return (.smallInteger, nil, false)
    case "int32", "int", "integer", "mediumint": return (.integer, nil, false)
    case "int64", "bigint": return (.bigInteger, nil, false)
    case "float32": return (.single, nil, false)
    case "float64", "double", "real", "float", "double precision", "numeric", "decimal": return (.double, nil, false)
    case "text", "varchar", "char", "nvarchar", "nchar", "clob", "string", "character":
        return (.string, length.flatMap { $0 > 0 && $0 < Int(Int32.max) ? $0 : nil }, false)
    case "blob", "binary", "varbinary": return (.blob, nil, false)
    case "realdate", "date", "datetime", "timestamp": return (.date, nil, false)
    case "uuidtext", "uuid", "guid": return (.guid, nil, false)
    case "xmltext", "xml": return (.xml, nil, false)
    default:
        // SQLite's own affinity rules.
        if base.contains("int") { return (.bigInteger, nil, false) }
        if base.contains("char") || base.contains("clob") || base.contains("text") { return (.string, nil, false) }
        if base.contains("blob") || base.isEmpty { return (.blob, nil, false) }
        if base.contains("real") || base.contains("floa") || base.contains("doub") { return (.double, nil, false) }
        return (nil, nil, false)
    }
}

/// A code or bound from a domain definition, typed like the field it applies to.
func typedValue(_ text: String, as type: FieldType) -> Value? {
    let t = text.trimmingWhitespace()
    switch type.storage {
    case .int16: return Int16(t).map(Value.int16) ?? Double(t).flatMap { Int16(exactly: $0) }.map(Value.int16)
    case .int32: return Int32(t).map(Value.int32) ?? Double(t).flatMap { Int32(exactly: $0) }.map(Value.int32)
    case .int64: return Int64(t).map(Value.int64) ?? Double(t).flatMap { Int64(exactly: $0) }.map(Value.int64)
    case .float32: return Float(t).map(Value.float32)
    case .float64: return Double(t).map(Value.float64)
    case .string: return .string(text)
    case .guid: return .guid(t)
    case .date:
        if let ms = Int64(t) { return .date(milliseconds: ms) }
        return parseISODateMilliseconds(t).map { .date(milliseconds: $0) }
    default: return nil
    }
}

/// `2019-07-12T11:10:18` (XML dateTime without zone, taken as UTC) to milliseconds.
func parseISODateMilliseconds(_ s: String) -> Int64? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
    f.timeZone = TimeZone(identifier: "UTC")
    let trimmed = s.count >= 19 ? String(s.prefix(19)) : s
    guard let d = f.date(from: trimmed) else { return nil }
    return Int64((d.timeIntervalSince1970 * 1000).rounded())
}

/// Parses a domain item's definition.
func parseDomain(_ xml: GDBXMLElement) -> RawDomain? {
    guard let name = xml.string("DomainName") else { return nil }
    switch xml.name {
    case "GPCodedValueDomain2", "CodedValueDomain":
        let codes = xml.descendants("CodedValue").compactMap { cv -> (code: String, name: String)? in
            guard let code = cv.child("Code")?.text else { return nil }
            return (code, cv.child("Name")?.text ?? code)
        }
        return RawDomain(name: name, kind: .coded(codes))
    case "GPRangeDomain2", "RangeDomain":
        guard let lo = xml.child("MinValue")?.text, let hi = xml.child("MaxValue")?.text else { return nil }
        return RawDomain(name: name, kind: .range(min: lo, max: hi))
    default:
        return nil
    }
}

/// A domain from a layer JSON field's `domain` member.
func parseDomain(json: [String: Any]) -> RawDomain? {
    guard let name = json["name"] as? String else { return nil }
    func text(_ v: Any?) -> String? {
        switch v {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }
    switch json["type"] as? String {
    case "codedValue":
        let codes = (json["codedValues"] as? [[String: Any]] ?? []).compactMap { cv -> (code: String, name: String)? in
            guard let code = text(cv["code"]) else { return nil }
            return (code, (cv["name"] as? String) ?? code)
        }
        return RawDomain(name: name, kind: .coded(codes))
    case "range":
        guard let r = json["range"] as? [Any], r.count == 2, let lo = text(r[0]), let hi = text(r[1]) else { return nil }
        return RawDomain(name: name, kind: .range(min: lo, max: hi))
    default:
        return nil
    }
}

/// The domain typed for a field; nil (with the reason) when a code does not fit the field's type.
func typedDomain(_ raw: RawDomain, for type: FieldType) -> Domain? {
    switch raw.kind {
    case .coded(let pairs):
        var codes: [CodedValue] = []
        for p in pairs {
            guard let v = typedValue(p.code, as: type) else { return nil }
            codes.append(CodedValue(code: v, name: p.name))
        }
        return .codedValue(name: raw.name, codes: codes)
    case .range(let lo, let hi):
        guard let a = typedValue(lo, as: type), let b = typedValue(hi, as: type) else { return nil }
        return .range(name: raw.name, minimum: a, maximum: b)
    }
}
