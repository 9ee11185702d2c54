// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// N:1 thread locking: LockToRecvOSThread (golang/go#49848).
//
// LockOSThread wires one goroutine, the owner, to its thread: g.lockedm
// and m.lockedg point at each other. LockToRecvOSThread binds more
// goroutines to the owner's thread: each gets g.lockedm = the owner's M
// and a nesting count of its own in g.lockedRecv (the owner's counts stay
// in m.lockedExt and m.lockedInt). m.lockedg names the goroutine of the
// group that the thread runs, or last ran, and changes as it switches
// among them. Every locked M schedules through lockedRecvSchedule and is
// handed goroutines by lockedRecvStart, whether goroutines are bound to
// it or not, so that binding the first one changes no mode: with the
// owner alone, they do what upstream's stoplockedm (which
// lockedRecvPark replaces) and startlockedm did, with one more
// acquisition of sched.lock.
//
// Only one goroutine of the group runs at a time, on that thread. When the
// running one blocks, the thread switches to the next runnable one of its
// group without a thread switch: first the goroutine it just readied, if
// it sits in its P's runnext (the syscall-server round trip: the caller
// sends the request, readying the server, and blocks on the reply), then
// the group's own queue, m.lockedRecv.queue, where other threads leave
// group goroutines they find runnable (startlockedm) while the thread is
// busy. With nothing to run, the thread gives up its P and parks, marked
// idle, and the next startlockedm for its group hands it a P and the
// goroutine to run, as for a 1:1 locked thread.
//
// The switch inherits the time slice, as runnext does, so that sysmon
// preempts a group that ping-pongs for more than 10ms and the P's other
// goroutines run. A stop-the-world, a safe-point function or disabled
// user scheduling sends the thread down the slow path: the queued group
// goroutines go to the global run queue, and come back through
// startlockedm.

package runtime

import (
	"internal/runtime/atomic"
	"unsafe"
)

// lockedRecvThread is the state of a locked M's group.
type lockedRecvThread struct {
	// bound counts the goroutines bound by LockToRecvOSThread and not
	// yet unbound or exited; the owner is not counted. It is
	// incremented with the channel's lock held while the goroutine it
	// was found through is parked on that channel, so that it cannot
	// unlock meanwhile, and decremented on the M itself.
	bound atomic.Int32

	// enabled is set when the first goroutine is bound, and cleared
	// when the thread stops being locked: while it is set, the M
	// schedules only its group, even while m.lockedg is 0 (after a
	// bound goroutine exited).
	enabled atomic.Bool

	// owner says, on the M itself, whether the owner has left while
	// goroutines were bound: the thread is then released (or exits)
	// with the last of them.
	owner lockedRecvOwner

	// Protected by sched.lock.
	idle  bool   // the M is parked waiting for a goroutine of its group
	queue gQueue // runnable goroutines of the group; empty while idle
}

type lockedRecvOwner uint8

const (
	lockedRecvOwnerThere    lockedRecvOwner = iota
	lockedRecvOwnerUnlocked                 // the thread returns to the pool after the last bound goroutine
	lockedRecvOwnerExited                   // the thread exits after the last bound goroutine
)

// LockToRecvOSThread wires the calling goroutine to the operating system
// thread of the goroutine currently receiving on ch, which must have
// wired itself to its thread with [LockOSThread] (or with
// LockToRecvOSThread). Any number of goroutines can be wired to one thread
// this way: they, and the goroutine that called LockOSThread, run only on
// that thread, one at a time, and no other goroutine runs on it. A
// goroutine wired to the thread that readies another, by a channel send
// for instance, and then blocks, switches to it on the thread like two
// unlocked goroutines would, without the cost of switching threads.
//
// If no goroutine is receiving on ch, LockToRecvOSThread waits until one
// starts to: the wiring is made then, and holds even if the receive
// completes before the calling goroutine runs again. It panics if ch is
// nil or closed (also when ch is closed while it waits), if the calling
// goroutine is already wired to a thread, or if the receiving goroutine
// is not. The wait is like a receive on ch: (*GoroutineHandle).Abort
// cancels it, and the garbage collector's leak detection reports a
// goroutine that waits on a channel nothing else can reach.
//
// [UnlockOSThread] undoes it: as for LockOSThread, calls nest, and the
// goroutine is unwired by as many calls to UnlockOSThread as it made to
// LockToRecvOSThread and LockOSThread. A goroutine that exits wired is
// unwired. The goroutine that called LockOSThread may unwire itself or
// exit while others are wired to its thread: the thread stays theirs, and
// once the last of them is unwired, it goes back to the runtime's pool of
// threads or, if that goroutine exited wired, exits.
//
// A wired goroutine blocked in a system call or C function holds the
// thread: the others wait until it returns.
func LockToRecvOSThread[T any](ch <-chan T) {
	lockToRecvOSThread(*(**hchan)(unsafe.Pointer(&ch)))
}

func lockToRecvOSThread(c *hchan) {
	if c == nil {
		panic(plainError("runtime: LockToRecvOSThread of nil channel"))
	}
	gp := getg()
	if gp.lockedm != 0 || gp.m.lockedExt != 0 || gp.m.lockedInt != 0 {
		panic(plainError("runtime: LockToRecvOSThread: the goroutine is already locked to a thread"))
	}
	lock(&c.lock)
	if c.closed != 0 {
		unlock(&c.lock)
		panic(plainError("runtime: LockToRecvOSThread of closed channel"))
	}
	var owner *g
	for sg := c.recvq.first; sg != nil; sg = sg.next {
		if sg.g != nil {
			owner = sg.g
			break
		}
	}
	if owner == nil {
		// Wait for a receiver, which binds gp (lockedRecvReceiving)
		// and readies it on its thread: nothing left to do but
		// report what it found.
		lockedRecvCheck(lockedRecvWait(c, gp))
		return
	}
	// owner is parked in c's queue, so it cannot unlock or exit before
	// the binding is counted.
	mp, result := lockedRecvTarget(owner)
	if result == lockedRecvBound {
		lockedRecvBind(gp, mp)
	}
	unlock(&c.lock)
	if lockedRecvCheck(result) {
		// Move to the thread: the M that schedules gp next hands it
		// to mp (startlockedm).
		Gosched()
	}
}

// What a binder learns from the goroutine receiving on its channel.
const (
	lockedRecvWaiting       uint32 = iota // no receiver yet
	lockedRecvBound                       // bound to the receiver's thread
	lockedRecvClosed                      // the channel was closed
	lockedRecvNotLocked                   // the receiver is not locked to a thread
	lockedRecvRuntimeLocked               // the receiver's thread is locked by the runtime
	lockedRecvNoThreads                   // wasm: there is only one thread
)

// lockedRecvTarget reports whether a goroutine may be bound to the thread
// of owner, a goroutine receiving on a channel whose lock is held, and
// the M it would be bound to. owner is parked on the channel or is the
// caller: it cannot change its locking meanwhile.
func lockedRecvTarget(owner *g) (*m, uint32) {
	mp := owner.lockedm.ptr()
	switch {
	case mp == nil:
		return nil, lockedRecvNotLocked
	case mp.isextra || mp.lockedInt != 0:
		return nil, lockedRecvRuntimeLocked
	case GOARCH == "wasm":
		return nil, lockedRecvNoThreads
	}
	return mp, lockedRecvBound
}

// lockedRecvBind binds gp, which is not locked to any thread, to mp.
func lockedRecvBind(gp *g, mp *m) {
	mp.lockedRecv.bound.Add(1)
	mp.lockedRecv.enabled.Store(true)
	gp.lockedRecv = 1
	gp.lockedm.set(mp)
}

// lockedRecvCheck panics if result says the binding failed, and reports
// whether the goroutine was bound.
func lockedRecvCheck(result uint32) bool {
	switch result {
	case lockedRecvBound:
		return true
	case lockedRecvClosed:
		panic(plainError("runtime: LockToRecvOSThread of closed channel"))
	case lockedRecvNotLocked:
		panic(plainError("runtime: LockToRecvOSThread: the goroutine receiving on the channel is not locked to a thread"))
	case lockedRecvRuntimeLocked:
		panic(plainError("runtime: LockToRecvOSThread: the thread of the goroutine receiving on the channel is locked by the runtime"))
	case lockedRecvNoThreads:
		return false
	}
	throw("LockToRecvOSThread: woken without a receiver")
	return false
}

// Waiting for a receiver.
//
// A goroutine that calls LockToRecvOSThread while no goroutine receives
// on the channel, a binder, parks (waitReasonLockToRecv) on a sudog that
// it links into the channel's bucket of lockedRecvWaiters, and sets
// c.lockBinders, both with c.lock held. The next goroutine that parks
// receiving on the channel, in chanrecv or selectgo, finds the flag set
// with c.lock held (a single predictable branch for every other channel)
// and calls lockedRecvReceiving, which does for every binder of the
// channel what LockToRecvOSThread does when it finds the receiver
// already parked: it binds the binder to the receiver's thread, or
// records why it cannot, takes its sudog off the bucket and readies it.
// The binding is made while the receiver runs on its thread, with c.lock
// held, so it cannot unlock meanwhile; once made, it does not depend on
// the receiver staying parked: a send that wakes the receiver before the
// binder runs leaves the binder bound, as when it finds the receiver
// parked. The binder readied last sits in the P's runnext, so that the
// thread switches to it as soon as the receiver parks (lockedRecvSchedule),
// without a thread switch; the others come through startlockedm.
//
// closechan readies the binders of a channel it closes: they panic, as
// for a closed channel found at the call. An abort cancels the wait
// (abortWake, lockedRecvAbortCancel), as for a channel receive. The wait
// counts as a channel wait for the GC's leak detection (isChanWait): a
// binder of a channel that nothing else references is leaked, since no
// goroutine can ever receive on it. Its sudog's c, like a receiver's, is
// what the detector hides and checks; the bucket, a global, reaches only
// the sudog.
//
// Readying a binder with c.lock held, which chan.go forbids for the
// goroutines of c's queues, is safe for a binder: its wait holds no
// pointer into its stack (activeStackChans stays false), so a stack
// shrink, which may hold its scan bit while ready waits for it, never
// takes a channel lock for it. The bucket locks are leaves, taken with
// c.lock held; nothing is readied under them.

// lockedRecvWaiters holds the binders' sudogs, by channel.
var lockedRecvWaiters [lockedRecvWaitersSize]lockedRecvBucketT

const lockedRecvWaitersSize = 61

type lockedRecvBucketT struct {
	lock  mutex  // leaf; taken with the channel's lock held
	first *sudog // binders of this bucket's channels, linked by next
}

func lockedRecvBucket(c *hchan) *lockedRecvBucketT {
	return &lockedRecvWaiters[(uintptr(unsafe.Pointer(c))>>3)%lockedRecvWaitersSize]
}

// lockedRecvWait parks gp, a binder, until a goroutine receives on c, c
// is closed, or an abort cancels the wait, and returns what it found.
// c.lock is held; it is released.
func lockedRecvWait(c *hchan, gp *g) uint32 {
	sg := acquireSudog()
	sg.g = gp
	sg.isSelect = false
	sg.releasetime = 0
	sg.ticket = lockedRecvWaiting
	sg.waitlink = nil
	sg.c.set(c)
	gp.waiting = sg
	b := lockedRecvBucket(c)
	lock(&b.lock)
	sg.next = b.first
	b.first = sg
	unlock(&b.lock)
	c.lockBinders = 1
	gopark(parkunlock_c, unsafe.Pointer(&c.lock), waitReasonLockToRecv, traceBlockChanRecv, 2)
	if sg != gp.waiting {
		throw("LockToRecvOSThread: G waiting list is corrupted")
	}
	gp.waiting = nil
	result := sg.ticket
	sg.ticket = 0
	sg.g = nil
	sg.c.set(nil)
	releaseSudog(sg)
	if gp.abortWoken {
		abortWokenPanic()
	}
	return result
}

// lockedRecvTake takes the binders of c off their bucket and returns them,
// linked by next, and clears c.lockBinders. c.lock is held.
func lockedRecvTake(c *hchan) *sudog {
	var list *sudog
	b := lockedRecvBucket(c)
	lock(&b.lock)
	for pp := &b.first; *pp != nil; {
		sg := *pp
		if sg.c.get() != c {
			pp = &sg.next
			continue
		}
		*pp = sg.next
		sg.next = list
		list = sg
	}
	unlock(&b.lock)
	c.lockBinders = 0
	return list
}

// lockedRecvReceiving is called by gp, about to park receiving on c, with
// c.lock held, when goroutines may be waiting in LockToRecvOSThread for a
// receiver on c (c.lockBinders): it binds them to gp's thread, or tells
// them why it cannot, and readies them.
func lockedRecvReceiving(c *hchan, gp *g) {
	mp, result := lockedRecvTarget(gp)
	for list := lockedRecvTake(c); list != nil; {
		sg := list
		list = sg.next
		sg.next = nil
		bgp := sg.g
		if result == lockedRecvBound {
			lockedRecvBind(bgp, mp)
		}
		sg.ticket = result
		goready(bgp, 2)
	}
}

// lockedRecvClose is called by closechan with c.lock held when binders
// may wait on c: it adds them to glist, for closechan to ready, to panic.
func lockedRecvClose(c *hchan, glist *gList) {
	for list := lockedRecvTake(c); list != nil; {
		sg := list
		list = sg.next
		sg.next = nil
		sg.ticket = lockedRecvClosed
		glist.push(sg.g)
	}
}

// lockedRecvAbortCancel takes gp, a binder waiting on c, off its bucket if
// no receiver or close has taken it yet and gp's abort is still there to
// claim, and reports whether gp is now the caller's to ready (abortWake).
func lockedRecvAbortCancel(gp *g, c *hchan) bool {
	lock(&c.lock)
	b := lockedRecvBucket(c)
	lock(&b.lock)
	found, others := false, false
	for pp := &b.first; *pp != nil; {
		sg := *pp
		if sg.c.get() != c {
			pp = &sg.next
			continue
		}
		if sg.g != gp || found {
			others = true
			pp = &sg.next
			continue
		}
		if !abortClaim(gp) {
			unlock(&b.lock)
			unlock(&c.lock)
			return false
		}
		*pp = sg.next
		sg.next = nil
		found = true
	}
	unlock(&b.lock)
	if found {
		if !others {
			c.lockBinders = 0
		}
		gp.abortWoken = true
	}
	unlock(&c.lock)
	return found
}

// lockedRecvStart is startlockedm: it hands gp to mp, the M gp is locked
// to. If mp is idle, the calling M hands it its P too and stops, as
// upstream; otherwise mp runs another goroutine of its group, gp waits in
// mp's queue, and the calling M goes on.
//
//go:nowritebarrierrec
func lockedRecvStart(mp *m, gp *g) {
	lock(&sched.lock)
	if !mp.lockedRecv.idle {
		mp.lockedRecv.queue.push(gp)
		unlock(&sched.lock)
		return
	}
	mp.lockedRecv.idle = false
	mp.lockedg.set(gp)
	unlock(&sched.lock)
	if mp.nextp != 0 {
		throw("startlockedm: m has p")
	}
	incidlelocked(-1)
	pp := releasep()
	mp.nextp.set(pp)
	notewakeup(&mp.park)
	stopm()
}

// lockedRecvSchedule is schedule for a locked M: it runs the next
// goroutine of its group, or parks until there is one. It returns only if
// the M is no longer locked, for schedule to go on as for any M.
func lockedRecvSchedule(mp *m) {
	if owner := mp.lockedRecv.owner; owner != lockedRecvOwnerThere && mp.lockedRecv.bound.Load() == 0 {
		// The owner has left and so has the last bound goroutine:
		// the thread is no longer locked.
		mp.lockedRecv.enabled.Store(false)
		mp.lockedRecv.owner = lockedRecvOwnerThere
		mp.lockedg = 0
		if owner == lockedRecvOwnerExited {
			// End the thread, as gdestroy would have for the
			// owner.
			gogo(&mp.g0.sched)
		}
		return
	}
	pp := mp.p.ptr()
	if pp != nil && !sched.gcwaiting.Load() && pp.runSafePointFn == 0 && !sched.disable.user {
		pp.preempt = false
		pp.timers.check(0, nil)
		if next := pp.runnext; next != 0 && next.ptr().lockedm.ptr() == mp && pp.runnext.cas(next, 0) {
			mp.lockedg = next
			execute(next.ptr(), true) // Never returns.
		}
		lock(&sched.lock)
		gp := mp.lockedRecv.queue.pop()
		unlock(&sched.lock)
		if gp != nil {
			mp.lockedg.set(gp)
			execute(gp, true) // Never returns.
		}
	}
	lockedRecvPark(mp)
}

// lockedRecvPark gives up mp's P, if it has one, and parks mp until a
// goroutine of its group is runnable, then runs it. Never returns.
//
// mp becomes claimable (idle) before it gives up its P, as a 1:1 locked M
// can be handed a P as soon as its goroutine parked: a waker that finds it
// busy would queue the goroutine for it, and the goroutine would have to
// come back through the global run queue.
func lockedRecvPark(mp *m) {
	lock(&sched.lock)
	moved := !mp.lockedRecv.queue.empty()
	if moved {
		// The slow path was taken with goroutines queued: the
		// scheduler runs them, and they come back through
		// startlockedm, to an idle mp.
		globrunqputbatch(&mp.lockedRecv.queue)
		mp.lockedRecv.queue = gQueue{}
	}
	mp.lockedRecv.idle = true
	unlock(&sched.lock)
	if mp.p != 0 {
		handoffp(releasep())
	} else if moved {
		wakep()
	}
	incidlelocked(1)
	mPark()
	gp := mp.lockedg.ptr()
	if status := readgstatus(gp); status&^_Gscan != _Grunnable {
		print("runtime: lockedRecvPark: goroutine ", gp.goid, " (atomicstatus=", status, ") is not runnable\n")
		throw("lockedRecvPark: not runnable")
	}
	acquirep(mp.nextp.ptr())
	mp.nextp = 0
	execute(gp, false) // Never returns.
}

// lockedRecvLock is LockOSThread for a goroutine bound by
// LockToRecvOSThread.
//
//go:nosplit
func lockedRecvLock(gp *g) {
	gp.lockedRecv++
	if gp.lockedRecv == 0 {
		gp.lockedRecv--
		panic("LockOSThread nesting overflow")
	}
}

// lockedRecvUnlock is UnlockOSThread for a goroutine bound by
// LockToRecvOSThread: the last one unbinds it, and it leaves the thread
// as Gosched leaves any M, for the global run queue; the thread, still
// locked, goes on with its group (schedule).
func lockedRecvUnlock(gp *g) {
	gp.lockedRecv--
	if gp.lockedRecv != 0 {
		return
	}
	gp.lockedm = 0
	gp.m.lockedRecv.bound.Add(-1)
	Gosched()
}

// lockedRecvOwnerUnlock is called by dounlockOSThread when gp, the owner
// of a thread that goroutines are bound to, has dropped its last lock.
// The thread stays locked to them; gp alone leaves it, as an unbound
// goroutine does.
func lockedRecvOwnerUnlock(gp *g) {
	mp := gp.m
	gp.lockedm = 0
	if mp.lockedRecv.bound.Load() == 0 {
		// No goroutine is bound, and none can be bound now: a
		// binding goes through a goroutine of the group parked on
		// a channel, and only gp is left, running.
		mp.lockedRecv.enabled.Store(false)
		mp.lockedg = 0
		return
	}
	mp.lockedRecv.owner = lockedRecvOwnerUnlocked
	Gosched()
}

// lockedRecvGoexit is called by gdestroy for gp, which exits locked to
// mp, a thread with goroutines bound to it. It reports whether the thread
// must exit now, as it must when a goroutine locked to it alone exits.
func lockedRecvGoexit(gp *g, mp *m) bool {
	if gp.lockedRecv != 0 {
		gp.lockedRecv = 0
		mp.lockedRecv.bound.Add(-1)
		return false
	}
	if mp.lockedRecv.bound.Load() != 0 {
		mp.lockedRecv.owner = lockedRecvOwnerExited
		return false
	}
	mp.lockedRecv.enabled.Store(false)
	return true
}
