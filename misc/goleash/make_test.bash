#!/usr/bin/env bash
# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# make_test.bash tests how make.bash checks the base, materializes it and
# keeps patches and in-place edits in step (misc/goleash/sync.bash), on a
# small fake base in a temporary directory. It builds nothing.

set -uo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
[[ -n ${KEEP:-} ]] || trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
realgo=$(command -v go || true)
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp

pass=0
fail=0
check() {
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $what"
	fi
}

# A fake go1.26.8 base: a few files, a build output that must not be copied
# and an owned file that the fork replaces.
base=$tmp/base
mkdir -p "$base/src/pkg" "$base/test" "$base/api" "$base/bin" "$base/pkg/tool"
echo go1.26.8 >"$base/VERSION"
echo "upstream readme" >"$base/README.md"
printf 'line 1\nline 2\nline 3\n' >"$base/src/pkg/a.go"
printf 'b\n' >"$base/src/pkg/b.go"
printf '#!/bin/sh\necho hi\n' >"$base/src/run.sh"
chmod +x "$base/src/run.sh"
echo "t" >"$base/test/t.go"
mkdir -p "$base/src/internal/buildcfg"
echo 'const version = `go1.26.8`' >"$base/src/internal/buildcfg/zbootstrap.go"
echo "pkg x" >"$base/api/go1.txt"
echo "binary" >"$base/bin/go"
echo "GOTOOLCHAIN=auto" >"$base/go.env"
sum=$( (cd "$base" && find . \( -path ./bin -o -path ./pkg \) -prune -o -type f ! -path ./go.env -print) |
	sed 's|^\./||' | LC_ALL=C sort | (cd "$base" && xargs -d '\n' sha256sum) | sha256sum | cut -d' ' -f1)
export GOLEASH_BASE=$base

# The fork's repository: the build scripts and an owned README.
origin=$tmp/origin
mkdir -p "$origin/misc/goleash"
cp "$src/make.bash" "$src/.gitignore" "$origin/"
cp "$src/misc/goleash/sync.bash" "$origin/misc/goleash/"
fingerprint() {
	(cd "$1" && find . \( -path ./bin -o -path ./pkg \) -prune -o -type f ! -path ./go.env -print) |
		sed 's|^\./||' | LC_ALL=C sort | (cd "$1" && xargs -d '\n' sha256sum) | sha256sum | cut -d' ' -f1
}

# A fake toolchain module of go1.26.8 for this machine, as the module proxy
# serves it: the base's src/ without test/ or api/, go.mod files as _go.mod,
# served by a file:// proxy. Its pin is the fingerprint of the module as
# make.bash prepares it (go.mod beside each _go.mod).
goos=$(${realgo:-false} env GOHOSTOS 2>/dev/null || true)
goarch=$(${realgo:-false} env GOHOSTARCH 2>/dev/null || true)
modver=v0.0.1-go1.26.8.$goos-$goarch
modtree=$tmp/modtree/golang.org/toolchain@$modver
mkdir -p "$modtree/pkg/tool/${goos}_$goarch" "$modtree/bin" "$modtree/lib/time"
cp -r "$base/src" "$base/VERSION" "$base/README.md" "$modtree/"
echo "module std" >"$modtree/src/_go.mod"
mkdir -p "$modtree/src/cmd" && echo "module cmd" >"$modtree/src/cmd/_go.mod"
echo "zoneinfo" >"$modtree/lib/time/zoneinfo.zip"
echo "tool" >"$modtree/pkg/tool/${goos}_$goarch/compile"
printf '#!/bin/sh\necho go version go1.26.8 %s/%s\n' "$goos" "$goarch" >"$modtree/bin/go"
echo "GOTOOLCHAIN=auto" >"$modtree/go.env"
cp -r "$modtree" "$tmp/modprep"
cp "$tmp/modprep/src/_go.mod" "$tmp/modprep/src/go.mod"
cp "$tmp/modprep/src/cmd/_go.mod" "$tmp/modprep/src/cmd/go.mod"
modsum=$(fingerprint "$tmp/modprep")
proxy=$tmp/proxy/golang.org/toolchain/@v
mkdir -p "$proxy"
echo "$modver" >"$proxy/list"
echo "{\"Version\":\"$modver\",\"Time\":\"2026-01-01T00:00:00Z\"}" >"$proxy/$modver.info"
echo "module golang.org/toolchain" >"$proxy/$modver.mod"
if command -v zip >/dev/null; then
	(cd "$tmp/modtree" && zip -qrD "$proxy/$modver.zip" "golang.org")
else
	(cd "$tmp/modtree" && python3 -c 'import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], "w") as z:
	for d, _, fs in os.walk("golang.org"):
		for f in fs: z.write(os.path.join(d, f))' "$proxy/$modver.zip")
fi

# A new user's Go, go1.27.3, one too old to bootstrap go1.26.8, and an
# installed go1.26.8 (the fake base): the real go command but for their
# GOROOT and version. Like the real one, each switches to the fake Go that a
# GOTOOLCHAIN=goVERSION in the environment names.
fakego() {
	local goroot=${2:-$tmp/$1}
	mkdir -p "$tmp/$1/bin"
	[[ -n ${2:-} ]] || echo "$1" >"$tmp/$1/VERSION"
	cat >"$tmp/$1/bin/go" <<EOS
#!/bin/sh
case "\${GOTOOLCHAIN:-local}" in
local | auto | "$1" | *+auto) ;;
*) GOTOOLCHAIN=local exec "$tmp/\$GOTOOLCHAIN/bin/go" "\$@" ;;
esac
case "\$*" in
"env GOROOT") echo "$goroot" ;;
"env GOVERSION") echo "$1" ;;
*) exec "$realgo" "\$@" ;;
esac
EOS
	chmod +x "$tmp/$1/bin/go"
}
fakego go1.27.3
fakego go1.22.0
fakego go1.26.8 "$base"

{
	echo "# test pins"
	echo "go1.26.8 dist $sum"
	echo "go1.26.8 module-$goos-$goarch $modsum"
} >"$origin/misc/goleash/base.sum"
echo "the fork's readme" >"$origin/README.md"
git -C "$origin" init -q -b main
git -C "$origin" add -A
git -C "$origin" commit -q -m initial
git clone -q --bare "$origin" "$tmp/origin.git"
origin=$tmp/origin.git

not() { ! "$@"; }
sync() { ./make.bash --sync-only >"$tmp/out" 2>&1; }
clean() { [[ -z $(git status --porcelain) ]]; }
has() { grep -q -- "$1" "$tmp/out"; }

git clone -q "$origin" "$tmp/one"
cd "$tmp/one"
check "first sync succeeds" sync
check "base file materialized" cmp -s src/pkg/a.go "$base/src/pkg/a.go"
check "build outputs not materialized" test ! -e bin/go
check "owned README kept" grep -q "fork's readme" README.md
check "mode preserved" test -x src/run.sh
check "git status clean after first sync" clean

# An in-place edit becomes a patch and survives make.bash.
printf 'line 1\nline 2 edited\nline 3\n' >src/pkg/a.go
check "sync after edit succeeds" sync
check "edit kept" grep -q "line 2 edited" src/pkg/a.go
check "edit recorded as patch" grep -q '^+line 2 edited' patches/src/pkg/a.go.patch
check "sync reports the patch" has "recorded your edit of src/pkg/a.go"
check "only the patch is new to git" test "$(git status --porcelain)" == "?? patches/"
git add patches && git commit -q -m "edit a.go" && git push -q origin main
check "second sync is quiet" sync
check "second sync printed no change" not has "recorded"

# A fork file beside materialized files shows in git status.
echo "package pkg" >src/pkg/fork.go
check "new fork file visible" test "$(git status --porcelain -uall)" == "?? src/pkg/fork.go"
rm src/pkg/fork.go

# A file that the build rewrites is not a fork edit.
echo 'const version = `go1.26.8 goleash1`' >src/internal/buildcfg/zbootstrap.go
check "sync after build output changed" sync
check "generated file not patched" test ! -e patches/src/internal/buildcfg/zbootstrap.go.patch
check "generated file kept" grep -q goleash src/internal/buildcfg/zbootstrap.go

# A clean clone reproduces the edit.
git clone -q "$origin" "$tmp/two"
cd "$tmp/two"
check "clean clone syncs" sync
check "clean clone has the edit" grep -q "line 2 edited" src/pkg/a.go
check "clean clone is clean" clean

# A patch that changed underneath a clean file is applied.
printf 'line 1\nline 2 edited twice\nline 3\n' >src/pkg/a.go
sync
git commit -q -am "edit a.go again" && git push -q origin main
cd "$tmp/one"
git pull -q
check "sync after pull succeeds" sync
check "pulled patch applied" grep -q "edited twice" src/pkg/a.go
check "sync reports applied patch" has "applied patches/src/pkg/a.go.patch"

# Both changed, to different results: stop, touch nothing.
printf 'line 1 local\nline 2 edited twice\nline 3\n' >src/pkg/a.go
cd "$tmp/two"
printf 'line 1\nline 2 edited thrice\nline 3\n' >src/pkg/a.go
sync
git commit -q -am "edit a.go a third time" && git push -q origin main
cd "$tmp/one"
git pull -q
check "conflict stops sync" not sync
check "conflict names the file" has "src/pkg/a.go"
check "conflicting edit untouched" grep -q "line 1 local" src/pkg/a.go
check "conflicting patch untouched" grep -q "edited thrice" patches/src/pkg/a.go.patch
# Resolving as the message says: remove the file, take the patch.
rm src/pkg/a.go
check "sync after resolution" sync
check "resolution applied the patch" grep -q "edited thrice" src/pkg/a.go

# An edit back to the base removes the patch.
cp "$base/src/pkg/a.go" src/pkg/a.go
check "sync after revert" sync
check "patch removed after revert" test ! -e patches/src/pkg/a.go.patch
git checkout -q patches
sync

# A removed patched file is restored with its patch.
rm src/pkg/a.go
check "sync restores" sync
check "restored file has its patch" grep -q "edited thrice" src/pkg/a.go
check "restore keeps the patch" grep -q "edited thrice" patches/src/pkg/a.go.patch

# An upstream file must not be tracked whole.
git add -f src/pkg/b.go
check "tracked upstream file refused" not sync
check "refusal says why" has "never"
git rm -q --cached src/pkg/b.go

# No go1.26.8 tree: the new user's Go fetches the toolchain module.
# msync runs make.bash --sync-only with only go1.27.3, no local base and
# the fake proxy; its arguments are more environment.
msync() {
	env -u GOLEASH_BASE -u GOROOT_BOOTSTRAP -u GOFLAGS GOLEASH_FALLBACK_BASE= PATH="$tmp/go1.27.3/bin:$PATH" \
		GOPROXY="file://$tmp/proxy" GOSUMDB=off GOMODCACHE="$tmp/modcache" "$@" ./make.bash --sync-only >"$tmp/out" 2>&1
}
modcache=$tmp/modcache/golang.org/toolchain@$modver
if [[ -z $realgo || -z $goos ]]; then
	echo "make_test: no go command on PATH: skipping the toolchain-module cases"
else
	git clone -q "$origin" "$tmp/mod"
	cd "$tmp/mod"
	check "no network, no base: refused" not msync GOPROXY=off
	check "no network names the module proxy" has "access to the module proxy"
	check "no network names GOLEASH_BASE" has "GOLEASH_BASE=/path/to/go1.26.8"
	# A proxy that does not answer (nothing listens on the discard port).
	check "unreachable proxy: refused" not msync GOPROXY=http://127.0.0.1:9 GOFLAGS=-mod=mod
	check "unreachable proxy: the go command's error, unquoted" has 'Get "http://127.0.0.1:9/golang.org/toolchain/'
	check "unreachable proxy names GOLEASH_BASE" has "GOLEASH_BASE=/path/to/go1.26.8"
	check "no Go at all: refused" not msync PATH="$tmp/go1.22.0/bin:$PATH"
	check "too old a Go names the minimum" has "any Go from go1.24.6 on"
	check "too old a Go names GOLEASH_BASE" has "GOLEASH_BASE=/path/to/go1.26.8"
	check "a local go1.26.8 comes before fetching" msync GOROOT_BOOTSTRAP="$base"
	check "the local base is named" has "base $base (GOROOT_BOOTSTRAP)"
	check "a go1.26.8 on PATH is the base" msync PATH="$tmp/go1.26.8/bin:$PATH"
	check "the go on PATH is named" has "base $base (the GOROOT of the go command on PATH)"
	# export GOTOOLCHAIN=go1.27.3 does not hide the installed go1.26.8.
	check "GOTOOLCHAIN in the environment" msync PATH="$tmp/go1.26.8/bin:$PATH" GOTOOLCHAIN=go1.27.3
	check "the installed go1.26.8 is still the base" has "base $base (the GOROOT of the go command on PATH)"
	cd "$tmp" && rm -rf "$tmp/mod" && git clone -q "$origin" "$tmp/mod" && cd "$tmp/mod"
	check "fetched base syncs" msync; [[ -z ${KEEP:-} ]] || cp "$tmp/out" /tmp/mt-fetch.out
	check "fetch says where the base came from" has "golang.org/toolchain@$modver, fetched from the module proxy by"
	check "fetched base is a module" has "go1.26.8, module-$goos-$goarch"
	check "fetched base materialized" cmp -s src/pkg/b.go "$base/src/pkg/b.go"
	check "fetched base got its patch" grep -q "edited thrice" src/pkg/a.go
	check "go.mod prepared from _go.mod" cmp -s src/go.mod "$modtree/src/_go.mod"
	check "module bin/go made executable" test -x "$modcache/bin/go"
	check "script executable in the checkout" test -x src/run.sh
	check "materialized file writable" test "$(stat -c %a src/pkg/b.go)" == 644
	check "module cache left read-only" test "$(stat -c %a "$modcache/src/pkg/b.go")" == 444
	check "git status clean on a module base" clean
	check "module in the cache is found again" msync GOPROXY=off
	check "found module named" has "golang.org/toolchain@$modver, in the module cache of"
	check "GOLEASH_BASE may be the module" msync GOLEASH_BASE="$modcache" GOPROXY=off
	check "module as GOLEASH_BASE is a module" has "go1.26.8, module-$goos-$goarch"
	chmod u+w "$modcache/src/pkg" "$modcache/src/pkg/b.go"
	echo tampered >>"$modcache/src/pkg/b.go"
	check "changed module refused" not msync GOPROXY=off
	check "changed module explained" has "differ from the pinned go1.26.8 (module-$goos-$goarch)"
	cp "$base/src/pkg/b.go" "$modcache/src/pkg/b.go"
	grep -v module- misc/goleash/base.sum >"$tmp/pins" && cp "$tmp/pins" misc/goleash/base.sum
	check "unpinned kind refused" not msync GOPROXY=off
	check "unpinned kind gives the line to pin" has "go1.26.8 module-$goos-$goarch $modsum"
	git checkout -q misc/goleash/base.sum
	check "module again after restore" msync GOPROXY=off
	cd "$tmp/one"
fi

# The base is checked: version and contents.
echo go1.25.0 >"$base/VERSION"
check "wrong base version refused" not sync
check "wrong version named" has "is go1.25.0, not go1.26.8"
echo go1.26.8 >"$base/VERSION"
echo "tampered" >>"$base/src/pkg/b.go"
check "changed base refused" not sync
check "changed base explained" has "differ from the pinned go1.26.8"
GOLEASH_BASE=$tmp/nowhere check "missing base refused" not sync

[[ -n ${KEEP:-} ]] && cp "$tmp/out" /tmp/make_test.out
echo "make_test: $pass passed, $fail failed"
((fail == 0))
