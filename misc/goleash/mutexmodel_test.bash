#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# mutexmodel_test.bash checks every interleaving of the protocol by which an
# aborted waiter leaves a sync.Mutex (misc/goleash/mutexmodel), and that
# the checker finds the failures of the protocol that it replaced, so that
# a checker broken into passing everything does not pass.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/mutexmodel"
export PATH=$(cd ../../.. && pwd)/bin:$PATH
unset GODEBUG GOFLAGS
go vet .
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/mutexmodel" .
"$tmp/mutexmodel" -g 3 -rounds 2 -aborted 3
if "$tmp/mutexmodel" -old -g 3 -rounds 2 -aborted 2 -trace none >"$tmp/old.txt"; then
	cat "$tmp/old.txt"
	echo "mutexmodel_test.bash: the checker found nothing wrong with the old protocol" >&2
	exit 1
fi
for want in "sync: unlock of unlocked mutex" "deadlock or livelock" "two holders"; do
	if ! grep -q "$want" "$tmp/old.txt"; then
		cat "$tmp/old.txt"
		echo "mutexmodel_test.bash: the checker did not find \"$want\" in the old protocol" >&2
		exit 1
	fi
done
echo "mutexmodel_test.bash: the old protocol fails as it did in TestAbortStress:"
grep -E '^ +[0-9]+ ' "$tmp/old.txt"
