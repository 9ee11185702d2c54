#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# lockrecv_test.bash checks that the syscall-server benchmarks of
# misc/goleash/lockrecv build and run, with the fork's API (-tags goleash)
# and without it, as benchcmp.bash builds them for the fork and for go1.26.8.
# It measures nothing: see doc/goleash/lockrecv.md for the numbers.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/lockrecv"
export PATH=$(cd ../../.. && pwd)/bin:$PATH
go vet -tags goleash .
go test -count=1 -run '^$' -bench . -benchtime 200x .
go test -count=1 -tags goleash -run '^$' -bench . -benchtime 200x .
