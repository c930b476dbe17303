/// An `esriFieldType`.
public enum FieldType: String, Sendable, Equatable, CaseIterable, Codable {
    case objectID = "esriFieldTypeOID"
    case globalID = "esriFieldTypeGlobalID"
    case guid = "esriFieldTypeGUID"
    case smallInteger = "esriFieldTypeSmallInteger"
    case integer = "esriFieldTypeInteger"
    case bigInteger = "esriFieldTypeBigInteger"
    case single = "esriFieldTypeSingle"
    case double = "esriFieldTypeDouble"
    case string = "esriFieldTypeString"
    case date = "esriFieldTypeDate"
    case dateOnly = "esriFieldTypeDateOnly"
    case timeOnly = "esriFieldTypeTimeOnly"
    case timestampOffset = "esriFieldTypeTimestampOffset"
    case blob = "esriFieldTypeBlob"
    case raster = "esriFieldTypeRaster"
    case xml = "esriFieldTypeXML"

    /// The ``Value`` case a non-null value of this type carries. Readers coerce to it, writers rely on it.
    public var storage: Value.Kind {
        switch self {
        case .objectID: return .int64
        case .globalID, .guid: return .guid
        case .smallInteger: return .int16
        case .integer: return .int32
        case .bigInteger: return .int64
        case .single: return .float32
        case .double: return .float64
        case .string, .xml: return .string
        case .date: return .date
        case .dateOnly: return .dateOnly
        case .timeOnly: return .timeOnly
        case .timestampOffset: return .timestampOffset
        case .blob, .raster: return .blob
        }
    }
}

/// One attribute field of a layer.
public struct Field: Sendable, Equatable, Codable {
    public var name: String
    public var type: FieldType
    public var alias: String?
    /// Declared length for strings (characters), nil when unknown.
    public var length: Int?
    public var nullable: Bool
    public var editable: Bool
    public var domain: Domain?
    /// No value of the field in the input is longer than this many UTF-8 bytes, where the source
    /// tells it before the features are read (a mobile geodatabase asks SQLite); nil otherwise.
    /// Not encoded: it describes one input, not the field.
    public var maxValueBytes: Int?

    private enum CodingKeys: String, CodingKey { case name, type, alias, length, nullable, editable, domain }

    public init(name: String, type: FieldType, alias: String? = nil, length: Int? = nil,
                nullable: Bool = true, editable: Bool = true, domain: Domain? = nil) {
        self.name = name
        self.type = type
        self.alias = alias
        self.length = length
        self.nullable = nullable
        self.editable = editable
        self.domain = domain
    }
}

/// An attribute domain.
public enum Domain: Sendable, Equatable, Codable {
    /// `codedValue`: codes (typed like the field) and their names.
    case codedValue(name: String, codes: [CodedValue])
    /// `range`: inclusive minimum and maximum.
    case range(name: String, minimum: Value, maximum: Value)

    public var name: String {
        switch self {
        case .codedValue(let name, _), .range(let name, _, _): return name
        }
    }
}

/// One entry of a coded-value domain.
public struct CodedValue: Sendable, Equatable, Codable {
    public var code: Value
    public var name: String
    public init(code: Value, name: String) {
        self.code = code
        self.name = name
    }
}
