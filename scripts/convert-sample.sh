#!/usr/bin/env bash
# The main job on the bundled sample data: converts a createReplica JSON payload and a mobile
# geodatabase replica from TestData/ to FileGDB, shapefile, CSV, GeoJSON, GeoPackage, KML and Excel under out/sample/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-dependencies.sh
swift build -c release --product replica-export
bin="$(swift build -c release --show-bin-path)/replica-export"
out="${1:-out/sample}"
"$bin" convert TestData/esrijson/seed_example4_canada.replica.json \
    --format filegdb,shapefile,csv,geojson,geopackage,kml,excel --output "$out/json" --overwrite
"$bin" convert TestData/mobilegdb/canyonlands_3b1fef0d.geodatabase \
    --format filegdb,shapefile,csv,geojson,geopackage,kml,excel --output "$out/geodatabase" --overwrite
echo "Outputs are in $out/" >&2
