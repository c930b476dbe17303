import CGDAL
import Foundation

/// An OGRSpatialReference, released with OSRRelease. Axis order is always the traditional GIS one
/// (x = easting / longitude), or RFC 7946 output lands in the wrong hemisphere without an error.
package final class GDALSpatialReference {
    let handle: OGRSpatialReferenceH

    private init(handle: OGRSpatialReferenceH) {
        self.handle = handle
        OSRSetAxisMappingStrategy(handle, OAMS_TRADITIONAL_GIS_ORDER)
    }

    deinit { OSRRelease(handle) }

    /// Resolves anything `OSRSetFromUserInput` accepts ("EPSG:4326", "ESRI:102100", WKT), or nil.
    package static func fromUserInput(_ text: String) -> GDALSpatialReference? {
        GDALErrorScope.silently {
            guard let h = OSRNewSpatialReference(nil) else { return nil }
            if OSRSetFromUserInput(h, text) == OGRERR_NONE { return GDALSpatialReference(handle: h) }
            OSRRelease(h)
            return nil
        }
    }

    /// From the model: `latestWkid`, then `wkid` (as EPSG, then ESRI code), then the Esri WKT.
    static func from(_ reference: SpatialReference, at location: ErrorLocation = .init()) throws -> GDALSpatialReference {
        var codes: [Int] = []
        if let latest = reference.latestWkid { codes.append(latest) }
        if let wkid = reference.wkid, !codes.contains(wkid) { codes.append(wkid) }
        for code in codes {
            if let srs = fromUserInput("EPSG:\(code)") ?? fromUserInput("ESRI:\(code)") { return srs }
        }
        if let wkt = reference.wkt, !wkt.isEmpty {
            // PROJ recognises the ESRI dialect of WKT1 on import.
            if let srs = fromUserInput(wkt) { return srs }
            if let srs = fromEsriWKT(wkt) { return srs }
        }
        let described = codes.map(String.init).joined(separator: ", ")
        throw ReplicaExportError(.gdal, "GDAL cannot resolve the spatial reference (wkid \(described.isEmpty ? "none" : described)"
                           + (reference.wkt == nil ? "" : ", with WKT") + ")", at: location)
    }

    private static func fromEsriWKT(_ wkt: String) -> GDALSpatialReference? {
        GDALErrorScope.silently {
            guard let h = OSRNewSpatialReference(nil) else { return nil }
            let list = GDALStringList([wkt])
            if OSRImportFromESRI(h, list.pointer) == OGRERR_NONE { return GDALSpatialReference(handle: h) }
            OSRRelease(h)
            return nil
        }
    }

    /// Wraps a spatial reference GDAL owns elsewhere (a layer's): cloned so it outlives that owner.
    static func cloning(_ handle: OGRSpatialReferenceH) -> GDALSpatialReference? {
        guard let clone = OSRClone(handle) else { return nil }
        return GDALSpatialReference(handle: clone)
    }

    /// "EPSG:4326" style, when the definition names an authority.
    package var authorityCode: String? {
        let name = OSRGetAuthorityName(handle, nil)
        let code = OSRGetAuthorityCode(handle, nil)
        guard let name, let code else { return nil }
        return "\(String(cString: name)):\(String(cString: code))"
    }

    package var wkt: String? {
        var out: UnsafeMutablePointer<CChar>?
        guard OSRExportToWkt(handle, &out) == OGRERR_NONE else { VSIFree(out); return nil }
        return takeGDALString(out)
    }

    func isSame(_ other: GDALSpatialReference) -> Bool { OSRIsSame(handle, other.handle) != 0 }

    /// `OSRIsSameEx` with `CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS` and
    /// `IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES`: the same coordinate system whatever the names
    /// and the axis order say (a shapefile's ESRI WKT `.prj` and the EPSG definition it came from).
    func isEquivalent(to other: GDALSpatialReference) -> Bool {
        let options = GDALStringList(["CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS", "IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES"])
        return withExtendedLifetime(options) {
            options.pointer!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: 3) { list in
                GDALErrorScope.silently { OSRIsSameEx(handle, other.handle, list) != 0 }
            }
        }
    }

    /// `OSRGetName`: the coordinate system's name ("NAD83 / UTM zone 12N"), nil when it has none.
    var name: String? { OSRGetName(handle).map { String(cString: $0) } }
}

/// An OGRCoordinateTransformation, destroyed with OCTDestroyCoordinateTransformation.
package final class GDALCoordinateTransformation {
    let handle: OGRCoordinateTransformationH

    package init(from source: GDALSpatialReference, to target: GDALSpatialReference, at location: ErrorLocation = .init()) throws {
        handle = try GDALErrorScope.run(at: location) { errors in
            let h = OCTNewCoordinateTransformation(source.handle, target.handle)
            try errors.check(h != nil, "creating a coordinate transformation", function: "OCTNewCoordinateTransformation", at: location)
            return h!
        }
    }

    deinit { OCTDestroyCoordinateTransformation(handle) }

    /// Transforms one coordinate; nil when it cannot be transformed.
    package func transform(x: Double, y: Double, z: Double = 0) -> (x: Double, y: Double, z: Double)? {
        var x = x, y = y, z = z
        let ok = GDALErrorScope.silently { OCTTransform(handle, 1, &x, &y, &z) }
        return ok != 0 ? (x, y, z) : nil
    }
}

/// An OGRGeometry, destroyed with OGR_G_DestroyGeometry unless ownership went to a feature.
package final class GDALGeometry {
    private(set) var handle: OGRGeometryH?

    init(owning handle: OGRGeometryH) { self.handle = handle }

    deinit { if let handle { OGR_G_DestroyGeometry(handle) } }

    /// Parses WKB (ISO or extended).
    package static func fromWKB(_ bytes: [UInt8], errors: GDALErrorCollector, at location: ErrorLocation) throws -> GDALGeometry {
        var geometry: OGRGeometryH?
        let start = errors.count
        let err = bytes.withUnsafeBytes { raw in
            OGR_G_CreateFromWkbEx(raw.baseAddress, nil, &geometry, raw.count)
        }
        try errors.check(err == OGRERR_NONE && geometry != nil, "parsing WKB", function: "OGR_G_CreateFromWkbEx", since: start, at: location)
        return GDALGeometry(owning: geometry!)
    }

    package static func fromWKT(_ text: String) -> GDALGeometry? {
        GDALErrorScope.silently {
            var geometry: OGRGeometryH?
            var err = OGRERR_FAILURE
            text.withCString { cText in
                var cursor: UnsafeMutablePointer<CChar>? = UnsafeMutablePointer(mutating: cText)
                err = OGR_G_CreateFromWkt(&cursor, nil, &geometry)
            }
            guard err == OGRERR_NONE, let geometry else { return nil }
            return GDALGeometry(owning: geometry)
        }
    }

    /// Hands the handle to a new owner (OGR_F_SetGeometryDirectly); this object no longer frees it.
    func release() -> OGRGeometryH? {
        defer { handle = nil }
        return handle
    }

    package var isoWKB: [UInt8] {
        guard let handle else { return [] }
        let size = OGR_G_WkbSizeEx(handle)
        var bytes = [UInt8](repeating: 0, count: size)
        _ = bytes.withUnsafeMutableBufferPointer { OGR_G_ExportToIsoWkb(handle, wkbNDR, $0.baseAddress) }
        return bytes
    }

    package var isoWKT: String {
        guard let handle else { return "" }
        var out: UnsafeMutablePointer<CChar>?
        _ = OGR_G_ExportToIsoWkt(handle, &out)
        return takeGDALString(out) ?? ""
    }

    var geometryType: OGRwkbGeometryType { handle.map { OGR_G_GetGeometryType($0) } ?? wkbUnknown }
    package var area: Double { handle.map { OGR_G_Area($0) } ?? 0 }
    package var length: Double { handle.map { OGR_G_Length($0) } ?? 0 }
    package var hasCurveGeometry: Bool { handle.map { OGR_G_HasCurveGeometry($0, 0) != 0 } ?? false }
}

/// An OGRFieldDefn, destroyed with OGR_Fld_Destroy (layers copy it on creation).
final class GDALFieldDefinition {
    let handle: OGRFieldDefnH

    init(name: String, type: OGRFieldType) {
        handle = OGR_Fld_Create(name, type)
    }

    /// `OGR_Fld_Create` and `OGR_Fld_SetSubType`, from the writers' column types.
    convenience init(name: String, type: GDALColumnType, subtype: GDALColumnSubtype) {
        self.init(name: name, type: type.ogr)
        setSubtype(subtype.ogr)
    }

    deinit { OGR_Fld_Destroy(handle) }

    func setSubtype(_ subtype: OGRFieldSubType) { OGR_Fld_SetSubType(handle, subtype) }
    func setWidth(_ width: Int) { OGR_Fld_SetWidth(handle, Int32(clamping: width)) }
    func setPrecision(_ precision: Int) { OGR_Fld_SetPrecision(handle, Int32(clamping: precision)) }
    func setNullable(_ nullable: Bool) { OGR_Fld_SetNullable(handle, nullable ? 1 : 0) }
    func setAlternativeName(_ name: String) { OGR_Fld_SetAlternativeName(handle, name) }
    func setDomainName(_ name: String) { OGR_Fld_SetDomainName(handle, name) }
}

/// An OGRFeature, destroyed with OGR_F_Destroy.
package final class GDALFeature {
    let handle: OGRFeatureH

    init(definition: OGRFeatureDefnH) {
        handle = OGR_F_Create(definition)
    }

    init(owning handle: OGRFeatureH) { self.handle = handle }

    deinit { OGR_F_Destroy(handle) }

    /// Gives the geometry to the feature (replacing and freeing the previous one), or clears it.
    func setGeometry(_ geometry: GDALGeometry?) {
        if let geometry, let h = geometry.release() {
            _ = OGR_F_SetGeometryDirectly(handle, h)
        } else {
            _ = OGR_F_SetGeometryDirectly(handle, nil)
        }
    }

    /// Makes the feature's geometry the point (x, y), with a Z and an M where given. The point the
    /// feature already holds is updated in place when it has the same dimensions
    /// (`OGR_F_GetGeometryRef`, `OGR_G_SetPoint_2D` / `OGR_G_SetPoint` / `OGR_G_SetPointM` /
    /// `OGR_G_SetPointZM`), so that writing a point layer allocates no geometry per feature;
    /// otherwise a new one replaces it (`OGR_G_CreateGeometry`, `OGR_F_SetGeometryDirectly`).
    /// `x` and `y` must be finite: an empty point goes through WKB.
    func setPoint(x: Double, y: Double, z: Double?, m: Double?) {
        let type: OGRwkbGeometryType
        switch (z, m) {
        case (nil, nil): type = wkbPoint
        case (_?, nil): type = wkbPoint25D
        case (nil, _?): type = wkbPointM
        case (_?, _?): type = wkbPointZM
        }
        var point = OGR_F_GetGeometryRef(handle)
        if point == nil || OGR_G_GetGeometryType(point) != type {
            point = OGR_G_CreateGeometry(type)
            _ = OGR_F_SetGeometryDirectly(handle, point)
        }
        switch (z, m) {
        case (nil, nil): OGR_G_SetPoint_2D(point, 0, x, y)
        case (let z?, nil): OGR_G_SetPoint(point, 0, x, y, z)
        case (nil, let m?): OGR_G_SetPointM(point, 0, x, y, m)
        case (let z?, let m?): OGR_G_SetPointZM(point, 0, x, y, z, m)
        }
    }

    func setFID(_ fid: Int64) { _ = OGR_F_SetFID(handle, GIntBig(fid)) }
    /// The FID (after OGR_L_CreateFeature, the one the driver gave).
    package var fid: Int64 { Int64(OGR_F_GetFID(handle)) }
    func setNull(_ index: Int32) { OGR_F_SetFieldNull(handle, index) }
    func set(_ index: Int32, int32 value: Int32) { OGR_F_SetFieldInteger(handle, index, value) }
    func set(_ index: Int32, int64 value: Int64) { OGR_F_SetFieldInteger64(handle, index, GIntBig(value)) }
    func set(_ index: Int32, double value: Double) { OGR_F_SetFieldDouble(handle, index, value) }
    /// Through `withCString`: the implicit conversion of a String argument copies a small
    /// (inline) string into a new heap array, `withCString` onto the stack.
    func set(_ index: Int32, string value: String) { value.withCString { OGR_F_SetFieldString(handle, index, $0) } }
    func set(_ index: Int32, binary value: [UInt8]) {
        value.withUnsafeBytes { OGR_F_SetFieldBinary(handle, index, Int32(value.count), $0.baseAddress) }
    }
    /// `tzFlag`: 0 unknown, 1 local, 100 UTC, 100 ± quarter hours for an offset.
    func set(_ index: Int32, year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Float, tzFlag: Int32) {
        OGR_F_SetFieldDateTimeEx(handle, index, Int32(year), Int32(month), Int32(day), Int32(hour),
                                 Int32(minute), second, tzFlag)
    }
}

/// How a dataset is opened for reading: the drivers that may open it (all when empty) and the
/// configuration options its driver reads (XLSX's header detection, the names LIBKML gives its
/// own fields), set for the calling thread only, never process-wide.
package struct GDALReadOptions: Sendable, Equatable {
    package var drivers: [String] = []
    package var configOptions: [String: String] = [:]

    package init(drivers: [String] = [], configOptions: [String: String] = [:]) {
        self.drivers = drivers
        self.configOptions = configOptions
    }

    /// Runs `body` with ``configOptions`` set on this thread (`CPLSetThreadLocalConfigOption`),
    /// restoring what was set before.
    func applied<T>(_ body: () -> T) -> T { withThreadLocalConfigOptions(configOptions, body) }
}

/// Runs `body` with GDAL configuration options set on this thread only
/// (`CPLSetThreadLocalConfigOption`, read back with `CPLGetThreadLocalConfigOption`), restoring
/// what was set before.
func withThreadLocalConfigOptions<T>(_ options: [String: String], _ body: () -> T) -> T {
    guard !options.isEmpty else { return body() }
    let keys = options.keys.sorted()
    let previous = keys.map { key in CPLGetThreadLocalConfigOption(key, nil).map { String(cString: $0) } }
    for key in keys { CPLSetThreadLocalConfigOption(key, options[key]) }
    defer { for (key, value) in zip(keys, previous) { CPLSetThreadLocalConfigOption(key, value) } }
    return body()
}

/// An OGR layer: owned by its dataset, which this keeps alive.
package struct GDALLayer {
    let dataset: GDALDataset
    let handle: OGRLayerH

    /// The layer after `OGR_L_GetLayerDefn`, which makes a lazy driver read the layer now.
    fileprivate func loaded() -> GDALLayer {
        _ = OGR_L_GetLayerDefn(handle)
        return self
    }

    package var name: String { String(cString: OGR_L_GetName(handle)) }
    var definition: OGRFeatureDefnH { OGR_L_GetLayerDefn(handle) }
    package var fieldCount: Int { Int(OGR_FD_GetFieldCount(definition)) }

    func fieldName(at index: Int) -> String {
        String(cString: OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(definition, Int32(index))))
    }

    /// Adds a field; returns the name the driver gave it (drivers may launder names).
    func createField(_ field: GDALFieldDefinition, errors: GDALErrorCollector, at location: ErrorLocation) throws -> String {
        let start = errors.count
        let err = OGR_L_CreateField(handle, field.handle, 1)
        try errors.check(err, "creating field '\(String(cString: OGR_Fld_GetNameRef(field.handle)))'", function: "OGR_L_CreateField", since: start, at: location)
        return fieldName(at: fieldCount - 1)
    }

    /// `OGR_L_CreateFeature`; a failure, or an error GDAL raised since `start`, is thrown.
    func createFeature(_ feature: GDALFeature, errors: GDALErrorCollector, since start: Int, at location: ErrorLocation) throws {
        try errors.check(OGR_L_CreateFeature(handle, feature.handle), "writing the feature", function: "OGR_L_CreateFeature",
                         since: start, at: location)
    }

    /// Whether a feature with this FID exists (an indexed look-up in drivers with random access).
    func hasFeature(_ fid: Int64) -> Bool {
        guard let found = OGR_L_GetFeature(handle, GIntBig(fid)) else { return false }
        OGR_F_Destroy(found)
        return true
    }

    /// `OGR_L_SyncToDisk`: what is written reaches the files; a failure is thrown.
    func syncToDisk(errors: GDALErrorCollector, at location: ErrorLocation) throws {
        try errors.check(OGR_L_SyncToDisk(handle), "syncing the layer", function: "OGR_L_SyncToDisk", at: location)
    }

    /// `OGR_L_GetFeature`: the feature with this FID, owned by the caller; nil when there is none.
    func feature(fid: Int64) -> GDALFeature? {
        GDALErrorScope.silently { OGR_L_GetFeature(handle, GIntBig(fid)) }.map { GDALFeature(owning: $0) }
    }
}

/// A GDAL dataset, closed with GDALClose (explicitly through `close()`, which reports what GDAL
/// raises while flushing, or at deinit).
package final class GDALDataset {
    private(set) var handle: GDALDatasetH?
    /// Configuration options in force, on the calling thread, while the dataset is opened, while a
    /// layer is first reached (drivers such as XLSX read a sheet when it is first used) and while
    /// features are read (LIBKML reads its field options feature by feature).
    let readOptions: GDALReadOptions

    private init(handle: GDALDatasetH, readOptions: GDALReadOptions = GDALReadOptions()) {
        self.handle = handle
        self.readOptions = readOptions
    }

    deinit {
        if let handle { GDALErrorScope.silently { GDALClose(handle) } }
    }

    /// Creates a vector dataset with the named driver (`GDALCreate`); `configOptions` are set on
    /// this thread while it is created, for drivers that read them then (GPKG's `OGR_SQLITE_CACHE`).
    static func create(driver driverName: String, path: String, options: [String] = [], configOptions: [String: String] = [:],
                       errors: GDALErrorCollector, at location: ErrorLocation) throws -> GDALDataset {
        GDALRuntime.ensureRegistered()
        guard let driver = GDALGetDriverByName(driverName) else {
            throw ReplicaExportError(.gdal, "GDAL has no '\(driverName)' driver", at: location)
        }
        let list = GDALStringList(options)
        let start = errors.count
        let h = withThreadLocalConfigOptions(configOptions) { GDALCreate(driver, path, 0, 0, 0, GDT_Unknown, list.pointer) }
        try errors.check(h != nil, "creating \(driverName) dataset '\(path)'", function: "GDALCreate", since: start, at: location)
        return GDALDataset(handle: h!)
    }

    /// Opens a vector dataset read-only; `options` name the drivers that may open it and the
    /// configuration options its driver reads.
    package static func openReadOnly(path: String, options: GDALReadOptions = GDALReadOptions(), errors: GDALErrorCollector,
                                     at location: ErrorLocation) throws -> GDALDataset {
        GDALRuntime.ensureRegistered()
        let start = errors.count
        let drivers = options.drivers.isEmpty ? nil : GDALStringList(options.drivers)
        let allowed = drivers?.pointer.map { UnsafeRawPointer($0).assumingMemoryBound(to: UnsafePointer<CChar>?.self) }
        let h = options.applied { GDALOpenEx(path, UInt32(GDAL_OF_VECTOR | GDAL_OF_READONLY), allowed, nil, nil) }
        try errors.check(h != nil, "opening '\(path)'", function: "GDALOpenEx", since: start, at: location)
        return GDALDataset(handle: h!, readOptions: options)
    }

    /// Closes (flushes) the dataset; GDAL 3.6's GDALClose returns nothing, so failures come as CPLErrors.
    func close(errors: GDALErrorCollector, at location: ErrorLocation) throws {
        guard let h = handle else { return }
        handle = nil
        let start = errors.count
        GDALClose(h)
        try errors.check(true, "closing the dataset", function: "GDALClose", since: start, at: location)
    }

    func createLayer(name: String, srs: GDALSpatialReference?, geometryType: OGRwkbGeometryType,
                     options: [String], errors: GDALErrorCollector, at location: ErrorLocation) throws -> GDALLayer {
        let list = GDALStringList(options)
        let start = errors.count
        let h = GDALDatasetCreateLayer(handle, name, srs?.handle, geometryType, list.pointer)
        try errors.check(h != nil, "creating layer '\(name)'", function: "GDALDatasetCreateLayer", since: start, at: location)
        return GDALLayer(dataset: self, handle: h!)
    }

    package var layerCount: Int { Int(GDALDatasetGetLayerCount(handle)) }

    /// The layer at `index`, its definition read under the dataset's read options.
    package func layer(at index: Int) -> GDALLayer? {
        readOptions.applied {
            GDALDatasetGetLayer(handle, Int32(index)).map { GDALLayer(dataset: self, handle: $0).loaded() }
        }
    }

    /// The layer named `name`, its definition read under the dataset's read options.
    package func layer(named name: String) -> GDALLayer? {
        readOptions.applied {
            GDALDatasetGetLayerByName(handle, name).map { GDALLayer(dataset: self, handle: $0).loaded() }
        }
    }

    /// Adds a coded-value or range domain.
    func addFieldDomain(_ domain: Domain, fieldType: OGRFieldType, subtype: OGRFieldSubType,
                        errors: GDALErrorCollector, at location: ErrorLocation) throws {
        let h: OGRFieldDomainH?
        switch domain {
        case .codedValue(let name, let codes):
            // C strings kept alive for the call; the terminating entry is all NULL.
            var owned: [UnsafeMutablePointer<CChar>?] = []
            defer { owned.forEach { free($0) } }
            var entries: [OGRCodedValue] = []
            for code in codes {
                let c = strdup(Self.codeText(code.code)), v = strdup(code.name)
                owned.append(c); owned.append(v)
                entries.append(OGRCodedValue(pszCode: c, pszValue: v))
            }
            entries.append(OGRCodedValue(pszCode: nil, pszValue: nil))
            h = entries.withUnsafeBufferPointer {
                OGR_CodedFldDomain_Create(name, nil, fieldType, subtype, $0.baseAddress)
            }
        case .range(let name, let minimum, let maximum):
            let minField = Self.rawField(minimum, fieldType: fieldType)
            let maxField = Self.rawField(maximum, fieldType: fieldType)
            h = withUnsafePointer(to: minField) { minPointer in
                withUnsafePointer(to: maxField) { maxPointer in
                    OGR_RangeFldDomain_Create(name, nil, fieldType, subtype,
                                              minimum.isNull ? nil : minPointer, true,
                                              maximum.isNull ? nil : maxPointer, true)
                }
            }
        }
        let start = errors.count
        guard let h else {
            try errors.check(false, "creating domain '\(domain.name)'", function: "OGR_CodedFldDomain_Create", since: start, at: location)
            return
        }
        defer { OGR_FldDomain_Destroy(h) }
        var reason: UnsafeMutablePointer<CChar>?
        let ok = GDALDatasetAddFieldDomain(handle, h, &reason)
        let why = takeGDALString(reason)
        if !ok, let why, errors.failures(since: start).isEmpty {
            throw ReplicaExportError(.gdal, "adding domain '\(domain.name)' failed: GDAL: \(why)", at: location,
                                     cause: GDALCallError(function: "GDALDatasetAddFieldDomain", cplError: 0, message: why))
        }
        try errors.check(ok, "adding domain '\(domain.name)'", function: "GDALDatasetAddFieldDomain", since: start, at: location)
    }

    private static func codeText(_ value: Value) -> String {
        switch value {
        case .string(let s), .guid(let s): return s
        default:
            if let i = value.integerValue { return String(i) }
            if let d = value.doubleValue { return String(d) }
            return ""
        }
    }

    private static func rawField(_ value: Value, fieldType: OGRFieldType) -> OGRField {
        var field = OGRField()
        switch fieldType {
        case OFTInteger: field.Integer = Int32(clamping: value.integerValue ?? Int64(value.doubleValue ?? 0))
        case OFTInteger64: field.Integer64 = GIntBig(value.integerValue ?? Int64(value.doubleValue ?? 0))
        default: field.Real = value.doubleValue ?? 0
        }
        return field
    }

    package var fieldDomainNames: [String] {
        GDALStringList(owning: GDALDatasetGetFieldDomainNames(handle, nil)).strings
    }

    /// `GDALDatasetGetFieldDomain`: the domain, owned by this dataset.
    package func fieldDomain(named name: String) -> GDALFieldDomainRef? {
        GDALDatasetGetFieldDomain(handle, name).map { GDALFieldDomainRef(dataset: self, handle: $0) }
    }
}

// MARK: reading back

/// A field definition owned by its layer's definition: valid while the layer's dataset lives
/// (``layer`` keeps it alive).
package struct GDALFieldDefinitionRef {
    let layer: GDALLayer
    let handle: OGRFieldDefnH

    /// `OGR_Fld_GetNameRef`.
    package var name: String { String(cString: OGR_Fld_GetNameRef(handle)) }
    /// `OGR_Fld_GetType`.
    var type: OGRFieldType { OGR_Fld_GetType(handle) }
    /// `OGR_Fld_GetType` and `OGR_Fld_GetSubType`, as the writers' column types.
    package var columnType: (type: GDALColumnType, subtype: GDALColumnSubtype) {
        (GDALColumnType(type), GDALColumnSubtype(OGR_Fld_GetSubType(handle)))
    }
    /// `OGR_GetFieldTypeName` of the type: "Integer", "Integer64", "Real", "String", "Date", ...
    package var typeName: String { String(cString: OGR_GetFieldTypeName(type)) }
    /// `OGR_GetFieldSubTypeName` of `OGR_Fld_GetSubType`: "None", "Int16", "Float32", ...
    package var subtypeName: String { String(cString: OGR_GetFieldSubTypeName(OGR_Fld_GetSubType(handle))) }
    /// `OGR_Fld_GetWidth`.
    package var width: Int { Int(OGR_Fld_GetWidth(handle)) }
    /// `OGR_Fld_GetPrecision`.
    package var precision: Int { Int(OGR_Fld_GetPrecision(handle)) }
    /// `OGR_Fld_IsNullable`.
    package var isNullable: Bool { OGR_Fld_IsNullable(handle) != 0 }
    /// `OGR_Fld_GetAlternativeNameRef`; nil when empty.
    package var alternativeName: String? { nonEmpty(OGR_Fld_GetAlternativeNameRef(handle)) }
    /// `OGR_Fld_GetDomainName`; nil when empty.
    package var domainName: String? { nonEmpty(OGR_Fld_GetDomainName(handle)) }
}

private func nonEmpty(_ text: UnsafePointer<CChar>?) -> String? {
    guard let text, text.pointee != 0 else { return nil }
    return String(cString: text)
}

extension GDALLayer {
    /// `OGR_FD_GetFieldDefn` of the layer definition.
    package func fieldDefinition(at index: Int) -> GDALFieldDefinitionRef {
        GDALFieldDefinitionRef(layer: self, handle: OGR_FD_GetFieldDefn(definition, Int32(index)))
    }

    /// `OGR_L_GetGeomType`.
    package var geometryType: OGRwkbGeometryType { OGR_L_GetGeomType(handle) }
    /// `OGR_L_GetGeomType` as the model sees it.
    var geometrySpec: GDALGeometrySpec { GDALGeometrySpec(geometryType) }
    /// `OGRGeometryTypeToName` of the layer's geometry type ("3D Multi Polygon", "None", ...).
    package var geometryTypeName: String { String(cString: OGRGeometryTypeToName(geometryType)) }
    /// `OGR_L_GetFIDColumn`; empty when the driver has none.
    package var fidColumn: String { String(cString: OGR_L_GetFIDColumn(handle)) }
    /// `OGR_L_GetFeatureCount` (forced: counts when the driver does not know).
    package var featureCount: Int { Int(OGR_L_GetFeatureCount(handle, 1)) }
    /// `OGR_L_GetSpatialRef`, cloned so that it outlives the layer.
    package var spatialReference: GDALSpatialReference? { OGR_L_GetSpatialRef(handle).flatMap(GDALSpatialReference.cloning) }

    /// `OGR_L_ResetReading`: the next `nextFeature()` returns the first feature.
    package func resetReading() { OGR_L_ResetReading(handle) }

    /// `OGR_L_GetNextFeature`: the next feature, owned by the caller; nil at the end. GDAL's
    /// complaints about unreadable features are not raised here: a reader checks what it gets.
    package func nextFeature() -> GDALFeature? {
        dataset.readOptions.applied {
            GDALErrorScope.silently { OGR_L_GetNextFeature(handle) }.map { GDALFeature(owning: $0) }
        }
    }
}

extension GDALFeature {
    /// `OGR_F_IsFieldSetAndNotNull`.
    package func hasValue(_ index: Int32) -> Bool { OGR_F_IsFieldSetAndNotNull(handle, index) != 0 }
    /// `OGR_F_GetFieldAsInteger64`.
    package func int64(_ index: Int32) -> Int64 { Int64(OGR_F_GetFieldAsInteger64(handle, index)) }
    /// `OGR_F_GetFieldAsDouble`.
    package func double(_ index: Int32) -> Double { OGR_F_GetFieldAsDouble(handle, index) }
    /// `OGR_F_GetFieldAsString`.
    package func string(_ index: Int32) -> String { String(cString: OGR_F_GetFieldAsString(handle, index)) }
    /// `OGR_F_GetFieldAsBinary`, copied.
    package func binary(_ index: Int32) -> [UInt8] {
        var count: Int32 = 0
        guard let bytes = OGR_F_GetFieldAsBinary(handle, index, &count) else { return [] }
        return Array(UnsafeBufferPointer(start: bytes, count: Int(count)))
    }
    /// `OGR_F_GetFieldAsDateTimeEx`; `tzFlag` 0 unknown, 1 local, 100 UTC.
    package func dateTime(_ index: Int32) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Float, tzFlag: Int) {
        var y: Int32 = 0, mo: Int32 = 0, d: Int32 = 0, h: Int32 = 0, mi: Int32 = 0, tz: Int32 = 0
        var s: Float = 0
        _ = OGR_F_GetFieldAsDateTimeEx(handle, index, &y, &mo, &d, &h, &mi, &s, &tz)
        return (Int(y), Int(mo), Int(d), Int(h), Int(mi), s, Int(tz))
    }
    /// `OGR_F_GetGeometryRef`, cloned with `OGR_G_Clone` so that it outlives the feature.
    package var geometry: GDALGeometry? { OGR_F_GetGeometryRef(handle).map { GDALGeometry(owning: OGR_G_Clone($0)) } }
}

extension GDALGeometry {
    /// `OGRGeometryTypeToName` of the geometry's type ("Multi Surface", "3D Measured Point", ...).
    package var typeName: String { String(cString: OGRGeometryTypeToName(geometryType)) }
}

/// A field domain owned by its dataset (``dataset`` keeps it alive).
package struct GDALFieldDomainRef {
    let dataset: GDALDataset
    let handle: OGRFieldDomainH

    package enum Kind: Sendable { case coded, range, glob }

    /// `OGR_FldDomain_GetDomainType`.
    package var kind: Kind {
        switch OGR_FldDomain_GetDomainType(handle) {
        case OFDT_CODED: return .coded
        case OFDT_RANGE: return .range
        default: return .glob
        }
    }
    /// `OGR_GetFieldTypeName` of `OGR_FldDomain_GetFieldType`.
    package var fieldTypeName: String { String(cString: OGR_GetFieldTypeName(OGR_FldDomain_GetFieldType(handle))) }

    /// `OGR_CodedFldDomain_GetEnumeration`: codes and values as text.
    package var codedValues: [(code: String, value: String?)] {
        guard kind == .coded, var entry = OGR_CodedFldDomain_GetEnumeration(handle) else { return [] }
        var result: [(String, String?)] = []
        while let code = entry.pointee.pszCode {
            result.append((String(cString: code), entry.pointee.pszValue.map { String(cString: $0) }))
            entry += 1
        }
        return result
    }

    /// `OGR_RangeFldDomain_GetMin` / `OGR_RangeFldDomain_GetMax` as text; nil = unbounded.
    package var range: (minimum: String?, maximum: String?) {
        let bounds = rangeBounds
        return (bounds.minimum, bounds.maximum)
    }

    /// `OGR_RangeFldDomain_GetMin` / `OGR_RangeFldDomain_GetMax`: the bounds as text (nil =
    /// unbounded) and whether each is inclusive.
    var rangeBounds: (minimum: String?, minimumInclusive: Bool, maximum: String?, maximumInclusive: Bool) {
        guard kind == .range else { return (nil, false, nil, false) }
        let type = OGR_FldDomain_GetFieldType(handle)
        var minimumInclusive = false, maximumInclusive = false
        let minimum = OGR_RangeFldDomain_GetMin(handle, &minimumInclusive).flatMap { Self.text($0, type) }
        let maximum = OGR_RangeFldDomain_GetMax(handle, &maximumInclusive).flatMap { Self.text($0, type) }
        return (minimum, minimumInclusive, maximum, maximumInclusive)
    }

    /// `OGR_FldDomain_GetFieldType`, as the writers' column type.
    var columnType: GDALColumnType { GDALColumnType(OGR_FldDomain_GetFieldType(handle)) }

    /// `OGR_RawField_IsUnset` / `OGR_RawField_IsNull`, then the value as text.
    private static func text(_ field: UnsafePointer<OGRField>, _ type: OGRFieldType) -> String? {
        if OGR_RawField_IsUnset(field) != 0 || OGR_RawField_IsNull(field) != 0 { return nil }
        switch type {
        case OFTInteger: return String(field.pointee.Integer)
        case OFTInteger64: return String(field.pointee.Integer64)
        case OFTReal: return String(field.pointee.Real)
        default: return nil
        }
    }
}

// MARK: relationships

/// A GDALRelationship, destroyed with `GDALDestroyRelationship` (datasets copy it when adding).
final class GDALRelationship {
    enum Cardinality { case oneToOne, oneToMany, manyToOne, manyToMany }
    enum Kind { case composite, association, aggregation }

    let handle: GDALRelationshipH

    /// `GDALRelationshipCreate` (no mapping table).
    init(name: String, leftTable: String, rightTable: String, cardinality: Cardinality) {
        let c: GDALRelationshipCardinality
        switch cardinality {
        case .oneToOne: c = GRC_ONE_TO_ONE
        case .oneToMany: c = GRC_ONE_TO_MANY
        case .manyToOne: c = GRC_MANY_TO_ONE
        case .manyToMany: c = GRC_MANY_TO_MANY
        }
        handle = GDALRelationshipCreate(name, leftTable, rightTable, c)
    }

    deinit { GDALDestroyRelationship(handle) }

    /// `GDALRelationshipSetLeftTableFields` and `GDALRelationshipSetRightTableFields`.
    func setKeys(left: [String], right: [String]) {
        // The lists must outlive the calls, which copy them.
        let leftList = GDALStringList(left), rightList = GDALStringList(right)
        withExtendedLifetime((leftList, rightList)) {
            GDALRelationshipSetLeftTableFields(handle, leftList.pointer)
            GDALRelationshipSetRightTableFields(handle, rightList.pointer)
        }
    }

    /// `GDALRelationshipSetType`.
    func setKind(_ kind: Kind) {
        switch kind {
        case .composite: GDALRelationshipSetType(handle, GRT_COMPOSITE)
        case .association: GDALRelationshipSetType(handle, GRT_ASSOCIATION)
        case .aggregation: GDALRelationshipSetType(handle, GRT_AGGREGATION)
        }
    }

    /// `GDALRelationshipSetForwardPathLabel` and `GDALRelationshipSetBackwardPathLabel`.
    func setLabels(forward: String, backward: String) {
        GDALRelationshipSetForwardPathLabel(handle, forward)
        GDALRelationshipSetBackwardPathLabel(handle, backward)
    }

    /// `GDALRelationshipSetRelatedTableType`: "feature", or "media" for an attachment table.
    func setRelatedTableType(_ type: String) { GDALRelationshipSetRelatedTableType(handle, type) }
}

extension GDALDataset {
    /// `GDALDatasetAddRelationship`; GDAL's refusal (its reason, or the CPLError raised) is thrown.
    func addRelationship(_ relationship: GDALRelationship, errors: GDALErrorCollector, at location: ErrorLocation) throws {
        let start = errors.count
        var reason: UnsafeMutablePointer<CChar>?
        let ok = GDALDatasetAddRelationship(handle, relationship.handle, &reason)
        let why = takeGDALString(reason)
        if !ok, let why, errors.failures(since: start).isEmpty {
            throw ReplicaExportError(.gdal, "adding the relationship class failed: GDAL: \(why)", at: location,
                                     cause: GDALCallError(function: "GDALDatasetAddRelationship", cplError: 0, message: why))
        }
        try errors.check(ok, "adding the relationship class", function: "GDALDatasetAddRelationship", since: start, at: location)
    }

    /// `GDALDatasetGetRelationshipNames`.
    var relationshipNames: [String] {
        GDALStringList(owning: GDALDatasetGetRelationshipNames(handle, nil)).strings
    }
}

/// A relationship class owned by its dataset (``dataset`` keeps it alive).
struct GDALRelationshipRef {
    let dataset: GDALDataset
    let handle: GDALRelationshipH

    /// `GDALRelationshipGetName`.
    var name: String { String(cString: GDALRelationshipGetName(handle)) }
    /// `GDALRelationshipGetLeftTableName` and `GDALRelationshipGetRightTableName`.
    var tables: (left: String, right: String) {
        (String(cString: GDALRelationshipGetLeftTableName(handle)), String(cString: GDALRelationshipGetRightTableName(handle)))
    }
    /// `GDALRelationshipGetLeftTableFields` and `GDALRelationshipGetRightTableFields`.
    var keys: (left: [String], right: [String]) {
        (GDALStringList(owning: GDALRelationshipGetLeftTableFields(handle)).strings,
         GDALStringList(owning: GDALRelationshipGetRightTableFields(handle)).strings)
    }
    /// `GDALRelationshipGetCardinality`.
    var cardinality: GDALRelationship.Cardinality {
        switch GDALRelationshipGetCardinality(handle) {
        case GRC_ONE_TO_ONE: return .oneToOne
        case GRC_MANY_TO_ONE: return .manyToOne
        case GRC_MANY_TO_MANY: return .manyToMany
        default: return .oneToMany
        }
    }
    /// `GDALRelationshipGetRelatedTableType`.
    var relatedTableType: String { String(cString: GDALRelationshipGetRelatedTableType(handle)) }
    /// `GDALRelationshipGetType`.
    var kind: GDALRelationship.Kind {
        switch GDALRelationshipGetType(handle) {
        case GRT_COMPOSITE: return .composite
        case GRT_AGGREGATION: return .aggregation
        default: return .association
        }
    }
}

extension GDALDataset {
    /// `GDALDatasetGetRelationship`: the class, owned by this dataset.
    func relationship(named name: String) -> GDALRelationshipRef? {
        GDALDatasetGetRelationship(handle, name).map { GDALRelationshipRef(dataset: self, handle: $0) }
    }
}

extension GDALDataset {
    /// `GDALDatasetStartTransaction` without forcing: a driver without native transactions (the
    /// OpenFileGDB driver emulates them by copying the files) refuses, and that is thrown.
    func startTransaction(errors: GDALErrorCollector, at location: ErrorLocation) throws {
        let start = errors.count
        try errors.check(GDALDatasetStartTransaction(handle, 0), "starting a transaction",
                         function: "GDALDatasetStartTransaction", since: start, at: location)
    }

    /// `GDALDatasetCommitTransaction`: what was written since the start reaches the file.
    func commitTransaction(errors: GDALErrorCollector, at location: ErrorLocation) throws {
        let start = errors.count
        try errors.check(GDALDatasetCommitTransaction(handle), "committing the transaction",
                         function: "GDALDatasetCommitTransaction", since: start, at: location)
    }

    /// `GDALDatasetRollbackTransaction`: what was written since the start is undone.
    func rollbackTransaction(errors: GDALErrorCollector, at location: ErrorLocation) throws {
        let start = errors.count
        try errors.check(GDALDatasetRollbackTransaction(handle), "rolling back the transaction",
                         function: "GDALDatasetRollbackTransaction", since: start, at: location)
    }
}
