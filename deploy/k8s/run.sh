#!/bin/bash
# Run a sharded grindbench sweep on Kubernetes and merge it: creates the
# results claim (if absent), starts the Indexed Job of grind-sweep.yaml,
# waits for it, then runs grind-merge.yaml and waits for that.
#
# Usage: deploy/k8s/run.sh [-n NAMESPACE] [-t TIMEOUT_SECONDS]
#
# Rerunning it after a failure resumes: it deletes the two Jobs (not the
# claim), and every shard pod skips the runs already in its folder.
set -euo pipefail

usage() { sed -n '6p' "$0" | sed 's/^# //' >&2; exit 2; }
ns=() timeout=86400
while getopts "n:t:h" opt; do
	case $opt in
	n) ns=(--namespace "$OPTARG") ;;
	t) timeout=$OPTARG ;;
	*) usage ;;
	esac
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
k() { kubectl "${ns[@]}" "$@"; }

# wait_job NAME: wait until Job NAME is Complete (return 0) or Failed (1).
wait_job() {
	local deadline=$((SECONDS + timeout)) state
	while ((SECONDS < deadline)); do
		state=$(k get job "$1" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')
		case " $state " in
		*" Complete "*) return 0 ;;
		*" Failed "*)
			echo "run.sh: job $1 failed; see: kubectl ${ns[*]} describe job $1" >&2
			return 1
			;;
		esac
		sleep 10
	done
	echo "run.sh: job $1 still running after ${timeout}s" >&2
	return 1
}

k apply -f "$here/results-pvc.yaml"
k delete job grind-sweep grind-merge --ignore-not-found
k apply -f "$here/grind-sweep.yaml"
wait_job grind-sweep
k apply -f "$here/grind-merge.yaml"
wait_job grind-merge
k logs job/grind-merge
echo "merged results: /results/merged on claim grind-results (deploy/README.md: copying them out)"
