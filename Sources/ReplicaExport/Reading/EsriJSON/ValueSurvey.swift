import Foundation

/// The second pass over one layer's `features`, made when the layer is opened, before any column is
/// created: what the schema cannot tell until every value has been seen.
///
/// - Declared fields (a layer resource's, a FeatureSet's `fields`): whether every value fits its
///   field's type and length, and if not how much wider the field must be (``ValueNeeds``), so
///   that one value outside its declaration widens its column instead of costing the file.
/// - Layers without fields: the field types, inferred from the values (``SchemaInference``).
/// - Geometry: its type and spatial reference where the layer declares none (every geometry
///   parsed), or only whether geometries carry Z or M the layer does not declare (the flags and the
///   first vertex of each geometry looked at, the rest skipped).
///
/// Made as its own pass over the layer's features (``run(url:chunkSize:offset:layer:plan:)``), or
/// one feature at a time by the first, structural pass (``Survey``) where it knows the layer's
/// schema when it reaches the features, which saves reading them twice.
///
/// Holds one number per field and geometry fact: memory does not grow with the features.
struct ValueSurvey {
    /// Per checked field: what its values need beyond its declaration, and the longest text (in
    /// characters) that did not fit its length.
    private(set) var needs: [ValueNeeds]
    private(set) var longest: [Int]
    /// The fields inferred from the values (layers without fields).
    var inference = SchemaInference()
    /// Geometries carry Z / M (the layer's flags aside).
    private(set) var sawZ = false
    private(set) var sawM = false

    /// What was looked at, and the Z and M the layer declared then: a result counts only for the
    /// same plan and flags.
    let plan: Plan
    let layerHasZ: Bool
    let layerHasM: Bool
    private let input: String
    private let layerName: String
    private let parser: EsriGeometryParser
    private let names: FieldLookup
    private let checks: [Check]
    /// What ``visit(_:)`` looks at, from the plan.
    private let looksAtAttributes: Bool
    private let infersFields: Bool
    private let parsesGeometry: Bool
    private let peeksDimensions: Bool
    private var key: [UInt8] = []
    /// Features looked at so far.
    private(set) var featureIndex = 0

    /// What to look at in a layer's features.
    struct Plan: Equatable {
        /// The fields whose values are checked against their declaration (empty: none); each
        /// attribute goes to the field of its name (case-insensitively), as the reader puts it.
        var checked: [Field] = []
        /// The index in `checked` of a field not checked (the ObjectID, which is never widened).
        var unchecked: Int?
        /// Infer the fields from the values.
        var inferFields = false
        /// Parse every geometry for its type, spatial reference, Z and M.
        var parseGeometry = false
        /// Look whether geometries carry Z or M.
        var peekDimensions = false

        var isEmpty: Bool { checked.isEmpty && !inferFields && !parseGeometry && !peekDimensions }
    }

    /// A survey of `layer`'s features by `plan`, before any feature; `input` names the file in errors.
    init(layer: LayerSchema, plan: Plan, input: String) {
        self.plan = plan
        layerHasZ = layer.hasZ
        layerHasM = layer.hasM
        self.input = input
        layerName = layer.name
        parser = EsriGeometryParser(layerHasZ: layer.hasZ, layerHasM: layer.hasM)
        names = FieldLookup(plan.checked)
        checks = plan.checked.indices.map { Check(plan.checked[$0], checked: $0 != plan.unchecked) }
        needs = Array(repeating: [], count: plan.checked.count)
        longest = Array(repeating: 0, count: plan.checked.count)
        infersFields = plan.inferFields
        looksAtAttributes = plan.inferFields || !plan.checked.isEmpty
        parsesGeometry = plan.parseGeometry
        peeksDimensions = plan.peekDimensions
    }

    /// Whether this survey answers for `layer` surveyed by `plan`.
    func answers(_ plan: Plan, for layer: LayerSchema) -> Bool {
        self.plan == plan && layerHasZ == layer.hasZ && layerHasM == layer.hasM
    }

    /// How a checked field's values are looked at: the common value of each type is told without
    /// building it (no string, no ``Value``); anything else goes through ``EsriValues/needs(_:declared:)``.
    private enum Check {
        case none, int16, int32, int64, float32, float64, date, guid
        case text(length: Int?)
        case general

        init(_ field: Field, checked: Bool) {
            guard checked else { self = .none; return }
            switch field.type.storage {
            case .int16: self = .int16
            case .int32: self = .int32
            case .int64: self = .int64
            case .float32: self = .float32
            case .float64: self = .float64
            case .date: self = .date
            case .guid: self = .guid
            case .string: self = .text(length: field.length.flatMap { $0 > 0 ? $0 : nil })
            default: self = .general
            }
        }
    }

    private static let attributesKey = Array("attributes".utf8)
    private static let geometryKey = Array("geometry".utf8)

    /// Surveys the `features` array at `offset` of the file at `url` for the layer `layer`.
    static func run(url: URL, chunkSize: Int, offset: Int, layer: LayerSchema, plan: Plan) throws -> ValueSurvey {
        var survey = ValueSurvey(layer: layer, plan: plan, input: url.path)
        let s = try JSONScanner(url: url, chunkSize: chunkSize)
        try s.seek(to: offset)
        try s.beginArray()
        var first = true
        while try s.nextElement(first: &first) { try survey.visit(s) }
        return survey
    }

    /// Looks at the feature at the scanner's position, and consumes it.
    mutating func visit(_ s: JSONScanner) throws {
        defer { featureIndex &+= 1 }
        do {
            try s.beginObject()
            var first = true
            while let member = try s.nextKey(first: &first) {
                if JSONScanner.key(member, is: Self.attributesKey) {
                    guard looksAtAttributes, !(try s.consumeNull()) else {
                        try s.skipValue()
                        continue
                    }
                    guard try s.peekValueStart() == UInt8(ascii: "{") else {
                        throw ReplicaExportError(.unexpectedType, "'attributes' must be an object", at: s.location())
                    }
                    if infersFields {
                        try inferAttributes(s)
                    } else {
                        try names.forEachField(in: s) { i in try check(s, field: i) }
                    }
                } else if JSONScanner.key(member, is: Self.geometryKey) {
                    if parsesGeometry {
                        try inferGeometry(s)
                    } else if peeksDimensions {
                        let seen = try EsriGeometryParser.dimensions(s, layerHasZ: layerHasZ, layerHasM: layerHasM)
                        sawZ = sawZ || seen.z
                        sawM = sawM || seen.m
                    } else {
                        try s.skipValue()
                    }
                } else {
                    try s.skipValue()
                }
            }
        } catch var error as ReplicaExportError {
            // Made only here: a URL's path costs more than a feature's values.
            error.location = error.location.filled(from: ErrorLocation(input: input, layer: layerName, featureIndex: featureIndex))
            throw error
        }
    }

    /// The value at the scanner's position against field `i`'s declaration.
    private mutating func check(_ s: JSONScanner, field i: Int) throws {
        let b = try s.peekValueStart()
        if b == UInt8(ascii: "n") {
            _ = try s.readLiteral()
            return
        }
        switch checks[i] {
        case .none:
            try s.skipValue()
            return
        case .int16, .int32, .int64, .float32, .float64, .date:
            guard JSONScanner.startsNumber(b) else { break }
            // Most numbers fit by their shape alone (how many digits, a point, an exponent); the
            // others are read again, converted.
            let at = s.offset
            if let shape = try s.skipNumberToken(), Self.fits(shape, checks[i]) { return }
            try s.seek(to: at)
            let n = try s.readNumber()
            if !Self.fits(n, checks[i]) { note(i, EsriValues.needs(.number(n), declared: plan.checked[i])) }
            return
        case .text(let length):
            guard b == UInt8(ascii: "\"") else { break }
            // Within its length, told by its bytes: nothing to decode.
            guard let length else { return try s.skipValue() }
            let at = s.offset
            if try s.skipString() <= length { return }
            try s.seek(to: at)
        case .guid:
            guard b == UInt8(ascii: "\"") else { break }
            if try !s.withStringBytes({ $0.isEmpty || EsriValues.isGUID($0) }) { needs[i].insert(.text) }
            return
        case .general:
            break
        }
        note(i, EsriValues.needs(try s.readScannedValue(), declared: plan.checked[i]))
    }

    /// Whether a number of this shape is certainly a value of the check's type: few enough digits
    /// for the integer types (and dates), no exponent and fewer than 39 for a Single.
    private static func fits(_ shape: JSONScanner.NumberShape, _ check: Check) -> Bool {
        switch check {
        case .int16: return shape.isInteger && shape.integerDigits <= 4
        case .int32: return shape.isInteger && shape.integerDigits <= 9
        case .int64, .date: return shape.isInteger && shape.integerDigits <= 18
        case .float32: return !shape.hasExponent && shape.integerDigits <= 38
        case .float64: return true
        default: return false
        }
    }

    /// Whether a number is a value of the check's type as it stands (integers in range, any number
    /// in a Double field; NaN and infinity count: they are kept or dropped, never widened for).
    private static func fits(_ n: JSONNumber, _ check: Check) -> Bool {
        switch (check, n) {
        case (.int16, .int(let i)): return Int16(exactly: i) != nil
        case (.int32, .int(let i)): return Int32(exactly: i) != nil
        case (.int64, .int), (.float64, _), (.date, .int): return true
        case (.float32, .int): return true
        case (.float32, .double(let d)): return !d.isFinite || abs(d) <= Double(Float.greatestFiniteMagnitude)
        case (_, .double(let d)): return !d.isFinite
        default: return false
        }
    }

    private mutating func note(_ i: Int, _ result: (needs: ValueNeeds, textLength: Int)) {
        needs[i].formUnion(result.needs)
        longest[i] = max(longest[i], result.textLength)
    }

    /// One feature's attributes, observed for inference.
    private mutating func inferAttributes(_ s: JSONScanner) throws {
        try s.beginObject()
        var first = true
        var expected = 0
        while try s.nextMember(first: &first, key: &key) {
            let i = inference.stats(for: key, expected: expected)
            expected = i &+ 1
            switch try s.readScannedValue() {
            case .null: break
            case .string(let text): inference.observe(i, string: text)
            case .number(let n): inference.observe(i, number: n)
            case .bool(let b): inference.observe(i, bool: b)
            case .json(let text): inference.observe(i, string: text)
            }
        }
    }

    /// One geometry, parsed for the layer's geometry type, spatial reference, Z and M.
    private mutating func inferGeometry(_ s: JSONScanner) throws {
        // One that draws nothing is reported when the features are read; it says nothing about the layer.
        guard let g = try parser.parseOrSkip(s).geometry else { return }
        if let t = g.type, g.geometry != nil || !g.isEmpty {
            // With no declared type the geometries decide; several types are kept (formats
            // holding one type per layer split them), the first names the layer.
            if let known = inference.geometryType, known != t {
                inference.otherGeometryTypes.insert(t)
            } else {
                inference.geometryType = t
            }
            inference.sawGeometry = true
        }
        sawZ = sawZ || g.sawZ
        sawM = sawM || g.sawM
        if inference.spatialReference == nil, let sr = EsriSchema.spatialReference(g.spatialReference) {
            inference.spatialReference = sr
        }
    }
}

/// Attribute names to field indices as the reader matches them: the field after the previous one
/// first (attributes usually come in the fields' order), then by name, case-insensitively. A class
/// so that a reader holding it can walk an attributes object with a body that changes the reader.
final class FieldLookup {
    private let names: [[UInt8]]
    private let fields: [Field]
    // One lookup serves one reading thread and never reenters: no runtime access checks.
    @exclusivity(unchecked) private var byName: [String: Int] = [:]
    /// Names that are no field, in the order first met.
    @exclusivity(unchecked) private(set) var unknown: [String] = []

    init(_ fields: [Field]) {
        self.fields = fields
        names = fields.map { Array($0.name.utf8) }
    }

    func index(of key: UnsafeBufferPointer<UInt8>, expected: Int) -> Int? {
        if expected < names.count && JSONScanner.key(key, is: names[expected]) { return expected }
        let name = String(decoding: key, as: UTF8.self)
        if let i = byName[name] { return i >= 0 ? i : nil }
        let i = fields.firstIndex(where: { $0.name == name })
            ?? fields.firstIndex(where: { $0.name.lowercased() == name.lowercased() })
        byName[name] = i ?? -1
        if i == nil { unknown.append(name) }
        return i
    }

    /// Reads the attributes object at the scanner's position, calling `body` with the index of each
    /// attribute's field, the scanner at its value (which `body` must consume); attributes that are
    /// no field are skipped.
    @inline(__always)
    func forEachField(in s: JSONScanner, _ body: (Int) throws -> Void) throws {
        try s.beginObject()
        var first = true
        var expected = 0
        while let key = try s.nextKey(first: &first) {
            guard let i = index(of: key, expected: expected) else {
                try s.skipValue()
                continue
            }
            expected = i &+ 1
            try body(i)
        }
    }
}
