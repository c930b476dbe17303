import Foundation

/// What belongs to a layer or a dataset rather than to one feature: the spatial reference, the
/// domains attached to fields, the relationship classes.
extension FormatVerifier {
    /// The plan the writer made for `layer` (``WriterProfile/columnPlan(for:domainLabels:skippedField:)``),
    /// with label columns wherever the format has no domains: they are compared where present.
    mutating func columnPlan(_ layer: LayerSchema) -> OutputColumnPlan {
        if let plan = plans[layer.name] { return plan }
        let plan = profile.columnPlan(for: layer, domainLabels: true)
        plans[layer.name] = plan
        return plan
    }

    // MARK: spatial reference

    /// The input layer's spatial reference after the documented reprojection (WGS84 where the
    /// format requires it), compared with the one GDAL reads from the output as the same
    /// coordinate system (`OSRIsSameEx`, names and axis order aside), else by authority code.
    func verifySpatialReference(_ layer: LayerSchema, found: GDALSpatialReference?, file: String?,
                                into verification: inout LayerVerification) {
        guard layer.kind != .table, layer.geometryType != nil else { return }
        var place = here(layer)
        place.output = file
        place.detail = "spatial reference"
        let foundText = found.map(Self.describe) ?? "none"
        if verification.spatialReference == nil || file == nil { verification.spatialReference = found.map(Self.label) ?? "none" }
        let expected: GDALSpatialReference?
        if profile.capabilities.contains(.requiresWGS84) {
            expected = GDALSpatialReference.fromUserInput("EPSG:4326")
        } else if let reference = layer.spatialReference {
            do {
                expected = try GDALSpatialReference.from(reference)
            } catch let error as ReplicaExportError {
                verification.differ(Difference(location: place, expected: "a resolvable spatial reference", actual: error.message))
                return
            } catch {
                return
            }
        } else {
            // No spatial reference in the input: none in the output either. A GeoPackage cannot say
            // "none": its geometry columns name the undefined SRS of the specification (srs_id 0
            // or -1, "Undefined geographic SRS" / "Undefined Cartesian SRS" as GDAL reads them).
            if let found, !Self.isUndefined(found) {
                verification.differ(Difference(location: place, expected: "none", actual: foundText))
            }
            return
        }
        guard let expected else { return }
        guard let found else {
            verification.differ(Difference(location: place, expected: Self.describe(expected), actual: "none"))
            return
        }
        let sameCode = expected.authorityCode != nil && expected.authorityCode == found.authorityCode
        // GeoJSON is WGS84 longitude/latitude; GDAL reads a file with Z values as WGS 84 3D (EPSG:4979).
        let wgs84With3D = profile.capabilities.contains(.requiresWGS84)
            && (GDALSpatialReference.fromUserInput("EPSG:4979").map(found.isEquivalent) ?? false)
        if !sameCode && !wgs84With3D && !expected.isEquivalent(to: found) {
            verification.differ(Difference(location: place, expected: Self.describe(expected), actual: foundText))
        }
    }

    /// The GeoPackage specification's undefined spatial references, which stand for none.
    private static func isUndefined(_ srs: GDALSpatialReference) -> Bool {
        srs.authorityCode == nil && (srs.name?.hasPrefix("Undefined ") ?? false)
    }

    /// "EPSG:26912" or the name, for the table.
    private static func label(_ srs: GDALSpatialReference) -> String {
        srs.authorityCode ?? srs.name ?? "WKT"
    }

    /// "EPSG:26912 (NAD83 / UTM zone 12N)", for a difference.
    private static func describe(_ srs: GDALSpatialReference) -> String {
        switch (srs.authorityCode, srs.name) {
        case let (code?, name?): return "\(code) (\(name))"
        case let (code?, nil): return code
        case let (nil, name?): return "'\(name)' (no authority code)"
        case (nil, nil): return "a WKT definition without name or code"
        }
    }

    // MARK: domains

    /// Formats that keep domains: every field that has one (the subtype field its subtypes) has a
    /// column naming a domain of the same name, kind, codes and labels, or bounds, in the dataset;
    /// no other column names one.
    func verifyDomains(_ layer: LayerSchema, output: LayerSchema, domainNames: [String: String], domains: [String: Domain],
                       into verification: inout LayerVerification) {
        guard profile.capabilities.contains(.domains) else { return }
        let oid = layer.objectIdField?.lowercased()
        for field in layer.fields {
            if profile.featureID == .objectIDColumn, field.name.lowercased() == oid { continue }  // the FID
            guard case .column? = profile.gdal?.columns[field.type], let j = Self.fieldIndex(field.name, in: output) else { continue }
            let column = output.fields[j].name
            let place = here(layer, field: field.name)
            let expected = Domain.attachableTypes.contains(field.type) ? layer.columnDomain(of: field) : nil
            let named = domainNames[column]
            guard let expected else {
                if let named {
                    verification.differ(Difference(location: place, expected: "no domain", actual: "domain '\(named)'"))
                }
                continue
            }
            verification.domainsCompared += 1
            guard let named else {
                verification.differ(Difference(location: place, expected: "domain '\(expected.name)'", actual: "no domain"))
                continue
            }
            guard named == expected.name else {
                verification.differ(Difference(location: place, expected: "domain '\(expected.name)'", actual: "domain '\(named)'"))
                continue
            }
            guard let written = domains[named] else {
                verification.differ(Difference(location: place, expected: "domain '\(expected.name)' in the dataset",
                                               actual: "none (the field names a domain the dataset does not hold)"))
                continue
            }
            // GDAL 3.6.2 reads a FileGDB domain's XML with the leading white space of each code and
            // label dropped (the file keeps them: ArcGIS's own ' Interstate' in procaching_data).
            if let problem = Self.domainDifference(expected, written, leadingSpaceLost: profile.readBack.domainLeadingSpaceLost) {
                verification.differ(Difference(location: place, expected: "domain '\(expected.name)': \(problem.expected)",
                                               actual: problem.actual))
            }
        }
    }

    /// The first difference between two domains, nil when they hold the same codes and labels (in
    /// any order) or the same bounds.
    static func domainDifference(_ expected: Domain, _ found: Domain, leadingSpaceLost: Bool = false) -> (expected: String, actual: String)? {
        switch (expected, found) {
        case (.codedValue(_, var codes), .codedValue(_, let foundCodes)):
            if leadingSpaceLost {
                codes = codes.map { code in
                    var code = code
                    code.name = String(code.name.drop { $0.isWhitespace })
                    if case .string(let s) = code.code { code.code = .string(String(s.drop { $0.isWhitespace })) }
                    return code
                }
            }
            let written = Dictionary(foundCodes.map { (codeKey($0.code), $0) }, uniquingKeysWith: { first, _ in first })
            let wanted = Set(codes.map { codeKey($0.code) })
            for code in codes {
                guard let match = written[codeKey(code.code)] else {
                    return ("code \(codeText(code.code)) '\(code.name)'", "no code \(codeText(code.code))")
                }
                if match.name != code.name {
                    return ("code \(codeText(code.code)) '\(code.name)'", "code \(codeText(code.code)) '\(match.name)'")
                }
            }
            if let extra = foundCodes.first(where: { !wanted.contains(codeKey($0.code)) }) {
                return ("\(codes.count) codes", "an extra code \(codeText(extra.code)) '\(extra.name)'")
            }
            return nil
        case (.range(_, let minimum, let maximum), .range(_, let foundMinimum, let foundMaximum)):
            if !sameBound(minimum, foundMinimum) || !sameBound(maximum, foundMaximum) {
                return ("range \(codeText(minimum))...\(codeText(maximum))", "range \(codeText(foundMinimum))...\(codeText(foundMaximum))")
            }
            return nil
        case (.codedValue, _): return ("a coded-value domain", "a range domain")
        case (.range, _): return ("a range domain", "a coded-value domain")
        }
    }

    /// Codes compare by value whatever their width (a SmallInteger code reads back as Integer64,
    /// a BigInteger one from a FileGDB Double column as a Real).
    private static func codeKey(_ value: Value) -> String {
        if let d = value.doubleValue { return d == d.rounded() && abs(d) < 9.2e18 ? "n\(Int64(d))" : "n\(d)" }
        switch value {
        case .string(let s), .guid(let s): return "s" + s
        case .null: return "null"
        default: return "\(value)"
        }
    }

    private static func codeText(_ value: Value) -> String {
        if let i = value.integerValue { return String(i) }
        if let d = value.doubleValue { return String(d) }
        switch value {
        case .string(let s), .guid(let s): return "'\(s)'"
        case .null: return "unbounded"
        default: return "\(value)"
        }
    }

    private static func sameBound(_ a: Value, _ b: Value) -> Bool {
        if a.isNull || b.isNull { return a.isNull && b.isNull }
        guard let x = a.doubleValue, let y = b.doubleValue else { return codeKey(a) == codeKey(b) }
        return x == y || abs(x - y) <= 1e-12 * max(abs(x), abs(y))
    }

    // MARK: relationship classes

    /// Every relationship class of the input whose both ends are layers of it is listed in
    /// `relationships.json` beside the outputs (with the ends as written: layer and key column
    /// names), and, where the format keeps relationship classes (FileGDB), is in the dataset with
    /// the same tables, keys, cardinality and kind, next to one `<layer>__ATTACHREL` per
    /// attachment table; nothing else is listed or stored.
    mutating func verifyRelationships(in dataset: GDALDatasetSource?, into result: inout FormatVerification) {
        for layer in source.replica.layers where outputSchemas[layer.id] == nil { _ = columnPlan(layer) }
        let ids = Set(source.replica.layers.map(\.id))
        let classes = source.replica.relationshipClasses.filter { ids.contains($0.originLayerId) && ids.contains($0.destinationLayerId) }
        func layerPosition(_ id: Int) -> Int? { source.replica.layers.firstIndex { $0.id == id } }
        func differ(_ layerId: Int?, _ detail: String, expected: String, actual: String) {
            let position = layerId.flatMap(layerPosition)
            let location = ErrorLocation(layer: position.map { source.replica.layers[$0].name }, detail: detail, format: format)
            let difference = Difference(location: location, expected: expected, actual: actual)
            if let position, result.layers.indices.contains(position) {
                result.layers[position].differ(difference)
            } else {
                result.problems.append(difference.description)
            }
        }
        func count(_ layerId: Int) {
            if let position = layerPosition(layerId), result.layers.indices.contains(position) {
                result.layers[position].relationshipsCompared += 1
            }
        }

        // relationships.json, in every format.
        let listingURL = folder.appendingPathComponent("relationships.json")
        var listed: [RelationshipListingEntry]?
        if let data = FileManager.default.contents(atPath: listingURL.path) {
            listed = try? JSONDecoder().decode([RelationshipListingEntry].self, from: data)
            if listed == nil {
                differ(nil, "relationships.json", expected: "a list of relationship classes", actual: "an unreadable file")
            }
        }
        for relationship in classes {
            let detail = "relationship class '\(relationship.name)' in relationships.json"
            count(relationship.originLayerId)
            guard let entries = listed else {
                differ(relationship.originLayerId, detail, expected: "listed", actual: "no relationships.json")
                continue
            }
            guard let entry = entries.first(where: { $0.id == relationship.id }) else {
                differ(relationship.originLayerId, detail, expected: "listed", actual: "not listed")
                continue
            }
            if let problem = listingDifference(relationship, entry) {
                differ(relationship.originLayerId, detail, expected: problem.expected, actual: problem.actual)
            }
        }
        for entry in listed ?? [] where !classes.contains(where: { $0.id == entry.id }) {
            differ(entry.origin.layerId, "relationship class '\(entry.name)' in relationships.json",
                   expected: "not listed (the input has no relationship class \(entry.id))", actual: "listed")
        }

        // The dataset's own relationship classes.
        guard profile.capabilities.contains(.relationships), let dataset else { return }
        var expectedNames = Set<String>()
        for relationship in classes {
            guard let destinationKey = relationship.destinationKeyField,
                  let leftKey = outputKey(relationship.originKeyField, layerId: relationship.originLayerId),
                  let rightKey = outputKey(destinationKey, layerId: relationship.destinationLayerId),
                  let left = outputLayerNames[relationship.originLayerId],
                  let right = outputLayerNames[relationship.destinationLayerId] else {
                continue  // not created, and reported at export: a key is not among the written columns
            }
            expectedNames.insert(relationship.name)
            let detail = "relationship class '\(relationship.name)'"
            guard let found = dataset.relationships.first(where: { $0.name == relationship.name }) else {
                differ(relationship.originLayerId, detail, expected: "in the dataset", actual: "none")
                continue
            }
            let cardinality: String
            switch relationship.cardinality {
            case .oneToOne: cardinality = "1:1"
            case .oneToMany: cardinality = "1:n"
            case .manyToMany: cardinality = "n:m"
            }
            let expected = "\(left).\(leftKey) \(cardinality) \(right).\(rightKey)\(relationship.isComposite ? " composite" : "")"
            let actual = "\(found.leftTable).\(found.leftKeys.joined(separator: "+")) \(found.cardinality) "
                + "\(found.rightTable).\(found.rightKeys.joined(separator: "+"))\(found.isComposite ? " composite" : "")"
            if expected.lowercased() != actual.lowercased() {
                differ(relationship.originLayerId, detail, expected: expected, actual: actual)
            }
        }
        for (layerId, table) in attachmentTables.sorted(by: { $0.key < $1.key }) {
            guard let parent = outputLayerNames[layerId] else { continue }
            let name = "\(parent)__ATTACHREL"
            expectedNames.insert(name)
            count(layerId)
            let detail = "attachment relationship class '\(name)'"
            guard let found = dataset.relationships.first(where: { $0.name == name }) else {
                differ(layerId, detail, expected: "in the dataset", actual: "none")
                continue
            }
            let expected = "\(parent) 1:n \(table) media composite"
            let actual = "\(found.leftTable) \(found.cardinality) \(found.rightTable) \(found.relatedTableType)\(found.isComposite ? " composite" : "")"
            if expected != actual { differ(layerId, detail, expected: expected, actual: actual) }
        }
        for found in dataset.relationships where !expectedNames.contains(found.name) {
            let layerId = outputLayerNames.first { $0.value == found.leftTable }?.key
            differ(layerId, "relationship class '\(found.name)'", expected: "none (the input has no such class)",
                   actual: "\(found.leftTable) \(found.cardinality) \(found.rightTable)")
        }
    }

    /// The first field of a `relationships.json` entry that differs from the input's class.
    private func listingDifference(_ r: RelationshipClass, _ entry: RelationshipListingEntry) -> (expected: String, actual: String)? {
        if entry.name != r.name { return ("name '\(r.name)'", "'\(entry.name)'") }
        if entry.cardinality != r.cardinality.rawValue { return ("cardinality \(r.cardinality.rawValue)", entry.cardinality) }
        if entry.composite != r.isComposite { return ("composite \(r.isComposite)", "\(entry.composite)") }
        for (end, layerId, key, written) in [("origin", r.originLayerId, r.originKeyField as String?, entry.origin),
                                             ("destination", r.destinationLayerId, r.destinationKeyField, entry.destination)] {
            if written.layerId != layerId { return ("\(end) layer id \(layerId)", "\(written.layerId)") }
            if let name = outputLayerNames[layerId], written.layer != name { return ("\(end) layer '\(name)'", "'\(written.layer)'") }
            let expectedKey = key.map { outputKey($0, layerId: layerId) ?? $0 }
            if expectedKey?.lowercased() != written.key?.lowercased() {
                return ("\(end) key \(expectedKey.map { "'\($0)'" } ?? "none")", written.key.map { "'\($0)'" } ?? "none")
            }
        }
        return nil
    }

    /// The name a key field of an input layer has in the output: the FID column where the
    /// ObjectID is the FID, the (shortened, renamed) column otherwise; nil when it has none.
    private func outputKey(_ field: String, layerId: Int) -> String? {
        guard let layer = source.replica.layers.first(where: { $0.id == layerId }) else { return nil }
        if let output = outputSchemas[layerId] {
            if profile.featureID == .objectIDColumn, field.lowercased() == layer.objectIdField?.lowercased() {
                return output.objectIdField ?? field
            }
            return output.fieldIndex(named: field).map { output.fields[$0].name }
                ?? Self.fieldIndex(field, in: output).map { output.fields[$0].name }
        }
        guard let plan = plans[layer.name] else { return field }
        return plan.kept.first { $0.field.name.lowercased() == field.lowercased() }?.name
    }
}
