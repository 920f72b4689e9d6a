#!/bin/bash
# danekit scan as a Slurm job array: one task per shard, the shard from the
# task index (SLURM_ARRAY_TASK_ID, 0..N-1 with --array=0-N-1; N is the
# array's size, SLURM_ARRAY_TASK_COUNT). Each task reads the same list and
# keeps its own share; a task that is requeued resumes with --skip-done.
#
#   sbatch --array=0-15 contrib/scan/slurm-array.sh domains.txt
#   cat out/shard-*.jsonl > survey.jsonl
#SBATCH --job-name=danekit-scan
#SBATCH --cpus-per-task=1
#SBATCH --mem=256M
#SBATCH --time=24:00:00
#SBATCH --requeue
#SBATCH --output=out/slurm-%A_%a.log
set -eu
list="${1:?usage: sbatch --array=0-N-1 slurm-array.sh DOMAINS}"
K="${SLURM_ARRAY_TASK_ID:?not a job array}"
N="${SLURM_ARRAY_TASK_COUNT:?not a job array}"
mkdir -p out
out="out/shard-$K.jsonl"
touch "$out"
exec danekit --json scan --no-progress --shard "$K/$N" --skip-done "$out" \
	"$list" >>"$out"
