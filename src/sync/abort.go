// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package sync

import (
	"internal/race"
	"unsafe"
)

// defined in package runtime (abort_sema.go)

// runtime_abortWaitCancelled reports whether the calling goroutine's last
// semaphore or notify list wait was ended by
// runtime.(*GoroutineHandle).Abort, and forgets it.
func runtime_abortWaitCancelled() bool

// runtime_abortWokenPanic raises the abort that ended the wait.
func runtime_abortWokenPanic()

// runtime_abortRaceForget makes the race detector forget the accesses to
// the 8 bytes at addr.
func runtime_abortRaceForget(addr unsafe.Pointer)

// abortWait leaves Wait after an abort took the calling goroutine off the
// semaphore queue, and raises the abort.
//
// The goroutine was counted in the waiters of wg.state. While the counter
// is not zero it takes itself off, as if it had never waited. Once the
// counter reached zero, Add reset the state and releases the semaphore
// once per counted waiter, this goroutine included: it consumes one
// release, so that every other waiter still gets one.
func (wg *WaitGroup) abortWait() {
	for {
		state := wg.state.Load()
		v := int32(state >> 32)
		w := uint32(state & 0x7fffffff)
		if v != 0 && w != 0 {
			if race.Enabled && w == 1 {
				// Once this goroutine is off the count, the next one
				// to Wait is the first waiter again, and writes
				// wg.sema as this one did (see Wait); nothing orders
				// the two writes. Forget this one first: while it is
				// still counted, no other waiter writes. This also
				// forgets Add's read of wg.sema, so a Wait racing with
				// that Add goes unreported.
				runtime_abortRaceForget(unsafe.Pointer(&wg.sema))
			}
			if wg.state.CompareAndSwap(state, state-1) {
				break
			}
			continue
		}
		runtime_Semacquire(&wg.sema)
		break
	}
	runtime_abortWokenPanic()
}
