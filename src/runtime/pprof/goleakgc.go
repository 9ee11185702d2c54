// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package pprof

import (
	"internal/profilerecord"
	"runtime"
	"sync/atomic"
	"time"
	_ "unsafe" // for go:linkname
)

// runtime_testGoroutines is defined in runtime/goleakgc.go.
func runtime_testGoroutines(test uint32) (live, active int)

// runtime_goroutineLeakRecords is defined in runtime/goleakgc.go.
func runtime_goroutineLeakRecords(test uint32, p []profilerecord.LeakedGoroutine) (n int, ok bool)

// countGoroutineLeak is the goroutineleak profile's Count: it runs a
// leak-detection GC, so that the count is never stale (golang/go#80311).
func countGoroutineLeak() int {
	goroutineLeakProfileLock.Lock()
	defer goroutineLeakProfileLock.Unlock()
	runtime_goroutineLeakGC()
	return runtime_goroutineleakcount()
}

// goroutineLeakChecks counts the leak detections that goroutineLeaks ran;
// written only under goroutineLeakProfileLock.
var goroutineLeakChecks atomic.Uint64

// maxYieldTime bounds how long goroutineLeaks yields the processor to
// goroutines that have not blocked yet. It is a time, not a number of
// yields: on a loaded machine the goroutines a test just started may sit
// in another P's run queue for many of the caller's yields, and checking
// before they block would miss their leak (seen as a flaky
// TestParallel/leaks in cmd/go's test_goleakgc.txt). A goroutine that
// never blocks, such as one that spins, costs the check this much.
const maxYieldTime = time.Second

// goroutineLeaks returns the goroutines that are blocked forever and, if
// test is not 0, belong to that test (the runtime's g.leakTest, set by the
// testing package). It is the engine of go test -goleakgc, reached by
// testing/internal/testdeps.
//
// The answer is exact for what the leak detector covers: a goroutine is
// returned only if a leak-detection GC that started after the call found
// it unreachable from every goroutine that may still run. Goroutines that
// are still running are not leaked yet. Goroutines of test (of any test,
// and of none, if test is 0) that were started but have not run yet get
// the processor first (for at most
// maxYieldTime), so that a test's check sees the goroutines it just
// started block.
//
//go:linkname goroutineLeaks
func goroutineLeaks(test uint32) []profilerecord.LeakedGoroutine {
	var deadline time.Time
	for {
		live, active := runtime_testGoroutines(test)
		if live == 0 {
			return nil // the common case: no GC at all
		}
		if active == 0 {
			break
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(maxYieldTime)
		} else if time.Now().After(deadline) {
			break
		}
		runtime.Gosched()
	}

	arrived := goroutineLeakChecks.Load()
	goroutineLeakProfileLock.Lock()
	defer goroutineLeakProfileLock.Unlock()
	// _Gleaked changes only when a detection starts. If another check ran
	// a whole detection while we waited for the lock, it started after we
	// arrived and its answer is as fresh as ours would be: parallel tests
	// that end together share one GC.
	if goroutineLeakChecks.Load() == arrived {
		goroutineLeakChecks.Add(1)
		runtime_goroutineLeakGC()
	}
	if runtime_goroutineleakcount() == 0 {
		return nil
	}
	var p []profilerecord.LeakedGoroutine
	for {
		n, ok := runtime_goroutineLeakRecords(test, p)
		if ok {
			return p[:n]
		}
		p = make([]profilerecord.LeakedGoroutine, n+10)
	}
}
