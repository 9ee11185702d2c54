#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# aborttorture.bash is the long run of the abort torture test
# (TestAbortTorture and TestAbortFirstGC in package runtime; the programs
# are in src/runtime/testdata/testprognet/aborttorture.go). It runs the
# torture test in several configurations, GOMAXPROCS 1, 2 and 4, the race
# detector, GODEBUG=gccheckmark=1, and linux/386 (natively: a port that
# passes results in memory, whose code the compiler's abort marks treat
# apart), and prints a table of aborts and failures per configuration. It exits with status 1 if any process
# failed, and 2 if the configurations together aborted fewer goroutines
# than TORTURE_MIN_ABORTS.
#
#	TORTURE_MINUTES     how long each configuration runs (default 15)
#	TORTURE_PARALLEL    how many configurations run at once (default 6: all)
#	TORTURE_MIN_ABORTS  the fewest aborts in all (default 100000)
#	TORTURE_SEED        the seed of the first process (default: from the clock)
#
# A torture process spends most of its time waiting (the sleeps before
# its aborts, the GCs and checks after every round): one takes about a
# quarter of a core. So the configurations run side by side, each for
# the whole budget. Each then runs TestAbortFirstGC (20 fresh processes
# of 100 rounds), a few minutes more, and building the three test binaries
# comes first (about two minutes on two cores). It uses the toolchain of
# this checkout.

set -euo pipefail

# The test binaries run in the package's directory: the torture test
# builds its programs from testdata.
cd "$(dirname "${BASH_SOURCE[0]}")/../../src/runtime"
export PATH="$(cd ../.. && pwd)/bin:$PATH"

minutes=${TORTURE_MINUTES:-15}
parallel=${TORTURE_PARALLEL:-6}
min_aborts=${TORTURE_MIN_ABORTS:-100000}
seed=${TORTURE_SEED:-$(date +%s)}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building the test binaries"
go test -c -o "$tmp/rt.test" runtime
go test -race -c -o "$tmp/rt.race.test" runtime
GOARCH=386 go test -c -o "$tmp/rt.386.test" runtime

# name, binary, environment.
configs=(
	"gomaxprocs=1|rt.test|GOMAXPROCS=1"
	"gomaxprocs=2|rt.test|GOMAXPROCS=2"
	"gomaxprocs=4|rt.test|GOMAXPROCS=4"
	"race|rt.race.test|"
	"gccheckmark|rt.test|GODEBUG=gccheckmark=1"
	"386|rt.386.test|GOARCH=386" # GOARCH: the programs it builds are for 386 too
)

# runconfig runs one configuration with the given seed and writes its
# rows of the table to $tmp/NAME.table, and a line to $tmp/NAME.failed if
# anything failed.
runconfig() {
	local name=$1 bin=$2 env=$3 seed=$4
	local budget=$((minutes * 60))
	local log="$tmp/$name.log" status=0 rows=""
	# Each process of the test gets its own seed; configurations get
	# seeds far apart.
	env $env GOLEASH_TORTURE_TIME="${budget}s" GOLEASH_TORTURE_SEED="$seed" \
		"$tmp/$bin" -test.run='^TestAbortTorture$' -test.v -test.timeout=$((budget + 1800))s \
		>"$log" 2>&1 || status=$?
	# Each subtest logs "abort-torture: NAME aborts=N processes=P failures=F".
	while read -r sub aborts procs failures; do
		rows+=$(printf '%-14s %-10s %10s %10s %9s' "$name" "$sub" "${aborts#aborts=}" "${procs#processes=}" "${failures#failures=}")$'\n'
		if [ "${failures#failures=}" != 0 ]; then
			echo "$name: $sub failed" >>"$tmp/$name.failed"
		fi
	done < <(grep -o 'abort-torture: [a-z]* aborts=[0-9]* processes=[0-9]* failures=[0-9]*' "$log" | sed 's/^abort-torture: //')
	if [ "$status" != 0 ]; then
		echo "$name: test binary exited with status $status" >>"$tmp/$name.failed"
	fi

	# The first GC of a fresh process.
	local gclog="$tmp/$name.firstgc.log"
	if env $env "$tmp/$bin" -test.run='^TestAbortFirstGC$' -test.v -test.timeout=30m >"$gclog" 2>&1; then
		read -r aborts procs < <(sed -n 's/.*abort-torture: firstgc aborts=\([0-9]*\) processes=\([0-9]*\).*/\1 \2/p' "$gclog")
		rows+=$(printf '%-14s %-10s %10s %10s %9s' "$name" "firstgc" "$aborts" "$procs" 0)$'\n'
	else
		rows+=$(printf '%-14s %-10s %10s %10s %9s' "$name" "firstgc" "-" 20 "FAILED")$'\n'
		echo "$name: firstgc failed" >>"$tmp/$name.failed"
	fi
	printf '%s' "$rows" >"$tmp/$name.table"
}

running=0
for c in "${configs[@]}"; do
	IFS='|' read -r name bin env <<<"$c"
	echo "== $name: ${minutes} min"
	runconfig "$name" "$bin" "$env" "$seed" &
	seed=$((seed + 1000000))
	running=$((running + 1))
	if [ "$running" -ge "$parallel" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait

total=0
failed=0
echo
printf '%-14s %-10s %10s %10s %9s\n' configuration subtest aborts processes failures
for c in "${configs[@]}"; do
	IFS='|' read -r name bin env <<<"$c"
	cat "$tmp/$name.table"
	while read -r _ _ aborts _ _; do
		[ "$aborts" = - ] || total=$((total + aborts))
	done <"$tmp/$name.table"
done
echo "total: $total aborts"
for c in "${configs[@]}"; do
	IFS='|' read -r name bin env <<<"$c"
	if [ -f "$tmp/$name.failed" ]; then
		failed=1
		cat "$tmp/$name.failed"
		echo "--- the end of $name's logs:"
		tail -n 150 "$tmp/$name.log"
		tail -n 50 "$tmp/$name.firstgc.log"
	fi
done

if [ "$failed" != 0 ]; then
	echo "FAIL"
	exit 1
fi
if [ "$total" -lt "$min_aborts" ]; then
	echo "FAIL: $total aborts, fewer than $min_aborts: raise TORTURE_MINUTES"
	exit 2
fi
echo "PASS"
