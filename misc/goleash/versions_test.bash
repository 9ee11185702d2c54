#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# versions_test.bash checks that the fork's version string (VERSION) reads as
# the Go release the fork is built on (misc/goleash/base.sum) in the version
# parsers of Delve, govulncheck, gopls, golangci-lint, cmd/go and go/version,
# first as a string, then as the built toolchain stamps it. The rule and the
# parsers are in doc/goleash/version.md.
#
# The parsers come from the module proxy at the versions that
# misc/goleash/versions/go.mod pins, through the module cache: the first run
# downloads them, later runs do not. A proxy that cannot be reached fails the
# step; it does not skip it.

set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top/misc/goleash/versions"
export PATH=$top/bin:$PATH
# GOVERSION in the environment would override what govulncheck asks the go
# command for.
unset GODEBUG GOVERSION

base=$(grep -v '^#' "$top/misc/goleash/base.sum" | awk 'NF { print $1; exit }')
version=$(head -n 1 "$top/VERSION")

if ! out=$(go mod download 2>&1); then
	echo "versions_test: cannot fetch the pinned parsers of misc/goleash/versions/go.mod"
	echo "from GOPROXY=$(go env GOPROXY); this step needs the module proxy (or a module"
	echo "cache that already holds them):"
	echo "$out"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go vet . || exit 1
go build -o "$tmp/versions" . || exit 1

fail=0
# The checker must reject the strings that these parsers are known to misread,
# or its passing says nothing: the dotted suffix (Delve's proposal release),
# and a dash suffix (unknown to govulncheck, a pre-release to gopls).
for bad in "$base-goleash.1" "$base-goleash1"; do
	if "$tmp/versions" -base "$base" -version "$bad" >"$tmp/bad.out"; then
		cat "$tmp/bad.out"
		echo "versions_test: FAIL: the checker accepts $bad, which Delve or govulncheck misread"
		fail=1
	fi
done

echo "## VERSION as a string"
"$tmp/versions" -base "$base" -version "$version" || fail=1
echo
echo "## the toolchain in bin/"
"$tmp/versions" -base "$base" -version "$version" -built || fail=1
exit $fail
