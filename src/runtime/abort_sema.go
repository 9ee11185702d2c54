// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Cancelling the waits of sync.Mutex, RWMutex, WaitGroup and Cond for
// Abort. The runtime takes the waiter off the semaphore or notify list;
// package sync then undoes what the waiter had recorded in the primitive
// (sync_runtime_abortWaitCancelled) and panics
// (sync_runtime_abortWokenPanic), so the primitive keeps working for the
// goroutines that still use it.

package runtime

import "unsafe"

// abortSemaCancel takes gp, parked in semacquire1 on addr, off the
// semaphore's queue if no semrelease has taken it off yet. It reports
// whether gp is now the caller's to ready.
func abortSemaCancel(gp *g, addr *uint32) bool {
	root := semtable.rootFor(addr)
	lockWithRank(&root.lock, lockRankRoot)
	defer unlock(&root.lock)

	var head *sudog
	key := uintptr(unsafe.Pointer(addr))
	for t := root.treap; t != nil; {
		if key == t.elem.uintptr() {
			head = t
			break
		} else if key < t.elem.uintptr() {
			t = t.prev
		} else {
			t = t.next
		}
	}
	if head == nil {
		return false
	}
	if head.g == gp {
		if !abortClaim(gp) {
			return false
		}
		root.dequeue(addr)
		root.nwait.Add(-1)
		gp.abortWoken = true
		return true
	}
	for prev, s := head, head.waitlink; s != nil; prev, s = s, s.waitlink {
		if s.g != gp {
			continue
		}
		if !abortClaim(gp) {
			return false
		}
		prev.waitlink = s.waitlink
		if head.waittail == s {
			if prev == head {
				head.waittail = nil
			} else {
				head.waittail = prev
			}
		}
		if head.waiters != 0 && head.waiters+1 != 0 {
			head.waiters--
		}
		s.waitlink = nil
		s.waittail = nil
		s.elem.set(nil)
		s.ticket = 0
		gp.waiting = nil
		root.nwait.Add(-1)
		gp.abortWoken = true
		return true
	}
	return false
}

// abortNotifyListCancel ends gp's wait in notifyListWait on l, if no
// notification has taken gp off the list yet. It reports whether gp is
// now the caller's to ready.
//
// gp's sudog stays in the list, as a ghost whose g is nil, and keeps its
// ticket: a Signal that picks the ticket finds the ghost, frees it and
// passes the notification on to the next ticket, so that no notification
// is lost on a goroutine that is gone (notifyListNotifyOne).
func abortNotifyListCancel(gp *g, l *notifyList) bool {
	lockWithRank(&l.lock, lockRankNotifyList)
	defer unlock(&l.lock)
	for s := l.head; s != nil; s = s.next {
		if s.g != gp {
			continue
		}
		if !abortClaim(gp) {
			return false
		}
		s.g = nil
		s.elem.set(nil)
		gp.waiting = nil
		gp.abortWoken = true
		return true
	}
	return false
}

// sync_runtime_abortWaitCancelled reports whether the calling goroutine's
// last wait in a semaphore or notify list was ended by Abort, and forgets
// it.
//
//go:linkname sync_runtime_abortWaitCancelled internal/sync.runtime_abortWaitCancelled
func sync_runtime_abortWaitCancelled() bool {
	gp := getg()
	if !gp.abortWoken {
		return false
	}
	gp.abortWoken = false
	return true
}

//go:linkname sync_runtime_abortWaitCancelled2 sync.runtime_abortWaitCancelled
func sync_runtime_abortWaitCancelled2() bool { return sync_runtime_abortWaitCancelled() }

// sync_runtime_abortWokenPanic raises the abort whose wait
// sync_runtime_abortWaitCancelled reported, once package sync has undone
// the waiter's state.
//
//go:linkname sync_runtime_abortWokenPanic internal/sync.runtime_abortWokenPanic
func sync_runtime_abortWokenPanic() { abortPanic() }

//go:linkname sync_runtime_abortWokenPanic2 sync.runtime_abortWokenPanic
func sync_runtime_abortWokenPanic2() { abortPanic() }

// internal_sync_runtime_abortYield yields the processor while
// internal/sync.(*Mutex).abortWait waits for a semaphore release in flight.
//
//go:linkname internal_sync_runtime_abortYield internal/sync.runtime_abortYield
func internal_sync_runtime_abortYield() { Gosched() }

// sync_runtime_abortRaceForget makes the race detector forget the accesses
// to the 8 bytes at addr, which must be 8-byte aligned (a shadow cell):
// package sync calls it for a race annotation that an aborted waiter made
// and that no later synchronization can order.
//
//go:linkname sync_runtime_abortRaceForget sync.runtime_abortRaceForget
func sync_runtime_abortRaceForget(addr unsafe.Pointer) {
	if raceenabled {
		if uintptr(addr)%8 != 0 {
			throw("abortRaceForget: misaligned address")
		}
		racemalloc(addr, 8)
	}
}

// sync_runtime_abortEndsQuietly reports whether v, a value that package
// sync recovered, is an abort that would have ended the goroutine quietly
// had it not been recovered (abortUnrecovered).
//
//go:linkname sync_runtime_abortEndsQuietly sync.runtime_abortEndsQuietly
func sync_runtime_abortEndsQuietly(v any) bool {
	return isAbortPanic(v) && getg().goid != 1 && debug.abortcrash == 0
}
