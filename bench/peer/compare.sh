#!/usr/bin/env bash
# make bench-peer: grindbench (BenchmarkPeerWork, bench/peer_test.go) and the
# NumPy peer (numpy_skills.py) on the same work, one core each, in
# step-updates per CPU-second; medians of RUNS paired runs per size.
# Needs Debian's python3-numpy (apt-get install python3-numpy); installs
# nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/usr/bin/python3}
RUNS=${RUNS:-3}
SIZES=${SIZES:-"20:2000 200:200"} # seeds:task slots per seed
if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
	echo "bench-peer: $PYTHON has no NumPy. Debian: apt-get install python3-numpy (this target installs nothing)" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" ./bench

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "work per side: SEEDS x SLOTS task slots x 8 members x 4 steps of the default skills family (K = d = 8, A = 4),"
echo "bilinear policy from a pretrained base, rlvr lr 2 with perfect all-or-nothing verdicts; one step-update ="
echo "a policy evaluation and sample, an environment step and its share of the group's update (zero when the"
echo "group's advantage is 0: grindbench skips those, the peer multiplies them by 0). World building and"
echo "pretraining are not timed on either side. CPU seconds of the whole process (Go: getrusage; peer:"
echo "time.process_time), one core (Go: -test.cpu 1; NumPy: BLAS at 1 thread). $(go version | cut -d' ' -f3), $("$PYTHON" -c 'import numpy; print("numpy", numpy.__version__)')."
echo
printf '%-7s %-6s %-14s %-14s %-14s %-10s %s\n' seeds slots step-updates go/cpu-s numpy/cpu-s ratio "nonzero-frac (go, numpy)"
for size in $SIZES; do
	seeds=${size%%:*} slots=${size##*:}
	: >"$tmp/go" ; : >"$tmp/py"
	for _ in $(seq "$RUNS"); do
		"$tmp/bench.test" -test.run '^$' -test.bench "^BenchmarkPeerWork/seeds=$seeds/tasks=$slots\$" -test.benchtime 1x -test.cpu 1 >"$tmp/out"
		awk '{for (i = 2; i <= NF; i++) { if ($i == "step-updates/cpu-s") print $(i-1) > "'"$tmp"'/go.last"; if ($i == "nonzero-frac") print $(i-1) > "'"$tmp"'/gonz" }}' "$tmp/out"
		test -s "$tmp/go.last" || { cat "$tmp/out" >&2; exit 1; }
		cat "$tmp/go.last" >>"$tmp/go"
		"$PYTHON" bench/peer/numpy_skills.py --seeds "$seeds" --tasks "$slots" >"$tmp/pyout"
		tr ' ' '\n' <"$tmp/pyout" | awk -F= '$1 == "step_updates_per_cpu_s" {print $2}' >>"$tmp/py"
		tr ' ' '\n' <"$tmp/pyout" | awk -F= '$1 == "nonzero_adv_steps" {nz=$2} $1 == "step_updates" {n=$2} END {printf "%.3f\n", nz/n}' >"$tmp/pynz"
	done
	g=$(median <"$tmp/go") p=$(median <"$tmp/py")
	printf '%-7s %-6s %-14s %-14.0f %-14.0f %-10s %s\n' "$seeds" "$slots" $((seeds * slots * 32)) "$g" "$p" \
		"$(awk -v g="$g" -v p="$p" 'BEGIN {printf "%.1fx", g / p}')" "$(cat "$tmp/gonz"), $(cat "$tmp/pynz")"
done
