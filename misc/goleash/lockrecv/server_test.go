// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package lockrecv benchmarks the syscall-server pattern of golang/go#21827:
// a goroutine that serves calls over a channel of functions, with and
// without LockOSThread, and (built with -tags goleash, by the fork's
// misc/goleash/benchcmp.bash) with its callers bound to its thread by
// runtime.LockToRecvOSThread. The files without the tag build with
// pristine Go too, so that the same run measures both.
package lockrecv

import (
	"runtime"
	"sync"
	"testing"
)

// server runs the functions it receives, locked to its thread or not.
type server struct {
	calls chan func()
	done  sync.WaitGroup
}

func startServer(locked bool) *server {
	s := &server{calls: make(chan func())}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		if locked {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
		}
		for f := range s.calls {
			f()
		}
	}()
	return s
}

func (s *server) stop() {
	close(s.calls)
	s.done.Wait()
}

var sink int

// roundTrips makes b.N calls to s, each waiting for its reply.
func roundTrips(b *testing.B, s *server) {
	reply := make(chan struct{})
	f := func() {
		sink++
		reply <- struct{}{}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.calls <- f
		<-reply
	}
}

// parallelRoundTrips makes b.N calls to s from RunParallel's goroutines,
// each of which calls setup first.
func parallelRoundTrips(b *testing.B, s *server, setup func()) {
	b.RunParallel(func(pb *testing.PB) {
		setup()
		reply := make(chan struct{})
		f := func() { reply <- struct{}{} }
		for pb.Next() {
			s.calls <- f
			<-reply
		}
	})
}

func BenchmarkSyscallServer(b *testing.B) {
	for _, locked := range []bool{false, true} {
		name := "Unlocked"
		if locked {
			name = "Locked"
		}
		b.Run(name, func(b *testing.B) {
			s := startServer(locked)
			defer s.stop()
			roundTrips(b, s)
		})
		b.Run(name+"Parallel", func(b *testing.B) {
			s := startServer(locked)
			defer s.stop()
			parallelRoundTrips(b, s, func() {})
		})
	}
}
