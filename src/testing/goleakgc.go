// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package testing

import (
	"cmp"
	"flag"
	"fmt"
	"internal/profilerecord"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	_ "unsafe" // for go:linkname
)

// Goroutine leak checks: go test -goleakgc.
//
// Each test's goroutine belongs to that run of that test, and so does
// every goroutine it starts, however deep the chain of go statements, and
// every goroutine started by a time.AfterFunc timer that it created: the
// runtime keeps the test's number in the goroutine and copies it at each go
// statement. It is not a profiler label: the code under test sees its own
// labels, and writes its profiles, as without -goleakgc. When the test and
// its subtests have finished, the garbage collector's leak detector (the
// goroutineleak profile of runtime/pprof) finds the goroutines that are
// blocked forever on a channel or sync primitive that no goroutine that may
// still run can reach; those of the test fail it. At the end of the package
// run a last detection reports the leaks that no test's check saw:
// goroutines that blocked after their test ended, and goroutines started
// outside any test (init, TestMain, examples, benchmarks).
//
// There are no sleeps and no retries: a goroutine is reported only when
// the collector proved that nothing can ever wake it. A goroutine that is
// still running, sleeping, or waiting for the network, a timer or a system
// call is never reported.

var goleakgc *bool

func initGoleakgcFlag() {
	goleakgc = flag.Bool("test.goleakgc", false, "fail tests that leave goroutines blocked forever, found by the garbage collector")
}

// goleakDeps is what the leak checks need from runtime/pprof, through
// testing/internal/testdeps. It is separate from testDeps so that callers of
// MainStart with their own testDeps keep working, without -goleakgc.
type goleakDeps interface {
	GoroutineLeaks(test uint32) []profilerecord.LeakedGoroutine
}

// runtime_setGoroutineLeakTest is implemented in runtime/goleakgc.go.
//
//go:linkname runtime_setGoroutineLeakTest
func runtime_setGoroutineLeakTest(test uint32)

// goleak is the state of the leak checks of one test binary.
var goleak struct {
	deps   goleakDeps // nil if the test binary cannot check leaks
	nextID atomic.Uint32

	mu       sync.Mutex
	tests    map[uint32]*leakCheck // by id; all tests of the run
	reported map[uint64]bool       // goroutine IDs already reported or allowed
	allowed  int                   // leaked goroutines let through by AllowGoroutineLeak
	mAllow   []string              // functions passed to (*M).AllowGoroutineLeak
}

// leakCheck is the leak-check state of one run of one test.
type leakCheck struct {
	id     uint32     // order in which tests started; unique per run of a test; the runtime's g.leakTest
	name   string     // the test's full name
	parent *leakCheck // nil for a top-level test

	mu    sync.Mutex
	allow []string // functions passed to AllowGoroutineLeak
}

func goleakEnabled() bool { return goleakgc != nil && *goleakgc && goleak.deps != nil }

// initLeakCheck gives the new test t a number of its own. It runs in Run,
// before t's goroutine starts.
func (t *T) initLeakCheck() {
	if !goleakEnabled() || t.isSynctest {
		return
	}
	lc := &leakCheck{
		id:   goleak.nextID.Add(1),
		name: t.name,
	}
	if t.parent != nil {
		lc.parent = t.parent.leak
	}
	goleak.mu.Lock()
	if goleak.tests == nil {
		goleak.tests = make(map[uint32]*leakCheck)
	}
	goleak.tests[lc.id] = lc
	goleak.mu.Unlock()
	t.leak = lc
}

// setLeakTest makes the test's goroutine, and those it starts, belong to
// the test instead of its parent; it runs first in tRunner.
func (t *T) setLeakTest() {
	if t.leak != nil {
		runtime_setGoroutineLeakTest(t.leak.id)
	}
}

// AllowGoroutineLeak lets goroutines leaked by t or its subtests pass the
// checks of go test -goleakgc when the function fn is on the stack where
// they are blocked or is the function that started them. fn is a function
// name as runtime.Frame.Function reports it, such as
// "example.com/pkg.(*Pool).worker"; an empty fn allows every leak of t.
//
// Use it for a leak that cannot be fixed yet: allowed leaks are still
// counted and reported in the test's log. Without -goleakgc it does nothing.
func (t *T) AllowGoroutineLeak(fn string) {
	if t.leak == nil {
		return
	}
	t.leak.mu.Lock()
	t.leak.allow = append(t.leak.allow, fn)
	t.leak.mu.Unlock()
}

// AllowGoroutineLeak lets goroutines that leak outside any test (started by
// init functions, TestMain, examples or benchmarks) pass the checks of go
// test -goleakgc when the function fn is on the stack where they are
// blocked or is the function that started them; an empty fn allows every
// such leak. Allowed leaks are still counted in the output. Without
// -goleakgc it does nothing.
func (m *M) AllowGoroutineLeak(fn string) {
	goleak.mu.Lock()
	goleak.mAllow = append(goleak.mAllow, fn)
	goleak.mu.Unlock()
}

// allows reports whether the functions of allow let leaked goroutine g pass.
func allows(allow []string, g *profilerecord.LeakedGoroutine) bool {
	if len(allow) == 0 {
		return false
	}
	if slices.Contains(allow, "") {
		return true
	}
	frames := runtime.CallersFrames(g.Stack)
	for {
		f, more := frames.Next()
		if slices.Contains(allow, f.Function) {
			return true
		}
		if !more {
			break
		}
	}
	f, _ := runtime.CallersFrames([]uintptr{g.GoPC}).Next()
	return slices.Contains(allow, f.Function)
}

// allowList returns the functions allowed for lc and its ancestors.
func (lc *leakCheck) allowList() []string {
	var allow []string
	for ; lc != nil; lc = lc.parent {
		lc.mu.Lock()
		allow = append(allow, lc.allow...)
		lc.mu.Unlock()
	}
	return allow
}

// splitLeaks splits leaks into those not yet reported that allow lets
// through and the rest, and marks them all reported.
func splitLeaks(leaks []profilerecord.LeakedGoroutine, allow func(*profilerecord.LeakedGoroutine) []string) (bad []profilerecord.LeakedGoroutine, allowed int) {
	goleak.mu.Lock()
	defer goleak.mu.Unlock()
	if goleak.reported == nil {
		goleak.reported = make(map[uint64]bool)
	}
	for i := range leaks {
		g := &leaks[i]
		if goleak.reported[g.ID] {
			continue
		}
		goleak.reported[g.ID] = true
		if allows(allow(g), g) {
			allowed++
			continue
		}
		bad = append(bad, *g)
	}
	goleak.allowed += allowed
	return bad, allowed
}

// checkGoroutineLeaks fails t if goroutines it started are blocked
// forever. It runs in tRunner after the test, its cleanups and all its
// subtests have finished, before the test reports.
func (t *T) checkGoroutineLeaks() {
	if t.leak == nil {
		return
	}
	leaks := goleak.deps.GoroutineLeaks(t.leak.id)
	if len(leaks) == 0 {
		return
	}
	allow := t.leak.allowList()
	bad, allowed := splitLeaks(leaks, func(*profilerecord.LeakedGoroutine) []string { return allow })
	w := t.Output()
	if allowed > 0 {
		fmt.Fprintf(w, "goleakgc: %s leaked %s, allowed by AllowGoroutineLeak\n", t.name, goroutines(allowed))
	}
	if len(bad) == 0 {
		return
	}
	wasFailed := t.Failed()
	t.Fail()
	if !wasFailed {
		// tRunner counted the failures before this check.
		numFailed.Add(1)
	}
	fmt.Fprintf(w, "goleakgc: %s leaked %s, blocked forever:\n\n", t.name, goroutines(len(bad)))
	writeLeaks(w, bad)
}

// checkGoroutineLeaks reports, at the end of the package's tests, the leaked
// goroutines that no test's check reported, and whether there were none.
func (m *M) checkGoroutineLeaks() bool {
	if !goleakEnabled() {
		if goleakgc != nil && *goleakgc {
			fmt.Fprintln(os.Stderr, "testing: -test.goleakgc is not supported by this test binary (custom MainStart)")
			return false
		}
		return true
	}
	leaks := goleak.deps.GoroutineLeaks(0)
	goleak.mu.Lock()
	owners := goleak.tests
	mAllow := slices.Clone(goleak.mAllow)
	goleak.mu.Unlock()
	owner := func(g *profilerecord.LeakedGoroutine) *leakCheck { return owners[g.Test] }
	bad, _ := splitLeaks(leaks, func(g *profilerecord.LeakedGoroutine) []string {
		if lc := owner(g); lc != nil {
			return lc.allowList()
		}
		return mAllow
	})

	// Group by test, in the order the tests started.
	byOwner := make(map[*leakCheck][]profilerecord.LeakedGoroutine)
	var order []*leakCheck
	for _, g := range bad {
		lc := owner(&g)
		if _, ok := byOwner[lc]; !ok {
			order = append(order, lc)
		}
		byOwner[lc] = append(byOwner[lc], g)
	}
	// Leaks outside any test (nil) come last.
	slices.SortFunc(order, func(a, b *leakCheck) int {
		switch {
		case a == b:
			return 0
		case a == nil:
			return 1
		case b == nil:
			return -1
		}
		return cmp.Compare(a.id, b.id)
	})
	var sb strings.Builder
	for _, lc := range order {
		gs := byOwner[lc]
		if lc == nil {
			fmt.Fprintf(&sb, "goleakgc: %s leaked outside any test (init, TestMain, examples, benchmarks), blocked forever:\n\n", goroutines(len(gs)))
		} else {
			fmt.Fprintf(&sb, "goleakgc: %s leaked %s that blocked forever after the test ended:\n\n", lc.name, goroutines(len(gs)))
		}
		writeLeaks(&sb, gs)
	}
	goleak.mu.Lock()
	allowed := goleak.allowed
	goleak.mu.Unlock()
	if allowed > 0 {
		fmt.Fprintf(&sb, "goleakgc: %s allowed by AllowGoroutineLeak\n", goroutines(allowed))
	}
	if sb.Len() > 0 {
		fmt.Print(chatty.prefix(), sb.String())
	}
	return len(bad) == 0
}

func goroutines(n int) string {
	if n == 1 {
		return "1 goroutine"
	}
	return strconv.Itoa(n) + " goroutines"
}

// writeLeaks writes leaked goroutines as tracebacks do: where each is
// blocked and where it was created. Goroutines blocked at the same place
// and created at the same place are written once, with all their IDs.
func writeLeaks(w io.Writer, leaks []profilerecord.LeakedGoroutine) {
	type group struct {
		ids  []string
		g    *profilerecord.LeakedGoroutine
		text string
	}
	var groups []*group
	byText := make(map[string]*group)
	for i := range leaks {
		g := &leaks[i]
		text := leakTraceback(g)
		gr := byText[text]
		if gr == nil {
			gr = &group{g: g, text: text}
			byText[text] = gr
			groups = append(groups, gr)
		}
		gr.ids = append(gr.ids, strconv.FormatUint(g.ID, 10))
	}
	for _, gr := range groups {
		what := "goroutine"
		if len(gr.ids) > 1 {
			what = "goroutines"
		}
		fmt.Fprintf(w, "%s %s [%s]:\n%s\n", what, strings.Join(gr.ids, ", "), gr.g.WaitReason, gr.text)
	}
}

// parksGoroutine reports whether fn belongs to the runtime's or the sync
// primitives' implementation, whose frames sit on top of every blocked
// goroutine's stack and say nothing about the leak.
func parksGoroutine(fn string) bool {
	for _, prefix := range []string{"runtime.", "internal/runtime/", "internal/sync."} {
		if strings.HasPrefix(fn, prefix) {
			return true
		}
	}
	return false
}

// leakTraceback formats the stack of g, without the frames of the runtime
// that park it, and the go statement that created it.
func leakTraceback(g *profilerecord.LeakedGoroutine) string {
	var sb strings.Builder
	frames := runtime.CallersFrames(g.Stack)
	top := true
	for {
		f, more := frames.Next()
		if f.Function == "runtime.goexit" {
			break
		}
		if top && more && parksGoroutine(f.Function) {
			continue
		}
		top = false
		fmt.Fprintf(&sb, "%s(...)\n\t%s:%d\n", f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
	if g.GoPC != 0 {
		f, _ := runtime.CallersFrames([]uintptr{g.GoPC}).Next()
		fmt.Fprintf(&sb, "created by %s in goroutine %d\n\t%s:%d\n", f.Function, g.ParentID, f.File, f.Line)
	}
	return sb.String()
}
