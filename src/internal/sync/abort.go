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
// The goroutine was counted as a waiter in m.state; it takes itself off
// the count, as if it had never waited. Waiters are counted and woken
// anonymously, so this is right even if an Unlock raced with the abort:
//
//   - In normal mode, an Unlock that found waiters took one off the count,
//     set mutexWoken and released the semaphore for whichever waiter
//     takes it. If that was the last count, there is nothing left to take
//     off: the release stays in the semaphore, and the next goroutine
//     that queues takes it at once and clears mutexWoken, as the woken
//     waiter would have.
//   - In starvation mode the count always includes this goroutine (only a
//     woken waiter takes itself off). If it is the last waiter and the
//     mutex is still locked, it also ends starvation mode, so that the
//     holder's Unlock hands off to nobody. If the mutex is unlocked, its
//     Unlock handed it off to nobody: the goroutine takes that handoff from
//     the semaphore, as the woken waiter would have, and then unlocks the
//     mutex, which ends starvation mode or hands off to a waiter that
//     queued meanwhile.
func (m *Mutex) abortWait() {
	for {
		old := atomic.LoadInt32(&m.state)
		if old>>mutexWaiterShift == 0 {
			break
		}
		if old&mutexStarving != 0 && old&mutexLocked == 0 && old>>mutexWaiterShift == 1 {
			runtime_Semacquire(&m.sema)
			old = atomic.LoadInt32(&m.state)
			delta := int32(mutexLocked - 1<<mutexWaiterShift)
			if old>>mutexWaiterShift == 1 {
				delta -= mutexStarving
			}
			atomic.AddInt32(&m.state, delta)
			m.Unlock()
			break
		}
		new := old - 1<<mutexWaiterShift
		if old&mutexStarving != 0 && old>>mutexWaiterShift == 1 {
			new &^= mutexStarving // locked: the holder's Unlock hands off to nobody
		}
		if atomic.CompareAndSwapInt32(&m.state, old, new) {
			break
		}
	}
	runtime_abortWokenPanic()
}

// runtime_Semacquire waits until *s > 0 and then decrements it. Abort does
// not end its wait.
//
//go:linkname runtime_Semacquire
func runtime_Semacquire(s *uint32)
