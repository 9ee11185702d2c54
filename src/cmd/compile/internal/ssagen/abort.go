// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package ssagen

import (
	"cmd/compile/internal/liveness"
	"cmd/compile/internal/ssa"
	"cmd/compile/internal/types"
	"cmd/internal/obj"
	"internal/abi"
	"sync"
)

// markDeferPrologueUnsafe makes the frame zeroing that defframe put at the
// start of a function that defers an unsafe point, as
// liveness.markDeferEntryUnsafe does for the entry block, which follows it.
// The runtime refuses the frame setup before it by its SP delta.
func markDeferPrologueUnsafe(s *State, e *ssafn) {
	if !e.curfn.HasDefer() {
		return
	}
	pp := s.pp
	pp.Append(pp.Text, obj.APCDATA, obj.TYPE_CONST, 0, abi.PCDATA_UnsafePoint, obj.TYPE_CONST, 0, abi.UnsafePointUnsafe)
}

// openDeferExitCalls maps an *ssa.Func to the calls of open-coded
// deferred functions at its exits, for liveness.markDeferEntryUnsafe.
// Functions compile concurrently; each key is used by one goroutine.
var openDeferExitCalls sync.Map

// noteOpenDeferExitCall records that call, in f, calls an open-coded
// deferred function at an exit of f.
func noteOpenDeferExitCall(f *ssa.Func, call *ssa.Value) {
	calls, _ := openDeferExitCalls.Load(f)
	list, _ := calls.([]*ssa.Value)
	openDeferExitCalls.Store(f, append(list, call))
}

func init() {
	liveness.OpenDeferExitCalls = func(f *ssa.Func) []*ssa.Value {
		calls, _ := openDeferExitCalls.LoadAndDelete(f)
		list, _ := calls.([]*ssa.Value)
		return list
	}
}

// keepDeferBitsStore keeps the store that records an open-coded deferred
// call in the frame's defer bits, which openDeferRecord just made. Upstream
// a panic can only start at a call, which reads memory, so dead store
// elimination may drop a store that no call follows before the function's
// exit (c, err := net.Dial(...); defer c.Close()). An abort injected by
// the signal after the defer statement reads the bits from the frame: with
// the store gone, it finds the bit clear and skips the deferred call.
func keepDeferBitsStore(s *state) {
	s.vars[memVar] = s.newValue1Apos(ssa.OpVarLive, types.TypeMem, s.deferBitsTemp, s.mem(), false)
}
