#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# leakrecover_test.bash runs the leak-recovery demonstration for a few
# seconds per mode. It checks what the demonstration shows, not how fast:
# without recovery the leaked goroutines pile up, with recovery they are
# aborted and their pool slots given back, and leak recovery reports the
# leaking go statement once. The committed results come from run.bash.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/leakrecover"
export PATH=$(cd ../../.. && pwd)/bin:$PATH
unset GODEBUG
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go vet .
go build -o "$tmp/leakrecover" .
"$tmp/leakrecover" run -out "$tmp/results" -duration 4s >/dev/null
