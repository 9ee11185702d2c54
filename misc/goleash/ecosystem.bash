#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# ecosystem.bash checks that the tools Go users run keep working on Goleash:
# Delve, gopls, staticcheck and govulncheck, at the versions pinned below,
# fetched from the module proxy and built with the fork in bin/.
#
# Usage: misc/goleash/ecosystem.bash [--fast]
#
# The whole check, for a release (about 7 minutes on 2 cores):
#
#	delve        Delve's pkg/proc tests (-short, -p 1), run once with the fork and
#	             once with pristine go1.26.8 ($GOLEASH_PRISTINE, else
#	             /usr/local/go); prints the tests whose result differs, and fails
#	             if one passes on go1.26.8 but not on the fork
#	gopls        in misc/goleash/ecosystem/testdata/abortdemo, a module that uses
#	             the fork's API: "gopls check" reports nothing, and reports the
#	             misspelled runtime.GetGoroutineHandel in a copy; "gopls
#	             definition" of runtime.GoroutineHandle is in the fork's GOROOT
#	staticcheck  clean on the module, and reports the misspelled copy
#	govulncheck  with a local vulnerability database of two standard library
#	             entries on net/http.StatusText, one fixed in the release after
#	             the base and one fixed in the base: source mode (which asks
#	             "go env GOVERSION") and binary mode must report the first at
#	             stdlib v1.26.8, at the call, and not the second; with the dash
#	             string go1.26.8-goleash1 as GOVERSION it must report neither
#
# --fast, the fork-ecosystem step of ./run.bash (ecosystem_test.bash), runs
# the Delve tests that branch on the version of the toolchain, on the fork
# only, and the gopls checks: under half a minute with a warm module and
# build cache; after a change to the compiler or the runtime, which rebuilds
# gopls, about 4.5 minutes on 2 cores.
#
# Every module comes from the module proxy through the module cache (the first
# run downloads them, later runs do not). A proxy that cannot be reached fails
# the check of the tool it was to bring; nothing is skipped. The script ends
# with a table, tool by tool, and exits 1 if any check failed.

set -uo pipefail

delve_version=v1.27.2
gopls_version=v0.23.0
staticcheck_version=v0.8.2 # honnef.co/go/tools
govulncheck_version=v1.9.0 # golang.org/x/vuln

# The Delve tests that take another path when Delve misreads the version of
# the toolchain (the dotted go1.26.8-goleash.1 failed all of them), with their
# result on go1.26.8: TestReadDeferArgs skips on Go 1.17 and later, and
# failed on the dotted version, which Delve read as older.
fast_delve_tests=TestDeadlockBreakpoint,TestStepIgnorePrivateRuntime,TestEmbeddedStruct,TestEvalExpression,TestDeclLine,TestReadDeferArgs=skip,TestStacktraceGoroutine

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"

fast=
for arg in "$@"; do
	case $arg in
	--fast) fast=1 ;;
	*)
		echo "usage: misc/goleash/ecosystem.bash [--fast]" >&2
		exit 2
		;;
	esac
done

# GOVERSION in the environment would override what govulncheck asks the go
# command; GOROOT, GOFLAGS and GOTOOLCHAIN are set for each toolchain below.
unset GOROOT GOBIN GOFLAGS GOEXPERIMENT GOTOOLCHAIN GODEBUG GOVERSION
base=$(grep -v '^#' misc/goleash/base.sum | awk 'NF { print $1; exit }')
version=$(head -n 1 VERSION)
if [[ ! -x bin/go ]]; then
	echo "ecosystem: no bin/go: run ./make.bash first" >&2
	exit 2
fi
if [[ $(bin/go env GOVERSION) != "$version" ]]; then
	echo "ecosystem: bin/go is $(bin/go env GOVERSION), not VERSION's $version: run ./make.bash" >&2
	exit 2
fi
pristine=${GOLEASH_PRISTINE:-/usr/local/go}

work=$(mktemp -d "${TMPDIR:-/tmp}/goleash-ecosystem.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# with GOROOT CMD... runs CMD with the go command of GOROOT first on PATH, as
# a user who switched to that toolchain would. GOTOOLCHAIN=local keeps it
# from switching to another; -mod=mod lets Delve's tests build in a copy of
# its module, which has no vendor directory.
with() {
	local goroot=$1
	shift
	PATH=$goroot/bin:$PATH GOROOT=$goroot GOTOOLCHAIN=local GOFLAGS=-mod=mod "$@"
}
fork() { with "$top" "$@"; }

tools=()
versions=()
results=()
failed=0
# record TOOL VERSION RESULT adds a row to the closing table; a RESULT that
# starts with FAIL fails the script.
record() {
	tools+=("$1")
	versions+=("$2")
	results+=("$3")
	[[ $3 == FAIL* ]] && failed=1
	echo "== $1: $3"
}

# fetch MODULE@VERSION prints the directory of the module in the module cache,
# downloading it through the proxy if needed, or says why it cannot.
fetch() {
	local out
	if ! out=$(fork go mod download -json "$1" 2>&1); then
		echo "ecosystem: cannot fetch $1 from GOPROXY=$(fork go env GOPROXY); this check needs the module proxy (or a module cache that holds it):" >&2
		echo "$out" >&2
		return 1
	fi
	sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$out"
}

# install PKG@VERSION builds a tool with the fork into $work/bin and checks
# that the binary is the fork's build.
install() {
	local name=${1%@*}
	name=${name##*/}
	echo "ecosystem: go install $1"
	if ! GOBIN=$work/bin fork go install "$1"; then
		echo "ecosystem: cannot build $1 with the fork (a proxy that cannot be reached says so above)" >&2
		return 1
	fi
	local built
	built=$(fork go version "$work/bin/$name")
	if [[ $built != "$work/bin/$name: $version" ]]; then
		echo "ecosystem: $name was not built by the fork: $built" >&2
		return 1
	fi
}

echo "ecosystem: fork $version ($top/bin/go)${fast:+, fast mode}"
(cd misc/goleash/ecosystem && fork go vet . && fork go build -o "$work/ecosystem" .) || exit 1

# The test module, and a copy with the fork's API misspelled.
mod=$work/abortdemo
bad=$work/misspelled
cp -r misc/goleash/ecosystem/testdata/abortdemo "$mod"
cp -r "$mod" "$bad"
sed -i 's/runtime\.GetGoroutineHandle()/runtime.GetGoroutineHandel()/' "$bad/main.go"
if ! grep -q GetGoroutineHandel "$bad/main.go"; then
	echo "ecosystem: the test module no longer calls runtime.GetGoroutineHandle()" >&2
	exit 1
fi
if ! out=$(cd "$mod" && fork go run . 2>&1); then
	echo "$out"
	echo "ecosystem: the test module does not run on the fork" >&2
	exit 1
fi
echo "ecosystem: go run abortdemo: $out"

# Each check below prints what it does and sets summary to its line of the
# table; it returns non-zero if the tool misbehaved.
summary=

# check_delve runs Delve's pkg/proc tests in a copy of its module on the fork,
# and on pristine go1.26.8 unless --fast, and compares the results.
check_delve() {
	local dir start t goroot args=(go test -json -short -p 1 -count=1) want=() runs=(fork) streams=() out
	summary="FAIL: cannot fetch it from the module proxy"
	dir=$(fetch "github.com/go-delve/delve@$delve_version") || return 1
	cp -r "$dir" "$work/delve"
	chmod -R u+w "$work/delve"
	# A module zip keeps no file modes: give the shell scripts their
	# executable bit back (TestFollowExecNonGo runs _fixtures/nongochild/child.sh).
	find "$work/delve" -name '*.sh' -exec chmod +x {} +
	if [[ -n $fast ]]; then
		local names=${fast_delve_tests//=skip/}
		args+=(-timeout 5m -run "^(${names//,/|})\$")
		want=(-want "$fast_delve_tests")
	else
		args+=(-timeout 30m)
		runs+=(pristine)
	fi
	local times=()
	for t in "${runs[@]}"; do
		goroot=$top
		if [[ $t == pristine ]]; then
			goroot=$pristine
			if [[ $(with "$goroot" go env GOVERSION 2>/dev/null) != "$base" ]]; then
				echo "ecosystem: $goroot is not pristine $base (set GOLEASH_PRISTINE to a $base distribution)"
				summary="FAIL: no pristine $base at $goroot"
				return 1
			fi
		fi
		mkdir -p "$work/tmp-$t"
		echo "ecosystem: Delve on $t, $(with "$goroot" go env GOVERSION) (GOROOT $goroot): ${args[*]} ./pkg/proc"
		start=$SECONDS
		# Delve's tests build their fixtures with the go command on PATH.
		(cd "$work/delve" && TMPDIR=$work/tmp-$t with "$goroot" "${args[@]}" ./pkg/proc) >"$work/delve-$t.json"
		times+=("$t $((SECONDS - start))s")
		echo "ecosystem: Delve on $t took $((SECONDS - start))s"
		streams+=("$work/delve-$t.json")
	done
	out=$("$work/ecosystem" gotest "${want[@]}" "${streams[@]}" 2>&1)
	local rc=$?
	echo "$out"
	local counts
	counts=$(sed -n 's/^fork: *[0-9]* tests: //p' <<<"$out")
	if ((rc != 0)); then
		summary="FAIL: $(tail -n 1 <<<"$out" | cut -c1-200)"
		return 1
	fi
	if [[ -n $fast ]]; then
		summary="ok: the $(($(tr -cd , <<<"$fast_delve_tests" | wc -c) + 1)) version-sensitive tests on the fork as on $base"
	else
		summary="ok: fork $counts; none passes only on $base (${times[*]})"
	fi
}

# check_gopls checks that gopls type-checks the module against the fork's
# runtime and finds the fork's declarations in the fork's GOROOT.
check_gopls() {
	local gopls=$work/bin/gopls out off def file
	summary="FAIL: cannot fetch or build it"
	install "golang.org/x/tools/gopls@$gopls_version" || return 1
	summary=FAIL
	echo "ecosystem: gopls check $mod/main.go"
	if ! out=$(cd "$mod" && fork "$gopls" check main.go 2>&1) || [[ -n $out ]]; then
		echo "$out"
		echo "ecosystem: gopls check reports the correct module (want no diagnostic)"
		summary="FAIL: diagnostics on the correct module"
		return 1
	fi
	echo "ecosystem: gopls check $bad/main.go"
	out=$(cd "$bad" && fork "$gopls" check main.go 2>&1)
	echo "$out"
	if ! grep -q 'main.go:[0-9]*:[0-9]*-[0-9]*: undefined: runtime.GetGoroutineHandel$' <<<"$out" ||
		[[ $(wc -l <<<"$out") != 1 ]]; then
		echo "ecosystem: want exactly one diagnostic, undefined: runtime.GetGoroutineHandel"
		summary="FAIL: misspelled API not reported"
		return 1
	fi
	# The byte offset of GoroutineHandle in the first *runtime.GoroutineHandle.
	off=$(grep -bo 'runtime\.GoroutineHandle' "$mod/main.go" | head -n 1 | cut -d: -f1)
	off=$((off + 8)) # len("runtime.")
	echo "ecosystem: gopls definition main.go:#$off ($(head -c $((off + 15)) "$mod/main.go" | tail -c 15))"
	out=$(cd "$mod" && fork "$gopls" definition "main.go:#$off" 2>&1)
	echo "$out"
	def=$(head -n 1 <<<"$out")
	file=${def%%:*}
	if [[ $file != "$top/src/runtime/"*.go || ! -f $file || $def != *": defined here as type GoroutineHandle struct"* ]]; then
		echo "ecosystem: want the declaration of type GoroutineHandle in $top/src/runtime"
		summary="FAIL: definition not in the fork's GOROOT"
		return 1
	fi
	summary="ok: misspelling reported; GoroutineHandle in ${file#"$top/"}"
}

# check_staticcheck runs staticcheck on the module, which must be clean, and
# on the misspelled copy, which must not: it type-checks against the fork.
check_staticcheck() {
	local out
	summary="FAIL: cannot fetch or build it"
	install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version" || return 1
	echo "ecosystem: staticcheck ./... in $mod"
	if ! out=$(cd "$mod" && fork "$work/bin/staticcheck" ./... 2>&1) || [[ -n $out ]]; then
		echo "$out"
		summary="FAIL: reports the module"
		return 1
	fi
	echo "ecosystem: staticcheck ./... in $bad"
	out=$(cd "$bad" && fork "$work/bin/staticcheck" ./... 2>&1)
	echo "$out"
	if ! grep -q 'undefined: runtime.GetGoroutineHandel' <<<"$out"; then
		summary="FAIL: misses the misspelled API"
		return 1
	fi
	summary="ok: clean; misspelled copy reported"
}

# check_govulncheck scans the module against a local database whose two
# entries are on net/http.StatusText: GO-2099-0001, fixed in the release
# after the base, which affects the fork, and GO-2099-0002, fixed in the
# base, which does not.
check_govulncheck() {
	local db=$work/vulndb next this modified=2026-01-01T00:00:00Z id fixed
	summary="FAIL: cannot fetch or build it"
	install "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version" || return 1
	summary=FAIL
	this=${base#go}
	next=${this%.*}.$((${this##*.} + 1))
	# The layout of go.dev/security/vuln/database: index/db.json,
	# index/modules.json and ID/ID.json, each plain JSON.
	mkdir -p "$db/index" "$db/ID"
	echo "{\"modified\":\"$modified\"}" >"$db/index/db.json"
	echo "[{\"path\":\"stdlib\",\"vulns\":[{\"id\":\"GO-2099-0001\",\"modified\":\"$modified\",\"fixed\":\"$next\"},{\"id\":\"GO-2099-0002\",\"modified\":\"$modified\",\"fixed\":\"$this\"}]}]" >"$db/index/modules.json"
	for id in GO-2099-0001:$next GO-2099-0002:$this; do
		fixed=${id#*:}
		id=${id%:*}
		cat >"$db/ID/$id.json" <<-EOT
			{"schema_version":"1.3.1","id":"$id","modified":"$modified","published":"$modified",
			 "summary":"Goleash test entry: net/http.StatusText before $fixed",
			 "details":"A synthetic entry for misc/goleash/ecosystem.bash.",
			 "affected":[{"package":{"name":"stdlib","ecosystem":"Go"},
			  "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"$fixed"}]}],
			  "ecosystem_specific":{"imports":[{"path":"net/http","symbols":["StatusText"]}]}}]}
		EOT
	done
	local scan=("$work/bin/govulncheck" -db "file://$db" -format json) stdlib=v$this ok=1
	echo "ecosystem: govulncheck -mode source (go env GOVERSION: $version)"
	(cd "$mod" && fork "${scan[@]}" ./...) >"$work/vuln-source.json" &&
		"$work/ecosystem" govulncheck -go "$version" -stdlib "$stdlib" -want GO-2099-0001 -not GO-2099-0002 "$work/vuln-source.json" || ok=
	echo "ecosystem: govulncheck -mode binary (build info of abortdemo built by the fork)"
	(cd "$mod" && fork go build -o "$work/abortdemo.exe" . && fork "${scan[@]}" -mode binary "$work/abortdemo.exe") >"$work/vuln-binary.json" &&
		"$work/ecosystem" govulncheck -go "" -stdlib "$stdlib" -want GO-2099-0001 -not GO-2099-0002 "$work/vuln-binary.json" || ok=
	# The dash string, which the fork does not use, reads as no release: the
	# scan must then report nothing, or the checks above prove nothing.
	echo "ecosystem: govulncheck -mode source with GOVERSION=$base-goleash1 (must report nothing)"
	(cd "$mod" && GOVERSION=$base-goleash1 fork "${scan[@]}" ./...) >"$work/vuln-dash.json" &&
		"$work/ecosystem" govulncheck -go "$base-goleash1" -want none "$work/vuln-dash.json" || ok=
	if [[ -z $ok ]]; then
		summary="FAIL: see the scans above"
		return 1
	fi
	summary="ok: reads $stdlib; reports GO-2099-0001 (fixed $next), not GO-2099-0002 (fixed $this)"
}

checks=(delve gopls)
[[ -z $fast ]] && checks+=(staticcheck govulncheck)
declare -A pins=([delve]=$delve_version [gopls]=$gopls_version [staticcheck]=$staticcheck_version [govulncheck]=$govulncheck_version)
total=$SECONDS
for c in "${checks[@]}"; do
	echo
	echo "### $c ${pins[$c]}"
	start=$SECONDS
	if ! "check_$c" && [[ $summary != FAIL* ]]; then
		summary="FAIL: $summary"
	fi
	record "$c" "${pins[$c]}" "$summary ($((SECONDS - start))s)"
done

echo
echo "ecosystem: $version, $((SECONDS - total))s${fast:+ (--fast)}"
printf '| %-11s | %-8s | %s\n' tool version result
for i in "${!tools[@]}"; do
	printf '| %-11s | %-8s | %s\n' "${tools[$i]}" "${versions[$i]}" "${results[$i]}"
done
if ((failed)); then
	echo "ecosystem: FAIL"
	exit 1
fi
echo "ecosystem: ok"
