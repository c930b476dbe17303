import Foundation

extension ExportReport {
    /// A short human summary: layers, features written per format and output.
    public var summary: String {
        var lines: [String] = []
        let layerCount = replica.layers.count
        lines.append("\(replica.name): \(layerCount) layer\(layerCount == 1 ? "" : "s"), "
                     + "\(featuresRead.values.reduce(0, +)) features read"
                     + (keptTrueCurves ? ", true curves kept where the format can hold them" : ""))
        for format in outputs.keys.sorted() {
            let written = outputs[format]!
            lines.append("  \(format): \(featuresWritten(format: format)) features")
            for output in written {
                lines.append("    \(output.url.path)  [\(output.layerName): \(output.featureCount)]")
            }
        }
        let losses = self.losses
        if !losses.isEmpty {
            lines.append("  losses (what a format could not hold as given):")
            lines.append(contentsOf: Self.table(
                header: ["format", "layer", "field", "what", "values", "first OBJECTID"],
                rows: losses.map { loss in
                    [loss.location.format ?? "", loss.location.layer ?? "", loss.location.field ?? "",
                     loss.code.rawValue, loss.count.map(String.init) ?? "", loss.location.objectID.map(String.init) ?? ""]
                }).map { "    " + $0 })
        }
        for failure in failures {
            lines.append("  \(failure.format): FAILED, nothing written: \(failure.message)")
        }
        let notes = diagnostics.filter { $0.severity == .info }.count, warnings = diagnostics.count - notes
        var printed: [String] = []
        if warnings > 0 { printed.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
        if notes > 0 { printed.append("\(notes) note\(notes == 1 ? "" : "s")") }
        if !printed.isEmpty { lines.append("  \(printed.joined(separator: ", ")) (on stderr)") }
        return lines.joined(separator: "\n")
    }

    /// Left-aligned columns, two spaces apart.
    static func table(header: [String], rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }
}

extension Replica {
    /// A human outline of the metadata and every layer's schema.
    public var outline: String {
        var lines: [String] = []
        var header = "replica \(name)"
        if let id { header += " id \(id)" }
        if let syncModel { header += " syncModel \(syncModel.rawValue)" }
        if let replicaServerGen { header += " serverGen \(replicaServerGen)" }
        if let syncDataOptions { header += " syncDataOptions \(syncDataOptions)" }
        lines.append(header)
        for layer in layers {
            var line = "layer \(layer.id) \(layer.name) (\(layer.kind.rawValue)"
            if let type = layer.geometryType { line += ", \(type.rawValue)\(layer.hasZ ? " Z" : "")\(layer.hasM ? " M" : "")" }
            if let sr = layer.spatialReference {
                if let wkid = sr.preferredWkid { line += ", wkid \(wkid)" } else if sr.wkt != nil { line += ", WKT" }
            }
            line += ", schema from \(layer.schemaSource.rawValue)"
            if let serverGen = layerServerGens[layer.id] { line += ", serverGen \(serverGen)" }
            lines.append(line + ")")
            for field in layer.fields {
                var text = "  \(field.name): \(field.type.rawValue.replacingOccurrences(of: "esriFieldType", with: ""))"
                if let length = field.length, field.type == .string { text += "(\(length))" }
                if let alias = field.alias, alias != field.name { text += " alias '\(alias)'" }
                if !field.nullable { text += " not null" }
                if let domain = field.domain { text += " domain '\(domain.name)'" }
                if layer.inferredFields.contains(field.name) { text += " (inferred)" }
                lines.append(text)
            }
        }
        return lines.joined(separator: "\n")
    }
}
