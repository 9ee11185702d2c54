// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package pprof

import (
	"internal/testenv"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	_ "unsafe" // for go:linkname
)

// The runtime's functions that the testing package and time.AfterFunc use
// to read and set the test a goroutine belongs to (runtime/goleakgc.go).
//
//go:linkname setGoroutineLeakTest testing.runtime_setGoroutineLeakTest
func setGoroutineLeakTest(test uint32)

//go:linkname goroutineLeakTest time.runtime_goroutineLeakTest
func goroutineLeakTest() uint32

// Test numbers of the goroutines these tests start, far from those that
// go test -goleakgc gives tests, so that they can run under it.
const (
	leakTestChan uint32 = 1<<31 + iota
	leakTestNone
	leakTestReachable
	leakTestMutex
)

// inLeakTest runs f with the calling goroutine in test, so that the
// goroutines f starts belong to test.
func inLeakTest(test uint32, f func()) {
	saved := goroutineLeakTest()
	setGoroutineLeakTest(test)
	defer setGoroutineLeakTest(saved)
	f()
}

// The leaks of these tests stay leaked for the life of the process, so they
// run in a child process of their own.
func TestGoroutineLeaks(t *testing.T) {
	testenv.MustHaveExec(t)
	cmd := testenv.Command(t, testenv.Executable(t), "-test.run=^TestGoroutineLeaksHelper$", "-test.v")
	cmd.Env = append(cmd.Environ(), "GO_PPROF_GOLEAKS_HELPER=1")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "--- PASS: TestGoroutineLeaksHelper") {
		t.Fatal("helper did not pass")
	}
}

func TestGoroutineLeaksHelper(t *testing.T) {
	if os.Getenv("GO_PPROF_GOLEAKS_HELPER") != "1" {
		t.Skip("run by TestGoroutineLeaks")
	}
	p := Lookup("goroutineleak")
	if p == nil {
		t.Fatal(`Lookup("goroutineleak") = nil; want the profile without GOEXPERIMENT`)
	}
	if n := p.Count(); n != 0 {
		t.Fatalf("Count() = %d before any leak, want 0", n)
	}

	started := make(chan bool)
	inLeakTest(leakTestChan, func() {
		go func() {
			ch := make(chan int)
			started <- true
			<-ch
		}()
	})
	<-started

	// Count runs its own detection: no WriteTo first (golang/go#80311).
	// The goroutine is a leak only once it blocks on ch, which may take
	// it a moment after it sent on started.
	n := p.Count()
	for deadline := time.Now().Add(10 * time.Second); n == 0 && time.Now().Before(deadline); n = p.Count() {
		time.Sleep(time.Millisecond)
	}
	if n != 1 {
		t.Fatalf("Count() = %d after one leak, want 1", n)
	}

	leaks := goroutineLeaks(leakTestChan)
	if len(leaks) != 1 {
		t.Fatalf("goroutineLeaks(chan) returned %d goroutines, want 1", len(leaks))
	}
	g := leaks[0]
	if g.WaitReason != "chan receive" || g.Test != leakTestChan {
		t.Errorf("leaked goroutine waits for %q in test %d, want chan receive, %d", g.WaitReason, g.Test, leakTestChan)
	}
	creator, _ := runtime.CallersFrames([]uintptr{g.GoPC}).Next()
	if !strings.HasSuffix(creator.Function, "TestGoroutineLeaksHelper.func1") {
		t.Errorf("leaked goroutine created by %s, want TestGoroutineLeaksHelper.func1", creator.Function)
	}
	var stack []string
	frames := runtime.CallersFrames(g.Stack)
	for {
		f, more := frames.Next()
		stack = append(stack, f.Function)
		if !more {
			break
		}
	}
	if !strings.Contains(strings.Join(stack, " "), "TestGoroutineLeaksHelper.func1.1") {
		t.Errorf("leaked goroutine's stack %v does not name where it blocks", stack)
	}

	// Another test, which no goroutine belongs to.
	if leaks := goroutineLeaks(leakTestNone); leaks != nil {
		t.Errorf("goroutineLeaks(none) = %v, want nil", leaks)
	}

	// A goroutine blocked on a reachable channel is not leaked.
	reachable := make(chan int)
	inLeakTest(leakTestReachable, func() {
		go func() { <-reachable }()
	})
	if leaks := goroutineLeaks(leakTestReachable); leaks != nil {
		t.Errorf("goroutine blocked on a reachable channel reported leaked")
	}

	// A mutex small enough for the tiny allocator, alone in the active tiny
	// block: the detector must not see it through the block.
	inLeakTest(leakTestMutex, func() {
		mu := new(sync.Mutex)
		mu.Lock()
		go func() {
			started <- true
			mu.Lock()
		}()
	})
	<-started
	if leaks := goroutineLeaks(leakTestMutex); len(leaks) != 1 || leaks[0].WaitReason != "sync.Mutex.Lock" {
		t.Errorf("goroutineLeaks(mutex) = %v, want one goroutine in sync.Mutex.Lock", leaks)
	}

	// All of them, whatever their tests.
	if leaks := goroutineLeaks(0); len(leaks) != 2 {
		t.Errorf("goroutineLeaks(0) returned %d goroutines, want 2", len(leaks))
	}
	reachable <- 1
}
