// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Goroutine handles and Abort.
//
// An abort is a request that a goroutine panic with ErrAborted. It is
// recorded in the target's g (g.abortReq) and delivered at the first point
// where three things hold:
//
//   - the goroutine's own state allows it (abortWanted): no panic or
//     Goexit is unwinding, the goroutine is not inside MaskAbort, and no
//     earlier abort of it is still unwinding;
//   - the M allows it: no runtime locks, no malloc, no preemptoff, not in
//     a syscall or cgo call or cgo callback;
//   - the code allows it: the frame in which the panic appears belongs to
//     a package where a panic at that point cannot break an invariant that
//     spans calls (abortSafeFunc). The runtime, sync, syscall, os, net,
//     time, context, reflect and every internal package are excluded;
//     pure computation such as encoding/json, sort or strconv is not.
//     Packages whose deferred recovers would swallow the abort (fmt,
//     bytes, text/template, log/slog; abortHeldPackage) hold it while any
//     of their frames is on the stack.
//
// There are four delivery paths:
//
//   - cooperative: Abort sets the target's stack guard to stackPreempt, so
//     its next function call enters newstack, where abortAtMorestack makes
//     the caller of that function appear to call abortPanic instead. The
//     callee has not run yet, so it does not matter what it is.
//   - asynchronous: Abort also sends the preemption signal. At an
//     asynchronous safe point in abort-safe code, the signal handler
//     injects a call to sigpanic (abortAtAsyncSafePoint), which panics as
//     for a fault at that instruction. Tracebacks, the resume PC of a
//     recovered panic and the GC's view of the interrupted frame are then
//     those of a faulting instruction, a path the runtime already
//     supports.
//   - blocked: a goroutine parked in a wait that can be cancelled safely
//     is woken by abortWake, which claims the wake-up the same way the
//     real waker would (dequeuing the sudog under the channel lock, the
//     select's selectDone, the pollDesc's waiter word, stopping the sleep
//     timer, or removing the waiter from a semaphore), so that exactly one
//     of them wins. The woken goroutine undoes the primitive's own state
//     and then panics where the wait returns (abortWokenPanic).
//   - self: Abort of the calling goroutine panics at once.
//
// A request that cannot be delivered at once stays pending. It is retried
// when the goroutine is next scheduled (execute), leaves a syscall
// (exitsyscall), leaves MaskAbort, or parks, and by sysmon while the
// goroutine keeps running (abortRetry).

package runtime

import (
	"internal/abi"
	"internal/goarch"
	"internal/runtime/atomic"
	"internal/runtime/sys"
	"internal/stringslite"
	"unsafe"
)

// ErrAborted is the value with which a goroutine panics when it is aborted
// by (*GoroutineHandle).Abort.
var ErrAborted error = abortError{}

type abortError struct{}

func (abortError) Error() string { return "goroutine aborted" }

// isAbortPanic reports whether v is the panic value of an abort.
func isAbortPanic(v any) bool {
	return v == any(ErrAborted)
}

// A GoroutineHandle refers to one goroutine for its whole life. It stays
// valid after the goroutine exits; it then refers to no goroutine, even if
// the runtime reuses the goroutine's internal structures for another one.
type GoroutineHandle struct {
	// gp is the g the goroutine runs on. g structs are never freed, only
	// reused for later goroutines, so gp stays a valid pointer; id tells
	// whether it still runs the goroutine this handle refers to.
	gp   *g
	id   uint64
	done chan struct{} // closed when the goroutine exits (goroutineExit)
}

// GetGoroutineHandle returns a handle to the calling goroutine. Every call
// from the same goroutine returns the same handle.
//
// GetGoroutineHandle panics if called by a finalizer (runtime.SetFinalizer)
// or a cleanup (runtime.AddCleanup): they run on goroutines that the
// runtime owns and that cannot be aborted.
func GetGoroutineHandle() *GoroutineHandle {
	gp := getg()
	if gp.handle == nil {
		if abortRuntimeOwned(gp) {
			panic(plainError("runtime: GetGoroutineHandle called by a finalizer or cleanup: the goroutine that runs them belongs to the runtime and cannot be aborted"))
		}
		gp.handle = &GoroutineHandle{gp: gp, id: gp.goid, done: make(chan struct{})}
	}
	return gp.handle
}

// ID returns the goroutine's ID, the number that tracebacks print after
// "goroutine". IDs are never reused while a program runs.
func (h *GoroutineHandle) ID() uint64 { return h.id }

// String returns "goroutine N", where N is the goroutine's ID.
func (h *GoroutineHandle) String() string {
	var buf [32]byte
	return "goroutine " + string(itoa(buf[:], h.id))
}

// Done returns a channel that is closed when the goroutine exits: after
// its deferred calls, including those run because of an abort, have
// returned. Done is not closed for the main goroutine, whose exit ends the
// program.
func (h *GoroutineHandle) Done() <-chan struct{} { return h.done }

// Abort asks the goroutine to panic with ErrAborted at its earliest safe
// point, and returns without waiting; use Done to wait for the goroutine
// to exit.
//
// A goroutine that is running is interrupted at its next function call
// or, in a loop without calls, by a signal. A goroutine that is blocked,
// in a call it made itself, sending or receiving on a channel, in a
// select, in time.Sleep, reading or writing a network connection or pipe,
// or waiting in sync.Mutex.Lock, sync.RWMutex.Lock or RLock,
// sync.WaitGroup.Wait or sync.Cond.Wait is woken and panics as that call
// returns; the primitive stays consistent and keeps working for other
// goroutines. A wait that the runtime or the low-level packages make for
// their own purposes is not interrupted. Neither is code that runs
// between the Lock of a sync.Mutex or RWMutex and the Unlock of it in the
// same function: the abort lands after the Unlock. A goroutine in a system call or a cgo call is interrupted
// after the call returns. An abort is never delivered inside the runtime,
// in packages sync, syscall, os, net, time, context, reflect or any
// internal package, while a panic or Goexit unwinds, inside MaskAbort, or
// while fmt, bytes, text/template, html/template or log/slog (which turn
// any panic into text or another error) are on the stack; it is held until
// the goroutine leaves such code. Abort of the calling
// goroutine panics at once.
//
// Abort of a goroutine that has exited does nothing. So does Abort of a
// goroutine whose earlier abort is still unwinding; after recover stops
// an abort, the goroutine can be aborted again.
//
// The panic runs the goroutine's deferred calls, and recover stops it like
// any panic. If it is not recovered, a goroutine other than the main one
// exits quietly, as if it had called Goexit; the main goroutine crashes the
// program as for any panic. GODEBUG=abortcrash=1 makes every unrecovered
// abort crash the program, with a traceback.
func (h *GoroutineHandle) Abort() {
	if raceenabled {
		racereleasemerge(unsafe.Pointer(h))
	}
	gp := h.gp
	if !abortRequest(gp, h.id) {
		return
	}
	if gp == getg() {
		if abortWanted(gp) {
			abortClaim(gp)
			abortPanic()
		}
		abortArm(gp)
		return
	}
	systemstack(func() {
		abortKick(gp)
	})
}

// MaskAbort calls f with aborts of the calling goroutine masked: an Abort
// that arrives while f runs is held, and delivered when f returns. Masks
// nest. Use MaskAbort around a critical section that has no deferred
// cleanup, such as a sequence of updates that must happen together.
func MaskAbort(f func()) {
	gp := getg()
	gp.abortMask++
	defer abortUnmask()
	f()
}

func abortUnmask() {
	gp := getg()
	gp.abortMask--
	if gp.abortMask == 0 && gp.abortReq.Load() == gp.goid {
		if abortWanted(gp) {
			abortClaim(gp)
			abortPanic()
		}
		abortArm(gp)
	}
}

// abortRetry is set while some running goroutine may have an abort
// pending that a signal could deliver; sysmon then keeps retrying.
var abortRetry atomic.Bool

// abortRuntimeOwned reports whether gp is a goroutine that the runtime
// owns: one of its own, or one that it lends to user code, one function
// after another. The finalizer goroutine and the cleanup goroutines are
// the latter: an abort unwinding out of a finalizer would end the
// goroutine quietly, and with it every finalizer or cleanup of the process
// still to come, those queued behind it included. Such goroutines are
// never aborted, and GetGoroutineHandle refuses to name them.
func abortRuntimeOwned(gp *g) bool {
	f := findfunc(gp.startpc)
	if !f.valid() {
		return false
	}
	return f.funcID == abi.FuncID_runFinalizers || f.funcID == abi.FuncID_runCleanups ||
		isSystemGoroutine(gp, true)
}

// abortRequest records an abort request for the goroutine with ID id,
// if gp still runs it. It reports whether the request is new.
//
// g.abortReq holds the ID of the goroutine the request is for, so a
// request that loses a race with the goroutine's exit and the reuse of gp
// does not apply to the next goroutine on gp.
//
// The goroutine is never one that the runtime owns: GetGoroutineHandle
// makes no handle for one, and leak recovery passes them by. Checking it
// here again would cost a third of a blocked goroutine's Abort.
func abortRequest(gp *g, id uint64) bool {
	for {
		cur := gp.abortReq.Load()
		if cur == id {
			return false // already pending
		}
		if gp.goid != id || gp.aborting || readgstatus(gp) == _Gdead {
			return false
		}
		if gp.abortReq.CompareAndSwap(cur, id) {
			break
		}
	}
	if gp.goid != id {
		// gp exited and was reused while we recorded the request.
		gp.abortReq.CompareAndSwap(id, 0)
		return false
	}
	return true
}

// abortWanted reports whether gp's own state lets an abort panic start:
// one is pending, and no panic, Goexit, earlier abort or MaskAbort is in
// the way.
//
//go:nosplit
func abortWanted(gp *g) bool {
	return gp.abortReq.Load() == gp.goid && gp.abortMask == 0 && !gp.aborting && gp._panic == nil
}

// abortClaim takes the pending abort of gp for delivery. Only the path
// whose claim succeeds delivers it.
//
//go:nosplit
func abortClaim(gp *g) bool {
	if !gp.abortReq.CompareAndSwap(gp.goid, 0) {
		return false
	}
	gp.aborting = true
	return true
}

// abortArm makes the next function call of gp enter newstack, and asks
// sysmon to keep sending signals while the abort is pending.
func abortArm(gp *g) {
	gp.preempt = true
	gp.stackguard0 = stackPreempt
	abortRetrySoon()
}

// abortRetrySoon makes sysmon retry pending aborts, waking it if it
// sleeps because all Ps were idle.
func abortRetrySoon() {
	abortRetry.Store(true)
	if sched.sysmonwait.Load() {
		lock(&sched.lock)
		if sched.sysmonwait.Load() {
			sched.sysmonwait.Store(false)
			notewakeup(&sched.sysmonnote)
		}
		unlock(&sched.lock)
	}
}

// abortPanic raises the abort in the calling goroutine, whose pending
// abort has been claimed.
func abortPanic() {
	gp := getg()
	if raceenabled && gp.handle != nil {
		raceacquire(unsafe.Pointer(gp.handle))
	}
	panic(ErrAborted)
}

// abortWokenPanic raises the abort in a goroutine that abortWake woke. It
// is called where the wait returns, after the primitive's own cleanup.
func abortWokenPanic() {
	gp := getg()
	gp.abortWoken = false
	abortPanic()
}

// abortKick delivers or arms a new request for another goroutine.
//
//go:systemstack
func abortKick(gp *g) {
	switch readgstatus(gp) &^ _Gscan {
	case _Grunning:
		gp.preempt = true
		gp.stackguard0 = stackPreempt
		abortRetrySoon()
		if preemptMSupported && debug.asyncpreemptoff == 0 {
			if mp := gp.m; mp != nil {
				preemptM(mp)
			}
		}
	case _Gwaiting:
		abortWake(gp)
	}
	// A runnable goroutine is armed by execute, one in a syscall by
	// exitsyscall.
}

// abortOnExecute is called by execute when gp, which has an abort request,
// is about to run. It leaves the delivery to sysmon's next round rather
// than arming gp's next call: if gp was descheduled because the abort
// could not land where it was, arming it again at once would stop it at
// the same place, over and over.
func abortOnExecute(gp *g) {
	if abortWanted(gp) {
		abortRetrySoon()
		var u unwinder
		u.initAt(^uintptr(0), ^uintptr(0), ^uintptr(0), gp, unwindSilentErrors)
		abortArmAtReturn(gp, &u, false)
	}
}

// abortOnReturn is called as runtime.GC returns to its caller. GC spends
// its time parked and yielding inside the runtime, where no abort lands,
// and abortOnExecute leaves a pending abort to sysmon's signals, which
// would have to hit the caller's few instructions between two calls: a
// goroutine that calls GC in a loop would practically never be aborted.
// As exitsyscall does after a system call, arm the caller's next call.
// Nothing may be called once the stack guard is armed, or that call would
// trap here, in the runtime, where the abort is refused.
//
//go:nosplit
func abortOnReturn() {
	if gp := getg(); abortWanted(gp) {
		gp.preempt = true
		gp.stackguard0 = stackPreempt
	}
}

// abortAfterSyscall is called by exitsyscall when gp, which has an abort
// request, returns from a system call.
//
//go:nosplit
func abortAfterSyscall(gp *g) {
	if abortWanted(gp) {
		gp.preempt = true // exitsyscall turns this into stackPreempt
		abortRetry.Store(true)
	}
}

// abortSysmon resends preemption signals to running goroutines whose
// abort is still pending, and returns how long sysmon may sleep.
func abortSysmon(delay uint32) uint32 {
	if !abortRetry.Load() {
		return delay
	}
	abortRetry.Store(false)
	lock(&allpLock)
	for _, pp := range allp {
		if pp == nil || pp.status != _Prunning {
			continue
		}
		mp := pp.m.ptr()
		if mp == nil {
			continue
		}
		if gp := mp.curg; gp != nil && gp.abortReq.Load() != 0 && abortWanted(gp) {
			abortRetry.Store(true)
			preemptone(pp)
		}
	}
	unlock(&allpLock)
	if abortRetry.Load() && delay > 100 {
		delay = 100
	}
	return delay
}

// abortAtMorestack is called by newstack when gp, asked to preempt, has an
// abort request. morebuf is the call that entered morestack: if its
// caller is abort-safe, abortAtMorestack rewrites gp.sched so that the
// caller calls abortPanic instead, and reports true; newstack then
// resumes gp.
func abortAtMorestack(gp *g, morebuf *gobuf) bool {
	if !abortWanted(gp) {
		return false
	}
	// newstack may have shrunk the stack (preemptShrink) since morestack
	// recorded morebuf: copystack adjusted gp.sched, not morebuf. The
	// caller's SP is where morestack found it relative to gp.sched.sp:
	// the same on LR machines, above the return address otherwise.
	callerSP := gp.sched.sp
	if !usesLR {
		callerSP += goarch.PtrSize
	}
	var u unwinder
	u.initAt(morebuf.pc, callerSP, 0, gp, unwindSilentErrors)
	callee := uintptr(0)
	if f := findfunc(gp.sched.pc); f.valid() {
		callee = f.entry() // the function whose prologue called morestack
	}
	if !abortMState(gp.m) || !abortSafeCallSite(morebuf.pc) || !abortOuterFramesSafe(&u, callee) {
		u.initAt(morebuf.pc, callerSP, 0, gp, unwindSilentErrors)
		abortArmAtReturn(gp, &u, true)
		return false
	}
	if !abortClaim(gp) {
		return false
	}
	gp.preempt = false
	gp.syncSafePoint = false
	gp.stackguard0 = gp.stack.lo + stackGuard
	// Make the caller call abortPanic at the call site, as gostartcall
	// would (which cannot be used here: it writes ctxt with a write
	// barrier). The stale ctxt is harmless: abortPanic is no closure.
	if usesLR {
		gp.sched.sp = callerSP
		gp.sched.lr = morebuf.pc
	} else {
		sp := callerSP - goarch.PtrSize
		*(*uintptr)(unsafe.Pointer(sp)) = morebuf.pc
		gp.sched.sp = sp
		gp.sched.lr = 0
	}
	gp.sched.pc = abi.FuncPCABIInternal(abortPanic)
	return true
}

// abortMState reports whether the M that runs gp allows a panic to be
// injected into it.
//
//go:nosplit
func abortMState(mp *m) bool {
	return mp.locks == 0 && mp.mallocing == 0 && mp.preemptoff == "" &&
		mp.throwing == throwTypeNone && mp.dying == 0 && mp.ncgo == 0 && !mp.isextra
}

// abortSafeCallSite reports whether a panic may appear at the call whose
// return address is pc.
//
//go:nosplit
func abortSafeCallSite(pc uintptr) bool {
	f := findfunc(pc)
	if !f.valid() || pc == f.entry() {
		return false
	}
	return abortSafeFunc(f, pc-1)
}

// abortSafeFunc reports whether every function at pc, the inlined ones
// included, is code where a panic may appear.
//
// The inlined methods and functions of sync/atomic are the exception: an
// atomic operation is one instruction, or a load-linked/store-conditional
// loop that leaves nothing half done wherever it stops, and a panic at it
// is a panic before or after it. Their bodies are most of a loop that spins on
// an atomic flag (for !stop.Load() {}), whose only other instruction is a
// branch that the processor fuses with the comparison before it, so that
// no signal ever lands on it: refusing them left such a loop unabortable.
// The functions of sync/atomic that are not inlined (Value's methods) pin
// the P, which abortMState refuses.
//
//go:nosplit
func abortSafeFunc(f funcInfo, pc uintptr) bool {
	if f.flag&abi.FuncFlagAsm != 0 {
		return false
	}
	u, uf := newInlineUnwinder(f, pc)
	for ; uf.valid(); uf = u.next(uf) {
		sf := u.srcFunc(uf)
		if sf.funcID != abi.FuncIDNormal && sf.funcID != abi.FuncIDWrapper {
			return false
		}
		c := abortClassOf(sf)
		if c&abortClassSafe == 0 && !(c&abortClassAtomic != 0 && u.isInlined(uf)) {
			return false
		}
	}
	return true
}

// abortOuterFramesSafe reports whether none of the frames from u's
// current one outward is running a deferred call of a function that
// returns normally, and none is stopped where the compiler forbids a panic
// (cmd/compile/internal/liveness.markDeferEntryUnsafe). The cleanup a
// function defers must not be cut short by an abort, as it is not by a
// panic's own deferred calls.
//
// Deferred calls run by runtime.deferreturn show as its frame. An
// open-coded deferred call is made directly by the function that
// deferred it, at its exit, after clearing the call's bit in the frame's
// defer bits: a callee whose entry is that of a deferred closure whose bit
// is clear is such a call.
//
// Only call sites in abort-safe packages are looked at: the runtime marks
// all its call sites unsafe, and its frames below user code (runtime.main,
// finalizers) call user code that may be aborted.
//
// calleeEntry is the entry of the function that u's current frame calls,
// if any.
func abortOuterFramesSafe(u *unwinder, calleeEntry uintptr) bool {
	safe, _ := abortOuterFrames(u, calleeEntry)
	return safe
}

// abortOuterFrames is abortOuterFramesSafe; if the frames are safe, it
// also reports whether one of them is sync.(*Cond).Wait, so that
// abortParkedCallerSafe walks a stack once.
func abortOuterFrames(u *unwinder, calleeEntry uintptr) (safe, inCondWait bool) {
	for ; u.valid(); u.next() {
		f := u.frame.fn
		c := abortClassOf(f.srcFunc())
		if c&abortClassDeferreturn != 0 {
			return false, false
		}
		if c&abortClassCondWait != 0 {
			inCondWait = true
		}
		if calleeEntry != 0 && abortInOpenDeferredCall(&u.frame, calleeEntry) {
			return false, false
		}
		calleeEntry = f.entry()
		if c&abortClassHeld != 0 {
			return false, false
		}
		if c&abortClassSafe == 0 {
			continue
		}
		if pcdatavalue(f, abi.PCDATA_UnsafePoint, u.symPC()) == abi.UnsafePointUnsafe ||
			abortLockHeld(f, u.symPC()) {
			return false, false
		}
	}
	return true, inCondWait
}

// abortLockHeld reports whether f runs at pc with a lock held that it
// releases itself: between mu.Lock() and mu.Unlock() in the same
// function, as the compiler marks it (cmd/compile/internal/ssagen,
// abortlock.go). An abort there would leave the lock held forever.
//
//go:nosplit
func abortLockHeld(f funcInfo, pc uintptr) bool {
	return pcdatavalue(f, abi.PCDATA_AbortLockHeld, pc) == abi.AbortLockHeld
}

// abortInOpenDeferredCall reports whether frame, stopped at a call of the
// function at calleeEntry, is running one of its open-coded deferred calls.
func abortInOpenDeferredCall(frame *stkframe, calleeEntry uintptr) bool {
	fd := funcdata(frame.fn, abi.FUNCDATA_OpenCodedDeferInfo)
	if fd == nil || frame.varp == 0 {
		return false
	}
	deferBitsOffset, fd := abortReadVarint(fd)
	slotsOffset, _ := abortReadVarint(fd)
	bits := *(*uint8)(unsafe.Pointer(frame.varp - uintptr(deferBitsOffset)))
	// The slots are the topmost locals (the compiler lays them out
	// first), slot i at slots+i*PtrSize, zeroed on entry until recorded.
	slots := frame.varp - uintptr(slotsOffset)
	n := min(uintptr(slotsOffset)/goarch.PtrSize, 8)
	for i := uintptr(0); i < n; i++ {
		if bits&(1<<i) != 0 {
			continue
		}
		fv := *(**funcval)(unsafe.Pointer(slots + i*goarch.PtrSize))
		if fv != nil && fv.fn == calleeEntry {
			return true
		}
	}
	return false
}

// abortReadVarint is readvarintUnsafe for the signal handler: it cannot
// panic.
//
//go:nosplit
func abortReadVarint(fd unsafe.Pointer) (uint32, unsafe.Pointer) {
	var r uint32
	for shift := 0; shift < 32; shift += 7 {
		b := *(*uint8)(fd)
		fd = add(fd, 1)
		r |= uint32(b&0x7F) << shift
		if b < 128 {
			break
		}
	}
	return r, fd
}

// funcNamePackage returns the import path of the package of the function
// with the given symbol name.
//
//go:nosplit
func funcNamePackage(name string) string {
	// Type arguments may hold dots and slashes.
	for i := 0; i < len(name); i++ {
		if name[i] == '[' {
			name = name[:i]
			break
		}
	}
	slash := -1
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			slash = i
			break
		}
	}
	for i := slash + 1; i < len(name); i++ {
		if name[i] == '.' {
			return name[:i]
		}
	}
	return name
}

// abortSafePackage reports whether an abort panic may appear in code of
// the package with the given import path.
//
// The excluded packages hold invariants that span calls without deferred
// cleanup: runtime and scheduler state, lock protocols, file descriptors,
// timers, reflection's call frames. cgo stubs are excluded because a
// panic must not appear just before a C call.
//
// External test packages ("net/http_test") are user code whatever their
// path: nothing imports them, so they hold no invariant of the package
// they test.
//
//go:nosplit
func abortSafePackage(pkg string) bool {
	if stringslite.HasSuffix(pkg, "_test") {
		return true
	}
	if abortHeldPackage(pkg) {
		return false
	}
	switch pkg {
	case "runtime", "sync", "syscall", "os", "net", "time", "context",
		"reflect", "iter", "unique", "weak", "plugin", "testing", "crypto/tls",
		"_cgo_", "C":
		return false
	}
	// Generated functions ("type:.hash.T", "type:.eq.T") are called by
	// the runtime's map and interface code, in the middle of its work.
	for _, prefix := range [...]string{"runtime/", "internal/", "sync/", "syscall/", "os/", "net/", "vendor/", "crypto/internal/", "type:", "go:"} {
		if stringslite.HasPrefix(pkg, prefix) {
			return false
		}
	}
	if stringslite.Index(pkg, "/internal/") >= 0 || stringslite.HasSuffix(pkg, "/internal") {
		return false
	}
	return true
}

// abortHeldPackage reports whether pkg is a standard package that runs
// code, its own or its callers' callbacks, under a deferred recover that
// turns every panic into something else: fmt prints a String or Error
// method's panic as text, text/template returns a function's panic as an
// error, log/slog logs a LogValue method's panic as a value, bytes turns
// any panic while a Buffer grows into ErrTooLarge. An abort there would be
// swallowed or lose its identity, so none lands while a frame of these
// packages is on the stack: the abort waits until they return.
//
//go:nosplit
func abortHeldPackage(pkg string) bool {
	switch pkg {
	case "fmt", "bytes", "text/template", "html/template", "log/slog":
		return true
	}
	return false
}

// abortPrimitivePackage reports whether code of pkg may be the
// implementation of a wait that abortWake cancels. Frames of these
// packages are skipped when abortWake checks who waits.
func abortPrimitivePackage(pkg string) bool {
	switch pkg {
	case "runtime", "sync", "internal/sync", "internal/poll", "os", "net", "time", "syscall":
		return true
	}
	return false
}

// abortWaitEntry reports whether a goroutine parked for reason may have
// its wait cancelled when entry is the function through which the code
// that waits entered the primitive packages: the outermost frame of
// those packages on its stack.
//
// Only the entries that abort-safe code calls to wait are listed. The
// runtime, sync, os, net and time call the same primitives for their own
// purposes, holding locks, semaphores or counts that a panic would leak:
// gcStart waits on a channel for its mark workers with worldsema held,
// on the stack of whatever goroutine's allocation started the cycle;
// Cond.Wait relocks c.L after its wait, and must return holding it; os
// and net take mutexes under their own reference counts. Such a wait has
// an entry that is not listed, so it is held until it returns, whoever
// called the function that waits.
//
// Network and pipe I/O is the exception: its wait sits under several
// layers of net, os and internal/poll, all of which leave the descriptor
// usable when the wait returns an error or panics. Any method of net or
// os that reads, writes or accepts on a descriptor the caller already
// holds will do. Not the functions that make one (net.Dial closes its
// socket on an error return, not on a panic, and nothing else owns it
// yet), and not ReadFrom and WriteTo, which splice through pipes of their
// own.
func abortWaitEntry(reason waitReason, entry string) bool {
	switch reason {
	case waitReasonChanReceive, waitReasonChanReceiveNilChan:
		return entry == "runtime.chanrecv1" || entry == "runtime.chanrecv2"
	case waitReasonChanSend, waitReasonChanSendNilChan:
		return entry == "runtime.chansend1"
	case waitReasonSelect:
		return entry == "runtime.selectgo"
	case waitReasonSelectNoCases:
		return entry == "runtime.block"
	case waitReasonLockToRecv:
		return stringslite.HasPrefix(entry, "runtime.LockToRecvOSThread[")
	case waitReasonSleep:
		return entry == "time.Sleep" // runtime.timeSleep's symbol
	case waitReasonIOWait:
		return abortIOEntry(entry)
	case waitReasonSyncMutexLock:
		// RWMutex.Lock waits for another writer on its inner Mutex.
		return entry == "sync.(*Mutex).Lock" || entry == "sync.(*RWMutex).Lock"
	case waitReasonSyncRWMutexRLock:
		return entry == "sync.(*RWMutex).RLock" || entry == "sync.(*rlocker).Lock"
	case waitReasonSyncRWMutexLock:
		return entry == "sync.(*RWMutex).Lock"
	case waitReasonSyncWaitGroupWait:
		return entry == "sync.(*WaitGroup).Wait"
	case waitReasonSyncCondWait:
		return entry == "sync.(*Cond).Wait"
	}
	return false
}

// abortIOEntry reports whether entry, a function of the primitive
// packages, is a method of net or os that waits for I/O on a descriptor
// its receiver holds (abortWaitEntry).
func abortIOEntry(entry string) bool {
	pkg := funcNamePackage(entry)
	if pkg != "net" && pkg != "os" {
		return false
	}
	method := entry[len(pkg):]
	if !stringslite.HasPrefix(method, ".(") {
		return false // a function, not a method
	}
	for i := len(method) - 1; i >= 0; i-- {
		if method[i] == '.' {
			method = method[i+1:]
			break
		}
	}
	if method == "ReadFrom" || method == "WriteTo" {
		return false
	}
	return stringslite.HasPrefix(method, "Read") || stringslite.HasPrefix(method, "Write") ||
		stringslite.HasPrefix(method, "Accept")
}

// abortParkedCallerSafe reports whether gp waits where an abort may
// cancel the wait: the function it entered the primitive packages through
// is an entry that abortWaitEntry accepts for its wait reason, the code
// that called that function is code where a panic may appear, and the
// wait is not inside sync.(*Cond).Wait unless it is Wait's own. A wait
// for c.L inside Cond.Wait is the relock that Wait must return from
// holding c.L, even when c.L is the caller's own Locker whose Lock calls
// a sync.Mutex's. gp must be stopped (its scan bit held).
//
// It walks gp's stack once: abortWake's cost is mostly this walk, and the
// classes of its functions come from abortClassCache.
func abortParkedCallerSafe(gp *g) bool {
	var entry srcFunc // the outermost frame of the primitive packages so far
	inCondWait := false
	var u unwinder
	for u.init(gp, unwindSilentErrors); u.valid(); u.next() {
		sf := u.frame.fn.srcFunc()
		if c := abortClassOf(sf); c&abortClassPrimitive != 0 {
			// The outermost of the functions inlined here is the
			// frame's own, of a primitive package: the entry so far.
			// Skipping the inlined ones saves a pc-table lookup a
			// frame, most of the walk.
			entry = sf
			inCondWait = inCondWait || c&abortClassCondWait != 0
			continue
		}
		iu, uf := newInlineUnwinder(u.frame.fn, u.symPC())
		for ; uf.valid(); uf = iu.next(uf) {
			sf := iu.srcFunc(uf)
			c := abortClassOf(sf)
			if c&abortClassPrimitive != 0 {
				entry = sf
				inCondWait = inCondWait || c&abortClassCondWait != 0
				continue
			}
			if sf.funcID != abi.FuncIDNormal && sf.funcID != abi.FuncIDWrapper || c&abortClassSafe == 0 ||
				!abortWaitEntry(gp.waitreason, entry.name()) {
				return false
			}
			safe, outerCondWait := abortOuterFrames(&u, 0)
			return safe && (gp.waitreason == waitReasonSyncCondWait || !inCondWait && !outerCondWait)
		}
	}
	return false
}

// abortWake wakes gp if it is parked in a wait that an abort may cancel
// and has an abort it may take, and reports whether it did. It is called
// by Abort, by leak recovery and, because a goroutine may park after Abort
// looked at it, by park_m after every park of a goroutine that has an
// abort request.
//
//go:systemstack
func abortWake(gp *g) bool {
	// Decide with the scan bit held: nobody can ready gp meanwhile, so
	// its wait reason and wait state are stable. If the GC holds it,
	// scanning gp's stack, wait: nobody else would wake gp for the abort.
	// The GC may release the bit between the failed CAS and the status
	// read; _Gwaiting then means try again, not that gp left the wait.
	for !castogscanstatus(gp, _Gwaiting, _Gscanwaiting) {
		if s := readgstatus(gp); s != _Gscanwaiting && s != _Gwaiting {
			return false
		}
		procyield(10)
	}
	var c, binder *hchan
	var sema *uint32
	var notify *notifyList
	claimed := false
	if abortWanted(gp) && !gp.abortWoken && gp.bubble == nil && abortParkedCallerSafe(gp) {
		switch gp.waitreason {
		case waitReasonChanReceiveNilChan, waitReasonChanSendNilChan, waitReasonSelectNoCases:
			// Nothing else can ever wake gp.
			claimed = true
		case waitReasonSelect:
			// The claim every waker of a select makes.
			if gp.selectDone.CompareAndSwap(0, 1) {
				gp.param = nil // no case won: selectgo sees the abort
				claimed = true
			}
		case waitReasonChanReceive, waitReasonChanSend:
			// Claimed below, under the channel lock.
			if sg := gp.waiting; sg != nil {
				c = sg.c.get()
			}
		case waitReasonLockToRecv:
			// Claimed below, under the channel lock (lockrecv.go).
			if sg := gp.waiting; sg != nil {
				binder = sg.c.get()
			}
		case waitReasonSleep:
			// The timer function readies gp only if it runs; a stop
			// that finds it pending wins.
			if t := gp.timer; t != nil && !t.isFake && t.stop() {
				claimed = true
			}
		case waitReasonIOWait:
			// The claim netpollunblock makes. 0 is pdNil, spelled out
			// for the ports without netpoll.go (plan9).
			if gpp := (*atomic.Uintptr)(unsafe.Pointer(gp.abortWaitAddr)); gpp != nil &&
				gpp.CompareAndSwap(uintptr(unsafe.Pointer(gp)), 0) {
				netpollAdjustWaiters(-1)
				claimed = true
			}
		case waitReasonSyncMutexLock, waitReasonSyncWaitGroupWait,
			waitReasonSyncRWMutexRLock, waitReasonSyncRWMutexLock:
			// Claimed below, under the semaphore's lock.
			if sg := gp.waiting; sg != nil {
				sema = (*uint32)(sg.elem.get())
			}
		case waitReasonSyncCondWait:
			// Claimed below, under the notify list's lock.
			if sg := gp.waiting; sg != nil {
				notify = (*notifyList)(sg.elem.get())
			}
		}
	}
	if claimed {
		if !abortClaim(gp) {
			throw("abortWake: lost a claimed abort")
		}
		gp.abortWoken = true
	}
	casfrom_Gscanstatus(gp, _Gscanwaiting, _Gwaiting)
	// The objects were reachable from gp's stack while we held its scan
	// bit. No GC cycle can end before this non-preemptible code returns,
	// so they stay valid even if gp stops referring to them.
	switch {
	case c != nil:
		claimed = abortChanCancel(gp, c)
	case binder != nil:
		claimed = lockedRecvAbortCancel(gp, binder)
	case sema != nil:
		claimed = abortSemaCancel(gp, sema)
	case notify != nil:
		claimed = abortNotifyListCancel(gp, notify)
	}
	if claimed {
		ready(gp, 0, true)
	}
	return claimed
}

// abortChanCancel takes gp off the queue of channel c, where it waits in
// a plain send or receive, if no sender or receiver has taken it off yet.
// It reports whether gp is now the caller's to ready.
func abortChanCancel(gp *g, c *hchan) bool {
	lock(&c.lock)
	for _, q := range [...]*waitq{&c.recvq, &c.sendq} {
		for sg := q.first; sg != nil; sg = sg.next {
			if sg.g != gp {
				continue
			}
			// gp is in c's queue, so no waker has taken it, and it
			// cannot leave it by itself: the wait is ours to end,
			// provided the abort is still there to take.
			if sg.isSelect || !abortClaim(gp) {
				unlock(&c.lock)
				return false
			}
			q.dequeueSudoG(sg)
			sg.elem.set(nil) // as a real waker does after the copy
			sg.success = false
			gp.abortWoken = true
			unlock(&c.lock)
			return true
		}
	}
	unlock(&c.lock)
	return false
}

// goroutineExit runs as a goroutine exits, after its deferred calls: it
// closes the Done channel of its handle and clears the abort and leak
// state of gp before the runtime reuses it.
func goroutineExit(gp *g) {
	gp.abortReq.Store(0)
	gp.aborting = false
	gp.abortMask = 0
	gp.abortWoken = false
	gp.abortWaitAddr = 0
	gp.leakCounted = false // a leaked goroutine exits after leak recovery aborts it
	if h := gp.handle; h != nil {
		gp.handle = nil
		close(h.done)
	}
}

// abortUnrecovered is called by gopanic when the deferred calls of p have
// run and none recovered it. If p is an abort and the goroutine may end
// quietly (abortEndsQuietly), it exits, as with Goexit.
func abortUnrecovered(p *_panic) {
	gp := getg()
	if !isAbortPanic(p.arg) || !abortEndsQuietly(gp) {
		return
	}
	runningPanicDefers.Add(-1)
	goexit1()
}

// abortEndsQuietly reports whether an unrecovered abort ends gp quietly
// rather than crashing the program as other panics do.
//
// Only a goroutine that the program started itself, with a go statement
// in abort-safe code, ends quietly. One that a low-level package started
// runs that package's code around the user's: testing's tRunner, the
// reader of runtime/trace, the profile writer of runtime/pprof, the
// copiers of os/exec, the goroutine of time.AfterFunc. Such code counts
// on a panic of the user's code being fatal: it recovers to do part of its
// bookkeeping and panics again, or has nobody to tell that the goroutine
// is gone. Ending it quietly would hang its owner (a test binary until
// its timeout, trace.Stop, StopCPUProfile, Cmd.Wait forever); crashing,
// as upstream does for the same panic, tells the truth. The main
// goroutine's exit ends the program, so its abort crashes too, and
// GODEBUG=abortcrash=1 makes every abort crash.
func abortEndsQuietly(gp *g) bool {
	if gp.goid == 1 || debug.abortcrash != 0 {
		return false
	}
	pc := gp.gopc
	f := findfunc(pc)
	if !f.valid() {
		return false
	}
	if pc > f.entry() {
		pc -= sys.PCQuantum // the go statement's call of newproc
	}
	return abortSafeFunc(f, pc)
}

// abortRecovered is called by gorecover as it recovers p.
func abortRecovered(gp *g, p *_panic) {
	if !gp.aborting {
		return
	}
	// The abort is over unless a panic further down the chain is
	// still unwinding it.
	if !isAbortPanic(p.arg) {
		for q := p.link; q != nil; q = q.link {
			if isAbortPanic(q.arg) {
				return
			}
		}
	}
	gp.aborting = false
}

// abortNameForTraceback is printed in a goroutine's traceback header
// while it has an abort pending.
const abortNameForTraceback = ", abort pending"

// abortPendingForTraceback reports whether the header of gp's traceback
// should say that an abort is pending.
func abortPendingForTraceback(gp *g) bool {
	return gp.abortReq.Load() == gp.goid && gp.abortReq.Load() != 0
}

// abortDeferFrameReady reports whether f, a function that defers, has its
// frame complete and its defer state initialized at pc, so that a panic
// injected there finds valid defer bits and the GC may scan the frame with
// the stack map of its deferreturn call.
//
// The SP delta refuses the prologue before the frame is allocated and the
// epilogues. The compiler marks the frame zeroing and the entry block
// unsafe (cmd/compile/internal/ssagen.markDeferPrologueUnsafe and
// liveness.markDeferEntryUnsafe), but the assembler's prologue, which comes
// first, ends with instructions it marks safe after the SP delta has
// reached its maximum: on arm64 the frame pointer is saved and set there,
// on riscv64, loong64, mips and s390x the link register is stored again.
// Upstream's asynchronous preemption may stop there; an abort must not. So
// pc must also lie at or after the first unsafe point that follows the
// first instruction at the full SP delta: the start of the compiler's
// mark. On amd64, 386, arm and ppc64 the two coincide.
//
//go:nosplit
func abortDeferFrameReady(f funcInfo, pc uintptr) bool {
	most := funcMaxSPDelta(f)
	if funcspdelta(f, pc) != most {
		return false
	}
	datap := f.datap
	// The first pc at which the SP delta is most.
	p := datap.pctab[f.pcsp:]
	at, val := f.entry(), int32(-1)
	framed := uintptr(0)
	for {
		prev := at
		var ok bool
		if p, ok = step(p, &at, &val, at == f.entry()); !ok {
			return false
		}
		if val == most { // val applies to [prev, at)
			framed = prev
			break
		}
	}
	if pc < framed {
		return false
	}
	// The first unsafe point at or after it.
	if abi.PCDATA_UnsafePoint >= f.npcdata {
		return false
	}
	off := pcdatastart(f, abi.PCDATA_UnsafePoint)
	if off == 0 {
		return false
	}
	p = datap.pctab[off:]
	at, val = f.entry(), int32(-1)
	for {
		prev := at
		var ok bool
		if p, ok = step(p, &at, &val, at == f.entry()); !ok {
			return false
		}
		if val == abi.UnsafePointUnsafe && at > framed {
			return pc >= max(prev, framed)
		}
	}
}
