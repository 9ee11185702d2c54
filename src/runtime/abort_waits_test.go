// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime_test

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A wait is cancelled only where the function through which the waiting
// code entered the runtime or sync is one that abort-safe code calls to
// wait (runtime.abortWaitEntry). These tests show waits that the
// primitives do for their own purposes being held until they return.

// stillBlocked fails the test if a's goroutine exits within d.
func (a *abortee) stillBlocked(t *testing.T, d time.Duration, where string) {
	t.Helper()
	select {
	case <-a.h.Done():
		t.Fatalf("%v: an abort cancelled the wait in %s", a.h, where)
	case <-time.After(d):
	}
}

// Cond.Wait relocks c.L after its wait and must return holding it: an
// abort that arrives while it waits for c.L lands after it returns, also
// when c.L is a Locker of the caller's own, whose Lock is abort-safe code
// calling Mutex.Lock.
func TestAbortCondRelockHeld(t *testing.T) {
	for _, locker := range []string{"mutex", "user"} {
		t.Run(locker, func(t *testing.T) {
			var mu sync.Mutex
			var l sync.Locker = &mu
			if locker == "user" {
				l = userLocker{&mu}
			}
			c := sync.NewCond(l)
			var held atomic.Bool
			a := startAbortee(t, func() {
				l.Lock()
				defer func() {
					held.Store(!mu.TryLock())
					l.Unlock()
				}()
				c.Wait()
				for {
					abortSpinCall() // the abort lands here
				}
			})
			waitBlocked(t, a.h, "sync.Cond.Wait")
			// Wake it while mu is held: it now waits for mu inside Cond.Wait.
			mu.Lock()
			c.Signal()
			waitBlocked(t, a.h, "sync.Mutex.Lock")
			a.h.Abort()
			a.stillBlocked(t, 20*time.Millisecond, "Cond.Wait's relock")
			mu.Unlock()
			a.wait(t)
			if !held.Load() {
				t.Errorf("Cond.Wait was left without its mutex")
			}
		})
	}
}

// sync.Once waits for a concurrent first call on its own mutex: held
// until the first call has returned.
func TestAbortOnceWaitHeld(t *testing.T) {
	var once sync.Once
	release := make(chan struct{})
	running := make(chan struct{})
	go once.Do(func() {
		close(running)
		<-release
	})
	<-running
	var ran atomic.Bool
	a := startAbortee(t, func() {
		once.Do(func() { ran.Store(true) })
		for {
			abortSpinCall()
		}
	})
	waitBlocked(t, a.h, "sync.Mutex.Lock")
	a.h.Abort()
	a.stillBlocked(t, 20*time.Millisecond, "sync.Once.Do")
	close(release)
	a.wait(t)
	if ran.Load() {
		t.Errorf("the second Do ran its function")
	}
}

//go:noinline
func abortSpinCall() {}

// A goroutine that the runtime owns and lends to user code must never die
// of an abort: asking for its handle is refused, loudly.
func TestAbortRuntimeOwnedGoroutines(t *testing.T) {
	for _, name := range []string{"AbortFinalizerHandle", "AbortCleanupHandle"} {
		t.Run(name, func(t *testing.T) {
			output := runTestProg(t, "testprog", name)
			want := "GetGoroutineHandle called by a finalizer or cleanup"
			if !strings.Contains(output, want) || strings.Contains(output, "unreachable") {
				t.Fatalf("output:\n%s\nwant a panic saying %q", output, want)
			}
		})
	}
}

// userLocker is a sync.Locker of the caller's own, whose Lock waits in a
// sync.Mutex.
type userLocker struct{ mu *sync.Mutex }

func (l userLocker) Lock()   { l.mu.Lock() }
func (l userLocker) Unlock() { l.mu.Unlock() }

// An abort that ends f of WaitGroup.Go ends it as quietly as Goexit
// would: the WaitGroup counts it as done. Upstream, Go leaves the count
// up when f panics, because the panic is fatal; an abort is not.
func TestAbortWaitGroupGo(t *testing.T) {
	var wg sync.WaitGroup
	handles := make(chan *runtime.GoroutineHandle)
	wg.Go(func() {
		handles <- runtime.GetGoroutineHandle()
		for {
			abortSpinCall()
		}
	})
	h := <-handles
	h.Abort()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("WaitGroup.Wait did not return after the abort of its goroutine")
	}
}

// An unrecovered abort ends quietly only a goroutine that the program
// started itself; one that a low-level package started crashes, as for
// any panic, since its owner counts on that.
func TestAbortUnrecoveredInPackageGoroutine(t *testing.T) {
	output := runTestProg(t, "testprog", "AbortAfterFuncUnrecovered")
	if !strings.Contains(output, "panic: goroutine aborted") || strings.Contains(output, "unreachable") {
		t.Fatalf("output:\n%s\nwant an abort panic", output)
	}
}
