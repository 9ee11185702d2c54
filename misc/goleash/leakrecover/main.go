// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Leakrecover is a long-running service that leaks a goroutine per timed
// out request, run with Goleash's periodic leak detection, with and
// without leak recovery.
//
// Each request starts a worker that fills a 16 KiB buffer and sends it
// back with its checksum on an unbuffered channel; the handler gives up
// after a deadline and returns, and the worker of every request that timed
// out blocks forever on its send, holding the buffer: the classic leak of
// "go func() { ch <- f() }()" with a select on a timeout. The worker holds
// a slot of a pool (inUse) that a deferred call gives back, as a worker
// holding an expensive resource would.
//
// "leakrecover run" starts the service twice as a child process, with
// GODEBUG=goroutineleakgc=1 and with goroutineleakgc=1,goroutineleakrecover=1,
// samples runtime/metrics in each, and writes results/report.md and
// results/samples.csv.
package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// inUse counts the workers that hold a slot: a deferred call releases it.
var inUse atomic.Int64

// A response is what a worker sends back: a checksum and the 16 KiB buffer
// it was computed from.
type response struct {
	sum uint32
	buf []byte
}

// work fills a buffer and checksums it.
func work(i int, delay time.Duration) response {
	buf := make([]byte, 16<<10)
	for j := range buf {
		buf[j] = byte(i + j)
	}
	time.Sleep(delay)
	return response{crc32.ChecksumIEEE(buf), buf}
}

// handle serves request i: it waits for its worker up to the deadline.
// Every third request's worker is slower than the deadline.
func handle(i int) bool {
	result := make(chan response)
	go func() {
		inUse.Add(1)
		defer inUse.Add(-1)
		delay := time.Duration(0)
		if i%3 == 0 {
			delay = 3 * time.Millisecond
		}
		result <- work(i, delay) // leaks when the handler gave up
	}()
	select {
	case <-result:
		return true
	case <-time.After(time.Millisecond):
		return false
	}
}

type sample struct {
	Seconds    float64 `json:"seconds"`
	HeapBytes  uint64  `json:"heap_bytes"`
	StackBytes uint64  `json:"stack_bytes"`
	Goroutines uint64  `json:"goroutines"`
	Leaked     uint64  `json:"leaked_total"`
	Recovered  uint64  `json:"recovered_total"`
	InUse      int64   `json:"in_use"`
	Requests   int     `json:"requests"`
}

// serve handles requests for the given time and prints a JSON sample of
// runtime/metrics every interval.
func serve(duration, interval time.Duration) {
	names := []string{
		"/memory/classes/heap/objects:bytes",
		"/memory/classes/heap/stacks:bytes",
		"/sched/goroutines:goroutines",
		"/sched/goroutines-leaked:goroutines",
		"/sched/goroutines-leaked-recovered:goroutines",
	}
	samples := make([]metrics.Sample, len(names))
	for i, n := range names {
		samples[i].Name = n
	}
	enc := json.NewEncoder(os.Stdout)
	start := time.Now()
	next := start
	requests := 0
	for time.Since(start) < duration {
		for range 20 {
			handle(requests)
			requests++
		}
		if time.Now().After(next) {
			metrics.Read(samples)
			value := func(i int) uint64 {
				if samples[i].Value.Kind() == metrics.KindBad {
					return 0 // go1.26.8 has no leak metrics
				}
				return samples[i].Value.Uint64()
			}
			enc.Encode(sample{
				Seconds:    time.Since(start).Seconds(),
				HeapBytes:  value(0),
				StackBytes: value(1),
				Goroutines: value(2),
				Leaked:     value(3),
				Recovered:  value(4),
				InUse:      inUse.Load(),
				Requests:   requests,
			})
			next = next.Add(interval)
		}
	}
}

// child runs the service in a child process with the given GODEBUG and
// returns its samples and its standard error.
func child(godebug string, duration, interval time.Duration) ([]sample, string, error) {
	cmd := exec.Command(os.Args[0], "serve", "-duration", duration.String(), "-interval", interval.String())
	cmd.Env = append(os.Environ(), "GODEBUG="+godebug)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	var samples []sample
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var s sample
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, "", fmt.Errorf("%q: %v", sc.Text(), err)
		}
		samples = append(samples, s)
	}
	if err := cmd.Wait(); err != nil {
		return nil, stderr.String(), fmt.Errorf("%s: %v\n%s", godebug, err, stderr.String())
	}
	return samples, stderr.String(), nil
}

func run(outDir string, duration, interval time.Duration) error {
	modes := []struct{ name, godebug string }{
		{"detection only", "goroutineleakgc=1"},
		{"detection and recovery", "goroutineleakgc=1,goroutineleakrecover=1"},
	}
	if err := os.MkdirAll(outDir, 0o777); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(outDir, "samples.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Write([]string{"mode", "seconds", "heap_bytes", "stack_bytes", "goroutines", "leaked_total", "recovered_total", "in_use", "requests"})
	var report strings.Builder
	fmt.Fprintf(&report, "# Leak recovery: a service that leaks a goroutine per timed-out request\n\n")
	fmt.Fprintf(&report, "%s, %s, %d CPUs; each mode runs %v. Generated by `misc/goleash/leakrecover/run.bash`.\n\n", runtime.Version(), runtime.GOARCH, runtime.NumCPU(), duration)
	fmt.Fprintf(&report, "| GODEBUG | requests | found leaked | recovered | goroutines at end | heap+stacks at 1/4 | heap+stacks at end | pool slots held at end |\n|---|---|---|---|---|---|---|---|\n")
	var failures []string
	var recoveryReport string
	for _, m := range modes {
		samples, stderr, err := child(m.godebug, duration, interval)
		if err != nil {
			return err
		}
		if len(samples) < 4 {
			return fmt.Errorf("%s: only %d samples", m.godebug, len(samples))
		}
		for _, s := range samples {
			w.Write([]string{m.name, strconv.FormatFloat(s.Seconds, 'f', 2, 64), fmt.Sprint(s.HeapBytes), fmt.Sprint(s.StackBytes), fmt.Sprint(s.Goroutines),
				fmt.Sprint(s.Leaked), fmt.Sprint(s.Recovered), fmt.Sprint(s.InUse), fmt.Sprint(s.Requests)})
		}
		quarter, last := samples[len(samples)/4], samples[len(samples)-1]
		fmt.Fprintf(&report, "| `%s` | %d | %d | %d | %d | %.1f MiB | %.1f MiB | %d |\n", m.godebug, last.Requests, last.Leaked, last.Recovered,
			last.Goroutines, float64(quarter.HeapBytes+quarter.StackBytes)/(1<<20), float64(last.HeapBytes+last.StackBytes)/(1<<20), last.InUse)
		// What the demonstration shows, checked: without recovery the
		// leaked goroutines pile up, with it they do not, and the report
		// names the go statement that leaks.
		switch {
		case last.Leaked == 0:
			failures = append(failures, m.godebug+": no leak detected")
		case m.godebug == modes[0].godebug && (last.Recovered != 0 || last.Goroutines < last.Leaked):
			failures = append(failures, fmt.Sprintf("%s: %d goroutines for %d leaked, %d recovered", m.godebug, last.Goroutines, last.Leaked, last.Recovered))
		case m.godebug == modes[1].godebug && (last.Recovered == 0 || last.Goroutines > last.Leaked/4+100):
			failures = append(failures, fmt.Sprintf("%s: %d goroutines for %d leaked, %d recovered", m.godebug, last.Goroutines, last.Leaked, last.Recovered))
		}
		if m.godebug == modes[1].godebug {
			recoveryReport = stderr
			if n := strings.Count(stderr, "leaked: it is blocked forever"); n != 1 || !strings.Contains(stderr, "main.handle.func1()") {
				failures = append(failures, fmt.Sprintf("%s: %d recovery reports, want 1 naming main.handle.func1:\n%s", m.godebug, n, stderr))
			}
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	fmt.Fprintf(&report, "\nThe report that leak recovery printed, once for the leaking `go` statement:\n\n```\n%s```\n", recoveryReport)
	if err := os.WriteFile(filepath.Join(outDir, "report.md"), []byte(report.String()), 0o666); err != nil {
		return err
	}
	io.WriteString(os.Stdout, report.String())
	if len(failures) > 0 {
		return fmt.Errorf("%s", strings.Join(failures, "\n"))
	}
	return nil
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("leakrecover: ")
	if len(os.Args) < 2 {
		log.Fatal("usage: leakrecover run [-out DIR] [-duration D] | leakrecover serve")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	duration := fs.Duration("duration", 20*time.Second, "how long each mode serves")
	interval := fs.Duration("interval", 500*time.Millisecond, "sampling interval")
	out := fs.String("out", "results", "directory for report.md and samples.csv")
	fs.Parse(os.Args[2:])
	switch os.Args[1] {
	case "serve":
		serve(*duration, *interval)
	case "run":
		if err := run(*out, *duration, *interval); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}
