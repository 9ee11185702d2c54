// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build unix || windows

package runtime_test

import (
	"fmt"
	"internal/race"
	"internal/testenv"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
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

// The map assignments of abortMapStore, abortMapStoreString and
// abortMapStoreStruct are on the line after the func line
// (TestAbortAsyncMapAssign). A string, and a struct with a pointer, take
// several stores, the pointer's after a write-barrier check.
//
//go:noinline
func abortMapStore(m map[int]int, k int) {
	m[k] = -k
}

//go:noinline
func abortMapStoreString(m map[string]string, k, v string) {
	m[k] = v
}

type abortMapValue struct {
	a, b int
	p    *int
	c    int
}

//go:noinline
func abortMapStoreStruct(m map[int]abortMapValue, k int, v abortMapValue) {
	m[k] = v
}

// abortMapStoreEmpty's assignment stores nothing: mapassign's zero value
// is the value. The call after it, on the line after the assignment, is
// a call like any other (TestAbortAsyncMapAssign).
//
//go:noinline
func abortMapStoreEmpty(m map[int]struct{}, k int) {
	m[k] = struct{}{}
	abortMapAfter(k)
}

//go:noinline
func abortMapAfter(k int) int { return k + 1 }

// TestAbortAsyncMapAssign checks that no asynchronous abort lands between
// a map assignment's call of mapassign, which inserts the key with a zero
// value, and the last store of the value: the instructions of the
// assignment's line from the call's return on. Under qemu-user, which
// delivers signals at the instruction after a call, TestAbortStress found
// its map holding zero values there.
func TestAbortAsyncMapAssign(t *testing.T) {
	testenv.MustHaveGoBuild(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []any{abortMapStore, abortMapStoreString, abortMapStoreStruct} {
		entry := reflect.ValueOf(fn).Pointer()
		name := runtime.FuncForPC(entry).Name()
		t.Run(strings.TrimPrefix(name, "runtime_test."), func(t *testing.T) {
			testAbortAsyncMapAssign(t, exe, name, entry)
		})
	}
	// An assignment of a zero-size value must not hold aborts off the
	// code after it: the mark once ran to the end of such a function,
	// and json.Marshal, whose pointer encoder assigns struct{}{} before
	// it recurses, could not be aborted at all.
	t.Run("abortMapStoreEmpty", func(t *testing.T) {
		entry := reflect.ValueOf(abortMapStoreEmpty).Pointer()
		_, funcLine := runtime.FuncForPC(entry).FileLine(entry)
		for _, pc := range runtime.AbortAsyncPCs(entry) {
			// pc+1: CallersFrames takes return addresses.
			if fr, _ := runtime.CallersFrames([]uintptr{pc + 1}).Next(); fr.Line == funcLine+2 {
				return
			}
		}
		t.Errorf("no abort lands at the call after a map assignment of struct{}{}")
	})
}

func testAbortAsyncMapAssign(t *testing.T, exe, name string, entry uintptr) {
	insts, out := abortDisassemble(t, exe, name)
	_, funcLine := runtime.FuncForPC(entry).FileLine(entry)
	assignLine := fmt.Sprintf("abort_pc_test.go:%d", funcLine+1)
	var after []uintptr // the assignment's instructions after the call
	called := false
	for _, in := range insts {
		switch {
		case called && in.line == assignLine:
			after = append(after, in.pc)
		case called:
			called = false // the assignment ends
		case in.line == assignLine && strings.Contains(in.text, "runtime.mapassign"):
			called = true
		}
	}
	if len(after) == 0 {
		t.Fatalf("no instruction of %s after its call of mapassign in:\n%s", assignLine, out)
	}
	abortable := map[uintptr]bool{}
	for _, pc := range runtime.AbortAsyncPCs(entry) {
		abortable[pc] = true
	}
	for _, pc := range after {
		if abortable[pc] {
			t.Errorf("an abort may land at entry+%#x, after mapassign and before the last store of the value", pc-entry)
		}
	}
}

// abortHandLockState is abortHandLock's: x is guarded by mu. The mutex is
// not at offset 0: its address is a value of its own, which the register
// allocator spills around lockSlow.
type abortHandLockState struct {
	x  int
	mu sync.Mutex
}

// abortHandLock locks and unlocks by hand, with no defer, the shape of
// the torture test's handlock service. Its Lock, Unlock and the increment
// between them are on the lines after the func line (TestAbortAsyncHandLock).
//
//go:noinline
func abortHandLock(s *abortHandLockState, n int) {
	for i := 0; i < n; i++ {
		s.mu.Lock()
		s.x++
		s.mu.Unlock()
		if i%16 == 0 {
			runtime.Gosched()
		}
	}
}

// TestAbortAsyncHandLock checks that no asynchronous abort lands between
// a Lock that returns and the Unlock of the same mutex in the same
// function: not at the increment they guard, and not after Lock's slow
// path returns. The register allocator once restored the mutex's address
// for Unlock right after the call of lockSlow, with Unlock's position;
// the region ended there, and the torture test's handlock service found
// the mutex left locked.
func TestAbortAsyncHandLock(t *testing.T) {
	testenv.MustHaveGoBuild(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	entry := reflect.ValueOf(abortHandLock).Pointer()
	name := runtime.FuncForPC(entry).Name()
	insts, out := abortDisassemble(t, exe, name)
	// The instruction after each call of Lock (on 386 and arm, where
	// Lock is not inlined) or of lockSlow, directly or through a
	// trampoline: Lock's return.
	lockCall := regexp.MustCompile(`sync\.\(\*Mutex\)\.(Lock|lockSlow)(-tramp[0-9]+)?\(SB\)`)
	returns := map[uintptr]bool{}
	called := false
	for _, in := range insts {
		if called {
			returns[in.pc] = true
		}
		called = lockCall.MatchString(in.text)
	}
	if len(returns) == 0 {
		t.Fatalf("no call of sync.(*Mutex).Lock or lockSlow in:\n%s", out)
	}
	_, funcLine := runtime.FuncForPC(entry).FileLine(entry)
	incrementLine := funcLine + 3
	abortable := 0
	for _, pc := range runtime.AbortAsyncPCs(entry) {
		abortable++
		if returns[pc] {
			t.Errorf("an abort may land at entry+%#x, where Lock returns with the mutex held", pc-entry)
		}
		// pc+1: CallersFrames takes return addresses. The outermost
		// frame is abortHandLock's, whatever is inlined at pc.
		frames := runtime.CallersFrames([]uintptr{pc + 1})
		for {
			fr, more := frames.Next()
			if fr.Function == name && fr.Line == incrementLine {
				t.Errorf("an abort may land at entry+%#x, at the increment, with the mutex held", pc-entry)
			}
			if !more {
				break
			}
		}
	}
	if abortable == 0 {
		t.Errorf("no pc of %s takes an asynchronous abort: the lock region covers the loop, which may not hold the lock", name)
	}
}

// An abortInstruction is a line of go tool objdump's listing.
type abortInstruction struct {
	line string // FILE:LINE of the innermost inlined position
	pc   uintptr
	text string // the whole line
}

// abortDisassemble returns the instructions of the function name of exe,
// and go tool objdump's listing of it.
func abortDisassemble(t *testing.T, exe, name string) ([]abortInstruction, []byte) {
	t.Helper()
	if strings.HasPrefix(runtime.GOARCH, "mips") {
		t.Skipf("go tool objdump has no disassembler for %s", runtime.GOARCH)
	}
	out, err := testenv.Command(t, testenv.GoToolPath(t), "tool", "objdump", "-s", "^"+regexp.QuoteMeta(name)+"$", exe).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool objdump: %v\n%s", err, out)
	}
	// Lines of go tool objdump: "  FILE:LINE\tADDRESS\tBYTES\tINSTRUCTION".
	var insts []abortInstruction
	for _, l := range strings.Split(string(out), "\n") {
		fields := strings.Fields(l)
		if len(fields) < 4 || !strings.HasPrefix(fields[1], "0x") {
			continue
		}
		pc, err := strconv.ParseUint(fields[1], 0, 64)
		if err != nil {
			continue
		}
		insts = append(insts, abortInstruction{line: fields[0], pc: uintptr(pc), text: l})
	}
	return insts, out
}
