// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime

import "internal/runtime/atomic"

// Function classes: what the abort checks need to know of a function by
// its name. abortWake's walk of a parked goroutine and the signal
// handler's check of an interrupted one look at every frame, the inlined
// ones included; deriving these from the name (funcNamePackage and the
// package lists) was most of the cost of aborting a blocked goroutine.
const (
	abortClassSafe        = 1 << iota // abortSafePackage
	abortClassHeld                    // abortHeldPackage
	abortClassPrimitive               // abortPrimitivePackage
	abortClassAtomic                  // a function of sync/atomic
	abortClassDeferreturn             // runtime.deferreturn
	abortClassCondWait                // sync.(*Cond).Wait
	abortClassKnown                   // the entry is filled in

	abortClassBits = 7
)

// abortClassCache maps the names of the first module's functions to their
// classes. A slot holds nameOff<<abortClassBits | class, abortClassKnown
// set, or 0. Each slot is written whole by one atomic store by whoever
// computes a class first, so a reader sees an entry for some name or
// none, and two writers of one slot each store a correct entry: no lock is
// needed, and the signal handler may read and fill the cache. A word per
// slot, not two: 64-bit atomics take a lock on some 32-bit ports.
var abortClassCache [1024]atomic.Uint32

// abortClassOf returns the class of the function sf.
//
//go:nosplit
func abortClassOf(sf srcFunc) uint32 {
	key := uint32(sf.nameOff)
	if sf.datap != &firstmoduledata || key >= 1<<(32-abortClassBits) {
		return abortClassOfName(sf.name())
	}
	slot := &abortClassCache[(key*0x9e3779b1)>>(32-10)]
	if e := slot.Load(); e>>abortClassBits == key && e&abortClassKnown != 0 {
		return e & (1<<abortClassBits - 1)
	}
	c := abortClassOfName(sf.name())
	slot.Store(key<<abortClassBits | c)
	return c
}

// abortClassOfName returns the class of the function with the given
// symbol name.
//
//go:nosplit
func abortClassOfName(name string) uint32 {
	c := uint32(abortClassKnown)
	pkg := funcNamePackage(name)
	if abortSafePackage(pkg) {
		c |= abortClassSafe
	}
	if abortHeldPackage(pkg) {
		c |= abortClassHeld
	}
	if abortPrimitivePackage(pkg) {
		c |= abortClassPrimitive
	}
	if pkg == "sync/atomic" {
		c |= abortClassAtomic
	}
	switch name {
	case "runtime.deferreturn":
		c |= abortClassDeferreturn
	case "sync.(*Cond).Wait":
		c |= abortClassCondWait
	}
	return c
}
