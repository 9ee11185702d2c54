#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# delve_test.bash, the fork-delve step of ./run.bash, checks
# misc/goleash/delve/delve.patch against the Delve that delve/run.bash
# pins: it applies; without -tags goleash the patched Delve builds with
# pristine go1.26.8 (which has no LockToRecvOSThread); with the fork and the
# tag, the patch's own tests (TestPtraceBind*) pass, and so do the pkg/proc
# tests below, which run each bound command (Continue, Next, Step, StepOut,
# StepInstruction, a conditional breakpoint, function calls, which nest
# Continue) and a target that exits, forks or is halted while a command is
# bound. The measurement against stock Delve is delve/run.bash, by hand
# (about 15 minutes). Delve comes from the module cache, or the module proxy
# the first time; the copy stays in .goleash/delve, so that a second run
# hits the build cache: about 30 s warm on 2 shared cores.

set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
unset GOROOT GOBIN GOFLAGS GOEXPERIMENT GOTOOLCHAIN GODEBUG GOVERSION
delve_version=$(sed -n 's/^delve_version=\([^ ]*\).*/\1/p' misc/goleash/delve/run.bash)
base=$(grep -v '^#' misc/goleash/base.sum | awk 'NF { print $1; exit }')
pristine=${GOLEASH_PRISTINE:-/usr/local/go}
if [[ $("$pristine/bin/go" env GOVERSION 2>/dev/null) != "$base" ]]; then
	echo "delve_test: $pristine is not pristine $base (set GOLEASH_PRISTINE to a $base distribution)"
	exit 1
fi
tests='TestExit|TestExitAfterContinue|TestHalt|TestKill|TestNextGeneral|TestNextConcurrent|TestStepOut|TestStepOutDefer|TestStepInstruction|TestCondBreakpoint|TestCallConcurrent|TestFollowExec|TestManualStopWhileStopped'

with() {
	local goroot=$1
	shift
	PATH=$goroot/bin:$PATH GOROOT=$goroot GOTOOLCHAIN=local GOFLAGS=-mod=mod "$@"
}

if ! json=$(with "$top" go mod download -json "github.com/go-delve/delve@$delve_version" 2>&1); then
	echo "delve_test: cannot fetch Delve $delve_version from GOPROXY=$(with "$top" go env GOPROXY) (or the module cache):"
	echo "$json"
	exit 1
fi
dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")
work=$top/.goleash/delve
chmod -R u+w "$work" 2>/dev/null
rm -rf "$work"
mkdir -p "$work/tmp"
cp -r "$dir" "$work/delve"
chmod -R u+w "$work/delve"
find "$work/delve" -name '*.sh' -exec chmod +x {} +
if ! (cd "$work/delve" && patch -s -p1 <"$top/misc/goleash/delve/delve.patch"); then
	echo "delve_test: FAIL: delve.patch does not apply to Delve $delve_version"
	exit 1
fi
cd "$work/delve"
echo "delve_test: without -tags goleash, with pristine $base: go build ./pkg/proc/..."
with "$pristine" go build ./pkg/proc/... || exit 1
echo "delve_test: with the fork, -tags goleash: go test -run PtraceBind ./pkg/proc/native"
with "$top" go test -count=1 -tags goleash -run PtraceBind ./pkg/proc/native || exit 1
echo "delve_test: with the fork, -tags goleash: go test -run '^($tests)\$' ./pkg/proc"
TMPDIR=$work/tmp with "$top" go test -count=1 -tags goleash -timeout 5m -run "^($tests)\$" ./pkg/proc || exit 1
