// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// runOnce starts the server as "os.Executable() server ...": here,
	// this test binary.
	if len(os.Args) > 1 && os.Args[1] == "server" {
		if err := runServer(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestAbandonedWork floods a server whose LISTs no client waits for
// long enough, and checks what happens to the work: without abort it runs
// to completion for nobody; with abort it is stopped and nothing runs
// once the clients have left.
func TestAbandonedWork(t *testing.T) {
	c := config{
		Items:         6000,
		Clients:       4,
		ClientTimeout: 5 * time.Millisecond, // shorter than one LIST
		ServerTimeout: time.Minute,
		Backoff:       20 * time.Millisecond,
		BackoffCap:    50 * time.Millisecond,
		GiveUp:        500 * time.Millisecond,
		Drain:         time.Minute,
		Calibrate:     1,
	}
	dir := t.TempDir()
	var results []result
	for _, abort := range []bool{false, true} {
		r, err := runOnce(c, abort, filepath.Join(dir, fmt.Sprintf("samples-%v.csv", onOff(abort))))
		if err != nil {
			t.Fatal(err)
		}
		h := r.Handlers
		t.Logf("abort %s: %d attempts, %d served, handlers: %d finished for nobody, %d aborted, %d running at the end",
			onOff(abort), r.Attempts, r.Served, h.Abandoned, h.Aborted, h.InFlight)
		if h.InFlight != 0 {
			t.Errorf("abort %s: %d handlers still running a minute after the clients left", onOff(abort), h.InFlight)
		}
		if r.Served != 0 {
			t.Fatalf("abort %s: %d clients served within %v; the test needs a slower LIST", onOff(abort), r.Served, c.ClientTimeout)
		}
		if !abort && (h.Aborted != 0 || h.Abandoned == 0) {
			t.Errorf("abort off: %d handlers aborted, %d finished for nobody; want 0 and some", h.Aborted, h.Abandoned)
		}
		if abort && (h.Aborted == 0 || h.Aborted < h.Abandoned) {
			t.Errorf("abort on: %d handlers aborted, %d finished for nobody; want most of them aborted", h.Aborted, h.Abandoned)
		}
		if r.PeakHandlers == 0 || r.PeakRSS == 0 {
			t.Errorf("abort %s: peak handlers %d, peak RSS %.0f MiB: not measured", onOff(abort), r.PeakHandlers, r.PeakRSS)
		}
		results = append(results, r)
	}
	report := filepath.Join(dir, "report.md")
	if err := writeReport(report, c, results); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| abort off | abort on | change |", "| handlers aborted | 0 |"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("report lacks %q:\n%s", want, data)
		}
	}
}
