// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

func init() {
	register("AbortUnrecovered", AbortUnrecovered)
	register("AbortMain", AbortMain)
	register("AbortCooperative", AbortCooperative)
}

var abortStop atomic.Bool

//go:noinline
func abortSpin() {
	for !abortStop.Load() {
	}
}

// AbortUnrecovered aborts a goroutine that does not recover: it must end
// quietly after its deferred call, and the program go on.
func AbortUnrecovered() {
	handles := make(chan *runtime.GoroutineHandle)
	var deferred atomic.Bool
	go func() {
		defer deferred.Store(true)
		handles <- runtime.GetGoroutineHandle()
		abortSpin()
		fmt.Println("unreachable: abortSpin returned")
	}()
	h := <-handles
	time.Sleep(10 * time.Millisecond)
	h.Abort()
	<-h.Done()
	if !deferred.Load() {
		fmt.Println("deferred call did not run")
		os.Exit(1)
	}
	fmt.Println("ok")
}

// AbortMain aborts the main goroutine, which crashes the program.
func AbortMain() {
	main := runtime.GetGoroutineHandle()
	go func() {
		time.Sleep(10 * time.Millisecond)
		main.Abort()
	}()
	abortSpin()
	fmt.Println("unreachable: main survived its abort")
}

// abortStep is not a leaf, so that it checks for preemption on entry.
//
//go:noinline
func abortStep(x int) int { return abortLeaf(x) + 1 }

//go:noinline
func abortLeaf(x int) int { return x * 3 }

// AbortCooperative aborts a goroutine that only reaches cooperative safe
// points (run it with GODEBUG=asyncpreemptoff=1).
func AbortCooperative() {
	handles := make(chan *runtime.GoroutineHandle)
	go func() {
		handles <- runtime.GetGoroutineHandle()
		x := 0
		for {
			x = abortStep(x)
		}
	}()
	h := <-handles
	time.Sleep(10 * time.Millisecond)
	h.Abort()
	<-h.Done()
	fmt.Println("ok")
}
