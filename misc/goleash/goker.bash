#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# goker.bash measures how many of the goker bugs (66 minimized real-world
# goroutine leaks, src/runtime/testdata/testgoroutineleakprofile/goker) two
# detectors find:
#
#	upstream  go1.26.8 with GOEXPERIMENT=goroutineleakprofile: each bug runs
#	          as its own process, as runtime's TestGoroutineLeakProfile runs
#	          it, and counts as found when the goroutineleak profile it
#	          writes (debug=2) shows a leaked goroutine;
#	profile   the same, built by this checkout's bin/go: the fork's detector
#	          (the profile is always on), run as upstream runs it;
#	goleakgc  this checkout's bin/go: all bugs run as subtests of one test
#	          binary under go test -goleakgc, and a bug counts as found when
#	          its subtest fails with a leak report naming it.
#
# Usage: misc/goleash/goker.bash [-runs N]
#
# With -runs N (default 3) each detector runs N times; a bug counts as
# found by a detector when any run found it, and the per-run rates are
# printed too. Results go to the terminal; work files to a temporary
# directory that is removed afterwards.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=3
if [[ ${1:-} == -runs ]]; then
	runs=$2
fi
# shellcheck source=sync.bash
source "$top/misc/goleash/sync.bash"
state=${state:-$top/.goleash}
find_base "$top/misc/goleash/base.sum" # sets base
src=$top/src/runtime/testdata/testgoroutineleakprofile/goker
[[ -x $top/bin/go ]] || { echo "goker: run ./make.bash first" >&2; exit 2; }
[[ -d $src ]] || { echo "goker: no $src: run ./make.bash first" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset GOFLAGS GOEXPERIMENT GODEBUG GOROOT

# Upstream: the goker programs as they are, one process per bug.
mkdir -p "$work/up"
cp "$src"/*.go "$work/up/"
printf 'module goker\n\ngo 1.26\n' >"$work/up/go.mod"
(cd "$work/up" && GOEXPERIMENT=goroutineleakprofile GOTOOLCHAIN=local "$base/bin/go" build -o goker.exe .)
(cd "$work/up" && "$top/bin/go" build -o goker-fork.exe .)
mapfile -t bugs < <(grep -ho 'register("[A-Za-z0-9_]*"' "$src"/*.go | sed 's/register("\(.*\)"/\1/' | sort)

# goleakgc: the same programs as subtests. The programs write the profile
# themselves (debug=2, every goroutine); that output is dropped.
mkdir -p "$work/gc"
for f in "$src"/*.go; do
	[[ $(basename "$f") == main.go ]] && continue
	sed -e 's/^package main$/package goker/' -e 's/prof\.WriteTo(os\.Stdout, 2)/prof.WriteTo(discard{os.Stdout}, 2)/' \
		"$f" >"$work/gc/$(basename "$f")"
done
cat >"$work/gc/main_test.go" <<'EOF'
package goker

import (
	"io"
	"sort"
	"testing"
)

// discard drops the profiles that the programs write.
type discard struct{ io.Writer }

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// yieldCount is as in the programs' main.go.
const yieldCount = 10

var cmds = map[string]func(){}

func register(name string, f func()) { cmds[name] = f }

func TestGoker(t *testing.T) {
	var names []string
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) { cmds[name]() })
	}
}
EOF
printf 'module goker\n\ngo 1.26\n' >"$work/gc/go.mod"
(cd "$work/gc" && "$top/bin/go" test -c -o goker.test .)

declare -A up_found gc_found fork_found
for ((r = 1; r <= runs; r++)); do
	n_up=0
	n_fork=0
	for b in "${bugs[@]}"; do
		if (cd "$work/up" && timeout 60 ./goker.exe "$b" 2>&1) | grep -q '(leaked)'; then
			up_found[$b]=1
			n_up=$((n_up + 1))
		fi
		if (cd "$work/up" && timeout 60 ./goker-fork.exe "$b" 2>&1) | grep -q '(leaked)'; then
			fork_found[$b]=1
			n_fork=$((n_fork + 1))
		fi
	done
	out=$(cd "$work/gc" && timeout 600 ./goker.test -test.goleakgc -test.v 2>&1 || true)
	n_gc=0
	for b in "${bugs[@]}"; do
		if grep -q "goleakgc: TestGoker/$b leaked" <<<"$out"; then
			gc_found[$b]=1
			n_gc=$((n_gc + 1))
		fi
	done
	echo "run $r: upstream profile found $n_up of ${#bugs[@]} bugs; the fork's profile $n_fork; go test -goleakgc $n_gc"
done

n_fork=0
for b in "${bugs[@]}"; do
	[[ -z ${fork_found[$b]:-} ]] || n_fork=$((n_fork + 1))
done
both=0 only_up=() only_gc=() neither=()
for b in "${bugs[@]}"; do
	case ${up_found[$b]:-0}${gc_found[$b]:-0} in
	11) both=$((both + 1)) ;;
	10) only_up+=("$b") ;;
	01) only_gc+=("$b") ;;
	00) neither+=("$b") ;;
	esac
done
echo "over $runs runs: upstream profile found $(( both + ${#only_up[@]} )) of ${#bugs[@]}, the fork's profile $n_fork, go test -goleakgc $(( both + ${#only_gc[@]} ))"
echo "found only by upstream: ${only_up[*]:-none}"
echo "found only by goleakgc: ${only_gc[*]:-none}"
echo "found by neither: ${neither[*]:-none}"
