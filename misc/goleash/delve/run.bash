#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# run.bash measures Delve's native backend bound to its ptrace thread with
# runtime.LockToRecvOSThread (delve.patch, built with -tags goleash) against
# stock Delve, side by side in one invocation, in three configurations:
#
#	stock-go1.26.8  stock Delve built with pristine go1.26.8 ($GOLEASH_PRISTINE,
#	                else /usr/local/go)
#	stock-fork      stock Delve built with the fork (bin/go)
#	bound-fork      Delve with delve.patch, built with the fork, -tags goleash
#
# It runs BenchmarkConditionalBreakpoints (pkg/proc; it sets b.N to 1) once
# per configuration per round, the configurations interleaved, -count rounds
# (5 unless told), then Delve's pkg/proc test suite (-short) once per
# configuration, and writes results/{results.json,report.md} (the table, and
# whether the same tests pass in every configuration) and results/delve.png.
#
# Usage: misc/goleash/delve/run.bash [-count N] [-no-tests] [-out DIR]
#
# Delve comes from the module proxy through the module cache, never from
# this repository; the plot needs gonum.org/v1/plot from the proxy too.
# About 15 minutes on 2 shared cores. It exits 1 if a benchmark run failed,
# the patch did not apply or build, its own tests failed, or the
# configurations do not pass the same tests.

set -uo pipefail

delve_version=v1.27.2 # as misc/goleash/ecosystem.bash and versions/go.mod

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
count=5
tests=1
out=$here/results
while (($#)); do
	case $1 in
	-count)
		count=$2
		shift
		;;
	-no-tests) tests= ;;
	-out)
		out=$2
		shift
		;;
	*)
		echo "usage: misc/goleash/delve/run.bash [-count N] [-no-tests] [-out DIR]" >&2
		exit 2
		;;
	esac
	shift
done

unset GOROOT GOBIN GOFLAGS GOEXPERIMENT GOTOOLCHAIN GODEBUG GOVERSION
base=$(grep -v '^#' "$top/misc/goleash/base.sum" | awk 'NF { print $1; exit }')
if [[ ! -x $top/bin/go ]]; then
	echo "run.bash: no bin/go: run ./make.bash first" >&2
	exit 2
fi
pristine=${GOLEASH_PRISTINE:-/usr/local/go}
if [[ $("$pristine/bin/go" env GOVERSION 2>/dev/null) != "$base" ]]; then
	echo "run.bash: $pristine is not pristine $base (set GOLEASH_PRISTINE to a $base distribution)" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/goleash-delve.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
raw=$work/raw
mkdir -p "$raw"

# with GOROOT CMD... runs CMD with the go command of GOROOT first on PATH
# (Delve's tests build their fixtures with it); -mod=mod lets Delve build
# in a copy of its module, which has no vendor directory.
with() {
	local goroot=$1
	shift
	PATH=$goroot/bin:$PATH GOROOT=$goroot GOTOOLCHAIN=local GOFLAGS=-mod=mod "$@"
}

echo "run.bash: fetching github.com/go-delve/delve@$delve_version"
if ! json=$(with "$top" go mod download -json "github.com/go-delve/delve@$delve_version" 2>&1); then
	echo "run.bash: cannot fetch Delve from GOPROXY=$(with "$top" go env GOPROXY):" >&2
	echo "$json" >&2
	exit 1
fi
dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")
for tree in stock patched; do
	cp -r "$dir" "$work/$tree"
	chmod -R u+w "$work/$tree"
	# A module zip keeps no file modes (TestFollowExecNonGo runs a .sh).
	find "$work/$tree" -name '*.sh' -exec chmod +x {} +
done
if ! (cd "$work/patched" && patch -s -p1 <"$here/delve.patch"); then
	echo "run.bash: delve.patch does not apply to Delve $delve_version" >&2
	exit 1
fi

configs=(stock-go1.26.8 stock-fork bound-fork)
declare -A goroot=([stock-go1.26.8]=$pristine [stock-fork]=$top [bound-fork]=$top)
declare -A tree=([stock-go1.26.8]=stock [stock-fork]=stock [bound-fork]=patched)
declare -A tags=([stock-go1.26.8]= [stock-fork]= [bound-fork]=goleash)
declare -A desc=(
	[stock-go1.26.8]="stock Delve, pristine $base"
	[stock-fork]="stock Delve, Goleash"
	[bound-fork]="Delve bound to its ptrace thread (delve.patch, -tags goleash), Goleash"
)

# The patch changes nothing without the tag: it builds with pristine Go
# (which has no LockToRecvOSThread), and its own tests pass with the fork.
echo "run.bash: the patched Delve without -tags goleash, with pristine $base: go build ./pkg/proc/..."
if ! (cd "$work/patched" && with "$pristine" go build ./pkg/proc/...); then
	echo "run.bash: the patched Delve does not build without the tag" >&2
	exit 1
fi
echo "run.bash: the patch's tests, with the fork: go test -tags goleash -run PtraceBind ./pkg/proc/native"
if ! (cd "$work/patched" && with "$top" go test -count=1 -tags goleash -run PtraceBind ./pkg/proc/native); then
	echo "run.bash: the patch's own tests fail" >&2
	exit 1
fi

for c in "${configs[@]}"; do
	echo "run.bash: building pkg/proc's tests for $c ($(with "${goroot[$c]}" go env GOVERSION)${tags[$c]:+, -tags ${tags[$c]}})"
	if ! (cd "$work/${tree[$c]}" && with "${goroot[$c]}" go test -c -tags "${tags[$c]}" -o "$work/$c.test" ./pkg/proc); then
		echo "run.bash: cannot build Delve's pkg/proc tests for $c" >&2
		exit 1
	fi
	mkdir -p "$work/tmp-$c"
done

# run CONFIG ARGS... runs CONFIG's pkg/proc test binary in its package
# directory (the tests find _fixtures from there), with its toolchain on PATH
# for the fixtures, and a temporary directory of its own.
run() {
	local c=$1
	shift
	(cd "$work/${tree[$c]}/pkg/proc" && TMPDIR=$work/tmp-$c with "${goroot[$c]}" "$work/$c.test" "$@")
}

load_start=$(cut -d' ' -f1 /proc/loadavg)
failed=0
for round in $(seq "$count"); do
	for c in "${configs[@]}"; do
		run "$c" -test.run '^$' -test.bench '^BenchmarkConditionalBreakpoints$' -test.timeout 10m >"$raw/bench-$c-$round.txt" 2>&1
		echo "run.bash: round $round/$count, $c: $(grep '^BenchmarkConditionalBreakpoints' "$raw/bench-$c-$round.txt" || echo FAILED)"
	done
done

declare -A suite
for c in "${configs[@]}"; do
	suite[$c]=0
	[[ -n $tests ]] || continue
	echo "run.bash: $c: pkg/proc tests, -short"
	start=$SECONDS
	run "$c" -test.short -test.v=test2json -test.timeout 30m 2>&1 |
		with "${goroot[$c]}" go tool test2json -t -p github.com/go-delve/delve/pkg/proc >"$raw/tests-$c.json"
	suite[$c]=$((SECONDS - start))
	echo "run.bash: $c: pkg/proc tests took ${suite[$c]}s"
done
[[ -n $tests ]] || for c in "${configs[@]}"; do : >"$raw/tests-$c.json"; done

for c in "${configs[@]}"; do
	printf '%s\t%s\t%s\t%s\t%s\n' "$c" "${desc[$c]}" "$(with "${goroot[$c]}" go env GOVERSION)" "$delve_version" "${suite[$c]}"
done >"$raw/configs.tsv"
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
machine="$(nproc) cores, $cpu, load average $load_start at the start and $(cut -d' ' -f1 /proc/loadavg) at the end"
(cd "$here" && with "$top" go run . -raw "$raw" -out "$out" -machine "$machine") || failed=1
# The benchmark's raw output (the tests' is in results.json).
rm -f "$out"/bench-*.txt && cp "$raw"/bench-*.txt "$out/"
(cd "$here/_plot" && with "$top" go run . "$out") || failed=1
exit $failed
