import Foundation

/// The static type of a where-clause expression, checked when the clause is bound to a layer so
/// that a mismatch is refused before any feature is read.
enum SQLType: Equatable {
    case number, string, timestamp, boolean, null
    var name: String {
        switch self {
        case .number: return "a number"
        case .string: return "text"
        case .timestamp: return "a date"
        case .boolean: return "a condition"
        case .null: return "NULL"
        }
    }
}

/// A runtime value of an expression.
enum SQLValue {
    case null
    case number(SQLNumber)
    case string(String)
    case timestamp(Int64)
}

/// A where clause resolved against a layer: fields are attribute indices.
indirect enum BoundNode: Sendable {
    case literal(SQLLiteral)
    case field(Int, FieldType)
    case negate(BoundNode)
    case arithmetic(ArithmeticOperator, BoundNode, BoundNode)
    case compare(ComparisonOperator, BoundNode, BoundNode)
    case and([BoundNode])
    case or([BoundNode])
    case not(BoundNode)
    case isNull(BoundNode, negated: Bool)
    case inList(BoundNode, [BoundNode], negated: Bool)
    case between(BoundNode, BoundNode, BoundNode, negated: Bool)
    case like(BoundNode, LikePattern, negated: Bool)

    /// Three-valued truth: nil is SQL's unknown.
    func truth(_ row: [Value]) -> Bool? {
        switch self {
        case .and(let items):
            var result: Bool? = true
            for item in items {
                switch item.truth(row) {
                case false?: return false
                case nil: result = nil
                case true?: break
                }
            }
            return result
        case .or(let items):
            var result: Bool? = false
            for item in items {
                switch item.truth(row) {
                case true?: return true
                case nil: result = nil
                case false?: break
                }
            }
            return result
        case .not(let inner):
            return inner.truth(row).map { !$0 }
        case .isNull(let inner, let negated):
            let isNull: Bool
            if case .null = inner.value(row) { isNull = true } else { isNull = false }
            return isNull != negated
        case .compare(let op, let a, let b):
            guard let order = Self.order(a.value(row), b.value(row)) else { return nil }
            switch op {
            case .eq: return order == 0
            case .ne: return order != 0
            case .lt: return order < 0
            case .le: return order <= 0
            case .gt: return order > 0
            case .ge: return order >= 0
            }
        case .inList(let target, let items, let negated):
            let value = target.value(row)
            var result: Bool? = false
            for item in items {
                switch Self.order(value, item.value(row)) {
                case 0?: return !negated
                case nil: result = nil
                default: break
                }
            }
            return result.map { $0 != negated }
        case .between(let target, let low, let high, let negated):
            let value = target.value(row)
            guard let lower = Self.order(value, low.value(row)), let upper = Self.order(value, high.value(row)) else { return nil }
            return (lower >= 0 && upper <= 0) != negated
        case .like(let target, let pattern, let negated):
            guard case .string(let text) = target.value(row) else { return nil }
            return pattern.matches(text) != negated
        case .literal, .field, .negate, .arithmetic:
            return nil
        }
    }

    func value(_ row: [Value]) -> SQLValue {
        switch self {
        case .literal(let literal): return literal.value
        case .field(let index, _): return index < row.count ? Self.sqlValue(row[index]) : .null
        case .negate(let inner):
            guard case .number(let n) = inner.value(row) else { return .null }
            switch n {
            case .int(let v) where v != .min: return .number(.int(-v))
            default: return .number(.double(-n.double))
            }
        case .arithmetic(let op, let a, let b):
            guard case .number(let x) = a.value(row), case .number(let y) = b.value(row) else { return .null }
            if case .int(let i) = x, case .int(let j) = y, op != .divide {
                let (result, overflow): (Int64, Bool)
                switch op {
                case .add: (result, overflow) = i.addingReportingOverflow(j)
                case .subtract: (result, overflow) = i.subtractingReportingOverflow(j)
                default: (result, overflow) = i.multipliedReportingOverflow(by: j)
                }
                if !overflow { return .number(.int(result)) }
            }
            let (u, v) = (x.double, y.double)
            switch op {
            case .add: return .number(.double(u + v))
            case .subtract: return .number(.double(u - v))
            case .multiply: return .number(.double(u * v))
            // Division by zero has no value: the comparison it feeds is unknown.
            case .divide: return v == 0 ? .null : .number(.double(u / v))
            }
        default: return .null
        }
    }

    static func sqlValue(_ value: Value) -> SQLValue {
        switch value {
        case .null: return .null
        case .int16(let v): return .number(.int(Int64(v)))
        case .int32(let v): return .number(.int(Int64(v)))
        case .int64(let v): return .number(.int(v))
        case .float32(let v): return v.isNaN ? .null : .number(.double(Double(v)))
        case .float64(let v): return v.isNaN ? .null : .number(.double(v))
        case .string(let s): return .string(s)
        case .guid(let s): return .string(normalizedGUID(s))
        case .date(let ms): return .timestamp(ms)
        case .dateOnly(let d): return .timestamp(WhereParser.daysFromCivil(year: d.year, month: d.month, day: d.day) * 86_400_000)
        case .timestampOffset(let t): return .timestamp(t.utcMilliseconds)
        case .timeOnly, .blob: return .null   // refused when binding; never reached
        }
    }

    /// GUIDs compare in ArcGIS's spelling, `{UPPER}`, as `{ABC...}` and `abc...` name the same row.
    static func normalizedGUID(_ text: String) -> String {
        "{" + text.trimmingCharacters(in: CharacterSet(charactersIn: "{} ")).uppercased() + "}"
    }

    /// The ordering of two values of one type; nil when either is NULL.
    static func order(_ a: SQLValue, _ b: SQLValue) -> Int? {
        switch (a, b) {
        case (.number(let x), .number(let y)):
            if case .int(let i) = x, case .int(let j) = y { return i < j ? -1 : (i == j ? 0 : 1) }
            let (u, v) = (x.double, y.double)
            return u < v ? -1 : (u == v ? 0 : 1)
        case (.string(let x), .string(let y)):
            // Code-point order, as a binary collation compares.
            return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) ? -1 : (x == y ? 0 : 1)
        case (.timestamp(let x), .timestamp(let y)):
            return x < y ? -1 : (x == y ? 0 : 1)
        default:
            return nil
        }
    }
}

/// A literal of a bound clause.
struct SQLLiteral: Sendable {
    enum Storage: Sendable {
        case null, number(SQLNumber), string(String), timestamp(Int64)
    }
    let storage: Storage
    var value: SQLValue {
        switch storage {
        case .null: return .null
        case .number(let n): return .number(n)
        case .string(let s): return .string(s)
        case .timestamp(let t): return .timestamp(t)
        }
    }
}

/// A LIKE pattern compiled to literal runs, `_` and `%`.
struct LikePattern: Sendable {
    enum Element: Sendable, Equatable { case literal(Unicode.Scalar), one, any }
    let elements: [Element]

    init(_ pattern: String, escape: Character?) {
        var elements: [Element] = []
        var escaped = false
        let escapeScalar = escape?.unicodeScalars.first
        for c in pattern.unicodeScalars {
            if escaped { elements.append(.literal(c)); escaped = false; continue }
            if c == escapeScalar { escaped = true; continue }
            switch c {
            case "%": if elements.last != .any { elements.append(.any) }
            case "_": elements.append(.one)
            default: elements.append(.literal(c))
            }
        }
        self.elements = elements
    }

    /// Iterative matching with one backtracking point per `%` (linear-ish, no recursion).
    func matches(_ text: String) -> Bool {
        let s = Array(text.unicodeScalars)
        var i = 0, p = 0
        var star = -1, mark = 0
        while i < s.count {
            if p < elements.count {
                switch elements[p] {
                case .literal(let c) where c == s[i]:
                    i += 1; p += 1; continue
                case .one:
                    i += 1; p += 1; continue
                case .any:
                    star = p; mark = i; p += 1; continue
                default: break
                }
            }
            guard star >= 0 else { return false }
            p = star + 1
            mark += 1
            i = mark
        }
        while p < elements.count, elements[p] == .any { p += 1 }
        return p == elements.count
    }
}

/// Resolves names and checks types of a parsed clause against one layer.
struct WhereBinder {
    let layer: LayerSchema
    let text: String

    private func error(_ message: String, at offset: Int) -> ReplicaExportError {
        WhereParser.error(text, message, at: offset)
    }

    func bind(_ node: WhereNode) throws -> BoundNode {
        switch node {
        case .null: return .literal(SQLLiteral(storage: .null))
        case .number(let n): return .literal(SQLLiteral(storage: .number(n)))
        case .string(let s): return .literal(SQLLiteral(storage: .string(s)))
        case .timestamp(let t): return .literal(SQLLiteral(storage: .timestamp(t)))
        case .field(let name, let offset):
            guard let index = layer.fieldIndex(named: name) else {
                throw error("the field '\(name)' is not in layer '\(layer.name)' (its fields: \(layer.fields.map(\.name).joined(separator: ", ")))", at: offset)
            }
            let type = layer.fields[index].type
            switch type.storage {
            case .blob: throw error("the field '\(name)' holds binary data, which a where clause cannot compare", at: offset)
            case .timeOnly: throw error("the field '\(name)' is a time of day, which the subset has no literal for", at: offset)
            default: return .field(index, type)
            }
        case .negate(let inner, let offset):
            let bound = try bind(inner)
            try require(bound, .number, "'-'", at: offset)
            return .negate(bound)
        case .arithmetic(let op, let a, let b, let offset):
            let (x, y) = (try bind(a), try bind(b))
            try require(x, .number, "'\(op.rawValue)'", at: offset)
            try require(y, .number, "'\(op.rawValue)'", at: offset)
            return .arithmetic(op, x, y)
        case .compare(let op, let a, let b, let offset):
            let nodes = guidLiteralsNormalized([try bind(a), try bind(b)])
            try comparable(nodes, "'\(op.rawValue)'", at: offset)
            return .compare(op, nodes[0], nodes[1])
        case .and(let items):
            return .and(try items.map { try condition($0) })
        case .or(let items):
            return .or(try items.map { try condition($0) })
        case .not(let inner):
            return .not(try condition(inner))
        case .isNull(let inner, let negated):
            let bound = try bind(inner)
            if type(of: bound) == .boolean { throw error("IS NULL applies to a value, not to a condition", at: 0) }
            return .isNull(bound, negated: negated)
        case .inList(let target, let items, let negated, let offset):
            let nodes = guidLiteralsNormalized([try bind(target)] + (try items.map { try bind($0) }))
            try comparable(nodes, "IN", at: offset)
            return .inList(nodes[0], Array(nodes.dropFirst()), negated: negated)
        case .between(let target, let low, let high, let negated, let offset):
            let nodes = [try bind(target), try bind(low), try bind(high)]
            try comparable(nodes, "BETWEEN", at: offset)
            return .between(nodes[0], nodes[1], nodes[2], negated: negated)
        case .like(let target, let pattern, let escape, let negated, let offset):
            let x = try bind(target)
            let t = type(of: x)
            guard t == .string || t == .null else { throw error("LIKE compares text, not \(t.name)", at: offset) }
            return .like(x, LikePattern(pattern, escape: escape), negated: negated)
        }
    }

    /// Where a GUID field is compared, string literals are spelled as its values are normalized
    /// (`{UPPER}`), so that `{abc...}` finds `ABC...`.
    private func guidLiteralsNormalized(_ nodes: [BoundNode]) -> [BoundNode] {
        guard nodes.contains(where: { if case .field(_, let t) = $0 { return t.storage == .guid } else { return false } }) else { return nodes }
        return nodes.map { node in
            if case .literal(let literal) = node, case .string(let s) = literal.storage {
                return .literal(SQLLiteral(storage: .string(BoundNode.normalizedGUID(s))))
            }
            return node
        }
    }

    private func condition(_ node: WhereNode) throws -> BoundNode {
        let bound = try bind(node)
        guard type(of: bound) == .boolean else {
            throw error("AND, OR and NOT join conditions; a value stands where a condition is expected", at: 0)
        }
        return bound
    }

    private func require(_ node: BoundNode, _ expected: SQLType, _ construct: String, at offset: Int) throws {
        let t = type(of: node)
        guard t == expected || t == .null else { throw error("\(construct) takes \(expected.name), not \(t.name)", at: offset) }
    }

    private func comparable(_ nodes: [BoundNode], _ construct: String, at offset: Int) throws {
        let types = nodes.map { type(of: $0) }
        if types.contains(.boolean) { throw error("\(construct) compares values, not conditions", at: offset) }
        let concrete = Set(types.filter { $0 != .null }.map(\.name))
        guard concrete.count <= 1 else {
            throw error("\(construct) compares \(concrete.sorted().joined(separator: " with ")); compare like with like (dates with DATE '...' or TIMESTAMP '...')", at: offset)
        }
    }

    func type(of node: BoundNode) -> SQLType {
        switch node {
        case .literal(let literal):
            switch literal.storage {
            case .null: return .null
            case .number: return .number
            case .string: return .string
            case .timestamp: return .timestamp
            }
        case .field(_, let type):
            switch type.storage {
            case .int16, .int32, .int64, .float32, .float64: return .number
            case .string, .guid: return .string
            case .date, .dateOnly, .timestampOffset: return .timestamp
            default: return .null
            }
        case .negate, .arithmetic: return .number
        default: return .boolean
        }
    }
}
