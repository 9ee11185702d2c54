// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Mutexmodel checks, by exploring every interleaving, the protocol by
// which an aborted waiter leaves internal/sync.Mutex (abortWait in
// src/internal/sync/abort.go) together with upstream's Lock, Unlock and
// semaphore.
//
// Usage:
//
//	go run ./misc/goleash/mutexmodel [-g N] [-rounds N] [-aborted N] [-old]
//
// Each of N goroutines (at most 4) locks and unlocks the mutex -rounds
// times; the first -aborted of them may be aborted once, while parked on
// the semaphore. A step is one atomic operation of the real code: a load,
// a CompareAndSwap or Add of the state word, an operation on the
// semaphore's count, or a critical section of the semaphore's lock. Spins
// and the starvation threshold are choices the checker tries both ways.
// It reports mutual exclusion broken, a throw or fatal error of the real
// code, a state where some goroutine can never finish (a deadlock, or
// abortWait retrying on a state that nothing will change), and a mutex
// that is not idle (state 0, no release posted) once all have finished.
//
// -old checks the protocol that Goleash shipped before this checker
// existed. It fails: with -g 3 -rounds 2 -aborted 2 it finds, among
// others, "sync: unlock of unlocked mutex" and a waiter retrying forever,
// the two failures TestAbortStress showed under qemu-aarch64. That is the
// check that the checker can fail.
//
// It exits with status 1 if it found an error.
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

const (
	mL     = 1
	mW     = 2
	mS     = 4
	shift  = 3
	NG     = 4 // goroutines, at most
	maxQ   = NG
	spinIt = 1
)

const (
	pcL0 = iota
	pcLSLoop
	pcLSSpinCAS
	pcLSReload
	pcLSCAS
	pcSemEnter
	pcSemLock
	pcSemParked
	pcSemDequeued // dequeued by a releaser, not yet readied
	pcSemWoken
	pcSemDone
	pcLSAfter
	pcLSHandoffAdd
	pcHold
	pcU0
	pcULoop
	pcUCAS
	pcUReload
	pcURel
	pcURel2
	pcURel3
	pcIterDone
	pcAWLoad
	pcAWCAS
	pcAWTake2
	pcAWTake3
	pcAWLoad3
	pcAWAdd3
	pcAWRetry
	pcGWLoad
	pcGWCAS1
	pcGWCAS2
	pcDone
)

var pcNames = []string{"L0", "LSLoop", "LSSpinCAS", "LSReload", "LSCAS", "SemEnter", "SemLock", "SemParked", "SemDequeued", "SemWoken", "SemDone", "LSAfter", "LSHandoffAdd", "Hold", "U0", "ULoop", "UCAS", "UReload", "URel", "URel2", "URel3", "IterDone", "AWLoad", "AWCAS", "AWTake2", "AWTake3", "AWLoad3", "AWAdd3", "AWRetry", "GWLoad", "GWCAS1", "GWCAS2", "Done"}

type G struct {
	pc         int8
	old, new   int32
	awoke      bool
	starving   bool
	iter       int8
	waited     bool // waitStartTime != 0
	lifo       bool
	ticket     bool
	abortWoken bool
	iters      int8 // Lock/Unlock rounds left
	aborted    bool // has been aborted (at most once)
	canAbort   bool
	handoff    bool // for URel*
	relTarget  int8 // dequeued goroutine in URel3
	exitAfter  bool // after the release, exit (aborted) instead of IterDone
	awSnap     int64
	delta      int32
}

type State struct {
	state  int32
	sema   int32
	q      [maxQ]int8
	nq     int8
	holder int8
	g      [NG]G
}

func (s *State) snap() int64 { return int64(s.state)<<32 | int64(uint32(s.sema)) }

func (s *State) enqueue(i int, lifo bool) {
	if lifo {
		copy(s.q[1:s.nq+1], s.q[:s.nq])
		s.q[0] = int8(i)
	} else {
		s.q[s.nq] = int8(i)
	}
	s.nq++
}

func (s *State) remove(i int) bool {
	for k := 0; k < int(s.nq); k++ {
		if int(s.q[k]) == i {
			copy(s.q[k:], s.q[k+1:s.nq])
			s.nq--
			s.q[s.nq] = 0
			return true
		}
	}
	return false
}

func cansem(s *State) bool {
	if s.sema > 0 {
		s.sema--
		return true
	}
	return false
}

type succ struct {
	st   State
	what string
	err  string
}

var (
	oldProtocol = flag.Bool("old", false, "check the protocol before the fix (it fails)")
	only        = flag.String("trace", "", "print the first trace of each error whose text contains this")
)

// step returns the successors of s by a step of goroutine i.
func step(s State, i int) []succ {
	g := &s.g[i]
	var out []succ
	emit := func(ns State, what string) {
		out = append(out, succ{st: ns, what: fmt.Sprintf("g%d %s: %s", i, pcNames[s.g[i].pc], what)})
	}
	fail := func(msg string) {
		out = append(out, succ{st: s, what: fmt.Sprintf("g%d %s", i, pcNames[s.g[i].pc]), err: msg})
	}
	hold := func(ns *State) string {
		if ns.holder != -1 {
			return "two holders"
		}
		ns.holder = int8(i)
		return ""
	}
	switch g.pc {
	case pcL0:
		if s.state == 0 {
			s.state = mL
			if e := hold(&s); e != "" {
				fail(e)
				return out
			}
			g.pc = pcHold
			emit(s, "fast lock")
		} else {
			g.old = s.state
			g.iter, g.awoke, g.starving, g.waited = 0, false, false, false
			g.pc = pcLSLoop
			emit(s, "to lockSlow")
		}
	case pcLSLoop:
		old := g.old
		if old&(mL|mS) == mL && g.iter < spinIt {
			// may spin (canSpin true) or not
			ns := s
			ns.g[i].pc = pcLSSpinCAS
			emit(ns, "spin")
		}
		nw := old
		if old&mS == 0 {
			nw |= mL
		}
		if old&(mL|mS) != 0 {
			nw += 1 << shift
		}
		if g.starving && old&mL != 0 {
			nw |= mS
		}
		if g.awoke {
			if nw&mW == 0 {
				fail("lockSlow: inconsistent mutex state (awoke without woken)")
				return out
			}
			nw &^= mW
		}
		g.new = nw
		g.pc = pcLSCAS
		emit(s, "compute new")
	case pcLSSpinCAS:
		old := g.old
		if !g.awoke && old&mW == 0 && old>>shift != 0 && s.state == old {
			s.state = old | mW
			g.awoke = true
		}
		g.iter++
		g.pc = pcLSReload
		emit(s, "spin cas woken")
	case pcLSReload:
		g.old = s.state
		g.pc = pcLSLoop
		emit(s, "reload")
	case pcLSCAS:
		if s.state == g.old {
			s.state = g.new
			if g.old&(mL|mS) == 0 {
				if e := hold(&s); e != "" {
					fail(e)
					return out
				}
				g.pc = pcHold
				emit(s, "cas locked")
				return out
			}
			g.lifo = g.waited
			g.waited = true
			g.pc = pcSemEnter
			emit(s, "cas queued")
		} else {
			g.pc = pcLSReload
			emit(s, "cas failed")
		}
	case pcSemEnter:
		if cansem(&s) {
			g.pc = pcSemDone
			emit(s, "sem fast")
		} else {
			g.pc = pcSemLock
			emit(s, "sem slow")
		}
	case pcSemLock:
		if cansem(&s) {
			g.pc = pcSemDone
			emit(s, "sem locked acquire")
		} else {
			s.enqueue(i, g.lifo)
			g.ticket = false
			g.pc = pcSemParked
			emit(s, "park")
		}
	case pcSemParked, pcSemDequeued:
		// not runnable
	case pcSemWoken:
		if g.abortWoken {
			g.abortWoken = false
			g.pc = pcAWLoad
			emit(s, "woken by abort")
			return out
		}
		if g.ticket || cansem(&s) {
			g.ticket = false
			g.pc = pcSemDone
			emit(s, "woken acquire")
		} else {
			g.pc = pcSemLock
			emit(s, "woken, requeue")
		}
	case pcSemDone:
		for _, st := range []bool{false, true} {
			ns := s
			ng := &ns.g[i]
			ng.starving = ng.starving || st
			ng.old = ns.state
			ng.pc = pcLSAfter
			emit(ns, fmt.Sprintf("after sem starving=%v", ng.starving))
		}
	case pcLSAfter:
		old := g.old
		if old&mS != 0 {
			if old&(mL|mW) != 0 || old>>shift == 0 {
				fail(fmt.Sprintf("sync: inconsistent mutex state (handoff) old=%#x", old))
				return out
			}
			delta := int32(mL - 1<<shift)
			if !g.starving || old>>shift == 1 {
				delta -= mS
			}
			g.delta = delta
			g.pc = pcLSHandoffAdd
			emit(s, "handoff")
		} else {
			g.awoke = true
			g.iter = 0
			g.pc = pcLSLoop
			emit(s, "awoke")
		}
	case pcLSHandoffAdd:
		s.state += g.delta
		if e := hold(&s); e != "" {
			fail(e)
			return out
		}
		g.pc = pcHold
		emit(s, "handoff add")
	case pcHold:
		s.holder = -1
		g.exitAfter = false
		g.pc = pcU0
		emit(s, "release")
	case pcU0:
		s.state -= mL
		nw := s.state
		if nw == 0 {
			g.pc = pcIterDone
			if g.exitAfter {
				g.pc = pcDone
			}
			emit(s, "unlock fast")
			return out
		}
		if (nw+mL)&mL == 0 {
			fail(fmt.Sprintf("sync: unlock of unlocked mutex new=%#x", nw))
			return out
		}
		if nw&mS == 0 {
			g.old = nw
			g.pc = pcULoop
		} else {
			g.handoff = true
			g.pc = pcURel
		}
		emit(s, "unlock slow")
	case pcULoop:
		old := g.old
		if old>>shift == 0 || old&(mL|mW|mS) != 0 {
			g.pc = pcIterDone
			if g.exitAfter {
				g.pc = pcDone
			}
			emit(s, "unlock nobody to wake")
			return out
		}
		g.new = (old - 1<<shift) | mW
		g.pc = pcUCAS
		emit(s, "unlock compute")
	case pcUCAS:
		if s.state == g.old {
			s.state = g.new
			g.handoff = false
			g.pc = pcURel
			emit(s, "unlock cas wake")
		} else {
			g.pc = pcUReload
			emit(s, "unlock cas fail")
		}
	case pcUReload:
		g.old = s.state
		g.pc = pcULoop
		emit(s, "unlock reload")
	case pcURel:
		s.sema++
		g.pc = pcURel2
		emit(s, "semrelease xadd")
	case pcURel2:
		next := int8(pcIterDone)
		if g.exitAfter {
			next = pcDone
		}
		if s.nq == 0 {
			g.pc = next
			emit(s, "semrelease nobody")
			return out
		}
		t := int(s.q[0])
		s.remove(t)
		s.g[t].pc = pcSemDequeued
		g.relTarget = int8(t)
		g.pc = pcURel3
		emit(s, fmt.Sprintf("semrelease dequeue g%d", t))
	case pcURel3:
		t := int(g.relTarget)
		if g.handoff && cansem(&s) {
			s.g[t].ticket = true
		}
		s.g[t].pc = pcSemWoken
		g.pc = pcIterDone
		if g.exitAfter {
			g.pc = pcDone
		}
		emit(s, fmt.Sprintf("semrelease ready g%d", t))
	case pcIterDone:
		g.iters--
		if g.iters > 0 {
			g.pc = pcL0
		} else {
			g.pc = pcDone
		}
		emit(s, "iteration done")
	case pcAWLoad, pcAWRetry:
		if g.pc == pcAWRetry && s.snap() == g.awSnap {
			return out // spinning with nothing changed: blocked
		}
		old := s.state
		waiters := old >> shift
		starv := old&mS != 0
		if !*oldProtocol {
			switch {
			case waiters == 0 && starv:
				fail(fmt.Sprintf("sync: inconsistent mutex state after abort old=%#x", old))
			case waiters != 0 && (!starv || old&mL != 0):
				nw := old - 1<<shift
				if starv && waiters == 1 {
					nw &^= mS
				}
				g.old, g.new = old, nw
				g.pc = pcAWCAS
				emit(s, fmt.Sprintf("aw leave count old=%#x", old))
			default:
				g.pc = pcAWTake3
				emit(s, fmt.Sprintf("aw take old=%#x", old))
			}
			return out
		}
		switch {
		case waiters > 1 || waiters == 1 && (!starv || old&mL != 0):
			nw := old - 1<<shift
			if starv && waiters == 1 {
				nw &^= mS
			}
			g.old, g.new = old, nw
			g.pc = pcAWCAS
			emit(s, fmt.Sprintf("aw case1 old=%#x", old))
		case waiters == 0 && !starv:
			g.pc = pcAWTake2
			emit(s, fmt.Sprintf("aw case2 old=%#x", old))
		case waiters == 1:
			g.pc = pcAWTake3
			emit(s, fmt.Sprintf("aw case3 old=%#x", old))
		default:
			fail(fmt.Sprintf("sync: inconsistent mutex state after abort old=%#x", old))
		}
	case pcAWCAS:
		if s.state == g.old {
			s.state = g.new
			g.pc = pcDone
			emit(s, "aw case1 cas: exit")
		} else {
			g.pc = pcAWLoad
			emit(s, "aw case1 cas fail")
		}
	case pcAWTake2, pcAWTake3:
		// The old protocol trusted the mode it saw before taking the
		// release: case 2 took mutexWoken, case 3 a handoff.
		next := int8(pcAWLoad3)
		if g.pc == pcAWTake2 {
			next = pcGWLoad
		}
		if cansem(&s) {
			g.pc = next
			emit(s, "aw take release")
		} else {
			g.awSnap = s.snap()
			g.pc = pcAWRetry
			emit(s, "aw no release")
		}
	case pcAWLoad3:
		if !*oldProtocol {
			old := s.state
			if old&mS == 0 {
				g.pc = pcGWLoad
				emit(s, fmt.Sprintf("aw released: woken old=%#x", old))
				return out
			}
			if old&(mL|mW) != 0 || old>>shift == 0 {
				fail(fmt.Sprintf("sync: inconsistent mutex state (abort handoff) old=%#x", old))
				return out
			}
			g.delta = int32(mL - 1<<shift - mS)
			g.pc = pcAWAdd3
			emit(s, fmt.Sprintf("aw released: handoff old=%#x", old))
			return out
		}
		g.delta = int32(mL - 1<<shift)
		if s.state>>shift == 1 {
			g.delta -= mS
		}
		g.pc = pcAWAdd3
		emit(s, "aw load3")
	case pcAWAdd3:
		s.state += g.delta
		if e := hold(&s); e != "" {
			fail(e)
			return out
		}
		s.holder = -1
		g.exitAfter = true
		g.pc = pcU0
		emit(s, "aw add3, unlock")
	case pcGWLoad:
		old := s.state
		if old&mW == 0 {
			fail(fmt.Sprintf("sync: inconsistent mutex state after abort (no woken) old=%#x", old))
			return out
		}
		g.old = old
		if old&(mL|mS) == 0 && old>>shift != 0 {
			g.pc = pcGWCAS1
		} else {
			g.pc = pcGWCAS2
		}
		emit(s, fmt.Sprintf("giveup load old=%#x", old))
	case pcGWCAS1:
		if s.state == g.old {
			s.state = g.old - 1<<shift
			g.handoff = false
			g.exitAfter = true
			g.pc = pcURel
			emit(s, "giveup wake another")
		} else {
			g.pc = pcGWLoad
			emit(s, "giveup cas fail")
		}
	case pcGWCAS2:
		if s.state == g.old {
			s.state = g.old &^ mW
			g.pc = pcDone
			emit(s, "giveup clear woken: exit")
		} else {
			g.pc = pcGWLoad
			emit(s, "giveup cas fail")
		}
	}
	return out
}

// abortStep: the environment aborts goroutine i if it is parked.
func abortStep(s State, i int) []succ {
	g := &s.g[i]
	if !g.canAbort || g.aborted || g.pc != pcSemParked {
		return nil
	}
	if !s.remove(i) {
		panic("parked but not queued")
	}
	g.aborted = true
	g.abortWoken = true
	g.pc = pcSemWoken
	return []succ{{st: s, what: fmt.Sprintf("ABORT g%d (cancel its wait)", i)}}
}

func in(pc int8, pcs ...int) bool {
	for _, p := range pcs {
		if int(pc) == p {
			return true
		}
	}
	return false
}

func canon(s *State) {
	for i := range s.g {
		g := &s.g[i]
		pc := g.pc
		if !in(pc, pcLSLoop, pcLSSpinCAS, pcLSCAS, pcLSAfter, pcULoop, pcUCAS, pcAWCAS, pcGWCAS1, pcGWCAS2) {
			g.old = 0
		}
		if !in(pc, pcLSCAS, pcUCAS, pcAWCAS) {
			g.new = 0
		}
		if !in(pc, pcLSHandoffAdd, pcAWAdd3) {
			g.delta = 0
		}
		if pc != pcAWRetry {
			g.awSnap = 0
		}
		if pc != pcURel3 {
			g.relTarget = 0
		}
		if !in(pc, pcURel, pcURel2, pcURel3) {
			g.handoff = false
		}
		lock := in(pc, pcLSLoop, pcLSSpinCAS, pcLSReload, pcLSCAS, pcSemEnter, pcSemLock, pcSemParked, pcSemDequeued, pcSemWoken, pcSemDone, pcLSAfter, pcLSHandoffAdd)
		if !lock {
			g.awoke, g.starving, g.iter, g.waited, g.lifo = false, false, 0, false, false
		}
		if !in(pc, pcU0, pcULoop, pcUCAS, pcUReload, pcURel, pcURel2, pcURel3) {
			g.exitAfter = false
		}
		if !in(pc, pcSemDequeued, pcSemWoken) {
			g.ticket = false
		}
		if pc != pcSemWoken {
			g.abortWoken = false
		}
	}
}

type node struct {
	parent *node
	what   string
}

func main() {
	ngor := flag.Int("g", 3, "goroutines (at most 4)")
	iters := flag.Int("rounds", 2, "Lock and Unlock rounds of each goroutine")
	naborts := flag.Int("aborted", 2, "goroutines that may be aborted")
	flag.Parse()
	if *ngor < 1 || *ngor > NG || *iters < 1 {
		fmt.Fprintln(os.Stderr, "usage: mutexmodel [-g N] [-rounds N] [-aborted N] [-old]")
		os.Exit(2)
	}
	var init State
	init.holder = -1
	for i := 0; i < NG; i++ {
		init.g[i].iters = int8(*iters)
		init.g[i].canAbort = i < *naborts
		if i >= *ngor {
			init.g[i].pc = pcDone
		}
	}
	type item struct {
		st State
		n  *node
	}
	seen := map[State]bool{init: true}
	stack := []item{{init, nil}}
	nerr := 0
	kinds := map[string]int{}
	report := func(n *node, msg string, st State) {
		nerr++
		kinds[msg]++
		if kinds[msg] > 1 || !strings.Contains(msg, *only) {
			return
		}
		var trace []string
		for ; n != nil; n = n.parent {
			trace = append(trace, n.what)
		}
		fmt.Println("ERROR:", msg)
		for k := len(trace) - 1; k >= 0; k-- {
			fmt.Println("  ", trace[k])
		}
		fmt.Printf("   final state=%#x sema=%d q=%v holder=%d\n", st.state, st.sema, st.q[:st.nq], st.holder)
		for i := range st.g {
			fmt.Printf("   g%d pc=%s\n", i, pcNames[st.g[i].pc])
		}
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		var all []succ
		for i := 0; i < NG; i++ {
			all = append(all, step(it.st, i)...)
			all = append(all, abortStep(it.st, i)...)
		}
		if len(all) == 0 {
			done := true
			for i := range it.st.g {
				if it.st.g[i].pc != pcDone {
					done = false
				}
			}
			if !done {
				report(it.n, "deadlock or livelock", it.st)
			} else if it.st.state != 0 || it.st.sema != 0 {
				report(it.n, fmt.Sprintf("quiescent with state=%#x sema=%d", it.st.state, it.st.sema), it.st)
			}
			continue
		}
		for _, sc := range all {
			canon(&sc.st)
			n := &node{it.n, sc.what}
			if sc.err != "" {
				report(n, sc.err, sc.st)
				continue
			}
			if !seen[sc.st] {
				seen[sc.st] = true
				if len(seen) >= 50000000 {
					fmt.Println("mutexmodel: more than 50M states; use fewer goroutines or rounds")
					os.Exit(2)
				}
				stack = append(stack, item{sc.st, n})
			}
		}
	}
	fmt.Printf("mutexmodel: %d states, %d errors\n", len(seen), nerr)
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		fmt.Printf("  %6d %s\n", kinds[k], k)
	}
	if nerr > 0 {
		os.Exit(1)
	}
}
