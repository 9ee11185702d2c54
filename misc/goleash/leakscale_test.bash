#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# leakscale_test.bash checks that the detection-cost benchmark of
# misc/goleash/leakscale builds and that, for each shape, a detection finds
# exactly the leaked tenth of the population. It measures nothing: run.bash
# does, against go1.26.8 (see doc/goleash/goleakgc.md for the numbers).

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/leakscale"
export PATH=$(cd ../../.. && pwd)/bin:$PATH
unset GODEBUG
go vet .
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/leakscale.test" .
for shape in flat chain tree cyclic; do
	"$tmp/leakscale.test" -test.run '^TestShape$' -test.bench '.' -test.benchtime 2x -leakscale.shape=$shape -leakscale.n=5000
done
