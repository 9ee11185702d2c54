// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package liveness

import (
	"cmd/compile/internal/ir"
	"cmd/compile/internal/ssa"
)

// markDeferEntryUnsafe marks as unsafe points the places in a function
// that defers where a panic injected by the runtime would break the
// function's defer state.
//
// The runtime may deliver an abort (runtime.(*GoroutineHandle).Abort) at
// any asynchronous safe point by injecting a panic there, as for a fault.
// Two kinds of places must be refused:
//
//   - The entry block. The panic reads the frame's open-coded defer bits,
//     and the GC then scans the frame with the stack map of its
//     deferreturn call; both hold garbage until the entry block has stored
//     the defer bits and zeroed the results. The entry block has no loops,
//     so this costs asynchronous preemption nothing it needs. The frame
//     zeroing before it is marked by ssagen.markDeferPrologueUnsafe.
//
//   - The window between acquiring something and deferring its release,
//     as in
//
//     mu.Lock()
//     defer mu.Unlock()
//
//     where a panic after Lock returns and before the defer is recorded
//     would leak the lock. The window is taken to start after the last
//     call before the defer is recorded (calls that sanitizer
//     instrumentation inserted do not count), in its block or, if there is no
//     call there, in the blocks that branch to it (Lock's inlined fast path
//     is such a branch), unless such a block is part of a loop: a loop
//     without calls must stay preemptible.
//
//   - The exit sequence of each open-coded deferred call, from the store
//     that clears its bit in the defer bits to the call itself: a panic
//     there would find the bit clear and never make the call. The call
//     site is marked too: the runtime reads the mark of every frame's
//     call site, and refuses an abort while a deferred call runs, so that
//     the cleanup of a function that returns normally is not cut short.
//
// Calls elsewhere in the entry block are not marked: a callee that runs
// for long, such as json.Marshal, must stay interruptible.
func (lv *Liveness) markDeferEntryUnsafe() {
	if !lv.fn.HasDefer() {
		return
	}
	// The entry block's first VarLive keeps the defer bits alive
	// (ssagen.buildssa): it names them.
	var deferBits *ir.Name
	entry := lv.f.Entry
	for _, v := range entry.Values {
		if !v.Op.IsCall() {
			lv.unsafePoints.Set(int32(v.ID))
		}
		if deferBits == nil && v.Op == ssa.OpVarLive {
			deferBits, _ = v.Aux.(*ir.Name)
		}
	}
	lv.unsafeBlocks.Set(int32(entry.ID))

	exitStores := map[*ssa.Value]bool{}
	if OpenDeferExitCalls != nil {
		for _, call := range OpenDeferExitCalls(lv.f) {
			if st := lv.markDeferExit(call, deferBits); st != nil {
				exitStores[st] = true
			}
		}
	}

	for _, b := range lv.f.Blocks {
		for i, v := range b.Values {
			if !isDeferRecord(v, deferBits) || exitStores[v] {
				continue
			}
			lv.unsafePoints.Set(int32(v.ID))
			if lv.markSinceCall(b, i) {
				continue
			}
			for _, e := range b.Preds {
				p := e.Block()
				if inLoop(p) {
					continue
				}
				lv.markSinceCall(p, len(p.Values))
				lv.unsafeBlocks.Set(int32(p.ID))
			}
		}
	}
}

// OpenDeferExitCalls, set by package ssagen, returns the calls of
// open-coded deferred functions at the exits of f.
var OpenDeferExitCalls func(f *ssa.Func) []*ssa.Value

// markDeferExit marks call, which calls an open-coded deferred function,
// and the values before it back to the store that cleared its defer bit,
// which it returns.
func (lv *Liveness) markDeferExit(call *ssa.Value, deferBits *ir.Name) *ssa.Value {
	b := call.Block
	if b == nil || call.Op == ssa.OpInvalid {
		return nil
	}
	i := len(b.Values) - 1
	for i >= 0 && b.Values[i] != call {
		i--
	}
	if i < 0 {
		return nil
	}
	lv.unsafePoints.Set(int32(call.ID))
	for i--; i >= 0; i-- {
		v := b.Values[i]
		if v.Op.IsCall() && !isInstrumentationCall(v) {
			return nil
		}
		lv.unsafePoints.Set(int32(v.ID))
		if isDeferRecord(v, deferBits) {
			return v
		}
	}
	return nil
}

// inLoop reports whether b can reach itself.
func inLoop(b *ssa.Block) bool {
	seen := map[*ssa.Block]bool{}
	work := []*ssa.Block{b}
	for len(work) > 0 {
		x := work[len(work)-1]
		work = work[:len(work)-1]
		for _, e := range x.Succs {
			y := e.Block()
			if y == b {
				return true
			}
			if !seen[y] {
				seen[y] = true
				work = append(work, y)
			}
		}
	}
	return false
}

// isDeferRecord reports whether v records a deferred call: a store to the
// open-coded defer bits, or a call of deferproc.
func isDeferRecord(v *ssa.Value, deferBits *ir.Name) bool {
	if v.Op.IsCall() {
		ac, ok := v.Aux.(*ssa.AuxCall)
		return ok && ac.Fn != nil &&
			(ac.Fn == ir.Syms.Deferproc || ac.Fn == ir.Syms.DeferprocStack || ac.Fn == ir.Syms.Deferprocat)
	}
	if deferBits == nil || v.Op == ssa.OpVarLive || v.Op == ssa.OpVarDef || !v.Type.IsMemory() {
		return false
	}
	n, ok := v.Aux.(*ir.Name)
	return ok && n == deferBits
}

// markSinceCall marks the values of b.Values[:end] that follow the last
// call among them as unsafe points, and reports whether there was such a
// call.
func (lv *Liveness) markSinceCall(b *ssa.Block, end int) bool {
	for i := end - 1; i >= 0; i-- {
		v := b.Values[i]
		if v.Op.IsCall() && !isInstrumentationCall(v) {
			return true
		}
		lv.unsafePoints.Set(int32(v.ID))
	}
	return false
}

// isInstrumentationCall reports whether v calls a function that the race,
// memory or address sanitizer instrumentation inserted. Such calls do not
// end an unsafe window: their callees are runtime assembly where no abort
// lands, and under -race a raceread between mu.Lock() and the recording of
// defer mu.Unlock() would otherwise leave the window after Lock open.
func isInstrumentationCall(v *ssa.Value) bool {
	ac, ok := v.Aux.(*ssa.AuxCall)
	if !ok || ac.Fn == nil {
		return false
	}
	switch ac.Fn {
	case ir.Syms.Raceread, ir.Syms.Racewrite, ir.Syms.Racereadrange, ir.Syms.Racewriterange,
		ir.Syms.Racefuncenter, ir.Syms.Racefuncexit,
		ir.Syms.Msanread, ir.Syms.Msanwrite, ir.Syms.Msanmove,
		ir.Syms.Asanread, ir.Syms.Asanwrite:
		return true
	}
	return false
}
