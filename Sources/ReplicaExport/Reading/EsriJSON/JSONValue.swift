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
        let start = offset
        switch b {
        case UInt8(ascii: "{"):
            try beginObject()
            var members: [(String, JSONValue)] = []
            var first = true
            var key: [UInt8] = []
            while try nextMember(first: &first, key: &key) {
                let name = String(decoding: key, as: UTF8.self)
                members.append((name, try readValue(depth: depth + 1)))
                try checkMemory(members.count, start: start)
            }
            return .object(members)
        case UInt8(ascii: "["):
            try beginArray()
            var items: [JSONValue] = []
            var first = true
            while try nextElement(first: &first) {
                items.append(try readValue(depth: depth + 1))
                try checkMemory(items.count, start: start)
            }
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "N"), UInt8(ascii: "I"):
            return .number(try readNumber())
        default:
            if let v = try readLiteral() { return .bool(v) }
            return .null
        }
    }
}

extension JSONScanner {
    /// A value in memory is held whole (an object or array an attribute holds, say): every 65,536
    /// items, refuse one the machine cannot hold before it runs out.
    fileprivate func checkMemory(_ items: Int, start: Int) throws {
        guard items & 0xFFFF == 0 else { return }
        try MemoryBudget.require(items * MemoryBudget.bytesPerJSONItem, for: "a JSON value of more than \(items) items",
                                 at: location(start))
    }
}

extension JSONValue {
    /// The value as compact JSON text: keys in input order, strings escaped as JSON requires,
    /// numbers in their shortest round-trip form; NaN and infinity, which JSON has no text for,
    /// as the literals GDAL and Python read (`NaN`, `Infinity`, `-Infinity`).
    var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(.int(let i)): out += String(i)
        case .number(.double(let d)):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" } else { out += "\(d)" }
        case .string(let text): Self.writeString(text, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                Self.writeString(key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
