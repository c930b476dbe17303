#!/usr/bin/python3
"""Independent oracle for mobile geodatabase conversions: compares converted outputs, read back
through GDAL, with SQL run directly on the .geodatabase (opened read-only, immutable).

Usage: verify_geodatabase.py --input FILE.geodatabase --output-dir DIR --format F
Prints JSON: {"sql_counts": [..], "output_counts": [..], "extents": [...mismatches], "domains": {...}}
"""
import argparse, glob, html, json, os, re, sqlite3, zipfile
from osgeo import gdal, ogr
gdal.UseExceptions()

FEATURE_CLASS = "{70737809-852C-4A03-9E22-2CECEA5B9BFA}"
TABLE = "{CD06BC3B-789D-4C51-AAFA-A467912B8965}"
UNSET = 1e30

def sql_layers(path):
    """{table name: (current row count, (minx, miny, maxx, maxy) or None, srid)} for the user's tables."""
    db = sqlite3.connect("file:%s?mode=ro&immutable=1" % path, uri=True)
    db.create_collation("ICUFOLDCASE", lambda a, b: (a.lower() > b.lower()) - (a.lower() < b.lower()))
    out = {}
    for name, type_uuid in db.execute("select Name, Type from GDB_Items"):
        if type_uuid.upper() not in (FEATURE_CLASS, TABLE) or not name:
            continue
        table = name.split(".")[-1]
        if table.endswith("__ATTACH") or table == "consolidationMapping_GDB":
            continue
        columns = [row[1].lower() for row in db.execute('pragma table_info("%s")' % table)]
        if not columns:
            continue
        where = ""
        if "gdb_to_date" in columns:
            where = (" where gdb_to_date between julianday('9999-12-31 23:59:59') - 0.000000001"
                     " and julianday('9999-12-31 23:59:59') + 0.000000001")
        count = db.execute('select count(*) from "%s"%s' % (table, where)).fetchone()[0]
        extent = None
        row = db.execute("select minx, miny, maxx, maxy, srid from GDB_Layers where lower(table_name) = lower(?)",
                         (table,)).fetchone()
        srid = None
        if row:
            srid = row[4]
            if all(abs(v) < UNSET for v in row[:4]) and row[0] <= row[2]:
                extent = tuple(row[:4])
        out[table] = (count, extent, srid)
    return out

class EmptySheet:
    """A sheet without rows, which GDAL does not read as a layer."""
    def GetFeatureCount(self): return 0
    def GetGeomType(self): return ogr.wkbNone
    def GetName(self): return ""
    def GetLayerDefn(self): return ogr.FeatureDefn()

def outputs(outdir, fmt):
    pattern = {"filegdb": "*.gdb", "shapefile": "*.shp", "csv": "*.csv", "geojson": "*.geojson", "geopackage": "*.gpkg",
               "kml": "*.kmz", "excel": "*.xlsx"}[fmt]
    paths = [p for p in glob.glob(os.path.join(outdir, pattern)) if not p.endswith(".fieldnames.csv")]
    if fmt == "kml":  # GDAL's KML driver reads no ExtendedData: LIBKML reads the document inside the KMZ
        return [(ds, ds.GetLayer(i)) for ds in (gdal.OpenEx("/vsizip/%s/doc.kml" % p, gdal.OF_VECTOR, allowed_drivers=["LIBKML"])
                                                for p in sorted(paths)) for i in range(ds.GetLayerCount())]
    if fmt == "excel":  # every sheet the workbook lists; GDAL skips a sheet without rows
        gdal.SetConfigOption("OGR_XLSX_HEADERS", "FORCE")
        layers = []
        for path in sorted(paths):
            ds = gdal.OpenEx(path, gdal.OF_VECTOR)
            with zipfile.ZipFile(path) as z:
                sheets = re.findall(r'<sheet name="([^"]*)"', z.read("xl/workbook.xml").decode("utf-8"))
            for sheet in sheets:
                layer = ds.GetLayerByName(html.unescape(sheet))
                layers.append((ds, layer if layer is not None else EmptySheet()))
        return layers
    if fmt == "shapefile":  # tables are lone .dbf files
        paths += [p for p in glob.glob(os.path.join(outdir, "*.dbf")) if not os.path.exists(p[:-4] + ".shp")]
    layers = []
    for path in sorted(paths):
        ds = gdal.OpenEx(path, gdal.OF_VECTOR)
        for i in range(ds.GetLayerCount()):
            lyr = ds.GetLayer(i)
            layers.append((ds, lyr))
    return layers

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--output-dir", required=True)
    ap.add_argument("--format", required=True)
    a = ap.parse_args()
    sql = sql_layers(a.input)
    layers = outputs(a.output_dir, a.format)
    report = {"sql_counts": sorted(c for c, _, _ in sql.values()),
              "output_counts": sorted(lyr.GetFeatureCount() for _, lyr in layers),
              "extent_mismatches": [], "extents_checked": 0, "domains": {}}
    if a.format in ("filegdb", "geopackage"):
        # Extents: each output feature class's extent against GDB_Layers (same CRS in both).
        sql_extents = sorted(e for _, e, _ in sql.values() if e)
        out_extents = []
        for ds, lyr in layers:
            if lyr.GetGeomType() == ogr.wkbNone or lyr.GetFeatureCount() == 0:
                continue
            minx, maxx, miny, maxy = lyr.GetExtent(force=1)
            out_extents.append((minx, miny, maxx, maxy))
        for want in sql_extents:
            scale = max(1.0, max(abs(v) for v in want))
            if not any(all(abs(w - g) <= 1e-6 * scale for w, g in zip(want, got)) for got in out_extents):
                report["extent_mismatches"].append({"want": want, "outputs": out_extents})
            report["extents_checked"] += 1
        ds = layers[0][0] if layers else None
        names = ds.GetFieldDomainNames() or [] if ds else []
        report["domains"]["count"] = len(names)
        per_layer = {}
        dangling = []
        for _, lyr in layers:
            defn = lyr.GetLayerDefn()
            with_domain = 0
            for i in range(defn.GetFieldCount()):
                domain = defn.GetFieldDefn(i).GetDomainName()
                if domain:
                    with_domain += 1
                    if ds.GetFieldDomain(domain) is None:
                        dangling.append(domain)
            per_layer[lyr.GetName()] = with_domain
        report["domains"]["fields_with_domain"] = per_layer
        report["domains"]["dangling"] = dangling
        kinds = {}
        for name in names:
            d = ds.GetFieldDomain(name)
            kinds[{ogr.OFDT_CODED: "coded", ogr.OFDT_RANGE: "range"}.get(d.GetDomainType(), "other")] = \
                kinds.get({ogr.OFDT_CODED: "coded", ogr.OFDT_RANGE: "range"}.get(d.GetDomainType(), "other"), 0) + 1
        report["domains"]["kinds"] = kinds
    print(json.dumps(report))

if __name__ == "__main__":
    main()
