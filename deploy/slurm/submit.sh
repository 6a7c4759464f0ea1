#!/bin/bash
# Submit a sharded grindbench sweep to Slurm: a job array of N shards
# (grind-array.sbatch), then a merge-and-report job (grind-merge.sbatch) that
# starts only if every shard succeeded (--dependency=afterok).
#
# Usage: deploy/slurm/submit.sh -o OUT [-n SHARDS] [-c CONFIG] [-g GRIND] [-p PARALLEL] [-- GRIND_RUN_ARGS...]
#
#   -o OUT       results root on a shared file system (required); shards
#                write OUT/shard-I, the merge writes OUT/merged
#   -n SHARDS    number of shards, N (default 8)
#   -c CONFIG    config file (on the shared file system) or built-in name
#                (default headline)
#   -g GRIND     grind binary (default: grind on PATH)
#   -p PARALLEL  at most this many shards at once (sbatch --array=0-(N-1)%P)
#   -- ARGS      passed on to every `grind run`, e.g. -- --set seeds=200
#
# Extra sbatch options (partition, account, ...) come from the SBATCH_*
# input environment variables, e.g. SBATCH_PARTITION=cpu.
#
# Example: deploy/slurm/submit.sh -o /scratch/$USER/headline200 -n 16 -- --set seeds=200
set -euo pipefail

usage() { sed -n '6,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

out="" shards=8 config=headline grind="" parallel=""
while getopts "o:n:c:g:p:h" opt; do
	case $opt in
	o) out=$OPTARG ;;
	n) shards=$OPTARG ;;
	c) config=$OPTARG ;;
	g) grind=$OPTARG ;;
	p) parallel=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ -n "$out" ]] || usage
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: -n $shards: want a positive whole number" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Absolute paths: jobs may start in another directory on another node.
out=$(realpath -m "$out")
if [[ -f "$config" ]]; then
	config=$(realpath "$config")
fi
if [[ -z "$grind" ]]; then
	grind=$(command -v grind) || { echo "submit.sh: no grind on PATH; build it (go build -o grind ./cmd/grind) and pass -g" >&2; exit 2; }
fi
grind=$(realpath "$grind")
mkdir -p "$out"

array="0-$((shards - 1))"
if [[ -n "$parallel" ]]; then
	array="$array%$parallel"
fi

export CONFIG=$config OUT=$out SHARDS=$shards GRIND=$grind
array_job=$(sbatch --parsable --array="$array" "$here/grind-array.sbatch" "$@")
array_job=${array_job%%;*} # --parsable prints "id;cluster" on federated clusters
merge_job=$(sbatch --parsable --dependency="afterok:$array_job" "$here/grind-merge.sbatch")
merge_job=${merge_job%%;*}

extra=""
if (($# > 0)); then
	extra=$(printf ' %q' "$@")
fi
cat <<MSG
submitted shards: job array $array_job ($shards tasks, --array=$array)
submitted merge:  job $merge_job (starts after every shard succeeds)
results:          $out/shard-I per shard; merged into $out/merged (report: $out/merged/report.html)
if shard I fails: scancel $merge_job (its dependency can no longer be met), fix the cause, then
  CONFIG=$(printf %q "$config") OUT=$(printf %q "$out") SHARDS=$shards GRIND=$(printf %q "$grind") sbatch --array=I $here/grind-array.sbatch$extra
  OUT=$(printf %q "$out") SHARDS=$shards GRIND=$(printf %q "$grind") sbatch --dependency=afterok:NEW_ARRAY_JOB $here/grind-merge.sbatch
MSG
