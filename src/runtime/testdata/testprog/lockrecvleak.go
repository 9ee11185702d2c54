// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

func init() {
	register("LockToRecvLeak", LockToRecvLeak)
}

var lockToRecvKeptChan = make(chan func())

// LockToRecvLeak starts two goroutines that wait in LockToRecvOSThread for
// a receiver: one on a channel that nothing else references, which has
// leaked, and one on a channel that a global references, which has not,
// and writes the goroutineleak profile.
func LockToRecvLeak() {
	go lockToRecvLeaked(make(chan func()))
	go lockToRecvKept(lockToRecvKeptChan)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		if strings.Count(string(buf), " [LockToRecvOSThread") == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	pprof.Lookup("goroutineleak").WriteTo(os.Stdout, 2)
}

func lockToRecvLeaked(c chan func()) {
	runtime.LockToRecvOSThread(c)
}

func lockToRecvKept(c chan func()) {
	runtime.LockToRecvOSThread(c)
}
