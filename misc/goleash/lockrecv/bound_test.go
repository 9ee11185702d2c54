// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build goleash

package lockrecv

import (
	"runtime"
	"testing"
)

// The callers bound to the locked server's thread: a round trip is a
// goroutine switch on that thread.
func BenchmarkSyscallServerBound(b *testing.B) {
	b.Run("Serial", func(b *testing.B) {
		s := startServer(true)
		defer s.stop()
		runtime.LockToRecvOSThread(s.calls)
		defer runtime.UnlockOSThread()
		roundTrips(b, s)
	})
	b.Run("Parallel", func(b *testing.B) {
		s := startServer(true)
		defer s.stop()
		// RunParallel's goroutines exit bound, which unbinds them.
		parallelRoundTrips(b, s, func() {
			runtime.LockToRecvOSThread(s.calls)
		})
	})
}

// A bind and an unbind: LockToRecvOSThread with the server waiting for a
// call, then UnlockOSThread; WithCall makes one round trip while bound.
// A program that binds for a span of work (Delve, for a command) pays
// this once per span; compare with Serial above and SyscallServer/Locked.
func BenchmarkSyscallServerBindUnbind(b *testing.B) {
	b.Run("Idle", func(b *testing.B) {
		s := startServer(true)
		defer s.stop()
		for i := 0; i < b.N; i++ {
			runtime.LockToRecvOSThread(s.calls)
			runtime.UnlockOSThread()
		}
	})
	b.Run("WithCall", func(b *testing.B) {
		s := startServer(true)
		defer s.stop()
		reply := make(chan struct{})
		f := func() { reply <- struct{}{} }
		for i := 0; i < b.N; i++ {
			runtime.LockToRecvOSThread(s.calls)
			s.calls <- f
			<-reply
			runtime.UnlockOSThread()
		}
	})
}
