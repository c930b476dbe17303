import Foundation

/// Reads createReplica's `geometry` parameter: Esri JSON geometry objects, or the simple
/// `xmin,ymin,xmax,ymax` (envelope) and `x,y` (point) syntax.
enum FilterGeometryParser {
    struct Parsed {
        /// An envelope is its rectangle, as a clockwise polygon ring (Esri's exterior orientation).
        var geometry: Geometry
        /// The geometry's own `spatialReference`, when it has one.
        var spatialReference: SpatialReference?
    }

    static func parse(_ text: String, type: GeometryType, parameter: String) throws -> Parsed {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.hasPrefix("{") {
            return Parsed(geometry: try parseSimple(trimmed, type: type, parameter: parameter), spatialReference: nil)
        }
        guard let object = ServiceJSON.object(trimmed) else {
            throw ReplicaExportError.invalidParameter(parameter, "is not a JSON geometry object; see the Esri JSON geometry objects")
        }
        if object["curvePaths"] != nil || object["curveRings"] != nil {
            throw ReplicaExportError.invalidParameter(parameter,
                "has true curves (curvePaths / curveRings), which the filter cannot honour; send it densified as paths or rings")
        }
        let reference = (object["spatialReference"] as? [String: Any]).flatMap(CreateReplicaParameters.spatialReference)
        let geometry: Geometry
        switch type {
        case .envelope:
            let names = ["xmin", "ymin", "xmax", "ymax"]
            let values = names.map { ServiceJSON.double(object[$0]) }
            guard let bounds = values as? [Double] else {
                let missing = zip(names, values).first { $1 == nil }!.0
                throw ReplicaExportError.invalidParameter(parameter, "an envelope needs numeric xmin, ymin, xmax, ymax; \(missing) is missing or not a number")
            }
            geometry = try envelope(bounds, parameter: parameter)
        case .point:
            guard let x = ServiceJSON.double(object["x"]), let y = ServiceJSON.double(object["y"]), x.isFinite, y.isFinite else {
                throw ReplicaExportError.invalidParameter(parameter, "a point needs numeric x and y")
            }
            geometry = Geometry(.point(Vertex(x: x, y: y)))
        case .multipoint:
            let points = try vertices(object["points"], member: "points", parameter: parameter)
            guard !points.isEmpty else { throw ReplicaExportError.invalidParameter(parameter, "a multipoint needs at least one point in points") }
            geometry = Geometry(.multipoint(points))
        case .polyline:
            let paths = try parts(object["paths"], member: "paths", minimum: 2, parameter: parameter)
            geometry = Geometry(.polyline(paths))
        case .polygon:
            var rings = try parts(object["rings"], member: "rings", minimum: 3, parameter: parameter)
            for index in rings.indices where rings[index].vertices.first != rings[index].vertices.last {
                rings[index].vertices.append(rings[index].vertices[0])
            }
            geometry = Geometry(.polygon(rings))
        }
        return Parsed(geometry: geometry, spatialReference: reference)
    }

    private static func parseSimple(_ text: String, type: GeometryType, parameter: String) throws -> Geometry {
        let numbers = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        switch type {
        case .envelope:
            guard numbers.count == 4, let bounds = numbers as? [Double] else {
                throw ReplicaExportError.invalidParameter(parameter, "'\(text)' is not xmin,ymin,xmax,ymax nor a JSON envelope")
            }
            return try envelope(bounds, parameter: parameter)
        case .point:
            guard numbers.count == 2, let xy = numbers as? [Double], xy.allSatisfy(\.isFinite) else {
                throw ReplicaExportError.invalidParameter(parameter, "'\(text)' is not x,y nor a JSON point")
            }
            return Geometry(.point(Vertex(x: xy[0], y: xy[1])))
        default:
            throw ReplicaExportError.invalidParameter(parameter,
                "'\(text)': the simple syntax is for envelopes and points only; give a JSON \(type.rawValue) object")
        }
    }

    private static func envelope(_ b: [Double], parameter: String) throws -> Geometry {
        guard b.allSatisfy(\.isFinite), b[0] <= b[2], b[1] <= b[3] else {
            throw ReplicaExportError.invalidParameter(parameter, "the envelope \(b) needs finite bounds with xmin <= xmax and ymin <= ymax")
        }
        let ring = [Vertex(x: b[0], y: b[1]), Vertex(x: b[0], y: b[3]), Vertex(x: b[2], y: b[3]),
                    Vertex(x: b[2], y: b[1]), Vertex(x: b[0], y: b[1])]
        return Geometry(.polygon([Path(vertices: ring)]))
    }

    private static func vertices(_ raw: Any?, member: String, parameter: String) throws -> [Vertex] {
        guard let items = raw as? [Any] else {
            throw ReplicaExportError.invalidParameter(parameter, "\(member) is missing or not an array of [x, y] coordinates")
        }
        return try items.map { item in
            guard let coordinate = item as? [Any], coordinate.count >= 2,
                  let x = ServiceJSON.double(coordinate[0]), let y = ServiceJSON.double(coordinate[1]),
                  x.isFinite, y.isFinite else {
                throw ReplicaExportError.invalidParameter(parameter, "\(member) has an item that is not an [x, y] coordinate")
            }
            return Vertex(x: x, y: y)
        }
    }

    private static func parts(_ raw: Any?, member: String, minimum: Int, parameter: String) throws -> [Path] {
        guard let items = raw as? [Any], !items.isEmpty else {
            throw ReplicaExportError.invalidParameter(parameter, "\(member) is missing, empty or not an array")
        }
        return try items.map { part in
            let points = try vertices(part, member: member, parameter: parameter)
            guard points.count >= minimum else {
                throw ReplicaExportError.invalidParameter(parameter, "a part of \(member) has \(points.count) vertices; it needs at least \(minimum)")
            }
            return Path(vertices: points)
        }
    }
}
