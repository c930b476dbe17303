import Foundation

/// Whether a value read back equals the value written, within what the column's encoding is
/// documented to keep.
enum ValueComparison {
    /// `crlfReadAsLF`: GDAL's CSV reader turns CR LF inside a quoted cell into LF (the file keeps both).
    /// `textCharacters`: the format cuts text longer than this many UTF-16 code units (a reported loss).
    /// `emptyTextReadAsNull`: GDAL's reader reads an empty text as no value (XLSX).
    /// `trailingSpacesLost`: GDAL's reader reads text with its trailing spaces dropped (LIBKML; the
    /// file keeps them).
    /// `nonFiniteReals`: the non-finite numbers the format holds (others are written as null);
    /// `fixedPoint`: the width and decimals of a `.dbf` number column (a larger number is null).
    static func same(_ expected: Value, _ actual: Value, encoding: ValueEncoding, crlfReadAsLF: Bool = false,
                     textCharacters: Int? = nil, emptyTextReadAsNull: Bool = false, trailingSpacesLost: Bool = false,
                     nonFiniteReals: NonFiniteReals = [], fixedPoint: (width: Int, precision: Int)? = nil) -> Bool {
        func cut(_ text: String) -> String {
            let kept = textCharacters.map { LayerNames.prefix(text, utf16: $0) } ?? text
            return trailingSpacesLost ? trimTrailing(kept) : kept
        }
        if emptyTextReadAsNull, actual.isNull {
            if case .string("") = expected { return true }
            if case .blob(let bytes) = expected, bytes.isEmpty, encoding == .base64 { return true }
        }
        if case .null = expected { return actual.isNull || actual == .string("") }
        if case .stringMaxBytes = encoding, actual.isNull, let s = expected.text, trimTrailing(s).isEmpty {
            return true  // a .dbf cell of spaces reads back as null
        }
        // NaN and infinity are written as null where the format has no such numbers (a reported loss).
        if expected.kind == .float32 || expected.kind == .float64, let e = expected.doubleValue, !e.isFinite {
            if case .formatted = encoding { return actual.isNull }
            guard nonFiniteReals.holds(e), let a = actual.doubleValue else { return actual.isNull }
            return e.isNaN ? a.isNaN : a == e
        }
        if case .realShortestDecimal = encoding, let (width, precision) = fixedPoint, var e = expected.doubleValue {
            if case .float32(let f) = expected { e = ValueText.shortestDecimal(f) }
            if !ValueText.fixedPointFits(e, width: width, precision: precision) { return actual.isNull }
        }
        if case .null = actual { return false }
        switch encoding {
        case .integer, .integer64:
            // Read back as a double (an Excel number), or as text (a KML field typed string).
            return expected.integerValue == actual.integerValue
                || (actual.integerValue == nil && expected.integerValue.map(Double.init) == actual.doubleValue)
                || (actual.text.flatMap { Int64($0) } != nil && expected.integerValue == actual.text.flatMap { Int64($0) })
        case .integer64Within53Bits:
            return expected.integerValue.map(Double.init) == actual.doubleValue
        case .formatted(let f) where f.readBack == .exactNumber:
            // Written exactly; a float32 as its shortest decimal.
            guard let a = actual.doubleValue else { return false }
            if case .float32(let f) = expected { return ValueText.shortestDecimal(f) == a }
            return expected.doubleValue == a
        case .formatted where expected.isGUID:
            return guidKey(expected.text) == guidKey(actual.text)
        case .formatted(let f) where f.readBack == .asFormatted:
            switch f.text(expected) {
            case .text(let text), .altered(let text): return actual.text == cut(text)
            case .nonFinite: return actual.isNull
            case .mismatch: return false
            }
        case .real, .realShortestDecimal, .numberText:
            guard let e = expected.doubleValue, let a = actual.doubleValue ?? actual.text.flatMap(Double.init) else { return false }
            if case .float32(let f) = expected {
                return abs(Double(f) - a) <= 1e-6 * max(1, abs(a)) || ValueText.shortestDecimal(f) == a
            }
            // A .dbf keeps 15 decimals of fixed-point text.
            return e == a || abs(e - a) <= 5e-16 + 1e-15 * abs(e)
        case .string, .formatted:
            // GDAL's GeoJSON and CSV readers turn ISO 8601 text into dates and times.
            if case .date(let ms) = actual, let s = expected.text { return ISO8601.milliseconds(s) == ms }
            if case .dateOnly(let d) = actual, let s = expected.text { return s == ValueText.isoDate(d) }
            if case .timeOnly(let t) = actual, let s = expected.text { return s.hasPrefix(ValueText.isoTime(t).prefix(8)) }
            if crlfReadAsLF, let s = expected.text {
                return actual.text == s.replacingOccurrences(of: "\r\n", with: "\n")
            }
            return actual.text == expected.text.map(cut)
        case .stringMaxBytes(let maxBytes):
            guard let s = expected.text else { return false }
            let cut = ValueText.truncated(s, maxBytes: maxBytes) ?? s
            // A .dbf pads text with spaces: trailing spaces are not kept, and GDAL's reader (shapelib
            // built with TRIM_DBF_WHITESPACE) drops leading ones too, which the file keeps.
            return actual.text.map { trimSpaces($0) } == trimSpaces(cut)
        case .guidBracedUpper, .guidAsGiven:
            return guidKey(expected.text) == guidKey(actual.text)
        case .dateTime, .dateISO:
            guard case .date(let ms) = expected else { return false }
            return instant(actual) == ms
        case .dateTimeWholeSeconds:
            guard case .date(let ms) = expected, let a = instant(actual) else { return false }
            // To the nearest second; GDAL 3.6.2 reads FileGDB dates before 1970 one second late.
            return abs(a - ms) <= (ms < 0 ? 1500 : 500)
        case .dateToDate:
            guard case .date(let ms) = expected else { return false }
            let p = ValueText.parts(milliseconds: ms)
            return day(actual) == DateOnly(year: p.year, month: p.month, day: p.day)
        case .dateOnly, .dateOnlyISO:
            guard case .dateOnly(let d) = expected else { return false }
            return day(actual) == d
        case .timeOnlyISO, .time:
            guard case .timeOnly(let t) = expected else { return false }
            if case .timeOnly(let u) = actual { return u == t }
            return actual.text == ValueText.isoTime(t)
        case .timestampOffsetISO:
            guard case .timestampOffset(let t) = expected else { return false }
            return actual.text == ValueText.isoOffset(t) || instant(actual) == t.utcMilliseconds
        case .binary, .base64:
            guard case .blob(let bytes) = expected else { return false }
            if case .blob(let b) = actual { return b == bytes }
            if let limit = textCharacters, (bytes.count + 2) / 3 * 4 > limit {
                return actual.text == cut(ValueText.base64(bytes))  // cut to a cell (a reported loss)
            }
            return actual.text.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) == bytes } ?? false
        case .geometryX, .geometryY, .geometryZ, .geometryWKT, .label:
            return true
        }
    }

    private static func trimTrailing(_ s: String) -> String {
        var s = s
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }

    private static func trimSpaces(_ s: String) -> String {
        var s = trimTrailing(s)
        while s.hasPrefix(" ") { s.removeFirst() }
        return s
    }

    private static func guidKey(_ s: String?) -> String? {
        s?.trimmingCharacters(in: CharacterSet(charactersIn: "{}")).lowercased()
    }

    /// A date-time as milliseconds since 1970, from a date value or ISO 8601 text.
    private static func instant(_ value: Value) -> Int64? {
        switch value {
        case .date(let ms): return ms
        case .string(let s): return ISO8601.milliseconds(s)
        default: return nil
        }
    }

    private static func day(_ value: Value) -> DateOnly? {
        switch value {
        case .dateOnly(let d): return d
        case .date(let ms):
            let p = ValueText.parts(milliseconds: ms)
            return DateOnly(year: p.year, month: p.month, day: p.day)
        case .string(let s):
            let parts = s.prefix(10).split(separator: "-").compactMap { Int($0) }
            return parts.count == 3 ? DateOnly(year: parts[0], month: parts[1], day: parts[2]) : nil
        default: return nil
        }
    }
}

private extension Value {
    var text: String? {
        switch self {
        case .string(let s), .guid(let s): return s
        default: return nil
        }
    }

    var isGUID: Bool {
        if case .guid = self { return true } else { return false }
    }
}

/// ISO 8601 date-times as this library writes them (`2024-03-15T13:45:30.250Z`, with an offset, or
/// without a zone meaning UTC).
enum ISO8601 {
    static func milliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for b in bytes[range] { guard b >= 48 && b <= 57 else { return nil }; value = value * 10 + Int(b - 48) }
            return value
        }
        guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10) else { return nil }
        var ms = Int64(EsriValues.daysFromCivil(y, mo, d)) * 86_400_000
        guard bytes.count > 10 else { return ms }
        guard let h = number(11..<13), let mi = number(14..<16), let s = number(17..<19) else { return nil }
        ms += Int64(h * 3_600_000 + mi * 60_000 + s * 1000)
        var i = 19
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100, fraction = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                fraction += Int(bytes[i] - 48) * scale
                scale /= 10
                i += 1
            }
            ms += Int64(fraction)
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-"),
           let oh = number(i + 1..<i + 3), let om = number(i + 4..<i + 6) {
            let offset = Int64(oh * 60 + om) * 60_000
            ms += bytes[i] == UInt8(ascii: "+") ? -offset : offset
        }
        return ms
    }
}

/// Vertices of geometries as flat lists, compared within a format's precision.
enum GeometryComparison {
    typealias Point = (x: Double, y: Double, z: Double?, m: Double?)

    static func vertices(_ geometry: PreparedGeometry) -> [Point] {
        let z = geometry.hasZ, m = geometry.hasM
        func point(_ v: Vertex) -> Point { (v.x, v.y, z ? v.z : nil, m ? v.m : nil) }
        switch geometry.shape {
        case .point(let v): return v.x.isNaN ? [] : [point(v)]
        case .multipoint(let vs): return vs.map(point)
        case .lines(let paths): return paths.flatMap { $0.vertices.map(point) }
        // Rings as a reader gives them back: in Esri's orientation (see WKBDecoder).
        case .polygons(let polygons): return polygons.flatMap { $0.flatMap { Rings.reversed($0).vertices.map(point) } }
        }
    }

    static func vertices(_ geometry: Geometry) -> [Point] {
        let z = geometry.hasZ, m = geometry.hasM
        func point(_ v: Vertex) -> Point { (v.x, v.y, z ? v.z : nil, m ? v.m : nil) }
        switch geometry.shape {
        case .point(let v): return [point(v)]
        case .multipoint(let vs): return vs.map(point)
        case .polyline(let paths), .polygon(let paths): return paths.flatMap { $0.vertices.map(point) }
        }
    }

    /// The transformation from `reference` to WGS84 longitude/latitude; nil when there is none.
    static func transformationToWGS84(from reference: SpatialReference) -> GDALCoordinateTransformation? {
        guard let source = try? GDALSpatialReference.from(reference),
              let target = GDALSpatialReference.fromUserInput("EPSG:4326") else { return nil }
        return try? GDALCoordinateTransformation(from: source, to: target)
    }

    /// The vertices in WGS84 longitude/latitude, as GeoJSON outputs hold them.
    static func toWGS84(_ points: [Point], from reference: SpatialReference) -> [Point] {
        toWGS84(points, with: transformationToWGS84(from: reference))
    }

    /// The vertices through a transformation to WGS84 (made once per layer); unchanged without one.
    static func toWGS84(_ points: [Point], with transformation: GDALCoordinateTransformation?) -> [Point] {
        guard let transformation else { return points }
        return points.map { p in
            guard let t = transformation.transform(x: p.x, y: p.y, z: p.z ?? 0) else { return p }
            return (t.x, t.y, p.z, nil)
        }
    }

    /// nil when the two vertex lists hold the same vertices within `tolerance`, in order or, where a
    /// driver reordered rings or vertices, as sets; else the first difference in order.
    static func differ(_ expected: [Point], _ actual: [Point], tolerance: (absolute: Double, relative: Double),
                       compareM: Bool, missingM: Double?) -> (expected: String, actual: String)? {
        guard expected.count == actual.count else { return ("\(expected.count) vertices", "\(actual.count)") }
        guard let inOrder = firstDifference(expected, actual, tolerance: tolerance, compareM: compareM, missingM: missingM) else {
            return nil
        }
        func order(_ a: Point, _ b: Point) -> Bool {
            let (ax, bx) = ((a.x / tolerance.absolute).rounded(), (b.x / tolerance.absolute).rounded())
            if ax != bx { return ax < bx }
            let (ay, by) = ((a.y / tolerance.absolute).rounded(), (b.y / tolerance.absolute).rounded())
            if ay != by { return ay < by }
            return (a.z ?? 0, a.m ?? 0) < (b.z ?? 0, b.m ?? 0)
        }
        let sorted = firstDifference(expected.sorted(by: order), actual.sorted(by: order), tolerance: tolerance,
                                     compareM: compareM, missingM: missingM)
        return sorted == nil ? nil : inOrder
    }

    private static func firstDifference(_ expected: [Point], _ actual: [Point], tolerance: (absolute: Double, relative: Double),
                                        compareM: Bool, missingM: Double?) -> (expected: String, actual: String)? {
        for (e, a) in zip(expected, actual) {
            let limit = { (v: Double) in tolerance.absolute + tolerance.relative * abs(v) }
            if abs(e.x - a.x) > limit(e.x) || abs(e.y - a.y) > limit(e.y) {
                return ("vertex (\(e.x), \(e.y))", "(\(a.x), \(a.y))")
            }
            if let ez = e.z, let az = a.z, abs(ez - az) > limit(ez) { return ("z \(ez)", "\(az)") }
            if compareM, let em = e.m, let am = a.m {
                let same = em.isNaN ? (am.isNaN || am == missingM || am < -1e38) : abs(em - am) <= limit(em)
                if !same { return ("m \(em)", "\(am)") }
            }
        }
        return nil
    }
}
