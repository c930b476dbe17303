/// An `esriFieldType`.
public enum FieldType: String, Sendable, Equatable, CaseIterable, Codable {
    /// `esriFieldTypeOID`: the layer's ObjectID, unique in the layer; carried as ``Value/int64(_:)``
    /// (32- or 64-bit in the input).
    case objectID = "esriFieldTypeOID"
    /// `esriFieldTypeGlobalID`: the GUID ArcGIS gives every row, unique across replicas; carried as
    /// ``Value/guid(_:)``; outputs write the replica's values, never letting a driver regenerate them.
    case globalID = "esriFieldTypeGlobalID"
    /// `esriFieldTypeGUID`: a GUID value, typically a key naming another row's GlobalID (``Value/guid(_:)``).
    case guid = "esriFieldTypeGUID"
    /// `esriFieldTypeSmallInteger`: a 16-bit signed integer (``Value/int16(_:)``).
    case smallInteger = "esriFieldTypeSmallInteger"
    /// `esriFieldTypeInteger`: a 32-bit signed integer (``Value/int32(_:)``).
    case integer = "esriFieldTypeInteger"
    /// `esriFieldTypeBigInteger`: a 64-bit signed integer (``Value/int64(_:)``). FileGDB under GDAL 3.6
    /// holds it as a double: values beyond 2^53 are rounded and reported (``Diagnostic/Code/integerRounded``).
    case bigInteger = "esriFieldTypeBigInteger"
    /// `esriFieldTypeSingle`: a 32-bit float (``Value/float32(_:)``).
    case single = "esriFieldTypeSingle"
    /// `esriFieldTypeDouble`: a 64-bit float (``Value/float64(_:)``).
    case double = "esriFieldTypeDouble"
    /// `esriFieldTypeString`: text (``Value/string(_:)``); ``Field/length`` is its declared maximum.
    case string = "esriFieldTypeString"
    /// `esriFieldTypeDate`: an instant, milliseconds since 1970-01-01 UTC (``Value/date(milliseconds:)``).
    case date = "esriFieldTypeDate"
    /// `esriFieldTypeDateOnly`: a calendar date without time (``Value/dateOnly(_:)``).
    case dateOnly = "esriFieldTypeDateOnly"
    /// `esriFieldTypeTimeOnly`: a time of day without date (``Value/timeOnly(_:)``).
    case timeOnly = "esriFieldTypeTimeOnly"
    /// `esriFieldTypeTimestampOffset`: an instant with the UTC offset it was recorded in
    /// (``Value/timestampOffset(_:)``).
    case timestampOffset = "esriFieldTypeTimestampOffset"
    /// `esriFieldTypeBlob`: binary data (``Value/blob(_:)``; base64 in Esri JSON).
    case blob = "esriFieldTypeBlob"
    /// `esriFieldTypeRaster`: raster data, carried as opaque bytes (``Value/blob(_:)``).
    case raster = "esriFieldTypeRaster"
    /// `esriFieldTypeXML`: an XML document, carried as text (``Value/string(_:)``).
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
    /// The field name as the input spells it (outputs may have to rename it: ``Diagnostic/Code/fieldRenamed``).
    public var name: String
    /// `type`: what the field holds, and so which ``Value`` case its non-null values carry.
    public var type: FieldType
    /// `alias`: the name to show users; nil when the input gives none.
    public var alias: String?
    /// Declared length for strings (characters), nil when unknown.
    public var length: Int?
    /// `nullable`: whether the field may hold null (default true). Formats that record nullability
    /// write it.
    public var nullable: Bool
    /// `editable`: whether the service lets clients edit the field (default true). Read from the input
    /// for completeness; no output format records it.
    public var editable: Bool
    /// `domain`: the field's attribute domain; nil when it has none. A subtype may use another one
    /// (``Subtype/domains``).
    public var domain: Domain?
    /// No value of the field in the input is longer than this many UTF-8 bytes, where the source
    /// tells it before the features are read (a mobile geodatabase asks SQLite); nil otherwise.
    /// Not encoded: it describes one input, not the field.
    public var maxValueBytes: Int?

    private enum CodingKeys: String, CodingKey { case name, type, alias, length, nullable, editable, domain }

    /// A field as a layer resource declares it; the defaults are a layer resource's (nullable,
    /// editable, no alias, length or domain).
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

    /// The domain's name, unique among the domains of a service or geodatabase.
    public var name: String {
        switch self {
        case .codedValue(let name, _), .range(let name, _, _): return name
        }
    }
}

/// One entry of a coded-value domain.
public struct CodedValue: Sendable, Equatable, Codable {
    /// The stored value, typed like the field's storage (an `int16` code in a SmallInteger field).
    public var code: Value
    /// The label of the code, as users see it.
    public var name: String
    /// A code and its label.
    public init(code: Value, name: String) {
        self.code = code
        self.name = name
    }
}
