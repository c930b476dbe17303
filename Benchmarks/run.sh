#!/usr/bin/env bash
# Converts a synthetic createReplica payload of N features to each format with the release build and
# prints wall time, features per second and peak memory per format.
#
#   Benchmarks/run.sh [N=1000000] [point|polyline|polygon]
#
# Needs the project's dependencies (scripts/install-dependencies.sh) and GNU time (/usr/bin/time,
# Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-1000000}"
geometry="${2:-point}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
swift build -c release --product replica-export >&2
bin="$(swift build -c release --show-bin-path)/replica-export"
python3 Benchmarks/generate_replica.py "$count" "$work/input.json" --geometry "$geometry"
echo "input: $count $geometry features, $(du -h "$work/input.json" | cut -f1) of Esri JSON (with layer resources)"
printf '%-32s %10s %14s %12s\n' format seconds features/s "peak MiB"
for format in filegdb shapefile csv geojson filegdb,shapefile,csv,geojson; do
    rm -rf "$work/out"
    /usr/bin/time -f '%e %M' -o "$work/time" "$bin" convert "$work/input.json" --format "$format" \
        --output "$work/out" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
    read -r seconds kib < "$work/time"
    printf '%-32s %10s %14.0f %12.0f\n' "$format" "$seconds" "$(echo "$count / $seconds" | bc -l)" "$(echo "$kib / 1024" | bc -l)"
done
