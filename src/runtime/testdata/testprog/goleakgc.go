// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
)

func init() {
	register("GoroutineLeakMetrics", GoroutineLeakMetrics)
}

// leakGoroutine starts a goroutine that blocks forever on a channel that
// nothing else references, and returns once it is about to block.
func leakGoroutine() {
	started := make(chan bool)
	go func() {
		ch := make(chan int)
		started <- true
		<-ch
	}()
	<-started
}

func readLeakMetrics() (last, total uint64) {
	s := []metrics.Sample{
		{Name: "/sched/goroutines/leaked:goroutines"},
		{Name: "/sched/goroutines-leaked:goroutines"},
	}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// GoroutineLeakMetrics leaks goroutines and checks the leak metrics after
// ordinary GC cycles, which detect leaks only under GODEBUG=goroutineleakgc.
func GoroutineLeakMetrics() {
	want := func(step string, wantLast, wantTotal uint64) {
		if last, total := readLeakMetrics(); last != wantLast || total != wantTotal {
			fmt.Printf("%s: leaked (last detection) = %d, leaked since start = %d; want %d, %d\n", step, last, total, wantLast, wantTotal)
			os.Exit(1)
		}
	}
	want("start", 0, 0)
	leakGoroutine()
	// Three cycles hold at least one detection for N up to 3.
	for range 3 {
		runtime.GC()
	}
	if os.Getenv("GOLEASH_WANT_DETECTION") != "1" {
		want("without goroutineleakgc", 0, 0)
		fmt.Println("OK")
		return
	}
	want("one leak", 1, 1)
	for range 3 {
		runtime.GC()
	}
	want("one leak, found again", 1, 1)
	leakGoroutine()
	for range 3 {
		runtime.GC()
	}
	want("two leaks", 2, 2)
	fmt.Println("OK")
}
