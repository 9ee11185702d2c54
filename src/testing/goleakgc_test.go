// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package testing_test

import (
	"bytes"
	"context"
	"internal/testenv"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGoleakgc runs itself with -test.goleakgc: a leaking subtest fails
// with its report, a leak the test allows passes and is counted, a leak
// from a time.AfterFunc timer belongs to the test that created the timer,
// the test's profiler labels are its own, and -test.failfast stops at the
// first leak.
func TestGoleakgc(t *testing.T) {
	if os.Getenv("GO_WANT_GOLEAKGC_HELPER") == "1" {
		t.Run("allowed", func(t *testing.T) {
			t.AllowGoroutineLeak("testing_test.leakReceive")
			go leakReceive(make(chan int))
		})
		t.Run("clean", func(t *testing.T) {
			ch := make(chan int)
			go func() { ch <- 1 }()
			<-ch
		})
		t.Run("leak", func(t *testing.T) {
			go leakReceive(make(chan int))
		})
		t.Run("afterfunc", func(t *testing.T) {
			started := make(chan bool)
			time.AfterFunc(time.Millisecond, func() {
				started <- true
				leakReceive(make(chan int))
			})
			<-started
		})
		t.Run("labels", func(t *testing.T) {
			// Neither the test's context nor its goroutine, nor
			// the goroutines it starts, carry a label the test did
			// not set.
			pprof.ForLabels(t.Context(), func(key, value string) bool {
				t.Errorf("t.Context() has the profiler label %s=%s", key, value)
				return true
			})
			pprof.Do(t.Context(), pprof.Labels("mine", "yes"), func(ctx context.Context) {
				done := make(chan bool)
				go func() {
					var buf bytes.Buffer
					pprof.Lookup("goroutine").WriteTo(&buf, 1)
					labels := regexp.MustCompile(`(?m)^# labels: .*$`).FindAllString(buf.String(), -1)
					if len(labels) == 0 || slices.ContainsFunc(labels, func(l string) bool { return l != `# labels: {"mine":"yes"}` }) {
						t.Errorf("goroutine profile has labels %q, want only mine=yes:\n%s", labels, buf.String())
					}
					close(done)
				}()
				<-done
			})
		})
		t.Run("after", func(t *testing.T) {})
		return
	}

	t.Parallel()
	run := func(args ...string) string {
		cmd := testenv.Command(t, testenv.Executable(t), append([]string{"-test.run=^TestGoleakgc$", "-test.v"}, args...)...)
		cmd = testenv.CleanCmdEnv(cmd)
		cmd.Env = append(cmd.Env, "GO_WANT_GOLEAKGC_HELPER=1")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%v: test binary succeeded, want failure", args)
		}
		return string(out)
	}

	out := run("-test.goleakgc")
	for _, want := range []string{
		`(?m)^\s+goleakgc: TestGoleakgc/allowed leaked 1 goroutine, allowed by AllowGoroutineLeak$`,
		`(?m)^    --- PASS: TestGoleakgc/allowed `,
		`(?m)^    --- PASS: TestGoleakgc/clean `,
		`(?m)^\s+goleakgc: TestGoleakgc/leak leaked 1 goroutine, blocked forever:\n\s+goroutine \d+ \[chan receive\]:\n\s+testing_test\.leakReceive\(\.\.\.\)\n\s+.*goleakgc_test\.go:\d+\n\s+created by testing_test\.TestGoleakgc\.func3 in goroutine \d+\n`,
		`(?m)^    --- FAIL: TestGoleakgc/leak `,
		`(?m)^\s+goleakgc: TestGoleakgc/afterfunc leaked 1 goroutine, blocked forever:\n\s+goroutine \d+ \[chan receive\]:\n\s+testing_test\.leakReceive\(\.\.\.\)\n\s+.*goleakgc_test\.go:\d+\n\s+testing_test\.TestGoleakgc\.func4\.1\(\.\.\.\)\n\s+.*\n\s+created by time\.goFunc in goroutine \d+\n`,
		`(?m)^    --- FAIL: TestGoleakgc/afterfunc `,
		`(?m)^    --- PASS: TestGoleakgc/labels `,
		`(?m)^    --- PASS: TestGoleakgc/after `,
		`(?m)^goleakgc: 1 goroutine allowed by AllowGoroutineLeak$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output does not match %#q:\n%s", want, out)
		}
	}

	out = run("-test.goleakgc", "-test.failfast")
	if !strings.Contains(out, "--- FAIL: TestGoleakgc/leak ") || strings.Contains(out, "TestGoleakgc/after") {
		t.Errorf("with -test.failfast, want TestGoleakgc/leak to fail and TestGoleakgc/after not to run:\n%s", out)
	}
}

func leakReceive(ch chan int) {
	<-ch
}
