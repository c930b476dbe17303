/// What one Esri JSON geometry object said.
struct ParsedGeometry {
    /// nil for an empty geometry (`{}`, `x: null` / `"NaN"`, no parts).
    var geometry: Geometry?
    /// An object was given that describes no geometry: Esri JSON's empty geometry (`{}`, `"x":
    /// null` or `"NaN"`, no paths, rings or points, or only empty ones); false for `null`.
    var isEmpty = false
    /// The type the geometry's members name, even when it is empty (envelope maps to polygon).
    var type: GeometryType?
    /// Evidence for Z / M: the geometry's own flags, or the members / vertex arity.
    var sawZ = false
    var sawM = false
    var spatialReference: JSONValue?
}

/// Parses Esri JSON geometries straight from the scanner, without building a JSON tree.
final class EsriGeometryParser {
    /// The layer's flags, used when the geometry carries none.
    let layerHasZ: Bool
    let layerHasM: Bool
    /// Reused key buffer. (One parser serves one reading thread and never reenters, so the
    /// runtime's per-access checks are off for its hot state.)
    @exclusivity(unchecked) private var key: [UInt8] = []
    /// Vertices of Z-aware geometries whose Z was null or absent, written with Z 0 (one rule for
    /// both, so that no format meets a NaN Z it cannot encode); the reader reports the count.
    @exclusivity(unchecked) var verticesWithoutZ = 0

    init(layerHasZ: Bool, layerHasM: Bool) {
        self.layerHasZ = layerHasZ
        self.layerHasM = layerHasM
        key.reserveCapacity(32)
    }

    private enum RawCurve {
        case c(XY)
        case a(center: XY, minor: Bool, clockwise: Bool, rest: [Double])
        case b(XY, XY)
    }

    private struct RawPart {
        var coords: [Double] = []   // 4 per vertex
        var arity: [UInt8] = []
        var curves: [(Int, RawCurve)] = []
    }

    private enum Kind: Int {
        case point, multipoint, paths, rings, curvePaths, curveRings, envelope
    }

    /// Parses the geometry value at the scanner's position (which may be `null`).
    func parse(_ s: JSONScanner) throws -> ParsedGeometry {
        if try s.consumeNull() { return ParsedGeometry() }
        var result = try parseObject(s)
        result.isEmpty = result.geometry == nil
        return result
    }

    /// Parses the geometry object at the scanner's position.
    private func parseObject(_ s: JSONScanner) throws -> ParsedGeometry {
        let start = s.offset
        try s.beginObject()
        var first = true
        var flagZ: Bool?
        var flagM: Bool?
        var x: Double?, y: Double?, z: Double?, m: Double?
        // A `z` or `m` member that is not null: evidence of Z / M.
        var zGiven = false, mGiven = false
        var pointEmpty = false
        var sawPointKey = false
        var env: (Double?, Double?, Double?, Double?) = (nil, nil, nil, nil)
        var sawEnvelope = false
        var multi: RawPart?
        var linear: [RawPart]?
        var linearKind: Kind?
        var curved: [RawPart]?
        var curvedKind: Kind?
        var result = ParsedGeometry()

        while try s.nextMember(first: &first, key: &key) {
            switch key.count {
            case 1:
                switch key[0] {
                case UInt8(ascii: "x"):
                    sawPointKey = true
                    if let v = try pointCoordinate(s, name: "x") { x = v } else { pointEmpty = true }
                case UInt8(ascii: "y"):
                    sawPointKey = true
                    if let v = try pointCoordinate(s, name: "y") { y = v } else { pointEmpty = true }
                case UInt8(ascii: "z"):
                    z = try pointCoordinate(s, name: "z")
                    zGiven = z != nil
                    z = z ?? .nan
                case UInt8(ascii: "m"):
                    m = try pointCoordinate(s, name: "m")
                    mGiven = m != nil
                    m = m ?? .nan
                default:
                    try s.skipValue()
                }
            default:
                switch String(decoding: key, as: UTF8.self) {
                case "hasZ": flagZ = try readFlag(s)
                case "hasM": flagM = try readFlag(s)
                case "points":
                    multi = try readPart(s, allowCurves: false)
                case "paths", "rings":
                    let kind: Kind = key[0] == UInt8(ascii: "p") ? .paths : .rings
                    if let other = linearKind, other != kind {
                        throw ReplicaExportError(.unexpectedType, "a geometry with both 'paths' and 'rings'", at: s.location(start))
                    }
                    linear = try readParts(s, allowCurves: false)
                    linearKind = kind
                case "curvePaths", "curveRings":
                    let kind: Kind = key[5] == UInt8(ascii: "P") ? .curvePaths : .curveRings
                    if let other = curvedKind, other != kind {
                        throw ReplicaExportError(.unexpectedType, "a geometry with both 'curvePaths' and 'curveRings'", at: s.location(start))
                    }
                    curved = try readParts(s, allowCurves: true)
                    curvedKind = kind
                case "xmin":
                    sawEnvelope = true
                    env.0 = try pointCoordinate(s, name: "xmin")
                case "ymin":
                    sawEnvelope = true
                    env.1 = try pointCoordinate(s, name: "ymin")
                case "xmax":
                    sawEnvelope = true
                    env.2 = try pointCoordinate(s, name: "xmax")
                case "ymax":
                    sawEnvelope = true
                    env.3 = try pointCoordinate(s, name: "ymax")
                case "spatialReference":
                    result.spatialReference = try s.readValue()
                default:
                    try s.skipValue()
                }
            }
        }

        // Which kind of geometry is this? Curves are the truth over a parallel linear form.
        // (The first kind seen and how many: no array per geometry.)
        var kinds = (first: Kind?.none, count: 0)
        func found(_ kind: Kind) {
            if kinds.first == nil { kinds.first = kind }
            kinds.count &+= 1
        }
        if sawPointKey { found(.point) }
        if multi != nil { found(.multipoint) }
        if let k = curvedKind {
            if let l = linearKind, (l == .paths) != (k == .curvePaths) {
                throw ReplicaExportError(.unexpectedType, "a geometry mixing paths and rings", at: s.location(start))
            }
            found(k)
        } else if let l = linearKind {
            found(l)
        }
        if sawEnvelope { found(.envelope) }
        if kinds.count > 1 {
            throw ReplicaExportError(.unexpectedType, "a geometry with members of several geometry types", at: s.location(start))
        }
        guard let kind = kinds.first else { return result }  // {} : empty

        let hasZ = flagZ ?? layerHasZ
        let hasM = flagM ?? layerHasM
        switch kind {
        case .point:
            result.type = .point
            result.sawZ = flagZ ?? zGiven
            result.sawM = flagM ?? mGiven
            if pointEmpty || x == nil { return result }
            guard let x, let y else {
                throw ReplicaExportError(.unexpectedType, "a point with 'x' but no 'y'", at: s.location(start))
            }
            if x.isNaN { return result }
            try Self.requireFinite(x, y, s: s, at: start)
            var vz = 0.0
            if hasZ {
                if let z, !z.isNaN { vz = z } else { verticesWithoutZ &+= 1 }
            }
            let vm = hasM ? (m ?? .nan) : 0
            try Self.requireFinite(vz, vm.isNaN ? 0 : vm, s: s, at: start)
            result.geometry = Geometry(.point(Vertex(x: x, y: y, z: vz, m: vm)), hasZ: hasZ, hasM: hasM)
        case .multipoint:
            result.type = .multipoint
            let part = multi ?? RawPart()
            (result.sawZ, result.sawM) = evidence(flagZ, flagM, [part])
            let vertices = try resolve(part, hasZ: hasZ, hasM: hasM, s: s, at: start)
            if !vertices.isEmpty {
                result.geometry = Geometry(.multipoint(vertices), hasZ: hasZ, hasM: hasM)
            }
        case .paths, .rings, .curvePaths, .curveRings:
            let isPolygon = kind == .rings || kind == .curveRings
            result.type = isPolygon ? .polygon : .polyline
            let parts = (kind == .curvePaths || kind == .curveRings) ? (curved ?? []) : (linear ?? [])
            (result.sawZ, result.sawM) = evidence(flagZ, flagM, parts)
            var paths: [Path] = []
            paths.reserveCapacity(parts.count)
            for part in parts where !part.arity.isEmpty {
                let vertices = try resolve(part, hasZ: hasZ, hasM: hasM, s: s, at: start)
                var curves: [CurveSegment] = []
                if !part.curves.isEmpty {
                    curves.reserveCapacity(part.curves.count)
                    for (index, raw) in part.curves {
                        let kind = try curveKind(raw, s: s, at: start)
                        // A curve whose parameters describe no curve (a zero ratio, a control point
                        // too far to compute with) cannot be drawn by any format: the geometry is
                        // dropped as a loss here rather than failing the export when it is prepared.
                        if index + 1 < vertices.count {
                            do {
                                _ = try ResolvedCurve.resolve(start: vertices[index].xy, end: vertices[index + 1].xy, kind: kind)
                            } catch let error as ReplicaExportError where error.code == .invalidCurve {
                                throw ReplicaExportError(.invalidGeometry, error.message, at: s.location(start))
                            }
                        }
                        curves.append(CurveSegment(index: index, kind: kind))
                    }
                }
                paths.append(Path(vertices: vertices, curves: curves))
            }
            if !paths.isEmpty {
                result.geometry = Geometry(isPolygon ? .polygon(paths) : .polyline(paths), hasZ: hasZ, hasM: hasM)
            }
        case .envelope:
            result.type = .polygon
            guard let xmin = env.0, let ymin = env.1, let xmax = env.2, let ymax = env.3,
                  !xmin.isNaN, !ymin.isNaN, !xmax.isNaN, !ymax.isNaN else { return result }
            try Self.requireFinite(xmin, ymin, s: s, at: start)
            try Self.requireFinite(xmax, ymax, s: s, at: start)
            // Clockwise, as Esri exterior rings are.
            let ring = [Vertex(x: xmin, y: ymin), Vertex(x: xmin, y: ymax), Vertex(x: xmax, y: ymax),
                        Vertex(x: xmax, y: ymin), Vertex(x: xmin, y: ymin)]
            result.geometry = Geometry(.polygon([Path(vertices: ring)]))
        }
        return result
    }

    private func evidence(_ flagZ: Bool?, _ flagM: Bool?, _ parts: [RawPart]) -> (Bool, Bool) {
        if flagZ != nil || flagM != nil { return (flagZ ?? false, flagM ?? false) }
        var maxArity: UInt8 = 0
        for p in parts { for a in p.arity where a > maxArity { maxArity = a } }
        return Self.evidence(arity: Int(maxArity), layerHasZ: layerHasZ, layerHasM: layerHasM)
    }

    /// What vertices of `arity` items say of Z and M without flags: [x, y, z, m] both; [x, y, v]
    /// an M in a layer that declares M and not Z, else a Z (Esri's order).
    static func evidence(arity: Int, layerHasZ: Bool, layerHasM: Bool) -> (z: Bool, m: Bool) {
        let measureOnly = layerHasM && !layerHasZ
        return (arity >= 4 || (arity == 3 && !measureOnly), arity >= 4 || (arity == 3 && measureOnly))
    }

    private func curveKind(_ raw: RawCurve, s: JSONScanner, at: Int) throws -> CurveKind {
        switch raw {
        case .c(let p): try Self.requireFinite(p.x, p.y, s: s, at: at)
        case .b(let c1, let c2):
            try Self.requireFinite(c1.x, c1.y, s: s, at: at)
            try Self.requireFinite(c2.x, c2.y, s: s, at: at)
        case .a(let center, _, _, let rest):
            try Self.requireFinite(center.x, center.y, s: s, at: at)
            for v in rest where !v.isFinite {
                throw ReplicaExportError(.invalidGeometry, "an elliptic arc with a non-finite parameter", at: s.location(at))
            }
        }
        switch raw {
        case .c(let interior):
            return .circularArc(interior: interior)
        case .b(let c1, let c2):
            return .bezier(control1: c1, control2: c2)
        case .a(let center, let minor, let clockwise, let rest):
            if rest.isEmpty { return .circularArcByCenter(center: center, isMinor: minor, isClockwise: clockwise) }
            guard rest.count == 3 else {
                throw ReplicaExportError(.invalidGeometry, "an arc segment 'a' must have 4 or 7 items", at: s.location(at))
            }
            return .ellipticArc(center: center, isMinor: minor, isClockwise: clockwise, rotation: rest[0],
                                semiMajorAxis: rest[1], minorMajorRatio: rest[2])
        }
    }

    /// Every coordinate of a geometry is finite: a number beyond the double range (`1e400`) is the
    /// same fault as any other non-finite coordinate, a geometry no format can represent.
    static func requireFinite(_ a: Double, _ b: Double, s: JSONScanner, at: Int) throws {
        guard a.isFinite && b.isFinite else {
            throw ReplicaExportError(.invalidGeometry, "a non-finite coordinate (\(a.isFinite ? b : a))", at: s.location(at))
        }
    }

    private func resolve(_ part: RawPart, hasZ: Bool, hasM: Bool, s: JSONScanner, at: Int) throws -> [Vertex] {
        let n = part.arity.count
        var out = [Vertex]()
        out.reserveCapacity(n)
        var missingZ = 0
        var finite = true
        part.coords.withUnsafeBufferPointer { c in
            for i in 0..<n {
                let b = i &* 4
                let a = part.arity[i]
                var v = Vertex(x: c[b], y: c[b &+ 1])
                defer {
                    if hasZ && v.z.isNaN { v.z = 0; missingZ &+= 1 } else if hasZ && a < 3 { missingZ &+= 1 }
                    // A null M is "no measure" (NaN); only infinities are faults.
                    if !(v.x.isFinite && v.y.isFinite && v.z.isFinite) || v.m.isInfinite { finite = false }
                    out.append(v)
                }
                if a >= 4 {
                    if hasZ { v.z = c[b &+ 2] }
                    if hasM { v.m = c[b &+ 3] }
                } else if a == 3 {
                    if hasZ {
                        v.z = c[b &+ 2]
                        if hasM { v.m = .nan }
                    } else if hasM {
                        v.m = c[b &+ 2]
                    }
                } else if hasM {
                    v.m = .nan  // no measure
                }
            }
        }
        guard finite else {
            throw ReplicaExportError(.invalidGeometry, "a non-finite coordinate", at: s.location(at))
        }
        verticesWithoutZ &+= missingZ
        return out
    }

    private func readFlag(_ s: JSONScanner) throws -> Bool {
        let b = try s.peekValueStart()
        if b == UInt8(ascii: "t") || b == UInt8(ascii: "f") || b == UInt8(ascii: "n") { return try s.readLiteral() ?? false }
        if b == UInt8(ascii: "-") || (b >= 0x30 && b <= 0x39) { return try s.readNumber().doubleValue != 0 }
        throw ReplicaExportError(.unexpectedType, "'hasZ'/'hasM' must be a boolean", at: s.location())
    }

    /// A point member: a number, null or "NaN" (nil for both).
    private func pointCoordinate(_ s: JSONScanner, name: String) throws -> Double? {
        let b = try s.peekValueStart()
        if JSONScanner.startsNumber(b) { return try s.readNumber().doubleValue }
        if b == UInt8(ascii: "n") { _ = try s.readLiteral(); return nil }
        if b == UInt8(ascii: "\"") {
            let at = s.offset
            let text = try s.readString()
            if text == "NaN" { return nil }
            throw ReplicaExportError(.invalidGeometry, "'\(name)' is the text \(EsriValues.quoted(text)), not a number",
                               at: s.location(at))
        }
        throw ReplicaExportError(.invalidGeometry, "'\(name)' is not a number", at: s.location())
    }

    /// Parses the geometry value at the scanner's position, or, where it is well-formed JSON that
    /// draws nothing (a coordinate that is text or null, a member of the wrong kind), skips it
    /// (which still fails on malformed JSON) and returns why instead: the feature is kept without it.
    func parseOrSkip(_ s: JSONScanner) throws -> (geometry: ParsedGeometry?, dropped: String?) {
        _ = try s.peekValueStart()
        let at = s.offset
        do {
            return (try parse(s), nil)
        } catch let error as ReplicaExportError where error.code == .invalidGeometry || error.code == .unexpectedType {
            try s.seek(to: at)
            try s.skipValue()
            return (nil, error.message)
        }
    }

    /// Whether the geometry value at the scanner's position carries Z and M, consumed: its `hasZ` /
    /// `hasM` flags where it has them (as the parser decides), else a point's `z` / `m` that are
    /// not null, or the length of its first vertex (see ``evidence(arity:layerHasZ:layerHasM:)``). Everything
    /// after the first vertex is skipped, not parsed.
    static func dimensions(_ s: JSONScanner, layerHasZ: Bool, layerHasM: Bool) throws -> (z: Bool, m: Bool) {
        guard try s.peekValueStart() == UInt8(ascii: "{") else {
            try s.skipValue()
            return (false, false)
        }
        try s.beginObject()
        var first = true
        var flagZ: Bool?, flagM: Bool?
        var z = false, m = false, arity = 0
        while let key = try s.nextKey(first: &first) {
            if JSONScanner.key(key, is: Self.hasZKey) || JSONScanner.key(key, is: Self.hasMKey) {
                let isZ = key[3] == UInt8(ascii: "Z")
                let b = try s.peekValueStart()
                var flag: Bool?
                if b == UInt8(ascii: "t") || b == UInt8(ascii: "f") {
                    flag = try s.readLiteral()
                } else if b == UInt8(ascii: "-") || (b >= 0x30 && b <= 0x39) {
                    flag = try s.readNumber().doubleValue != 0
                } else {
                    try s.skipValue()
                }
                if isZ { flagZ = flag ?? flagZ } else { flagM = flag ?? flagM }
            } else if key.count == 1 && (key[0] == UInt8(ascii: "z") || key[0] == UInt8(ascii: "m")) {
                let isZ = key[0] == UInt8(ascii: "z")  // read before the scanner moves: the key lies in its buffer
                let given = try s.peekValueStart() != UInt8(ascii: "n")
                if isZ { z = z || given } else { m = m || given }
                try s.skipValue()
            } else if key.count > 4, try s.peekValueStart() == UInt8(ascii: "["), arity == 0 {
                // points, paths, rings, curvePaths, curveRings: the first vertex.
                arity = try firstVertexArity(s)
            } else {
                try s.skipValue()
            }
        }
        if flagZ != nil || flagM != nil { return (flagZ ?? false, flagM ?? false) }
        let byArity = evidence(arity: arity, layerHasZ: layerHasZ, layerHasM: layerHasM)
        return (z || byArity.z, m || byArity.m)
    }

    private static let hasZKey = Array("hasZ".utf8)
    private static let hasMKey = Array("hasM".utf8)

    /// The number of items of the first vertex in nested arrays (`[[[x, y, z], ...], ...]`), the
    /// arrays consumed; 0 when the first innermost array is empty.
    private static func firstVertexArity(_ s: JSONScanner) throws -> Int {
        var open = 0
        var arity = 0
        descending: while true {
            try s.beginArray()
            open &+= 1
            var first = true
            guard try s.nextElement(first: &first) else {
                open &-= 1
                break
            }
            if try s.peekValueStart() == UInt8(ascii: "[") { continue descending }
            // The first vertex: count its items.
            repeat {
                arity &+= 1
                try s.skipValue()
            } while try s.nextElement(first: &first)
            open &-= 1
            break
        }
        while open > 0 {
            var first = false
            while try s.nextElement(first: &first) { try s.skipValue() }
            open &-= 1
        }
        return arity
    }

    private func readParts(_ s: JSONScanner, allowCurves: Bool) throws -> [RawPart] {
        if try s.consumeNull() { return [] }
        guard try s.peekValueStart() == UInt8(ascii: "[") else {
            throw ReplicaExportError(.unexpectedType, "paths / rings must be an array of arrays", at: s.location())
        }
        try s.beginArray()
        var parts: [RawPart] = []
        var first = true
        while try s.nextElement(first: &first) {
            parts.append(try readPart(s, allowCurves: allowCurves))
        }
        return parts
    }

    /// An array of vertices (and, in curve forms, segment objects).
    private func readPart(_ s: JSONScanner, allowCurves: Bool) throws -> RawPart {
        guard try s.peekValueStart() == UInt8(ascii: "[") else {
            throw ReplicaExportError(.unexpectedType, "expected an array of coordinates", at: s.location())
        }
        try s.beginArray()
        var part = RawPart()
        var first = true
        while try s.nextElement(first: &first) {
            let b = try s.peekValueStart()
            if b == UInt8(ascii: "[") {
                try readVertex(s, into: &part)
            } else if b == UInt8(ascii: "{") && allowCurves {
                let at = s.offset
                if part.arity.isEmpty {
                    throw ReplicaExportError(.unexpectedType, "a curve segment must follow a start vertex", at: s.location(at))
                }
                let index = part.arity.count &- 1
                let curve = try readSegment(s, into: &part)
                part.curves.append((index, curve))
            } else {
                throw ReplicaExportError(.unexpectedType, allowCurves ? "expected a vertex [x, y, ...] or a segment {\"c\"|\"a\"|\"b\": [...]}"
                                                                : "expected a vertex [x, y, ...]",
                                   at: s.location())
            }
        }
        return part
    }

    /// `[x, y(, z)(, m)]`; x and y must be numbers, z and m may be null (NaN).
    private func readVertex(_ s: JSONScanner, into part: inout RawPart) throws {
        let at = s.offset
        try s.beginArray()
        var first = true
        var n = 0
        var c: (Double, Double, Double, Double) = (0, 0, 0, 0)
        while try s.nextElement(first: &first) {
            let b = try s.peekValueStart()
            var v: Double
            if JSONScanner.startsNumber(b) {
                v = try s.readNumber().doubleValue
            } else if b == UInt8(ascii: "n") {
                _ = try s.readLiteral()
                // A null Z or M is "no value"; a null x or y leaves no position to draw.
                if n < 2 { throw ReplicaExportError(.invalidGeometry, "a vertex with a null x or y", at: s.location(at)) }
                v = .nan
            } else if b == UInt8(ascii: "\"") {
                let text = try s.readString()
                // "NaN" as null: a Z or M without value; any other text is no coordinate.
                guard text == "NaN", n >= 2 else {
                    throw ReplicaExportError(.invalidGeometry, "a vertex with a coordinate given as the text \(EsriValues.quoted(text))",
                                             at: s.location(at))
                }
                v = .nan
            } else {
                throw ReplicaExportError(.invalidGeometry, "a coordinate that is not a number", at: s.location())
            }
            switch n {
            case 0: c.0 = v
            case 1: c.1 = v
            case 2: c.2 = v
            case 3: c.3 = v
            default: v = 0  // extra ordinates (an ID) are ignored
            }
            n &+= 1
        }
        if n < 2 {
            throw ReplicaExportError(.invalidGeometry, "a vertex without x and y", at: s.location(at))
        }
        part.coords.append(c.0)
        part.coords.append(c.1)
        part.coords.append(c.2)
        part.coords.append(c.3)
        part.arity.append(UInt8(min(n, 4)))
        if part.arity.count & (Self.verticesBetweenMemoryChecks - 1) == 0 {
            // A geometry is held whole: refuse one the machine cannot hold before it runs out.
            try MemoryBudget.require(part.arity.count * MemoryBudget.bytesPerVertex,
                                     for: "a geometry part of more than \(part.arity.count) vertices", at: s.location(at))
        }
    }

    /// How often (in vertices, a power of two) a growing part asks ``MemoryBudget``.
    private static let verticesBetweenMemoryChecks = 1 << 16

    private func readXY(_ s: JSONScanner) throws -> XY {
        var tmp = RawPart()
        try readVertex(s, into: &tmp)
        return XY(x: tmp.coords[0], y: tmp.coords[1])
    }

    private func readFlagValue(_ s: JSONScanner) throws -> Bool {
        let b = try s.peekValueStart()
        if b == UInt8(ascii: "t") || b == UInt8(ascii: "f") { return try s.readLiteral() ?? false }
        return try s.readNumber().doubleValue != 0
    }

    /// `{"c": [end, interior]}`, `{"a": [end, center, minor, clockwise(, rotation, axis, ratio)]}`,
    /// `{"b": [end, cp1, cp2]}`: appends the end vertex to the part and returns the curve.
    private func readSegment(_ s: JSONScanner, into part: inout RawPart) throws -> RawCurve {
        let at = s.offset
        try s.beginObject()
        var first = true
        guard try s.nextMember(first: &first, key: &key), key.count == 1 else {
            throw ReplicaExportError(.unexpectedType, "a curve segment must be {\"c\"|\"a\"|\"b\": [...]}", at: s.location(at))
        }
        let letter = key[0]
        guard try s.peekValueStart() == UInt8(ascii: "[") else {
            throw ReplicaExportError(.unexpectedType, "a curve segment's value must be an array", at: s.location())
        }
        try s.beginArray()
        var afirst = true
        func item() throws {
            guard try s.nextElement(first: &afirst) else {
                throw ReplicaExportError(.unexpectedType, "a curve segment with too few items", at: s.location(at))
            }
        }
        try item()
        try readVertex(s, into: &part)
        let curve: RawCurve
        switch letter {
        case UInt8(ascii: "c"):
            try item()
            curve = .c(try readXY(s))
        case UInt8(ascii: "b"):
            try item()
            let c1 = try readXY(s)
            try item()
            curve = .b(c1, try readXY(s))
        case UInt8(ascii: "a"):
            try item()
            let center = try readXY(s)
            try item()
            let minor = try readFlagValue(s)
            try item()
            let clockwise = try readFlagValue(s)
            var rest: [Double] = []
            while try s.nextElement(first: &afirst) {
                rest.append(try s.readNumber().doubleValue)
            }
            afirst = false
            curve = .a(center: center, minor: minor, clockwise: clockwise, rest: rest)
            if !first { // object must end now
                if try s.nextMember(first: &first, key: &key) {
                    throw ReplicaExportError(.unexpectedType, "a curve segment object must have exactly one member", at: s.location(at))
                }
            }
            return curve
        default:
            throw ReplicaExportError(.invalidGeometry, "unknown curve segment '\(Character(Unicode.Scalar(letter)))' (expected c, a or b)",
                               at: s.location(at))
        }
        if try s.nextElement(first: &afirst) {
            throw ReplicaExportError(.unexpectedType, "a curve segment with too many items", at: s.location(at))
        }
        if try s.nextMember(first: &first, key: &key) {
            throw ReplicaExportError(.unexpectedType, "a curve segment object must have exactly one member", at: s.location(at))
        }
        return curve
    }
}
