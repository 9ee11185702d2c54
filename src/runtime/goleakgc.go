// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Support for go test -goleakgc.
//
// A leak-detection GC (goroutineLeakGC, mgc.go) leaves every goroutine that
// is blocked forever in status _Gleaked until the next detection resets it.
// The functions here let runtime/pprof ask which of those goroutines belong
// to one test. The testing package gives each test's goroutine a number
// unique to that run of the test, g.leakTest; goroutines inherit their
// creator's (newproc1), so it names the test that started a goroutine,
// however deep the chain of go statements. A goroutine that time.AfterFunc
// starts belongs to the test that created the timer (time_goAfterFunc).
//
// g.leakTest is not a profiler label: the code under test sees its labels,
// and the profiles it writes, exactly as without -goleakgc.

package runtime

import (
	"internal/profilerecord"
	"internal/runtime/atomic"
	"internal/runtime/sys"
	"unsafe"
)

// Periodic leak detection and its metrics.
//
// With GODEBUG=goroutineleakgc=N, every N-th GC cycle is a leak-detection
// cycle: a production service can leave it on and watch the counts in
// runtime/metrics. A detection cycle costs about what a plain cycle costs on
// flat wait graphs; it is slower when blocked goroutines form long chains,
// one stop-the-world round per link.

// goroutineLeakStats are the leak detector's counts for runtime/metrics.
// They are written with the world stopped, at the mark termination of a
// detection cycle, and read atomically.
var goroutineLeakStats struct {
	last  atomic.Uint64 // goroutines found leaked by the last detection
	total atomic.Uint64 // goroutines found leaked since program start, each once (g.leakCounted)
}

// goroutineLeakCheckDue reports whether the GC cycle that gcStart is
// starting must detect leaks because of GODEBUG=goroutineleakgc.
func goroutineLeakCheckDue() bool {
	n := debug.goroutineleakgc
	due := n > 0 && work.cycles.Load()%uint32(n) == 0
	goroutineLeakRecovery.periodic = due
	return due
}

// recordGoroutineLeaks updates the leak counts after a detection cycle.
// It also makes work.goroutineLeak.count exact when the cycle found no
// leak at all, a case in which findGoroutineLeaks leaves it untouched.
//
// g.leakCounted is cleared when the goroutine exits (goroutineExit), which
// a leaked goroutine does only after leak recovery aborts it, so that the
// goroutine that reuses its g is counted if it leaks.
//
// The world must be stopped.
func recordGoroutineLeaks() {
	assertWorldStopped()
	n := 0
	forEachGRace(func(gp *g) {
		if readgstatus(gp)&^_Gscan != _Gleaked {
			return
		}
		n++
		if !gp.leakCounted {
			gp.leakCounted = true
			goroutineLeakStats.total.Add(1)
		}
	})
	work.goroutineLeak.count = n
	goroutineLeakStats.last.Store(uint64(n))
	goroutineLeakRecoveryNotify(n)
}

// addGoroutineLeakMetrics adds the leak counts to runtime/metrics.
func addGoroutineLeakMetrics() {
	metrics["/sched/goroutines/leaked:goroutines"] = metricData{
		compute: func(_ *statAggregate, out *metricValue) {
			out.kind = metricKindUint64
			out.scalar = goroutineLeakStats.last.Load()
		},
	}
	metrics["/sched/goroutines-leaked:goroutines"] = metricData{
		compute: func(_ *statAggregate, out *metricValue) {
			out.kind = metricKindUint64
			out.scalar = goroutineLeakStats.total.Load()
		},
	}
	addGoroutineLeakRecoveryMetrics()
}

// retireTinyAllocs makes every P start a new tiny-allocation block, at the
// start of a leak-detection cycle. gcMarkTinyAllocs marks the active blocks
// whole, because later tiny allocations from them are not marked; a small
// pointer-free object (a sync.Mutex, say) that shares an active block would
// then keep every goroutine blocked on it alive in the detector's eyes,
// until the block happens to fill up. Dropping the blocks is what
// mcache.releaseAll does; it wastes at most a block's tail per P.
//
// The world must be stopped.
func retireTinyAllocs() {
	assertWorldStopped()
	for _, pp := range allp {
		if c := pp.mcache; c != nil {
			c.tiny = 0
			c.tinyoffset = 0
		}
	}
}

// testing_setGoroutineLeakTest makes the calling goroutine, and the
// goroutines it starts from now on, belong to test; 0 belongs to none.
//
//go:linkname testing_setGoroutineLeakTest testing.runtime_setGoroutineLeakTest
func testing_setGoroutineLeakTest(test uint32) {
	getg().leakTest = test
}

// time_goroutineLeakTest returns the test that the calling goroutine
// belongs to, for time.AfterFunc.
//
//go:linkname time_goroutineLeakTest time.runtime_goroutineLeakTest
func time_goroutineLeakTest() uint32 {
	return getg().leakTest
}

// time_goAfterFunc starts f, the function of a time.AfterFunc timer
// created by a goroutine of test, as the go statement of the timer's
// function (time.goFunc, the caller) would, in test. The timer runs on
// whatever goroutine or system stack checks timers, whose own test is
// unrelated.
//
//go:linkname time_goAfterFunc time.runtime_goAfterFunc
func time_goAfterFunc(f func(), test uint32) {
	gp := getg()
	pc := sys.GetCallerPC()
	fn := *(**funcval)(unsafe.Pointer(&f))
	systemstack(func() {
		newg := newproc1(fn, gp, pc, false, waitReasonZero)
		newg.leakTest = test
		runqput(gp.m.p.ptr(), newg, true)
		if mainStarted {
			wakep()
		}
	})
}

// pprof_testGoroutines counts the live user goroutines, other than the
// caller, that belong to test (all of them if test is 0), and how many of
// them are running or waiting to run. A test that no goroutine belongs to cannot have leaked one; a
// goroutine that is running or runnable has not blocked yet and cannot be
// found leaked yet.
//
//go:linkname pprof_testGoroutines runtime/pprof.runtime_testGoroutines
func pprof_testGoroutines(test uint32) (live, active int) {
	me := getg().m.curg
	forEachG(func(gp *g) {
		if gp == me || test != 0 && gp.leakTest != test || isSystemGoroutine(gp, false) {
			return
		}
		status := readgstatus(gp) &^ _Gscan
		if status == _Gdead || status == _Gdeadextra || status == _Gidle {
			return
		}
		live++
		switch status {
		case _Grunnable, _Grunning, _Gpreempted, _Gcopystack:
			active++
		}
	})
	return live, active
}

// pprof_goroutineLeakRecords fills p with the goroutines that the last leak
// detection found leaked and, if test is not 0, that belong to test. If p is too small it returns the number needed and
// false. The caller must hold runtime/pprof's goroutineLeakProfileLock, so
// that no detection starts (and resets _Gleaked) meanwhile.
//
//go:linkname pprof_goroutineLeakRecords runtime/pprof.runtime_goroutineLeakRecords
func pprof_goroutineLeakRecords(test uint32, p []profilerecord.LeakedGoroutine) (n int, ok bool) {
	pcbuf := makeProfStack()

	// Leaked goroutines never run, but a concurrent GC may shrink their
	// stacks; with the world stopped their stacks stay put while we unwind
	// them.
	stw := stopTheWorld(stwGoroutineProfile)
	match := func(gp *g) bool {
		if readgstatus(gp)&^_Gscan != _Gleaked {
			return false
		}
		return test == 0 || gp.leakTest == test
	}
	forEachGRace(func(gp *g) {
		if match(gp) {
			n++
		}
	})
	if n <= len(p) {
		ok = true
		i := 0
		forEachGRace(func(gp *g) {
			if !match(gp) || i >= n {
				return
			}
			var sr profilerecord.StackRecord
			systemstack(func() { saveg(^uintptr(0), ^uintptr(0), gp, &sr, pcbuf) })
			p[i] = profilerecord.LeakedGoroutine{
				ID:         gp.goid,
				ParentID:   gp.parentGoid,
				GoPC:       gp.gopc,
				WaitReason: gp.waitreason.String(),
				Test:       gp.leakTest,
				Stack:      sr.Stack,
			}
			i++
		})
	}
	startTheWorld(stw)
	return n, ok
}
