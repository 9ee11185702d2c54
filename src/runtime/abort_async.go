// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build unix || windows

package runtime

// Asynchronous delivery: an abort of a goroutine that runs without making
// calls lands where asynchronous preemption would stop it. On Unix the
// preemption signal's handler, running on the goroutine's thread, decides;
// on Windows preemptM, which has suspended the thread, does (the same
// checks on the same state: the thread is stopped in both cases).

// sigAbort is the value of g.sig while an injected abort is on its way to
// sigpanic. No signal or exception has this number.
const sigAbort = ^uint32(0)

// abortAsyncClaim reports whether the abort requested of gp, stopped at the
// asynchronous safe point pc with stack pointer sp and link register lr,
// may be delivered there, and if so claims it and records it in gp for
// sigpanic. The caller then injects a call to abortSigpanicPC, as for a
// fault at pc.
//
// A frame interrupted this way is never resumed: the GC treats it as dead,
// or, if its function defers, as stopped at its deferreturn call, which is
// where a recovered panic resumes it. For a function that defers, pc must
// therefore lie where the frame is complete and its defer state
// initialized (abortDeferFrameReady).
//
//go:nosplit
//go:nowritebarrierrec
func abortAsyncClaim(gp *g, pc, sp, lr uintptr) bool {
	if !abortWanted(gp) || !abortMState(gp.m) {
		return false
	}
	f := findfunc(pc)
	if !f.valid() || !abortSafeFunc(f, pc) {
		abortRetry.Store(true)
		return false
	}
	if abortLockHeld(f, pc) || f.deferreturn != 0 && !abortDeferFrameReady(f, pc) {
		abortRetry.Store(true)
		return false
	}
	var u unwinder
	u.initAt(pc, sp, lr, gp, unwindSilentErrors)
	u.next() // the interrupted frame, checked above
	if !abortOuterFramesSafe(&u, f.entry()) {
		abortRetry.Store(true)
		return false
	}
	if !abortClaim(gp) {
		return false
	}
	gp.preempt = false
	gp.stackguard0 = gp.stack.lo + stackGuard
	gp.sig = sigAbort
	gp.sigcode0 = 0
	gp.sigcode1 = 0
	gp.sigpc = pc
	return true
}
