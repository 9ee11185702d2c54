// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package testing_test

import (
	"internal/testenv"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestGoleakgc runs itself with -test.goleakgc: a leaking subtest fails
// with its report, a leak the test allows passes and is counted, and
// -test.failfast stops at the first leak.
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
