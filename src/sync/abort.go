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

// rLockWait is RLock's wait for a pending writer, which an abort may end.
// It is outlined to keep RLock inlinable; the block profile skips it.
func (rw *RWMutex) rLockWait() {
	runtime_SemacquireRWMutexR(&rw.readerSem, false, 1)
	if runtime_abortWaitCancelled() {
		rw.abortRLockWait() // never returns
	}
}

// abortRLockWait leaves RLock after an abort took the calling goroutine
// off readerSem, and raises the abort.
//
// The reader counted itself in readerCount while a writer was pending,
// and the writer's Unlock will post one release of readerSem for it: an
// Unlock releases as many readers as it finds counted, anonymously. The
// reader cannot take its count back: by the time it looks, that Unlock
// may have counted it and a later writer's Lock may have made readerCount
// negative again, and the two cases look the same. So it leaves its place
// to a stand-in goroutine that takes the release and drops the read lock
// at once, as the reader would have done had the abort come a moment
// later. readerCount, readerWait and the semaphores then move exactly as
// upstream's accounting expects, and the aborted goroutine leaves now.
func (rw *RWMutex) abortRLockWait() {
	if race.Enabled {
		race.Enable()
	}
	go rw.abortedReaderStandIn()
	runtime_abortWokenPanic()
}

// abortedReaderStandIn finishes the read lock of an aborted reader: it
// waits for the writer and unlocks.
func (rw *RWMutex) abortedReaderStandIn() {
	if race.Enabled {
		race.Disable()
	}
	runtime_SemacquireRWMutexR(&rw.readerSem, false, 0)
	if race.Enabled {
		race.Enable()
	}
	rw.RUnlock()
}

// abortLockWait leaves Lock after an abort took the calling goroutine off
// writerSem, where it waited for the readers that were active when it
// announced itself, and raises the abort.
//
// The writer holds rw.w and has made readerCount negative; the departing
// readers count readerWait down and the last one releases writerSem.
// Undoing that while readers depart and new ones queue behind it would
// take a protocol of its own. As for a reader, a stand-in goroutine
// finishes the wait and unlocks, as the writer would have done had the
// abort come just after Lock returned: new readers and writers wait for
// the departing readers, as they would have for the aborted writer.
func (rw *RWMutex) abortLockWait() {
	if race.Enabled {
		race.Enable()
	}
	go rw.abortedWriterStandIn()
	runtime_abortWokenPanic()
}

// abortedWriterStandIn finishes the write lock of an aborted writer: it
// waits for the departing readers and unlocks.
func (rw *RWMutex) abortedWriterStandIn() {
	if race.Enabled {
		race.Disable()
	}
	runtime_SemacquireRWMutex(&rw.writerSem, false, 0)
	if race.Enabled {
		race.Enable()
		race.Acquire(unsafe.Pointer(&rw.readerSem))
		race.Acquire(unsafe.Pointer(&rw.writerSem))
	}
	rw.Unlock()
}

// lockWriters is Lock's rw.w.Lock(). An abort may end that wait with a
// panic, which in a race build must not leave the race detector disabled,
// as Lock has it while it waits.
func (rw *RWMutex) lockWriters() {
	if race.Enabled {
		rw.lockWritersRace()
		return
	}
	rw.w.Lock()
}

func (rw *RWMutex) lockWritersRace() {
	locked := false
	defer func() {
		if !locked {
			race.Enable()
		}
	}()
	rw.w.Lock()
	locked = true
}

// runtime_abortEndsQuietly reports whether v, recovered from a panic, is
// an abort that would end the goroutine quietly if it were not recovered.
//
//go:linkname runtime_abortEndsQuietly
func runtime_abortEndsQuietly(v any) bool
