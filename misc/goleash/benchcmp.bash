#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# benchcmp.bash runs the same Go benchmarks with the pristine base (go1.26.8)
# and with the fork, side by side in one run, and compares them with benchstat.
#
# Usage: misc/goleash/benchcmp.bash [-count N] [-benchtime T] [-cpu LIST] [-o DIR] -bench REGEXP PKG...
#
# For each package it builds one test binary with each toolchain, then runs
# the two binaries alternately, one -count at a time, so that drift in the
# machine's speed (other load, thermal state) hits both alike. Results go to
# DIR (default: a new temporary directory) as go1.26.8.txt and goleash.txt,
# and the benchstat comparison to DIR/benchstat.txt and the terminal.
#
# The base toolchain is found as make.bash finds it ($GOLEASH_BASE,
# $GOROOT_BOOTSTRAP, the go command on $PATH); the fork's is this checkout's
# bin/go. benchstat (golang.org/x/perf/cmd/benchstat) is installed from the
# module proxy into .goleash/tools on first use.
#
# The fork's binaries are built with -tags goleash: benchmarks of the fork's
# own API go in files with a "//go:build goleash" line, beside the ones that
# both toolchains build (misc/goleash/lockrecv does this), so that a fork-only
# benchmark runs in the same run as the base it is compared with.
#
# To build binaries for another machine (the 16-core device, say), use
# -build-only; DIR then holds the binaries and a run.bash that runs them
# alternately and writes the two result files, without a Go toolchain.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
benchstat_version=v0.0.0-20260908200009-22c9c6c9d4da

count=10
benchtime=
cpu=
bench=
out=
build_only=
pkgs=()
while (($#)); do
	case $1 in
	-count) count=$2; shift 2 ;;
	-benchtime) benchtime=$2; shift 2 ;;
	-cpu) cpu=$2; shift 2 ;;
	-bench) bench=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	-build-only) build_only=1; shift ;;
	-h | --help)
		sed -n '/^# Usage/,/^# To build/p' "$0" | sed 's/^# \{0,1\}//' | head -n -1
		exit 0
		;;
	-*) echo "benchcmp: unknown flag $1" >&2; exit 2 ;;
	*) pkgs+=("$1"); shift ;;
	esac
done
if [[ -z $bench || ${#pkgs[@]} == 0 ]]; then
	echo "usage: misc/goleash/benchcmp.bash [-count N] [-benchtime T] [-cpu LIST] [-o DIR] [-build-only] -bench REGEXP PKG..." >&2
	exit 2
fi

fork=$top/bin/go
[[ -x $fork ]] || { echo "benchcmp: no $fork: run ./make.bash first" >&2; exit 2; }
# shellcheck source=sync.bash
source "$top/misc/goleash/sync.bash"
state=${state:-$top/.goleash}
find_base "$top/misc/goleash/base.sum" # sets base
basego=$base/bin/go
echo "benchcmp: base $("$basego" version)"
echo "benchcmp: fork $("$fork" version)"

out=${out:-$(mktemp -d -t goleash-bench.XXXXXX)}
mkdir -p "$out"
unset GOROOT GOFLAGS GOEXPERIMENT GODEBUG

flags=(-test.run '^$' -test.bench "$bench" -test.count 1)
[[ -z $benchtime ]] || flags+=(-test.benchtime "$benchtime")
[[ -z $cpu ]] || flags+=(-test.cpu "$cpu")

names=()
for pkg in "${pkgs[@]}"; do
	name=${pkg//\//_}
	# Static binaries, so that they run on a machine without Go.
	CGO_ENABLED=0 GOTOOLCHAIN=local "$basego" test -c -o "$out/base.$name.test" "$pkg"
	CGO_ENABLED=0 "$fork" test -c -tags goleash -o "$out/fork.$name.test" "$pkg"
	names+=("$name")
done

cat >"$out/run.bash" <<EOF
#!/usr/bin/env bash
# Runs the benchmarks of benchcmp.bash alternately, base then fork.
set -euo pipefail
cd "\$(dirname "\$0")"
: >go1.26.8.txt
: >goleash.txt
for ((i = 0; i < $count; i++)); do
	for name in ${names[*]}; do
		./base.\$name.test $(printf '%q ' "${flags[@]}") >>go1.26.8.txt
		./fork.\$name.test $(printf '%q ' "${flags[@]}") >>goleash.txt
	done
done
EOF
chmod +x "$out/run.bash"
if [[ -n $build_only ]]; then
	echo "benchcmp: binaries and run.bash in $out"
	exit 0
fi

echo "benchcmp: running -count $count, alternating base and fork"
"$out/run.bash"

tools=$top/.goleash/tools
if [[ ! -x $tools/benchstat ]]; then
	GOBIN=$tools GOTOOLCHAIN=local GOFLAGS=-mod=mod "$basego" install "golang.org/x/perf/cmd/benchstat@$benchstat_version"
fi
(cd "$out" && "$tools/benchstat" go1.26.8.txt goleash.txt) | tee "$out/benchstat.txt"
echo "benchcmp: results in $out"
