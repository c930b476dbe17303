#!/usr/bin/env bash
# Converts every TestData input to all five formats, with and without true curves, into OUT, so that
# a change meant to be invisible (performance work) can be checked byte for byte against a build made
# before it:
#
#   Benchmarks/golden.sh BIN OUT            write the outputs of the replica-export at BIN into OUT
#   Benchmarks/golden.sh --diff A B         compare two such trees; exits 1 on any difference
#
# FileGDB's a00000004.gdbtable and a00000006.gdbtable hold UUIDs GDAL draws at random each run, and
# GeoPackage stamps its last-change time: those FileGDB tables are left out, and each .gpkg is compared
# through its SQL dump with the timestamps masked (written beside it as .gpkg.sql).
set -euo pipefail
if [ "${1:-}" = "--diff" ]; then
    diff -r -q -x a00000004.gdbtable -x a00000006.gdbtable -x '*.gpkg' "$2" "$3" && echo "identical"
    exit
fi
bin="$1"; out="$2"
cd "$(dirname "$0")/.."
mkdir -p "$out"
inputs=()
for f in TestData/esrijson/*.json; do
    case "$f" in *.layers.json|*.geometry.json|*metadata.json) continue ;; esac
    inputs+=("$f")
done
inputs+=(TestData/curves/*.replica.json TestData/mobilegdb/*.geodatabase)
for input in "${inputs[@]}"; do
    name="$(basename "$input")"
    for curves in "" --true-curves; do
        dir="$out/$name${curves:+.curves}"
        rm -rf "$dir"
        { "$bin" convert "$input" --format filegdb,shapefile,csv,geojson,geopackage --output "$dir" $curves \
            2>&1 || echo "exit $? for $input $curves"; } | sed "s|$out|OUT|g" >"$dir.log"
        for gpkg in "$dir"/geopackage/*.gpkg; do
            [ -e "$gpkg" ] || continue
            sqlite3 "$gpkg" .dump | sed -E "s/'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z'/'TIME'/g" >"$gpkg.sql"
        done
    done
done
