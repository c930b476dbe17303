import Foundation

/// The columns one input layer gets in a format, by the profile's rules: each kept field with its
/// rule and the name it is written under, the `<field>_label` columns of `--domain-labels`, and
/// the fields the format cannot hold. The writer creates these columns; verify finds them again.
struct OutputColumnPlan {
    /// Fields that become columns: their index in the layer, the rule, the (shortened) name.
    var kept: [(index: Int, field: Field, rule: ColumnRule, name: String)]
    /// Label columns, after every field: the coded field's index and its labels.
    var labels: [(index: Int, field: Field, labels: DomainLabels, name: String)]
    /// Fields the format cannot hold, with the reason.
    var dropped: [(field: Field, reason: String)]
    /// How the format keeps text, which label columns are.
    var labelEncoding: ValueEncoding
}

extension WriterProfile {
    /// The plan for `layer`: the field-type table applied to every field but `skippedField` (a
    /// FID column the dataset makes itself), label columns where `domainLabels` asks for them and
    /// the format has no domains, names cut to ``maxFieldNameBytes`` (label columns after every
    /// field, so that they never change a field's name) and unique case-insensitively. For GDAL
    /// formats only: a format the library writes itself keeps every field as it is.
    func columnPlan(for layer: LayerSchema, domainLabels: Bool, skippedField: Int? = nil) -> OutputColumnPlan {
        guard let gdal else { preconditionFailure("\(formatName) has no GDAL column table") }
        let columns = gdal.columns, maxFieldNameBytes = gdal.maxFieldNameBytes
        var kept: [(index: Int, field: Field, rule: ColumnRule)] = []
        var dropped: [(field: Field, reason: String)] = []
        for (i, field) in layer.fields.enumerated() where i != skippedField {
            switch columns[field.type] {
            case .dropped(let reason): dropped.append((field, reason))
            case .column(let rule): kept.append((i, field, rule))
            }
        }
        var labelled: [(index: Int, field: Field, labels: DomainLabels)] = []
        if domainLabels && !capabilities.contains(.domains) {
            for (i, field, _) in kept {
                if let labels = DomainLabels(layer: layer, field: field) { labelled.append((i, field, labels)) }
            }
        }
        let wanted = kept.map(\.field.name) + labelled.map { "\($0.field.name)_label" }
        let names = maxFieldNameBytes.map { FieldNames.shortened(wanted, maxBytes: $0) } ?? wanted
        var labelEncoding = ValueEncoding.string
        if case .column(let rule) = columns[.string] { labelEncoding = rule.encoding }
        return OutputColumnPlan(
            kept: zip(kept, names).map { ($0.0.index, $0.0.field, $0.0.rule, $0.1) },
            labels: zip(labelled, names.dropFirst(kept.count)).map { ($0.0.index, $0.0.field, $0.0.labels, $0.1) },
            dropped: dropped, labelEncoding: labelEncoding)
    }
}
