import Foundation

// The Esri JSON family's own code, shared by `json` (the createReplica payload, EsriJSON.swift)
// and `featurecollection` (the web map's feature collection, FeatureCollection.swift): the text
// of values, geometries and layer resources as ArcGIS writes them and ``EsriJSONReplicaSource``
// reads them back unchanged, a buffered file for it, and the one writer both formats are.

// MARK: - The file

/// JSON text written into a file through one buffer: appended bytes are handed to the file
/// (`write(2)`) once the buffer holds ``flushThreshold`` bytes, at a place the writer chooses (a
/// feature's end, a chunk of an attachment), so that memory stays the threshold plus one feature.
final class JSONTextFile {
    /// Handed to the file once this much is buffered.
    static let flushThreshold = 1 << 20

    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes in the buffer.
    private(set) var count = 0
    /// Bytes handed to the file.
    private(set) var written: Int64 = 0
    private let file: FileDescriptor
    private let location: ErrorLocation

    /// Creates (truncating) the file at `path`; `location` names it in errors.
    init(path: String, location: ErrorLocation) throws {
        file = try FileDescriptor(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC, role: "the output file", location: location)
        self.location = location
        capacity = Self.flushThreshold + (64 << 10)
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Hands the buffer to the file when it holds at least ``flushThreshold`` bytes.
    @inline(__always)
    func flushIfFull() throws {
        if count >= Self.flushThreshold { try flush() }
    }

    /// Hands the buffer to the file.
    func flush() throws {
        guard count > 0 else { return }
        try file.write(UnsafeRawBufferPointer(start: buffer, count: count), location: location)
        written += Int64(count)
        count = 0
    }

    /// Appends the whole of the closed file at `path` (a spool written beside this one), in chunks.
    func append(contentsOf path: String) throws {
        try flush()
        let input = try FileDescriptor(path: path, flags: O_RDONLY, role: "a spooled layer", location: location)
        var offset: Int64 = 0
        while true {
            let chunk = try input.read(at: offset, count: Self.flushThreshold)
            if chunk.isEmpty { break }
            try file.write(chunk, location: location)
            offset += Int64(chunk.count)
            written += Int64(chunk.count)
        }
    }

    /// Flushes and closes the file (a delayed write error is thrown here).
    func close() throws {
        try flush()
        try file.close(location: location)
    }

    /// The place of the next byte in the buffer, for ``rewind(to:)``: valid until the next flush.
    var mark: Int { count }

    /// Drops what was appended after `mark` (a geometry that turned out not to be writable).
    func rewind(to mark: Int) { count = mark }

    @inline(__always)
    private func reserve(_ n: Int) {
        if count + n > capacity { grow(n) }
    }

    private func grow(_ n: Int) {
        let newCapacity = max(capacity * 2, count + n)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: buffer, count: count)
        buffer.deallocate()
        buffer = bigger
        capacity = newCapacity
    }

    @inline(__always)
    func byte(_ b: UInt8) {
        reserve(1)
        buffer[count] = b
        count &+= 1
    }

    /// Bytes as they are (punctuation, member names already quoted and escaped).
    func raw(_ text: StaticString) {
        raw(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    func raw(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw($0) }
    }

    func raw(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (buffer + count).update(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        count &+= bytes.count
    }

    /// `"text"`, escaped as JSON requires: `"`, `\` and control characters (U+2028 and U+2029 are
    /// valid in JSON and written as they are).
    func string(_ text: String) {
        var text = text
        text.withUTF8 { string(utf8: $0) }
    }

    func string(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count + 2)
        buffer[count] = UInt8(ascii: "\"")
        count &+= 1
        var start = 0
        for i in 0..<bytes.count {
            let b = bytes[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            raw(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<i]))
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            default:
                raw("\\u00")
                byte(Self.hexDigits[Int(b >> 4)])
                byte(Self.hexDigits[Int(b & 15)])
            }
            start = i + 1
        }
        raw(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...]))
        byte(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// An integer in decimal.
    func integer(_ value: Int64) {
        reserve(20)
        var magnitude = value.magnitude
        if value < 0 {
            buffer[count] = UInt8(ascii: "-")
            count &+= 1
        }
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 { digits &+= 1; rest /= 10 }
        var i = count &+ digits &- 1
        repeat {
            buffer[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
            magnitude /= 10
            i &-= 1
        } while magnitude > 0
        count &+= digits
    }

    /// A finite double as its shortest round-trip text: whole numbers below 2^53 without a
    /// fraction (`12`, not `12.0`: a reader takes the integer as exactly that double), others as
    /// Swift writes them (`0.1`, `-828700.6830000001`, `1e+16`), without its `description` where a
    /// few decimals say it (``fewDecimals(_:_:)``); -0 as `-0.0`, which keeps its sign. Every one
    /// reads back as the same double.
    @inline(__always)
    func number(_ value: Double) {
        if value == value.rounded(.towardZero) && abs(value) < 0x1p53 && !(value == 0 && value.sign == .minus) {
            integer(Int64(value))
            return
        }
        if let (digits, decimals) = Self.fewDecimals(value, { $0 == value }) {
            fixedPoint(digits, decimals: decimals)
            return
        }
        string(ascii: value.description)
    }

    /// A finite float as its shortest round-trip text (`1.1`, not the double's
    /// `1.100000023841858`), where reading that text as a double and rounding it to a float gives
    /// the same float back; else the double's text, which always does.
    func number(_ value: Float) {
        if let (digits, decimals) = Self.fewDecimals(Double(value), { Float($0) == value }) {
            fixedPoint(digits, decimals: decimals)
            return
        }
        let text = value.description
        if let parsed = Double(text), Float(parsed) == value {
            string(ascii: text)
        } else {
            number(Double(value))
        }
    }

    private static let powersOfTen: [Double] = (0...9).map { pow(10, Double($0)) }

    /// The number as `digits / 10^decimals` with the fewest decimals (1 to 9) that a reader gets
    /// back: `accepts` the double the text parses to. Exact by Clinger's fast path: `digits`
    /// (below 2^50) and the power of ten are doubles exactly, so their quotient is the correctly
    /// rounded value of the decimal text, as any correct parser (``DecimalToDouble``) gives it;
    /// and below 2^50, `value * 10^k` rounds to the shortest text's digits whenever there is one
    /// with k decimals, so the first k that works gives the shortest fixed-point text, the one
    /// `description` writes for numbers from 1e-4 up. nil for anything else (then `description`).
    @inline(__always)
    private static func fewDecimals(_ value: Double, _ accepts: (Double) -> Bool) -> (digits: Int64, decimals: Int)? {
        let magnitude = abs(value)
        guard magnitude >= 1e-4 && magnitude < 1e15 else { return nil }
        return powersOfTen.withUnsafeBufferPointer { powers in
            for k in 1...9 {
                let scaled = value * powers[k]
                guard abs(scaled) < 0x1p50 else { return nil }
                let digits = scaled.rounded(.toNearestOrEven)
                if accepts(digits / powers[k]) { return (Int64(digits), k) }
            }
            return nil
        }
    }

    /// `digits / 10^decimals` in fixed-point notation: `-12.034`.
    private func fixedPoint(_ digits: Int64, decimals: Int) {
        reserve(24)
        var magnitude = digits.magnitude
        if digits < 0 {
            buffer[count] = UInt8(ascii: "-")
            count &+= 1
        }
        var length = 1, rest = magnitude / 10
        while rest > 0 { length &+= 1; rest /= 10 }
        length = Swift.max(length, decimals + 1)  // 0.05: a zero before the point
        var i = count &+ length  // the point takes one place
        var written = 0
        repeat {
            if written == decimals {
                buffer[i] = UInt8(ascii: ".")
                i &-= 1
            }
            buffer[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
            magnitude /= 10
            i &-= 1
            written &+= 1
        } while written < length
        count &+= length &+ 1
    }

    /// ASCII text as it is (a number's).
    private func string(ascii text: String) {
        var text = text
        text.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
    }

    /// `bytes` as a base64 JSON string, encoded a chunk at a time and handed to the file as the
    /// buffer fills, so that a large attachment is never held twice or as one string.
    func base64String(_ bytes: UnsafeRawBufferPointer) throws {
        byte(UInt8(ascii: "\""))
        let chunk = 48 << 10  // a multiple of 3: only the last chunk is padded
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            base64(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            offset = end
            try flushIfFull()
        }
        byte(UInt8(ascii: "\""))
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private func base64(_ bytes: UnsafeRawBufferPointer) {
        reserve((bytes.count + 2) / 3 * 4)
        Self.base64Alphabet.withUnsafeBufferPointer { alphabet in
            var out = buffer + count
            var i = 0
            while i + 2 < bytes.count {
                let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                out[0] = alphabet[Int(n >> 18 & 63)]; out[1] = alphabet[Int(n >> 12 & 63)]
                out[2] = alphabet[Int(n >> 6 & 63)]; out[3] = alphabet[Int(n & 63)]
                out += 4
                i += 3
            }
            let rest = bytes.count - i
            if rest > 0 {
                let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                out[0] = alphabet[Int(n >> 18 & 63)]; out[1] = alphabet[Int(n >> 12 & 63)]
                out[2] = rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "=")
                out[3] = UInt8(ascii: "=")
                out += 4
            }
            count = out - buffer
        }
    }

    /// `"name":`, quoted and escaped once, for a member written many times.
    static func memberName(_ name: String) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for b in name.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), b]
            case 0..<0x20: bytes += Array(String(format: "\\u%04x", b).utf8)
            default: bytes.append(b)
            }
        }
        return bytes + Array("\":".utf8)
    }
}

// MARK: - Values

/// Attribute values as ArcGIS writes them in Esri JSON, and as ``EsriValues`` reads them back.
enum EsriValueText {
    /// Writes `value`: numbers as numbers, dates as epoch milliseconds, DateOnly / TimeOnly /
    /// TimestampOffset as ISO 8601 text, GUIDs braced in upper case, blobs as base64, null as
    /// `null`. Returns false for NaN or infinity, which JSON cannot hold: `null` was written.
    @discardableResult
    static func write(_ value: Value, to out: JSONTextFile) throws -> Bool {
        switch value {
        case .null: out.raw("null")
        case .int16(let v): out.integer(Int64(v))
        case .int32(let v): out.integer(Int64(v))
        case .int64(let v): out.integer(v)
        case .float32(let v):
            guard v.isFinite else { out.raw("null"); return false }
            out.number(v)
        case .float64(let v):
            guard v.isFinite else { out.raw("null"); return false }
            out.number(v)
        case .string(let s): out.string(s)
        case .date(let ms): out.integer(ms)
        case .dateOnly(let d): out.string(ValueText.isoDate(d))
        case .timeOnly(let t): out.string(ValueText.isoTime(t))
        case .timestampOffset(let t): out.string(ValueText.isoOffset(t))
        case .guid(let g): out.string(ValueText.guidBracedUpper(g))
        case .blob(let bytes): try bytes.withUnsafeBytes { try out.base64String($0) }
        }
        return true
    }
}

// MARK: - Geometries

/// Prepared geometries as Esri JSON geometry objects: `{"x","y"(,"z")(,"m")}`, `{"points"}`,
/// `{"paths"}` / `{"curvePaths"}`, `{"rings"}` / `{"curveRings"}` with exterior rings clockwise
/// (the prepared ones are counter-clockwise: every ring is written backwards), vertices
/// `[x, y(, z)(, m)]`, a missing M as `null`, circular arcs as `{"c": [end, interior]}`.
struct EsriGeometryText {
    /// The layer's `hasZ` / `hasM`: a geometry whose own flag differs says so (`"hasZ": false`),
    /// since a reader takes the layer's flag for a geometry that says nothing.
    let layerHasZ: Bool
    let layerHasM: Bool
    /// The box of every written vertex and arc interior point; nil before the first.
    private(set) var extent: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)?

    init(layerHasZ: Bool, layerHasM: Bool) {
        self.layerHasZ = layerHasZ
        self.layerHasM = layerHasM
    }

    /// Writes `geometry` as one Esri JSON geometry object; false, with the text left unfinished
    /// (rewind it), when a coordinate is not finite (an M may be NaN: no measure).
    mutating func write(_ geometry: PreparedGeometry, to out: JSONTextFile) -> Bool {
        var box = Box()
        guard shape(geometry, &box, to: out) else { return false }
        if box.xmin <= box.xmax { extent = box.merged(with: extent) }
        return true
    }

    private func shape(_ geometry: PreparedGeometry, _ box: inout Box, to out: JSONTextFile) -> Bool {
        let z = geometry.hasZ, m = geometry.hasM
        switch geometry.shape {
        case .point(let v):
            guard v.x.isFinite && v.y.isFinite else {
                // An empty point: Esri's own spelling, read back as no geometry.
                out.raw("{\"x\":null,\"y\":null}")
                return true
            }
            guard (!z || v.z.isFinite) && (!m || !v.m.isInfinite) else { return false }
            box.add(v.x, v.y)
            out.raw("{\"x\":")
            out.number(v.x)
            out.raw(",\"y\":")
            out.number(v.y)
            if z {
                out.raw(",\"z\":")
                out.number(v.z)
            }
            if m {
                out.raw(",\"m\":")
                measure(v.m, to: out)
            }
            if z != layerHasZ { out.raw(z ? ",\"hasZ\":true" : ",\"hasZ\":false") }
            if m != layerHasM { out.raw(m ? ",\"hasM\":true" : ",\"hasM\":false") }
            out.byte(UInt8(ascii: "}"))
            return true
        case .multipoint(let vertices):
            flags(z, m, to: out)
            out.raw("\"points\":[")
            for (i, v) in vertices.enumerated() {
                if i > 0 { out.byte(UInt8(ascii: ",")) }
                guard vertex(v, z, m, &box, to: out) else { return false }
            }
            out.raw("]}")
            return true
        case .lines(let paths):
            flags(z, m, to: out)
            let curved = paths.contains { !$0.curves.isEmpty }
            out.raw(curved ? "\"curvePaths\":[" : "\"paths\":[")
            for (i, path) in paths.enumerated() {
                if i > 0 { out.byte(UInt8(ascii: ",")) }
                guard self.path(path, backwards: false, z, m, &box, to: out) else { return false }
            }
            out.raw("]}")
            return true
        case .polygons(let polygons):
            flags(z, m, to: out)
            let curved = polygons.contains { $0.contains { !$0.curves.isEmpty } }
            out.raw(curved ? "\"curveRings\":[" : "\"rings\":[")
            var first = true
            for rings in polygons {
                for ring in rings {
                    if !first { out.byte(UInt8(ascii: ",")) }
                    first = false
                    guard path(ring, backwards: true, z, m, &box, to: out) else { return false }
                }
            }
            out.raw("]}")
            return true
        }
    }

    /// `{` and the flags a multi-vertex geometry carries: `hasZ` / `hasM` when true (as ArcGIS
    /// writes them), or false where the layer's say true.
    private func flags(_ z: Bool, _ m: Bool, to out: JSONTextFile) {
        out.byte(UInt8(ascii: "{"))
        if z || layerHasZ { out.raw(z ? "\"hasZ\":true," : "\"hasZ\":false,") }
        if m || layerHasM { out.raw(m ? "\"hasM\":true," : "\"hasM\":false,") }
    }

    private func measure(_ m: Double, to out: JSONTextFile) {
        if m.isNaN { out.raw("null") } else { out.number(m) }
    }

    /// `[x,y(,z)(,m)]`.
    @inline(__always)
    private func vertex(_ v: Vertex, _ z: Bool, _ m: Bool, _ box: inout Box, to out: JSONTextFile) -> Bool {
        guard v.x.isFinite && v.y.isFinite && (!z || v.z.isFinite) && (!m || !v.m.isInfinite) else { return false }
        box.add(v.x, v.y)
        out.byte(UInt8(ascii: "["))
        out.number(v.x)
        out.byte(UInt8(ascii: ","))
        out.number(v.y)
        if z {
            out.byte(UInt8(ascii: ","))
            out.number(v.z)
        }
        if m {
            out.byte(UInt8(ascii: ","))
            measure(v.m, to: out)
        }
        out.byte(UInt8(ascii: "]"))
        return true
    }

    /// A path's vertices, each curve segment as `{"c":[end,interior]}` in place of its end vertex;
    /// `backwards`: from the last vertex to the first (a segment's arc then ends at its start).
    private func path(_ path: Path, backwards: Bool, _ z: Bool, _ m: Bool, _ box: inout Box, to out: JSONTextFile) -> Bool {
        let vertices = path.vertices, curves = path.curves
        let n = vertices.count
        out.byte(UInt8(ascii: "["))
        guard n > 0 else {
            out.byte(UInt8(ascii: "]"))
            return true
        }
        // The next curve in writing order; segment s runs from vertex s to s + 1.
        var next = backwards ? curves.count - 1 : 0
        for step in 0..<n {
            let index = backwards ? n - 1 - step : step
            if step > 0 { out.byte(UInt8(ascii: ",")) }
            let segment = backwards ? index : index - 1
            if step > 0, next >= 0, next < curves.count, curves[next].index == segment,
               case .circularArc(let interior) = curves[next].kind {
                guard interior.x.isFinite && interior.y.isFinite else { return false }
                box.add(interior.x, interior.y)
                out.raw("{\"c\":[")
                guard vertex(vertices[index], z, m, &box, to: out) else { return false }
                out.raw(",[")
                out.number(interior.x)
                out.byte(UInt8(ascii: ","))
                out.number(interior.y)
                out.raw("]]}")
                next += backwards ? -1 : 1
            } else {
                guard vertex(vertices[index], z, m, &box, to: out) else { return false }
            }
        }
        out.byte(UInt8(ascii: "]"))
        return true
    }

    private struct Box {
        var xmin = Double.infinity, ymin = Double.infinity, xmax = -Double.infinity, ymax = -Double.infinity

        @inline(__always)
        mutating func add(_ x: Double, _ y: Double) {
            xmin = Swift.min(xmin, x); xmax = Swift.max(xmax, x)
            ymin = Swift.min(ymin, y); ymax = Swift.max(ymax, y)
        }

        func merged(with other: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)?)
            -> (xmin: Double, ymin: Double, xmax: Double, ymax: Double) {
            guard let other else { return (xmin, ymin, xmax, ymax) }
            return (Swift.min(xmin, other.xmin), Swift.min(ymin, other.ymin),
                    Swift.max(xmax, other.xmax), Swift.max(ymax, other.ymax))
        }
    }
}

// MARK: - Layer resources

/// A layer's schema as a feature service's layer resource (`/FeatureServer/N?f=json`), holding
/// exactly what ``EsriSchema`` reads: id, name, type, geometry type, Z and M, the spatial reference
/// (in `extent`), ObjectID and GlobalID fields, attachments, fields (type, alias, length,
/// nullability, editability, domain), relationships and subtypes (`subtypeField`, `subtypes` with
/// their domains and default values).
enum LayerResourceText {
    /// What the resource says beyond the schema.
    struct Extras {
        /// nil: the layer's own type; `.some(nil)`: none (a layer whose features have several
        /// geometry types, which a reader then takes from the features).
        var geometryType: GeometryType??
        /// The layer's extent (``EsriGeometryText/extent``), written with the spatial reference;
        /// nil: the spatial reference alone (`spatialReference`).
        var extent: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)??
    }

    static func write(_ layer: LayerSchema, extras: Extras = Extras(), to out: JSONTextFile) throws {
        let isTable = layer.kind == .table
        out.raw("{\"id\":")
        out.integer(Int64(layer.id))
        out.raw(",\"name\":")
        out.string(layer.name)
        out.raw(isTable ? ",\"type\":\"Table\"" : ",\"type\":\"Feature Layer\"")
        if !isTable, let type = extras.geometryType ?? layer.geometryType {
            out.raw(",\"geometryType\":")
            out.string(type.rawValue)
        }
        out.raw(layer.hasZ ? ",\"hasZ\":true" : ",\"hasZ\":false")
        out.raw(layer.hasM ? ",\"hasM\":true" : ",\"hasM\":false")
        if let oid = layer.objectIdField {
            out.raw(",\"objectIdField\":")
            out.string(oid)
        }
        if let gid = layer.globalIdField {
            out.raw(",\"globalIdField\":")
            out.string(gid)
        }
        out.raw(layer.hasAttachments ? ",\"hasAttachments\":true" : ",\"hasAttachments\":false")
        if let reference = layer.spatialReference {
            if case .some(let box) = extras.extent {
                out.raw(",\"extent\":{")
                if let box {
                    for (name, value) in [("xmin", box.xmin), ("ymin", box.ymin), ("xmax", box.xmax), ("ymax", box.ymax)] {
                        out.string(name)
                        out.byte(UInt8(ascii: ":"))
                        out.number(value)
                        out.byte(UInt8(ascii: ","))
                    }
                } else {
                    // An empty layer: Esri's empty envelope.
                    out.raw("\"xmin\":null,\"ymin\":null,\"xmax\":null,\"ymax\":null,")
                }
                out.raw("\"spatialReference\":")
                spatialReference(reference, to: out)
                out.byte(UInt8(ascii: "}"))
            } else {
                out.raw(",\"spatialReference\":")
                spatialReference(reference, to: out)
            }
        }
        out.raw(",\"fields\":[")
        for (i, field) in layer.fields.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            try self.field(field, to: out)
        }
        out.byte(UInt8(ascii: "]"))
        out.raw(",\"relationships\":[")
        for (i, r) in layer.relationships.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.raw("{\"id\":")
            out.integer(Int64(r.id))
            out.raw(",\"name\":")
            out.string(r.name)
            out.raw(",\"relatedTableId\":")
            out.integer(Int64(r.relatedLayerId))
            out.raw(",\"cardinality\":")
            out.string(r.cardinality.rawValue)
            out.raw(",\"role\":")
            out.string(r.role.rawValue)
            out.raw(",\"keyField\":")
            out.string(r.keyField)
            out.raw(r.isComposite ? ",\"composite\":true}" : ",\"composite\":false}")
        }
        out.byte(UInt8(ascii: "]"))
        if let subtypeField = layer.subtypeField {
            out.raw(",\"subtypeField\":")
            out.string(subtypeField)
            out.raw(",\"subtypes\":[")
            for (i, subtype) in layer.subtypes.enumerated() {
                if i > 0 { out.byte(UInt8(ascii: ",")) }
                out.raw("{\"code\":")
                try EsriValueText.write(subtype.code, to: out)
                out.raw(",\"name\":")
                out.string(subtype.name)
                out.raw(",\"domains\":{")
                for (j, name) in subtype.domains.keys.sorted().enumerated() {
                    if j > 0 { out.byte(UInt8(ascii: ",")) }
                    out.string(name)
                    out.byte(UInt8(ascii: ":"))
                    try domain(subtype.domains[name]!, to: out)
                }
                out.raw("},\"defaultValues\":{")
                for (j, name) in subtype.defaultValues.keys.sorted().enumerated() {
                    if j > 0 { out.byte(UInt8(ascii: ",")) }
                    out.string(name)
                    out.byte(UInt8(ascii: ":"))
                    try EsriValueText.write(subtype.defaultValues[name]!, to: out)
                }
                out.raw("}}")
            }
            out.byte(UInt8(ascii: "]"))
        }
        out.byte(UInt8(ascii: "}"))
    }

    private static func field(_ field: Field, to out: JSONTextFile) throws {
        out.raw("{\"name\":")
        out.string(field.name)
        out.raw(",\"type\":")
        out.string(field.type.rawValue)
        if let alias = field.alias {
            out.raw(",\"alias\":")
            out.string(alias)
        }
        if let length = field.length {
            out.raw(",\"length\":")
            out.integer(Int64(length))
        }
        out.raw(field.nullable ? ",\"nullable\":true" : ",\"nullable\":false")
        out.raw(field.editable ? ",\"editable\":true" : ",\"editable\":false")
        if let domain = field.domain {
            out.raw(",\"domain\":")
            try self.domain(domain, to: out)
        }
        out.byte(UInt8(ascii: "}"))
    }

    /// `{"type":"codedValue","name","codedValues":[{"name","code"}]}` or
    /// `{"type":"range","name","range":[min,max]}`, codes typed as the field's values are.
    private static func domain(_ domain: Domain, to out: JSONTextFile) throws {
        switch domain {
        case .codedValue(let name, let codes):
            out.raw("{\"type\":\"codedValue\",\"name\":")
            out.string(name)
            out.raw(",\"codedValues\":[")
            for (i, code) in codes.enumerated() {
                if i > 0 { out.byte(UInt8(ascii: ",")) }
                out.raw("{\"name\":")
                out.string(code.name)
                out.raw(",\"code\":")
                try EsriValueText.write(code.code, to: out)
                out.byte(UInt8(ascii: "}"))
            }
            out.raw("]}")
        case .range(let name, let minimum, let maximum):
            out.raw("{\"type\":\"range\",\"name\":")
            out.string(name)
            out.raw(",\"range\":[")
            try EsriValueText.write(minimum, to: out)
            out.byte(UInt8(ascii: ","))
            try EsriValueText.write(maximum, to: out)
            out.raw("]}")
        }
    }

    /// `{"wkid","latestWkid","vcsWkid","wkt","xyUnits" | "xyResolution","xyTolerance"}`, each where
    /// known. The XY resolution is written as Esri's `xyUnits` (its inverse) where that reads back
    /// as the same resolution, else as `xyResolution`, which ``EsriSchema`` reads first.
    static func spatialReference(_ reference: SpatialReference, to out: JSONTextFile) {
        var first = true
        func member(_ name: StaticString) {
            if !first { out.byte(UInt8(ascii: ",")) }
            first = false
            out.raw(name)
        }
        out.byte(UInt8(ascii: "{"))
        if let wkid = reference.wkid {
            member("\"wkid\":")
            out.integer(Int64(wkid))
        }
        if let latest = reference.latestWkid {
            member("\"latestWkid\":")
            out.integer(Int64(latest))
        }
        if let vertical = reference.verticalWkid {
            member("\"vcsWkid\":")
            out.integer(Int64(vertical))
        }
        if let wkt = reference.wkt {
            member("\"wkt\":")
            out.string(wkt)
        }
        if let resolution = reference.xyResolution, resolution.isFinite {
            if 1 / (1 / resolution) == resolution {
                member("\"xyUnits\":")
                out.number(1 / resolution)
            } else {
                member("\"xyResolution\":")
                out.number(resolution)
            }
        }
        if let tolerance = reference.xyTolerance, tolerance.isFinite {
            member("\"xyTolerance\":")
            out.number(tolerance)
        }
        out.byte(UInt8(ascii: "}"))
    }
}

// MARK: - The writer

/// What one of the Esri JSON formats writes around its features: the document's and each layer's
/// opening and closing, attachments where the document holds them, and files beside it. Every
/// hook but the openings and closings has a default.
protocol EsriJSONFormat {
    static var profile: WriterProfile { get }

    /// Writes the document's opening, up to the place of its first layer.
    static func writeOpening(_ replica: Replica, to out: JSONTextFile) throws
    /// Writes a layer's opening (after a `,` from the layer before), up to its first feature's place.
    static func writeLayerOpening(_ layer: LayerSchema, to out: JSONTextFile) throws
    /// Writes a layer's closing, after its last feature (or attachment).
    static func writeLayerClosing(_ layer: LayerSchema, attachmentsOpened: Bool, to out: JSONTextFile)
    /// Writes the document's closing, after its last layer.
    static func writeClosing(to out: JSONTextFile)

    /// Features of another geometry type than their layer's keep their geometry in the layer (the
    /// layer's resource then names no geometry type, which a reader takes from the features);
    /// without it they go to a layer of their own, `<layer>_<type>s`, after it (reported): a
    /// format whose layers declare their type before the features.
    static var keepsOtherGeometryTypes: Bool { get }

    /// For formats whose profile keeps ``WriterCapabilities/attachments`` in the document: what
    /// comes between a layer's last feature and its first attachment.
    static func writeAttachmentsOpening(to out: JSONTextFile)
    /// One attachment in the document: by `reference` (the file written beside the document,
    /// relative to it), or with its bytes when nil.
    static func writeAttachment(_ attachment: Attachment, reference: String?, to out: JSONTextFile) throws

    /// Names of the files written beside the document `<base>.json` (that an export must not find
    /// there already).
    static func sideFiles(base: String) -> [String]
    /// Writes the files beside the document, into `directory`, once every layer is written.
    static func writeSideFiles(_ layers: [EsriJSONLayerRecord], base: String, directory: URL) throws
}

extension EsriJSONFormat {
    static var keepsOtherGeometryTypes: Bool { false }
    static func writeAttachmentsOpening(to out: JSONTextFile) {}
    static func writeAttachment(_ attachment: Attachment, reference: String?, to out: JSONTextFile) throws {}
    static func sideFiles(base: String) -> [String] { [] }
    static func writeSideFiles(_ layers: [EsriJSONLayerRecord], base: String, directory: URL) throws {}
}

/// What was written of one layer, for the files beside the document.
struct EsriJSONLayerRecord {
    var schema: LayerSchema
    /// The box of its written coordinates (``EsriGeometryText/extent``); nil when it has none.
    var extent: (xmin: Double, ymin: Double, xmax: Double, ymax: Double)?
    /// Its features had geometries of another type than the layer's (kept: ``EsriJSONFormat/keepsOtherGeometryTypes``).
    var hasOtherGeometryTypes: Bool
}

/// The one writer of both Esri JSON formats: a single `<replica>.json` holding every layer, written
/// as the features come through a buffer (``JSONTextFile``), in the layers' output coordinate
/// system, with the preparation the profile asks for (circular arcs kept as `{"c": ...}` with the
/// true-curve bit, everything else densified); attachments in the document or beside it; the
/// relationship classes' `relationships.json` beside it, as every format has. Staged under a
/// temporary name (``OutputStaging``) and renamed at ``commit()``.
final class EsriJSONWriter<Format: EsriJSONFormat>: FormatWriter {
    static var profile: WriterProfile { Format.profile }

    private let request: WriterRequest
    private let staging: OutputStaging
    private let fileName: String
    private let base: String
    private let directory: URL
    private var out: JSONTextFile?
    private var names = OutputNames()
    private(set) var diagnostics: [Diagnostic] = []
    private var outputs: [WrittenOutput] = []
    private var records: [EsriJSONLayerRecord] = []
    private var layersWritten = 0
    private var finished = false

    /// The layer being written.
    private struct OpenLayer {
        var schema: LayerSchema
        var baseName: String
        /// `"name":` of each field, quoted once.
        var memberNames: [[UInt8]]
        var isTable: Bool
        var objectIDIndex: Int?
        var geometry: EsriGeometryText
        var featureCount = 0
        var attachmentsOpened = false
        var attachmentsEmbedded = 0
        var attachmentsKeepingURL = 0
        var nonFinite: [LossTally]
        var droppedGeometries = LossTally()
        var otherGeometryTypes = LossTally()
        /// Features seen, of this layer and its split ones: the input's index of the next.
        var inputIndex = 0
        /// The layers `<layer>_<type>s` its features of other types go to, in order of appearance.
        var splits: [SplitLayer] = []
    }
    private var open: OpenLayer?

    /// Features of one geometry type other than their layer's, spooled to a file beside the
    /// document while the layer is written (memory stays one buffer), then written after the
    /// layer as a layer of their own: `<layer>_<type>s`, with a new id.
    private final class SplitLayer {
        let schema: LayerSchema
        let spool: JSONTextFile
        let spoolPath: String
        var geometry: EsriGeometryText
        var featureCount = 0

        init(schema: LayerSchema, spoolPath: String, location: ErrorLocation) throws {
            self.schema = schema
            self.spoolPath = spoolPath
            spool = try JSONTextFile(path: spoolPath, location: location)
            geometry = EsriGeometryText(layerHasZ: schema.hasZ, layerHasM: schema.hasM)
        }
    }
    /// Names and ids of the split layers.
    private var splitSchemas: SplitLayerSchemas

    private var sidecar: AttachmentSidecar?
    private var parents = AttachmentParents()

    init(request: WriterRequest) throws {
        self.request = request
        staging = OutputStaging(outputDirectory: request.outputDirectory, overwrite: request.overwrite)
        fileName = OutputNames.datasetFileName(replicaName: request.replica.name, extension: "json")
        base = String(fileName.dropLast(".json".count))
        let location = ErrorLocation(output: fileName)
        try staging.checkAvailable([fileName] + Format.sideFiles(base: base), at: location)
        directory = try staging.makeGroup(label: fileName, at: location)
        splitSchemas = SplitLayerSchemas(replica: request.replica)
        let out = try JSONTextFile(path: directory.appendingPathComponent(fileName).path, location: location)
        self.out = out
        try Format.writeOpening(request.replica, to: out)
    }

    func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    private func document() throws -> JSONTextFile {
        guard let out, !finished else { throw ReplicaExportError(.invalidState, "the writer was already committed or aborted") }
        return out
    }

    // MARK: layers

    func beginLayer(_ layer: LayerSchema) throws {
        let out = try document()
        if let current = open {
            throw ReplicaExportError(.invalidState, "beginLayer('\(layer.name)') while layer '\(current.schema.name)' is open")
        }
        if layersWritten > 0 { out.raw(",\n") }
        try Format.writeLayerOpening(layer, to: out)
        open = OpenLayer(schema: layer, baseName: names.name(for: layer), memberNames: layer.fields.map { JSONTextFile.memberName($0.name) },
                         isTable: layer.kind == .table || layer.geometryType == nil, objectIDIndex: layer.objectIDFieldIndex,
                         geometry: EsriGeometryText(layerHasZ: layer.hasZ, layerHasM: layer.hasM),
                         nonFinite: Array(repeating: LossTally(), count: layer.fields.count))
    }

    /// `{"geometry":{...},"attributes":{...}}` per feature, `,\n` between them; a feature of
    /// another geometry type than its layer's into that type's split layer, where the format
    /// does not keep it in the layer.
    func write(_ features: [PreparedFeature]) throws {
        let out = try document()
        guard var layer = open else { throw ReplicaExportError(.invalidState, "write called outside beginLayer / endLayer") }
        open = nil  // held here alone while it changes
        defer { open = layer }
        for feature in features {
            let place = FeaturePlace(index: layer.inputIndex, objectIDIndex: layer.objectIDIndex)
            defer { layer.inputIndex += 1 }
            let geometry = layer.isTable ? nil : feature.geometry
            if let geometry, layer.schema.isOtherGeometryType(geometry.geometryType) {
                layer.otherGeometryTypes.record(at: place.location(of: feature))
                if !Format.keepsOtherGeometryTypes {
                    let split = try splitLayer(of: geometry.geometryType, for: &layer)
                    try writeFeature(feature, geometry: geometry, to: split.spool, first: split.featureCount == 0,
                                     memberNames: layer.memberNames, text: &split.geometry, nonFinite: &layer.nonFinite,
                                     dropped: &layer.droppedGeometries, at: place)
                    split.featureCount += 1
                    try split.spool.flushIfFull()
                    continue
                }
            }
            try writeFeature(feature, geometry: geometry, to: out, first: layer.featureCount == 0, memberNames: layer.memberNames,
                             text: &layer.geometry, nonFinite: &layer.nonFinite, dropped: &layer.droppedGeometries, at: place)
            layer.featureCount += 1
            try out.flushIfFull()
        }
        parents.note(features, of: layer.schema)
    }

    /// One feature's text (after `,\n` unless it is the `first`); a geometry with a non-finite
    /// coordinate is left out and counted in `dropped`, a non-finite value written as null and
    /// counted in its field's tally.
    private func writeFeature(_ feature: PreparedFeature, geometry: PreparedGeometry?, to out: JSONTextFile, first: Bool,
                              memberNames: [[UInt8]], text: inout EsriGeometryText, nonFinite: inout [LossTally],
                              dropped: inout LossTally, at place: FeaturePlace) throws {
        if !first { out.raw(",\n") }
        out.byte(UInt8(ascii: "{"))
        var separator = false
        if let geometry {
            let mark = out.mark
            out.raw("\"geometry\":")
            if text.write(geometry, to: out) {
                separator = true
            } else {
                out.rewind(to: mark)
                dropped.record(at: place.location(of: feature))
            }
        }
        out.raw(separator ? ",\"attributes\":{" : "\"attributes\":{")
        for i in feature.attributes.indices {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.raw(memberNames[i])
            if try !EsriValueText.write(feature.attributes[i], to: out) {
                nonFinite[i].record(at: place.location(of: feature))
            }
        }
        out.raw("}}")
    }

    /// Where a feature is, for a loss: its index in the input's layer, and its ObjectID, read
    /// only when a loss is recorded (every feature passes here).
    private struct FeaturePlace {
        let index: Int
        let objectIDIndex: Int?

        func location(of feature: PreparedFeature) -> ErrorLocation {
            ErrorLocation(featureIndex: index, objectID: objectIDIndex.flatMap { feature.attributes[$0].integerValue })
        }
    }

    /// The split layer of `type` for `layer`, made when its first feature comes.
    private func splitLayer(of type: GeometryType, for layer: inout OpenLayer) throws -> SplitLayer {
        if let found = layer.splits.first(where: { $0.schema.geometryType == type }) { return found }
        let schema = splitSchemas.schema(splitting: layer.schema, into: type)
        let path = directory.appendingPathComponent(".\(base).split-\(schema.id).spool").path
        let split = try SplitLayer(schema: schema, spoolPath: path, location: ErrorLocation(layer: layer.schema.name, output: fileName))
        layer.splits.append(split)
        return split
    }

    func endLayer() throws {
        let out = try document()
        guard let layer = open else { throw ReplicaExportError(.invalidState, "endLayer called outside beginLayer / endLayer") }
        Format.writeLayerClosing(layer.schema, attachmentsOpened: layer.attachmentsOpened, to: out)
        try out.flushIfFull()
        open = nil
        layersWritten += 1
        for split in layer.splits { try writeSplitLayer(split, of: layer.schema, to: out) }
        parents.removeAll()
        reportLosses(layer)
        let location = ErrorLocation(layer: layer.schema.name, output: fileName)
        diagnostics += try sidecar?.endLayer(at: location) ?? []
        if layer.attachmentsEmbedded > 0 {
            diagnostics.append(Diagnostic(.attachmentsWritten, "\(layer.attachmentsEmbedded) attachment(s) embedded in \(fileName) (base64 in 'data')",
                                          at: location, count: layer.attachmentsEmbedded, severity: .info))
        }
        if layer.attachmentsKeepingURL > 0 {
            diagnostics.append(Diagnostic(.attachmentsByURL,
                                          "\(layer.attachmentsKeepingURL) attachment(s) known only by URL keep their URL (nothing is fetched)",
                                          at: location, count: layer.attachmentsKeepingURL))
        }
        records.append(EsriJSONLayerRecord(schema: layer.schema, extent: layer.geometry.extent,
                                           hasOtherGeometryTypes: Format.keepsOtherGeometryTypes && layer.otherGeometryTypes.count > 0))
        outputs.append(WrittenOutput(url: staging.finalURL(fileName), layerName: layer.schema.name, featureCount: layer.featureCount))
    }

    private func reportLosses(_ layer: OpenLayer) {
        func note(_ code: Diagnostic.Code, _ message: String, field: String? = nil, _ tally: LossTally) {
            guard tally.count > 0 else { return }
            diagnostics.append(Diagnostic(code, message, at: ErrorLocation(layer: layer.schema.name, featureIndex: tally.firstFeatureIndex,
                                                                          objectID: tally.firstObjectID, field: field, output: fileName),
                                          count: tally.count))
        }
        for (field, tally) in zip(layer.schema.fields, layer.nonFinite) {
            note(.nonFiniteNumberDropped, "\(tally.count) NaN or infinite value(s) written as null: JSON has no such numbers",
                 field: field.name, tally)
        }
        note(.geometryDropped, "\(layer.droppedGeometries.count) geometries with a non-finite coordinate written as none: JSON has no such numbers",
             layer.droppedGeometries)
        if Format.keepsOtherGeometryTypes {
            if layer.otherGeometryTypes.count > 0 {
                diagnostics.append(Diagnostic(
                    .inputIrregular, "\(layer.otherGeometryTypes.count) features have another geometry type than the layer's; the layer's resource names none, so that a reader takes each feature's",
                    at: ErrorLocation(layer: layer.schema.name, featureIndex: layer.otherGeometryTypes.firstFeatureIndex,
                                      objectID: layer.otherGeometryTypes.firstObjectID, output: fileName),
                    count: layer.otherGeometryTypes.count, severity: .info))
            }
        }
    }

    /// The split layer after its layer: its opening, the spooled features, its closing; the spool
    /// removed, so that it does not reach the output.
    private func writeSplitLayer(_ split: SplitLayer, of schema: LayerSchema, to out: JSONTextFile) throws {
        try split.spool.close()
        out.raw(",\n")
        try Format.writeLayerOpening(split.schema, to: out)
        try out.append(contentsOf: split.spoolPath)
        do {
            try FileManager.default.removeItem(atPath: split.spoolPath)
        } catch {
            throw ReplicaExportError.fileSystem(error, doing: "removing a spooled layer", path: split.spoolPath,
                                                at: ErrorLocation(layer: schema.name, output: fileName))
        }
        Format.writeLayerClosing(split.schema, attachmentsOpened: false, to: out)
        try out.flushIfFull()
        layersWritten += 1
        let type = split.schema.geometryType?.rawValue ?? ""
        diagnostics.append(Diagnostic(
            .geometryTypeSplit,
            "\(split.featureCount) features of type \(type) written to the layer '\(split.schema.name)' (id \(split.schema.id)): a \(Format.profile.formatName) layer holds one geometry type",
            at: ErrorLocation(layer: schema.name, output: fileName), count: split.featureCount))
        records.append(EsriJSONLayerRecord(schema: split.schema, extent: split.geometry.extent, hasOtherGeometryTypes: false))
        outputs.append(WrittenOutput(url: staging.finalURL(fileName), layerName: split.schema.name, featureCount: split.featureCount))
    }

    // MARK: attachments

    /// In the document where the profile keeps attachments, by a file beside it (the request's
    /// ``WriterRequest/attachmentsDataByURL``) or with their bytes; else beside the document with
    /// an index, as every format without attachments keeps them.
    func write(attachments: [Attachment], of schema: LayerSchema) throws {
        let out = try document()
        guard var layer = open else { throw ReplicaExportError(.invalidState, "attachments written outside beginLayer / endLayer") }
        open = nil
        defer { open = layer }
        for attachment in attachments {
            let location = ErrorLocation(layer: schema.name, detail: "attachment \(attachment.attachmentId)")
            let inDocument = Format.profile.capabilities.contains(.attachments)
            var reference: String?
            if !inDocument || (request.attachmentsDataByURL && attachment.data != nil) {
                let sidecar = self.sidecar ?? AttachmentSidecar(staging: staging, writesIndex: !inDocument)
                self.sidecar = sidecar
                reference = try sidecar.write(attachment, parentObjectID: parents.objectID(of: attachment),
                                              layerBaseName: layer.baseName, at: location)
            }
            guard inDocument else { continue }
            if !layer.attachmentsOpened {
                Format.writeAttachmentsOpening(to: out)
                layer.attachmentsOpened = true
            } else {
                out.raw(",\n")
            }
            try Format.writeAttachment(attachment, reference: reference.map { EsriJSONURL.relative($0) }, to: out)
            if attachment.data == nil {
                layer.attachmentsKeepingURL += 1
            } else if reference == nil {
                layer.attachmentsEmbedded += 1
            }
            try out.flushIfFull()
        }
    }

}

/// Relative URLs of files written beside a document.
enum EsriJSONURL {
    /// A relative path as a relative URL: each byte but the unreserved ones and `/` percent-encoded.
    static func relative(_ path: String) -> String {
        var bytes: [UInt8] = []
        for b in path.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                bytes.append(b)
            default:
                bytes += Array(String(format: "%%%02X", b).utf8)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension EsriJSONWriter {
    // MARK: relationship classes

    /// Kept in the layers' resources (each layer's `relationships`), and listed in
    /// `relationships.json`, as every format lists them.
    func write(relationships: [RelationshipClass]) throws {
        let written = Dictionary(records.map { ($0.schema.id, $0.schema.name) }, uniquingKeysWith: { first, _ in first })
        let entries = relationships.compactMap { r -> RelationshipListingEntry? in
            guard let origin = written[r.originLayerId], let destination = written[r.destinationLayerId] else { return nil }
            return RelationshipListingEntry(
                id: r.id, name: r.name, cardinality: r.cardinality.rawValue, composite: r.isComposite,
                origin: .init(layerId: r.originLayerId, layer: origin, key: r.originKeyField),
                destination: .init(layerId: r.destinationLayerId, layer: destination, key: r.destinationKeyField))
        }
        guard !entries.isEmpty else { return }
        try RelationshipListingEntry.write(entries, staging: staging)
    }

    // MARK: commit and abort

    func commit() throws -> [WrittenOutput] {
        if open != nil { try endLayer() }
        let out = try document()
        Format.writeClosing(to: out)
        try out.close()
        self.out = nil
        try Format.writeSideFiles(records, base: base, directory: directory)
        try staging.commit()
        finished = true
        return outputs
    }

    func abort() {
        open = nil
        out = nil  // closed when released; what it held is removed with the staging
        _ = try? sidecar?.end()  // aborting: what it would report is moot
        staging.abort()
        finished = true
    }
}
