// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// This file is checked by the abortsafe analyzer. A "want" comment
// gives regular expressions that the reports of its line must match,
// one report each.

package a

import (
	"runtime"
	"sync"
)

var mu sync.Mutex
var rw sync.RWMutex
var m = map[string]int{}

// Reported: locks released in another function.

func lockOnly() {
	mu.Lock() // want `^mu\.Lock\(\) is not unlocked in this function: an abort landing before the unlock in another function leaves mu locked forever; defer mu\.Unlock\(\) here, or run the critical section inside runtime\.MaskAbort$`
}

func unlockOnly() {
	mu.Unlock()
}

func rlockOnly() {
	rw.RLock() // want `rw\.RLock\(\) is not unlocked in this function.*defer rw\.RUnlock\(\) here`
}

func rwLockOnly() {
	rw.Lock() // want `rw\.Lock\(\) is not unlocked in this function.*defer rw\.Unlock\(\) here`
}

func tryLockHeld() bool {
	if mu.TryLock() { // want `mu\.TryLock\(\) is not unlocked in this function`
		m["k"]++
		return true // the caller unlocks
	}
	return false
}

func tryRLockHeld() bool {
	return rw.TryRLock() // want `rw\.TryRLock\(\) is not unlocked in this function.*defer rw\.RUnlock\(\)`
}

// Another mutex, or another variable of the same name, is not an unlock.
func otherMutex() {
	var mu2 sync.Mutex
	mu.Lock() // want `mu\.Lock\(\) is not unlocked`
	mu2.Unlock()
}

func shadowed() {
	mu.Lock() // want `mu\.Lock\(\) is not unlocked`
	{
		var mu sync.Mutex
		mu.Unlock()
	}
}

// An unlock in a function literal is in another function, and so is an
// unlock of a lock taken by one.
func unlockInLiteral() {
	mu.Lock() // want `mu\.Lock\(\) is not unlocked`
	func() {
		mu.Unlock()
	}()
}

func lockInLiteral() {
	func() {
		mu.Lock() // want `mu\.Lock\(\) is not unlocked`
	}()
	mu.Unlock()
}

func unlockInGoroutine() {
	mu.Lock() // want `mu\.Lock\(\) is not unlocked`
	go func() {
		defer mu.Unlock()
	}()
}

// A deferred call of a function that unlocks is not a deferred unlock.
func (s *S) unlock() { s.mu.Unlock() }

func (s *S) deferHelper() {
	s.mu.Lock() // want `s\.mu\.Lock\(\) is not unlocked.*defer s\.mu\.Unlock\(\) here`
	defer s.unlock()
}

// Not reported: the compiler pairs these, or the unlock is deferred.

func paired() {
	mu.Lock()
	m["k"] = 1
	mu.Unlock()
}

func pairedBranches(b bool) int {
	rw.RLock()
	if b {
		rw.RUnlock()
		return 1
	}
	n := m["k"]
	rw.RUnlock()
	return n
}

func pairedTryLock() {
	if mu.TryLock() {
		m["k"]++
		mu.Unlock()
	}
}

func pairedRWLock() {
	rw.Lock()
	m["k"] = 2
	rw.Unlock()
}

func deferred() {
	mu.Lock()
	defer mu.Unlock()
	m["k"] = 3
}

func deferredRLock() int {
	rw.RLock()
	defer rw.RUnlock()
	return m["k"]
}

func deferredLiteral() {
	mu.Lock()
	defer func() {
		mu.Unlock()
	}()
	m["k"] = 4
}

func lockInLiteralPaired() {
	f := func() {
		mu.Lock()
		m["k"] = 5
		mu.Unlock()
	}
	f()
}

// Field paths, &, parentheses and method expressions name the same mutex.
type S struct {
	mu    sync.Mutex
	inner struct{ mu sync.RWMutex }
	n     int
}

func (s *S) fieldAddr() {
	s.mu.Lock()
	(&s.mu).Unlock()
}

func (s *S) fieldParen() {
	(s.inner.mu).RLock()
	defer s.inner.mu.RUnlock()
}

func (s *S) methodExpr() {
	(*sync.Mutex).Lock(&s.mu)
	s.mu.Unlock()
}

func deref(p *sync.Mutex) {
	(*p).Lock()
	p.Unlock()
}

func (s *S) fieldMismatch(t *S) {
	s.mu.Lock() // want `s\.mu\.Lock\(\) is not unlocked`
	t.mu.Unlock()
}

// Masked: the whole section runs with aborts held.
func masked() {
	runtime.MaskAbort(func() {
		mu.Lock()
		s := &S{}
		s.helperUnlocks()
	})
	runtime.MaskAbort(func() {
		func() {
			rw.Lock() // called by the masked literal, so masked too
		}()
		rw.Unlock()
	})
	runtime.MaskAbort(func() {
		go func() {
			rw.RLock() // want `rw\.RLock\(\) is not unlocked`
		}()
	})
}

func (s *S) helperUnlocks() { mu.Unlock() }

// A function literal that is not passed to MaskAbort itself is not masked.
func maskedIndirect() {
	f := func() {
		mu.Lock() // want `mu\.Lock\(\) is not unlocked`
	}
	runtime.MaskAbort(f)
}

// Embedded mutexes: s.Lock() locks s.Mutex.
type E struct {
	sync.Mutex
	n int
}

type RW struct {
	*sync.RWMutex
}

type Outer struct {
	E
}

func (e *E) embedded() {
	e.Lock()
	e.n++
	e.Unlock()
}

func (e *E) embeddedField() {
	e.Lock()
	e.Mutex.Unlock()
}

func (e *E) embeddedDeferred() {
	e.Mutex.Lock()
	defer e.Unlock()
}

func (o *Outer) embeddedDeep() {
	o.Lock()
	o.E.Mutex.Unlock()
}

func (o *Outer) embeddedDeep2() {
	o.E.Lock()
	o.Unlock()
}

func (e *E) embeddedReported() {
	e.Lock() // want `e\.Lock\(\) is not unlocked in this function.*leaves e locked forever; defer e\.Unlock\(\) here`
}

func (r RW) embeddedRW() {
	r.RLock()
	r.RUnlock()
}

func (r RW) embeddedRWReported() {
	r.Lock() // want `r\.Lock\(\) is not unlocked`
}

// A type with an Unlock method of its own does not unlock the embedded
// mutex that its Lock is promoted from.
type Own struct {
	sync.Mutex
}

func (o *Own) Unlock() { o.Mutex.Unlock() }

func (o *Own) ownUnlock() {
	o.Lock() // want `o\.Lock\(\) is not unlocked`
	o.Unlock()
}

// Interfaces: the compiler does not pair a call through an interface.

type rlocker interface {
	RLock()
	RUnlock()
}

type lockFrobber interface {
	sync.Locker
	Frob()
}

// Lock is not a lock if the interface cannot unlock.
type lockOnlyIface interface {
	Lock()
}

func iface(l sync.Locker, r rlocker, f lockFrobber, lo lockOnlyIface) {
	l.Lock() // want `^l\.Lock\(\) locks through an interface, which the compiler cannot pair with its unlock: if l is a sync mutex, an abort landing before the unlock leaves it locked forever; defer l\.Unlock\(\) here, or run the critical section inside runtime\.MaskAbort$`
	l.Unlock()

	r.RLock() // want `r\.RLock\(\) locks through an interface.*defer r\.RUnlock\(\) here`
	r.RUnlock()

	f.Lock() // want `f\.Lock\(\) locks through an interface`
	f.Unlock()

	lo.Lock()

	rw.RLocker().Lock() // want `rw\.RLocker\(\)\.Lock\(\) locks through an interface`
}

func ifaceDeferred(l sync.Locker) {
	l.Lock()
	defer l.Unlock()
}

func ifaceDeferredOther(l, l2 sync.Locker) {
	l.Lock() // want `l\.Lock\(\) locks through an interface`
	defer l2.Unlock()
}

func ifaceMasked(l sync.Locker) {
	runtime.MaskAbort(func() {
		l.Lock()
		l.Unlock()
	})
}

func generic[L sync.Locker](l L) {
	l.Lock() // want `l\.Lock\(\) locks through an interface`
	l.Unlock()
}

func genericDeferred[L sync.Locker](l L) {
	l.Lock()
	defer l.Unlock()
}

type lockerField struct {
	sync.Locker
}

func (lf lockerField) embeddedIface() {
	lf.Lock()
	defer lf.Locker.Unlock()
}

// A package-level function literal is a function too.
var lockAtInit = func() {
	mu.Lock() // want `mu\.Lock\(\) is not unlocked`
}
