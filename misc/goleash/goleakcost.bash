#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# goleakcost.bash measures what go test -goleakgc costs:
#
#  1. on standard library packages: the same test binary run with and
#     without -test.goleakgc, in -short mode;
#  2. on a synthetic package of 200 tests whose goroutines all finish, and
#     some long-lived ones blocked on a global channel: plain, -goleakgc,
#     go.uber.org/goleak's VerifyTestMain, and goleak.VerifyNone after
#     each test (from the module proxy).
#
# Usage: misc/goleash/goleakcost.bash [-runs N] [PKG...]
#
# Each binary runs N times (default 5), alternating the variants; the
# median wall time of each is printed.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=5
if [[ ${1:-} == -runs ]]; then
	runs=$2
	shift 2
fi
pkgs=("$@")
((${#pkgs[@]})) || pkgs=(context sync encoding/json os/exec net/http)
goleak_version=v1.3.0
export PATH=$top/bin:$PATH
unset GOFLAGS GOEXPERIMENT GODEBUG GOROOT

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# median CMD... runs CMD $runs times and prints the median wall time.
declare -A times
measure() {
	local key=$1 start end
	shift
	start=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	end=$(date +%s.%N)
	times[$key]+="$(echo "$end - $start" | bc) "
}
median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
}

echo "standard library, -short, $runs runs each (median seconds):"
printf '%-16s %10s %10s %8s\n' package plain goleakgc ratio
for pkg in "${pkgs[@]}"; do
	bin=$work/${pkg//\//_}.test
	go test -c -o "$bin" "$pkg"
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for ((i = 0; i < runs; i++)); do
		measure "$pkg plain" sh -c "cd $dir && $bin -test.short"
		measure "$pkg leak" sh -c "cd $dir && $bin -test.short -test.goleakgc"
	done
	p=$(median "${times[$pkg plain]}")
	l=$(median "${times[$pkg leak]}")
	printf '%-16s %10s %10s %8.2f\n' "$pkg" "$p" "$l" "$(echo "$l / $p" | bc -l)"
done

# The synthetic package.
mod=$work/synth
mkdir -p "$mod"
cat >"$mod/go.mod" <<EOF
module synth

go 1.26

require go.uber.org/goleak $goleak_version
EOF
cat >"$mod/synth_test.go" <<'EOF'
package synth

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

var background = make(chan int)

func TestMain(m *testing.M) {
	switch os.Getenv("SYNTH_MODE") {
	case "verifytestmain":
		goleak.VerifyTestMain(m)
	default:
		os.Exit(m.Run())
	}
}

func TestSynth(t *testing.T) {
	for i := range 200 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if os.Getenv("SYNTH_MODE") == "verifynone" {
				defer goleak.VerifyNone(t)
			}
			var wg sync.WaitGroup
			results := make(chan int)
			for j := range 10 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results <- j * j
				}()
			}
			go func() { wg.Wait(); close(results) }()
			sum := 0
			for r := range results {
				sum += r
			}
			if sum != 285 {
				t.Fatal(sum)
			}
		})
	}
}
EOF
(cd "$mod" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 && GOFLAGS=-mod=mod go test -c -o synth.test .)
for ((i = 0; i < runs; i++)); do
	measure "synth plain" "$mod/synth.test"
	measure "synth goleakgc" "$mod/synth.test" -test.goleakgc
	measure "synth verifytestmain" env SYNTH_MODE=verifytestmain "$mod/synth.test"
	measure "synth verifynone" env SYNTH_MODE=verifynone "$mod/synth.test"
done
echo
echo "200 tests x 10 goroutines, all finishing ($runs runs, median seconds):"
p=$(median "${times[synth plain]}")
for v in plain goleakgc verifytestmain verifynone; do
	m=$(median "${times[synth $v]}")
	printf '%-16s %10s %8.2fx\n' "$v" "$m" "$(echo "$m / $p" | bc -l)"
done
