// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build unix || windows

package runtime_test

import (
	"internal/race"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// abortSpinDefer is TestAbortTightLoopWithDefer's spinning function: its
// loop is nothing but the inlined stop.Load and the branch back. The defer
// statement is on the line after the func line (TestAbortAsyncPCs).
//
//go:noinline
func abortSpinDefer(stop, inner *atomic.Bool) {
	defer inner.Store(true)
	for !stop.Load() {
	}
}

// TestAbortAsyncPCs checks, by the pc tables of this architecture's code,
// where the preemption signal may deliver an abort in a function that
// defers. Never before its defer state is initialized: not in the prologue
// (the func line), where the assembler marks instructions safe that run
// after the frame is allocated (arm64 sets up its frame pointer there,
// riscv64, loong64, mips64 and s390x store the link register again), nor
// in the entry block that records the defer (the defer line). And in the
// code that stop.Load inlines into the loop too: otherwise a loop whose
// head is that code is abortable only at its branch, and never under
// qemu-user, which delivers signals at the head of a translated block
// (TestAbortTightLoopWithDefer on linux/arm64).
func TestAbortAsyncPCs(t *testing.T) {
	if race.Enabled {
		// The race detector's instrumentation changes the code this
		// test reads: stop.Load is a call, not inlined, the defer is
		// not open-coded, and the racefuncexit call after deferreturn
		// is on the defer line.
		t.Skip("the layout this test checks is that of code built without -race")
	}
	entry := reflect.ValueOf(abortSpinDefer).Pointer()
	pcs := runtime.AbortAsyncPCs(entry)
	if len(pcs) == 0 {
		t.Fatalf("no pc of abortSpinDefer (entry %#x) takes an asynchronous abort", entry)
	}
	_, funcLine := runtime.FuncForPC(entry).FileLine(entry)
	deferLine := funcLine + 1
	// The loop follows the entry block; after the function's exits come
	// the call of morestack and, on arm, a literal pool, on the func line.
	var early []uintptr
	inAtomic := 0
	for _, pc := range pcs {
		// pc+1: CallersFrames takes return addresses.
		fr, _ := runtime.CallersFrames([]uintptr{pc + 1}).Next()
		switch {
		case strings.HasPrefix(fr.Function, "sync/atomic."):
			inAtomic++
		case fr.Function != "runtime_test.abortSpinDefer":
			t.Errorf("an abort may land at entry+%#x, in %s at %s:%d", pc-entry, fr.Function, fr.File, fr.Line)
		case fr.Line == funcLine || fr.Line == deferLine:
			if inAtomic == 0 {
				early = append(early, pc)
			}
		}
	}
	for _, pc := range early {
		t.Errorf("an abort may land at entry+%#x, before the loop, where the defer state is not initialized", pc-entry)
	}
	if inAtomic == 0 {
		t.Errorf("no abort lands in the code that stop.Load inlines into the loop (%d pcs take one)", len(pcs))
	}
}
