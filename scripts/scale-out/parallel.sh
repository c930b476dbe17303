#!/bin/bash
# GNU parallel: N shards of `replica-export batch --shard K/N`, SLOTS at a time, then the merged
# report. On one machine by default; over ssh with SSHLOGIN (parallel's --sshlogin list, e.g.
# "4/host1,4/host2" or ":,host2" for this machine and host2), where INDIR, OUTDIR and REPORTDIR are
# the same paths on every host and replica-export is on each host's PATH (or REPLICA_EXPORT names
# it, the same path everywhere).
#
#   scripts/scale-out/parallel.sh INDIR OUTDIR REPORTDIR N [FORMATS]
#
# Every shard resumes, so running the same command again converts only what is not complete.
# Exits 1 when an input failed (the merged report names it), like `replica-export batch`.
set -euo pipefail
usage="usage: parallel.sh INDIR OUTDIR REPORTDIR N [FORMATS]  (env: SLOTS, SSHLOGIN, REPLICA_EXPORT)"
indir=${1:?$usage}
outdir=${2:?$usage}
reports=${3:?$usage}
count=${4:?$usage}
formats=${5:-all}
bin=${REPLICA_EXPORT:-replica-export}
slots=${SLOTS:-1}
mkdir -p "$reports"
remote=()
[ -n "${SSHLOGIN:-}" ] && remote=(--sshlogin "$SSHLOGIN")
# A shard that fails an input exits 1; the merge below says which, so keep going.
seq 1 "$count" | parallel --will-cite --quote --jobs "$slots" "${remote[@]}" --halt never \
    "$bin" batch "$indir" --format "$formats" --output "$outdir" --shard "{}/$count" --jobs 1 \
        --resume --quiet --report "$reports/shard-{}.json" || true
shards=()
for k in $(seq 1 "$count"); do shards+=("$reports/shard-$k.json"); done
exec "$bin" report merge "${shards[@]}" --output "$reports/all.json"
