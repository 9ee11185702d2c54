#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# run.bash builds the leak-recovery demonstration with the fork's bin/go,
# runs it with periodic leak detection, without and with leak recovery, and
# writes results/report.md and results/samples.csv. Flags go to
# "leakrecover run" (-duration, default 20s per mode; -out).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
if [ ! -x "$top/bin/go" ]; then
	echo "run.bash: build the fork first: $top/make.bash" >&2
	exit 1
fi
export PATH=$top/bin:$PATH
unset GOFLAGS GODEBUG

cd "$here"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/leakrecover" .
"$tmp/leakrecover" run -out "$here/results" "$@"
