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
