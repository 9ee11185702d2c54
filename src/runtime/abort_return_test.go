// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime_test

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
)

// A trapStringer's String method runs with an abort pending and held,
// since fmt is on the stack (abortHeldPackage), so that the runtime sets
// its return trap (abortArmAtReturn) on a frame above it. It then does
// what walks or moves the stack: it grows the stack, runs a GC, which
// scans it, takes a traceback, and optionally exits by runtime.Goexit,
// whose unwinding passes the trapped frame.
type trapStringer struct {
	step   chan struct{} // String waits here until the abort is requested
	goexit bool
	pcs    []uintptr // runtime.Callers in String, with the trap set
	stack  []byte    // debug.Stack in String
}

func (s *trapStringer) String() string {
	<-s.step // held: the wait's caller is below fmt
	abortGrowStack(1000)
	runtime.GC()
	s.pcs = make([]uintptr, 64)
	s.pcs = s.pcs[:runtime.Callers(1, s.pcs)]
	s.stack = debug.Stack()
	if s.goexit {
		runtime.Goexit()
	}
	return "trap"
}

//go:noinline
func abortGrowStack(n int) int {
	var pad [64]byte
	if n == 0 {
		return int(pad[0])
	}
	return abortGrowStack(n-1) + int(pad[n%64])
}

func TestAbortReturnTrapFrames(t *testing.T) {
	for _, goexit := range []bool{false, true} {
		t.Run(fmt.Sprint("goexit=", goexit), func(t *testing.T) {
			for i := 0; i < 5; i++ {
				s := &trapStringer{step: make(chan struct{}), goexit: goexit}
				var ran, exitDeferRan atomic.Bool
				done := make(chan *runtime.GoroutineHandle, 1)
				go func() {
					defer func() { exitDeferRan.Store(true) }()
					defer func() { recover() }()
					done <- runtime.GetGoroutineHandle()
					_ = fmt.Sprint(s)
					markRan(&ran) // the first call after fmt returns
				}()
				h := <-done
				waitBlocked(t, h, "chan receive")
				h.Abort()
				close(s.step)
				<-h.Done()
				if !exitDeferRan.Load() {
					t.Fatalf("run %d: the goroutine's deferred call did not run", i)
				}
				if ran.Load() {
					t.Fatalf("run %d: the abort that fmt held did not land at the first call after fmt.Sprint returned", i)
				}
				var funcs []string
				frames := runtime.CallersFrames(s.pcs)
				for {
					fr, more := frames.Next()
					funcs = append(funcs, fr.Function)
					if !more {
						break
					}
				}
				trace := strings.Join(funcs, "\n")
				if !strings.Contains(trace, "fmt.Sprint\nruntime_test.TestAbortReturnTrapFrames.func1.1") {
					t.Fatalf("run %d: runtime.Callers in String does not show fmt.Sprint called by the test:\n%s", i, trace)
				}
				if strings.Contains(trace, "abortReturnTrap") || strings.Contains(string(s.stack), "abortReturnTrap") {
					t.Fatalf("run %d: a traceback shows the return trap:\n%s\n%s", i, trace, s.stack)
				}
			}
		})
	}
}

// markRan records that it ran. It is not a leaf, so that it has a stack
// check, where the cooperative path delivers an abort.
//
//go:noinline
func markRan(ran *atomic.Bool) { setRan(ran) }

//go:noinline
func setRan(ran *atomic.Bool) { ran.Store(true) }
