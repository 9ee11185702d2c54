#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# overload_test.bash tests the overloaded-server scenario's own code
# (misc/goleash/overload) on a small flood: without abort, every abandoned
# LIST runs to completion for nobody; with http.AbortAbandonedHandler, they
# are aborted. It needs no network beyond loopback and no module download:
# the plot, which needs gonum, is a module of its own that it leaves out.
#
# It uses the toolchain of this checkout.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/overload"
export PATH=$(cd ../../.. && pwd)/bin:$PATH
go vet .
go test -count=1 .
