// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitBinders waits until n goroutines are parked in LockToRecvOSThread,
// waiting for a receiver, as runtime.Stack shows them.
func waitBinders(t *testing.T, n int) {
	t.Helper()
	for i := 0; ; i++ {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		if got := strings.Count(string(buf), " [LockToRecvOSThread"); got >= n {
			return
		} else if i == 10000 {
			t.Fatalf("%d goroutines wait in LockToRecvOSThread, want %d:\n%s", got, n, buf)
		}
		time.Sleep(time.Millisecond)
	}
}

// startBinders starts n goroutines that bind to the receiver of s.calls
// and report, through the returned channel, whether they then run on
// the server's thread (the thread that runs s's functions).
func startBinders(s *syscallServer, n int) <-chan error {
	errs := make(chan error, n)
	for range n {
		go func() {
			runtime.LockToRecvOSThread(s.calls)
			defer runtime.UnlockOSThread()
			tid := syscall.Gettid()
			if serverTid := s.thread(); tid != serverTid {
				errs <- fmt.Errorf("bound goroutine on thread %d, server on %d", tid, serverTid)
				return
			}
			errs <- nil
		}()
	}
	return errs
}

func collect(t *testing.T, errs <-chan error, n int) {
	t.Helper()
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestLockToRecvOSThreadWaitParks(t *testing.T) {
	for _, n := range []int{1, 64} {
		t.Run(fmt.Sprint("binders=", n), func(t *testing.T) {
			s := newSyscallServer(make(chan func()))
			errs := startBinders(s, n)
			waitBinders(t, n) // parked, not polling: the wait has its own reason
			s.start()
			collect(t, errs, n)
			s.stop()
		})
	}
}

func TestLockToRecvOSThreadWaitSelect(t *testing.T) {
	// The server receives in a select, with another case that is never
	// ready: the binder is woken by the select's receive.
	s := newSyscallServer(make(chan func()))
	errs := startBinders(s, 2)
	waitBinders(t, 2)
	never := make(chan int)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(s.done)
		for {
			select {
			case f, ok := <-s.calls:
				if !ok {
					return
				}
				f()
			case <-never:
			}
		}
	}()
	collect(t, errs, 2)
	s.stop()
}

func TestLockToRecvOSThreadWaitAfter(t *testing.T) {
	// The server receives before the binders come, and goes on serving
	// while they come: each binds at once or waits for the server's next
	// receive.
	s := startSyscallServer()
	defer s.stop()
	s.thread()
	const n = 16
	errs := startBinders(s, n)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				s.do(func() {})
			}
		}()
	}
	collect(t, errs, n)
	wg.Wait()
}

func TestLockToRecvOSThreadWaitServerExits(t *testing.T) {
	// The server serves, then stops receiving and exits, before the
	// binders come: they wait for the next server, and bind to its
	// thread.
	calls := make(chan func())
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(exited)
		for {
			select {
			case f := <-calls:
				f()
			case <-quit:
				return
			}
		}
	}()
	s := newSyscallServer(calls)
	s.thread()
	close(quit)
	<-exited
	errs := startBinders(s, 4)
	waitBinders(t, 4)
	s.start()
	collect(t, errs, 4)
	s.stop()
}

func TestLockToRecvOSThreadWaitClosed(t *testing.T) {
	// The channel is closed while binders wait: they panic, as
	// LockToRecvOSThread of a closed channel does.
	calls := make(chan func())
	const n = 3
	done := make(chan string, n)
	for range n {
		go func() {
			defer func() { done <- fmtPanic(recover()) }()
			runtime.LockToRecvOSThread(calls)
			runtime.UnlockOSThread()
		}()
	}
	waitBinders(t, n)
	close(calls)
	for range n {
		if got := <-done; !strings.Contains(got, "closed channel") {
			t.Errorf("binder woken by close panicked with %q, want closed channel", got)
		}
	}
}

func TestLockToRecvOSThreadWaitUnlockedReceiver(t *testing.T) {
	// The first goroutine to receive is not locked: the waiting binder
	// panics, as it does when it finds such a receiver parked.
	c := make(chan int)
	done := make(chan string)
	go func() {
		defer func() { done <- fmtPanic(recover()) }()
		runtime.LockToRecvOSThread(c)
		runtime.UnlockOSThread()
	}()
	waitBinders(t, 1)
	go func() { <-c }()
	if got := <-done; !strings.Contains(got, "not locked") {
		t.Errorf("binder panicked with %q, want not locked", got)
	}
	c <- 1
}

func TestLockToRecvOSThreadWaitAbort(t *testing.T) {
	// An abort cancels the wait of one binder; the others of the channel
	// go on waiting and bind to the server that comes.
	s := newSyscallServer(make(chan func()))
	errs := startBinders(s, 2)
	a := startAbortee(t, func() {
		runtime.LockToRecvOSThread(s.calls)
		runtime.UnlockOSThread()
	})
	waitBlocked(t, a.h, "LockToRecvOSThread")
	waitBinders(t, 3)
	a.abortAndWait(t)
	s.start()
	collect(t, errs, 2)
	s.stop()

	// The aborted binder was the only one: the channel forgets it.
	c := make(chan int)
	a = startAbortee(t, func() {
		runtime.LockToRecvOSThread(c)
		runtime.UnlockOSThread()
	})
	waitBlocked(t, a.h, "LockToRecvOSThread")
	a.abortAndWait(t)
	go func() { c <- 1 }()
	if v := <-c; v != 1 {
		t.Errorf("received %d, want 1", v)
	}
}
