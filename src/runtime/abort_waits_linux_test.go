// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build linux

package runtime_test

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// net.Dial's wait for connect is held: the socket it makes is closed on
// an error return, not on a panic, and nothing else owns it yet.
func TestAbortDialHeld(t *testing.T) {
	addr := hangingDialAddr(t)
	// Where the abort landed is read from the stack it unwinds, not from
	// a flag set after Dial returns: qemu-user delivers the preemption
	// signal at the instruction after a call, so an abort that Dial held
	// lands right at its return, before any such flag is set.
	var landedIn atomic.Value
	a := startAbortee(t, func() {
		defer func() {
			// Deferred calls run on top of the frames the abort unwinds.
			pcs := make([]uintptr, 64)
			frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
			for {
				fr, more := frames.Next()
				if strings.HasPrefix(fr.Function, "net.") || strings.HasPrefix(fr.Function, "internal/poll.") {
					landedIn.CompareAndSwap(nil, fr.Function)
				}
				if !more {
					break
				}
			}
		}()
		d := net.Dialer{Timeout: 300 * time.Millisecond}
		// The connect may succeed after all (qemu-user): the abort may
		// then land where Close is called, not in it.
		if c, err := d.Dial("tcp", addr); err == nil {
			c.Close()
		}
		for {
			abortSpinCall()
		}
	})
	waitBlocked(t, a.h, "IO wait")
	a.h.Abort()
	a.wait(t)
	if fn := landedIn.Load(); fn != nil {
		t.Errorf("an abort cancelled net.Dial's wait for connect: it landed in %s", fn)
	}
}

// hangingDialAddr returns the address of a listener whose accept queue is
// full and never drained: Linux's listen backlog leaves a connect to it
// pending until the dialer's timeout.
func hangingDialAddr(t *testing.T) string {
	s, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(s) })
	if err := syscall.Bind(s, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(s, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(s)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for i := 0; i < 4; i++ {
		d := net.Dialer{Timeout: 100 * time.Millisecond}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return addr
}

// An abort that net.Dial held lands at the first call its caller makes
// after Dial returns (abortArmAtReturn), not wherever sysmon's next retry
// finds the goroutine: without the return trap, markRan nearly always
// ran, and a loop that lives in net (Dial, Close, Dial...) took from
// milliseconds to more than 20 s to abort.
func TestAbortAfterHeldWait(t *testing.T) {
	addr := hangingDialAddr(t)
	for i := 0; i < 5; i++ {
		var ran atomic.Bool
		a := startAbortee(t, func() {
			d := net.Dialer{Timeout: 200 * time.Millisecond}
			if c, err := d.Dial("tcp", addr); err == nil {
				c.Close() // the connect succeeded after all (qemu-user)
			}
			markRan(&ran)
			for {
				time.Sleep(time.Millisecond)
			}
		})
		waitBlocked(t, a.h, "IO wait")
		a.h.Abort()
		a.wait(t)
		if ran.Load() {
			t.Fatalf("run %d: the abort that net.Dial held did not land at the first call after it returned", i)
		}
	}
}

// BenchmarkAbortLatencyNetLoop is BenchmarkAbortLatency for a goroutine
// that loops in net, dialing a loopback listener and closing the
// connection: the abort waits for the loop's own code, where the return
// trap (abortArmAtReturn) lands it (doc/goleash/abort.md, Retries).
func BenchmarkAbortLatencyNetLoop(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	var dialing atomic.Bool
	abortLatency(b, func(*runtime.GoroutineHandle) {
		for !dialing.Load() {
			runtime.Gosched()
		}
		dialing.Store(false)
	}, func() {
		for {
			func() {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					panic(err)
				}
				defer c.Close()
			}()
			dialing.Store(true)
		}
	})
}
