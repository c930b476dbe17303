#!/usr/bin/env bash
# Times `replica-export batch` over INPUTS payloads with --jobs 1 and --jobs 2 (release build) and
# prints the speed-up, for one format and for all four at once.
#
#   Benchmarks/batch-jobs.sh [INPUTS=40] [FEATURES=20000] [REPEAT=3] [point|polyline|polygon]
#
# The inputs are one synthetic createReplica JSON payload of FEATURES features
# (Benchmarks/generate_replica.py) copied INPUTS times into crew folders. Each configuration runs
# REPEAT times and the best wall time counts (the machine is shared: the best run is the one least
# disturbed). The load average is printed first: on a busy machine the ratio says little.
set -euo pipefail
cd "$(dirname "$0")/.."
inputs="${1:-40}"
features="${2:-20000}"
repeat="${3:-3}"
geometry="${4:-point}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
swift build -c release --product replica-export >&2
bin="$(swift build -c release --show-bin-path)/replica-export"
python3 Benchmarks/generate_replica.py "$features" "$work/one.json" --geometry "$geometry" >/dev/null
for i in $(seq 1 "$inputs"); do
    mkdir -p "$work/in/crew$((i % 4))"
    cp "$work/one.json" "$work/in/crew$((i % 4))/replica$i.json"
    cp "$work/one.layers.json" "$work/in/crew$((i % 4))/replica$i.layers.json"  # the schema (and its spatial reference)
done
echo "cores: $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "inputs: $inputs x $features $geometry features ($(du -sh "$work/in" | cut -f1) of Esri JSON)"

best() {  # best wall seconds of `batch` with --jobs $1 --format $2
    local fastest=""
    for _ in $(seq 1 "$repeat"); do
        rm -rf "$work/out"
        local start end
        start=$(date +%s.%N)
        "$bin" batch "$work/in" --format "$2" --output "$work/out" --jobs "$1" --quiet \
            || { echo "the batch failed: a timing of failures means nothing" >&2; exit 1; }
        end=$(date +%s.%N)
        local seconds
        seconds=$(echo "$end - $start" | bc -l)
        if [ -z "$fastest" ] || [ "$(echo "$seconds < $fastest" | bc -l)" = 1 ]; then fastest=$seconds; fi
    done
    printf '%.2f' "$fastest"
}

printf '%-32s %12s %12s %8s\n' formats "--jobs 1 s" "--jobs 2 s" speed-up
for formats in geojson filegdb,shapefile,csv,geojson; do
    one=$(best 1 "$formats") || exit 1
    two=$(best 2 "$formats") || exit 1
    printf '%-32s %12s %12s %7.2fx\n' "$formats" "$one" "$two" "$(echo "$one / $two" | bc -l)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
