import Foundation
import Testing
@testable import ReplicaExport

/// The where-clause subset: what it selects (three-valued logic), what it refuses (with the
/// construct and its offset), and that no input string crashes it.
@Suite struct WhereClauseTests {
    static let layer = LayerSchema(id: 0, name: "parcels", fields: [
        Field(name: "OBJECTID", type: .objectID),
        Field(name: "Name", type: .string),
        Field(name: "POP", type: .integer),
        Field(name: "Area", type: .double),
        Field(name: "Built", type: .date),
        Field(name: "GlobalID", type: .globalID),
        Field(name: "Photo", type: .blob),
        Field(name: "Opened", type: .dateOnly),
    ], schemaSource: .layerResource)

    static let rows: [[Value]] = [
        [.int64(1), .string("Main St"), .int32(100), .float64(2.5), .date(milliseconds: 1_704_067_200_000),
         .guid("{AAAAAAAA-0000-0000-0000-000000000001}"), .null, .dateOnly(DateOnly(year: 2024, month: 1, day: 1))],
        [.int64(2), .string("O'Brien 50%"), .int32(-7), .null, .date(milliseconds: 0), .guid("bbbbbbbb-0000-0000-0000-000000000002"),
         .null, .null],
        [.int64(3), .null, .null, .float64(10), .null, .null, .blob([1]), .null],
    ]

    /// The OBJECTIDs the clause selects.
    func selected(_ clause: String) throws -> [Int64] {
        let bound = try WhereClause(clause).bound(to: Self.layer)
        return Self.rows.filter(bound.matches).map { $0[0].integerValue! }
    }

    @Test(arguments: [
        ("POP > 0", [1]),
        ("pop >= -7", [1, 2]),
        ("\"POP\" <> 100", [2]),
        ("POP != 100", [2]),
        ("NOT POP = 100", [2]),
        ("POP = 100 OR Area > 5", [1, 3]),
        ("POP = 100 AND Area > 5", []),
        ("NOT (POP = 100 AND Area > 5)", [1, 2]),
        ("POP IS NULL", [3]),
        ("Name IS NOT NULL", [1, 2]),
        ("POP IN (1, 100, -7)", [1, 2]),
        ("POP NOT IN (100, NULL)", []),
        ("POP NOT IN (100)", [2]),
        ("POP BETWEEN -10 AND 50", [2]),
        ("POP NOT BETWEEN -10 AND 50", [1]),
        ("Name LIKE 'Main%'", [1]),
        ("Name LIKE '_ain S_'", [1]),
        ("Name LIKE 'main%'", []),
        ("Name LIKE 'O''Brien%'", [2]),
        ("Name LIKE '%50!%' ESCAPE '!'", [2]),
        ("Name LIKE '%5!%' ESCAPE '!'", []),
        ("Name NOT LIKE 'M%'", [2]),
        ("POP * 2 + 1 = 201", [1]),
        ("(POP - 1) / 3 = 33", [1]),
        ("-POP = 7", [2]),
        ("POP / 0 = 1", []),
        ("Area > POP", []),
        ("Area < POP", [1]),
        ("Built >= DATE '2024-01-01'", [1]),
        ("Built < TIMESTAMP '1970-01-01 00:00:01'", [2]),
        ("Opened = DATE '2024-01-01'", [1]),
        ("GlobalID = '{bbbbbbbb-0000-0000-0000-000000000002}'", [2]),
        ("GlobalID IN ('aaaaaaaa-0000-0000-0000-000000000001')", [1]),
        ("1 = 1", [1, 2, 3]),
        ("1 = 0", []),
        ("OBJECTID > .5e1", []),
        ("NULL = NULL", []),
        ("NOT (POP = NULL)", []),
        ("POP = 100 OR POP = NULL", [1]),
    ])
    func selection(clause: String, expected: [Int64]) throws {
        #expect(try selected(clause) == expected, "\(clause)")
    }

    /// The error for `clause`, or nil when it is accepted.
    func refusal(_ clause: String) -> String? {
        do {
            _ = try WhereClause(clause).bound(to: Self.layer)
            return nil
        } catch {
            return (error as? ReplicaExportError)?.message
        }
    }

    @Test(arguments: [
        ("UPPER(Name) = 'A'", "function UPPER() is outside the subset at character 0"),
        ("POP IN (SELECT POP FROM t)", "subquery (SELECT) is outside the subset at character 8"),
        ("EXISTS (SELECT 1)", "subquery (EXISTS)"),
        ("Owner = 'x'", "field 'Owner' is not in layer 'parcels'"),
        ("Name = 5", "compares a number with text"),
        ("Built > '2024-01-01'", "compares a date with text"),
        ("POP + 'a' = 1", "'+' takes a number, not text at character 4"),
        ("Photo IS NULL", "binary data"),
        ("POP = 1 AND", "ends too early"),
        ("Name = 'open", "string is not closed (a quote inside a string is written '') at character 7"),
        ("POP ; DROP TABLE x", "character ';' is not part of the subset at character 4"),
        ("Built > DATE '2024-02-30'", "not a valid date"),
        ("POP LIKE 'a%'", "LIKE compares text, not a number"),
        ("POP", "not a condition"),
        ("", "empty"),
        ("POP = 1 POP", "unexpected 'POP' at character 8"),
        ("international = true", "TRUE is not allowed here at character 16"),
    ])
    func refused(clause: String, fragment: String) throws {
        let message = try #require(refusal(clause), "\(clause) was accepted")
        #expect(message.contains(fragment), "\(message)")
        #expect(message.hasPrefix("where: "))
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "(", count: 100_000) + "1 = 1" + String(repeating: ")", count: 100_000)
        #expect(refusal(deep)?.contains("nests deeper than 200") == true)
        let notChain = String(repeating: "NOT ", count: 10_000) + "POP = 1"
        #expect(refusal(notChain)?.contains("nests deeper than 200") == true)
        let sum = "POP" + String(repeating: " + 1", count: 10_000) + " = 0"
        #expect(refusal(sum)?.contains("nests deeper than 200") == true)
        // Long AND / OR chains are flat, not deep: accepted and evaluated.
        let chain = Array(repeating: "POP = 100", count: 10_000).joined(separator: " AND ")
        #expect(try selected(chain) == [1])
        let shallow = String(repeating: "(", count: 150) + "POP = 100" + String(repeating: ")", count: 150)
        #expect(try selected(shallow) == [1])
    }

    /// Random strings built from the subset's own pieces never crash the parser or the evaluator.
    @Test func fuzzedInputsNeverCrash() {
        let pieces = ["POP", "Name", "(", ")", "=", "<>", "<", ">=", "AND", "OR", "NOT", "IN", "BETWEEN", "LIKE",
                      "IS", "NULL", "'a%'", "''", "'", "\"", "1", "-", "+", "*", "/", ",", "DATE", "'2024-01-01'",
                      "ESCAPE", "Built", "TIMESTAMP", "1e400", "9223372036854775807", "é", "\u{0}", "%", "."]
        var generator = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<20_000 {
            let count = Int.random(in: 1...12, using: &generator)
            let text = (0..<count).map { _ in pieces.randomElement(using: &generator)! }
                .joined(separator: Bool.random(using: &generator) ? " " : "")
            if let bound = try? WhereClause(text).bound(to: Self.layer) {
                accepted += 1
                for row in Self.rows { _ = bound.matches(row) }
            }
        }
        #expect(accepted > 0)
    }

    @Test func aBadWhereInTheRequestNamesTheLayerQuery() throws {
        let body = "syncModel=none&dataFormat=csv&layers=0&layerQueries="
            + #"{"0":{"where":"LOWER(Name) = 'a'"}}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        do {
            _ = try CreateReplicaParameters(formBody: body)
            Issue.record("accepted")
        } catch {
            let answer = ServiceError(error)
            #expect(answer.code == 400)
            #expect(answer.message.hasPrefix("layerQueries[0].where: the function LOWER() is outside the subset"), "\(answer.message)")
        }
    }
}
