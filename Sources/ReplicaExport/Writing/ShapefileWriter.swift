import Foundation

/// ESRI Shapefile through GDAL: one shapefile per layer (a lone `.dbf` for tables).
///
/// Field names are cut to 10 bytes without collisions (`descriptio`, `descript_1`), the mapping
/// written beside the files as `<layer>.fieldnames.csv` and reported. Text is UTF-8 (`.cpg`), the
/// `.prj` comes from the SRS, Z and M are kept. A layer whose features mix geometry types gets one
/// shapefile per extra type (`<layer>_points.shp`, ...), created when first needed.
/// Loses: time of day of dates (date only; diagnostic), blobs (skipped; diagnostic), text beyond
/// 254 bytes (truncated; diagnostic), doubles keep 15 decimals (fixed-point `.dbf` numbers,
/// |v| >= 1e16 is an error). TimeOnly and TimestampOffset become ISO text.
public final class ShapefileWriter: FormatWriter {
    public static let formatName = "shapefile"
    public static let capabilities: WriterCapabilities = [.zValues, .mValues]

    private let core: WriterCore
    public var diagnostics: [Diagnostic] { core.diagnostics }

    private struct Sink {
        var dataset: GDALOutputDataset
        var writer: GDALLayerWriter
        var file: String
    }
    private var sinks: [String: Sink] = [:]  // by file name
    private var sinkOrder: [String] = []
    private var layerBase = ""
    private var stagingDirectory: URL?
    private var columns: [GDALColumnSpec] = []

    public init(request: WriterRequest) throws {
        core = WriterCore(request: request)
    }

    static let extensions = ["shp", "shx", "dbf", "prj", "cpg", "qix", "sbn", "sbx", "fieldnames.csv"]
    static let typeSuffixes = ["points", "multipoints", "polylines", "polygons"]

    static func suffix(_ type: GeometryType) -> String {
        switch type {
        case .point: return "points"
        case .multipoint: return "multipoints"
        case .polyline: return "polylines"
        case .polygon, .envelope: return "polygons"
        }
    }

    /// Field names cut to 10 UTF-8 bytes, made unique case-insensitively with `_1`, `_2`... suffixes.
    public static func shortNames(_ names: [String], reserved: Set<String> = []) -> [String] {
        var used = Set(reserved.map { $0.lowercased() })
        return names.map { name in
            var candidate = ValueText.truncated(name, maxBytes: 10) ?? name
            var n = 1
            while used.contains(candidate.lowercased()) {
                let suffix = "_\(n)"
                candidate = (ValueText.truncated(name, maxBytes: 10 - suffix.utf8.count) ?? name) + suffix
                n += 1
            }
            used.insert(candidate.lowercased())
            return candidate
        }
    }

    public func beginLayer(_ layer: LayerSchema) throws {
        try core.startLayer(layer)
        let loc = core.location(layer)
        let base = core.names.name(for: layer)
        layerBase = base
        var finals = Self.extensions.map { "\(base).\($0)" }
        for s in Self.typeSuffixes { finals += Self.extensions.map { "\(base)_\(s).\($0)" } }
        try core.staging.checkAvailable(finals, at: loc)
        stagingDirectory = try core.staging.makeGroup(label: base, obsolete: finals, at: loc)

        let kept = layer.fields.enumerated().filter { _, f in
            if f.type == .blob || f.type == .raster {
                core.note(.fieldDropped, "blob field skipped: shapefiles have no binary field type", layer: layer.name, field: f.name)
                return false
            }
            return true
        }
        let shorts = Self.shortNames(kept.map { $0.element.name })
        columns = []
        var mapping: [(String, String)] = []
        for ((i, field), short) in zip(kept, shorts) {
            if short != field.name {
                mapping.append((field.name, short))
                core.note(.fieldRenamed, "field name shortened to '\(short)'", layer: layer.name, field: field.name, file: "\(base).dbf")
            }
            var spec = GDALColumnSpec(name: short, type: .string, nullable: true, source: i, encoding: .string,
                                      sourceName: field.name)
            switch field.type {
            case .objectID: (spec.type, spec.width, spec.encoding) = (.integer64, 18, .integer64)
            case .smallInteger: (spec.type, spec.width, spec.encoding) = (.integer, 6, .integer)
            case .integer: (spec.type, spec.width, spec.encoding) = (.integer, 11, .integer)
            case .bigInteger: (spec.type, spec.width, spec.encoding) = (.integer64, 20, .integer64)
            case .single, .double: (spec.type, spec.width, spec.precision, spec.encoding) = (.real, 33, 15, .realShortestDecimal)
            case .globalID, .guid: (spec.type, spec.width, spec.encoding) = (.string, 38, .guidAsGiven)
            case .string, .xml: (spec.type, spec.width, spec.encoding) = (.string, 254, .stringMaxBytes(254))
            case .date: (spec.type, spec.encoding) = (.date, .dateToDate)
            case .dateOnly: (spec.type, spec.encoding) = (.date, .dateOnly)
            case .timeOnly: (spec.type, spec.width, spec.encoding) = (.string, 12, .timeOnlyISO)
            case .timestampOffset: (spec.type, spec.width, spec.encoding) = (.string, 29, .timestampOffsetISO)
            case .blob, .raster: continue
            }
            if field.domain != nil {
                core.note(.domainDropped, "domain '\(field.domain!.name)' not kept: shapefiles have no domains", layer: layer.name, field: field.name)
            }
            columns.append(spec)
        }
        if !mapping.isEmpty, let dir = stagingDirectory {
            var text = "original,short\n"
            for (original, short) in mapping { text += Self.csvField(original) + "," + Self.csvField(short) + "\n" }
            do {
                try text.write(to: dir.appendingPathComponent("\(base).fieldnames.csv"), atomically: false, encoding: .utf8)
            } catch {
                throw ReplicaExportError(.fileSystem, "cannot write the field name mapping: \(error.localizedDescription)",
                                   at: loc, cause: error as NSError)
            }
        }
        if layer.kind == .table || layer.geometryType == nil {
            _ = try sink(for: nil, layer: layer)
        }
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// The sink for a geometry type: the layer's own type (or a table) goes to `<layer>.shp`,
    /// any other to `<layer>_<type>.shp`, created on first use.
    private func sink(for type: GeometryType?, layer: LayerSchema) throws -> String {
        let isTable = layer.kind == .table || layer.geometryType == nil
        let mainType = layer.geometryType
        let effective = isTable ? nil : (type ?? mainType)
        let file: String
        if isTable { file = "\(layerBase).dbf" }
        else if effective == mainType { file = "\(layerBase).shp" }
        else { file = "\(layerBase)_\(Self.suffix(effective!)).shp" }
        if sinks[file] != nil { return file }
        guard let dir = stagingDirectory else { throw ReplicaExportError(.invalidState, "no layer open") }
        var loc = core.location(layer)
        loc.output = file
        if !isTable && effective != mainType {
            core.note(.geometryTypeSplit, "features of type \(effective!.rawValue) written to '\(file)': a shapefile holds one geometry type",
                      layer: layer.name, file: file)
        }
        let geometry: GDALGeometrySpec
        if let effective {
            let kind: GDALGeometrySpec.Kind
            switch effective {
            case .point: kind = .point
            case .multipoint: kind = .multiPoint
            case .polyline: kind = .multiLineString
            case .polygon, .envelope: kind = .multiPolygon
            }
            geometry = GDALGeometrySpec(kind: kind, hasZ: layer.hasZ, hasM: layer.hasM)
        } else {
            geometry = GDALGeometrySpec(kind: .none)
        }
        let dataset = try GDALOutputDataset(driver: "ESRI Shapefile", path: dir.appendingPathComponent(file).path, location: loc)
        var options = ["ENCODING=UTF-8"]
        if columns.contains(where: { $0.type == .string }) { options.append("RESIZE=YES") }
        let layerName = (file as NSString).deletingPathExtension
        let writer = try dataset.createLayer(name: layerName, spatialReference: isTable ? nil : layer.spatialReference,
                                             geometry: geometry, options: options, columns: columns,
                                             fidSource: nil, at: loc)
        core.reportRenames(writer, layer: layer, file: file)
        // The shapefile specification's "no data" measure is any value below -1e38 (NaN is not allowed).
        writer.missingMReplacement = -Double.greatestFiniteMagnitude
        sinks[file] = Sink(dataset: dataset, writer: writer, file: file)
        sinkOrder.append(file)
        return file
    }

    public func write(_ features: [PreparedFeature]) throws {
        let layer = try core.requireLayer("write")
        var start = 0
        while start < features.count {
            let type = features[start].geometry?.geometryType
            var end = start + 1
            while end < features.count && features[end].geometry?.geometryType == type { end += 1 }
            let file = try sink(for: type, layer: layer)
            try sinks[file]!.writer.write(features[start..<end], firstIndex: core.nextFeatureIndex + start)
            start = end
        }
        core.nextFeatureIndex += features.count
    }

    public func endLayer() throws {
        let layer = try core.requireLayer("endLayer")
        if sinks.isEmpty {
            // A feature layer without features still gets its (empty) shapefile.
            _ = try sink(for: nil, layer: layer)
        }
        for file in sinkOrder {
            let s = sinks[file]!
            try core.closeLayerFile(s.dataset, s.writer, layer: layer, file: file)
        }
        sinks = [:]
        sinkOrder = []
        stagingDirectory = nil
        core.currentLayer = nil
    }

    public func commit() throws -> [WrittenOutput] {
        if core.currentLayer != nil { try endLayer() }
        return try core.commitOutputs()
    }

    public func abort() {
        sinks = [:]
        sinkOrder = []
        core.abortOutputs()
    }
}
