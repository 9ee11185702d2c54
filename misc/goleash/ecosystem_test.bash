#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# ecosystem_test.bash, the fork-ecosystem step of ./run.bash, is the fast part
# of ecosystem.bash: the Delve tests that branch on the version of the
# toolchain, on the fork, and the gopls checks, with the pinned versions from
# the module proxy (the module cache after the first run; a proxy it cannot
# reach fails the step). The whole check, against pristine go1.26.8 as well,
# is "misc/goleash/ecosystem.bash", for a release.

exec bash "$(dirname "${BASH_SOURCE[0]}")/ecosystem.bash" --fast
