# Copyright 2026 The Goleash Authors. All rights reserved.
# Use of this source code is governed by a BSD-style
# license that can be found in the LICENSE file.

# sync.bash turns a Goleash checkout into a Go tree: it checks the pinned
# upstream base, copies ("materializes") the base's files into the checkout and
# keeps the fork's patches and the materialized files in step. make.bash
# sources it; misc/goleash/make_test.bash tests it on a small fake base.
#
# The repository tracks only what the fork wrote:
#
#	- files the fork adds, at their GOROOT paths (src/runtime/abort.go, ...);
#	- the few top-level files that are entirely the fork's own and replace
#	  upstream's (owned_files below);
#	- one unified diff per changed upstream file, patches/PATH.patch,
#	  always computed against the pristine base.
#
# Every other file of the tree is materialized from the base, left untracked
# and hidden from git by a generated exclude list.
#
# State lives in .goleash/ (ignored):
#
#	base.sums  sha256sum lines of the base's files: the base's fingerprint
#	manifest   sha256sum lines of every materialized file as sync last left it
#	patches    sha256sum lines of every patch file as sync last applied it
#
# The manifest and the patch record let sync tell apart the two ways a
# materialized file can disagree with its patch:
#
#	- the file changed since sync wrote it: the developer edited it in place,
#	  and the edit becomes the file's patch;
#	- the patch changed since sync applied it (git pull, git checkout): the
#	  new patch is applied to the file.
#
# When both changed, and to different results, sync stops without touching
# anything and says which files conflict: nothing a developer typed is ever
# overwritten silently.

# owned_files are upstream top-level files that the fork replaces whole.
owned_files=(README.md LICENSE VERSION go.env)

# generated_files are base files that upstream's build rewrites (cmd/dist
# writes the version and defaults into them). They are materialized when
# missing but never patched or reconciled: their changes are the build's.
generated_files=(
	src/cmd/cgo/zdefaultcc.go
	src/cmd/go/internal/cfg/zdefaultcc.go
	src/cmd/internal/objabi/zbootstrap.go
	src/internal/buildcfg/zbootstrap.go
	src/internal/runtime/sys/zversion.go
	src/time/tzdata/zzipdata.go
)

# Directories of the base that are build outputs, never materialized.
# go.env is excluded from the fingerprint because machine images edit it
# (GOTOOLCHAIN); the fork's go.env is its own file anyway.
base_list() {
	(cd "$1" && find . \( -path ./bin -o -path ./pkg -o -path ./.git \) -prune -o -type f ! -path ./go.env -print) |
		sed 's|^\./||' | LC_ALL=C sort
}

die() {
	echo "make.bash: $*" >&2
	exit 2
}

# min_bootstrap is the oldest Go that can bootstrap the base: cmd/dist's
# minBootstrap for go1.26 (src/cmd/dist/buildtool.go).
min_bootstrap=go1.24.6

# fallback_base is the last place find_base looks. GOLEASH_FALLBACK_BASE
# replaces it; set empty, it turns the fallback off (make_test.bash does, so
# that the machine's own Go does not leak into its cases).
fallback_base=${GOLEASH_FALLBACK_BASE-/usr/local/go}
declare -A pins=()

# local_go GO ARGS... runs the go command GO as it is installed: its own
# GOROOT and release, never the one that a GOTOOLCHAIN in the environment
# (export GOTOOLCHAIN=go1.27.3, say) would switch it to. find_base asks what
# is installed, and the fetch must run on the Go that find_base checked.
local_go() { env -u GOROOT GOTOOLCHAIN=local "$@"; }

# read_pins PINFILE sets want_version and pins (kind -> fingerprint) from the
# lines "VERSION KIND SHA256" of PINFILE; # starts a comment.
read_pins() {
	local v k h
	want_version=
	pins=()
	[[ -r $1 ]] || die "cannot read the base pin $1"
	while read -r v k h; do
		[[ -n $v && $v != \#* ]] || continue
		[[ -n $h ]] || die "$1: a pin reads \"VERSION KIND SHA256\", not \"$v $k\""
		[[ -z $want_version || $v == "$want_version" ]] || die "$1 pins two versions, $want_version and $v"
		want_version=$v
		pins[$k]=$h
	done <"$1"
	[[ -n $want_version ]] || die "$1 pins no base"
}

# version_of TREE prints the Go version of the tree at TREE, if any.
version_of() { [[ -f $1/VERSION ]] && head -n 1 "$1/VERSION"; }

# version_ge A B reports whether Go version A is B or later.
version_ge() {
	local a=${1#go} b=${2#go}
	a=${a%%[-+ ]*}
	[[ $(printf '%s\n%s\n' "$b" "$a" | sort -V | head -n 1) == "$b" ]]
}

# find_base PINFILE sets base to the base tree for the checkout at $top and
# base_origin to where it came from. It tries, in order, $GOLEASH_BASE (used
# whatever it is, and checked), then $GOROOT_BOOTSTRAP, the GOROOT of the go
# command on $PATH and $fallback_base, the first that is the pinned version.
# When none is, the first of those with a Go that can bootstrap the base
# fetches the toolchain module of the pinned version through the module
# proxy (fetch_base). A candidate that is this checkout (its own bin/go first
# on $PATH) is skipped: the fork cannot be its own base.
find_base() {
	local c i gocmd v self fetcher= fetcher_version= tried=()
	local path=:$PATH:
	path=${path//:$top\/bin:/:}
	path=${path#:}
	path=${path%:}
	read_pins "${1:-$top/misc/goleash/base.sum}"
	self=$(cd "$top" && pwd -P)
	if [[ -n ${GOLEASH_BASE:-} ]]; then
		[[ -d $GOLEASH_BASE ]] || die "GOLEASH_BASE=$GOLEASH_BASE is not a directory"
		base=$(cd "$GOLEASH_BASE" && pwd -P)
		base_origin="GOLEASH_BASE"
		return
	fi
	local cands=("${GOROOT_BOOTSTRAP:-}" "$(PATH="$path" local_go go env GOROOT 2>/dev/null || true)" "$fallback_base")
	local whats=("GOROOT_BOOTSTRAP" "the GOROOT of the go command on PATH" "$fallback_base")
	for i in "${!cands[@]}"; do
		c=${cands[$i]}
		[[ -n $c && -d $c ]] || continue
		c=$(cd "$c" && pwd -P)
		[[ $c != "$self" ]] || continue
		v=$(version_of "$c" || true)
		if [[ $v == "$want_version" ]]; then
			base=$c
			base_origin=${whats[$i]}
			return
		fi
		tried+=("$c (${v:-no VERSION})")
		gocmd=$c/bin/go
		if ((i == 1)); then
			gocmd=$(PATH="$path" command -v go)
		fi
		[[ -z $fetcher && -x $gocmd ]] || continue
		v=$(local_go "$gocmd" env GOVERSION 2>/dev/null || true)
		if [[ -n $v ]] && version_ge "$v" "$min_bootstrap"; then
			fetcher=$gocmd
			fetcher_version=$v
		fi
	done
	if [[ -z $fetcher ]]; then
		die "found no $want_version tree and no Go to fetch one with$( ((${#tried[@]})) && printf ' (found %s)' "${tried[*]}").
Either
	- install any Go from $min_bootstrap on, with git, patch and diff, and put its go on PATH:
	  ./make.bash then fetches $want_version from the module proxy; or
	- install a full $want_version distribution (go.dev/dl) and point the build at it:
	  GOLEASH_BASE=/path/to/$want_version ./make.bash"
	fi
	fetch_base "$fetcher" "$fetcher_version"
}

# fetch_base GO GOVERSION sets base to the toolchain module of the pinned
# version for this machine, golang.org/toolchain@v0.0.1-VERSION.GOOS-GOARCH,
# which the go command GO downloads into its module cache through the module
# proxy (GOPROXY) and verifies against the checksum database (GOSUMDB), as
# `GOTOOLCHAIN=VERSION go version` would. The module cache is never written
# to but for what that go command itself does on first use (prepare_module).
fetch_base() {
	local gocmd=$1 goversion=$2 goos goarch mod dir out rc=0 err
	goos=$(local_go "$gocmd" env GOHOSTOS) && goarch=$(local_go "$gocmd" env GOHOSTARCH) ||
		die "$gocmd env failed"
	mod=golang.org/toolchain@v0.0.1-$want_version.$goos-$goarch
	dir=$(local_go "$gocmd" env GOMODCACHE)/$mod
	if [[ -f $dir/VERSION ]]; then
		# The go command extracts a module beside its place and renames it
		# there: a module directory is complete. check_base checks its files.
		prepare_module "$dir"
		base=$(cd "$dir" && pwd -P)
		base_origin="$mod, in the module cache of $gocmd ($goversion)"
		return
	fi
	mkdir -p "$state/fetch"
	out=$(cd "$state/fetch" && local_go env -u GOFLAGS GOWORK=off GO111MODULE=on \
		"$gocmd" mod download -json "$mod" 2>&1) || rc=$?
	if ((rc != 0)); then
		# The error of go mod download -json, unquoted from JSON (\" and \\).
		err=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' |
			sed 's/\\\(["\\]\)/\1/g')
		die "found no $want_version tree, and $gocmd ($goversion) could not fetch it from the module proxy
(GOPROXY=$(local_go "$gocmd" env GOPROXY)):
	${err:-$out}
Either
	- give the go command access to the module proxy (network, GOPROXY) and run ./make.bash again:
	  it fetches $mod; or
	- install a full $want_version distribution (go.dev/dl) and point the build at it:
	  GOLEASH_BASE=/path/to/$want_version ./make.bash"
	fi
	dir=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	[[ -n $dir && -d $dir ]] || die "$gocmd mod download $mod printed no module directory:
$out"
	prepare_module "$dir"
	base=$(cd "$dir" && pwd -P)
	base_origin="$mod, fetched from the module proxy by $gocmd ($goversion)"
}

# prepare_module DIR does to the toolchain module at DIR what the go command
# does on its first use of a downloaded toolchain (cmd/go/internal/toolchain,
# select.go): the module zip holds neither execute bits nor go.mod files, so
# it sets the execute bits of bin/, pkg/tool/ and lib's go_*_*_exec and
# copies every _go.mod to go.mod beside it, src/go.mod last. A module the go
# command itself has run is left as it is.
prepare_module() {
	local dir=$1 f d mode
	[[ -f $dir/src/_go.mod ]] || return 0
	if [[ ! -x $dir/bin/go ]]; then
		find "$dir/pkg/tool" -type f -exec chmod a+x {} + 2>/dev/null
		find "$dir/lib" -type f -name 'go_?*_?*_exec' -exec chmod a+x {} + 2>/dev/null
		find "$dir/bin" -type f -exec chmod a+x {} + ||
			die "cannot set the execute bits of $dir/bin"
	fi
	if ! cmp -s "$dir/src/_go.mod" "$dir/src/go.mod"; then
		while IFS= read -r f; do
			d=$(dirname "$f")
			mode=$(stat -c %a "$d")
			chmod u+w "$d" && rm -f "$d/go.mod" && cp "$f" "$d/go.mod" && chmod "$mode" "$d" ||
				die "cannot prepare the toolchain module at $dir ($d/go.mod)"
		done < <(find "$dir" -type f -name _go.mod ! -path "$dir/src/_go.mod"; echo "$dir/src/_go.mod")
	fi
}

# base_kind BASE prints the kind of base tree BASE is: "dist" for a full
# distribution (src/, test/, api/), "module-GOOS-GOARCH" for the toolchain
# module of the module proxy (src/ but no test/ or api/; its go.mod files
# are shipped as _go.mod), nothing for anything else.
base_kind() {
	local t
	if [[ -d $1/test && -d $1/api ]]; then
		echo dist
	elif [[ -f $1/src/_go.mod ]]; then
		for t in "$1"/pkg/tool/*_*; do
			[[ -d $t ]] || continue
			t=${t##*/}
			echo "module-${t%%_*}-${t#*_}"
			return
		done
		echo module-unknown
	fi
}

# check_base BASE PINFILE writes .goleash/base.sums and stops unless BASE is
# the version pinned in PINFILE and its files have the fingerprint pinned for
# its kind of base.
check_base() {
	local base=$1 kind want_sum version sum
	read_pins "$2"
	if [[ ! -f $base/VERSION ]]; then
		die "no Go tree at $base (no VERSION file).
Goleash is built on $want_version: set GOLEASH_BASE to a $want_version tree, for example
	GOLEASH_BASE=/usr/local/go ./make.bash
or unset GOLEASH_BASE and let ./make.bash fetch $want_version from the module proxy."
	fi
	version=$(head -n 1 "$base/VERSION")
	if [[ $version != "$want_version" ]]; then
		die "the base at $base is $version, not $want_version.
Goleash is built on $want_version: set GOLEASH_BASE to a $want_version distribution, for example
	GOLEASH_BASE=/path/to/$want_version ./make.bash
or unset GOLEASH_BASE and let ./make.bash fetch $want_version from the module proxy."
	fi
	kind=$(base_kind "$base")
	if [[ -z $kind ]]; then
		die "the base at $base is $version but has no test/ or api/ directory, and it is not
the toolchain module from the module proxy either. Set GOLEASH_BASE to a full
$want_version distribution (the one from go.dev/dl), or unset it."
	fi
	if [[ $kind == module-* ]]; then
		prepare_module "$base"
	fi
	base_list "$base" | (cd "$base" && xargs -d '\n' sha256sum) >"$state/base.sums.new" ||
		die "cannot read the files of the base at $base"
	sum=$(sha256sum <"$state/base.sums.new" | cut -d' ' -f1)
	want_sum=${pins[$kind]:-}
	if [[ -z $want_sum ]]; then
		rm -f "$state/base.sums.new"
		die "the base at $base is $version, a base of kind $kind, and $2 pins no
fingerprint for that kind. Its files' fingerprint is
	$version $kind $sum
If this tree came unmodified from the module proxy (a fresh GOMODCACHE, with GOSUMDB on),
add that line to $2 (see the comment there); or set GOLEASH_BASE to a full
$want_version distribution."
	fi
	if [[ $sum != "$want_sum" ]]; then
		rm -f "$state/base.sums.new"
		die "the base at $base says $version but its files differ from the pinned $want_version ($kind)
(fingerprint $sum, want $want_sum; the fingerprint covers every file but bin/, pkg/ and go.env).
Someone changed that tree, or it is not an official $want_version release.
Set GOLEASH_BASE to an unmodified $want_version distribution, or remove the module from the
module cache (go clean -modcache) and let ./make.bash fetch it again."
	fi
	mv "$state/base.sums.new" "$state/base.sums"
	echo "$kind" >"$state/base.kind"
}

# patch_of PATH prints the patch file of materialized file PATH.
patch_of() { printf 'patches/%s.patch\n' "$1"; }

# expected BASE PATH prints what materialized file PATH must hold: the base's
# file with its patch, if any, applied.
expected() {
	local p
	p=$(patch_of "$2")
	if [[ -f $p ]]; then
		patch --quiet --force --reject-file=- -o - "$1/$2" <"$p" 2>/dev/null ||
			die "patch $p does not apply to the base's $2"
	else
		cat "$1/$2"
	fi
}

# write_patch BASE PATH makes PATH's patch the difference between the base
# and the checkout, or removes it when there is no difference.
write_patch() {
	local p
	p=$(patch_of "$2")
	if cmp -s "$1/$2" "$2"; then
		rm -f "$p"
		rmdir -p --ignore-fail-on-non-empty "$(dirname "$p")" 2>/dev/null
		return
	fi
	if ! grep -qI . "$2" && [[ -s $2 ]]; then
		die "$2 is a binary file; the fork cannot patch binary upstream files"
	fi
	mkdir -p "$(dirname "$p")"
	local rc=0
	diff -u --label "a/$2" --label "b/$2" "$1/$2" "$2" >"$p.new" || rc=$?
	[[ $rc == 1 ]] || die "diff of $2 failed"
	mv "$p.new" "$p"
}

hash_of() { sha256sum <"$1" | cut -d' ' -f1; }

# list_patches prints the patch files, sorted.
list_patches() {
	if [[ -d patches ]]; then
		find patches -type f -name '*.patch' | LC_ALL=C sort
	fi
}

# fix_modes gives the materialized files named on its input the modes a
# distribution has when the base is the toolchain module, whose files are all
# read-only and none executable: writable, and executable when a script
# (#!). From a distribution, the modes are the base's own.
fix_modes() {
	[[ $(cat "$state/base.kind" 2>/dev/null) == module-* ]] || { cat >/dev/null; return 0; }
	local list
	list=$(cat)
	[[ -n $list ]] || return 0
	printf '%s\n' "$list" | xargs -d '\n' chmod u+w || die "cannot make the materialized files writable"
	printf '%s\n' "$list" | xargs -d '\n' awk 'FNR == 1 && /^#!/ { print FILENAME } { nextfile }' |
		xargs -r -d '\n' chmod a+x
}

# sync_tree BASE materializes BASE into the current directory (the top of the
# checkout) and reconciles patches with in-place edits, as described above.
sync_tree() {
	local base=$1 exclude f h cur rec want p conflicts=() edited=() applied=() restored=() unapplied=() kind
	kind=$(cat "$state/base.kind" 2>/dev/null || true)
	local -A base_hash manifest patch_now patch_rec tracked owned generated

	for f in "${owned_files[@]}"; do owned[$f]=1; done
	for f in "${generated_files[@]}"; do generated[$f]=1; done
	while IFS= read -r f; do tracked[$f]=1; done < <(git ls-files)

	while read -r h f; do base_hash[$f]=$h; done <"$state/base.sums"
	if [[ -f $state/manifest ]]; then
		while read -r h f; do manifest[$f]=$h; done <"$state/manifest"
	fi
	if [[ -f $state/patches ]]; then
		while read -r h f; do patch_rec[$f]=$h; done <"$state/patches"
	fi

	# Upstream files must never be committed whole: a tracked file at a base
	# path is an error unless it is one of the owned top-level files.
	for f in "${!tracked[@]}"; do
		if [[ -n ${base_hash[$f]:-} && -z ${owned[$f]:-} ]]; then
			die "$f is an upstream file but is tracked by git: upstream files are never
committed whole. Untrack it (git rm --cached $f); ./make.bash then records your edit as $(patch_of "$f")."
		fi
	done

	# Patches must name base files.
	while IFS= read -r p; do
		f=${p#patches/}
		f=${f%.patch}
		if [[ -z ${base_hash[$f]:-} && $kind == module-* && ! -e $base/${f%%/*} ]]; then
			# The toolchain module has no doc/, test/, api/ or misc/.
			unapplied+=("$p")
			continue
		fi
		[[ -n ${base_hash[$f]:-} && -z ${owned[$f]:-} ]] ||
			die "$p patches $f, which is not a file of the base"
		[[ -z ${generated[$f]:-} ]] ||
			die "$p patches $f, which the build generates; change its generator instead"
		patch_now[$f]=$(hash_of "$p")
	done < <(list_patches)

	# First materialization of every file that is not there yet; owned files
	# are the fork's and are never copied.
	(
		for f in "${!base_hash[@]}"; do
			[[ -n ${owned[$f]:-} || -e $f ]] || printf '%s\n' "$f"
		done
	) >"$state/missing"
	if [[ -s $state/missing ]]; then
		if [[ -f $state/manifest ]]; then
			while IFS= read -r f; do restored+=("$f"); done <"$state/missing"
		fi
		tar -C "$base" -cf - -T "$state/missing" | tar -xf - || die "cannot copy the base"
		fix_modes <"$state/missing"
	fi

	# Reconcile. First decide everything, so that a conflict stops sync
	# before it wrote anything. Hash the materialized tree in bulk: that is
	# what finds in-place edits, whatever their timestamps say.
	local -A action now missing
	while IFS= read -r f; do missing[$f]=1; done <"$state/missing"
	while read -r h f; do now[$f]=$h; done < <(
		for f in "${!base_hash[@]}"; do
			[[ -n ${owned[$f]:-} ]] || printf '%s\n' "$f"
		done | xargs -d '\n' sha256sum
	)

	local patch_same
	for f in "${!now[@]}"; do
		[[ -z ${generated[$f]:-} ]] || continue
		rec=${manifest[$f]:-${base_hash[$f]}}
		cur=${now[$f]}
		patch_same=1
		[[ ${patch_now[$f]:-} == "${patch_rec[$f]:-}" ]] || patch_same=
		if [[ -n ${missing[$f]:-} ]]; then
			# Just copied from the base: give it its patch, if any.
			[[ -z ${patch_now[$f]:-} ]] || action[$f]=apply
			continue
		fi
		if [[ $cur == "$rec" ]]; then
			[[ -n $patch_same ]] || action[$f]=apply
			continue
		fi
		# The file changed in place since sync last wrote it.
		if [[ -n $patch_same ]]; then
			action[$f]=record
			continue
		fi
		want=$(expected "$base" "$f" | sha256sum | cut -d' ' -f1)
		if [[ $want == "$cur" ]]; then
			action[$f]=agree
		else
			conflicts+=("$f")
		fi
	done

	if ((${#conflicts[@]})); then
		{
			echo "make.bash: these files were edited in place and their patches changed too"
			echo "(git pull or checkout), to different results; nothing was changed:"
			for f in "${conflicts[@]}"; do echo "	$f	($(patch_of "$f"))"; done
			echo "Keep your edit:        copy it aside, run 'rm FILE && ./make.bash', then merge it back."
			echo "Keep the new patch:    run 'rm FILE && ./make.bash'; your edit is lost."
		} >&2
		exit 2
	fi

	for f in "${!action[@]}"; do
		case ${action[$f]} in
		apply)
			expected "$base" "$f" >"$f.goleash-new" || exit 2
			chmod --reference="$base/$f" "$f.goleash-new"
			echo "$f.goleash-new" | fix_modes
			mv "$f.goleash-new" "$f"
			applied+=("$f")
			;;
		record)
			write_patch "$base" "$f"
			edited+=("$f")
			;;
		agree) ;;
		esac
	done

	# Record what the tree and the patches now are.
	for f in "${!base_hash[@]}"; do
		[[ -n ${owned[$f]:-} ]] || printf '%s\n' "$f"
	done | LC_ALL=C sort | xargs -d '\n' sha256sum >"$state/manifest.new"
	mv "$state/manifest.new" "$state/manifest"
	list_patches | while IFS= read -r p; do
		f=${p#patches/}
		printf '%s  %s\n' "$(hash_of "$p")" "${f%.patch}"
	done >"$state/patches"

	# Hide every materialized file from git, one pattern per file: a file the
	# fork adds anywhere in the tree shows up in git status at once. (Hiding
	# whole directories would hide the fork's new files in them too.) Matching
	# fifteen thousand patterns takes git seconds, so the untracked cache keeps
	# the answer per directory; the list is rewritten only when it changes,
	# since any change to it invalidates that cache.
	exclude=$(git rev-parse --git-path info/exclude)
	mkdir -p "$(dirname "$exclude")"
	{
		echo "# Generated by Goleash's make.bash: the materialized upstream base."
		echo "# Edit the files freely; make.bash records edits as patches/PATH.patch."
		for f in "${!base_hash[@]}"; do
			[[ -n ${owned[$f]:-} ]] || printf '/%s\n' "$f"
		done | LC_ALL=C sort
	} >"$state/exclude"
	if ! cmp -s "$state/exclude" "$exclude"; then
		cp "$state/exclude" "$exclude"
	fi
	git config core.untrackedCache true

	for p in "${unapplied[@]}"; do
		f=${p#patches/}
		echo "make.bash: not applied: $p (the base, the toolchain module, has no ${f%%/*}/)"
	done
	for f in "${restored[@]}"; do echo "make.bash: restored $f from the base (it was missing)"; done
	for f in "${applied[@]}"; do echo "make.bash: applied $(patch_of "$f")"; done
	for f in "${edited[@]}"; do
		if [[ -f $(patch_of "$f") ]]; then
			echo "make.bash: recorded your edit of $f as $(patch_of "$f")"
		else
			echo "make.bash: $f is back to the base; removed its patch"
		fi
	done
	return 0
}
