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
// semaphore with the lock or a handoff. In normal mode, G is the waiter
// count plus the release in flight, if any: Unlock takes one off the count
// and releases the semaphore for whichever goroutine of G takes it, with
// mutexWoken set; at most one such release is outstanding, since Unlock
// wakes nobody while mutexWoken is set. In starvation mode, G is the
// waiter count: each woken waiter takes itself off. The aborted goroutine
// is in G and must leave it so that the equation still holds:
//
//   - If the count is not zero, it takes one off the count, as if it had
//     never waited. In starvation mode, if it was the last waiter and the
//     mutex is held, it also ends starvation mode, so that the holder's
//     Unlock hands off to nobody.
//   - In normal mode with a zero count, an Unlock took it off the count and
//     a release is in flight: it takes that release, and with it the
//     mutexWoken flag, which it gives up as a woken waiter that lost would
//     (abortGiveUpWoken).
//   - In starvation mode with the mutex unlocked and a count of one, the
//     holder's Unlock handed ownership to it alone: it takes the handoff
//     from the semaphore, becomes the owner as a woken waiter would, and
//     unlocks.
//
// The count and the semaphore are read at different times, so a release
// may not have been posted yet, or another goroutine may take it first;
// then that goroutine is in G, the count has changed, and the loop looks
// again. It never blocks: a blocking acquire could take a release meant
// for another member of G after the mode changed.
func (m *Mutex) abortWait() {
	for i := 0; ; i++ {
		old := atomic.LoadInt32(&m.state)
		waiters := old >> mutexWaiterShift
		starvation := old&mutexStarving != 0
		switch {
		case waiters > 1 || waiters == 1 && (!starvation || old&mutexLocked != 0):
			new := old - 1<<mutexWaiterShift
			if starvation && waiters == 1 {
				new &^= mutexStarving
			}
			if atomic.CompareAndSwapInt32(&m.state, old, new) {
				runtime_abortWokenPanic()
			}
			continue
		case waiters == 0 && !starvation:
			if m.abortTakeRelease() {
				m.abortGiveUpWoken()
				runtime_abortWokenPanic()
			}
		case waiters == 1:
			// Starving and unlocked: the handoff is ours.
			if m.abortTakeRelease() {
				delta := int32(mutexLocked - 1<<mutexWaiterShift)
				if atomic.LoadInt32(&m.state)>>mutexWaiterShift == 1 {
					delta -= mutexStarving
				}
				atomic.AddInt32(&m.state, delta)
				m.Unlock()
				runtime_abortWokenPanic()
			}
		default:
			throw("sync: inconsistent mutex state after abort")
		}
		// The release is not posted yet, or another goroutine took
		// it and changed the count.
		if runtime_canSpin(i) {
			runtime_doSpin()
		} else {
			runtime_abortYield()
		}
	}
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
