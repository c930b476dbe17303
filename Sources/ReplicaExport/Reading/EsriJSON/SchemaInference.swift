/// Field types inferred from values, for layers without a schema.
///
/// Rules: integers that fit Int32 -> Integer, larger -> BigInteger; any number written with a fraction
/// or exponent -> Double, as are NaN and infinity (as bare literals or as the text "NaN", "Infinity",
/// "-Infinity"); strings -> String with the longest length seen (in Characters), objects and arrays
/// as their JSON text; booleans ->
/// String ("true" / "false"); all-null -> String (no length); numbers mixed with strings or booleans
/// -> String. Field order = first appearance. The OID is `objectIdFieldName` when given, else a field
/// named OBJECTID or FID (any case) holding only integers; the GlobalID is `globalIdFieldName` when
/// given, else a field named GlobalID (any case) holding only GUID strings. Dates cannot be told from
/// other integers and stay integers: give the layer resources to get them as dates.
struct SchemaInference {
    struct Stats {
        var name: String
        var ints = 0
        var doubles = 0
        var strings = 0
        var bools = 0
        var minInt: Int64 = 0
        var maxInt: Int64 = 0
        var maxLength = 0
        var allGUID = true
    }

    private(set) var fields: [Stats] = []
    private var names: [[UInt8]] = []
    private var index: [String: Int] = [:]

    var geometryType: GeometryType?
    var sawZ = false
    var sawM = false
    var spatialReference: SpatialReference?
    var sawGeometry = false
    /// Geometry types seen besides `geometryType` (a page without `geometryType` may mix them).
    var otherGeometryTypes: Set<GeometryType> = []

    /// The stats slot of the attribute named by `key` (UTF-8); `expected` is tried first (attributes
    /// usually come in the same order in every feature), which avoids making a String per value.
    mutating func stats(for key: [UInt8], expected: Int) -> Int {
        if expected < names.count && names[expected] == key { return expected }
        let name = String(decoding: key, as: UTF8.self)
        if let i = index[name] { return i }
        index[name] = fields.count
        fields.append(Stats(name: name))
        names.append(key)
        return fields.count - 1
    }

    mutating func observe(_ i: Int, number n: JSONNumber) {
        switch n {
        case .int(let v):
            if fields[i].ints == 0 {
                fields[i].minInt = v
                fields[i].maxInt = v
            } else {
                fields[i].minInt = min(fields[i].minInt, v)
                fields[i].maxInt = max(fields[i].maxInt, v)
            }
            fields[i].ints &+= 1
        case .double:
            fields[i].doubles &+= 1
        }
    }

    mutating func observe(_ i: Int, string s: String) {
        // "NaN", "Infinity": numbers that JSON has no literal for (the reader reports them).
        if s.utf8.count <= 9, EsriValues.nonFiniteText(s) != nil {
            fields[i].doubles &+= 1
            return
        }
        fields[i].strings &+= 1
        // Characters <= UTF-8 bytes: count characters only when the bytes could set a new maximum.
        if s.utf8.count > fields[i].maxLength { fields[i].maxLength = max(fields[i].maxLength, s.count) }
        if fields[i].allGUID && !EsriValues.isGUID(s) { fields[i].allGUID = false }
    }

    mutating func observe(_ i: Int, bool b: Bool) {
        fields[i].bools &+= 1
        fields[i].maxLength = max(fields[i].maxLength, b ? 4 : 5)
    }

    /// The inferred fields, and the OID / GlobalID field names.
    func result(objectIdFieldName: String?, globalIdFieldName: String?,
                aliases: [String: String]) -> (fields: [Field], oid: String?, globalId: String?) {
        var out: [Field] = []
        var oid: String?
        var gid: String?
        for st in fields {
            let onlyInts = st.ints > 0 && st.doubles == 0 && st.strings == 0 && st.bools == 0
            let onlyNumbers = (st.ints + st.doubles) > 0 && st.strings == 0 && st.bools == 0
            var type: FieldType
            var length: Int?
            if onlyInts {
                type = (st.minInt >= Int64(Int32.min) && st.maxInt <= Int64(Int32.max)) ? .integer : .bigInteger
            } else if onlyNumbers {
                type = .double
            } else {
                type = .string
                // Numbers mixed in are written as their JSON text: leave room for it.
                var longest = st.maxLength
                if st.ints > 0 { longest = max(longest, String(st.minInt).count, String(st.maxInt).count) }
                if st.doubles > 0 { longest = max(longest, 24) }
                length = longest > 0 ? longest : nil
            }
            let lower = st.name.lowercased()
            let isOIDCandidate: Bool
            if let objectIdFieldName {
                isOIDCandidate = st.name == objectIdFieldName || lower == objectIdFieldName.lowercased()
            } else {
                isOIDCandidate = lower == "objectid" || lower == "fid"
            }
            if isOIDCandidate && oid == nil && onlyInts {
                type = .objectID
                length = nil
                oid = st.name
            }
            let isGIDCandidate: Bool
            if let globalIdFieldName {
                isGIDCandidate = st.name == globalIdFieldName || lower == globalIdFieldName.lowercased()
            } else {
                isGIDCandidate = lower == "globalid"
            }
            if isGIDCandidate && gid == nil && st.strings > 0 && st.allGUID && st.ints == 0 && st.doubles == 0 && st.bools == 0 {
                type = .globalID
                length = 38
                gid = st.name
            }
            out.append(Field(name: st.name, type: type, alias: aliases[st.name], length: length,
                             nullable: type != .objectID, editable: type != .objectID && type != .globalID))
        }
        return (out, oid, gid)
    }
}
