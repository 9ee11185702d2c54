// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Leak recovery: GODEBUG=goroutineleakrecover=1.
//
// A leaked goroutine holds its stack, and everything its stack reaches,
// forever. With leak recovery on, every goroutine that a periodic
// detection (GODEBUG=goroutineleakgc=N) finds leaked is aborted, as by
// (*GoroutineHandle).Abort: it panics with ErrAborted where it blocks, its
// deferred calls run, and unless it recovers it exits; what it held becomes
// garbage like the memory of any goroutine that returned, finalizers and
// cleanups included.
//
// Nothing else could wake the goroutine: by the detector's proof no
// goroutine that may run can reach what it waits on. So the abort cannot
// race a real wake-up, and abortWake claims the wait the way a waker would
// anyway. The abort rules all apply: a goroutine that waits in code where a
// panic may not appear (abortParkedCallerSafe), inside MaskAbort, or while a
// panic unwinds, is not woken; it stays leaked and is found again by the
// next detection.
//
// Recovery must never hide a bug: every goroutine woken is counted in
// /sched/goroutines-leaked-recovered:goroutines, and the first goroutine
// leaked from each go statement is reported on standard error with the
// stack at which it leaked, before it is woken.
//
// Only periodic detections recover. A detection that the goroutineleak
// profile or go test -goleakgc asked for reports its leaks to its caller,
// which reads them after the cycle: waking them first would hide them.
//
// The main goroutine and runtime goroutines are never aborted: an abort of
// the main goroutine ends the program, and one of the finalizer or cleanup
// goroutines, leaked inside a user's finalizer, would end every finalizer
// or cleanup to come (abortRuntimeOwned). Nor are goroutines that a
// low-level package started (abortEndsQuietly): an abort there crashes the
// program, which recovery must never do.

package runtime

import "internal/runtime/atomic"

func init() {
	goroutineLeakRecoveryStart()
}

// goroutineLeakRecovery is the state of leak recovery. The recoverer is a
// runtime goroutine, started at program start if the setting is on, that
// parks until a periodic detection finds leaks.
var goroutineLeakRecovery struct {
	// lock is a leaf lock that protects pending and parked, the hand-off
	// between the detection, at mark termination with the world stopped,
	// and the recoverer.
	lock    mutex
	pending bool // a periodic detection found leaks the recoverer has not looked at
	parked  bool // the recoverer waits for pending

	g *g // the recoverer; set once before it first parks

	// periodic is set by goroutineLeakCheckDue when the cycle being
	// started detects because of goroutineleakgc, and cleared when the
	// cycle's detection is recorded. Written only with the world stopped.
	periodic bool

	// reported holds the creation PCs (g.gopc) of the goroutines reported
	// so far. Owned by the recoverer.
	reported map[uintptr]bool

	// recovered counts the leaked goroutines woken with an abort, for
	// runtime/metrics.
	recovered atomic.Uint64
}

// goroutineLeakRecoveryStart starts the recoverer if leak recovery is on.
// The setting is read once, at program start.
func goroutineLeakRecoveryStart() {
	if debug.goroutineleakrecover > 0 {
		go goroutineLeakRecoverer()
	}
}

// goroutineLeakRecoveryNotify wakes the recoverer after a periodic
// detection found leaked goroutines.
//
// The world must be stopped.
func goroutineLeakRecoveryNotify(leaked int) {
	r := &goroutineLeakRecovery
	periodic := r.periodic
	r.periodic = false
	if !periodic || leaked == 0 || r.g == nil {
		return
	}
	lock(&r.lock)
	r.pending = true
	wake := r.parked
	r.parked = false
	unlock(&r.lock)
	if wake {
		// As gcSweep readies the sweeper: it runs once the world
		// starts again.
		systemstack(func() { ready(r.g, 0, true) })
	}
}

func goroutineLeakRecoverer() {
	r := &goroutineLeakRecovery
	r.reported = make(map[uintptr]bool)
	lock(&r.lock)
	r.g = getg()
	for {
		for !r.pending {
			r.parked = true
			goparkunlock(&r.lock, waitReasonLeakRecoveryIdle, traceBlockSystemGoroutine, 1)
			lock(&r.lock)
		}
		r.pending = false
		unlock(&r.lock)
		goroutineLeakRecover()
		lock(&r.lock)
	}
}

// goroutineLeakRecover aborts the goroutines that the last detection left
// leaked.
func goroutineLeakRecover() {
	r := &goroutineLeakRecovery
	var leaked []*g
	forEachGRace(func(gp *g) {
		if readgstatus(gp) == _Gleaked && gp.goid != 1 && !isSystemGoroutine(gp, false) && !abortRuntimeOwned(gp) &&
			abortEndsQuietly(gp) {
			leaked = append(leaked, gp)
		}
	})
	for _, gp := range leaked {
		// gp.gopc is stable while gp is leaked; if gp is no longer
		// leaked, goroutineLeakAbort does nothing.
		pc := gp.gopc
		report := !r.reported[pc]
		var reported, woken bool
		systemstack(func() {
			reported, woken = goroutineLeakAbort(gp, report)
		})
		if reported {
			r.reported[pc] = true
		}
		if woken {
			r.recovered.Add(1)
		}
	}
}

// goroutineLeakAbort aborts gp if it is still leaked, first printing its
// stack if report is set. It reports whether it printed and whether it
// woke gp.
//
//go:systemstack
func goroutineLeakAbort(gp *g, report bool) (reported, woken bool) {
	// Hold gp still while printing its stack. The GC may hold its scan
	// bit for a moment; any other status means that a new detection
	// started and reset gp, and gp is that detection's to judge.
	for !castogscanstatus(gp, _Gleaked, _Gscanleaked) {
		if readgstatus(gp) != _Gscanleaked {
			return false, false
		}
		procyield(10)
	}
	if report {
		printlock()
		print("runtime: goroutine ", gp.goid, " leaked: it is blocked forever and nothing can wake it; aborting it (GODEBUG=goroutineleakrecover=1).\n",
			"runtime: later goroutines leaked from the same go statement are aborted without a report.\n",
			"goroutine ", gp.goid, " [", gp.waitreason.String(), " (leaked)]:\n")
		traceback(^uintptr(0), ^uintptr(0), 0, gp)
		print("\n")
		printunlock()
	}
	casfrom_Gscanstatus(gp, _Gscanleaked, _Gleaked)

	// From _Gwaiting, abortWake can claim the wait. Nothing else can
	// wake gp; a detection that starts now finds gp waiting, or running
	// if the abort won.
	if !gp.atomicstatus.CompareAndSwap(_Gleaked, _Gwaiting) {
		return report, false
	}
	abortRequest(gp, gp.goid)
	woken = abortWake(gp)
	if report && !woken {
		print("runtime: goroutine ", gp.goid, " cannot be aborted where it waits (see GoroutineHandle.Abort); it stays leaked.\n")
	}
	return report, woken
}

// addGoroutineLeakRecoveryMetrics adds the recovery count to
// runtime/metrics.
func addGoroutineLeakRecoveryMetrics() {
	metrics["/sched/goroutines-leaked-recovered:goroutines"] = metricData{
		compute: func(_ *statAggregate, out *metricValue) {
			out.kind = metricKindUint64
			out.scalar = goroutineLeakRecovery.recovered.Load()
		},
	}
}
