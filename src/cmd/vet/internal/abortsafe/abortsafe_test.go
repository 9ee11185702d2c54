// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package abortsafe

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"internal/testenv"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
)

// The vendored golang.org/x/tools has no analysistest, so these tests
// run the analyzer themselves and check its reports against "want"
// comments the way analysistest does: a comment
//
//	// want `re1` "re2"
//
// on a line says that the analyzer reports exactly two diagnostics on
// it, matching those regular expressions.

// checkPackage type-checks the Go files of testdata/src/dir as the
// package with import path path, runs the analyzer on it and returns its
// reports.
func checkPackage(t *testing.T, dir, path string) (*token.FileSet, []*ast.File, []analysis.Diagnostic) {
	t.Helper()
	// The standard packages are imported from export data, which
	// importer.Default gets from "go list -export".
	testenv.MustHaveGoBuild(t)

	if err := analysis.Validate([]*analysis.Analyzer{Analyzer}); err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join("testdata", "src", dir, "*.go"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no Go files in testdata/src/%s: %v", dir, err)
	}
	var files []*ast.File
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	info := &types.Info{
		Types:      make(map[ast.Expr]types.TypeAndValue),
		Defs:       make(map[*ast.Ident]types.Object),
		Uses:       make(map[*ast.Ident]types.Object),
		Implicits:  make(map[ast.Node]types.Object),
		Selections: make(map[*ast.SelectorExpr]*types.Selection),
		Scopes:     make(map[ast.Node]*types.Scope),
		Instances:  make(map[*ast.Ident]types.Instance),
	}
	conf := types.Config{Importer: importer.Default()}
	pkg, err := conf.Check(path, fset, files, info)
	if err != nil {
		t.Fatal(err)
	}
	var diags []analysis.Diagnostic
	pass := &analysis.Pass{
		Analyzer:   Analyzer,
		Fset:       fset,
		Files:      files,
		Pkg:        pkg,
		TypesInfo:  info,
		TypesSizes: types.SizesFor("gc", runtime.GOARCH),
		Report:     func(d analysis.Diagnostic) { diags = append(diags, d) },
	}
	if _, err := Analyzer.Run(pass); err != nil {
		t.Fatal(err)
	}
	return fset, files, diags
}

// A want is one expected report.
type want struct {
	re      *regexp.Regexp
	matched bool
}

// wants returns the expected reports of files by file name and line.
func wants(t *testing.T, fset *token.FileSet, files []*ast.File) map[token.Position][]*want {
	ws := make(map[token.Position][]*want)
	for _, f := range files {
		for _, g := range f.Comments {
			for _, c := range g.List {
				text, ok := strings.CutPrefix(c.Text, "// want ")
				if !ok {
					continue
				}
				pos := fset.Position(c.Pos())
				pos = token.Position{Filename: pos.Filename, Line: pos.Line}
				for text = strings.TrimSpace(text); text != ""; text = strings.TrimSpace(text) {
					lit, err := strconv.QuotedPrefix(text)
					if err != nil {
						t.Fatalf("%v: bad want comment: %v", pos, err)
					}
					text = text[len(lit):]
					s, _ := strconv.Unquote(lit)
					ws[pos] = append(ws[pos], &want{re: regexp.MustCompile(s)})
				}
			}
		}
	}
	return ws
}

func TestAnalyzer(t *testing.T) {
	fset, files, diags := checkPackage(t, "a", "example.com/a")
	ws := wants(t, fset, files)
	if len(ws) == 0 {
		t.Fatal("no want comments in testdata/src/a")
	}
	for _, d := range diags {
		pos := fset.Position(d.Pos)
		line := token.Position{Filename: pos.Filename, Line: pos.Line}
		found := false
		for _, w := range ws[line] {
			if !w.matched && w.re.MatchString(d.Message) {
				w.matched, found = true, true
				break
			}
		}
		if !found {
			t.Errorf("%v: unexpected report: %s", pos, d.Message)
		}
	}
	for pos, list := range ws {
		for _, w := range list {
			if !w.matched {
				t.Errorf("%v: no report matching %#q", pos, w.re)
			}
		}
	}
}

// TestPackagePath checks that the analyzer reports only in packages
// where runtime.abortSafePackage lets aborts land.
func TestPackagePath(t *testing.T) {
	for _, tt := range []struct {
		path   string
		report bool
	}{
		{"example.com/m", true},
		{"main", true},
		{"encoding/json", true},
		{"net/http_test", true}, // external tests are user code
		{"internal/foo_test", true},
		{"example.com/internalx", true},
		{"example.com/x/internals", true},

		{"runtime", false},
		{"runtime/pprof", false},
		{"sync", false},
		{"sync/atomic", false},
		{"syscall", false},
		{"os", false},
		{"os/exec", false},
		{"net", false},
		{"net/http", false},
		{"time", false},
		{"context", false},
		{"reflect", false},
		{"iter", false},
		{"unique", false},
		{"weak", false},
		{"plugin", false},
		{"testing", false},
		{"crypto/tls", false},
		{"crypto/internal/fips140", false},
		{"fmt", false},
		{"bytes", false},
		{"text/template", false},
		{"html/template", false},
		{"log/slog", false},
		{"internal/poll", false},
		{"vendor/golang.org/x/net/route", false},
		{"example.com/internal", false},
		{"example.com/internal/x", false},
	} {
		_, _, diags := checkPackage(t, "pkgpath", tt.path)
		if got := len(diags) > 0; got != tt.report {
			t.Errorf("package %s: reported %v, want %v (%d reports)", tt.path, got, tt.report, len(diags))
		}
	}
}
