// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package sync

import (
	"sync/atomic"
	_ "unsafe" // for go:linkname
)

// runtime_abortWaitCancelled reports whether the calling goroutine's last
// semaphore wait was ended by runtime.(*GoroutineHandle).Abort instead of
// a release, and forgets it.
//
//go:linkname runtime_abortWaitCancelled
func runtime_abortWaitCancelled() bool

// runtime_abortWokenPanic raises the abort that ended the wait.
//
//go:linkname runtime_abortWokenPanic
func runtime_abortWokenPanic()

// abortWait leaves Lock after an abort took the calling goroutine off the
// semaphore queue, and raises the abort.
//
// Waiters are counted and woken anonymously. Let G be the goroutines that
// counted themselves as waiters and have not yet come back from the
// semaphore. In normal mode, G is the waiter count plus the releases
// posted for G and not yet taken (at most one: Unlock takes one off the
// count and posts a release with mutexWoken set, and wakes nobody while
// mutexWoken is set). In starvation mode, G is the waiter count: Unlock
// posts a release without touching the count, handing ownership to
// whoever takes it, and that goroutine takes itself off. The aborted
// goroutine is in G, and it leaves G in one of the two ways a member can:
//
//   - It takes one off the count, as if it had never waited. That is
//     right in normal mode, and in starvation mode while the mutex is
//     held; there, if it was the last waiter, it also ends starvation
//     mode, so that the holder's Unlock hands off to nobody. Not in
//     starvation mode while the mutex is unlocked: a handoff is then in
//     flight, and the goroutine that takes it decides by an Add, not a
//     CompareAndSwap, whether it is the last waiter, from a count that
//     must not change under it.
//   - Otherwise (normal mode with a count of zero, or starvation mode with
//     the mutex unlocked) a release is posted or about to be, and it takes
//     one. It then holds a release as a goroutine coming back from the
//     semaphore does, and, as Lock does, learns from the mode which kind:
//     ownership (abortHandedOff) or the mutexWoken flag (abortGiveUpWoken).
//     The mode it looked at before taking it does not tell: the release
//     it expected may have gone to another member of G, and the one it
//     took may have been posted after the mode changed.
//
// The count and the semaphore are separate words, so the release may not
// have been posted yet, or another member of G may take it first; then
// the state changes and the loop looks again. It never blocks: a blocking
// acquire could sleep on a release meant for another member of G.
//
// misc/goleash/mutexmodel checks this protocol with Lock, Unlock and the
// semaphore in every interleaving of up to four goroutines; change them
// together.
func (m *Mutex) abortWait() {
	for i := 0; ; i++ {
		old := atomic.LoadInt32(&m.state)
		waiters := old >> mutexWaiterShift
		starvation := old&mutexStarving != 0
		switch {
		case waiters == 0 && starvation:
			// A starving mutex counts every member of G, and the aborted
			// goroutine is one.
			throw("sync: inconsistent mutex state after abort")
		case waiters != 0 && (!starvation || old&mutexLocked != 0):
			new := old - 1<<mutexWaiterShift
			if starvation && waiters == 1 {
				new &^= mutexStarving
			}
			if atomic.CompareAndSwapInt32(&m.state, old, new) {
				runtime_abortWokenPanic()
			}
			continue
		default:
			if m.abortTakeRelease() {
				if old := atomic.LoadInt32(&m.state); old&mutexStarving != 0 {
					m.abortHandedOff(old)
				} else {
					m.abortGiveUpWoken()
				}
				runtime_abortWokenPanic()
			}
		}
		// The release is not posted yet, or another member of G took it.
		if runtime_canSpin(i) {
			runtime_doSpin()
		} else {
			runtime_abortYield()
		}
	}
}

// abortHandedOff takes the ownership that a release in starvation mode
// handed to the aborted goroutine, as a woken waiter that is not starving
// would, which ends starvation mode, and gives it up by unlocking. old is
// the state it loaded after taking the release.
func (m *Mutex) abortHandedOff(old int32) {
	if old&(mutexLocked|mutexWoken) != 0 || old>>mutexWaiterShift == 0 {
		throw("sync: inconsistent mutex state after abort")
	}
	atomic.AddInt32(&m.state, mutexLocked-1<<mutexWaiterShift-mutexStarving)
	m.Unlock()
}

// abortTakeRelease takes one release from the mutex's semaphore without
// waiting, as the runtime's cansemacquire does.
func (m *Mutex) abortTakeRelease() bool {
	for {
		v := atomic.LoadUint32(&m.sema)
		if v == 0 {
			return false
		}
		if atomic.CompareAndSwapUint32(&m.sema, v, v-1) {
			return true
		}
	}
}

// abortGiveUpWoken gives up the mutexWoken flag that came with a release
// the aborted goroutine took. An Unlock that ran while the flag was set
// woke nobody, counting on the woken goroutine; so if the mutex is free
// and has waiters, wake one in its place, as Unlock would.
func (m *Mutex) abortGiveUpWoken() {
	for {
		old := atomic.LoadInt32(&m.state)
		if old&mutexWoken == 0 {
			throw("sync: inconsistent mutex state after abort")
		}
		if old&(mutexLocked|mutexStarving) == 0 && old>>mutexWaiterShift != 0 {
			if atomic.CompareAndSwapInt32(&m.state, old, old-1<<mutexWaiterShift) {
				runtime_Semrelease(&m.sema, false, 1)
				return
			}
			continue
		}
		if atomic.CompareAndSwapInt32(&m.state, old, old&^mutexWoken) {
			return
		}
	}
}

// runtime_abortYield yields the processor, for abortWait's retries.
//
//go:linkname runtime_abortYield
func runtime_abortYield()
