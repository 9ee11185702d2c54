#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# ports.bash cross-builds Goleash for the ports Go supports, with this
# checkout's bin/go and CGO_ENABLED=0, and prints a table of what built.
#
# Usage: misc/goleash/ports.bash [-ci] [-all] [-cold] [-notests] [PORT...]
#
# By default it builds, for each port:
#
#	std    go build -o /dev/null std, for every port below
#	cmd    go build -o /dev/null cmd, for the first-class ports (and
#	       windows/arm64, which upstream builds cmd for too)
#	tests  go test -c -o /dev/null of the packages the fork adds files to or
#	       patches (runtime, sync, testing, net/http, ...): their test files
#	       carry port-specific code too; for every port
#
# The first-class ports are those of go tool dist list -json; go1.26.8 has
# no windows/arm any more. The secondary ports are the ones upstream's
# builders cover that the issue names; -all adds every other port of
# go tool dist list (std and tests only).
#
#	-ci       the subset that ./run.bash runs (step ports), sized for a
#	          build cache that a runtime change has emptied (every package
#	          imports runtime): for every port the fork's packages below
#	          net/http (runtime, sync, time, testing, runtime/pprof, ...),
#	          where its port-specific code is, about 15 s a port; std and
#	          the test binaries of runtime, sync, testing and runtime/pprof
#	          for linux/386, the 32-bit port, and windows/amd64, the one
#	          without signals; no cmd (the fork's changes there are
#	          portable Go). Cold, about 8 minutes on 2 cores; warm, under
#	          a minute. The qemu-arm64 step builds and runs linux/arm64's
#	          test binaries.
#	-all      every port of go tool dist list
#	-cold     build each port twice, first with an empty build cache of its
#	          own (GOCACHE in a temporary directory), then again with it
#	          warm, and print both times
#	-notests  do not build the test binaries
#	PORT...   only these ports (GOOS/GOARCH), of the selected set
#
# Without -cold the builds use the usual build cache, so the times are
# those of whatever it holds. The exit status is 1 if any build failed; the
# first lines of each failure's output follow the table.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top/src"
export PATH=$top/bin:$PATH
unset GOFLAGS GOEXPERIMENT GODEBUG GOROOT GOBIN GOTOOLCHAIN GO386 GOARM GOAMD64 GOARM64 GOMIPS64 GOPPC64 GORISCV64
export CGO_ENABLED=0

ci=
all=
cold=
tests=1
only=()
for arg in "$@"; do
	case $arg in
	-ci) ci=1 ;;
	-all) all=1 ;;
	-cold) cold=1 ;;
	-notests) tests= ;;
	-h | --help)
		sed -n '/^# Usage/,/^# Without/p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "usage: misc/goleash/ports.bash [-ci] [-all] [-cold] [-notests] [PORT...]" >&2
		exit 2
		;;
	*) only+=("$arg") ;;
	esac
done

first=(linux/amd64 linux/arm64 linux/386 linux/arm darwin/amd64 darwin/arm64 windows/amd64 windows/386 windows/arm64)
second=(linux/riscv64 linux/ppc64le linux/s390x linux/loong64 linux/mips64le freebsd/amd64 openbsd/amd64 netbsd/amd64 plan9/amd64 js/wasm wasip1/wasm)

# The packages the fork adds files to or patches, outside cmd: their test
# files are built for every port.
mapfile -t fork_pkgs < <(
	cd "$top"
	{
		git ls-files --cached --others --exclude-standard src
		git ls-files --cached --others --exclude-standard patches | sed -n 's|^patches/\(.*\)\.patch$|\1|p'
	} | sed -n 's|^src/\(.*\)/[^/]*\.go$|\1|p' | grep -v -e '^cmd/' -e '/testdata\(/\|$\)' | LC_ALL=C sort -u
)

test_pkgs=("${fork_pkgs[@]}")
[[ -z $ci ]] || test_pkgs=(runtime sync testing runtime/pprof)
# The fork's packages that -ci builds for every port: net/http alone costs
# more than all the others (crypto/tls and its dependencies).
mapfile -t low_pkgs < <(printf '%s\n' "${fork_pkgs[@]}" | grep -v '^net/')
ci_full=(linux/386 windows/amd64)

# jobs: "PORT WHAT" lines, WHAT one of std, cmd, low, tests.
jobs=()
ports=("${first[@]}" "${second[@]}")
if [[ -n $all ]]; then
	mapfile -t -O ${#ports[@]} ports < <(go tool dist list | grep -v -x -F "${ports[@]/#/-e}")
fi
selected() {
	local p
	((${#only[@]})) || return 0
	for p in "${only[@]}"; do
		[[ $p == "$1" ]] && return 0
	done
	return 1
}
is_first() {
	local p
	for p in "${first[@]}"; do
		[[ $p == "$1" ]] && return 0
	done
	return 1
}
for port in "${ports[@]}"; do
	selected "$port" || continue
	if [[ -n $ci ]]; then
		jobs+=("$port low")
		if [[ " ${ci_full[*]} " == *" $port "* ]]; then
			jobs+=("$port std")
			[[ -z $tests ]] || jobs+=("$port tests")
		fi
		continue
	else
		jobs+=("$port std")
		if is_first "$port"; then
			jobs+=("$port cmd")
		fi
	fi
	[[ -z $tests ]] || jobs+=("$port tests")
done
if ((${#jobs[@]} == 0)); then
	echo "ports.bash: no port selected" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# build PORT WHAT LOG runs one build and reports whether it succeeded.
build() {
	local goos=${1%/*} goarch=${1#*/}
	case $2 in
	std) GOOS=$goos GOARCH=$goarch go build -o /dev/null std ;;
	cmd) GOOS=$goos GOARCH=$goarch go build -o /dev/null cmd ;;
	low) GOOS=$goos GOARCH=$goarch go build -o /dev/null "${low_pkgs[@]}" ;;
	tests) GOOS=$goos GOARCH=$goarch go test -c -o /dev/null "${test_pkgs[@]}" ;;
	esac >"$3" 2>&1
}

echo "ports.bash: $(go version), CGO_ENABLED=0, ${#jobs[@]} builds"
echo "ports.bash: fork packages: ${fork_pkgs[*]}"
echo "ports.bash: test binaries of: ${test_pkgs[*]}"
rows=()
failures=()
start_all=$SECONDS
for job in "${jobs[@]}"; do
	read -r port what <<<"$job"
	log=$tmp/${port//\//_}.$what.log
	times=()
	ok=1
	if [[ -n $cold ]]; then
		cache=$tmp/cache
		rm -rf "$cache"
		mkdir -p "$cache"
		for pass in cold warm; do
			start=$(date +%s.%N)
			GOCACHE=$cache build "$port" "$what" "$log" || ok=
			times+=("$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")")
			[[ -n $ok ]] || break
		done
		chmod -R u+w "$cache"
		rm -rf "$cache"
	else
		start=$(date +%s.%N)
		build "$port" "$what" "$log" || ok=
		times+=("$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")")
	fi
	if [[ -n $ok ]]; then
		result=built
	else
		result=FAILED
		failures+=("$port $what")
	fi
	row=$(printf '%-16s %-6s %-7s %8s' "$port" "$what" "$result" "${times[0]}")
	[[ -z $cold ]] || row+=$(printf ' %8s' "${times[1]:--}")
	echo "$row"
	rows+=("$row")
done

echo
header=$(printf '%-16s %-6s %-7s %8s' port build result seconds)
[[ -z $cold ]] || header=$(printf '%-16s %-6s %-7s %8s %8s' port build result cold warm)
echo "$header"
printf '%s\n' "${rows[@]}"
echo "ports.bash: ${#jobs[@]} builds, ${#failures[@]} failed, $((SECONDS - start_all))s"
for f in "${failures[@]}"; do
	read -r port what <<<"$f"
	echo
	echo "--- $port $what:"
	head -n 30 "$tmp/${port//\//_}.$what.log"
done
((${#failures[@]} == 0))
