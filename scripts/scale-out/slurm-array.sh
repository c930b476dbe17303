#!/bin/bash
# A Slurm job array: one `replica-export batch --shard K/N` per array task, N = the array's size.
#
#   job=$(sbatch --parsable --array=1-16 scripts/scale-out/slurm-array.sh INDIR OUTDIR REPORTDIR [FORMATS])
#   sbatch --dependency=afterany:$job --wrap "replica-export report merge REPORTDIR/shard-*.json --output REPORTDIR/all.json"
#
# INDIR, OUTDIR and REPORTDIR must be the same paths on every node (a shared file system). The
# array must be one contiguous range (1-16, 0-15, 5-20%4 all do): shard K is the task's place in it.
# A task that is requeued (preemption, a node failure, `scontrol requeue`) resumes: what an earlier
# run completed is skipped, and the task's report is written anew. FORMATS defaults to all;
# REPLICA_EXPORT names the binary when it is not on PATH.
#SBATCH --job-name=replica-export
#SBATCH --cpus-per-task=2
#SBATCH --requeue
#SBATCH --output=replica-export-%A_%a.log
set -euo pipefail
indir=${1:?usage: sbatch --array=1-N slurm-array.sh INDIR OUTDIR REPORTDIR [FORMATS]}
outdir=${2:?usage: sbatch --array=1-N slurm-array.sh INDIR OUTDIR REPORTDIR [FORMATS]}
reports=${3:?usage: sbatch --array=1-N slurm-array.sh INDIR OUTDIR REPORTDIR [FORMATS]}
formats=${4:-all}
if [ -z "${SLURM_ARRAY_TASK_ID:-}" ] || [ -z "${SLURM_ARRAY_TASK_COUNT:-}" ]; then
    echo "slurm-array.sh: submit it as a job array: sbatch --array=1-N $0 ..." >&2
    exit 2
fi
shard=$((SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1))
count=$SLURM_ARRAY_TASK_COUNT
if [ "$shard" -gt "$count" ]; then
    echo "slurm-array.sh: task $SLURM_ARRAY_TASK_ID is not in a contiguous array of $count tasks from $SLURM_ARRAY_TASK_MIN" >&2
    exit 2
fi
mkdir -p "$reports"
exec "${REPLICA_EXPORT:-replica-export}" batch "$indir" --format "$formats" --output "$outdir" \
    --shard "$shard/$count" --jobs "${SLURM_CPUS_PER_TASK:-1}" --resume --quiet \
    --report "$reports/shard-$shard.json"
