#!/bin/bash
# Builds the libFuzzer binary (the library sources compiled with the fuzz entry point, libFuzzer and
# AddressSanitizer) and runs one target for SECONDS on its seed corpus from TestData (json: the
# real payloads of TestData/esrijson and the quirks of TestData/quirks).
#
# Usage: Fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
#   TARGET: json | blob | xml | catalog
# TestData is only read (sqlite3 with immutable=1: a WAL-mode file gets no -wal/-shm beside it).
# Findings (crash-*, timeout-*, oom-* files) land in Fuzz/.work/TARGET/findings; the growing corpus
# in Fuzz/.work/TARGET/corpus. Set FUZZ_NO_ASAN=1 to build without AddressSanitizer.
set -euo pipefail
target=${1:?usage: Fuzz/run.sh json|blob|xml|catalog SECONDS}
seconds=${2:?usage: Fuzz/run.sh TARGET SECONDS}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/Fuzz/.work"
bin="$work/fuzz${FUZZ_NO_ASAN:+-noasan}"
mkdir -p "$work/logging"

sanitize="fuzzer,address"
[ -n "${FUZZ_NO_ASAN:-}" ] && sanitize="fuzzer"

sources=$(find "$root/Sources/ReplicaExport" -name '*.swift' | sort)
newest=$(ls -t $sources "$root/Fuzz/Targets/FuzzTarget.swift" "$root/Fuzz/FuzzTargets.swift" "$0" | sed -n 1p)
if [ ! -x "$bin" ] || [ "$newest" -nt "$bin" ]; then
    # swift-log, which the exporter imports, as a static library of its own module.
    logging="$root/.build/checkouts/swift-log/Sources/Logging"
    [ -d "$logging" ] || (cd "$root" && swift package resolve)
    if [ ! -f "$work/logging/libLogging.a" ]; then
        (cd "$work/logging" && swiftc -parse-as-library -module-name Logging -package-name swift_log -emit-module -emit-library -static \
            -o libLogging.a $(find "$logging" -name "*.swift"))
    fi
    echo "building $bin (-sanitize=$sanitize) ..." >&2
    swiftc -parse-as-library -module-name ReplicaExport -package-name replica_export -sanitize="$sanitize" -g -Onone \
        -I "$work/logging" -I "$root/Sources/CGDAL" -I "$root/Sources/CSQLite" -I "$root/Sources/CZip" \
        -I /usr/include/gdal \
        $sources "$root/Fuzz/Targets/FuzzTarget.swift" "$root/Fuzz/FuzzTargets.swift" \
        -L "$work/logging" -lLogging -lgdal -lsqlite3 -lzip -o "$bin"
fi

seeds="$work/$target/seeds"
corpus="$work/$target/corpus"
findings="$work/$target/findings"
mkdir -p "$seeds" "$corpus" "$findings"
case "$target" in
    json) cp "$root"/TestData/esrijson/*.json "$root"/TestData/quirks/*.json "$seeds"/ 2>/dev/null || true; max_len=262144 ;;
    catalog) cp "$root"/TestData/mobilegdb/*.geodatabase "$seeds"/; max_len=4194304 ;;
    blob) sqlite3 "file:$root/TestData/mobilegdb/LA_Trails.geodatabase?immutable=1" "SELECT hex(Shape) FROM Trailheads LIMIT 200" \
              | awk -v dir="$seeds" '{ print $0 > (dir "/trailheads_" NR ".hex") }'
          for f in "$seeds"/*.hex; do xxd -r -p "$f" > "${f%.hex}.blob" && rm "$f"; done
          for gdb in "$root"/TestData/mobilegdb/*.geodatabase; do
              for table in $(sqlite3 "file:$gdb?immutable=1" "SELECT f_table_name FROM st_geometry_columns WHERE lower(f_geometry_column) = 'shape'" 2>/dev/null); do
                  sqlite3 "file:$gdb?immutable=1" "SELECT hex(Shape) FROM \"$table\" LIMIT 20" 2>/dev/null \
                      | awk -v dir="$seeds" -v t="$(basename "$gdb")_$table" '{ print $0 > (dir "/" t "_" NR ".hex") }'
              done
          done
          for f in "$seeds"/*.hex; do [ -f "$f" ] && xxd -r -p "$f" > "${f%.hex}.blob" && rm "$f"; done
          max_len=65536 ;;
    xml) for gdb in "$root"/TestData/mobilegdb/*.geodatabase; do
             sqlite3 "file:$gdb?immutable=1" "SELECT rowid FROM GDB_Items WHERE Definition IS NOT NULL" | while read -r id; do
                 sqlite3 "file:$gdb?immutable=1" "SELECT Definition FROM GDB_Items WHERE rowid=$id" > "$seeds/$(basename "$gdb")_$id.xml"
             done
         done
         max_len=65536 ;;
    *) echo "unknown target $target (json, blob, xml, catalog)" >&2; exit 2 ;;
esac
# Crashes found earlier (the regression corpus the tests replay) seed every run.
[ -d "$root/TestData/bad/fuzz/$target" ] && cp "$root/TestData/bad/fuzz/$target"/* "$seeds"/ 2>/dev/null || true

echo "fuzzing $target for $seconds s (seeds: $(ls "$seeds" | wc -l))" >&2
cd "$findings"
FUZZ_TARGET="$target" "$bin" "$corpus" "$seeds" -max_total_time="$seconds" -max_len="$max_len" \
    -timeout=10 -rss_limit_mb=2048 -seed=1 -print_final_stats=1 "$@"
