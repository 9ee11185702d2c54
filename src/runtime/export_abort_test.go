// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime

// RaceIgnoreDepth is how many race.Disable calls of the calling goroutine
// are not yet undone. An abort that leaves package sync through a wait it
// cancelled must leave it at the depth it had on entry.
func RaceIgnoreDepth() int8 { return getg().raceignore }

// WaitReasonOf returns the wait reason of h's goroutine if it is parked,
// and "" if it runs, is runnable or has exited. It stops nothing: a
// benchmark can wait for a goroutine to block without the stop of the
// world that runtime.Stack makes, which would disturb what it measures.
// The reason may be stale by the time it returns.
func WaitReasonOf(h *GoroutineHandle) string {
	gp := h.gp
	if readgstatus(gp)&^_Gscan != _Gwaiting || gp.goid != h.id {
		return ""
	}
	return gp.waitreason.String()
}
