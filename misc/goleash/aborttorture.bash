#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# aborttorture.bash is the long run of the abort torture test
# (TestAbortTorture and TestAbortFirstGC in package runtime; the programs
# are in src/runtime/testdata/testprognet/aborttorture.go). It runs the
# torture test in several configurations, GOMAXPROCS 1, 2 and 4, the race
# detector, and GODEBUG=gccheckmark=1, for a share of a time budget each,
# and prints a table of aborts and failures per configuration. It exits
# with status 1 if any process failed, and 2 if the configurations
# together aborted fewer goroutines than TORTURE_MIN_ABORTS.
#
#	TORTURE_MINUTES     the time budget for all configurations (default 15)
#	TORTURE_MIN_ABORTS  the fewest aborts in all (default 100000)
#	TORTURE_SEED        the seed of the first process (default: from the clock)
#
# The budget is spent on the torture processes; building the two test
# binaries and TestAbortFirstGC come on top (about two minutes on two
# cores). It uses the toolchain of this checkout.

set -euo pipefail

# The test binaries run in the package's directory: the torture test
# builds its programs from testdata.
cd "$(dirname "${BASH_SOURCE[0]}")/../../src/runtime"
export PATH="$(cd ../.. && pwd)/bin:$PATH"

minutes=${TORTURE_MINUTES:-15}
min_aborts=${TORTURE_MIN_ABORTS:-100000}
seed=${TORTURE_SEED:-$(date +%s)}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building the test binaries"
go test -c -o "$tmp/rt.test" runtime
go test -race -c -o "$tmp/rt.race.test" runtime

# name, binary, environment, share of the budget (in twelfths). The race
# detector slows the programs down about tenfold: it gets more time for
# fewer aborts.
configs=(
	"gomaxprocs=1|rt.test|GOMAXPROCS=1|2"
	"gomaxprocs=2|rt.test|GOMAXPROCS=2|2"
	"gomaxprocs=4|rt.test|GOMAXPROCS=4|2"
	"race|rt.race.test||4"
	"gccheckmark|rt.test|GODEBUG=gccheckmark=1|2"
)

total=0
failed=0
table=""
for c in "${configs[@]}"; do
	IFS='|' read -r name bin env share <<<"$c"
	budget=$((minutes * 60 * share / 12))
	echo "== $name: ${budget}s"
	log="$tmp/$name.log"
	status=0
	# Each process of the test gets its own seed; configurations get
	# seeds far apart.
	env $env GOLEASH_TORTURE_TIME="${budget}s" GOLEASH_TORTURE_SEED="$seed" \
		"$tmp/$bin" -test.run='^TestAbortTorture$' -test.v -test.timeout=$((budget + 900))s \
		>"$log" 2>&1 || status=$?
	seed=$((seed + 1000000))
	# Each subtest logs "abort-torture: NAME aborts=N processes=P failures=F".
	while read -r sub aborts procs failures; do
		table+=$(printf '%-14s %-10s %10s %10s %9s' "$name" "$sub" "${aborts#aborts=}" "${procs#processes=}" "${failures#failures=}")$'\n'
		total=$((total + ${aborts#aborts=}))
		if [ "${failures#failures=}" != 0 ]; then
			failed=1
		fi
	done < <(grep -o 'abort-torture: [a-z]* aborts=[0-9]* processes=[0-9]* failures=[0-9]*' "$log" | sed 's/^abort-torture: //')
	if [ "$status" != 0 ]; then
		failed=1
		table+=$(printf '%-14s test binary exited with status %d; output in the log below' "$name" "$status")$'\n'
		tail -n 200 "$log"
	fi
done

# The first GC of a fresh process, once per configuration.
for c in "${configs[@]}"; do
	IFS='|' read -r name bin env share <<<"$c"
	log="$tmp/$name.firstgc.log"
	if env $env "$tmp/$bin" -test.run='^TestAbortFirstGC$' -test.v -test.timeout=30m >"$log" 2>&1; then
		read -r aborts procs < <(sed -n 's/.*abort-torture: firstgc aborts=\([0-9]*\) processes=\([0-9]*\).*/\1 \2/p' "$log")
		table+=$(printf '%-14s %-10s %10s %10s %9s' "$name" "firstgc" "$aborts" "$procs" 0)$'\n'
		total=$((total + aborts))
	else
		failed=1
		table+=$(printf '%-14s %-10s %10s %10s %9s' "$name" "firstgc" "-" 20 "FAILED")$'\n'
		tail -n 100 "$log"
	fi
done

echo
printf '%-14s %-10s %10s %10s %9s\n' configuration subtest aborts processes failures
printf '%s' "$table"
echo "total: $total aborts"

if [ "$failed" != 0 ]; then
	echo "FAIL"
	exit 1
fi
if [ "$total" -lt "$min_aborts" ]; then
	echo "FAIL: $total aborts, fewer than $min_aborts: raise TORTURE_MINUTES"
	exit 2
fi
echo "PASS"
