// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package abi

// PCDATA_AbortLockHeld marks the code that a function runs between the
// Lock or RLock of a sync.Mutex or sync.RWMutex and the Unlock or RUnlock
// in the same function that releases it, with the value AbortLockHeld.
// The runtime delivers no abort (runtime.(*GoroutineHandle).Abort) there,
// by either path: at a call whose return address is marked, or by a signal
// at a marked instruction. It is a table of its own, not a value of
// PCDATA_UnsafePoint, so that asynchronous preemption still stops a loop
// that runs with a lock held.
const PCDATA_AbortLockHeld = 5

// AbortLockHeld is the value of PCDATA_AbortLockHeld in such code; the
// table's default, -1, means no lock of the function is held.
const AbortLockHeld = 1
