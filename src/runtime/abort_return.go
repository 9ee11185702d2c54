// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime

import (
	"internal/abi"
	"internal/goarch"
	"unsafe"
)

// An abort refused because the goroutine runs code where it cannot land
// (a package such as net, a lock region, an open-coded deferred call)
// lands at the first call the goroutine makes after it is back in code
// where it can: the cooperative path, armed by the stack guard. Armed at
// a random moment, by sysmon's retries, the guard is nearly always taken
// by a call inside the refusing code, which refuses it again: a loop that
// spends all but a few instructions in net (net.Dial, Close, net.Dial...)
// was aborted only when sysmon's retry happened to fall on those few,
// after hundreds of milliseconds, and on a loaded machine after more than
// the torture test's 20 s.
//
// abortArmAtReturn makes the retry happen at the right moment: it replaces
// the return address of the outermost refusing frame, the one that code
// where the abort can land called, with abortReturnTrap's, which arms the
// stack guard and returns where the frame would have. It delivers
// nothing: the abort still lands only where abortAtMorestack accepts it,
// at the next call of a frame that accepts it, as if sysmon had armed the
// guard just then.
//
// The replaced return address is kept in g.abortTrapPC, and
// unwinder.next reads it in place of abortReturnTrap's, so that
// tracebacks, the GC's stack scan, stack copying, panics and
// runtime.Callers see the goroutine's real frames. At most one trap is set
// in a goroutine's stack at a time, so that g.abortTrapPC names the one
// return address the trap replaced: abortArmAtReturn sets none while the
// stack holds one. A trap that its frame never returns through (the frame
// unwound by a panic) is left on dead stack, where nothing reads it.
// Frame-pointer unwinding (the execution tracer, block and mutex
// profiles) does not look at g.abortTrapPC: its stacks show
// runtime.abortReturnTrap in place of the caller while a trap is set.

// abortArmAtReturn sets the return trap for gp, which has a pending abort
// and is stopped: in newstack, with u at the frame that made the refused
// call (atCall), or in execute, with u at the innermost frame of gp.sched.
// That frame may be stopped at its entry (preempted by newstack), where
// on link-register machines its return address is in gp.sched.lr, not
// yet on the stack: only a frame stopped at a call may hold the trap.
//
// The trap goes on the frame called by the innermost frame, beyond u's,
// of a function of a package where aborts land: the frame's return is
// where the goroutine is back in that function's own code. Code of a
// refusing package inlined in that function, a lock region or an
// open-coded deferred call may still refuse the next call there; the
// refusal then sets a trap farther out.
func abortArmAtReturn(gp *g, u *unwinder, atCall bool) {
	trap := abortReturnTrapPC()
	if trap == 0 {
		return
	}
	var slot uintptr // where the return address of the frame to trap is
	for first := true; u.valid(); u.next() {
		f := u.frame.fn
		s := abortReturnSlot(&u.frame)
		if s != 0 && *(*uintptr)(unsafe.Pointer(s)) == trap {
			return // a trap is set already
		}
		if c := abortClassOf(f.srcFunc()); !first && c&abortClassSafe != 0 && c&abortClassHeld == 0 {
			break
		}
		first = false
		// The trap must be where the frame's return address is
		// read when it returns: not in an assembly function, which
		// may keep it elsewhere, nor in a frame that a signal
		// interrupted (u.flags has unwindTrap), which may not have
		// stored it yet.
		slot = 0
		if s != 0 && atCall && f.flag&abi.FuncFlagAsm == 0 && u.flags&unwindTrap == 0 &&
			(f.funcID == abi.FuncIDNormal || f.funcID == abi.FuncIDWrapper) {
			slot = s
		}
		atCall = true // every frame farther out is stopped at a call
	}
	if !u.valid() || slot == 0 {
		return // no frame outside the refusing code, or no place for the trap
	}
	// No trap may be set farther out either: a callback from the
	// refusing code into code that accepts the abort stops the walk at
	// the callback, below a trap set before it was called.
	for u.next(); u.valid(); u.next() {
		if s := abortReturnSlot(&u.frame); s != 0 && *(*uintptr)(unsafe.Pointer(s)) == trap {
			return
		}
	}
	gp.abortTrapPC = *(*uintptr)(unsafe.Pointer(slot))
	*(*uintptr)(unsafe.Pointer(slot)) = trap
}

// abortReturnSlot returns the address of the word that holds the return
// address of frame, which is stopped at a call, or 0 if it has none.
func abortReturnSlot(frame *stkframe) uintptr {
	if frame.lr == 0 {
		return 0
	}
	if usesLR {
		return frame.sp // saved by the prologue of a function that calls
	}
	return frame.fp - goarch.PtrSize // pushed by the caller's CALL
}
