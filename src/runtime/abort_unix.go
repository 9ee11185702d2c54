// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build unix

package runtime

// abortAtAsyncSafePoint is called by the preemption signal handler when gp,
// stopped at the asynchronous safe point pc, has an abort request. If the
// abort may be delivered there (abortAsyncClaim), it injects a call to
// sigpanic, as for a fault at pc, and reports true.
//
//go:nosplit
//go:nowritebarrierrec
func abortAtAsyncSafePoint(gp *g, ctxt *sigctxt, pc uintptr) bool {
	if !abortAsyncClaim(gp, pc, ctxt.sigsp(), ctxt.siglr()) {
		return false
	}
	ctxt.pushCall(abortSigpanicPC(), pc)
	return true
}
