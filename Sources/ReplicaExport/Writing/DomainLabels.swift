extension LayerSchema {
    /// The domain a format that keeps domains gives `field`'s column: the field's own, else, for
    /// the subtype field, the subtypes as a coded domain named `<layer>_<field>`. The writers
    /// attach it and `verify` expects it, by this one rule.
    func columnDomain(of field: Field) -> Domain? {
        if let domain = field.domain { return domain }
        guard field.name == subtypeField, !subtypes.isEmpty else { return nil }
        return .codedValue(name: "\(name)_\(field.name)", codes: subtypes.map { CodedValue(code: $0.code, name: $0.name) })
    }
}

extension Domain {
    /// The field types a domain is attached to in FileGDB and GeoPackage (numbers and text).
    static let attachableTypes: Set<FieldType> = [.smallInteger, .integer, .bigInteger, .single, .double, .string]
}

/// The labels of a coded field, for formats without domains (`ExportRequest.domainLabels`): the
/// `<field>_label` column holds the name of the field's code, chosen per subtype where the subtype
/// has its own domain, and for the subtype field the subtype's name.
final class DomainLabels: Sendable, Equatable {
    private let labels: [String: String]
    private let bySubtype: [String: [String: String]]
    /// The attribute holding the subtype code, when per-subtype labels exist.
    let subtypeSource: Int?

    /// nil when the field has no coded domain anywhere (nor is the subtype field).
    init?(layer: LayerSchema, field: Field) {
        if field.name == layer.subtypeField, !layer.subtypes.isEmpty {
            labels = Dictionary(layer.subtypes.map { (Self.key($0.code), $0.name) }, uniquingKeysWith: { first, _ in first })
            bySubtype = [:]
            subtypeSource = nil
            return
        }
        var own: [String: String] = [:]
        if case .codedValue(_, let codes)? = field.domain {
            own = Dictionary(codes.map { (Self.key($0.code), $0.name) }, uniquingKeysWith: { first, _ in first })
        }
        var perSubtype: [String: [String: String]] = [:]
        for subtype in layer.subtypes {
            if case .codedValue(_, let codes)? = subtype.domains[field.name] {
                perSubtype[Self.key(subtype.code)] = Dictionary(codes.map { (Self.key($0.code), $0.name) },
                                                               uniquingKeysWith: { first, _ in first })
            }
        }
        guard !own.isEmpty || !perSubtype.isEmpty else { return nil }
        labels = own
        bySubtype = perSubtype
        subtypeSource = perSubtype.isEmpty ? nil : layer.subtypeField.flatMap(layer.fieldIndex(named:))
    }

    /// The label of `value` in a feature with these attributes; nil for a null or unknown code.
    func label(of value: Value, in attributes: [Value]) -> String? {
        if value.isNull { return nil }
        if let subtypeSource, let table = bySubtype[Self.key(attributes[subtypeSource])] {
            return table[Self.key(value)]
        }
        return labels[Self.key(value)]
    }

    /// Codes compare by value whatever their integer width.
    private static func key(_ value: Value) -> String {
        if let i = value.integerValue { return "i\(i)" }
        if let d = value.doubleValue { return "d\(d)" }
        switch value {
        case .string(let s), .guid(let s): return "s" + s
        default: return "?"
        }
    }

    static func == (a: DomainLabels, b: DomainLabels) -> Bool { a === b }
}
