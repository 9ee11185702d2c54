// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime

// GoroutineLeakGC runs a leak-detection GC cycle and returns how many
// fixed-point rounds its marking took and the IDs of the goroutines it left
// leaked. With watch false the cycle detects leaks as upstream does, one
// stop-the-world round per newly maybe-runnable batch of goroutines.
func GoroutineLeakGC(watch bool) (rounds int, leaked map[uint64]bool) {
	goroutineLeakWatchDisabled = !watch
	defer func() { goroutineLeakWatchDisabled = false }()
	goroutineLeakGC()
	rounds = goroutineLeakWatch.rounds
	// A leaked goroutine stays leaked until the next detection, which
	// only this goroutine runs.
	var gs []*g
	forEachGRace(func(gp *g) { gs = append(gs, gp) })
	leaked = make(map[uint64]bool)
	for _, gp := range gs {
		if readgstatus(gp)&^_Gscan == _Gleaked {
			leaked[gp.goid] = true
		}
	}
	return rounds, leaked
}
