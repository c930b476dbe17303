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
        var wanted = kept.map(\.field.name) + labelled.map { "\($0.field.name)_label" }
        let replaced = limits.fieldNameCharactersReplaced
        if !replaced.isEmpty {
            wanted = wanted.map { name in
                String(name.map { c -> Character in
                    replaced.contains(c) || c.unicodeScalars.contains { $0.properties.generalCategory == .control } ? "_" : c
                })
            }
        }
        let names = maxFieldNameBytes.map { FieldNames.shortened(wanted, maxBytes: $0) }
            ?? (replaced.isEmpty ? wanted : FieldNames.shortened(wanted, maxBytes: Int.max / 2))
        var labelEncoding = ValueEncoding.string
        if case .column(let rule) = columns[.string] { labelEncoding = rule.encoding }
        return OutputColumnPlan(
            kept: zip(kept, names).map { ($0.0.index, $0.0.field, $0.0.rule, $0.1) },
            labels: zip(labelled, names.dropFirst(kept.count)).map { ($0.0.index, $0.0.field, $0.0.labels, $0.1) },
            dropped: dropped, labelEncoding: labelEncoding)
    }
}

/// The columns that hold a layer's geometry where a format keeps it in columns of its own (CSV,
/// Excel): one of ISO WKT, and `X`, `Y` (and `Z`) for point layers, named so that they take no
/// field's name. The writers and verify name them here, alike.
enum GeometryColumns {
    /// `WKT`, or `WKT_1`, `WKT_2`... when a field takes the name. `takenNames`: lower case.
    static func wktName(takenNames: Set<String>) -> String {
        unique("WKT", takenNames: takenNames)
    }

    /// `X`, `Y` (and `Z` when the layer has Z) for a point layer, of `type` (text: the shortest
    /// round-trip text; Real: the number), renamed `X_1`... when a field takes the name; none
    /// for other layers. `takenNames`: the fields' column names, lower case.
    static func pointColumns(for layer: LayerSchema, takenNames: Set<String>, type: GDALColumnType,
                             notes: inout LayerNotes) -> [GDALColumnSpec] {
        pointAxes(for: layer, takenNames: takenNames).map { axis, name, encoding in
            if name != axis {
                notes.note(.fieldRenamed, "point coordinate column named '\(name)': '\(axis)' is a field")
            }
            return GDALColumnSpec(name: name, type: type, source: 0, encoding: encoding, sourceName: name)
        }
    }

    /// The point columns' axis, name and encoding (see ``pointColumns(for:takenNames:type:notes:)``).
    static func pointAxes(for layer: LayerSchema, takenNames: Set<String>) -> [(axis: String, name: String, encoding: ValueEncoding)] {
        guard layer.kind != .table, layer.geometryType == .point else { return [] }
        let taken = takenNames.union(["wkt"])
        var axes: [(String, ValueEncoding)] = [("X", .geometryX), ("Y", .geometryY)]
        if layer.hasZ { axes.append(("Z", .geometryZ)) }
        return axes.map { axis, encoding in (axis, unique(axis, takenNames: taken), encoding) }
    }

    private static func unique(_ name: String, takenNames: Set<String>) -> String {
        var candidate = name, n = 1
        while takenNames.contains(candidate.lowercased()) { candidate = "\(name)_\(n)"; n += 1 }
        return candidate
    }
}
