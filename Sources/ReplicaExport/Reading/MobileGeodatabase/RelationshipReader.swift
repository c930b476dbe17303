import Foundation

/// Attaches relationship classes to the layers they relate: a layer whose layer JSON lists its
/// `relationships` gets those (the service's own ids and names); any other layer gets the ones the
/// catalog's relationship class items define. Attachment relationships are not relationships here:
/// attachments travel on their own.
enum RelationshipReader {
    /// `layers[i]` is stored in `plans[i].table`.
    static func attach(to layers: inout [LayerSchema], plans: [LayerPlan], catalog: GeodatabaseCatalog,
                       file: String, notes: inout [Diagnostic]) {
        let serviceLayers = catalog.serviceLayers
        var relID = 0
        for item in catalog.items where item.type == GDBItemType.relationshipClass {
            guard let xml = item.definition, xml.string("IsAttachmentRelationship") != "true" else { continue }
            let strip: (String) -> String = { $0.lowercased().hasPrefix("main.") ? String($0.dropFirst(5)) : $0 }
            guard let origin = xml.child("OriginClassNames")?.string("Name").map(strip),
                  let destination = xml.child("DestinationClassNames")?.string("Name").map(strip),
                  let oi = plans.firstIndex(where: { $0.table.lowercased() == origin.lowercased() }),
                  let di = plans.firstIndex(where: { $0.table.lowercased() == destination.lowercased() }) else {
                notes.append(Diagnostic(.inputSkipped, "relationship class '\(item.name)' relates classes this reader does not export; skipped", at: ErrorLocation(input: file)))
                continue
            }
            let cardinality = xml.string("Cardinality").flatMap(Relationship.Cardinality.init(rawValue:)) ?? .oneToMany
            let keys = xml.descendants("RelationshipClassKey")
            func key(_ role: String) -> String? {
                keys.first(where: { $0.string("KeyRole") == role })?.string("ObjectKeyName")
            }
            let composite = xml.string("IsComposite") == "true"
            let relName = strip(item.name)
            let id = relID
            relID += 1
            if layers[oi].schemaSource != .layerResource || !(serviceLayers[plans[oi].table.lowercased()]?["relationships"] is [Any]) {
                layers[oi].relationships.append(Relationship(
                    id: id, name: relName, relatedLayerId: layers[di].id, cardinality: cardinality, role: .origin,
                    keyField: key("esriRelKeyRoleOriginPrimary") ?? "", isComposite: composite))
            }
            if layers[di].schemaSource != .layerResource || !(serviceLayers[plans[di].table.lowercased()]?["relationships"] is [Any]) {
                layers[di].relationships.append(Relationship(
                    id: id, name: relName, relatedLayerId: layers[oi].id, cardinality: cardinality, role: .destination,
                    keyField: key("esriRelKeyRoleOriginForeign") ?? key("esriRelKeyRoleDestinationForeign") ?? "", isComposite: composite))
            }
        }
        for i in layers.indices {
            guard let rels = serviceLayers[plans[i].table.lowercased()]?["relationships"] as? [[String: Any]] else { continue }
            for r in rels {
                guard let id = (r["id"] as? NSNumber)?.intValue,
                      let related = (r["relatedTableId"] as? NSNumber)?.intValue else { continue }
                layers[i].relationships.append(Relationship(
                    id: id, name: (r["name"] as? String) ?? "relationship_\(id)", relatedLayerId: related,
                    cardinality: (r["cardinality"] as? String).flatMap(Relationship.Cardinality.init(rawValue:)) ?? .oneToMany,
                    role: (r["role"] as? String).flatMap(Relationship.Role.init(rawValue:)) ?? .origin,
                    keyField: (r["keyField"] as? String) ?? "", isComposite: (r["composite"] as? Bool) ?? false))
            }
        }
    }
}
