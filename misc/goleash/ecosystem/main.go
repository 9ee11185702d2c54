// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Command ecosystem reads the output of the tools that
// misc/goleash/ecosystem.bash runs and says whether they behaved as on
// go1.26.8. It has no dependencies, so that it builds without the module
// proxy.
//
// Usage:
//
//	ecosystem gotest [-want T1,T2=skip,...] FORK.json [PRISTINE.json]
//	ecosystem govulncheck -go GOVERSION -stdlib vX.Y.Z -want ID [-not ID] SCAN.json
//
// gotest reads "go test -json" streams. With one stream it prints the
// counts and requires every test of -want to pass, or to have the result
// that follows its name and "=" (pass, fail or skip). With two it also prints
// each test whose result differs and fails if a test that passed on
// pristine go1.26.8 did not pass on the fork (failed, skipped, or never
// finished because the test binary died).
//
// govulncheck reads a "govulncheck -format json" stream. It requires the
// scan's go_version to be GOVERSION (source mode; binary mode reports none),
// every -want entry to be reported with the standard library at -stdlib,
// at symbol level, and no -not entry to be reported. -want and -not may be
// repeated; "-want none" wants no finding at all.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gotest":
		err = gotest(os.Args[2:])
	case "govulncheck":
		err = govulncheck(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ecosystem %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: ecosystem gotest [-want T1,T2=skip,...] FORK.json [PRISTINE.json]")
	fmt.Fprintln(os.Stderr, "       ecosystem govulncheck -go GOVERSION -stdlib vX.Y.Z -want ID [-not ID] SCAN.json")
	os.Exit(2)
}

// A run is the result of each test of one "go test -json" stream, by
// name ("TestX" or "TestX/sub"): pass, fail, skip, or unfinished for a
// test that started and never reported.
type run struct {
	result  map[string]string
	output  map[string][]string // each test's output lines
	pkgFail []string            // packages whose test binary failed (including a build failure)
	pkgOut  []string            // output outside any test: build errors, a crash
}

func readRun(file string) (*run, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := &run{result: map[string]string{}, output: map[string][]string{}}
	dec := json.NewDecoder(f)
	for {
		var ev struct {
			Action  string
			Package string
			Test    string
			Output  string
		}
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		if ev.Action == "output" {
			line := strings.TrimSuffix(ev.Output, "\n")
			if ev.Test == "" {
				r.pkgOut = append(r.pkgOut, line)
			} else {
				r.output[ev.Test] = append(r.output[ev.Test], line)
			}
			continue
		}
		switch {
		case ev.Test == "" && ev.Action == "fail":
			r.pkgFail = append(r.pkgFail, ev.Package)
		case ev.Test == "":
		case ev.Action == "run":
			if _, ok := r.result[ev.Test]; !ok {
				r.result[ev.Test] = "unfinished"
			}
		case ev.Action == "pass", ev.Action == "fail", ev.Action == "skip":
			r.result[ev.Test] = ev.Action
		}
	}
	if len(r.result) == 0 {
		return nil, fmt.Errorf("%s: no test ran (packages failed: %v):\n%s", file, r.pkgFail, tail(r.pkgOut, 30))
	}
	return r, nil
}

// tail returns the last n lines, indented.
func tail(lines []string, n int) string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\t" + strings.Join(lines, "\n\t")
}

// showFailures prints the end of the output of each test that failed or
// did not finish, and what the test binary printed outside any test when
// it failed (a panic, a timeout).
func (r *run) showFailures(label string) {
	var names []string
	for t, res := range r.result {
		if res == "fail" || res == "unfinished" {
			names = append(names, t)
		}
	}
	slices.Sort(names)
	for _, t := range names {
		fmt.Printf("--- %s %s on %s:\n%s\n", r.result[t], t, label, tail(r.output[t], 15))
	}
	if len(r.pkgFail) > 0 {
		fmt.Printf("--- test binary on %s failed (%v):\n%s\n", label, r.pkgFail, tail(r.pkgOut, 15))
	}
}

func (r *run) counts() string {
	n := map[string]int{}
	for _, res := range r.result {
		n[res]++
	}
	s := fmt.Sprintf("%d tests: %d passed, %d failed, %d skipped", len(r.result), n["pass"], n["fail"], n["skip"])
	if n["unfinished"] > 0 {
		s += fmt.Sprintf(", %d unfinished", n["unfinished"])
	}
	return s
}

func gotest(args []string) error {
	fs := flag.NewFlagSet("gotest", flag.ExitOnError)
	want := fs.String("want", "", "comma-separated tests that must pass, or TEST=RESULT")
	fs.Parse(args)
	if fs.NArg() < 1 || fs.NArg() > 2 {
		usage()
	}
	fork, err := readRun(fs.Arg(0))
	if err != nil {
		return err
	}
	fork.showFailures("the fork")
	fmt.Printf("fork:     %s\n", fork.counts())
	var bad []string
	if *want != "" {
		for _, w := range strings.Split(*want, ",") {
			t, wantRes, ok := strings.Cut(w, "=")
			if !ok {
				wantRes = "pass"
			}
			res := or(fork.result[t], "not run")
			why := ""
			if res == "skip" {
				why = " (" + skipReason(fork.output[t]) + ")"
			}
			fmt.Printf("  %-32s %s%s, want %s\n", t, res, why, wantRes)
			if res != wantRes {
				bad = append(bad, fmt.Sprintf("%s %s, want %s", t, res, wantRes))
			}
		}
	}
	if fs.NArg() == 2 {
		pristine, err := readRun(fs.Arg(1))
		if err != nil {
			return err
		}
		pristine.showFailures("pristine")
		fmt.Printf("pristine: %s\n", pristine.counts())
		var names []string
		for t := range pristine.result {
			names = append(names, t)
		}
		for t := range fork.result {
			if _, ok := pristine.result[t]; !ok {
				names = append(names, t)
			}
		}
		slices.Sort(names)
		diff := 0
		for _, t := range names {
			p, f := or(pristine.result[t], "not run"), or(fork.result[t], "not run")
			if p == f {
				continue
			}
			diff++
			mark := ""
			if p == "pass" {
				mark = "  <- regression"
				bad = append(bad, fmt.Sprintf("%s: %s on pristine, %s on the fork", t, p, f))
			}
			fmt.Printf("  differs: %-40s pristine %-10s fork %s%s\n", t, p, f, mark)
		}
		if diff == 0 {
			fmt.Println("  no test differs between the fork and pristine go1.26.8")
		}
	}
	if len(bad) > 0 {
		return errors.New("tests that must pass did not: " + strings.Join(bad, "; "))
	}
	return nil
}

// skipReason returns the message of a skipped test's t.Skip.
func skipReason(output []string) string {
	for i := len(output) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(output[i]); l != "" && !strings.HasPrefix(l, "--- SKIP") && !strings.HasPrefix(l, "=== ") {
			return l
		}
	}
	return "no reason given"
}

func or(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func govulncheck(args []string) error {
	fs := flag.NewFlagSet("govulncheck", flag.ExitOnError)
	gover := fs.String("go", "", "the go_version the scan must report (empty: none, as in binary mode)")
	stdlib := fs.String("stdlib", "", "the version of module stdlib in each wanted finding")
	var want, not list
	fs.Var(&want, "want", "an entry that must be reported at symbol level (repeatable; none: no finding)")
	fs.Var(&not, "not", "an entry that must not be reported (repeatable)")
	fs.Parse(args)
	if fs.NArg() != 1 || len(want) == 0 {
		usage()
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	var goVersion string
	sawConfig := false
	found := map[string]map[string]bool{} // OSV id -> stdlib versions it was reported at
	symbol := map[string]string{}         // OSV id -> the vulnerable symbol of a symbol-level finding
	dec := json.NewDecoder(f)
	for {
		var msg struct {
			Config *struct {
				GoVersion string `json:"go_version"`
			} `json:"config"`
			Finding *struct {
				OSV   string `json:"osv"`
				Trace []struct {
					Module   string `json:"module"`
					Version  string `json:"version"`
					Package  string `json:"package"`
					Function string `json:"function"`
				} `json:"trace"`
			} `json:"finding"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("%s: %v", fs.Arg(0), err)
		}
		if c := msg.Config; c != nil {
			sawConfig = true
			goVersion = c.GoVersion
		}
		if fd := msg.Finding; fd != nil && len(fd.Trace) > 0 {
			// Trace[0] is the vulnerable symbol, in module stdlib.
			fr := fd.Trace[0]
			if found[fd.OSV] == nil {
				found[fd.OSV] = map[string]bool{}
			}
			found[fd.OSV][fr.Module+"@"+fr.Version] = true
			if fr.Function != "" {
				symbol[fd.OSV] = fr.Package + "." + fr.Function
			}
		}
	}
	if !sawConfig {
		return errors.New("no config message: not a govulncheck -format json stream")
	}
	fmt.Printf("  go_version %q\n", goVersion)
	var ids []string
	for id := range found {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		var at []string
		for v := range found[id] {
			at = append(at, v)
		}
		slices.Sort(at)
		fmt.Printf("  reported %s at %s, symbol %s\n", id, strings.Join(at, " "), or(symbol[id], "(none: module or package level only)"))
	}
	if len(ids) == 0 {
		fmt.Println("  reported nothing")
	}
	var bad []string
	if goVersion != *gover {
		bad = append(bad, fmt.Sprintf("go_version %q, want %q", goVersion, *gover))
	}
	for _, id := range want {
		if id == "none" {
			if len(ids) > 0 {
				bad = append(bad, "reported "+strings.Join(ids, ", ")+", want no finding")
			}
			continue
		}
		switch {
		case found[id] == nil:
			bad = append(bad, id+" not reported")
		case len(found[id]) != 1 || !found[id]["stdlib@"+*stdlib]:
			bad = append(bad, fmt.Sprintf("%s reported at %v, want stdlib@%s", id, found[id], *stdlib))
		case symbol[id] == "":
			bad = append(bad, id+" reported without a symbol: the call was not found")
		}
	}
	for _, id := range not {
		if found[id] != nil {
			bad = append(bad, id+" reported, but the fork's release has its fix")
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}
