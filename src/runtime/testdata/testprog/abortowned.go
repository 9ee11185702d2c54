// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"fmt"
	"runtime"
	"time"
)

func init() {
	register("AbortFinalizerHandle", AbortFinalizerHandle)
	register("AbortCleanupHandle", AbortCleanupHandle)
}

// AbortFinalizerHandle asks for the handle of the goroutine that runs a
// finalizer. It belongs to the runtime: the request must crash the program
// with a clear message, as a panic in a finalizer does, instead of handing
// out a handle whose Abort would end every finalizer to come.
func AbortFinalizerHandle() {
	p := new([16]byte)
	runtime.SetFinalizer(p, func(*[16]byte) {
		runtime.GetGoroutineHandle().Abort()
		fmt.Println("unreachable: the finalizer got a handle")
	})
	p = nil
	abortOwnedWait()
}

// AbortCleanupHandle is AbortFinalizerHandle for runtime.AddCleanup.
func AbortCleanupHandle() {
	p := new([16]byte)
	runtime.AddCleanup(p, func(int) {
		runtime.GetGoroutineHandle().Abort()
		fmt.Println("unreachable: the cleanup got a handle")
	}, 0)
	p = nil
	abortOwnedWait()
}

func abortOwnedWait() {
	for i := 0; i < 100; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("the finalizer never ran")
}

func init() {
	register("AbortAfterFuncUnrecovered", AbortAfterFuncUnrecovered)
}

// AbortAfterFuncUnrecovered aborts the function of a time.AfterFunc,
// which runs on a goroutine that package time started: the unrecovered
// abort must crash the program, as a panic there does, and not end the
// goroutine quietly.
func AbortAfterFuncUnrecovered() {
	time.AfterFunc(0, func() {
		runtime.GetGoroutineHandle().Abort()
		fmt.Println("unreachable: Abort of the caller returned")
	})
	time.Sleep(10 * time.Second)
	fmt.Println("unreachable: the abort ended the goroutine quietly")
}
