#!/usr/bin/python3
"""Generate createReplica-shaped test inputs from the real query pages beside this script.

No public createReplica JSON result exists beyond the two in the seed, so the honest way to get more
is to wrap real features in the documented replica shape (the seed's Example four):

  <name>.replica.json         {"replicaName", "replicaID", "transportType": "esriTransportTypeEmbedded",
                               "responseType": "esriReplicaResponseTypeData", "syncModel": "none",
                               "layers": [{"id": 0, "features": [...the page's features verbatim...]}]}
  <name>.replica.layers.json  (only when the page has `fields`) the layer resources, as
                               /FeatureServer/layers?f=json gives them, built from the page's own
                               fields / geometryType / spatialReference / objectIdFieldName.

Also writes the small synthetic files the reader tests need (curve geometries wrapped in a
FeatureSet, and a replica + beside-schema pair for the us-esri-test layer resource).

Run: /usr/bin/python3 TestData/esrijson/make_replicas.py   (stdlib only; output is committed)
"""
import json
import os
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))

PAGES = [
    "pyesridump_us-ms-madison-0",
    "pyesridump_us-ca-carson-0",
    "pyesridump_us-mo-columbia-0",
    "pyesridump_us-esri-test-0",
    "pyesridump_us-il-cook-page-full",
    "arcgis-rest-js_LineHasM",
    "arcgis-rest-js_PointHasZM",
    "arcgis-rest-js_PolygonHasZM",
]


def load(name):
    with open(os.path.join(HERE, name), "r", encoding="utf-8") as f:
        return json.load(f)


def dump(name, obj):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")


def replica_id(name):
    # Deterministic, so that re-running the script changes nothing.
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "replica-export-test/" + name)).upper() + "}"


def oid_field(page):
    if page.get("objectIdFieldName"):
        return page["objectIdFieldName"]
    for f in page.get("fields", []):
        if f.get("type") == "esriFieldTypeOID":
            return f["name"]
    return None


def main():
    for name in PAGES:
        page = load(name + ".json")
        replica = {
            "replicaName": name,
            "replicaID": replica_id(name),
            "transportType": "esriTransportTypeEmbedded",
            "responseType": "esriReplicaResponseTypeData",
            "syncModel": "none",
            "layers": [{"id": 0, "features": page["features"]}],
        }
        dump(name + ".replica.json", replica)
        if "fields" in page:
            layer = {
                "id": 0,
                "name": name,
                "type": "Feature Layer",
                "geometryType": page.get("geometryType"),
                "hasZ": bool(page.get("hasZ", False)),
                "hasM": bool(page.get("hasM", False)),
                "fields": page["fields"],
                "extent": {"spatialReference": page.get("spatialReference")},
                "objectIdField": oid_field(page),
            }
            if page.get("globalIdFieldName"):
                layer["globalIdField"] = page["globalIdFieldName"]
            dump(name + ".replica.layers.json", {"layers": [layer], "tables": []})

    # The us-esri-test layer resource under the beside-the-payload name.
    meta = load("pyesridump_us-esri-test-metadata.json")
    page = load("pyesridump_us-esri-test-0.json")
    dump("replica_esri_test.json", {
        "replicaName": "esri_test",
        "replicaID": replica_id("replica_esri_test"),
        "transportType": "esriTransportTypeEmbedded",
        "responseType": "esriReplicaResponseTypeData",
        "syncModel": "none",
        "layers": [{"id": meta["id"], "features": page["features"][:50], "attachments": []}],
    })
    dump("replica_esri_test.layers.json", {"layers": [meta], "tables": []})

    # Esri's documented curve geometries, each wrapped in a one-feature FeatureSet.
    for geom_file, gtype, has_m in [
        ("gntools_esridoc_curveRings_hasM.geometry.json", "esriGeometryPolygon", True),
        ("gntools_esridoc_curvePaths_bezier_ellipticarc.geometry.json", "esriGeometryPolyline", False),
    ]:
        geometry = load(geom_file)
        dump(geom_file.replace(".geometry.json", ".featureset.json"), {
            "geometryType": gtype,
            "hasM": has_m,
            "spatialReference": {"wkid": 3857},
            "fields": [{"name": "OBJECTID", "type": "esriFieldTypeOID", "alias": "OBJECTID"}],
            "features": [{"attributes": {"OBJECTID": 1}, "geometry": geometry}],
        })


if __name__ == "__main__":
    main()
