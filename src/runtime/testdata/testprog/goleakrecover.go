// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	register("GoroutineLeakRecovery", GoroutineLeakRecovery)
}

// leakRecoverySend leaks blocked in a channel send.
func leakRecoverySend(deferred *atomic.Int32) {
	defer deferred.Add(1)
	ch := make(chan int)
	ch <- 1
}

// leakRecoveryLock leaks blocked in sync.Mutex.Lock. The mutex is padded
// out of the tiny allocator, whose 16-byte blocks could share it with a
// live object and hide the leak.
func leakRecoveryLock(deferred *atomic.Int32) {
	defer deferred.Add(1)
	mu := new(struct {
		sync.Mutex
		_ [16]byte
	})
	mu.Lock()
	mu.Lock()
}

// leakRecoveryMasked leaks where no abort may land.
func leakRecoveryMasked() {
	runtime.MaskAbort(func() {
		<-make(chan int)
	})
}

func readRecovered() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-leaked-recovered:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// GoroutineLeakRecovery leaks goroutines from three go statements and
// checks what leak recovery does with them. GOLEASH_RECOVERY says what to
// expect: "abort" (periodic detection with recovery), "off" (periodic
// detection only), "profile" (recovery on, but only the goroutineleak
// profile detects).
func GoroutineLeakRecovery() {
	mode := os.Getenv("GOLEASH_RECOVERY")
	base := runtime.NumGoroutine()
	var deferred atomic.Int32
	const sends, locks = 20, 10
	for range sends {
		go leakRecoverySend(&deferred)
	}
	for range locks {
		go leakRecoveryLock(&deferred)
	}
	go leakRecoveryMasked()
	const leaked = sends + locks + 1

	detect := func() {
		if mode == "profile" {
			if err := pprof.Lookup("goroutineleak").WriteTo(io.Discard, 0); err != nil {
				panic(err)
			}
		} else {
			runtime.GC()
		}
	}
	fail := func(format string, args ...any) {
		fmt.Printf("%s: "+format+"\n", append([]any{mode}, args...)...)
		os.Exit(1)
	}

	switch mode {
	case "abort":
		// A detection that runs before a goroutine blocks does not find
		// it; keep detecting until every abortable goroutine is woken.
		deadline := time.Now().Add(20 * time.Second)
		for readRecovered() < sends+locks {
			if time.Now().After(deadline) {
				fail("recovered %d goroutines, want %d", readRecovered(), sends+locks)
			}
			detect()
			time.Sleep(time.Millisecond)
		}
		for deferred.Load() < sends+locks || runtime.NumGoroutine() > base+1 {
			if time.Now().After(deadline) {
				fail("%d deferred calls ran, %d goroutines left; want %d, %d", deferred.Load(), runtime.NumGoroutine(), sends+locks, base+1)
			}
			time.Sleep(time.Millisecond)
		}
		// The masked goroutine stays leaked, and is not counted.
		for range 3 {
			detect()
		}
		time.Sleep(10 * time.Millisecond)
		if got := readRecovered(); got != sends+locks {
			fail("recovered %d goroutines after more detections, want %d", got, sends+locks)
		}
	case "off", "profile":
		for runtime.NumGoroutine() < base+leaked {
			time.Sleep(time.Millisecond)
		}
		for range 5 {
			detect()
			time.Sleep(2 * time.Millisecond)
		}
		if got := readRecovered(); got != 0 {
			fail("recovered %d goroutines, want 0", got)
		}
		if deferred.Load() != 0 || runtime.NumGoroutine() != base+leaked {
			fail("%d deferred calls ran, %d goroutines; want 0, %d", deferred.Load(), runtime.NumGoroutine(), base+leaked)
		}
	default:
		fail("unknown GOLEASH_RECOVERY")
	}
	fmt.Println("OK")
}
