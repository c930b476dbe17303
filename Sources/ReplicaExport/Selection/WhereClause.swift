import Foundation

/// A `where` clause in the standardized SQL subset ArcGIS documents for feature services, parsed
/// once and evaluated per feature.
///
/// The subset: comparisons `= <> != < <= > >=`, `AND`, `OR`, `NOT`, `[NOT] IN (...)`,
/// `[NOT] BETWEEN a AND b`, `[NOT] LIKE 'pattern' [ESCAPE 'c']` (`%` any run, `_` one character),
/// `IS [NOT] NULL`, `+ - * /`, parentheses, string literals (`''` is a quote), numbers,
/// `DATE 'yyyy-mm-dd'` and `TIMESTAMP 'yyyy-mm-dd hh:mm:ss[.fff]'` (UTC), and field names,
/// case-insensitive, bare or in double quotes. Strings compare case-sensitively, as in a file
/// geodatabase. Evaluation follows SQL's three-valued logic: a comparison with NULL is unknown and
/// an unknown clause does not select the feature.
///
/// Anything else (functions, subqueries, other keywords, unknown fields, comparing a text field
/// with a number) is refused with an error naming the construct and its character offset; nesting
/// deeper than ``maximumDepth`` is refused, so no input can exhaust the stack.
public struct WhereClause: Sendable, CustomStringConvertible {
    /// The deepest expression tree accepted (parentheses, NOT and operators each add a level;
    /// chains of AND / OR do not).
    public static let maximumDepth = 200

    /// The clause as given.
    public let text: String
    let root: WhereNode

    /// Parses `text`. Throws ``ReplicaExportError/Code/invalidOption`` naming the construct and
    /// its character offset when it is outside the subset.
    public init(_ text: String) throws {
        self.text = text
        var parser = WhereParser(text)
        root = try parser.parseClause()
    }

    /// The clause as given (``text``).
    public var description: String { text }

    /// The clause with its field names resolved against `layer`, its types checked, ready to
    /// evaluate that layer's features.
    public func bound(to layer: LayerSchema) throws -> BoundWhereClause {
        let binder = WhereBinder(layer: layer, text: text)
        let node = try binder.bind(root)
        guard binder.type(of: node) == .boolean else {
            throw WhereParser.error(text, "is not a condition (it has no comparison)", at: 0)
        }
        return BoundWhereClause(root: node)
    }
}

/// A ``WhereClause`` bound to one layer's fields.
public struct BoundWhereClause: Sendable {
    let root: BoundNode

    /// Whether the feature with these attributes (indexed like ``LayerSchema/fields``) is
    /// selected: the clause is true (false and unknown are not selected).
    public func matches(_ attributes: [Value]) -> Bool {
        root.truth(attributes) == true
    }
}

// MARK: - Syntax tree

indirect enum WhereNode: Sendable {
    case null
    case number(SQLNumber)
    case string(String)
    /// Milliseconds since 1970-01-01 UTC.
    case timestamp(Int64)
    case field(String, offset: Int)
    case negate(WhereNode, offset: Int)
    case arithmetic(ArithmeticOperator, WhereNode, WhereNode, offset: Int)
    case compare(ComparisonOperator, WhereNode, WhereNode, offset: Int)
    case and([WhereNode])
    case or([WhereNode])
    case not(WhereNode)
    case isNull(WhereNode, negated: Bool)
    case inList(WhereNode, [WhereNode], negated: Bool, offset: Int)
    case between(WhereNode, WhereNode, WhereNode, negated: Bool, offset: Int)
    case like(WhereNode, pattern: String, escape: Character?, negated: Bool, offset: Int)
}

enum SQLNumber: Sendable, Equatable {
    case int(Int64)
    case double(Double)
    var double: Double {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        }
    }
}

enum ArithmeticOperator: String, Sendable { case add = "+", subtract = "-", multiply = "*", divide = "/" }
enum ComparisonOperator: String, Sendable { case eq = "=", ne = "<>", lt = "<", le = "<=", gt = ">", ge = ">=" }

// MARK: - Tokens and parser

struct WhereParser {
    enum Token: Equatable {
        case identifier(String)
        case quotedIdentifier(String)
        case number(SQLNumber)
        case string(String)
        case symbol(String)
        case end
    }

    let text: String
    private let scalars: [Unicode.Scalar]
    private var tokens: [(token: Token, offset: Int)] = []
    private var position = 0
    private var depth = 0

    init(_ text: String) {
        self.text = text
        scalars = Array(text.unicodeScalars)
    }

    static func error(_ text: String, _ message: String, at offset: Int) -> ReplicaExportError {
        let excerpt = String(String.UnicodeScalarView(text.unicodeScalars.dropFirst(offset).prefix(24)))
        return ReplicaExportError(.invalidOption,
            "where: \(message) at character \(offset)" + (excerpt.isEmpty ? "" : " ('\(excerpt)')")
            + "; the standardized SQL subset has comparisons, AND, OR, NOT, IN, BETWEEN, LIKE, IS NULL, + - * /, DATE and TIMESTAMP literals",
            at: ErrorLocation(detail: "parameter where"))
    }

    private func error(_ message: String, at offset: Int) -> ReplicaExportError {
        Self.error(text, message, at: offset)
    }

    // MARK: Tokenizer

    private mutating func tokenize() throws {
        var i = 0
        func isIdentifierStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
        func isIdentifierPart(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || ("0"..."9").contains(c) }
        while i < scalars.count {
            let c = scalars[i]
            let start = i
            if c.properties.isWhitespace { i += 1; continue }
            if isIdentifierStart(c) {
                while i < scalars.count, isIdentifierPart(scalars[i]) { i += 1 }
                tokens.append((.identifier(String(String.UnicodeScalarView(scalars[start..<i]))), start))
            } else if ("0"..."9").contains(c) || (c == "." && i + 1 < scalars.count && ("0"..."9").contains(scalars[i + 1])) {
                var sawDot = false, sawExponent = false
                while i < scalars.count {
                    let d = scalars[i]
                    if ("0"..."9").contains(d) { i += 1 }
                    else if d == ".", !sawDot, !sawExponent { sawDot = true; i += 1 }
                    else if (d == "e" || d == "E"), !sawExponent {
                        sawExponent = true; i += 1
                        if i < scalars.count, scalars[i] == "+" || scalars[i] == "-" { i += 1 }
                    } else { break }
                }
                let literal = String(String.UnicodeScalarView(scalars[start..<i]))
                if !sawDot, !sawExponent, let value = Int64(literal) {
                    tokens.append((.number(.int(value)), start))
                } else if let value = Double(literal), value.isFinite {
                    tokens.append((.number(.double(value)), start))
                } else {
                    throw error("the number \(literal) cannot be read", at: start)
                }
                if i < scalars.count, isIdentifierStart(scalars[i]) {
                    throw error("a number runs into a name", at: i)
                }
            } else if c == "'" || c == "\"" {
                var value = String.UnicodeScalarView()
                i += 1
                var closed = false
                while i < scalars.count {
                    if scalars[i] == c {
                        if i + 1 < scalars.count, scalars[i + 1] == c { value.append(c); i += 2; continue }
                        i += 1
                        closed = true
                        break
                    }
                    value.append(scalars[i])
                    i += 1
                }
                guard closed else {
                    throw error(c == "'" ? "the string is not closed (a quote inside a string is written '')" : "the quoted field name is not closed", at: start)
                }
                tokens.append((c == "'" ? .string(String(value)) : .quotedIdentifier(String(value)), start))
            } else {
                let two = i + 1 < scalars.count ? String(String.UnicodeScalarView([c, scalars[i + 1]])) : ""
                if ["<>", "!=", "<=", ">="].contains(two) {
                    tokens.append((.symbol(two), start))
                    i += 2
                } else if "=<>(),+-*/".unicodeScalars.contains(c) {
                    tokens.append((.symbol(String(c)), start))
                    i += 1
                } else {
                    throw error("the character '\(c)' is not part of the subset", at: start)
                }
            }
        }
        tokens.append((.end, scalars.count))
    }

    // MARK: Grammar

    private var current: Token { tokens[position].token }
    private var offset: Int { tokens[position].offset }

    private func isKeyword(_ keyword: String) -> Bool {
        if case .identifier(let name) = current { return name.uppercased() == keyword }
        return false
    }

    private mutating func accept(_ keyword: String) -> Bool {
        guard isKeyword(keyword) else { return false }
        position += 1
        return true
    }

    private mutating func acceptSymbol(_ symbol: String) -> Bool {
        guard current == .symbol(symbol) else { return false }
        position += 1
        return true
    }

    private mutating func expectSymbol(_ symbol: String, _ what: String) throws {
        guard acceptSymbol(symbol) else { throw error("expected \(what)", at: offset) }
    }

    /// Enters one level of nesting; refuses to go deeper than the bound.
    private mutating func descend() throws {
        depth += 1
        if depth > WhereClause.maximumDepth {
            throw error("the expression nests deeper than \(WhereClause.maximumDepth) levels", at: offset)
        }
    }

    mutating func parseClause() throws -> WhereNode {
        try tokenize()
        guard current != .end else { throw error("the clause is empty", at: 0) }
        let node = try parseOr()
        guard current == .end else { throw unexpected() }
        return node
    }

    private func unexpected() -> ReplicaExportError {
        switch current {
        case .identifier(let name):
            let upper = name.uppercased()
            if ["SELECT", "FROM", "EXISTS", "UNION", "WITH"].contains(upper) {
                return error("a subquery (\(upper)) is outside the subset", at: offset)
            }
            return error("unexpected '\(name)'", at: offset)
        case .end: return error("the clause ends too early", at: offset)
        case .symbol(let s): return error("unexpected '\(s)'", at: offset)
        case .string: return error("unexpected string", at: offset)
        case .quotedIdentifier(let name): return error("unexpected field \"\(name)\"", at: offset)
        case .number: return error("unexpected number", at: offset)
        }
    }

    private mutating func parseOr() throws -> WhereNode {
        var items = [try parseAnd()]
        while accept("OR") { items.append(try parseAnd()) }
        return items.count == 1 ? items[0] : .or(items)
    }

    private mutating func parseAnd() throws -> WhereNode {
        var items = [try parseNot()]
        while accept("AND") { items.append(try parseNot()) }
        return items.count == 1 ? items[0] : .and(items)
    }

    private mutating func parseNot() throws -> WhereNode {
        if accept("NOT") {
            try descend()
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        return try parsePredicate()
    }

    private mutating func parsePredicate() throws -> WhereNode {
        let start = offset
        let left = try parseAdditive()
        if case .symbol(let s) = current, let op = ComparisonOperator(rawValue: s == "!=" ? "<>" : s) {
            position += 1
            return .compare(op, left, try parseAdditive(), offset: start)
        }
        if accept("IS") {
            let negated = accept("NOT")
            guard accept("NULL") else { throw error("expected NULL after IS", at: offset) }
            return .isNull(left, negated: negated)
        }
        let negated = accept("NOT")
        if accept("IN") {
            try expectSymbol("(", "'(' after IN")
            if isKeyword("SELECT") { throw error("a subquery (SELECT) is outside the subset", at: offset) }
            var items = [try parseAdditive()]
            while acceptSymbol(",") { items.append(try parseAdditive()) }
            try expectSymbol(")", "')' or ',' in the IN list")
            return .inList(left, items, negated: negated, offset: start)
        }
        if accept("BETWEEN") {
            let low = try parseAdditive()
            guard accept("AND") else { throw error("expected AND in BETWEEN", at: offset) }
            return .between(left, low, try parseAdditive(), negated: negated, offset: start)
        }
        if accept("LIKE") {
            guard case .string(let pattern) = current else { throw error("LIKE takes a string pattern", at: offset) }
            position += 1
            var escape: Character?
            if accept("ESCAPE") {
                guard case .string(let e) = current, e.count == 1 else { throw error("ESCAPE takes a one-character string", at: offset) }
                escape = e.first
                position += 1
            }
            return .like(left, pattern: pattern, escape: escape, negated: negated, offset: start)
        }
        if negated { throw error("expected IN, BETWEEN or LIKE after NOT", at: offset) }
        return left
    }

    private mutating func parseAdditive() throws -> WhereNode {
        let entry = depth
        defer { depth = entry }
        var left = try parseMultiplicative()
        while case .symbol(let s) = current, s == "+" || s == "-" {
            let at = offset
            position += 1
            try descend()
            left = .arithmetic(ArithmeticOperator(rawValue: s)!, left, try parseMultiplicative(), offset: at)
        }
        return left
    }

    private mutating func parseMultiplicative() throws -> WhereNode {
        let entry = depth
        defer { depth = entry }
        var left = try parseUnary()
        while case .symbol(let s) = current, s == "*" || s == "/" {
            let at = offset
            position += 1
            try descend()
            left = .arithmetic(ArithmeticOperator(rawValue: s)!, left, try parseUnary(), offset: at)
        }
        return left
    }

    private mutating func parseUnary() throws -> WhereNode {
        if case .symbol(let s) = current, s == "-" || s == "+" {
            let at = offset
            position += 1
            try descend()
            defer { depth -= 1 }
            let operand = try parseUnary()
            return s == "-" ? .negate(operand, offset: at) : operand
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws -> WhereNode {
        let at = offset
        switch current {
        case .number(let n):
            position += 1
            return .number(n)
        case .string(let s):
            position += 1
            return .string(s)
        case .quotedIdentifier(let name):
            position += 1
            return .field(name, offset: at)
        case .symbol("("):
            position += 1
            if isKeyword("SELECT") { throw error("a subquery (SELECT) is outside the subset", at: offset) }
            try descend()
            let inner = try parseOr()
            depth -= 1
            try expectSymbol(")", "')'")
            return inner
        case .identifier(let name):
            position += 1
            let upper = name.uppercased()
            if upper == "SELECT" || upper == "EXISTS" {
                throw error("a subquery (\(upper)) is outside the subset", at: at)
            }
            if current == .symbol("(") {
                throw error("the function \(name)() is outside the subset", at: at)
            }
            switch upper {
            case "NULL": return .null
            case "DATE", "TIMESTAMP":
                guard case .string(let literal) = current else {
                    throw error("\(upper) takes a quoted literal such as \(upper == "DATE" ? "DATE '2024-01-31'" : "TIMESTAMP '2024-01-31 12:00:00'")", at: offset)
                }
                guard let milliseconds = Self.parseTimestamp(literal, dateOnly: upper == "DATE") else {
                    throw error("'\(literal)' is not a valid \(upper == "DATE" ? "date yyyy-mm-dd" : "timestamp yyyy-mm-dd hh:mm:ss")", at: offset)
                }
                position += 1
                return .timestamp(milliseconds)
            case "SELECT", "EXISTS":
                throw error("a subquery (\(upper)) is outside the subset", at: at)
            case "AND", "OR", "NOT", "IN", "BETWEEN", "LIKE", "IS", "ESCAPE", "CASE", "WHEN", "CAST", "INTERVAL",
                 "CURRENT_DATE", "CURRENT_TIMESTAMP", "TRUE", "FALSE":
                throw error("\(upper) is not allowed here", at: at)
            default:
                return .field(name, offset: at)
            }
        default:
            throw unexpected()
        }
    }

    /// `yyyy-mm-dd` or `yyyy-mm-dd hh:mm:ss[.fff]` (UTC) as milliseconds since 1970.
    static func parseTimestamp(_ text: String, dateOnly: Bool) -> Int64? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == (dateOnly ? 1 : 2) || (!dateOnly && parts.count == 1) else { return nil }
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard date.count == 3, date[0].count == 4, date[1].count == 2, date[2].count == 2,
              let year = Int(date[0]), let month = Int(date[1]), let day = Int(date[2]),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var milliseconds: Int64 = 0
        if parts.count == 2 {
            let time = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            guard time.count == 3, time[0].count == 2, time[1].count == 2,
                  let hour = Int(time[0]), let minute = Int(time[1]), let second = Double(time[2]),
                  time[2].first?.isNumber == true, (0...23).contains(hour), (0...59).contains(minute),
                  second >= 0, second < 60 else { return nil }
            milliseconds = Int64(hour * 3_600_000 + minute * 60_000) + Int64((second * 1000).rounded())
        }
        return daysFromCivil(year: year, month: month, day: day) * 86_400_000 + milliseconds
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
