#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# qemu.bash runs the fork's own tests for other Linux architectures under
# qemu-user, and, with -control, the same packages' upstream tests with a
# pristine go1.26.8 as the control.
#
# Usage: misc/goleash/qemu.bash [-short] [-control GOROOT] [GOARCH...]
#
# GOARCH defaults to arm64. The test binaries are cross-compiled with
# GOARCH set and run by the kernel through binfmt_misc, which hands them
# to qemu-user (Debian's qemu-user-static and binfmt-support register
# it): the runtime's tests build and start helper programs (testprog),
# which must run there too, so go test -exec with a wrapper is not
# enough. 386 needs no emulator: an amd64 kernel runs it natively.
#
#	-short    the short list, for ./run.bash (steps qemu-arm64, qemu-32bit): leaves
#	          out the runtime's three longest abort tests (TestAbortFirstGC,
#	          TestAbortTorture, TestAbortUnrecovered, 2 minutes under
#	          qemu-aarch64) and net/http's abort tests
#	-control  run upstream tests of the same packages with the go command
#	          of GOROOT (a pristine go1.26.8) instead of the fork's tests
#
# The tests, in -short mode:
#
#	runtime       Abort|LockToRecv|GoroutineLeak|Goleak (control:
#	              Preempt|Signal|Stack|LockOSThread|GC)
#	sync          all
#	testing       Goleakgc|GoroutineLeak (control: all)
#	runtime/pprof GoroutineLeak (control: GoroutineProfile)
#	net/http      Abort|HandlerAborted (control: Handler); not with -short
#
# It exits with status 1 if a test failed, 2 if an architecture cannot run
# here (no qemu-user registered for it).

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
short=
goroot=$top
control=
arches=()
while (($#)); do
	case $1 in
	-short) short=1 ;;
	-control)
		control=1
		goroot=$2
		shift
		;;
	-h | --help)
		sed -n '/^# Usage/,/^# It exits/p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "usage: misc/goleash/qemu.bash [-short] [-control GOROOT] [GOARCH...]" >&2
		exit 2
		;;
	*) arches+=("$1") ;;
	esac
	shift
done
((${#arches[@]})) || arches=(arm64)
unset GOFLAGS GOEXPERIMENT GODEBUG GOROOT GOBIN GOTOOLCHAIN GOOS GO386 GOARM GOARM64
export PATH=$goroot/bin:$PATH
export CGO_ENABLED=0
cd "$goroot/src"

# qemu_name GOARCH prints qemu's name for GOARCH, or nothing for 386.
qemu_name() {
	case $1 in
	386) ;;
	amd64) echo x86_64 ;;
	arm64) echo aarch64 ;;
	arm) echo arm ;;
	loong64) echo loongarch64 ;;
	*) echo "$1" ;;
	esac
}

# registered GOARCH reports whether this kernel can run GOARCH's programs.
registered() {
	local q
	q=$(qemu_name "$1")
	[[ -z $q ]] && return 0
	if [[ ! -x /usr/bin/qemu-$q-static ]]; then
		echo "qemu.bash: no /usr/bin/qemu-$q-static: install Debian's qemu-user-static (.ci/run does)" >&2
		return 1
	fi
	if ! grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$q" 2>/dev/null; then
		echo "qemu.bash: qemu-$q is not registered with binfmt_misc (/proc/sys/fs/binfmt_misc/qemu-$q):" \
			"install binfmt-support, mount binfmt_misc and run update-binfmts --enable qemu-$q (.ci/run does)" >&2
		return 1
	fi
}

if [[ -n $control ]]; then
	tests=(
		"runtime Preempt|Signal|Stack|LockOSThread|GC"
		"sync ."
		"testing ."
		"runtime/pprof GoroutineProfile"
	)
	[[ -n $short ]] || tests+=("net/http Handler")
else
	tests=(
		"runtime Abort|LockToRecv|GoroutineLeak|Goleak"
		"sync ."
		"testing Goleakgc|GoroutineLeak"
		"runtime/pprof GoroutineLeak"
	)
	[[ -n $short ]] || tests+=("net/http Abort|HandlerAborted")
fi
skip='^$'
[[ -z $short || -n $control ]] || skip='^(TestAbortFirstGC|TestAbortTorture|TestAbortUnrecovered)$'

echo "qemu.bash: $(go version), ${arches[*]}"
status=0
rows=()
for arch in "${arches[@]}"; do
	if ! registered "$arch"; then
		status=2
		rows+=("$(printf '%-8s %-14s %s' "$arch" - "NOT RUN: no qemu-user for it")")
		continue
	fi
	for t in "${tests[@]}"; do
		read -r pkg run <<<"$t"
		start=$SECONDS
		log=$(mktemp)
		if GOARCH=$arch go test -count=1 -short -timeout 15m -v -run "$run" -skip "$skip" "$pkg" >"$log" 2>&1; then
			result=ok
		else
			result=FAIL
			status=1
		fi
		passed=$(grep -c '^\s*--- PASS' "$log" || true)
		skipped=$(grep -c '^\s*--- SKIP' "$log" || true)
		failed=$(grep -c '^\s*--- FAIL' "$log" || true)
		row=$(printf '%-8s %-14s %-4s %4d passed %3d skipped %3d failed %4ds' "$arch" "$pkg" "$result" "$passed" "$skipped" "$failed" $((SECONDS - start)))
		echo "$row"
		rows+=("$row")
		# The summary at the end names what failed, and what crashed the
		# test binary (a fatal error prints no "--- FAIL" line): CI shows
		# only the end of the output.
		if [[ $result == FAIL ]]; then
			while IFS= read -r line; do
				rows+=("    $line")
			done < <(grep -E '^\s*--- FAIL|^(fatal error|panic): ' "$log" | head -n 5 || true)
		fi
		# Name the skips and the failures, with their reason.
		grep -B1 -E '^\s*--- (SKIP|FAIL)' "$log" | grep -v '^--$' | sed 's/^/    /' | head -n 40 || true
		if [[ $result == FAIL ]]; then
			tail -n 40 "$log" | sed 's/^/    /'
		fi
		rm -f "$log"
	done
done
echo
printf '%s\n' "${rows[@]}"
exit $status
