#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# abortrace_test.bash runs the abort tests of package runtime and net/http
# under the race detector, in -short mode. The race build changes what the
# compiler emits around calls (instrumentation calls, defers that are not
# open-coded) and slows every goroutine down, which has found bugs the
# plain build hides: an unsafe window that instrumentation calls left open,
# mutex waiter accounting that only broke under heavier contention, race
# annotations of sync that an aborted waiter left unbalanced.
#
# It uses the toolchain of this checkout (run.bash puts bin first on PATH).

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../../src"
go test -race -short -count=1 \
	-run '^Test(ErrAborted|GoroutineHandleIdentity|Abort[A-Za-z]*)$' runtime
go test -race -short -count=1 -run '^(TestHandlerAborted|TestAbortAbandonedHandler.*)$' net/http
