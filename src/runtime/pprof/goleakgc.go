// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package pprof

import (
	"internal/profilerecord"
	"runtime"
	"sync/atomic"
	_ "unsafe" // for go:linkname
)

// runtime_labeledGoroutines is defined in runtime/goleakgc.go.
func runtime_labeledGoroutines(key, value string) (live, active int)

// runtime_goroutineLeakRecords is defined in runtime/goleakgc.go.
func runtime_goroutineLeakRecords(key, value string, p []profilerecord.LeakedGoroutine) (n int, ok bool)

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

// maxYields bounds how often goroutineLeaks yields the processor to
// goroutines that have not blocked yet.
const maxYields = 100

// goroutineLeaks returns the goroutines that are blocked forever and, if
// value is not empty, carry the profiler label key=value. It is the engine
// of go test -goleakgc, reached by testing/internal/testdeps.
//
// The answer is exact for what the leak detector covers: a goroutine is
// returned only if a leak-detection GC that started after the call found
// it unreachable from every goroutine that may still run. Goroutines that
// are still running are not leaked yet. Goroutines labeled key=value that
// were started but have not run yet get the processor first (a bounded
// number of yields), so that a test's check sees the goroutines it just
// started block.
//
//go:linkname goroutineLeaks
func goroutineLeaks(key, value string) []profilerecord.LeakedGoroutine {
	if value != "" {
		for i := 0; ; i++ {
			live, active := runtime_labeledGoroutines(key, value)
			if live == 0 {
				return nil // the common case: no GC at all
			}
			if active == 0 || i == maxYields {
				break
			}
			runtime.Gosched()
		}
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
		n, ok := runtime_goroutineLeakRecords(key, value, p)
		if ok {
			return p[:n]
		}
		p = make([]profilerecord.LeakedGoroutine, n+10)
	}
}
