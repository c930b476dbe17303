#!/usr/bin/python3
"""Generates the analytic curve replica used by Tests/EndToEndTests/CurveConversionTests.swift.

Run from anywhere: /usr/bin/python3 TestData/curves/make_curves.py  (stdlib only, deterministic).

Writes beside this script:
- curves.replica.json         a createReplica (dataFormat=json) payload, syncModel none, three layers
- curves.replica.layers.json  the layer resources (found by the reader's <stem>.layers.json rule),
                              spatial reference NAD83 / UTM zone 12N (EPSG:26912, metres)
- curves.shapes.json          the shape parameters and the analytic areas and lengths, read by
                              Tests/EndToEndTests/verify_curves.py (the oracle computes the Bezier and
                              elliptic arc lengths itself by fine sampling)

Shapes are ~100 m across so that the default densification tolerance (0.02 m) gives many vertices.
All coordinates that can be are integers (on any FileGDB precision grid), so that true circular arcs
read back from a FileGDB have exactly the intended centre and radius.
"""
import json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))
WKID = 26912
X0, Y0 = 500000, 4400000  # near the zone's central meridian

shapes = []      # parameters + analytic values, for the oracle
polygons = []    # Esri JSON features of layer 0
lines = []       # layer 1
zm_lines = []    # layer 2


def feature(oid, name, geometry):
    return {"attributes": {"OBJECTID": oid, "name": name}, "geometry": geometry}


# --- layer 0: polygons (Esri exterior rings are clockwise) -----------------------------------------

# A 100 m square whose top edge is a half circle bulging outwards ("c": [end, interior]).
s = 100
x, y = X0, Y0
polygons.append(feature(1, "square_arc", {"curveRings": [[
    [x, y], [x, y + s],
    {"c": [[x + s, y + s], [x + s // 2, y + s + s // 2]]},
    [x + s, y], [x, y]]]}))
shapes.append({"name": "square_arc", "layer": "polygons", "kind": "square_arc", "side": s,
               "circle": {"center": [x + s / 2, y + s], "radius": s / 2},
               "area": s * s + math.pi * (s / 2) ** 2 / 2,
               "circular": True, "densified_always": False})

# A full circle in ArcGIS's 4-item form: {"a": [end = start, center, minor 0, clockwise 1]}.
cx, cy, r = X0 + 400, Y0 + 50, 50
polygons.append(feature(2, "circle", {"curveRings": [[
    [cx + r, cy], {"a": [[cx + r, cy], [cx, cy], 0, 1]}]]}))
shapes.append({"name": "circle", "layer": "polygons", "kind": "circle",
               "circle": {"center": [cx, cy], "radius": r},
               "area": math.pi * r * r, "circular": True, "densified_always": False})

# A half ellipse (7-item "a", ratio < 1, major axis rotated by 30 degrees), closed by its major-axis
# diameter. Clockwise from angle pi to 0 in the ellipse's frame passes over the +minor side.
ex, ey, ea, ratio, rot = X0 + 700, Y0 + 50, 60, 0.5, math.pi / 6
eb = ea * ratio
u = (math.cos(rot), math.sin(rot))
p_start = [ex - ea * u[0], ey - ea * u[1]]
p_end = [ex + ea * u[0], ey + ea * u[1]]
ellipse_arc = {"a": [p_end, [ex, ey], 0, 1, rot, ea, ratio]}
polygons.append(feature(3, "half_ellipse", {"curveRings": [[p_start, ellipse_arc, p_start]]}))
ellipse_params = {"center": [ex, ey], "semi_major": ea, "semi_minor": eb, "rotation": rot,
                  # the arc runs from parameter pi down to 0 (clockwise), through the +minor side
                  "from_angle": math.pi, "to_angle": 0.0}
shapes.append({"name": "half_ellipse", "layer": "polygons", "kind": "half_ellipse",
               "ellipse": ellipse_params, "area": math.pi * ea * eb / 2,
               "circular": False, "densified_always": True})

# A symmetric Bezier hump of width w and height h: both control points at (middle, 4h/3), so that
# y(t) = 4h t(1-t) and x(t) = x0 + w (3/2 t(1-t) + t^3); the area under it is 3 w h / 5.
bx, by, w, h = X0 + 1000, Y0, 120, 60
cp = [bx + w // 2, by + 4 * h / 3]
bezier = {"b": [[bx + w, by], cp, cp]}
polygons.append(feature(4, "bezier_hump", {"curveRings": [[[bx, by], bezier, [bx, by]]]}))
bezier_params = {"p0": [bx, by], "p1": cp, "p2": cp, "p3": [bx + w, by]}
shapes.append({"name": "bezier_hump", "layer": "polygons", "kind": "bezier_hump", "width": w, "height": h,
               "bezier": bezier_params, "area": 3 * w * h / 5,
               "circular": False, "densified_always": True})

# --- layer 1: the same curves as polylines, for lengths ---------------------------------------------

hx, hy, hr = X0, Y0 + 400, 50
lines.append(feature(1, "half_circle_line", {"curvePaths": [[
    [hx - hr, hy], {"c": [[hx + hr, hy], [hx, hy + hr]]}]]}))
shapes.append({"name": "half_circle_line", "layer": "lines", "kind": "half_circle",
               "circle": {"center": [hx, hy], "radius": hr}, "length": math.pi * hr,
               "circular": True, "densified_always": False})

lx, ly, lr = X0 + 400, Y0 + 450, 50
lines.append(feature(2, "circle_line", {"curvePaths": [[
    [lx + lr, ly], {"a": [[lx + lr, ly], [lx, ly], 0, 1]}]]}))
shapes.append({"name": "circle_line", "layer": "lines", "kind": "circle",
               "circle": {"center": [lx, ly], "radius": lr}, "length": 2 * math.pi * lr,
               "circular": True, "densified_always": False})

ey2 = ey + 400
p_start2 = [ex - ea * u[0], ey2 - ea * u[1]]
p_end2 = [ex + ea * u[0], ey2 + ea * u[1]]
lines.append(feature(3, "half_ellipse_line", {"curvePaths": [[
    p_start2, {"a": [p_end2, [ex, ey2], 0, 1, rot, ea, ratio]}]]}))
shapes.append({"name": "half_ellipse_line", "layer": "lines", "kind": "half_ellipse",
               "ellipse": dict(ellipse_params, center=[ex, ey2]),
               "circular": False, "densified_always": True})

by2 = by + 400
cp2 = [bx + w // 2, by2 + 4 * h / 3]
lines.append(feature(4, "bezier_line", {"curvePaths": [[[bx, by2], {"b": [[bx + w, by2], cp2, cp2]}]]}))
shapes.append({"name": "bezier_line", "layer": "lines", "kind": "bezier",
               "bezier": {"p0": [bx, by2], "p1": cp2, "p2": cp2, "p3": [bx + w, by2]},
               "circular": False, "densified_always": True})

# --- layer 2: a polyline with Z and M on its vertices -----------------------------------------------
# start -> circular arc -> Bezier -> straight segment. Z and M are given on the end points only.
zx, zy = X0, Y0 + 800
zm_vertices = [[zx, zy, 10, 0], [zx + 100, zy, 30, 100], [zx + 200, zy, 20, 250], [zx + 250, zy, 25, 300]]
zm_lines.append(feature(1, "zm_path", {"hasZ": True, "hasM": True, "curvePaths": [[
    zm_vertices[0],
    {"c": [zm_vertices[1], [zx + 50, zy + 50]]},
    {"b": [zm_vertices[2], [zx + 150, zy + 80], [zx + 150, zy + 80]]},
    zm_vertices[3]]]}))
shapes.append({"name": "zm_path", "layer": "zm_lines", "kind": "zm_path",
               # the input vertices that end segments (x, y, z, m); segment k runs from k to k+1
               "ends": zm_vertices, "segments": ["arc", "bezier", "line"],
               "circle": {"center": [zx + 50, zy], "radius": 50},
               "circular": True, "densified_always": False})


def layer_resource(lid, name, geometry_type, has_z=False, has_m=False):
    return {"id": lid, "name": name, "type": "Feature Layer", "geometryType": geometry_type,
            "hasZ": has_z, "hasM": has_m,
            "fields": [{"name": "OBJECTID", "type": "esriFieldTypeOID", "alias": "OBJECTID"},
                       {"name": "name", "type": "esriFieldTypeString", "alias": "name", "length": 32}],
            "extent": {"spatialReference": {"wkid": WKID, "latestWkid": WKID}},
            "objectIdField": "OBJECTID"}


payload = {
    "replicaName": "curves",
    "replicaID": "{2F1C5B9E-6A57-4D0B-9C38-3C2B1E0A7D11}",
    "transportType": "esriTransportTypeEmbedded",
    "responseType": "esriReplicaResponseTypeData",
    "syncModel": "none",
    "layers": [{"id": 0, "features": polygons}, {"id": 1, "features": lines}, {"id": 2, "features": zm_lines}],
}
layers = {"layers": [layer_resource(0, "polygons", "esriGeometryPolygon"),
                     layer_resource(1, "lines", "esriGeometryPolyline"),
                     layer_resource(2, "zm_lines", "esriGeometryPolyline", True, True)],
          "tables": []}

for name, doc in [("curves.replica.json", payload), ("curves.replica.layers.json", layers),
                  ("curves.shapes.json", {"wkid": WKID, "shapes": shapes})]:
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
