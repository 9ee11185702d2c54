#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# make.bash builds Goleash from a checkout of its repository.
#
# Usage: ./make.bash [-a] [--sync-only]
#
# It checks the pinned upstream base (go1.26.8), materializes it into the
# checkout, reconciles the fork's patches with in-place edits of upstream files
# (misc/goleash/sync.bash says how), and builds the toolchain with the base as
# bootstrap, leaving bin/go at the top of the checkout.
#
# The base is $GOLEASH_BASE when set; otherwise the first go1.26.8 tree of
# $GOROOT_BOOTSTRAP, the GOROOT of the go command on $PATH (other than this
# checkout's) and /usr/local/go; otherwise the first of those that holds a Go
# able to bootstrap go1.26.8 (go1.24.6 or later) fetches the toolchain module
# golang.org/toolchain@v0.0.1-go1.26.8.GOOS-GOARCH through the module proxy
# into its module cache. The base is either a full go1.26.8 distribution or
# that module (src/ without test/ and api/: ./run.bash then skips the steps
# that need them); misc/goleash/base.sum pins a fingerprint for each.
#
# The first run does a full bootstrap build (upstream's src/make.bash, a few
# minutes). Later runs rebuild only what changed (bin/go install std cmd),
# unless the base or VERSION changed or -a is given. After changing the
# compiler, the linker or cmd/dist, use -a.
#
#	-a           rebuild everything from the bootstrap toolchain
#	--sync-only  materialize and reconcile patches; do not build

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$top"

full=
build=1
for arg in "$@"; do
	case $arg in
	-a) full=1 ;;
	--sync-only) build= ;;
	-h | --help)
		sed -n '/^# Usage/,/^$/p;/^#	-a/,/^$/p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "usage: ./make.bash [-a] [--sync-only]" >&2
		exit 2
		;;
	esac
done

state=$top/.goleash
mkdir -p "$state"
# shellcheck source=misc/goleash/sync.bash
source misc/goleash/sync.bash

find_base misc/goleash/base.sum
echo "make.bash: base $base ($base_origin)"
check_base "$base" misc/goleash/base.sum
echo "make.bash: base is $(head -n 1 "$base/VERSION"), $(cat "$state/base.kind") (fingerprint pinned in misc/goleash/base.sum)"
sync_tree "$base"

if [[ -z $build ]]; then
	exit 0
fi

# The build stamp names what a full build depends on beyond the sources that
# bin/go itself keeps up to date: the base and the version.
stamp=$(cat "$state/base.sums" VERSION | sha256sum | cut -d' ' -f1)
unset GOROOT GOBIN GOFLAGS GOEXPERIMENT
# The base is the bootstrap toolchain: a GOTOOLCHAIN in the environment
# (export GOTOOLCHAIN=go1.27.3, say) would have the base's go command, and
# later bin/go, switch to another release for the build.
export GOTOOLCHAIN=local
export GOROOT_BOOTSTRAP=$base
if [[ -z $full && -x bin/go && -f $state/build && $(cat "$state/build") == "$stamp" ]]; then
	echo "make.bash: incremental build (bin/go install std cmd; use -a for a full build)"
	rm -f "$state/build"
	bin/go install std cmd
else
	rm -f "$state/build"
	(cd src && ./make.bash)
fi
echo "$stamp" >"$state/build"
echo "make.bash: built $(bin/go version)"
