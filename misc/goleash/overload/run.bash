#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# run.bash runs the overloaded-server scenario with the fork's bin/go, abort
# off then on, and writes results/{results.json,report.md,samples-*.csv}
# and results/overload.png. Flags go to "overload run" (see README.md).
# The plot needs gonum.org/v1/plot from the Go module proxy.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
if [ ! -x "$top/bin/go" ]; then
	echo "run.bash: build the fork first: $top/make.bash" >&2
	exit 1
fi
export PATH=$top/bin:$PATH
unset GOFLAGS

cd "$here"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/overload" .
"$tmp/overload" run -out "$here/results" "$@"
(cd _plot && go run . "$here/results")
cat "$here/results/report.md"
