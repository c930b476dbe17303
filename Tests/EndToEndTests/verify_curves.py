#!/usr/bin/python3
"""Independent oracle for CurveConversionTests: reads converted outputs back through GDAL's Python
bindings and measures what the curves became.

Usage:
  verify_curves.py shapes --shapes curves.shapes.json --dir DIR --format F
  verify_curves.py sample --input FEATURESET.json --dir DIR --format F

DIR is the format's output directory; it is searched recursively (`**`), so both the flat layout and
the per-format subdirectories (DIR/filegdb/x.gdb, ...) work. Prints one JSON object; exit status 0
whenever it could run. The Swift test asserts on the numbers.

All measurements are made in the SOURCE coordinate system (metres): GeoJSON output, which is WGS84
(RFC 7946), is transformed back to the source CRS with osr before any area, length or distance is
computed, so that the same analytic values (in m^2 and m) apply to every format. GeoJSON stores
7 decimals of a degree (~1 cm), so its coordinates are only that good.
"""
import argparse, csv, glob, json, math, os, sys
from osgeo import ogr, osr, gdal

gdal.UseExceptions()
ogr.UseExceptions()
# An Excel sheet's first row is its header; LIBKML's own "name" field out of the way of the shapes'.
gdal.SetConfigOption("OGR_XLSX_HEADERS", "FORCE")
gdal.SetConfigOption("LIBKML_NAME_FIELD", "kml:name")

PATTERNS = {"filegdb": "**/*.gdb", "shapefile": "**/*.shp", "csv": "**/*.csv", "geojson": "**/*.geojson", "geopackage": "**/*.gpkg",
            "kml": "**/*.kmz", "excel": "**/*.xlsx"}


def srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def datasets(directory, fmt):
    paths = sorted(glob.glob(os.path.join(directory, PATTERNS[fmt]), recursive=True))
    if not paths:
        raise SystemExit("no %s output under %s: %s" % (fmt, directory, os.listdir(directory)))
    return paths


def raw_csv_wkt(path):
    """The WKT column text of each row of a CSV, as written (before any GDAL parsing)."""
    with open(path, newline="") as f:
        return [row.get("WKT") for row in csv.DictReader(f)]


def read_features(directory, fmt, source_epsg):
    """[(name attribute or FID, layer name, geometry in the source CRS or None, raw WKT or None)]."""
    out = []
    back = None
    if fmt in ("geojson", "kml"):
        back = osr.CoordinateTransformation(srs(4326), srs(source_epsg))
    for path in datasets(directory, fmt):
        raw = raw_csv_wkt(path) if fmt == "csv" else None
        if fmt == "kml":  # LIBKML reads the KMZ's document with its ExtendedData
            ds = gdal.OpenEx("/vsizip/%s/doc.kml" % path, gdal.OF_VECTOR, allowed_drivers=["LIBKML"])
        else:
            ds = ogr.Open(path)
        for layer in (ds.GetLayer(k) for k in range(ds.GetLayerCount())):
            defn = layer.GetLayerDefn()
            has_name = defn.GetFieldIndex("name") >= 0
            for i, f in enumerate(layer):
                g = f.GetGeometryRef()
                g = g.Clone() if g is not None else None
                if fmt == "excel":  # a workbook keeps the geometry as WKT
                    wkt = f.GetFieldAsString("WKT") if defn.GetFieldIndex("WKT") >= 0 else ""
                    g = ogr.CreateGeometryFromWkt(wkt) if wkt else None
                if g is not None and back is not None:
                    g.Transform(back)
                name = f.GetField("name") if has_name else str(f.GetFID())
                out.append((name, layer.GetName(), g, raw[i] if raw else None))
    return out


def linear_parts(g):
    """The linear parts (rings or lines) of a linear geometry, as lists of (x, y, z|None, m|None)."""
    parts = []

    def walk(h):
        if h.GetGeometryCount():
            for i in range(h.GetGeometryCount()):
                walk(h.GetGeometryRef(i))
            return
        pts = []
        for i in range(h.GetPointCount()):
            pts.append((h.GetX(i), h.GetY(i), h.GetZ(i) if h.Is3D() else None, h.GetM(i) if h.IsMeasured() else None))
        parts.append(pts)
    walk(g)
    return parts


def part_ends(g):
    """[(first vertex, last vertex)] of each part (ring or line), read from the geometry itself:
    GDAL's linearisation sets M to 0 on arcs, so a curve's ends are taken from its own points."""
    def point(h, i):
        return (h.GetX(i), h.GetY(i), h.GetZ(i) if h.Is3D() else None, h.GetM(i) if h.IsMeasured() else None)
    name = g.GetGeometryName()
    if name == "COMPOUNDCURVE":
        a, b = g.GetGeometryRef(0), g.GetGeometryRef(g.GetGeometryCount() - 1)
        return [(point(a, 0), point(b, b.GetPointCount() - 1))]
    if g.GetGeometryCount() == 0:
        return [(point(g, 0), point(g, g.GetPointCount() - 1))] if g.GetPointCount() else []
    return [e for i in range(g.GetGeometryCount()) for e in part_ends(g.GetGeometryRef(i))]


def describe(g, raw_wkt):
    d = {"null": g is None}
    if g is None:
        return d
    gt = g.GetGeometryType()
    d.update({
        "empty": g.IsEmpty(),
        "type": g.GetGeometryName(),
        "nonlinear": bool(ogr.GT_IsNonLinear(gt)) or bool(g.HasCurveGeometry()),
        "has_z": bool(g.Is3D()),
        "has_m": bool(g.IsMeasured()),
        "dimension": g.GetDimension(),
    })
    if raw_wkt is not None:
        d["wkt_keyword"] = raw_wkt.split("(")[0].strip()
        d["wkt_has_curve_keyword"] = any(k in raw_wkt for k in ("CIRCULARSTRING", "COMPOUNDCURVE", "CURVEPOLYGON"))
    # On curve geometries GDAL computes area and length exactly for circular arcs.
    if g.GetDimension() == 2:
        d["area"] = g.GetArea()
        if d["nonlinear"]:
            d["exact_curve_area"] = exact_curve_area(g)
    else:
        d["length"] = g.Length()
    linear = g.GetLinearGeometry(0, ["ADD_INTERMEDIATE_POINT=NO"]) if d["nonlinear"] else g
    parts = linear_parts(g if not d["nonlinear"] else linear)
    d["vertex_count"] = sum(len(p) for p in parts)
    d["part_count"] = len(parts)
    d["parts_first_last"] = [list(e) for e in part_ends(g)]
    return d, parts


# --- analytic and numeric truth ------------------------------------------------------------------

def bezier_point(b, t):
    p0, p1, p2, p3 = b["p0"], b["p1"], b["p2"], b["p3"]
    s = 1 - t
    return tuple(s ** 3 * p0[k] + 3 * s * s * t * p1[k] + 3 * s * t * t * p2[k] + t ** 3 * p3[k] for k in (0, 1))


def ellipse_point(e, t):
    """Point at fraction t of the arc (parameter from from_angle to to_angle)."""
    a = e["from_angle"] + (e["to_angle"] - e["from_angle"]) * t
    c, r = math.cos(e["rotation"]), math.sin(e["rotation"])
    x, y = e["semi_major"] * math.cos(a), e["semi_minor"] * math.sin(a)
    return (e["center"][0] + x * c - y * r, e["center"][1] + x * r + y * c)


def sampled(point, n=200000):
    return [point(i / n) for i in range(n + 1)]


def polyline_length(pts):
    return sum(math.dist(pts[i], pts[i + 1]) for i in range(len(pts) - 1))


def shoelace(pts):
    """Unsigned area of a closed ring, computed relative to its first vertex (large UTM coordinates
    would otherwise cancel away digits)."""
    return abs(signed_area(pts))


def signed_area(pts):
    x0, y0 = pts[0][0], pts[0][1]
    return sum((pts[i][0] - x0) * (pts[i + 1][1] - y0) - (pts[i + 1][0] - x0) * (pts[i][1] - y0)
               for i in range(len(pts) - 1)) / 2


def circle_through(a, m, b):
    ax, ay, mx, my, bx, by = a[0], a[1], m[0], m[1], b[0], b[1]
    # relative to a, for precision
    mx, my, bx, by = mx - ax, my - ay, bx - ax, by - ay
    d = 2 * (mx * by - my * bx)
    ux = (by * (mx * mx + my * my) - my * (bx * bx + by * by)) / d
    uy = (mx * (bx * bx + by * by) - bx * (mx * mx + my * my)) / d
    return ux + ax, uy + ay, math.hypot(ux, uy)


def arc_sweep(a, m, b, cx, cy):
    """Signed sweep (counter-clockwise positive) of the arc from a through m to b."""
    t0, tm, t1 = (math.atan2(p[1] - cy, p[0] - cx) for p in (a, m, b))
    ccw = lambda t: (t - t0) % (2 * math.pi)
    return ccw(t1) if ccw(tm) < ccw(t1) else -((t0 - t1) % (2 * math.pi))


def exact_ring_area(ring, origin):
    """Signed area of a curve ring (LineString, CircularString or CompoundCurve) computed exactly:
    the polygon of its vertices (arc ends) plus, for each circular arc, its circular segment
    r^2/2 (phi - sin phi) with phi the signed sweep. Independent of GDAL's get_Area, which for a
    counter-clockwise CompoundCurve linearises the arcs at 4 degrees instead (GDAL 3.6.2)."""
    name = ring.GetGeometryName()
    if name == "COMPOUNDCURVE":
        return sum(exact_ring_area(ring.GetGeometryRef(i), origin) for i in range(ring.GetGeometryCount()))
    pts = [(ring.GetX(i) - origin[0], ring.GetY(i) - origin[1]) for i in range(ring.GetPointCount())]
    if name != "CIRCULARSTRING":
        return sum(pts[i][0] * pts[i + 1][1] - pts[i + 1][0] * pts[i][1] for i in range(len(pts) - 1)) / 2
    area = 0.0
    for i in range(0, len(pts) - 2, 2):
        a, m, b = pts[i], pts[i + 1], pts[i + 2]
        area += (a[0] * b[1] - b[0] * a[1]) / 2
        cx, cy, r = circle_through(a, m, b)
        phi = arc_sweep(a, m, b, cx, cy)
        area += r * r / 2 * (phi - math.sin(phi))
    return area


def exact_curve_area(g):
    """Area of a (multi)surface whose rings may hold circular arcs, exactly."""
    name = g.GetGeometryName()
    if name in ("MULTISURFACE", "MULTIPOLYGON"):
        return sum(exact_curve_area(g.GetGeometryRef(i)) for i in range(g.GetGeometryCount()))
    env = g.GetEnvelope()
    origin = (env[0], env[2])
    rings = [abs(exact_ring_area(g.GetGeometryRef(i), origin)) for i in range(g.GetGeometryCount())]
    return rings[0] - sum(rings[1:]) if rings else 0.0


def truth(shape):
    """(expected area or None, expected length or None, numeric check of the analytic area or None)."""
    kind = shape["kind"]
    area, length, numeric_area = shape.get("area"), shape.get("length"), None
    if kind in ("half_ellipse",):
        pts = sampled(lambda t: ellipse_point(shape["ellipse"], t))
        if shape["layer"] == "polygons":
            numeric_area = shoelace(pts + [pts[0]])
        else:
            length = polyline_length(pts)
    if kind in ("bezier_hump", "bezier"):
        pts = sampled(lambda t: bezier_point(shape["bezier"], t))
        if shape["layer"] == "polygons":
            numeric_area = shoelace(pts + [pts[0]])
        else:
            length = polyline_length(pts)
    return area, length, numeric_area


def chord_sagittas(parts, circle):
    """For every chord whose two ends lie on the circle: r - |centre - chord midpoint| (how far the
    true circle bulges beyond the chord). Returns (max sagitta, chords counted, max |radial error|)."""
    (cx, cy), r = circle["center"], circle["radius"]
    worst, count, radial = 0.0, 0, 0.0
    for pts in parts:
        on = [abs(math.hypot(p[0] - cx, p[1] - cy) - r) < 1e-3 for p in pts]
        for i in range(len(pts) - 1):
            if on[i] and on[i + 1] and (pts[i][0], pts[i][1]) != (pts[i + 1][0], pts[i + 1][1]):
                mx, my = (pts[i][0] + pts[i + 1][0]) / 2, (pts[i][1] + pts[i + 1][1]) / 2
                worst = max(worst, r - math.hypot(mx - cx, my - cy))
                count += 1
        for p, o in zip(pts, on):
            if o:
                radial = max(radial, abs(math.hypot(p[0] - cx, p[1] - cy) - r))
    return worst, count, radial


def zm_check(parts, shape):
    """Z and M of a densified path: the input's segment end vertices exact, interior ones between."""
    ends = shape["ends"]
    pts = [p for part in parts for p in part]
    index = []
    for e in ends:
        best = min(range(len(pts)), key=lambda i: math.hypot(pts[i][0] - e[0], pts[i][1] - e[1]))
        index.append(best)
    result = {"end_indices": index, "end_xy_error": [], "end_z_error": [], "end_m_error": [], "segments": []}
    for e, i in zip(ends, index):
        p = pts[i]
        result["end_xy_error"].append(math.hypot(p[0] - e[0], p[1] - e[1]))
        result["end_z_error"].append(None if p[2] is None else abs(p[2] - e[2]))
        result["end_m_error"].append(None if p[3] is None else abs(p[3] - e[3]))
    for k in range(len(ends) - 1):
        i0, i1 = index[k], index[k + 1]
        interior = pts[i0 + 1:i1]
        zlo, zhi = sorted((ends[k][2], ends[k + 1][2]))
        mlo, mhi = sorted((ends[k][3], ends[k + 1][3]))
        eps = 1e-9
        result["segments"].append({
            "kind": shape["segments"][k], "interior": len(interior),
            "z_between": all(p[2] is not None and zlo - eps <= p[2] <= zhi + eps for p in interior),
            "m_between": all(p[3] is not None and mlo - eps <= p[3] <= mhi + eps for p in interior),
            # monotone in arc length, as linear interpolation along the curve gives
            "z_monotone": all((interior + [pts[i1]])[j][2] * (1 if ends[k + 1][2] >= ends[k][2] else -1)
                              >= ([pts[i0]] + interior)[j][2] * (1 if ends[k + 1][2] >= ends[k][2] else -1) - eps
                              for j in range(len(interior) + 1)) if all(p[2] is not None for p in interior) else False,
        })
    return result


def run_shapes(args):
    with open(args.shapes) as f:
        doc = json.load(f)
    shapes = {s["name"]: s for s in doc["shapes"]}
    out = {"format": args.format, "features": {}}
    for name, layer, g, raw in read_features(args.dir, args.format, doc["wkid"]):
        shape = shapes.get(name)
        if shape is None:
            continue
        d, parts = describe(g, raw) if g is not None else ({"null": True}, [])
        d["layer"] = layer
        if g is not None:
            area, length, numeric_area = truth(shape)
            if area is not None:
                d["expected_area"] = area
                d["area_rel_error"] = abs(d["area"] - area) / area
                if "exact_curve_area" in d:
                    d["exact_curve_area_rel_error"] = abs(d["exact_curve_area"] - area) / area
            if numeric_area is not None:
                d["numeric_area"] = numeric_area
            if length is not None:
                d["expected_length"] = length
                d["length_rel_error"] = abs(d["length"] - length) / length
            if "circle" in shape and not d["nonlinear"]:
                worst, count, radial = chord_sagittas(parts, shape["circle"])
                d["max_sagitta"], d["arc_chords"], d["max_radial_error"] = worst, count, radial
            if shape["kind"] == "zm_path" and not d["nonlinear"]:
                d["zm"] = zm_check(parts, shape)
        out["features"][name] = d
    return out


# --- the documented Esri samples -------------------------------------------------------------------

def esri_curve_parts(geom, has_z, has_m):
    """Each curve part of an Esri JSON geometry: (first vertex, last vertex, fine sampling of its XY)."""
    def vertex(v):
        z = m = None
        rest = list(v[2:])
        if has_z and rest:
            z = rest.pop(0)
        if has_m and rest:
            m = rest.pop(0)
        return (v[0], v[1], z, m)
    parts = []
    for part in geom.get("curveRings") or geom.get("curvePaths") or []:
        first = vertex(part[0])
        pts = [first[:2]]
        last = first
        for item in part[1:]:
            if isinstance(item, list):
                last = vertex(item)
                pts.append(last[:2])
                continue
            key = next(iter(item))
            end = vertex(item[key][0])
            start = pts[-1]
            if key == "b":
                b = {"p0": start, "p1": item[key][1], "p2": item[key][2], "p3": end[:2]}
                pts += sampled(lambda t: bezier_point(b, t), 20000)[1:]
            elif key == "c":
                pts += arc_through(start, item[key][1], end[:2], 20000)[1:]
            else:
                pts.append(end[:2])  # elliptic arcs: only their ends are compared
            last = end
        parts.append((first, last, pts))
    return parts


def arc_through(a, m, b, n):
    """n+1 points on the circular arc from a through m to b."""
    ux, uy, r = circle_through(a, m, b)
    t0 = math.atan2(a[1] - uy, a[0] - ux)
    sweep = arc_sweep(a, m, b, ux, uy)
    return [(ux + r * math.cos(t0 + sweep * i / n), uy + r * math.sin(t0 + sweep * i / n)) for i in range(n + 1)]


def run_sample(args):
    with open(args.input) as f:
        doc = json.load(f)
    epsg = doc["spatialReference"].get("latestWkid") or doc["spatialReference"]["wkid"]
    geom = doc["features"][0]["geometry"]
    has_z, has_m = bool(geom.get("hasZ", doc.get("hasZ"))), bool(geom.get("hasM", doc.get("hasM")))
    curve_parts = esri_curve_parts(geom, has_z, has_m)
    out = {"format": args.format, "input": {
        "curve_parts": [[list(a), list(b)] for a, b, _ in curve_parts]}}
    polygon = "curveRings" in geom
    if polygon:
        out["input"]["curve_area"] = sum(shoelace(pts + [pts[0]]) for _, _, pts in curve_parts)
        linear = geom.get("rings") or []
        out["input"]["rings_member"] = {"parts": len(linear), "vertices": sum(len(r) for r in linear),
                                        "area": sum(shoelace([tuple(v[:2]) for v in r]) for r in linear)}
    features = read_features(args.dir, args.format, epsg)
    out["features"] = []
    for name, layer, g, raw in features:
        if g is None:
            out["features"].append({"null": True})
            continue
        d, parts = describe(g, raw)
        # Ends of each output part matched against the input's curve parts: as a SET {first, last},
        # since writers may re-orient rings (Esri exteriors are clockwise, OGC's counter-clockwise).
        # shapefile and CSV hold the doubles; FileGDB snaps to its precision grid; GeoJSON keeps 7
        # decimals of a degree (half a unit is ~6 mm on each axis at these latitudes)
        tol = 1e-6 if args.format in ("shapefile", "csv") else (1e-2 if args.format == "geojson" else 1e-3)
        matches = []
        for first, last in d["parts_first_last"]:
            candidates = []
            for k, (a, b, _) in enumerate(curve_parts):
                for p, q in ((a, b), (b, a)):
                    e = max(math.hypot(first[0] - p[0], first[1] - p[1]), math.hypot(last[0] - q[0], last[1] - q[1]))
                    m_ok = None
                    if first[3] is not None and p[3] is not None:
                        m_ok = abs(first[3] - p[3]) < 1e-6 and abs(last[3] - q[3]) < 1e-6
                    if e <= tol:
                        candidates.append({"input_part": k, "xy_error": e, "m_equal": m_ok,
                                           "output_has_m": first[3] is not None})
            # prefer the orientation whose M matches too, then the closest
            candidates.sort(key=lambda c: (not c["m_equal"], c["xy_error"]))
            matches.append(candidates[0] if candidates else None)
        d["end_matches"] = matches
        d["tolerance"] = tol
        if polygon:
            d["area_rel_error_vs_curves"] = abs(d["area"] - out["input"]["curve_area"]) / out["input"]["curve_area"]
            rings_area = out["input"]["rings_member"]["area"]
            d["area_rel_error_vs_rings_member"] = abs(d["area"] - rings_area) / rings_area
        out["features"].append(d)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["shapes", "sample"])
    p.add_argument("--shapes")
    p.add_argument("--input")
    p.add_argument("--dir", required=True)
    p.add_argument("--format", required=True, choices=sorted(PATTERNS))
    args = p.parse_args()
    result = run_shapes(args) if args.mode == "shapes" else run_sample(args)
    json.dump(result, sys.stdout, default=lambda o: None)


if __name__ == "__main__":
    main()
