#!/usr/bin/env python3
"""Writes a synthetic createReplica JSON payload (and its layer resources beside it) with N features.

Usage: generate_replica.py N OUT.json [--geometry point|polyline|polygon] [--seed S] [--featureset FS.json]
The features are deterministic for a seed: 8 attribute fields of every common type, and geometry
in EPSG:3857. Streams its output, so it can write payloads far larger than memory. --featureset also
writes the same features as one feature-service query page (what ogr2ogr reads, for compare.sh).
"""
import argparse, json, math, random

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("count", type=int)
    ap.add_argument("out")
    ap.add_argument("--geometry", default="point", choices=["point", "polyline", "polygon"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--featureset", help="also write the features as a FeatureSet to this file")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    gtype = {"point": "esriGeometryPoint", "polyline": "esriGeometryPolyline", "polygon": "esriGeometryPolygon"}[a.geometry]
    fields = [
        {"name": "OBJECTID", "type": "esriFieldTypeOID", "alias": "OBJECTID", "nullable": False, "editable": False},
        {"name": "GlobalID", "type": "esriFieldTypeGlobalID", "alias": "GlobalID", "length": 38, "nullable": False, "editable": False},
        {"name": "name", "type": "esriFieldTypeString", "alias": "Name", "length": 64},
        {"name": "category", "type": "esriFieldTypeSmallInteger", "alias": "Category"},
        {"name": "count", "type": "esriFieldTypeInteger", "alias": "Count"},
        {"name": "value", "type": "esriFieldTypeDouble", "alias": "Value"},
        {"name": "ratio", "type": "esriFieldTypeSingle", "alias": "Ratio"},
        {"name": "observed", "type": "esriFieldTypeDate", "alias": "Observed", "length": 8},
    ]
    sr = {"wkid": 102100, "latestWkid": 3857}
    stem = a.out[:-5] if a.out.endswith(".json") else a.out
    with open(stem + ".layers.json", "w") as f:
        json.dump({"layers": [{"id": 0, "name": "synthetic", "type": "Feature Layer", "geometryType": gtype,
                               "objectIdField": "OBJECTID", "globalIdField": "GlobalID", "hasZ": False, "hasM": False,
                               "extent": {"spatialReference": sr}, "fields": fields}], "tables": []}, f)
    fs = open(a.featureset, "w") if a.featureset else None
    if fs:
        fs.write('{"objectIdFieldName":"OBJECTID","globalIdFieldName":"GlobalID","geometryType":%s,'
                 '"spatialReference":%s,"fields":%s,"features":[' % (json.dumps(gtype), json.dumps(sr), json.dumps(fields)))
    with open(a.out, "w") as f:
        f.write('{"replicaName":"synthetic","replicaID":"{6D1A3F2B-0000-4000-8000-000000000001}",'
                '"transportType":"esriTransportTypeEmbedded","responseType":"esriReplicaResponseTypeData",'
                '"syncModel":"none","layers":[{"id":0,"features":[')
        for i in range(a.count):
            x = rnd.uniform(-2.0e7, 2.0e7)
            y = rnd.uniform(-1.5e7, 1.5e7)
            if a.geometry == "point":
                geom = {"x": round(x, 3), "y": round(y, 3)}
            elif a.geometry == "polyline":
                geom = {"paths": [[[round(x + 10 * k, 3), round(y + 7 * math.sin(k), 3)] for k in range(8)]]}
            else:
                r = rnd.uniform(5, 50)
                ring = [[round(x + r * math.cos(-2 * math.pi * k / 12), 3), round(y + r * math.sin(-2 * math.pi * k / 12), 3)] for k in range(12)]
                geom = {"rings": [ring + [ring[0]]]}
            attrs = {
                "OBJECTID": i + 1,
                "GlobalID": "{%08X-%04X-4%03X-8%03X-%012X}" % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12), rnd.getrandbits(12), rnd.getrandbits(48)),
                "name": "feature %d \u00e9" % i,
                "category": rnd.randint(-5, 30),
                "count": rnd.randint(-2**31, 2**31 - 1),
                "value": rnd.uniform(-1e6, 1e6),
                "ratio": float(f"{rnd.random():.6g}"),
                "observed": rnd.randint(-10**11, 2 * 10**12) if i % 10 else None,
            }
            text = (',' if i else '') + json.dumps({"attributes": attrs, "geometry": geom}, separators=(",", ":"))
            f.write(text)
            if fs:
                fs.write(text)
        f.write(']}]}')
    if fs:
        fs.write(']}')
        fs.close()

if __name__ == "__main__":
    main()
