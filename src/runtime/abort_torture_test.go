// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime_test

import (
	"context"
	"fmt"
	"internal/race"
	"internal/testenv"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The torture programs (testdata/testprog/aborttorture.go) use Unix
// signals, pipes and /proc; they are built for Unix only.
func mustHaveAbortTorture(t *testing.T) {
	switch runtime.GOOS {
	case "windows", "plan9", "js", "wasip1":
		t.Skipf("the abort torture programs are Unix-only (they send themselves SIGUSR1)")
	}
}

// tortureEnv is the environment of a torture program: CleanCmdEnv drops
// GODEBUG and GOTRACEBACK, but the configuration under test (such as
// GODEBUG=gccheckmark=1) must reach the program, and a hang must dump the
// runtime's frames too.
func tortureEnv(extra ...string) []string {
	env := []string{"GOTRACEBACK=system"}
	if v := os.Getenv("GODEBUG"); v != "" {
		env = append(env, "GODEBUG="+v)
	}
	return append(env, extra...)
}

// tortureOK matches the last line of a torture program that succeeded:
// its rounds and its aborts.
var tortureOK = regexp.MustCompile(`(?m)^OK rounds=(\d+) aborts=(\d+)$`)

// runTorture runs the testprog entry point name with env, and returns its
// output and whether it succeeded: exited with status 0, printed a line
// starting with "OK" and no fatal error. A program that outlives limit is
// sent SIGQUIT, which dumps its goroutines; its own watchdog should have
// done so long before.
func runTorture(t *testing.T, exe, name string, limit time.Duration, env []string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := testenv.CleanCmdEnv(testenv.CommandContext(t, ctx, exe, name))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	s := string(out)
	ok := err == nil && regexp.MustCompile(`(?m)^OK`).MatchString(s) &&
		!strings.Contains(s, "fatal error") && !strings.Contains(s, "panic: ")
	if !ok {
		s = fmt.Sprintf("%v %s: %v\n%s", env, name, err, s)
	}
	return s, ok
}

func TestAbortFirstGC(t *testing.T) {
	// A goroutine whose allocation starts the first GC of the process
	// waits, inside gcStart, for the GC's mark workers to start, with
	// worldsema and gcsema held. Cancelling that wait for an abort
	// leaked the semaphores and deadlocked the program, in 14 of 20
	// runs; it happens once per process, so each run is a new one.
	mustHaveAbortTorture(t)
	exe, err := buildTestProg(t, "testprognet")
	if err != nil {
		t.Fatal(err)
	}
	runs, rounds := 20, 100
	if testing.Short() {
		// The first GC is in the first or second round.
		rounds = 10
	}
	aborts := 0
	for i := range runs {
		out, ok := runTorture(t, exe, "AbortFirstGC", 5*time.Minute,
			tortureEnv("GOLEASH_FIRSTGC_ROUNDS="+strconv.Itoa(rounds)))
		if !ok {
			t.Fatalf("run %d of %d:\n%s", i+1, runs, out)
		}
		m := tortureOK.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("run %d of %d: no abort count in its output:\n%s", i+1, runs, out)
		}
		n, _ := strconv.Atoi(m[2])
		aborts += n
	}
	t.Logf("abort-torture: firstgc aborts=%d processes=%d failures=0", aborts, runs)
}

// tortureConfig is one configuration of TestAbortTorture's processes.
type tortureConfig struct {
	services string // GOLEASH_TORTURE_SERVICES
	rounds   int    // per process
	procs    int    // how many processes, if no time budget is set
	share    int    // its share of the time budget, in eighths
}

// TestAbortTorture aborts, at random moments, goroutines that use the
// runtime's services (allocation and GC, timers, channels, maps, stack
// growth, reflection, sync, signals, pipes, TCP...), and checks after
// every round that the runtime and every shared primitive still work; see
// testdata/testprog/aborttorture.go.
//
// Each subtest runs processes of the torture program: "fresh" a round per
// process, since some paths (the first GC) happen once per process;
// "long" many rounds in one process; "dial" and "handlock" the services
// that rely on the compiler keeping an abort out of the window between
// acquiring something and deferring its release (Dial ... defer Close),
// or out of a Lock ... Unlock region written by hand, so that their
// failures are told apart from the rest.
//
// GOLEASH_TORTURE_TIME, a duration, replaces the fixed number of
// processes by a time budget for the whole test (misc/goleash/aborttorture.bash
// uses it); GOLEASH_TORTURE_SEED fixes the seed of the first process.
// The test logs "abort-torture: SUBTEST aborts=N processes=P failures=F".
func TestAbortTorture(t *testing.T) {
	mustHaveAbortTorture(t)
	var budget time.Duration
	if v := os.Getenv("GOLEASH_TORTURE_TIME"); v != "" {
		var err error
		if budget, err = time.ParseDuration(v); err != nil {
			t.Fatalf("GOLEASH_TORTURE_TIME: %v", err)
		}
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("GOLEASH_TORTURE_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("GOLEASH_TORTURE_SEED: %v", err)
		}
	}
	exe, err := buildTestProg(t, "testprognet")
	if err != nil {
		t.Fatal(err)
	}
	configs := []struct {
		name string
		tortureConfig
	}{
		{"fresh", tortureConfig{services: "all", rounds: 1, procs: 50, share: 3}},
		{"long", tortureConfig{services: "all", rounds: 1000, procs: 1, share: 3}},
		{"dial", tortureConfig{services: "dial", rounds: 200, procs: 1, share: 1}},
		{"handlock", tortureConfig{services: "handlock,mutex", rounds: 500, procs: 1, share: 1}},
	}
	timeout := 20 // seconds a step may take before the watchdog fires
	if testing.Short() {
		for i := range configs {
			c := &configs[i].tortureConfig
			c.procs = (c.procs + 4) / 5
			c.rounds = (c.rounds + 9) / 10
		}
	}
	if race.Enabled {
		timeout = 60
	}
	var total int64
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			var aborts, failures int64
			procs := 0
			var deadline time.Time
			if budget > 0 {
				deadline = time.Now().Add(budget * time.Duration(c.share) / 8)
			}
			for budget > 0 && time.Now().Before(deadline) || budget == 0 && procs < c.procs {
				env := tortureEnv(
					"GOLEASH_TORTURE_SEED="+strconv.FormatUint(seed, 10),
					"GOLEASH_TORTURE_SERVICES="+c.services,
					"GOLEASH_TORTURE_ROUNDS="+strconv.Itoa(c.rounds),
					"GOLEASH_TORTURE_TIMEOUT_S="+strconv.Itoa(timeout))
				if budget > 0 && c.procs == 1 {
					// One process that runs until its share of
					// the budget is spent.
					env = append(env, "GOLEASH_TORTURE_DURATION_MS="+
						strconv.FormatInt(time.Until(deadline).Milliseconds(), 10))
				}
				seed++
				procs++
				out, ok := runTorture(t, exe, "AbortTorture", 10*time.Minute, env)
				if !ok {
					failures++
					if failures <= 3 {
						t.Errorf("process %d failed:\n%s", procs, out)
					} else {
						t.Errorf("process %d failed (output omitted)", procs)
					}
					continue
				}
				m := tortureOK.FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("no abort count in the output:\n%s", out)
				}
				n, _ := strconv.ParseInt(m[2], 10, 64)
				if n == 0 {
					t.Errorf("process %d aborted no goroutine:\n%s", procs, out)
				}
				aborts += n
			}
			total += aborts
			t.Logf("abort-torture: %s aborts=%d processes=%d failures=%d", c.name, aborts, procs, failures)
		})
	}
	t.Logf("abort-torture: total aborts=%d", total)
}
