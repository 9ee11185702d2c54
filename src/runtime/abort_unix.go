// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build unix

package runtime

// sigAbort is the value of g.sig while an abort injected by the signal
// handler is on its way to sigpanic. No signal has this number.
const sigAbort = ^uint32(0)

// abortAtAsyncSafePoint is called by the preemption signal handler when gp,
// stopped at the asynchronous safe point pc, has an abort request. If the
// abort may be delivered there, it injects a call to sigpanic, as for a
// fault at pc, and reports true.
//
// A frame interrupted this way is never resumed: the GC treats it as dead,
// or, if its function defers, as stopped at its deferreturn call, which is
// where a recovered panic resumes it. For a function that defers, pc must
// therefore lie where the frame is complete and its defer state
// initialized (abortDeferFrameReady).
//
//go:nosplit
//go:nowritebarrierrec
func abortAtAsyncSafePoint(gp *g, ctxt *sigctxt, pc uintptr) bool {
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
	u.initAt(pc, ctxt.sigsp(), ctxt.siglr(), gp, unwindSilentErrors)
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
	ctxt.pushCall(abortSigpanicPC(), pc)
	return true
}
