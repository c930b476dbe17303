/// A small JSON document in memory: used for the parts of an input that are small by nature
/// (layer resources, spatial references, attachment records, top-level metadata), never for features.
indirect enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    /// Members in input order; a repeated key keeps every occurrence (``subscript(_:)`` takes the last).
    case object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The last member named `key` of an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.0 == key })?.1
    }

    var isNull: Bool { if case .null = self { return true } else { return false } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var bool: Bool? {
        switch self {
        case .bool(let b): return b
        case .number(.int(let i)): return i != 0
        case .string(let s): return s.lowercased() == "true" ? true : (s.lowercased() == "false" ? false : nil)
        default: return nil
        }
    }
    var int64: Int64? {
        switch self {
        case .number(.int(let i)): return i
        case .number(.double(let d)):
            return d.rounded() == d && abs(d) < 9.2e18 ? Int64(d) : nil
        case .string(let s): return Int64(s)
        default: return nil
        }
    }
    var int: Int? { int64.flatMap { Int(exactly: $0) } }
    var double: Double? {
        switch self {
        case .number(let n): return n.doubleValue
        case .string(let s): return Double(s)
        default: return nil
        }
    }
    var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    var members: [(String, JSONValue)]? { if case .object(let m) = self { return m } else { return nil } }

    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension JSONScanner {
    /// Reads one whole value into memory. `maxDepth` guards against pathological nesting.
    func readValue(depth: Int = 0) throws -> JSONValue {
        if depth > 512 { throw syntaxError("nesting deeper than 512 levels") }
        let b = try peekValueStart()
        switch b {
        case UInt8(ascii: "{"):
            try beginObject()
            var members: [(String, JSONValue)] = []
            var first = true
            var key: [UInt8] = []
            while try nextMember(first: &first, key: &key) {
                let name = String(decoding: key, as: UTF8.self)
                members.append((name, try readValue(depth: depth + 1)))
            }
            return .object(members)
        case UInt8(ascii: "["):
            try beginArray()
            var items: [JSONValue] = []
            var first = true
            while try nextElement(first: &first) {
                items.append(try readValue(depth: depth + 1))
            }
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try readNumber())
        default:
            if let v = try readLiteral() { return .bool(v) }
            return .null
        }
    }
}
