// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Command delve turns what run.bash measured into results: for each
// configuration (a Delve and a toolchain), the seconds of each run of
// BenchmarkConditionalBreakpoints and the result of each test of Delve's
// pkg/proc test suite; it writes OUT/results.json and OUT/report.md and
// prints the report.
//
// Usage:
//
//	delve -raw RAW -out OUT
//
// RAW holds what run.bash wrote: configs.tsv (name, description,
// GOVERSION, Delve version, seconds the test suite took, one
// configuration a line, the first one the baseline), bench-NAME-ROUND.txt
// (the benchmark's output) and tests-NAME.json ("go test -json" of the
// suite). It exits 1 if the configurations do not pass the same tests, or
// a benchmark run failed.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

type config struct {
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	GoVersion    string    `json:"goversion"`
	Delve        string    `json:"delve"`
	BenchSeconds []float64 `json:"benchSeconds"` // BenchmarkConditionalBreakpoints, one per run, in run order
	SuiteSeconds float64   `json:"suiteSeconds"` // the pkg/proc -short suite, wall clock
	Pass         []string  `json:"pass"`
	Fail         []string  `json:"fail"`
	Skip         []string  `json:"skip"`
	Unfinished   []string  `json:"unfinished,omitempty"` // started, never reported (the binary died)
}

type results struct {
	Date    string    `json:"date"`
	Machine string    `json:"machine"`
	Rounds  int       `json:"rounds"`
	Configs []*config `json:"configs"`
	Report  string    `json:"-"`
}

func main() {
	raw := flag.String("raw", "", "the directory run.bash wrote")
	out := flag.String("out", "results", "where to write results.json and report.md")
	machine := flag.String("machine", "", "the machine, in words")
	flag.Parse()
	if *raw == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: delve -raw RAW -out OUT")
		os.Exit(2)
	}
	r, err := read(*raw)
	if err == nil {
		r.Machine = *machine
		err = write(r, *out)
	}
	fmt.Print(r.Report)
	if err != nil {
		fmt.Fprintln(os.Stderr, "delve:", err)
		os.Exit(1)
	}
}

func read(raw string) (*results, error) {
	r := &results{Date: time.Now().UTC().Format("2006-01-02")}
	data, err := os.ReadFile(filepath.Join(raw, "configs.tsv"))
	if err != nil {
		return r, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return r, fmt.Errorf("configs.tsv: %q: want 5 fields", line)
		}
		secs, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return r, fmt.Errorf("configs.tsv: %v", err)
		}
		c := &config{Name: f[0], Description: f[1], GoVersion: f[2], Delve: f[3], SuiteSeconds: secs}
		r.Configs = append(r.Configs, c)
	}
	var errs []error
	for _, c := range r.Configs {
		for round := 1; ; round++ {
			name := filepath.Join(raw, fmt.Sprintf("bench-%s-%d.txt", c.Name, round))
			s, err := benchSeconds(name)
			if errors.Is(err, os.ErrNotExist) {
				break
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			c.BenchSeconds = append(c.BenchSeconds, s)
			r.Rounds = max(r.Rounds, round)
		}
		if err := readTests(filepath.Join(raw, "tests-"+c.Name+".json"), c); err != nil {
			errs = append(errs, err)
		}
	}
	return r, errors.Join(errs...)
}

// benchSeconds reads the ns/op of BenchmarkConditionalBreakpoints, which
// runs once (it sets b.N to 1), as seconds.
func benchSeconds(name string) (float64, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 4 && strings.HasPrefix(fields[0], "BenchmarkConditionalBreakpoints") && fields[3] == "ns/op" {
			ns, err := strconv.ParseFloat(fields[2], 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %v", name, err)
			}
			return ns / 1e9, nil
		}
	}
	return 0, fmt.Errorf("%s: no BenchmarkConditionalBreakpoints result (the run failed)", name)
}

// readTests reads the result of every test, subtests included, from a
// "go test -json" stream.
func readTests(name string, c *config) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	result := map[string]string{}
	dec := json.NewDecoder(f)
	for {
		var ev struct{ Action, Test string }
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if ev.Test == "" {
			continue
		}
		switch ev.Action {
		case "run":
			result[ev.Test] = "unfinished"
		case "pass", "fail", "skip":
			result[ev.Test] = ev.Action
		}
	}
	for t, res := range result {
		switch res {
		case "pass":
			c.Pass = append(c.Pass, t)
		case "fail":
			c.Fail = append(c.Fail, t)
		case "skip":
			c.Skip = append(c.Skip, t)
		default:
			c.Unfinished = append(c.Unfinished, t)
		}
	}
	for _, s := range [][]string{c.Pass, c.Fail, c.Skip, c.Unfinished} {
		slices.Sort(s)
	}
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func write(r *results, out string) error {
	var b strings.Builder
	base := r.Configs[0]
	fmt.Fprintf(&b, "Delve %s, `BenchmarkConditionalBreakpoints` (pkg/proc; one run each, %d rounds, the configurations interleaved in each round) and the `pkg/proc` test suite (`-short`, once each), %s.\n\n",
		base.Delve, r.Rounds, r.Machine)
	b.WriteString("| configuration | GOVERSION | benchmark, s per run | median | vs. " + base.Name + " | pkg/proc tests: pass / fail / skip | suite |\n")
	b.WriteString("|---|---|---|---:|---:|---|---:|\n")
	var errs []error
	for _, c := range r.Configs {
		runs := make([]string, len(c.BenchSeconds))
		for i, s := range c.BenchSeconds {
			runs[i] = fmt.Sprintf("%.2f", s)
		}
		speed := "—"
		if m := median(c.BenchSeconds); m > 0 && median(base.BenchSeconds) > 0 {
			speed = fmt.Sprintf("%.2fx", median(base.BenchSeconds)/m)
		}
		tests := fmt.Sprintf("%d / %d / %d", len(c.Pass), len(c.Fail), len(c.Skip))
		if len(c.Unfinished) > 0 {
			tests += fmt.Sprintf(" (+%d unfinished)", len(c.Unfinished))
		}
		fmt.Fprintf(&b, "| %s: %s | %s | %s | **%.2f** | %s | %s | %.0f s |\n",
			c.Name, c.Description, c.GoVersion, strings.Join(runs, ", "), median(c.BenchSeconds), speed, tests, c.SuiteSeconds)
		if len(c.BenchSeconds) < r.Rounds || len(c.BenchSeconds) == 0 {
			errs = append(errs, fmt.Errorf("%s: %d of %d benchmark runs measured", c.Name, len(c.BenchSeconds), r.Rounds))
		}
	}
	b.WriteString("\n")
	same := true
	for _, c := range r.Configs[1:] {
		if d := diff(base.Pass, c.Pass); d != "" {
			same = false
			fmt.Fprintf(&b, "Tests passing on %s and not on %s, or the reverse: %s\n", base.Name, c.Name, d)
			errs = append(errs, fmt.Errorf("%s and %s pass different tests", base.Name, c.Name))
		}
	}
	if same {
		fmt.Fprintf(&b, "The same %d tests (subtests included) pass in every configuration.\n", len(base.Pass))
	}
	if len(base.Fail) > 0 {
		fmt.Fprintf(&b, "Failing on %s: %s.\n", base.Name, strings.Join(base.Fail, ", "))
	}
	r.Report = b.String()
	if err := os.MkdirAll(out, 0o777); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "\t")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "results.json"), append(data, '\n'), 0o666); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "report.md"), []byte(r.Report), 0o666); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// diff lists the names in only one of two sorted lists, each marked with
// the list it is in (- the first, + the second).
func diff(a, b []string) string {
	var d []string
	for _, t := range a {
		if _, ok := slices.BinarySearch(b, t); !ok {
			d = append(d, "-"+t)
		}
	}
	for _, t := range b {
		if _, ok := slices.BinarySearch(a, t); !ok {
			d = append(d, "+"+t)
		}
	}
	return strings.Join(d, ", ")
}
