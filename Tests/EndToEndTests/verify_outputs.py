#!/usr/bin/python3
"""Independent oracle for the end-to-end tests: reads a converted output back through GDAL's
Python bindings and compares it, feature by feature, with the raw Esri JSON input.

Usage: verify_outputs.py --input PAYLOAD.json [--schema LAYERS.json] --output-dir DIR --format F
Prints one JSON object: {"layers": {name: {"input": n, "output": n}}, "checked": n, "mismatches": [...]}.
Exit status 0 whenever it could run; the Swift test asserts on the printed result.
"""
import argparse, base64, glob, json, math, os, re, sys
from datetime import datetime, timezone
from osgeo import ogr, osr, gdal

gdal.UseExceptions()
ogr.UseExceptions()
# An Excel sheet's first row is its header (GDAL 3.6.2 guesses otherwise); LIBKML's own fields are
# renamed out of the way of fields named name, description, begin...
gdal.SetConfigOption("OGR_XLSX_HEADERS", "FORCE")
for own in ("NAME", "DESCRIPTION", "TIMESTAMP", "BEGIN", "END", "ALTITUDEMODE", "TESSELLATE", "EXTRUDE", "VISIBILITY",
            "DRAWORDER", "ICON"):
    gdal.SetConfigOption("LIBKML_%s_FIELD" % own, "kml:" + own.lower())

def load_layers(payload, schema_path):
    """[(layer_id, name, fields{name: type} or None, geometryType, sr, features)] from the input."""
    schemas = {}
    if schema_path and os.path.exists(schema_path):
        with open(schema_path) as f:
            doc = json.load(f)
        for res in (doc.get("layers", []) + doc.get("tables", [])) if "layers" in doc or "tables" in doc else [doc]:
            schemas[res.get("id", 0)] = res
    layers = []
    if "features" in payload and "layers" not in payload:  # a FeatureSet page
        res = schemas.get(0) or (next(iter(schemas.values())) if len(schemas) == 1 else {})
        fields = payload.get("fields") or res.get("fields")
        layers.append((0, res.get("name"), fields, payload.get("geometryType") or res.get("geometryType"),
                       payload.get("spatialReference"), payload["features"]))
    else:
        for layer in payload.get("layers", []):
            res = schemas.get(layer.get("id"), {})
            layers.append((layer.get("id"), res.get("name"), res.get("fields"), res.get("geometryType"),
                           (res.get("extent") or {}).get("spatialReference"), layer.get("features", [])))
    return layers

def esri_vertices(geom):
    """Every vertex of an Esri JSON geometry as (x, y, z|None, m|None), and whether it has curves."""
    if geom is None:
        return None, False
    has_z, has_m = bool(geom.get("hasZ")), bool(geom.get("hasM"))
    if "x" in geom:
        if geom["x"] is None or geom["x"] == "NaN":
            return None, False
        return [(geom["x"], geom["y"], geom.get("z"), geom.get("m"))], False
    if "curvePaths" in geom or "curveRings" in geom:
        return [], True
    parts = geom.get("points") and [geom["points"]] or geom.get("paths") or geom.get("rings") or []
    out = []
    for part in parts:
        for v in part:
            z = m = None
            if len(v) >= 4:
                z, m = v[2], v[3]
            elif len(v) == 3:
                if has_m and not has_z:
                    m = v[2]
                else:
                    z = v[2]
            out.append((v[0], v[1], z, m))
    return out, False

def ogr_vertices(geom):
    out = []
    def walk(g):
        n = g.GetGeometryCount()
        if n:
            for i in range(n):
                walk(g.GetGeometryRef(i))
            return
        for i in range(g.GetPointCount()):
            z = g.GetZ(i) if g.Is3D() else None
            m = g.GetM(i) if g.IsMeasured() else None
            out.append((g.GetX(i), g.GetY(i), z, m))
    if geom is not None and not geom.IsEmpty():
        walk(geom)
    return out

def to_ms_from_output(value):
    """Parses what the writers produce for dates back into UTC milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    m = re.match(r"^(-?\d{4})[-/](\d\d)[-/](\d\d)(?:[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?)?(Z|[+-]\d\d(?::?\d\d)?)?$", text)
    if not m:
        raise ValueError("not a date: %r" % text)
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), tzinfo=timezone.utc)
    ms = int(round(dt.timestamp() * 1000)) + (int((frac + "000")[:3]) if frac else 0)
    if tz and tz not in ("Z", "+00", "+0000", "+00:00"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
        ms -= sign * minutes * 60000
    return ms

def norm_guid(s):
    return None if s in (None, "") else str(s).strip("{}").lower()

def compare_value(ftype, expected, actual, fmt):
    """Returns None when equal (allowing for what the format documents it keeps), else a reason."""
    if expected is None:
        if actual in (None, "") :
            return None
        return "expected null, got %r" % (actual,)
    if fmt == "excel" and expected == "" and actual is None:
        return None  # GDAL reads an empty text cell as no value
    if fmt in ("kml", "excel") and isinstance(expected, str):
        # XML holds no control characters and reads CR as LF; GDAL's KML writer drops leading
        # spaces (each reported as textChanged).
        if fmt == "kml":
            expected = expected.lstrip(" ")
        expected = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", expected).replace("\r\n", "\n").replace("\r", "\n")
        if expected == "" and actual in (None, ""):
            return None
    if ftype == "esriFieldTypeDate":
        got = to_ms_from_output(actual)
        if got is None:
            return "date %r became null" % expected
        if fmt == "shapefile":  # a .dbf date keeps the day only
            want = (expected // 86400000) * 86400000
            return None if got == want else "date %r -> %r" % (expected, actual)
        if fmt == "filegdb":    # GDAL 3.6.2 keeps whole seconds (FORMATS.md)
            return None if abs(got - expected) <= 1000 else "date %r -> %r" % (expected, actual)
        return None if got == expected else "date %r -> %r" % (expected, actual)
    if ftype in ("esriFieldTypeGUID", "esriFieldTypeGlobalID"):
        return None if norm_guid(expected) == norm_guid(actual) else "guid %r -> %r" % (expected, actual)
    if isinstance(expected, bool):
        return None if str(actual).lower() in (str(expected).lower(), str(int(expected))) else "%r -> %r" % (expected, actual)
    if isinstance(expected, (int, float)):
        try:
            got = float(actual)
        except (TypeError, ValueError):
            return "number %r -> %r" % (expected, actual)
        if fmt == "shapefile" and ftype not in ("esriFieldTypeOID", "esriFieldTypeInteger", "esriFieldTypeSmallInteger", "esriFieldTypeBigInteger") \
                and isinstance(expected, float):
            # A .dbf stores reals as fixed-point text with 15 decimals.
            return None if abs(got - expected) <= 5e-16 + 1e-15 * abs(expected) else "real %r -> %r" % (expected, actual)
        if ftype == "esriFieldTypeSingle":
            return None if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-6) else "single %r -> %r" % (expected, actual)
        return None if got == float(expected) or math.isclose(got, expected, rel_tol=1e-15) else "number %r -> %r" % (expected, actual)
    # strings
    if fmt == "shapefile" and isinstance(expected, str) and expected.rstrip(" ") == (actual or ""):
        return None  # a .dbf pads text with spaces: trailing spaces, and empty vs null, are not kept
    return None if str(actual) == str(expected) else "string %r -> %r" % (expected, actual)

def layer_key(name):
    """Layer names as compared: drivers launder characters (FileGDB turns '-' into '_')."""
    return re.sub(r"[^0-9a-z]", "_", name.lower())

def open_outputs(outdir, fmt):
    """{layer name (lower case): [(ogr layer, dataset)]}."""
    found = {}
    keep = []
    if fmt == "filegdb":
        paths = glob.glob(os.path.join(outdir, "*.gdb"))
    elif fmt == "shapefile":
        paths = glob.glob(os.path.join(outdir, "*.shp")) + [p for p in glob.glob(os.path.join(outdir, "*.dbf"))
                                                          if not os.path.exists(p[:-4] + ".shp")]
    elif fmt == "geopackage":
        paths = glob.glob(os.path.join(outdir, "*.gpkg"))
    elif fmt == "kml":
        # GDAL's KML driver reads no ExtendedData: LIBKML reads the document inside the KMZ.
        paths = ["/vsizip/%s/doc.kml" % p for p in glob.glob(os.path.join(outdir, "*.kmz"))]
    elif fmt == "excel":
        paths = glob.glob(os.path.join(outdir, "*.xlsx"))
    elif fmt == "csv":
        paths = glob.glob(os.path.join(outdir, "*.csv"))
        paths = [p for p in paths if not p.endswith(".fieldnames.csv")]
    else:
        paths = glob.glob(os.path.join(outdir, "*.geojson"))
    for path in sorted(paths):
        opts = ["AUTODETECT_TYPE=NO"] if fmt == "csv" else []
        drivers = ["LIBKML"] if fmt == "kml" else []
        ds = gdal.OpenEx(path, gdal.OF_VECTOR, open_options=opts, allowed_drivers=drivers)
        keep.append(ds)
        for i in range(ds.GetLayerCount()):
            lyr = ds.GetLayer(i)
            found.setdefault(layer_key(lyr.GetName()), []).append(lyr)
    return found, keep

def shapefile_mapping(outdir, layer_name):
    """original -> short field names, from the mapping the shapefile writer leaves beside the files."""
    mapping = {}
    for path in glob.glob(os.path.join(outdir, layer_name + "*.fieldnames.csv")):
        with open(path, encoding="utf-8") as f:
            for line in f.read().splitlines()[1:]:
                if "," in line:
                    orig, short = line.rsplit(",", 1)
                    mapping[orig.strip('"')] = short.strip('"')
    return mapping

def srs_of(sr):
    if not sr:
        return None
    s = osr.SpatialReference()
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    code = sr.get("latestWkid") or sr.get("wkid")
    if code:
        try:
            s.SetFromUserInput("EPSG:%d" % code)
        except Exception:
            s.SetFromUserInput("ESRI:%d" % code)
    elif sr.get("wkt"):
        s.SetFromUserInput(sr["wkt"])
    else:
        return None
    return s

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--schema")
    ap.add_argument("--output-dir", required=True)
    ap.add_argument("--format", required=True)
    ap.add_argument("--layer-name", action="append", default=[], help="id=name for layers without a schema name")
    a = ap.parse_args()
    with open(a.input, encoding="utf-8") as f:
        payload = json.load(f)
    schema = a.schema
    if schema is None:
        beside = os.path.splitext(a.input)[0] + ".layers.json"
        schema = beside if os.path.exists(beside) else None
    names = dict(item.split("=", 1) for item in a.layer_name)
    outputs, keep = open_outputs(a.output_dir, a.format)
    report = {"layers": {}, "checked": 0, "mismatches": [], "srs": {}}
    def mismatch(text):
        if len(report["mismatches"]) < 40:
            report["mismatches"].append(text)
    for layer_id, name, fields, gtype, sr, features in load_layers(payload, schema):
        name = name or names.get(str(layer_id)) or "layer_%s" % layer_id
        field_types = {fd["name"]: fd["type"] for fd in (fields or [])}
        candidates = outputs.get(layer_key(name), [])
        if not candidates and a.format == "excel":  # a sheet name holds 31 characters
            candidates = outputs.get(layer_key(name[:31]), [])
        if not candidates:  # a shapefile per geometry type: <layer>_points, <layer>_polygons, ...
            candidates = [l for key, ls in outputs.items() if key.startswith(layer_key(name) + "_") for l in ls]
        out_features = []
        for lyr in candidates:
            lyr.ResetReading()
            out_features += [f for f in lyr]
        report["layers"][name] = {"input": len(features), "output": len(out_features)}
        if len(out_features) != len(features):
            mismatch("%s: %d features in, %d out" % (name, len(features), len(out_features)))
            continue
        if candidates:
            osrs = candidates[0].GetSpatialRef()
            if osrs is not None:
                report["srs"][name] = "%s:%s" % (osrs.GetAuthorityName(None), osrs.GetAuthorityCode(None))
        mapping = shapefile_mapping(a.output_dir, name) if a.format == "shapefile" else {}
        defn = candidates[0].GetLayerDefn() if candidates else None
        out_names = {defn.GetFieldDefn(i).GetName().lower(): defn.GetFieldDefn(i).GetName()
                     for i in range(defn.GetFieldCount())} if defn else {}
        # Shapefiles split by geometry type lose the input order across files: match by OBJECTID then.
        src_srs = srs_of(sr or next((ft.get("geometry", {}).get("spatialReference") for ft in features
                                     if ft.get("geometry") and ft["geometry"].get("spatialReference")), None))
        transform = None
        if a.format in ("geojson", "kml") and src_srs is not None:
            wgs = osr.SpatialReference(); wgs.ImportFromEPSG(4326)
            wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
            transform = osr.CoordinateTransformation(src_srs, wgs)
        oid_field = next((n for n, t in field_types.items() if t == "esriFieldTypeOID"), None) \
            or next((k for k in (features[0].get("attributes") or {}) if k.lower() in ("objectid", "fid")), None) if features else None
        seen, repeated_oids = set(), set()
        for ft in features:
            v = (ft.get("attributes") or {}).get(oid_field)
            if v in seen:
                repeated_oids.add(v)
            seen.add(v)
        if a.format in ("filegdb", "geopackage") and oid_field:
            # FileGDB reads back in ObjectID order; a feature whose ObjectID repeats an earlier one
            # is written last with a new ObjectID.
            firsts, repeats, taken = [], [], set()
            for ft in features:
                v = (ft.get("attributes") or {}).get(oid_field)
                (repeats if v in taken or not isinstance(v, int) or v < 1 else firsts).append(ft)
                taken.add(v)
            firsts.sort(key=lambda ft: ft["attributes"][oid_field])
            features = firsts + repeats
        for index, (inp, out) in enumerate(zip(features, out_features)):
            attrs = inp.get("attributes") or {}
            for key, value in attrs.items():
                target = mapping.get(key, key)
                actual_name = out_names.get(target.lower())
                fid_column = (candidates[0].GetFIDColumn() or "").lower() if candidates else ""
                if actual_name is None and fid_column == key.lower():
                    if a.format in ("filegdb", "geopackage") and value in repeated_oids and index >= len(features) - len(repeats):
                        report["checked"] += 1  # FileGDB ObjectIDs are unique: a repeated one gets a new id
                        continue
                    problem = compare_value("esriFieldTypeOID", value, out.GetFID(), a.format)
                    if problem:
                        mismatch("%s feature %d field %s (FID): %s" % (name, index, key, problem))
                    report["checked"] += 1
                    continue
                if actual_name is None:
                    if a.format == "filegdb" and out_names.get(target.lower() + "_"):
                        actual_name = out_names[target.lower() + "_"]  # OBJECTID beside the OID column
                    elif a.format in ("filegdb", "geopackage", "geojson") and field_types.get(key) == "esriFieldTypeOID":
                        # The ObjectID became the FileGDB FID or the GeoJSON feature id.
                        problem = compare_value("esriFieldTypeOID", value, out.GetFID(), a.format)
                        if problem:
                            mismatch("%s feature %d field %s (feature id): %s" % (name, index, key, problem))
                        report["checked"] += 1
                        continue
                    else:
                        mismatch("%s: field %s missing from the output" % (name, key))
                        continue
                i = out.GetFieldIndex(actual_name)
                if not out.IsFieldSet(i) or out.IsFieldNull(i):
                    actual = None
                elif out.GetFieldType(i) == ogr.OFTBinary:
                    actual = base64.b64encode(out.GetFieldAsBinary(i)).decode()
                elif out.GetFieldType(i) in (ogr.OFTDateTime, ogr.OFTDate):
                    actual = out.GetFieldAsString(i)
                elif out.GetFieldType(i) == ogr.OFTInteger64 or out.GetFieldType(i) == ogr.OFTInteger:
                    actual = out.GetFieldAsInteger64(i)
                elif out.GetFieldType(i) == ogr.OFTReal:
                    actual = out.GetFieldAsDouble(i)
                else:
                    actual = out.GetFieldAsString(i)
                ftype = field_types.get(key)
                if ftype is None and isinstance(value, str) and re.match(r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f-]{27}\}?$", value):
                    ftype = "esriFieldTypeGUID"
                problem = compare_value(ftype, value, actual, a.format)
                if problem:
                    mismatch("%s feature %d field %s: %s" % (name, index, key, problem))
                report["checked"] += 1
            # geometry
            want, curved = esri_vertices(inp.get("geometry"))
            if curved:
                continue
            geom = out.GetGeometryRef()
            if a.format in ("csv", "excel") and geom is None:
                wkt_index = out.GetFieldIndex("WKT")
                if wkt_index >= 0 and out.GetFieldAsString(wkt_index):
                    geom = ogr.CreateGeometryFromWkt(out.GetFieldAsString(wkt_index))
            if a.format == "excel" and geom is None:
                # A point layer's X, Y (and Z): the coordinate columns after the fields (X_1 when a field is X).
                axes = {}
                for axis in ("X", "Y", "Z"):
                    names_ = [n for n in out_names.values() if re.match("^%s(_[0-9]+)?$" % axis, n) and n not in attrs]
                    if names_ and out.IsFieldSetAndNotNull(out.GetFieldIndex(names_[-1])):
                        axes[axis] = out.GetFieldAsDouble(out.GetFieldIndex(names_[-1]))
                if "X" in axes and "Y" in axes:
                    geom = ogr.Geometry(ogr.wkbPoint25D if "Z" in axes else ogr.wkbPoint)
                    if "Z" in axes:
                        geom.AddPoint(axes["X"], axes["Y"], axes["Z"])
                    else:
                        geom.AddPoint_2D(axes["X"], axes["Y"])
            got = ogr_vertices(geom)
            if want is None:
                if got:
                    mismatch("%s feature %d: null geometry became %d vertices" % (name, index, len(got)))
                continue
            if transform is not None:
                want = [tuple(transform.TransformPoint(x, y)[:2]) + (z, None) for x, y, z, m in want]
            tolerance = 1e-7 if a.format in ("geojson", "kml") else 1e-6
            if src_srs is not None and src_srs.IsGeographic() and a.format not in ("geojson", "kml"):
                tolerance = 1e-8
            # Sorted with Z and M too: a ring's closing vertex may repeat XY with another Z or M, and a
            # reoriented ring starts at the other one.
            key = lambda v: (round(v[0], 4), round(v[1], 4), v[2] if v[2] is not None else 0,
                             v[3] if v[3] is not None and v[3] == v[3] else 0)
            ws, gs = sorted(want, key=key), sorted(got, key=key)
            if len(ws) != len(gs):
                mismatch("%s feature %d: %d vertices in, %d out" % (name, index, len(ws), len(gs)))
                continue
            for w, g in zip(ws, gs):
                scale = max(1.0, abs(w[0]), abs(w[1]))
                if abs(w[0] - g[0]) > tolerance * scale or abs(w[1] - g[1]) > tolerance * scale:
                    mismatch("%s feature %d: vertex %r -> %r" % (name, index, w[:2], g[:2]))
                    break
                if w[2] is not None:
                    if g[2] is None or abs(w[2] - g[2]) > 1e-6 * max(1.0, abs(w[2])):
                        mismatch("%s feature %d: z %r -> %r" % (name, index, w[2], g[2]))
                        break
                if w[3] is not None and a.format in ("filegdb", "geopackage", "shapefile", "csv"):
                    if g[3] is None or abs(w[3] - g[3]) > 1e-6 * max(1.0, abs(w[3])):
                        mismatch("%s feature %d: m %r -> %r" % (name, index, w[3], g[3]))
                        break
                report["checked"] += 1
    print(json.dumps(report))

if __name__ == "__main__":
    main()
