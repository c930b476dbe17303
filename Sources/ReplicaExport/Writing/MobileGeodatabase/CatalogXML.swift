import Foundation

/// The XML documents of a mobile geodatabase's catalog (`GDB_Items.Definition` and `ItemInfo`), in
/// the shape ArcGIS Pro 2.8 writes them (namespace `http://www.esri.com/schemas/ArcGIS/10.8`,
/// single-quoted attributes, no declaration, no white space between elements).
enum CatalogXML {
    static let namespaces = "xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:xs='http://www.w3.org/2001/XMLSchema' xmlns:typens='http://www.esri.com/schemas/ArcGIS/10.8'"

    /// Text escaped as ArcGIS escapes it (`&quot;` included).
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func element(_ name: String, _ text: String) -> String { "<\(name)>\(escape(text))</\(name)>" }

    /// A number as ArcGIS writes one in XML: integral values without a decimal point.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// The `SpatialReference` element: the coordinate system as the layer states it, and the grid
    /// its shapes are stored on.
    static func spatialReference(_ reference: SpatialReference?, grid: ShapeGrid, geographic: Bool,
                                 tolerance: Double) -> String {
        let type = reference == nil ? "typens:UnknownCoordinateSystem"
            : geographic ? "typens:GeographicCoordinateSystem" : "typens:ProjectedCoordinateSystem"
        var out = "<SpatialReference xsi:type='\(type)'>"
        if let wkt = reference?.wkt { out += element("WKT", wkt) }
        out += element("XOrigin", number(grid.xOrigin)) + element("YOrigin", number(grid.yOrigin))
            + element("XYScale", number(grid.xyScale)) + element("ZOrigin", number(grid.zOrigin))
            + element("ZScale", number(grid.zScale)) + element("MOrigin", number(grid.mOrigin))
            + element("MScale", number(grid.mScale))
        out += element("XYTolerance", number(reference?.xyTolerance ?? tolerance))
            + element("ZTolerance", "0.001") + element("MTolerance", "0.001") + element("HighPrecision", "true")
        if let wkid = reference?.wkid { out += element("WKID", String(wkid)) }
        if let latest = reference?.latestWkid { out += element("LatestWKID", String(latest)) }
        if let vertical = reference?.verticalWkid { out += element("VCSWKID", String(vertical)) }
        return out + "</SpatialReference>"
    }

    /// One `GPFieldInfoEx`.
    static func field(name: String, alias: String?, type: String, domain: String? = nil, nullable: Bool,
                      required: Bool = false, editable: Bool? = nil, modelName: Bool = true) -> String {
        var out = "<GPFieldInfoEx xsi:type='typens:GPFieldInfoEx'>" + element("Name", name)
        if let alias { out += element("AliasName", alias) }
        if modelName && !name.contains("(") { out += element("ModelName", name) }
        if let domain { out += element("DomainName", domain) }
        out += element("FieldType", type) + element("IsNullable", nullable ? "true" : "false")
        if required { out += element("Required", "true") }
        if let editable { out += element("Editable", editable ? "true" : "false") }
        return out + "</GPFieldInfoEx>"
    }

    /// What a class definition needs beyond its schema.
    struct ClassInfo {
        var table: String
        var dsid: Int64
        var shapeColumn: String?
        var grid: ShapeGrid?
        var extent: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)?
        var relationshipClassNames: [String]
    }

    /// `DEFeatureClassInfo` (a layer with geometry) or `DETableInfo`.
    static func classDefinition(_ layer: LayerSchema, _ info: ClassInfo) -> String {
        let isFeatureClass = info.shapeColumn != nil
        let root = isFeatureClass ? "DEFeatureClassInfo" : "DETableInfo"
        let name = "main.\(info.table)"
        var out = "<\(root) xsi:type='typens:\(root)' \(namespaces)>" + element("CatalogPath", "\\" + name)
            + element("Name", name) + element("ChildrenExpanded", "false")
            + element("DatasetType", isFeatureClass ? "esriDTFeatureClass" : "esriDTTable")
            + element("DSID", String(info.dsid)) + element("Versioned", "false") + element("CanVersion", "true")
            + "<ConfigurationKeyword></ConfigurationKeyword>" + element("RequiredGeodatabaseClientVersion", "10.0")
        let oid = layer.fields.first { $0.type == .objectID }?.name
        out += element("HasOID", oid == nil ? "false" : "true") + element("OIDFieldName", oid ?? "")
        out += "<GPFieldInfoExs xsi:type='typens:ArrayOfGPFieldInfoEx'>"
        for f in layer.fields {
            switch f.type {
            case .objectID:
                out += field(name: f.name, alias: f.alias ?? f.name, type: f.type.rawValue, nullable: false, required: true, editable: false,
                             modelName: false)
            case .globalID:
                out += field(name: f.name, alias: f.alias ?? f.name, type: f.type.rawValue, nullable: false, editable: false)
            default:
                out += field(name: f.name, alias: f.alias, type: MobileGeodatabaseColumns.storedType(f.type).rawValue,
                             domain: f.domain?.name, nullable: f.nullable, editable: f.editable ? nil : false)
            }
        }
        var lengthField = "", areaField = ""
        if let shape = info.shapeColumn {
            out += field(name: shape, alias: shape, type: "esriFieldTypeGeometry", nullable: true, required: true, modelName: false)
            if layer.geometryType == .polyline {
                lengthField = "st_length(\(shape))"
            } else if layer.geometryType == .polygon || layer.geometryType == .envelope {
                lengthField = "st_perimeter(\(shape))"
                areaField = "st_area(\(shape))"
            }
            for derived in [lengthField, areaField] where !derived.isEmpty {
                out += field(name: derived, alias: nil, type: "esriFieldTypeDouble", nullable: false, required: true, editable: false)
            }
        }
        out += "</GPFieldInfoExs>"
        out += element("CLSID", isFeatureClass ? "{52353152-891A-11D0-BEC6-00805F7C4268}" : "{7A566981-C114-11D2-8A28-006097AFF44E}")
            + "<EXTCLSID></EXTCLSID><RelationshipClassNames xsi:type='typens:Names'>"
            + info.relationshipClassNames.map { element("Name", "main.\($0)") }.joined()
            + "</RelationshipClassNames><AliasName></AliasName><ModelName></ModelName>"
        out += element("HasGlobalID", layer.globalIdField == nil ? "false" : "true")
            + element("GlobalIDFieldName", layer.globalIdField ?? "") + "<RasterFieldName></RasterFieldName>"
            + "<ExtensionProperties xsi:type='typens:PropertySet'><PropertyArray xsi:type='typens:ArrayOfPropertySetProperty'></PropertyArray></ExtensionProperties>"
            + "<ControllerMemberships xsi:type='typens:ArrayOfControllerMembership'></ControllerMemberships>"
            + "<EditorTrackingEnabled>false</EditorTrackingEnabled><CreatorFieldName></CreatorFieldName><CreatedAtFieldName></CreatedAtFieldName><EditorFieldName></EditorFieldName><EditedAtFieldName></EditedAtFieldName><IsTimeInUTC>true</IsTimeInUTC>"
        if let shape = info.shapeColumn, let grid = info.grid {
            let reference = layer.spatialReference
            let geographic = reference?.isGeographic ?? false
            let tolerance = 1 / grid.xyScale * 10
            let sr = spatialReference(reference, grid: grid, geographic: geographic, tolerance: tolerance)
            out += element("FeatureType", "esriFTSimple")
                + element("ShapeType", (layer.geometryType == .envelope ? GeometryType.polygon : layer.geometryType ?? .point).rawValue)
                + element("ShapeFieldName", shape) + element("HasM", "false") + element("HasZ", layer.hasZ ? "true" : "false")
                + element("HasSpatialIndex", "false") + element("AreaFieldName", areaField) + element("LengthFieldName", lengthField)
            if let e = info.extent {
                out += "<Extent xsi:type='typens:EnvelopeN'>" + element("XMin", "\(e.xmin)") + element("YMin", "\(e.ymin)")
                    + element("XMax", "\(e.xmax)") + element("YMax", "\(e.ymax)") + sr + "</Extent>"
            } else {
                out += "<Extent xsi:nil='true'/>"
            }
            out += sr
        }
        out += "<ChangeTracked>false</ChangeTracked><FieldFilteringEnabled>false</FieldFilteringEnabled><FilteredFieldNames xsi:type='typens:Names'></FilteredFieldNames><ReplicaTracked>false</ReplicaTracked>"
        return out + "</\(root)>"
    }

    /// `ESRI_ItemInformation` of a class, as Pro 2.8 writes it.
    static func itemInfo(table: String, isFeatureClass: Bool, geometryType: GeometryType?) -> String {
        let name = "main.\(table)"
        let shape: String
        switch geometryType {
        case .point?: shape = "Point"
        case .multipoint?: shape = "Multipoint"
        case .polyline?: shape = "Polyline"
        case .polygon?, .envelope?: shape = "Polygon"
        case nil: shape = ""
        }
        var keywords = ["Data", "Dataset", "Vector Data"]
        keywords += isFeatureClass ? ["Feature Data", shape] : ["Table"]
        keywords += ["Mobile Geodatabase", "SQLite", "GEODATABASE", isFeatureClass ? "Feature Class" : "Table"]
        return """
            <ESRI_ItemInformation culture=''>
            <name>\(escape(name))</name>
            <catalogPath>\\\(escape(name))</catalogPath>
            <snippet></snippet>
            <description></description>
            <summary></summary>
            <title>\(escape(name))</title>
            <tags></tags>
            <type>\(isFeatureClass ? "Mobile Geodatabase Feature Class" : "Mobile Geodatabase Table")</type>
            <typeKeywords>
            \(keywords.map { "<typekeyword>\($0)</typekeyword>" }.joined(separator: "\n"))
            </typeKeywords>
            <url></url>
            <datalastModifiedTime></datalastModifiedTime>
            <extent>
            <xmin></xmin>
            <ymin></ymin>
            <xmax></xmax>
            <ymax></ymax>
            </extent>
            <minScale>0</minScale>
            <maxScale>0</maxScale>
            <spatialReference></spatialReference>
            <accessInformation></accessInformation>
            <licenseInfo></licenseInfo>
            <typeID>\(isFeatureClass ? "mgdb_fc_\(shape.lowercased())" : "mgdb_table")</typeID>
            <isContainer>false</isContainer>
            <browseDialogOnly>false</browseDialogOnly>
            <propNames></propNames>
            <propValues></propValues>
            </ESRI_ItemInformation>
            """
    }

    /// `GPCodedValueDomain2` or `GPRangeDomain2` for a field of `type`.
    static func domain(_ domain: Domain, fieldType: FieldType) -> String {
        let xsType: String
        switch fieldType.storage {
        case .int16: xsType = "xs:short"
        case .int32: xsType = "xs:int"
        case .int64: xsType = "xs:long"
        case .float32: xsType = "xs:float"
        case .float64: xsType = "xs:double"
        case .date: xsType = "xs:dateTime"
        default: xsType = "xs:string"
        }
        func text(_ value: Value) -> String {
            switch value {
            case .date(let ms): return MobileGeodatabaseColumns.xmlDateTime(ms)
            case .guid(let g): return g
            default: return MobileGeodatabaseColumns.codeText(value)
            }
        }
        switch domain {
        case .codedValue(let name, let codes):
            return "<GPCodedValueDomain2 xsi:type='typens:GPCodedValueDomain2' \(namespaces)>" + element("DomainName", name)
                + element("FieldType", MobileGeodatabaseColumns.storedType(fieldType).rawValue)
                + "<MergePolicy>esriMPTDefaultValue</MergePolicy><SplitPolicy>esriSPTDuplicate</SplitPolicy><Description></Description><Owner></Owner>"
                + "<CodedValues xsi:type='typens:ArrayOfCodedValue'>"
                + codes.map { "<CodedValue xsi:type='typens:CodedValue'>" + element("Name", $0.name)
                    + "<Code xsi:type='\(xsType)'>\(escape(text($0.code)))</Code></CodedValue>" }.joined()
                + "</CodedValues></GPCodedValueDomain2>"
        case .range(let name, let minimum, let maximum):
            return "<GPRangeDomain2 xsi:type='typens:GPRangeDomain2' \(namespaces)>" + element("DomainName", name)
                + element("FieldType", MobileGeodatabaseColumns.storedType(fieldType).rawValue)
                + "<MergePolicy>esriMPTDefaultValue</MergePolicy><SplitPolicy>esriSPTDuplicate</SplitPolicy><Description></Description><Owner></Owner>"
                + "<MaxValue xsi:type='\(xsType)'>\(escape(text(maximum)))</MaxValue>"
                + "<MinValue xsi:type='\(xsType)'>\(escape(text(minimum)))</MinValue></GPRangeDomain2>"
        }
    }

    /// `DERelationshipClassInfo`.
    static func relationshipClass(name: String, dsid: Int64, origin: String, destination: String,
                                  originPrimaryKey: String, originForeignKey: String,
                                  cardinality: Relationship.Cardinality, composite: Bool, attachment: Bool) -> String {
        let full = "main.\(name)"
        return "<DERelationshipClassInfo xsi:type='typens:DERelationshipClassInfo' \(namespaces)>"
            + element("CatalogPath", "\\" + full) + element("Name", full)
            + "<ChildrenExpanded>false</ChildrenExpanded><DatasetType>esriDTRelationshipClass</DatasetType>"
            + element("DSID", String(dsid))
            + "<Versioned>false</Versioned><CanVersion>true</CanVersion><ConfigurationKeyword></ConfigurationKeyword><RequiredGeodatabaseClientVersion>10.0</RequiredGeodatabaseClientVersion><HasOID>false</HasOID><OIDFieldName></OIDFieldName><GPFieldInfoExs xsi:type='typens:ArrayOfGPFieldInfoEx'></GPFieldInfoExs><CLSID></CLSID><EXTCLSID></EXTCLSID><RelationshipClassNames xsi:type='typens:Names'></RelationshipClassNames><AliasName></AliasName><ModelName></ModelName><HasGlobalID>false</HasGlobalID><GlobalIDFieldName></GlobalIDFieldName><RasterFieldName></RasterFieldName><ExtensionProperties xsi:type='typens:PropertySet'><PropertyArray xsi:type='typens:ArrayOfPropertySetProperty'></PropertyArray></ExtensionProperties><ControllerMemberships xsi:type='typens:ArrayOfControllerMembership'></ControllerMemberships><EditorTrackingEnabled>false</EditorTrackingEnabled><CreatorFieldName></CreatorFieldName><CreatedAtFieldName></CreatedAtFieldName><EditorFieldName></EditorFieldName><EditedAtFieldName></EditedAtFieldName><IsTimeInUTC>true</IsTimeInUTC>"
            + element("Cardinality", cardinality.rawValue)
            + "<Notification>esriRelNotificationNone</Notification><IsAttributed>false</IsAttributed>"
            + element("IsComposite", composite ? "true" : "false")
            + "<OriginClassNames xsi:type='typens:Names'>" + element("Name", "main.\(origin)") + "</OriginClassNames>"
            + "<DestinationClassNames xsi:type='typens:Names'>" + element("Name", "main.\(destination)") + "</DestinationClassNames>"
            + "<KeyType>esriRelKeyTypeSingle</KeyType><ClassKey>esriRelClassKeyUndefined</ClassKey>"
            + element("ForwardPathLabel", attachment ? "attachment" : "") + element("BackwardPathLabel", attachment ? "object" : "")
            + "<IsReflexive>false</IsReflexive><OriginClassKeys xsi:type='typens:ArrayOfRelationshipClassKey'>"
            + "<RelationshipClassKey xsi:type='typens:RelationshipClassKey'>" + element("ObjectKeyName", originPrimaryKey)
            + "<ClassKeyName></ClassKeyName><KeyRole>esriRelKeyRoleOriginPrimary</KeyRole></RelationshipClassKey>"
            + "<RelationshipClassKey xsi:type='typens:RelationshipClassKey'>" + element("ObjectKeyName", originForeignKey)
            + "<ClassKeyName></ClassKeyName><KeyRole>esriRelKeyRoleOriginForeign</KeyRole></RelationshipClassKey>"
            + "</OriginClassKeys><RelationshipRules xsi:type='typens:ArrayOfRelationshipRule'></RelationshipRules>"
            + element("IsAttachmentRelationship", attachment ? "true" : "false") + "<ChangeTracked>false</ChangeTracked>"
            + "</DERelationshipClassInfo>"
    }

    /// The `DEFAULT` historical marker.
    static func historicalMarker(at date: Date) -> String {
        "<GPHistoricalMarker xsi:type='typens:GPHistoricalMarker' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:xs='http://www.w3.org/2001/XMLSchema' xmlns:typens='http://www.esri.com/schemas/ArcGIS/10.1'><Name>DEFAULT</Name><TimeStamp xsi:type='xs:dateTime'>\(MobileGeodatabaseColumns.xmlDateTime(Int64(date.timeIntervalSince1970 * 1000)))</TimeStamp></GPHistoricalMarker>"
    }
}
