import Foundation

/// Any vector dataset GDAL reads (the FileGDB, shapefile, CSV, GeoJSON and GeoPackage outputs of
/// this library among them) as a ``ReplicaSource``, so that an output is compared with its input
/// on one model.
///
/// Each OGR layer is a layer, numbered in dataset order. Field types come back from GDAL's
/// (Int16 → SmallInteger, Integer → Integer, Integer64 → BigInteger, Float32 → Single, Real → Double,
/// Date → DateOnly, DateTime → Date, Time → TimeOnly, Binary → Blob, everything else String); a
/// layer with a FID column (FileGDB, GeoPackage) gets it as its ObjectID field, first. Geometries are
/// decoded from GDAL's ISO WKB, curves kept, rings in Esri's orientation. Each cursor opens the
/// dataset again, so cursors are independent of each other and of the source.
final class GDALDatasetSource: ReplicaSource {
    let url: URL
    /// What GDAL opens: the file's path, or a path inside it (`/vsizip/.../doc.kml`).
    private let path: String
    /// The drivers that may open it and the configuration options they need.
    private let options: GDALReadOptions
    let replica: Replica
    private(set) var diagnostics: [Diagnostic] = []
    private let layerNames: [String]
    private let counts: [Int]
    /// The dataset's coded-value and range domains by name (`GDALDatasetGetFieldDomain`); fields
    /// of ``replica`` carry the one they name.
    let domains: [String: Domain]
    /// Per layer, each column's domain name as the field names it (`OGR_Fld_GetDomainName`), also
    /// when the dataset has no domain of that name.
    let fieldDomainNames: [[String: String]]
    /// Per layer, its spatial reference as GDAL reads it (a shapefile's `.prj`, GeoJSON's WGS84).
    let spatialReferences: [GDALSpatialReference?]
    /// The dataset's relationship classes (FileGDB, GeoPackage); empty for other formats.
    let relationships: [GDALRelationshipInfo]

    /// The dataset at `url`, opened as `path` (default: the file's own) by `options`' drivers.
    init(url: URL, path: String? = nil, options: GDALReadOptions = GDALReadOptions()) throws {
        self.url = url
        self.path = path ?? url.path
        self.options = options
        let dataset = try Self.open(self.path, options: options)
        var domains: [String: Domain] = [:]
        for name in dataset.fieldDomainNames {
            if let domain = dataset.fieldDomain(named: name).flatMap({ Self.domain($0, named: name) }) { domains[name] = domain }
        }
        var layers: [LayerSchema] = []
        var names: [String] = []
        var counts: [Int] = []
        var fieldDomainNames: [[String: String]] = []
        var spatialReferences: [GDALSpatialReference?] = []
        for index in 0..<dataset.layerCount {
            guard let layer = dataset.layer(at: index) else { continue }
            var schema = Self.schema(of: layer, id: index)
            var named: [String: String] = [:]
            for column in 0..<layer.fieldCount {
                let definition = layer.fieldDefinition(at: column)
                guard let domainName = definition.domainName else { continue }
                named[definition.name] = domainName
                if let i = schema.fields.firstIndex(where: { $0.name == definition.name }) { schema.fields[i].domain = domains[domainName] }
            }
            layers.append(schema)
            names.append(layer.name)
            counts.append(layer.featureCount)
            fieldDomainNames.append(named)
            spatialReferences.append(layer.spatialReference)
        }
        layerNames = names
        self.counts = counts
        self.domains = domains
        self.fieldDomainNames = fieldDomainNames
        self.spatialReferences = spatialReferences
        relationships = dataset.relationshipInfos
        replica = Replica(name: url.deletingPathExtension().lastPathComponent, layers: layers)
    }

    /// A coded-value or range domain in the model: codes and bounds typed like the domain's field
    /// (Integer, Integer64 → BigInteger values; Real → Double; text otherwise). Glob domains: nil.
    private static func domain(_ domain: GDALFieldDomainRef, named name: String) -> Domain? {
        let type = domain.columnType
        func value(_ text: String?) -> Value {
            guard let text else { return .null }
            switch type {
            case .integer, .integer64: return Int64(text).map(Value.int64) ?? .string(text)
            case .real: return Double(text).map(Value.float64) ?? .string(text)
            default: return .string(text)
            }
        }
        switch domain.kind {
        case .coded:
            return .codedValue(name: name, codes: domain.codedValues.map { CodedValue(code: value($0.code), name: $0.value ?? "") })
        case .range:
            let bounds = domain.range
            return .range(name: name, minimum: value(bounds.minimum), maximum: value(bounds.maximum))
        case .glob:
            return nil
        }
    }

    func featureCount(inLayer layerIndex: Int) -> Int? {
        counts.indices.contains(layerIndex) ? counts[layerIndex] : nil
    }

    func featureCursor(inLayer layerIndex: Int, batchSize: Int) throws -> any FeatureCursor {
        guard replica.layers.indices.contains(layerIndex) else {
            throw ReplicaExportError(.invalidOption, "there is no layer at index \(layerIndex)", at: ErrorLocation(input: url.path))
        }
        let dataset = try Self.open(path, options: options)
        guard let layer = dataset.layer(named: layerNames[layerIndex]) else {
            throw ReplicaExportError(.unreadable, "the layer disappeared from the dataset",
                                     at: ErrorLocation(input: url.path, layer: layerNames[layerIndex]))
        }
        return Cursor(layer: layer, schema: replica.layers[layerIndex], input: url.path, batchSize: max(1, batchSize))
    }

    /// Random access by FID to one layer (FileGDB and GeoPackage look FIDs up in their index).
    final class Lookup {
        private let layer: GDALLayer
        private let cursor: Cursor
        init(layer: GDALLayer, cursor: Cursor) {
            self.layer = layer
            self.cursor = cursor
        }
        /// The feature with this FID, nil when there is none.
        func feature(fid: Int64) throws -> Feature? {
            try layer.feature(fid: fid).map { try cursor.read($0) }
        }
    }

    func lookup(inLayer layerIndex: Int) throws -> Lookup {
        let dataset = try Self.open(path, options: options)
        guard let layer = dataset.layer(named: layerNames[layerIndex]) else {
            throw ReplicaExportError(.unreadable, "the layer disappeared from the dataset",
                                     at: ErrorLocation(input: url.path, layer: layerNames[layerIndex]))
        }
        return Lookup(layer: layer, cursor: Cursor(layer: layer, schema: replica.layers[layerIndex], input: url.path, batchSize: 1))
    }

    private static func open(_ path: String, options: GDALReadOptions) throws -> GDALDataset {
        let location = ErrorLocation(input: path)
        return try GDALErrorScope.run(at: location) { errors in
            try GDALDataset.openReadOnly(path: path, options: options, errors: errors, at: location)
        }
    }

    // MARK: schema

    private static func schema(of layer: GDALLayer, id: Int) -> LayerSchema {
        let spec = layer.geometrySpec
        var fields: [Field] = []
        let fid = layer.fidColumn
        if !fid.isEmpty { fields.append(Field(name: fid, type: .objectID, nullable: false)) }
        for index in 0..<layer.fieldCount {
            let definition = layer.fieldDefinition(at: index)
            let (type, subtype) = definition.columnType
            fields.append(Field(name: definition.name, type: fieldType(type, subtype), alias: definition.alternativeName,
                                length: type == .string && definition.width > 0 ? definition.width : nil,
                                nullable: definition.isNullable))
        }
        return LayerSchema(id: id, name: layer.name, kind: spec.kind == .none ? .table : .featureLayer,
                           geometryType: geometryType(spec.kind), hasZ: spec.hasZ, hasM: spec.hasM,
                           spatialReference: layer.spatialReference.map(spatialReference),
                           objectIdField: fid.isEmpty ? nil : fid, fields: fields, schemaSource: .layerResource)
    }

    private static func fieldType(_ type: GDALColumnType, _ subtype: GDALColumnSubtype) -> FieldType {
        switch (type, subtype) {
        case (.integer, .int16): return .smallInteger
        case (.integer, _): return .integer
        case (.integer64, _): return .bigInteger
        case (.real, .float32): return .single
        case (.real, _): return .double
        case (.date, _): return .dateOnly
        case (.dateTime, _): return .date
        case (.time, _): return .timeOnly
        case (.binary, _): return .blob
        case (.string, _), (.other, _): return .string
        }
    }

    private static func geometryType(_ kind: GDALGeometrySpec.Kind) -> GeometryType? {
        switch kind {
        case .none, .unknown: return nil
        case .point: return .point
        case .multiPoint: return .multipoint
        case .lineString, .multiLineString, .multiCurve: return .polyline
        case .polygon, .multiPolygon, .multiSurface: return .polygon
        }
    }

    private static func spatialReference(_ srs: GDALSpatialReference) -> SpatialReference {
        if let code = srs.authorityCode, let colon = code.firstIndex(of: ":"),
           let number = Int(code[code.index(after: colon)...]) {
            return SpatialReference(wkid: number)
        }
        return SpatialReference(wkt: srs.wkt)
    }

    // MARK: features

    final class Cursor: FeatureCursor {
        private let layer: GDALLayer
        private let schema: LayerSchema
        private let input: String
        private let batchSize: Int
        /// Per field after the FID: its column index and how to read it.
        private let columns: [(index: Int32, type: FieldType)]
        private let hasFID: Bool
        private var featureIndex = 0
        private var done = false

        init(layer: GDALLayer, schema: LayerSchema, input: String, batchSize: Int) {
            self.layer = layer
            self.schema = schema
            self.input = input
            self.batchSize = batchSize
            hasFID = !layer.fidColumn.isEmpty
            let fieldTypes = schema.fields.dropFirst(hasFID ? 1 : 0).map(\.type)
            columns = fieldTypes.enumerated().map { (Int32($0.offset), $0.element) }
            layer.resetReading()
        }

        func next() throws -> [Feature]? {
            guard !done else { return nil }
            var batch: [Feature] = []
            batch.reserveCapacity(min(batchSize, 4096))
            do {
                while batch.count < batchSize, let feature = layer.nextFeature() {
                    batch.append(try read(feature))
                    featureIndex += 1
                }
            } catch {
                done = true
                throw error
            }
            if batch.isEmpty { done = true; return nil }
            return batch
        }

        func read(_ feature: GDALFeature) throws -> Feature {
            var attributes: [Value] = []
            attributes.reserveCapacity(schema.fields.count)
            if hasFID { attributes.append(.int64(feature.fid)) }
            for (index, type) in columns {
                attributes.append(feature.hasValue(index) ? value(feature, index, type) : .null)
            }
            var geometry: Geometry?
            if let g = feature.geometry {
                do {
                    geometry = try WKBDecoder.decode(g.isoWKB)
                } catch {
                    throw ReplicaExportError(.invalidGeometry, "GDAL's geometry cannot be read back: \(error)",
                                             at: ErrorLocation(input: input, layer: schema.name, featureIndex: featureIndex,
                                                               objectID: hasFID ? feature.fid : nil))
                }
            }
            return Feature(attributes: attributes, geometry: geometry)
        }

        private func value(_ feature: GDALFeature, _ index: Int32, _ type: FieldType) -> Value {
            switch type {
            case .smallInteger: return .int16(Int16(truncatingIfNeeded: feature.int64(index)))
            case .integer: return .int32(Int32(truncatingIfNeeded: feature.int64(index)))
            case .bigInteger, .objectID: return .int64(feature.int64(index))
            case .single: return .float32(Float(feature.double(index)))
            case .double: return .float64(feature.double(index))
            case .blob, .raster: return .blob(feature.binary(index))
            case .dateOnly:
                let t = feature.dateTime(index)
                return .dateOnly(DateOnly(year: t.year, month: t.month, day: t.day))
            case .timeOnly:
                let t = feature.dateTime(index)
                let milliseconds = Int((Double(t.second) * 1000).rounded())
                return .timeOnly(TimeOnly(hour: t.hour, minute: t.minute, second: milliseconds / 1000,
                                          millisecond: milliseconds % 1000))
            case .date:
                let t = feature.dateTime(index)
                let days = Int64(EsriValues.daysFromCivil(t.year, t.month, t.day))
                var milliseconds = days * 86_400_000 + Int64(t.hour * 3_600_000 + t.minute * 60_000)
                    + Int64((Double(t.second) * 1000).rounded())
                // tzFlag 100 is UTC, 100 ± n is n quarter hours east or west; 0 and 1 (unknown, local) as UTC.
                if t.tzFlag > 1 { milliseconds -= Int64(t.tzFlag - 100) * 15 * 60_000 }
                return .date(milliseconds: milliseconds)
            case .string, .xml, .guid, .globalID, .timestampOffset: return .string(feature.string(index))
            }
        }
    }
}
