// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Command versions checks that Goleash's version string reads as the Go
// release the fork is built on in the version parsers of the tools Go users
// run: Delve, govulncheck (golang.org/x/vuln), gopls, golangci-lint, cmd/go
// and go/version. doc/goleash/version.md states the rule and why.
//
// Usage:
//
//	versions -base go1.26.8 -version VERSION
//	versions -base go1.26.8 -version VERSION -built
//
// Without -built it checks the string VERSION as the toolchain stamps it:
// runtime.Version, the "go version" line, the DWARF producer
// "Go cmd/compile VERSION; FLAGS" and the build info of the programs it
// builds. With -built it checks the toolchain on $PATH instead: that its
// GOVERSION is VERSION, this program's own runtime.Version, and the build
// info and DWARF producer of a program it builds.
//
// Delve, govulncheck and golangci-lint are the modules' own code at the
// versions that go.mod pins; gopls, cmd/go and golangci-lint's unexported
// helpers are their rules restated, with the function each one restates.
// It exits 1 if any check fails.
package main

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/dwarf"
	"debug/elf"
	"encoding/json"
	"flag"
	"fmt"
	"go/version"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	delve "github.com/go-delve/delve/pkg/goversion"
	"github.com/golangci/golangci-lint/v2/pkg/goutil"
	"golang.org/x/mod/semver"
	"golang.org/x/vuln/scan"
)

var (
	baseFlag    = flag.String("base", "", "the Go release the fork is built on, e.g. go1.26.8")
	versionFlag = flag.String("version", "", "the fork's version string (first line of VERSION)")
	builtFlag   = flag.Bool("built", false, "check the toolchain on $PATH, which must report -version")
)

// base is the release the fork is built on, as numbers.
var base struct {
	name                string // "go1.26.8"
	major, minor, patch int
}

var failed int

// tmpDirs are removed before the program exits.
var tmpDirs []string

func exit(code int) {
	for _, d := range tmpDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// check records one tool's reading of a version string.
func check(tool, input, got string, ok bool) {
	status := "ok  "
	if !ok {
		status = "FAIL"
		failed++
	}
	fmt.Printf("%s %-34s %-52q -> %s\n", status, tool, input, got)
}

func main() {
	flag.Parse()
	if *baseFlag == "" || *versionFlag == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: versions -base go1.26.8 -version VERSION [-built]")
		os.Exit(2)
	}
	parseBase(*baseFlag)

	s := stamps{runtime: *versionFlag}
	s.goVersion = "go version " + s.runtime + " " + runtime.GOOS + "/" + runtime.GOARCH
	// cmd/link writes "Go cmd/compile " + buildcfg.Version, then "; " and
	// the compiler flags when there are any (ld/dwarf.go).
	s.producer = "Go cmd/compile " + s.runtime + "; regabi"
	s.buildInfo = s.runtime
	s.goenv = s.runtime
	if *builtFlag {
		if err := s.fromToolchain(*versionFlag); err != nil {
			fmt.Fprintln(os.Stderr, "versions:", err)
			exit(1)
		}
	}

	fmt.Printf("base %s, version %q", base.name, *versionFlag)
	if *builtFlag {
		fmt.Printf(", as built by %s", s.goVersion)
	}
	fmt.Println()

	checkIdentity(s)
	checkDelve(s)
	checkGovulncheck(s)
	checkGopls(s)
	checkGolangciLint(s)
	checkCmdGo(s)
	checkGoVersionPackage(s)

	if failed > 0 {
		fmt.Printf("versions: %d checks failed: the tools above do not read %q as %s (see doc/goleash/version.md)\n", failed, *versionFlag, base.name)
		exit(1)
	}
	fmt.Printf("versions: every tool reads %q as %s\n", *versionFlag, base.name)
	exit(0)
}

func parseBase(name string) {
	m := regexp.MustCompile(`^go(\d+)\.(\d+)\.(\d+)$`).FindStringSubmatch(name)
	if m == nil {
		fmt.Fprintf(os.Stderr, "versions: -base %q is not a release like go1.26.8\n", name)
		os.Exit(2)
	}
	base.name = name
	base.major, _ = strconv.Atoi(m[1])
	base.minor, _ = strconv.Atoi(m[2])
	base.patch, _ = strconv.Atoi(m[3])
}

// stamps are the places a toolchain writes its version, where the tools
// read it.
type stamps struct {
	runtime   string // runtime.Version() of a program the toolchain built
	goVersion string // the line "go version" prints
	goenv     string // go env GOVERSION
	producer  string // DW_AT_producer of the program's compilation units
	buildInfo string // the go line of the program's build info (go version -m)
	binary    string // path of a program the toolchain built, with -built
	self      bool   // runtime is this program's own runtime.Version
}

// fromToolchain fills s from the toolchain on $PATH, which must report want.
func (s *stamps) fromToolchain(want string) error {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return fmt.Errorf("go env GOVERSION: %v", err)
	}
	s.goenv = strings.TrimSpace(string(out))
	// The linker appends non-default GOEXPERIMENTs as "X:..." after a space
	// or a dash (cmd/link/internal/ld/main.go).
	if s.goenv != want && !strings.HasPrefix(s.goenv, want+" X:") && !strings.HasPrefix(s.goenv, want+"-X:") {
		return fmt.Errorf("the go command on $PATH reports GOVERSION %q, but VERSION says %q: bin/go is older than VERSION; rebuild it with ./make.bash", s.goenv, want)
	}
	out, err = exec.Command("go", "version").Output()
	if err != nil {
		return fmt.Errorf("go version: %v", err)
	}
	s.goVersion = strings.TrimSpace(string(out))

	// This program was built by the same toolchain (versions_test.bash
	// builds it with go build), so its runtime.Version is the stamp.
	s.runtime = runtime.Version()
	s.self = true

	dir, err := os.MkdirTemp("", "goleash-versions-")
	if err != nil {
		return err
	}
	tmpDirs = append(tmpDirs, dir)
	s.binary = filepath.Join(dir, "hello")
	src := filepath.Join(dir, "hello.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"strings\"\n\nfunc main() { println(strings.ToUpper(\"hi\")) }\n"), 0o666); err != nil {
		return err
	}
	if out, err := exec.Command("go", "build", "-o", s.binary, src).CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	bi, err := buildinfo.ReadFile(s.binary)
	if err != nil {
		return err
	}
	s.buildInfo = bi.GoVersion
	s.producer, err = producer(s.binary)
	return err
}

// producer returns the DW_AT_producer of the runtime's compilation unit.
func producer(binary string) (string, error) {
	f, err := elf.Open(binary)
	if err != nil {
		return "", err
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		return "", err
	}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			return "", fmt.Errorf("%s: no compilation unit of package runtime: %v", binary, err)
		}
		if e.Tag != dwarf.TagCompileUnit {
			r.SkipChildren()
			continue
		}
		if name, _ := e.Val(dwarf.AttrName).(string); name == "runtime" {
			p, _ := e.Val(dwarf.AttrProducer).(string)
			return p, nil
		}
		r.SkipChildren()
	}
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

func checkIdentity(s stamps) {
	check("identity: names the fork", s.goVersion, s.goVersion, strings.Contains(s.goVersion, "goleash"))
	check("identity: runtime.Version", s.runtime, s.runtime, strings.Contains(s.runtime, "goleash"))
	check("identity: build info", s.buildInfo, s.buildInfo, strings.Contains(s.buildInfo, "goleash"))
	// cmd/link promises readers that the version has no semicolon, so that
	// they may cut the producer's flags off at the first one.
	check("identity: no ';' (DWARF producer)", s.runtime, "", !strings.Contains(s.runtime, ";"))
}

// isBase reports whether a Delve version is the base release: not a
// development build, a beta, a release candidate or a proposal release.
func isBase(v delve.GoVersion, ok bool) bool {
	return ok && v.Major == base.major && v.Minor == base.minor && v.Rev == base.patch &&
		v.Proposal == "" && !v.IsDevelBuild()
}

func delveString(v delve.GoVersion, ok bool) string {
	return fmt.Sprintf("{%d %d %d %q %q} %v", v.Major, v.Minor, v.Rev, v.Proposal, v.Toolchain, ok)
}

func checkDelve(s stamps) {
	// Delve reads its own Go version from runtime.Version.
	v, ok := delve.Parse(s.runtime)
	check("delve goversion.Parse", s.runtime, delveString(v, ok), isBase(v, ok))

	// goversion.Installed parses the "go version" line after its prefix.
	in := strings.TrimPrefix(s.goVersion, "go version ")
	v, ok = delve.Parse(in)
	check("delve goversion.Installed", in, delveString(v, ok), isBase(v, ok))

	// pkg/proc/bininfo.go cuts the producer at its first ';' and reads the
	// rest with ParseProducer; Compatible does the same for the target.
	p := s.producer
	if i := strings.Index(p, ";"); i >= 0 {
		p = p[:i]
	}
	v = delve.ParseProducer(p)
	check("delve goversion.ParseProducer", p, delveString(v, true), isBase(v, true))

	// Compatible rejects a DWARFv5 target unless runtime.Version of Delve
	// itself parses as go1.25 or later, so that check is only meaningful
	// for this program's own runtime.Version (-built).
	dwarfVer := uint8(4)
	if s.self {
		dwarfVer = 5
	}
	err := delve.Compatible(dwarfVer, p, false)
	got := "compatible"
	if err != nil {
		got = err.Error()
	}
	check(fmt.Sprintf("delve goversion.Compatible(dwarf%d)", dwarfVer), p, got, err == nil)
}

// checkGovulncheck runs govulncheck against a local vulnerability database
// with two standard library entries: one fixed in the release after base,
// which affects base, and one fixed in base, which does not. A scan that
// reads the toolchain as base reports the first and only the first; one
// that reads it as unknown reports neither, and one that reads it as a
// pre-release of base reports both.
func checkGovulncheck(s stamps) {
	dir, err := os.MkdirTemp("", "goleash-vulndb-")
	if err != nil {
		check("govulncheck", "", err.Error(), false)
		return
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "db")
	next := fmt.Sprintf("%d.%d.%d", base.major, base.minor, base.patch+1)
	this := fmt.Sprintf("%d.%d.%d", base.major, base.minor, base.patch)
	affecting, fixed := "GO-2099-0001", "GO-2099-0002"
	if err := writeVulnDB(db, map[string]string{affecting: next, fixed: this}); err != nil {
		check("govulncheck", "", err.Error(), false)
		return
	}
	mod := filepath.Join(dir, "m")
	os.MkdirAll(mod, 0o777)
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module m\n\ngo 1.21\n"), 0o666)
	os.WriteFile(filepath.Join(mod, "main.go"), []byte("package main\n\nimport \"strings\"\n\nfunc main() { println(strings.ToUpper(\"hi\")) }\n"), 0o666)

	// Source mode reads GOVERSION from its environment, else from
	// "go env GOVERSION" (internal/scan/run.go, prepareConfig).
	env := os.Environ()
	label := "govulncheck -mode source"
	if s.self {
		env = append(env, "GOVERSION=") // unset: let it ask the go command
		label += " (go env)"
	} else {
		env = append(env, "GOVERSION="+s.goenv)
	}
	got, ok := govulncheck(env, []string{"-C", mod, "-db", "file://" + db, "-format", "json", "-scan", "package", "./..."}, affecting, fixed)
	check(label, s.goenv, got, ok)

	// Binary mode reads the go line of the binary's build info.
	if s.binary != "" {
		got, ok := govulncheck(os.Environ(), []string{"-db", "file://" + db, "-format", "json", "-mode", "binary", s.binary}, affecting, fixed)
		check("govulncheck -mode binary", s.buildInfo, got, ok)
	}
}

// writeVulnDB writes a database in the layout of go.dev/security/vuln/database
// with, for each id, a standard library entry on package strings fixed in
// the given version.
func writeVulnDB(dir string, fixedIn map[string]string) error {
	const modified = "2026-01-01T00:00:00Z"
	if err := os.MkdirAll(filepath.Join(dir, "index"), 0o777); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "ID"), 0o777); err != nil {
		return err
	}
	type ref struct {
		ID       string `json:"id"`
		Modified string `json:"modified"`
		Fixed    string `json:"fixed"`
	}
	var refs []ref
	for id, fixed := range fixedIn {
		refs = append(refs, ref{id, modified, fixed})
		entry := map[string]any{
			"schema_version": "1.3.1",
			"id":             id,
			"modified":       modified,
			"published":      modified,
			"summary":        "Goleash test entry: affects the standard library before " + fixed,
			"details":        "A synthetic entry for misc/goleash/versions.",
			"affected": []any{map[string]any{
				"package": map[string]any{"name": "stdlib", "ecosystem": "Go"},
				"ranges": []any{map[string]any{
					"type":   "SEMVER",
					"events": []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": fixed}},
				}},
				"ecosystem_specific": map[string]any{"imports": []any{map[string]any{"path": "strings", "symbols": []string{"ToUpper"}}}},
			}},
		}
		if err := writeJSON(filepath.Join(dir, "ID", id+".json"), entry); err != nil {
			return err
		}
	}
	if err := writeJSON(filepath.Join(dir, "index", "db.json"), map[string]string{"modified": modified}); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "index", "modules.json"), []any{map[string]any{"path": "stdlib", "vulns": refs}})
}

func writeJSON(file string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o666)
}

// govulncheck runs a scan and reports which of the two entries it found and
// at what standard library version.
func govulncheck(env, args []string, affecting, fixed string) (string, bool) {
	var stdout, stderr bytes.Buffer
	cmd := scan.Command(context.Background(), args...)
	cmd.Env = env
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "start: " + err.Error(), false
	}
	// A text scan that finds something exits with "vulnerabilities found";
	// a JSON one reports findings and succeeds.
	if err := cmd.Wait(); err != nil && err.Error() != "vulnerabilities found" {
		return fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr.String())), false
	}
	found := map[string]string{} // OSV id -> stdlib version in the trace
	dec := json.NewDecoder(&stdout)
	for {
		var msg struct {
			Finding *struct {
				OSV   string `json:"osv"`
				Trace []struct {
					Module  string `json:"module"`
					Version string `json:"version"`
				} `json:"trace"`
			} `json:"finding"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return "reading govulncheck -json: " + err.Error(), false
		}
		if f := msg.Finding; f != nil && len(f.Trace) > 0 {
			found[f.OSV] = f.Trace[len(f.Trace)-1].Version
		}
	}
	want := "v" + strings.TrimPrefix(base.name, "go")
	got := fmt.Sprintf("stdlib@%q reported: %s=%v %s=%v", found[affecting], affecting, found[affecting] != "", fixed, found[fixed] != "")
	_, fixedFound := found[fixed]
	return got, found[affecting] == want && !fixedFound
}

func checkGopls(s stamps) {
	// gopls/internal/cache/view.go, View.GoVersionString, reads the go
	// version line with internal/gocommand.ParseGoVersionOutput, the
	// regexp `^go version (go\S+|devel \S+)`; mod_vuln.go uses the match
	// as the version of module stdlib, compared as semver after trimming
	// "go" (gopls/internal/vulncheck/semver).
	m := regexp.MustCompile(`^go version (go\S+|devel \S+)`).FindStringSubmatch(s.goVersion)
	v := ""
	if m != nil {
		v = m[1]
	}
	sv := "v" + strings.TrimPrefix(strings.TrimPrefix(v, "v"), "go")
	got := fmt.Sprintf("%q, semver %q prerelease %q", v, semver.Canonical(sv), semver.Prerelease(sv))
	check("gopls View.GoVersionString (rule)", s.goVersion, got,
		semver.IsValid(sv) && semver.Compare(sv, "v"+strings.TrimPrefix(base.name, "go")) == 0 && semver.Prerelease(sv) == "")
}

func checkGolangciLint(s stamps) {
	lang := fmt.Sprintf("go%d.%d", base.major, base.minor)
	if s.self {
		// pkg/goutil reads this program's runtime.Version.
		rv, err := goutil.CleanRuntimeVersion()
		check("golangci-lint CleanRuntimeVersion", s.runtime, fmt.Sprintf("%q %v, Lang %q", rv, err, version.Lang(rv)), err == nil && version.Lang(rv) == lang)
		err = goutil.CheckGoVersion(strings.TrimPrefix(lang, "go"))
		check("golangci-lint CheckGoVersion", s.runtime, fmt.Sprint(err), err == nil)
	} else {
		// pkg/goutil/version.go, cleanRuntimeVersion: the first field of
		// runtime.Version that starts with "go1."; CheckGoVersion takes its
		// go/version.Lang.
		rv := ""
		for _, f := range strings.Fields(s.runtime) {
			if strings.HasPrefix(f, "go1.") {
				rv = f
				break
			}
		}
		check("golangci-lint cleanRuntimeVersion (rule)", s.runtime, fmt.Sprintf("%q, Lang %q", rv, version.Lang(rv)), version.Lang(rv) == lang)
	}
	// pkg/config/config.go, parseGoVersion, reads GOVERSION when there is
	// no go.mod: "go" trimmed, then cut at the first byte that is neither
	// a digit nor a dot.
	raw := strings.TrimPrefix(s.goenv, "go")
	if i := strings.IndexFunc(raw, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }); i >= 0 {
		raw = raw[:i]
	}
	check("golangci-lint parseGoVersion (rule)", s.goenv, fmt.Sprintf("%q", raw), "go"+raw == base.name)
}

func checkCmdGo(s stamps) {
	// cmd/go/internal/gover.FromToolchain, through which cmd/go reads its
	// own runtime.Version (gover.Local) for toolchain selection and go.mod
	// go lines: "go" trimmed, then a suffix introduced by '-', ' ' or '\t'
	// removed. The script test goleash_version.txt checks the built go
	// command itself.
	v := strings.TrimPrefix(s.runtime, "go")
	if i := strings.IndexAny(v, " \t-"); i >= 0 {
		v = v[:i]
	}
	check("cmd/go gover.FromToolchain (rule)", s.runtime, fmt.Sprintf("%q", v), "go"+v == base.name && !strings.ContainsAny(s.runtime, `/\`))
	if s.self {
		check("cmd/go env GOVERSION", s.goenv, s.goenv, s.goenv == s.runtime)
	}
}

func checkGoVersionPackage(s stamps) {
	// go/version reads toolchain names, cutting a "-suffix"; the fork's
	// version is not a toolchain name (see doc/goleash/version.md), and a
	// reader of runtime.Version must take its first field, as it must for
	// upstream's " X:" experiment suffix.
	f := firstField(s.runtime)
	lang := fmt.Sprintf("go%d.%d", base.major, base.minor)
	check("go/version.Lang(first field)", f, fmt.Sprintf("%q, IsValid %v, Compare %d", version.Lang(f), version.IsValid(f), version.Compare(f, base.name)),
		version.Lang(f) == lang && version.IsValid(f) && version.Compare(f, base.name) == 0)
	fmt.Printf("note go/version.IsValid(whole string) = %v for %q (not a toolchain name; see doc/goleash/version.md)\n", version.IsValid(s.runtime), s.runtime)
}
