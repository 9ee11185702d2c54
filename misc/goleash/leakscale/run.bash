#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# run.bash measures leak detection cycles against plain GC cycles on
# populations of blocked goroutines of four shapes (flat, chain, tree,
# cyclic) and three sizes, with the pristine go1.26.8 and with the fork,
# alternating the two, and writes results/{go1.26.8,goleash}.txt and
# results/report.txt (benchstat: the fork against go1.26.8, and detection
# against plain GC within each toolchain).
#
# Usage: misc/goleash/leakscale/run.bash [-count N] [-sizes "1000 10000 100000"] [-o DIR]
#
# A leaked goroutine can never run again, so every shape and size runs in a
# process of its own. go1.26.8 needs minutes per detection for a chain or a
# ring of 100,000 goroutines (one stop-the-world round per goroutine), so
# those two run there once (-test.benchtime 1x, one count).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
count=5
sizes="1000 10000 100000"
out=$here/results
while (($#)); do
	case $1 in
	-count) count=$2; shift 2 ;;
	-sizes) sizes=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	*) echo "usage: $0 [-count N] [-sizes LIST] [-o DIR]" >&2; exit 2 ;;
	esac
done
[[ -x $top/bin/go ]] || { echo "run.bash: build the fork first: $top/make.bash" >&2; exit 1; }
# shellcheck source=../sync.bash
source "$top/misc/goleash/sync.bash"
state=${state:-$top/.goleash}
find_base "$top/misc/goleash/base.sum" # sets base
unset GOROOT GOFLAGS GOEXPERIMENT GODEBUG

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
# go1.26.8 registers the goroutineleak profile only under this experiment.
GOEXPERIMENT=goroutineleakprofile GOTOOLCHAIN=local CGO_ENABLED=0 "$base/bin/go" test -c -o "$tmp/base.test" .
CGO_ENABLED=0 "$top/bin/go" test -c -o "$tmp/fork.test" .

mkdir -p "$out"
: >"$out/go1.26.8.txt"
: >"$out/goleash.txt"
bench() { # bench BINARY SHAPE N BENCHTIME
	"$1" -test.run '^$' -test.bench . -test.benchtime "$4" -leakscale.shape="$2" -leakscale.n="$3"
}
for n in $sizes; do
	for shape in flat chain tree cyclic; do
		benchtime=5x
		((n < 100000)) || benchtime=1x
		for ((i = 0; i < count; i++)); do
			echo "leakscale: shape=$shape n=$n run $((i + 1))/$count" >&2
			if ((i == 0)) || [[ $n -lt 100000 || $shape == flat || $shape == tree ]]; then
				bench "$tmp/base.test" "$shape" "$n" "$benchtime" >>"$out/go1.26.8.txt"
			fi
			bench "$tmp/fork.test" "$shape" "$n" "$benchtime" >>"$out/goleash.txt"
		done
	done
done

# Both toolchains must find the same leaks: a tenth of each population.
for f in "$out/go1.26.8.txt" "$out/goleash.txt"; do
	awk '/op=detect/ { split($0, a, "/n="); split(a[2], b, "/"); if ($(NF-1) != b[1] / 10) { print FILENAME ": " $0 ": leaked " $(NF-1) ", want " b[1] / 10; bad = 1 } } END { exit bad }' "$f"
done

tools=$top/.goleash/tools
if [[ ! -x $tools/benchstat ]]; then
	GOBIN=$tools GOTOOLCHAIN=local GOFLAGS=-mod=mod "$base/bin/go" install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
fi
{
	echo "# The fork against go1.26.8, same operation"
	(cd "$out" && "$tools/benchstat" go1.26.8.txt goleash.txt)
	echo
	echo "# Detection against plain GC, go1.26.8"
	(cd "$out" && "$tools/benchstat" -col /op go1.26.8.txt)
	echo
	echo "# Detection against plain GC, the fork"
	(cd "$out" && "$tools/benchstat" -col /op goleash.txt)
} >"$out/report.txt"
cat "$out/report.txt"
