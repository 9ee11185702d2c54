#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# run.bash runs Goleash's test suite with the toolchain that ./make.bash built.
#
# Usage: ./run.bash [--full]
#
# The default suite, in -short mode where Go has one, runs:
#
#	fork        the tests of the build itself (misc/goleash/*_test.bash)
#	ports       cross-builds for the ports Go supports: std for the
#	            first-class ones, the fork's packages for the others, the
#	            fork's test binaries for all (misc/goleash/ports.bash -ci)
#	qemu-arm64  the fork's runtime, sync, testing and runtime/pprof tests
#	            for linux/arm64 under qemu-user (misc/goleash/qemu.bash
#	            -short); it fails if qemu-aarch64 is not registered with
#	            binfmt_misc, which .ci/run sets up
#	qemu-32bit  the same tests for linux/386, natively, and linux/arm under
#	            qemu-user: the ports that pass results in memory, whose
#	            code the compiler's abort marks treat apart
#	api         the API check against api/ (go1.*.txt and the fork's api/next)
#	relnote     every api/next file has its release note under doc/next
#	testdir     the fork's own files under test/, through cmd/internal/testdir
#	goscripts   the cmd/go script tests that the fork adds or patches
#	regression  upstream's tests of the packages the fork touches, and of
#	            runtime, sync, time, context, os/signal, net/http,
#	            encoding/json and testing
#
# --full runs upstream's whole suite (go tool dist test) instead of the
# regression set; it takes hours on 2 cores.
#
# Each step's output goes to the terminal and to .goleash/test/STEP.log. The
# last line is a summary, "run.bash: N passed, N failed", and the exit status
# is 0 only when no step failed.
#
# On a base without test/ or api/ (the toolchain module that ./make.bash
# fetches when no go1.26.8 distribution is installed), the steps that need
# them (api, testdir; dist with --full) are not run: each says so in its
# line, they count neither as passed nor as failed, and the line before the
# summary, "run.bash: N not run, ...", names them. With a full distribution
# (CI) every step runs.

set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$top"

full=
for arg in "$@"; do
	case $arg in
	--full) full=1 ;;
	*)
		echo "usage: ./run.bash [--full]" >&2
		exit 2
		;;
	esac
done

if [[ ! -x bin/go ]]; then
	echo "run.bash: no bin/go: run ./make.bash first" >&2
	exit 2
fi
unset GOROOT GOBIN GOFLAGS GOEXPERIMENT GOTOOLCHAIN GODEBUG
export PATH=$top/bin:$PATH
if [[ $(go env GOROOT) != "$top" ]]; then
	echo "run.bash: bin/go reports GOROOT $(go env GOROOT), not $top" >&2
	exit 2
fi

logs=$top/.goleash/test
mkdir -p "$logs"
passed=()
failed=()
notrun=()

# base_has DIR reports whether the base that ./make.bash materialized had
# files under DIR. The toolchain module from the module proxy, which
# ./make.bash falls back to, has no test/, api/, doc/ or misc/.
base_has() { grep -q "^[0-9a-f]*  $1/" "$top/.goleash/base.sums" 2>/dev/null; }
base_kind=$(cat "$top/.goleash/base.kind" 2>/dev/null || echo unknown)

# needs DIR... -- NAME CMD... runs step NAME only if the base had every DIR;
# otherwise the step is not run, neither passed nor failed.
needs() {
	local dirs=() lack=() d
	while [[ $1 != -- ]]; do
		dirs+=("$1")
		shift
	done
	shift
	for d in "${dirs[@]}"; do
		base_has "$d" || lack+=("$d/")
	done
	if ((${#lack[@]})); then
		notrun+=("$1")
		echo
		echo "##### $1: NOT RUN: the base ($base_kind) has no ${lack[*]}; it needs a full go1.26.8 distribution (GOLEASH_BASE)"
		return
	fi
	step "$@"
}

# step NAME CMD... runs one step of the suite and records its result.
step() {
	local name=$1 start rc
	shift
	echo
	echo "##### $name: $*"
	start=$SECONDS
	"$@" 2>&1 | tee "$logs/$name.log"
	rc=${PIPESTATUS[0]}
	if ((rc == 0)); then
		passed+=("$name")
		echo "##### $name: ok ($((SECONDS - start))s)"
	else
		failed+=("$name")
		echo "##### $name: FAILED, exit status $rc ($((SECONDS - start))s)"
	fi
}

# regexp_of prints an alternation of its arguments for go test -run.
regexp_of() {
	local IFS='|'
	printf '%s' "$*"
}

# The fork's own files and patches say which upstream tests it must rerun.
# Untracked files count too, so that new work is tested before it is committed.
mapfile -t fork_files < <(git ls-files --cached --others --exclude-standard src test)
mapfile -t patched < <(git ls-files --cached --others --exclude-standard patches | sed -n 's|^patches/\(.*\)\.patch$|\1|p')
touched=("${fork_files[@]}" "${patched[@]}")

# Test files of test/ that the fork adds or changes, by testdir's names.
mapfile -t testdir_files < <(printf '%s\n' "${touched[@]}" | sed -n 's|^test/\(.*\.go\)$|\1|p' | LC_ALL=C sort -u)

# cmd/go script tests that the fork adds or changes.
mapfile -t go_scripts < <(printf '%s\n' "${touched[@]}" |
	sed -n 's|^src/cmd/go/testdata/script/\(.*\)\.txt$|\1|p' | LC_ALL=C sort -u)

# Packages whose sources the fork adds or changes, besides cmd/go and
# cmd/internal/testdir, whose long tests run by the steps above.
mapfile -t pkgs < <(
	{
		printf '%s\n' runtime sync time context os/signal net/http encoding/json testing
		printf '%s\n' "${touched[@]}" | sed -n 's|^src/\(.*\)/[^/]*\.go$|\1|p' |
			grep -v -e '/testdata\(/\|$\)' -e '^cmd/go$' -e '^cmd/internal/testdir$' -e '^cmd/api$' -e '^cmd/relnote$'
	} | LC_ALL=C sort -u
)

for t in misc/goleash/*_test.bash; do
	step "fork-$(basename "$t" _test.bash)" bash "$t"
done
step ports bash misc/goleash/ports.bash -ci
step qemu-arm64 bash misc/goleash/qemu.bash -short arm64
step qemu-32bit bash misc/goleash/qemu.bash -short 386 arm
needs api -- api go test -count=1 -run '^TestCheck$' cmd/api -check
step relnote go test -count=1 cmd/relnote -check
if ((${#testdir_files[@]})); then
	needs test -- testdir go test -count=1 cmd/internal/testdir -run "^Test/($(regexp_of "${testdir_files[@]}"))\$"
fi
if ((${#go_scripts[@]})); then
	step goscripts go test -count=1 cmd/go -run "^TestScript/($(regexp_of "${go_scripts[@]}"))\$"
fi
if [[ -n $full ]]; then
	needs test api misc -- dist go tool dist test
else
	step regression go test -short "${pkgs[@]}"
fi

echo
if ((${#failed[@]})); then
	echo "run.bash: failed steps: ${failed[*]} (logs in .goleash/test/)"
fi
if ((${#notrun[@]})); then
	echo "run.bash: ${#notrun[@]} not run, for want of a full go1.26.8 base: ${notrun[*]}"
fi
echo "run.bash: ${#passed[@]} passed, ${#failed[@]} failed"
((${#failed[@]} == 0))
