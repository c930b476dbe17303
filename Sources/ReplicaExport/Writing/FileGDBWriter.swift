import Foundation

/// Esri file geodatabase through GDAL's OpenFileGDB driver: one `<replica>.gdb` with every layer
/// as a feature class (or a table when it has no geometry).
///
/// Keeps: field types (SmallInteger as Int16, Single as Float32), aliases, nullability, ObjectIDs
/// (as the FID), GUID and GlobalID values (as GUID columns: GDAL never makes a GlobalID column,
/// which it would regenerate), coded and range domains, circular arcs as true curves, Z and M.
/// Loses: milliseconds of dates (whole seconds; diagnostic), BigInteger beyond 2^53 (an error),
/// TimeOnly and TimestampOffset become ISO text (diagnostic).
public final class FileGDBWriter: FormatWriter {
    public static let formatName = "filegdb"
    public static let capabilities: WriterCapabilities = [
        .circularArcs, .domains, .binaryFields, .zValues, .mValues, .multipleLayersPerFile,
    ]

    private let gdbName: String
    private var dataset: GDALOutputDataset?
    private var addedDomains: Set<String> = []
    private var layerWriter: GDALLayerWriter?

    private let core: WriterCore
    public var diagnostics: [Diagnostic] { core.diagnostics }

    public init(request: WriterRequest) throws {
        var base = OutputNames.sanitize(request.replica.name)
        if base.isEmpty { base = "replica" }
        if base.lowercased().hasSuffix(".gdb") { base = String(base.dropLast(4)) }
        gdbName = base + ".gdb"
        core = WriterCore(request: request)
        try core.staging.checkAvailable([gdbName], at: ErrorLocation(output: gdbName))
    }

    private var finalURL: URL { core.staging.finalURL(gdbName) }

    private func openDataset() throws -> GDALOutputDataset {
        if let dataset { return dataset }
        let location = ErrorLocation(output: gdbName)
        let dir = try core.staging.makeGroup(label: gdbName, at: location)
        let created = try GDALOutputDataset(driver: "OpenFileGDB", path: dir.appendingPathComponent(gdbName).path,
                                            location: location)
        dataset = created
        return created
    }

    public func beginLayer(_ layer: LayerSchema) throws {
        try core.startLayer(layer)
        let dataset = try openDataset()
        let loc = core.location(layer)
        let oid = core.oidIndex(layer)
        var columns: [GDALColumnSpec] = []
        var guidColumns: [String] = []
        var domainFields: [(Domain, GDALColumnType, GDALColumnSubtype)] = []
        for (i, field) in layer.fields.enumerated() where i != oid {
            var spec = GDALColumnSpec(name: field.name, type: .string, nullable: field.nullable, alias: field.alias,
                                      source: i, encoding: .string, sourceName: field.name)
            switch field.type {
            case .objectID: (spec.type, spec.encoding) = (.integer64, .integer64Within53Bits)
            case .globalID, .guid:
                (spec.type, spec.width, spec.encoding) = (.string, 38, .guidBracedUpper)
                guidColumns.append(field.name)
                if field.type == .globalID {
                    core.note(.typeChanged, "GlobalID kept as a GUID column with the replica's values (a GlobalID column would be regenerated)",
                         layer: layer.name, field: field.name)
                }
            case .smallInteger: (spec.type, spec.subtype, spec.encoding) = (.integer, .int16, .integer)
            case .integer: (spec.type, spec.encoding) = (.integer, .integer)
            case .bigInteger: (spec.type, spec.encoding) = (.integer64, .integer64Within53Bits)
            case .single: (spec.type, spec.subtype, spec.encoding) = (.real, .float32, .real)
            case .double: (spec.type, spec.encoding) = (.real, .real)
            case .string: (spec.type, spec.width, spec.encoding) = (.string, field.length ?? 0, .string)
            case .xml: (spec.type, spec.encoding) = (.string, .string)
            case .date: (spec.type, spec.encoding) = (.dateTime, .dateTimeWholeSeconds)
            case .dateOnly: (spec.type, spec.encoding) = (.date, .dateOnly)
            case .timeOnly:
                (spec.type, spec.width, spec.encoding) = (.string, 12, .timeOnlyISO)
                core.note(.typeChanged, "TimeOnly stored as text HH:MM:SS.sss: GDAL 3.6 cannot write a time-only FileGDB field",
                     layer: layer.name, field: field.name)
            case .timestampOffset:
                (spec.type, spec.width, spec.encoding) = (.string, 29, .timestampOffsetISO)
                core.note(.typeChanged, "TimestampOffset stored as ISO 8601 text with its offset: GDAL 3.6 would convert it to UTC and drop the offset",
                     layer: layer.name, field: field.name)
            case .blob, .raster: (spec.type, spec.encoding) = (.binary, .binary)
            }
            if let domain = field.domain {
                if [.smallInteger, .integer, .bigInteger, .single, .double, .string].contains(field.type) {
                    spec.domainName = domain.name
                    domainFields.append((domain, spec.type, spec.subtype))
                } else {
                    core.note(.domainDropped, "domain '\(domain.name)' not attached: FileGDB domains apply to numbers and text only",
                         layer: layer.name, field: field.name)
                }
            }
            columns.append(spec)
        }
        for (domain, type, subtype) in domainFields where !addedDomains.contains(domain.name) {
            try dataset.addDomain(domain, type: type, subtype: subtype, at: loc)
            addedDomains.insert(domain.name)
        }
        var options: [String] = []
        if let oid { options.append("FID=\(layer.fields[oid].name)") }
        if !guidColumns.isEmpty {
            options.append("COLUMN_TYPES=" + guidColumns.map { "\($0)=esriFieldTypeGUID" }.joined(separator: ","))
        }
        let geometry = Self.geometrySpec(layer)
        if geometry.kind != .none, let sr = layer.spatialReference {
            if let r = sr.xyResolution, r > 0 { options.append("XYSCALE=\(1 / r)") }
            if let t = sr.xyTolerance, t > 0 { options.append("XYTOLERANCE=\(t)") }
        }
        let name = core.names.name(for: layer)
        let writer = try dataset.createLayer(name: name, spatialReference: layer.spatialReference, geometry: geometry,
                                             options: options, columns: columns, fidSource: oid, at: loc)
        if writer.layerName != layer.name {
            core.note(.layerRenamed, "stored as '\(writer.layerName)'", layer: layer.name, file: gdbName)
        }
        core.reportRenames(writer, layer: layer, file: gdbName)
        // GDAL 3.6.2 cannot encode a NaN M ("no measure") in a FileGDB and refuses the feature;
        // 0 is written instead and reported.
        writer.missingMReplacement = 0
        layerWriter = writer
    }

    static func geometrySpec(_ layer: LayerSchema) -> GDALGeometrySpec {
        guard layer.kind != .table, let type = layer.geometryType else { return GDALGeometrySpec(kind: .none) }
        let kind: GDALGeometrySpec.Kind
        switch type {
        case .point: kind = .point
        case .multipoint: kind = .multiPoint
        case .polyline: kind = .multiLineString
        case .polygon, .envelope: kind = .multiPolygon
        }
        return GDALGeometrySpec(kind: kind, hasZ: layer.hasZ, hasM: layer.hasM)
    }

    public func write(_ features: [PreparedFeature]) throws {
        _ = try core.requireLayer("write")
        guard let layerWriter else { return }
        try layerWriter.write(features, firstIndex: core.nextFeatureIndex)
        core.nextFeatureIndex += features.count
    }

    public func endLayer() throws {
        let layer = try core.requireLayer("endLayer")
        if let layerWriter {
            try layerWriter.writeDeferred()
            core.reportLosses(layerWriter, layer: layer, file: gdbName)
            if let first = layerWriter.firstReassignedFID {
                core.note(.objectIDReassigned, "\(layerWriter.reassignedFIDs) feature(s) repeat an earlier ObjectID or have one below 1 "
                          + "(first: \(first.value) at feature \(first.featureIndex)); FileGDB ObjectIDs are unique "
                          + "and positive, so they were given new ObjectIDs", layer: layer.name, file: gdbName)
            }
            core.outputs.append(WrittenOutput(url: finalURL, layerName: layer.name, featureCount: layerWriter.featureCount))
        }
        layerWriter = nil
        core.currentLayer = nil
    }

    public func commit() throws -> [WrittenOutput] {
        if core.currentLayer != nil { try endLayer() }
        if let dataset {
            layerWriter = nil
            try dataset.close()
            self.dataset = nil
        } else {
            // A replica without layers still gives an (empty) geodatabase.
            _ = try openDataset()
            try dataset?.close()
            dataset = nil
        }
        return try core.commitOutputs()
    }

    public func abort() {
        layerWriter = nil
        dataset = nil  // closed by deinit, errors ignored
        core.abortOutputs()
    }
}
