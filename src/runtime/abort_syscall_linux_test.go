// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build linux

package runtime_test

import (
	"syscall"
	"testing"
	"time"
)

func TestAbortSyscall(t *testing.T) {
	// The abort waits for the system call to return.
	const d = 50 * time.Millisecond
	start := time.Now()
	a := startAbortee(t, func() {
		ts := syscall.NsecToTimespec(int64(d))
		syscall.Nanosleep(&ts, nil)
		x := 0
		for {
			x = abortWork(x)
		}
	})
	waitBlocked(t, a.h, "syscall")
	a.abortAndWait(t)
	if elapsed := time.Since(start); elapsed < d {
		t.Errorf("aborted after %v, before the %v system call returned", elapsed, d)
	}
}
