// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package ssagen

import (
	"cmd/compile/internal/base"
	"cmd/compile/internal/ir"
	"cmd/compile/internal/objw"
	"cmd/compile/internal/ssa"
	"cmd/internal/obj"
	"cmd/internal/src"
	"internal/abi"
	"strings"
	"sync"
)

// Lock regions: no abort between mu.Lock() and mu.Unlock().
//
// The most common critical section in Go has no defer:
//
//	mu.Lock()
//	m[k] = v
//	mu.Unlock()
//
// An abort (runtime.(*GoroutineHandle).Abort) that landed at the map
// assignment's call would leave mu locked forever. The compiler knows
// both calls, so it marks the code between them with
// PCDATA_AbortLockHeld, and the runtime delivers no abort at a marked
// call site or instruction. Programs that never abort pay nothing at run
// time: the Lock and Unlock fast paths are unchanged, and the table costs
// only binary size where a function locks and unlocks.
//
// A lock site is a call of a Lock, RLock, TryLock or TryRLock method of a
// sync.Mutex or sync.RWMutex, inlined or not; an unlock site is a call of
// Unlock or RUnlock. Two sites pair if their receivers are the same
// expression: the same variable, or the same chain of field selections,
// indexing by constants and dereferences from it (&mu, s.mu, &s.inner.mu,
// and through embedding, s.Mutex), where a variable that is never
// reassigned, such as the receiver of an inlined helper, stands for its
// initial value. Sites are found in the IR before walk,
// while receivers are still the expressions the programmer wrote, and
// recorded by the inline tree index of an inlined call or the position of
// a call that was not inlined.
//
// When the function's final SSA is laid out, a point is marked if, on
// some path to it, a lock site ran that no unlock site of the same
// receiver has released since, and from it some path reaches an unlock
// site of that receiver: it runs with a lock of the function held that the
// function itself means to release. The instructions of a lock site itself
// are not marked for its own receiver, so that its wait for the lock
// stays cancellable; those of an unlock site are, so that a call of an
// Unlock that was not inlined is never the place where an abort lands.
//
// Where the compiler cannot pair a lock with its unlock (a lock released
// by another function, a lock through an interface), go vet -abortsafe
// reports it.

// abortLockSites holds, for each function that has lock or unlock sites,
// its *lockSites. Functions are prepared one at a time but compiled
// concurrently; each key is loaded by one goroutine.
var abortLockSites sync.Map // *ir.Func -> *lockSites

// lockSites are the lock and unlock sites of one function.
type lockSites struct {
	inlined map[int]lockSite      // by inline tree index
	calls   map[src.XPos]lockSite // by position of the call, not inlined
	groups  int                   // number of distinct receivers
}

// A lockSite is one call of a lock or unlock method.
type lockSite struct {
	group  int  // the receiver, numbered within the function
	unlock bool // Unlock or RUnlock
}

// lockMethod reports whether name is the symbol of a method of
// sync.Mutex or sync.RWMutex that locks or unlocks, and which.
func lockMethod(name string) (isLock, isUnlock bool) {
	switch name {
	case "sync.(*Mutex).Lock", "sync.(*Mutex).TryLock",
		"sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock",
		"sync.(*RWMutex).TryLock", "sync.(*RWMutex).TryRLock":
		return true, false
	case "sync.(*Mutex).Unlock", "sync.(*RWMutex).Unlock", "sync.(*RWMutex).RUnlock":
		return false, true
	}
	return false, false
}

// NoteAbortLockSites records the lock and unlock sites of fn, whose
// calls have been inlined and which walk has not yet rewritten.
func NoteAbortLockSites(fn *ir.Func) {
	var sites *lockSites
	var receivers []ir.Node
	note := func(recv ir.Node, unlock bool) lockSite {
		group := -1
		for i, r := range receivers {
			if sameLockReceiver(r, recv) {
				group = i
				break
			}
		}
		if group < 0 {
			group = len(receivers)
			receivers = append(receivers, recv)
		}
		if sites == nil {
			sites = &lockSites{inlined: map[int]lockSite{}, calls: map[src.XPos]lockSite{}}
		}
		return lockSite{group: group, unlock: unlock}
	}
	var visit func(n ir.Node)
	visit = func(n ir.Node) {
		switch n.Op() {
		case ir.OCLOSURE, ir.ODEFER, ir.OGO:
			// A closure is a function of its own. The call of a go or
			// defer statement does not run here.
			return
		case ir.OINLCALL:
			if index, recv, isLock, isUnlock := inlinedLockCall(n.(*ir.InlinedCallExpr)); isLock || isUnlock {
				s := note(recv, isUnlock)
				sites.inlined[index] = s
			}
		case ir.OCALLFUNC:
			call := n.(*ir.CallExpr)
			if callee := ir.StaticCalleeName(call.Fun); callee != nil && len(call.Args) > 0 {
				if isLock, isUnlock := lockMethod(callee.Linksym().Name); isLock || isUnlock {
					s := note(call.Args[0], isUnlock)
					sites.calls[call.Pos().WithNotStmt()] = s
				}
			}
		}
		ir.DoChildren(n, func(c ir.Node) bool {
			visit(c)
			return false
		})
	}
	for _, n := range fn.Body {
		visit(n)
	}
	if sites != nil {
		sites.groups = len(receivers)
		abortLockSites.Store(fn, sites)
	}
}

// inlinedLockCall reports whether n is an inlined call of a lock or unlock
// method, and returns its inline tree index and receiver.
func inlinedLockCall(n *ir.InlinedCallExpr) (index int, recv ir.Node, isLock, isUnlock bool) {
	// The inliner puts the assignment of the arguments to the callee's
	// parameters, then the inline mark, into the call's init list.
	for _, st := range n.Init() {
		switch st := st.(type) {
		case *ir.AssignListStmt:
			if st.Op() == ir.OAS2 && len(st.Rhs) > 0 && recv == nil {
				recv = st.Rhs[0]
			}
		case *ir.InlineMarkStmt:
			index = int(st.Index)
			if fn := base.Ctxt.InlTree.InlinedFunction(index); fn != nil && recv != nil {
				isLock, isUnlock = lockMethod(fn.Name)
			}
			return
		}
	}
	return
}

// sameLockReceiver reports whether a and b are receivers that denote the
// same mutex: the same expression without side effects, with or without
// taking its address.
func sameLockReceiver(a, b ir.Node) bool {
	for a.Op() == ir.OCONVNOP {
		a = a.(*ir.ConvExpr).X
	}
	for b.Op() == ir.OCONVNOP {
		b = b.(*ir.ConvExpr).X
	}
	// The parameter of an inlined helper (func (s *T) lock() {
	// s.mu.Lock() }) stands for the argument it was never reassigned
	// from, so that s.lock() pairs with s.unlock().
	if a.Op() == ir.ONAME {
		if v := ir.StaticValue(a); v != a {
			return sameLockReceiver(v, b)
		}
	}
	if b.Op() == ir.ONAME {
		if v := ir.StaticValue(b); v != b {
			return sameLockReceiver(a, v)
		}
	}
	if a.Op() == ir.OADDR && b.Op() == ir.OADDR {
		return sameLockReceiver(a.(*ir.AddrExpr).X, b.(*ir.AddrExpr).X)
	}
	if a.Op() != b.Op() {
		return false
	}
	switch a.Op() {
	case ir.ODOT, ir.ODOTPTR:
		// Fields may be mutexes themselves (&s.mu): compare the
		// selectors, and the operands as receivers again.
		a, b := a.(*ir.SelectorExpr), b.(*ir.SelectorExpr)
		return a.Sel != nil && a.Sel == b.Sel && sameLockReceiver(a.X, b.X)
	}
	return ir.SameSafeExpr(a, b)
}

// An abortLockRegion says which values and block ends of a function's
// final SSA run with a lock held that the function will release, and
// emits PCDATA_AbortLockHeld as genssa lays them out.
type abortLockRegion struct {
	values map[ssa.ID]bool
	blocks map[ssa.ID]bool
	held   bool // the value last emitted
}

// takeAbortLockRegion computes the lock region of fn, compiled as f, and
// forgets fn's sites. It returns nil if fn has none.
func takeAbortLockRegion(fn *ir.Func, f *ssa.Func) *abortLockRegion {
	return markMapAssign(f, lockRegion(fn, f))
}

// lockRegion is takeAbortLockRegion's region of lock sites.
func lockRegion(fn *ir.Func, f *ssa.Func) *abortLockRegion {
	x, ok := abortLockSites.LoadAndDelete(fn)
	if !ok {
		return nil
	}
	sites := x.(*lockSites)

	// Receivers past the 63rd share the last bit, which is then never
	// released: the region only grows.
	const shared = 63
	bit := func(s lockSite) uint64 { return 1 << min(s.group, shared) }
	kills := func(s lockSite) bool { return s.unlock && s.group < shared }

	// siteOf returns the outermost site v belongs to.
	siteOf := func(v *ssa.Value) (lockSite, bool) {
		var site lockSite
		found := false
		switch v.Op {
		case ssa.OpLoadReg, ssa.OpStoreReg, ssa.OpCopy:
			// The register allocator's spills, restores and moves
			// carry the position of the use they serve, not of an
			// operation: a restore of the mutex's address for a later
			// Unlock, placed after lockSlow returns, would otherwise
			// count as the Unlock and end the region there (the
			// torture test's handlock service found it).
			return site, false
		}
		if v.Op.IsCall() {
			if ac, ok := v.Aux.(*ssa.AuxCall); ok && ac.Fn != nil {
				if isLock, isUnlock := lockMethod(ac.Fn.Name); isLock || isUnlock {
					site, found = sites.calls[v.Pos.WithNotStmt()]
				}
			}
		}
		if !v.Pos.IsKnown() {
			return site, found
		}
		for ix := base.Ctxt.PosTable.Pos(v.Pos).Base().InliningIndex(); ix >= 0; ix = base.Ctxt.InlTree.Parent(ix) {
			if s, ok := sites.inlined[ix]; ok {
				site, found = s, true
			}
		}
		return site, found
	}

	// release[b]: the receivers that some path from the start of b
	// unlocks. held[b]: the receivers that some path to the start of b
	// locked and did not unlock.
	nb := f.NumBlocks()
	releaseIn := make([]uint64, nb)
	heldIn := make([]uint64, nb)
	blockSites := make([][]struct {
		site lockSite
		ok   bool
	}, nb)
	po := f.Postorder()
	for _, b := range po {
		s := make([]struct {
			site lockSite
			ok   bool
		}, len(b.Values))
		for i, v := range b.Values {
			s[i].site, s[i].ok = siteOf(v)
		}
		blockSites[b.ID] = s
	}
	releaseOut := func(b *ssa.Block) uint64 {
		var out uint64
		for _, e := range b.Succs {
			out |= releaseIn[e.Block().ID]
		}
		return out
	}
	for changed := true; changed; {
		changed = false
		for _, b := range po {
			r := releaseOut(b)
			for _, s := range blockSites[b.ID] {
				if s.ok && s.site.unlock {
					r |= bit(s.site)
				}
			}
			if r != releaseIn[b.ID] {
				releaseIn[b.ID] = r
				changed = true
			}
		}
	}
	heldOut := func(b *ssa.Block) uint64 {
		h := heldIn[b.ID]
		for _, s := range blockSites[b.ID] {
			if !s.ok {
				continue
			}
			if kills(s.site) {
				h &^= bit(s.site)
			} else if !s.site.unlock {
				h |= bit(s.site)
			}
		}
		return h
	}
	for changed := true; changed; {
		changed = false
		for i := len(po) - 1; i >= 0; i-- {
			b := po[i]
			var h uint64
			for _, e := range b.Preds {
				h |= heldOut(e.Block())
			}
			if h != heldIn[b.ID] {
				heldIn[b.ID] = h
				changed = true
			}
		}
	}

	r := &abortLockRegion{values: map[ssa.ID]bool{}, blocks: map[ssa.ID]bool{}}
	for _, b := range po {
		bs := blockSites[b.ID]
		// release[i]: receivers unlocked on some path from b.Values[i].
		release := make([]uint64, len(b.Values)+1)
		release[len(b.Values)] = releaseOut(b)
		for i := len(b.Values) - 1; i >= 0; i-- {
			release[i] = release[i+1]
			if bs[i].ok && bs[i].site.unlock {
				release[i] |= bit(bs[i].site)
			}
		}
		h := heldIn[b.ID]
		for i, v := range b.Values {
			mask := h & release[i]
			if bs[i].ok && !bs[i].site.unlock && bs[i].site.group < shared {
				mask &^= bit(bs[i].site) // its own wait stays cancellable
			}
			if mask != 0 {
				r.values[v.ID] = true
			}
			if bs[i].ok {
				if kills(bs[i].site) {
					h &^= bit(bs[i].site)
				} else if !bs[i].site.unlock {
					h |= bit(bs[i].site)
				}
			}
		}
		if h&release[len(b.Values)] != 0 {
			r.blocks[b.ID] = true
		}
	}
	if len(r.values) == 0 && len(r.blocks) == 0 {
		return nil
	}
	return r
}

// emitValue emits the PCDATA_AbortLockHeld change, if any, for the
// instructions of v, which are next.
func (r *abortLockRegion) emitValue(pp *objw.Progs, v *ssa.Value) {
	if r != nil {
		r.emit(pp, r.values[v.ID])
	}
}

// emitBlock does emitValue's work for the instructions that end b.
func (r *abortLockRegion) emitBlock(pp *objw.Progs, b *ssa.Block) {
	if r != nil {
		r.emit(pp, r.blocks[b.ID])
	}
}

func (r *abortLockRegion) emit(pp *objw.Progs, held bool) {
	if held == r.held {
		return
	}
	r.held = held
	p := pp.Prog(obj.APCDATA)
	p.From.SetConst(abi.PCDATA_AbortLockHeld)
	if held {
		p.To.SetConst(abi.AbortLockHeld)
	} else {
		p.To.SetConst(-1)
	}
}

// Map assignments: no abort between mapassign and the stores of the value.
//
// m[k] = v compiles to a call of runtime.mapassign, which inserts k with
// a zero value and returns a pointer to it, then the stores of v through
// the pointer: one for a word, several for a string, an interface or a
// struct, a copy for a large value. Nothing between them can panic, so no
// Go code expects m to hold k with a zero or half-written value; an abort
// that landed there would leave it so (TestAbortStress saw it under
// qemu-arm, which delivers signals at the instruction after a call). The
// instructions from the call's return to the last memory operation
// through the pointer are therefore marked as a lock region. The
// assignment ends at the next call that is not part of it: every memory
// operation through the pointer comes before the code that follows the
// assignment makes a call. Where such operations are also in the call's
// successors (the stores after a write-barrier check), the block's end
// and the successors' values up to their last one are marked too; the
// write barrier's own sequence is an unsafe point already.

// markMapAssign adds the map assignments of f to r, which may be nil, and
// returns the region.
func markMapAssign(f *ssa.Func, r *abortLockRegion) *abortLockRegion {
	for _, b := range f.Blocks {
		for i, v := range b.Values {
			if !v.Op.IsCall() {
				continue
			}
			ac, ok := v.Aux.(*ssa.AuxCall)
			if !ok || ac.Fn == nil || !strings.HasPrefix(ac.Fn.Name, "runtime.mapassign") {
				continue
			}
			if r == nil {
				r = &abortLockRegion{values: map[ssa.ID]bool{}, blocks: map[ssa.ID]bool{}}
			}
			ptr := map[ssa.ID]bool{}
			rest := b.Values[i+1:]
			n, ended := mapAssignSpan(v, rest, ptr)
			spans := make([]int, len(b.Succs))
			inSuccs := false
			if !ended {
				for j, e := range b.Succs {
					spans[j], _ = mapAssignSpan(v, e.Block().Values, ptr)
					inSuccs = inSuccs || spans[j] > 0
				}
			}
			if !inSuccs {
				// n is 0 for a value of size zero: the zero value
				// mapassign stored is the value, and nothing is
				// left to protect. Marking past the call would
				// hold aborts off whatever the function does next
				// (an encoder that recursed after m[p] =
				// struct{}{} was never aborted).
				r.markValues(rest[:n])
				continue
			}
			// The stores go on past b: mark the rest of b, and the
			// successors up to their last store; a successor
			// without one (the path that skips a write barrier)
			// stays marked whole.
			r.markValues(rest)
			r.blocks[b.ID] = true
			for j, e := range b.Succs {
				s := e.Block()
				if spans[j] > 0 {
					r.markValues(s.Values[:spans[j]])
				} else {
					r.markValues(s.Values)
					r.blocks[s.ID] = true
				}
			}
		}
	}
	return r
}

func (r *abortLockRegion) markValues(values []*ssa.Value) {
	for _, v := range values {
		r.values[v.ID] = true
	}
}

// mapAssignSpan returns how many of values, which follow call, a
// mapassign call, belong to its assignment: up to and including the last
// memory operation that uses the pointer the call returned, before the
// next call that does not use it. It reports whether it met such a call.
// ptr holds the values known to be that pointer or derived from it (an
// offset, a load of the old value for a write barrier); it grows.
func mapAssignSpan(call *ssa.Value, values []*ssa.Value, ptr map[ssa.ID]bool) (n int, ended bool) {
	for i, v := range values {
		if v.Op == ssa.OpSelectN && v.Args[0] == call {
			if !v.Type.IsMemory() {
				ptr[v.ID] = true
			}
			continue
		}
		if stackResult(call, v) {
			ptr[v.ID] = true
			continue
		}
		if v.Op.IsCall() && sanitizerCall(v) {
			continue // -race, -msan, -asan: checks before the stores
		}
		uses := false
		for _, a := range v.Args {
			if ptr[a.ID] {
				uses = true
			}
		}
		switch {
		case uses && (v.Type.IsMemory() || v.Op.IsCall() || v.Type.IsTuple()):
			n = i + 1
		case uses:
			ptr[v.ID] = true
		case v.Op.IsCall():
			return n, true
		}
	}
	return n, false
}

// stackResult reports whether v loads the pointer call returns from the
// stack, where the architectures that pass results in memory (386, arm,
// mips, s390x, wasm) return it: a load from SP, with no symbol (an
// automatic variable's load has one), of the memory the call left.
func stackResult(call, v *ssa.Value) bool {
	if len(v.Args) != 2 || v.Args[0].Op != ssa.OpSP || v.Aux != nil || !v.Type.IsPtrShaped() {
		return false
	}
	m := v.Args[1]
	return m.Op == ssa.OpSelectN && m.Type.IsMemory() && m.Args[0] == call
}

// sanitizerCall reports whether call is a check that sanitizer
// instrumentation inserted before a memory access.
func sanitizerCall(call *ssa.Value) bool {
	ac, ok := call.Aux.(*ssa.AuxCall)
	if !ok || ac.Fn == nil {
		return false
	}
	switch ac.Fn.Name {
	case "runtime.racewrite", "runtime.racewriterange",
		"runtime.raceread", "runtime.racereadrange",
		"runtime.msanwrite", "runtime.asanwrite",
		"runtime.msanread", "runtime.asanread":
		return true
	}
	return false
}
