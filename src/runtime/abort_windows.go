// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime

import "internal/runtime/syscall/windows"

// abortAtAsyncSafePoint is called by preemptM when gp, whose thread it has
// suspended at the asynchronous safe point pc, has an abort request. If the
// abort may be delivered there (abortAsyncClaim), it injects a call to
// sigpanic into c, as the exception handler does for a fault at pc, and
// reports true; preemptM sets c as the thread's context.
//
//go:nosplit
//go:nowritebarrierrec
func abortAtAsyncSafePoint(gp *g, c *windows.Context, pc uintptr) bool {
	if !abortAsyncClaim(gp, pc, c.SP(), c.LR()) {
		return false
	}
	c.PushCall(abortSigpanicPC(), pc)
	return true
}

// abortLostToFault is called by the exception handler when gp faulted at
// the instruction where preemptM injected an abort, before the injected
// call ran: the thread was suspended between the fault and its handler
// (as golang.org/issue/35773 describes for asyncPreempt). The handler
// replaces the injected call by its own sigpanic, so the fault panics
// first; the abort goes back to pending and lands at the goroutine's next
// safe point, if it survives the fault.
//
//go:nosplit
func abortLostToFault(gp *g) {
	gp.sig = 0
	gp.aborting = false
	gp.abortReq.Store(gp.goid)
	abortRetry.Store(true)
}
