// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime_test

import (
	"strings"
	"testing"
)

// TestLockToRecvOSThreadWaitLeak checks that the GC's leak detection finds a
// goroutine waiting in LockToRecvOSThread on a channel nothing else
// references, as it finds a receiver of such a channel, and only that one.
func TestLockToRecvOSThreadWaitLeak(t *testing.T) {
	out := runTestProg(t, "testprog", "LockToRecvLeak")
	leaked := 0
	for _, g := range strings.Split(out, "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if !strings.Contains(header, "(leaked)") {
			continue
		}
		leaked++
		if !strings.Contains(header, "[LockToRecvOSThread (leaked)]") || !strings.Contains(g, "main.lockToRecvLeaked(") {
			t.Errorf("unexpected leak:\n%s", g)
		}
	}
	if leaked != 1 {
		t.Errorf("%d leaked goroutines, want 1 (main.lockToRecvLeaked):\n%s", leaked, out)
	}
}
