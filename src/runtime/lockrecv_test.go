// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime_test

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// syscallServer is the pattern LockToRecvOSThread is for: a goroutine
// locked to its thread that runs the functions it receives.
type syscallServer struct {
	calls chan func()
	done  chan struct{}
}

func startSyscallServer() *syscallServer {
	return newSyscallServer(make(chan func())).start()
}

// newSyscallServer returns a server of calls that is not running yet: its
// binders may wait for it to start.
func newSyscallServer(calls chan func()) *syscallServer {
	return &syscallServer{calls: calls, done: make(chan struct{})}
}

// start starts s's goroutine, locked to its thread, and returns s.
func (s *syscallServer) start() *syscallServer {
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(s.done)
		for f := range s.calls {
			f()
		}
	}()
	return s
}

// do runs f on the server and waits for it.
func (s *syscallServer) do(f func()) {
	reply := make(chan struct{})
	s.calls <- func() {
		f()
		close(reply)
	}
	<-reply
}

func (s *syscallServer) stop() {
	close(s.calls)
	<-s.done
}

func expectPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		v := recover()
		if v == nil {
			t.Fatalf("no panic, want one saying %q", want)
		}
		if s := fmtPanic(v); !strings.Contains(s, want) {
			t.Fatalf("panic %q, want one saying %q", s, want)
		}
	}()
	f()
}

func fmtPanic(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "?"
}

func TestLockToRecvOSThreadMisuse(t *testing.T) {
	t.Run("nil", func(t *testing.T) {
		expectPanic(t, "nil channel", func() { runtime.LockToRecvOSThread[int](nil) })
	})
	t.Run("closed", func(t *testing.T) {
		c := make(chan int)
		close(c)
		expectPanic(t, "closed channel", func() { runtime.LockToRecvOSThread(c) })
	})
	t.Run("locked", func(t *testing.T) {
		s := startSyscallServer()
		defer s.stop()
		done := make(chan struct{})
		go func() {
			defer close(done)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			expectPanic(t, "already locked", func() { runtime.LockToRecvOSThread(s.calls) })
		}()
		<-done
	})
	t.Run("unlocked receiver", func(t *testing.T) {
		c := make(chan int)
		go func() { <-c }()
		defer func() { c <- 1 }()
		expectPanic(t, "not locked", func() { runtime.LockToRecvOSThread(c) })
	})
}

func TestLockToRecvOSThreadWaits(t *testing.T) {
	// No goroutine receives yet: LockToRecvOSThread waits for one.
	calls := make(chan func())
	bound := make(chan struct{})
	go func() {
		runtime.LockToRecvOSThread(calls)
		defer runtime.UnlockOSThread()
		close(bound)
	}()
	select {
	case <-bound:
		t.Fatalf("LockToRecvOSThread returned with no receiver")
	case <-time.After(20 * time.Millisecond):
	}
	go func() {
		runtime.LockOSThread()
		for f := range calls {
			f()
		}
	}()
	<-bound
	close(calls)
}
