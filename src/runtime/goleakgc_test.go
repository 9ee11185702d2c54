// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime_test

import (
	"strings"
	"testing"
)

func TestGoroutineLeakMetrics(t *testing.T) {
	for _, tc := range []struct {
		godebug string
		detects bool
	}{
		{"", false},
		{"goroutineleakgc=0", false},
		{"goroutineleakgc=1,gctrace=1", true},
		{"goroutineleakgc=3,gctrace=1", true},
	} {
		t.Run(tc.godebug, func(t *testing.T) {
			env := []string{"GODEBUG=" + tc.godebug}
			if tc.detects {
				env = append(env, "GOLEASH_WANT_DETECTION=1")
			}
			out := runTestProg(t, "testprog", "GoroutineLeakMetrics", env...)
			// gctrace writes to stderr piecemeal, so OK may land in the
			// middle of a trace line; it is written in one piece.
			if !strings.Contains(out, "OK\n") {
				t.Fatalf("want OK, got:\n%s", out)
			}
			// The last cycle's trace line may still be printing when the
			// program exits; an earlier detection's line is complete.
			trace := strings.Contains(tc.godebug, "gctrace=1")
			if got := strings.Contains(out, "(checking for goroutine leaks: 1 leaked)"); trace && !got {
				t.Errorf("gctrace does not show a detection that found 1 leak:\n%s", out)
			}
		})
	}
}

func TestGoroutineLeakRecovery(t *testing.T) {
	for _, tc := range []struct {
		mode, godebug string
		reports       bool
	}{
		{"abort", "goroutineleakgc=1,goroutineleakrecover=1", true},
		{"off", "goroutineleakgc=1", false},
		{"profile", "goroutineleakrecover=1", false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			out := runTestProg(t, "testprog", "GoroutineLeakRecovery", "GODEBUG="+tc.godebug, "GOLEASH_RECOVERY="+tc.mode)
			if !strings.HasSuffix(out, "OK\n") {
				t.Fatalf("want OK, got:\n%s", out)
			}
			reports := strings.Count(out, "leaked: it is blocked forever and nothing can wake it")
			if !tc.reports {
				if reports != 0 {
					t.Fatalf("got %d leak recovery reports, want none:\n%s", reports, out)
				}
				return
			}
			// One report per go statement, with the stack that leaked.
			if reports != 3 {
				t.Errorf("got %d leak recovery reports, want 3, one per go statement:\n%s", reports, out)
			}
			for _, want := range []string{
				"[chan send (leaked)]:\nmain.leakRecoverySend(",
				"[sync.Mutex.Lock (leaked)]:\n",
				"main.leakRecoveryLock(",
				"[chan receive (leaked)]:\n",
				"main.leakRecoveryMasked.func1(",
				"created by main.GoroutineLeakRecovery in goroutine 1",
				"cannot be aborted where it waits",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output does not contain %q:\n%s", want, out)
				}
			}
			if n := strings.Count(out, "cannot be aborted where it waits"); n != 1 {
				t.Errorf("the masked goroutine is reported %d times as not abortable, want once:\n%s", n, out)
			}
		})
	}
}
