// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Linear-time goroutine leak detection.
//
// A leak-detection cycle (goroutineLeakGC, mgc.go) starts with only the
// goroutines that may run as stack roots. A goroutine blocked on a channel
// or a sync object joins the roots once that object is marked: from then on
// someone who may run can reach the object and wake the goroutine. Upstream
// finds those goroutines at each mark fixed point, with the world stopped
// (findMaybeRunnableGoroutines), and resumes marking; a goroutine whose
// object can only be reached from another blocked goroutine's stack waits
// for the next round. A pipeline of n idle stages thus costs n
// stop-the-world rounds, each of which looks at every blocked goroutine:
// O(n²) time with n pauses.
//
// The watch promotes a blocked goroutine the moment the object it waits on
// is marked, during concurrent marking. At the start of the cycle, with the
// world stopped, it records which blocked goroutine waits on which heap
// object, in a hash table keyed by the object's base address. Every place
// that marks a heap object for the first time (greyobject, wbBufFlush1 and
// Green Tea's tryDeferToSpanScan) calls goroutineLeakMarked while the watch
// is active; if the object is watched, its waiters are appended to the
// stack roots at once. A chain is then marked in one round, and a cycle
// costs time linear in goroutines and heap whatever the wait graph.
//
// The results are the same as upstream's: a goroutine is promoted only when
// its object is marked, which is exactly when isMaybeRunnable would promote
// it at the next fixed point, and the fixed point itself still runs
// isMaybeRunnable on every goroutine not promoted (goroutineLeakFixpoint),
// so that a goroutine that woke up during the cycle, or an object marked
// some way the watch does not see, is caught as upstream catches it. The
// watch only makes rounds rare; it never decides that a goroutine leaked.

package runtime

import (
	"internal/runtime/atomic"
	"unsafe"
)

// goroutineLeakWatch is the watch of the current leak-detection cycle.
//
// The tables are built with the world stopped at the start of the cycle
// (goroutineLeakWatchStart) and dropped with the world stopped at the
// cycle's last fixed point (goroutineLeakFixpoint). In between they are read
// concurrently by every marker; what changes in them, and the tail of
// work.stackRoots, is protected by lock.
var goroutineLeakWatch goroutineLeakWatchState

type goroutineLeakWatchState struct {
	// active is set while the tables are in use. It is written only with
	// the world stopped and read without synchronization on every first
	// mark of a heap object, so it must stay a plain bool read first.
	active bool

	// lock is a leaf lock: nothing else is acquired while holding it. It
	// protects waiters[].promoted, the entries of objects and, during the
	// concurrent mark phase, work.stackRoots[work.nMaybeRunnableStackRoots:]
	// and work.nMaybeRunnableStackRoots, which upstream otherwise writes only
	// with the world stopped.
	lock mutex

	// waiters are the goroutines that were blocked at the start of the
	// cycle and not maybe-runnable then, in no particular order.
	waiters []goroutineLeakWaiter

	// spans is an open-addressing hash table of the spans that hold
	// watched objects, keyed by span base address; its length is a power
	// of two at least four times the number of spans, so that it stays
	// small enough for the cache and most probes end at the first slot.
	// spanShift is 64 - log2(len(spans)).
	spans     []goroutineLeakSpan
	spanCount int
	spanShift uint

	// objects has, for each span in spans, one entry per object of the
	// span: the first link of the object's waiters, -1 if no goroutine
	// waits on it, or -2 once its waiters have been promoted. Entries are
	// read atomically and changed under lock.
	objects []int32

	// links chain the waiters of one object: each link indexes waiters and
	// the next link (-1 ends).
	links []goroutineLeakLink

	// rounds counts the fixed points of the cycle (goroutineLeakFixpoint
	// calls), for tests. Written with the world stopped.
	rounds int
}

// goroutineLeakWaiter is a goroutine blocked at the start of the cycle.
type goroutineLeakWaiter struct {
	gp       guintptr // a g is never freed, so a guintptr is safe here
	promoted bool     // gp is a stack root now
}

// goroutineLeakSpan is a span that holds watched objects.
type goroutineLeakSpan struct {
	base    uintptr // 0 marks an empty slot
	objects int32   // index of the span's first object in objects
}

type goroutineLeakLink struct {
	waiter int32
	next   int32
}

// goroutineLeakHashMul is Fibonacci hashing's multiplier. The hash is
// computed in 64 bits on every port, so that spanShift means the same on
// 32-bit ones.
const goroutineLeakHashMul uint64 = 0x9E3779B97F4A7C15

// goroutineLeakWatchDisabled turns the watch off, for tests that compare
// its results with upstream's rounds.
var goroutineLeakWatchDisabled bool

// goroutineLeakWaitObjects calls f with the pointer of each object whose
// mark makes isMaybeRunnable true for gp, which isMaybeRunnable is false
// for: the channels of all its sudogs for a channel wait, the first
// sudog's object for a sync wait. Which goroutines start as roots is
// isMaybeRunnable's decision alone; if this function ever misses an object
// that isMaybeRunnable consults, the goroutine is promoted at the next
// fixed point instead of at once, and the results stay the same.
func goroutineLeakWaitObjects(gp *g, f func(p unsafe.Pointer)) {
	switch gp.waitreason {
	case waitReasonChanReceive, waitReasonSelect, waitReasonChanSend, waitReasonLockToRecv:
		for sg := gp.waiting; sg != nil; sg = sg.waitlink {
			f(unsafe.Pointer(sg.c.get()))
		}
	case waitReasonSyncCondWait,
		waitReasonSyncWaitGroupWait,
		waitReasonSyncMutexLock,
		waitReasonSyncRWMutexLock,
		waitReasonSyncRWMutexRLock:
		if gp.waiting != nil {
			f(gp.waiting.elem.get())
		}
	}
}

// goroutineLeakWatchStart starts the watch of a leak-detection cycle.
// roots is work.stackRoots, whose first runnable goroutines are the roots
// the cycle starts with; it moves the blocked goroutines that may run
// whatever gets marked (those not waiting on a heap object) among them,
// records the others, and returns the new number of roots.
//
// The world must be stopped, before marking starts.
func goroutineLeakWatchStart(roots []*g, runnable int) int {
	assertWorldStopped()
	w := &goroutineLeakWatch
	w.rounds = 0
	if goroutineLeakWatchDisabled {
		return runnable
	}

	// No mark bit is set yet, so isMaybeRunnable is true exactly for the
	// goroutines that may run whatever gets marked: those whose wait it
	// does not look into, or that wait on something outside the heap. They
	// are roots from the start.
	nobjects := 0
	for i := runnable; i < len(roots); i++ {
		gp := roots[i]
		if gp.isMaybeRunnable() {
			roots[i], roots[runnable] = roots[runnable], gp
			runnable++
			continue
		}
		goroutineLeakWaitObjects(gp, func(unsafe.Pointer) { nobjects++ })
	}
	if runnable == len(roots) {
		return runnable
	}

	w.waiters = make([]goroutineLeakWaiter, len(roots)-runnable)
	w.spans = make([]goroutineLeakSpan, 16)
	w.spanCount = 0
	w.spanShift = 64 - 4
	w.objects = nil
	w.links = make([]goroutineLeakLink, 0, nobjects)
	for i := range w.waiters {
		gp := roots[runnable+i]
		w.waiters[i].gp = guintptr(unsafe.Pointer(gp))
		goroutineLeakWaitObjects(gp, func(p unsafe.Pointer) {
			obj, span, objIndex := findObject(uintptr(p), 0, 0)
			if obj == 0 {
				// isMaybeRunnable found every object it consults
				// in the heap; nothing to watch here.
				return
			}
			first := &w.objects[w.addSpan(span)+int32(objIndex)]
			w.links = append(w.links, goroutineLeakLink{waiter: int32(i), next: *first})
			*first = int32(len(w.links) - 1)
		})
	}
	w.active = true
	return runnable
}

// span returns the slot of the span based at base in the spans table: its
// entry, or the empty slot where it belongs.
//
//go:nowritebarrierrec
func (w *goroutineLeakWatchState) span(base uintptr) *goroutineLeakSpan {
	mask := uintptr(len(w.spans) - 1)
	for i := uintptr(uint64(base) * goroutineLeakHashMul >> w.spanShift); ; i = (i + 1) & mask {
		if e := &w.spans[i]; e.base == base || e.base == 0 {
			return e
		}
	}
}

// addSpan records span as holding watched objects, if it is not recorded
// yet, and returns the index of its first object in w.objects.
//
// The world must be stopped.
func (w *goroutineLeakWatchState) addSpan(span *mspan) int32 {
	if e := w.span(span.base()); e.base != 0 {
		return e.objects
	}
	if 4*(w.spanCount+1) > len(w.spans) {
		old := w.spans
		w.spans = make([]goroutineLeakSpan, 2*len(old))
		w.spanShift--
		for _, e := range old {
			if e.base != 0 {
				*w.span(e.base) = e
			}
		}
	}
	w.spanCount++
	e := w.span(span.base())
	e.base = span.base()
	e.objects = int32(len(w.objects))
	for range span.nelems {
		w.objects = append(w.objects, -1)
	}
	return e.objects
}

// goroutineLeakMarked is called when the object at objIndex in the span
// based at spanBase is marked for the first time in a cycle during which
// the watch is active (the caller checks goroutineLeakWatch.active). If
// goroutines wait on the object, they become stack roots. Two markers may
// race to mark an object; the second finds its waiters promoted.
//
//go:nowritebarrierrec
func goroutineLeakMarked(spanBase, objIndex uintptr) {
	w := &goroutineLeakWatch
	e := w.span(spanBase)
	if e.base == 0 {
		return
	}
	first := &w.objects[e.objects+int32(objIndex)]
	if atomic.Loadint32(first) < 0 {
		return
	}
	lock(&w.lock)
	if l := *first; l >= 0 {
		atomic.Storeint32(first, -2)
		for ; l >= 0; l = w.links[l].next {
			w.promote(w.links[l].waiter)
		}
		// Publish the new roots after writing them: a mark worker
		// claims a root job below markrootJobs (gcNextMarkRoot's CAS
		// loop, which never overshoots in a detection cycle) and only
		// then reads its stackRoots slot.
		work.markrootJobs.Store(work.baseStacks + uint32(work.nMaybeRunnableStackRoots))
	}
	unlock(&w.lock)
}

// promote makes waiter i a stack root, if it is not one yet: it goes to the
// slot after the current roots. That slot held a goroutine not promoted
// yet, which is still recorded in waiters; the tail of stackRoots is
// rebuilt from waiters at the next fixed point.
//
// w.lock must be held, or the world stopped.
//
//go:nowritebarrierrec
func (w *goroutineLeakWatchState) promote(i int32) {
	waiter := &w.waiters[i]
	if waiter.promoted {
		return
	}
	waiter.promoted = true
	n := work.nMaybeRunnableStackRoots
	// No write barrier: a g is reachable through allgs until the program
	// ends, so neither the g written nor the g overwritten can be freed.
	*(*guintptr)(unsafe.Pointer(&work.stackRoots[n])) = waiter.gp
	work.nMaybeRunnableStackRoots = n + 1
}

// goroutineLeakFixpoint is called at each mark fixed point of a
// leak-detection cycle, before upstream looks for more maybe-runnable
// goroutines. It reports whether marking must resume (false) or the cycle
// may go on to decide which goroutines leaked (true).
//
// Marking must resume if promoted goroutines have not been scanned yet
// (promotions by the write barrier flushes of gcMarkDone come after the
// workers ran out of work), or if a goroutine not promoted is found
// maybe-runnable now: it woke up during the cycle, or its object was
// marked by a path that does not call goroutineLeakMarked. When it may go
// on, the watch ends and work.stackRoots is left as upstream expects it:
// the roots, then every goroutine still blocked, which
// findMaybeRunnableGoroutines examines once more and finds blocked.
//
// The world must be stopped.
func goroutineLeakFixpoint() bool {
	assertWorldStopped()
	w := &goroutineLeakWatch
	w.rounds++
	if !w.active {
		return true
	}
	if work.markrootNext.Load() < work.markrootJobs.Load() {
		return false
	}
	// Promote before rebuilding the tail: promote overwrites the slot
	// after the roots.
	promoted := false
	for i := range w.waiters {
		if !w.waiters[i].promoted && w.waiters[i].gp.ptr().isMaybeRunnable() {
			w.promote(int32(i))
			promoted = true
		}
	}
	n := work.nMaybeRunnableStackRoots
	for i := range w.waiters {
		if !w.waiters[i].promoted {
			*(*guintptr)(unsafe.Pointer(&work.stackRoots[n])) = w.waiters[i].gp
			n++
		}
	}
	if n != work.nStackRoots {
		throw("goroutine leak watch lost a goroutine")
	}
	if promoted {
		work.markrootJobs.Store(work.baseStacks + uint32(work.nMaybeRunnableStackRoots))
		return false
	}
	w.active = false
	w.waiters = nil
	w.spans = nil
	w.objects = nil
	w.links = nil
	return true
}

// goroutineLeakRootJob claims a root job for gcDrain when it runs out of
// heap work while the watch is active: the stack of a goroutine promoted
// after gcDrain went past its root jobs. Without it the worker would
// return, park and be scheduled again for each link of a chain of blocked
// goroutines.
func goroutineLeakRootJob() (uint32, bool) {
	if !goroutineLeakWatch.active || work.markrootNext.Load() >= work.markrootJobs.Load() {
		return 0, false
	}
	return gcNextMarkRoot()
}
