// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package time

import _ "unsafe" // for go:linkname

// Under go test -goleakgc, a goroutine belongs to the test that started
// it (runtime/goleakgc.go). The goroutine of an AfterFunc timer is
// started by whatever runs the timer, so the timer carries the test of the
// goroutine that created it and its goroutine starts in that test.

// leakTestFunc is the argument of an AfterFunc timer created by a
// goroutine that belongs to a test.
type leakTestFunc struct {
	f    func()
	test uint32
}

// runtime_goroutineLeakTest is implemented in runtime/goleakgc.go.
func runtime_goroutineLeakTest() uint32

// runtime_goAfterFunc is implemented in runtime/goleakgc.go.
func runtime_goAfterFunc(f func(), test uint32)

// afterFuncArg returns the argument of goFunc for an AfterFunc timer of f.
func afterFuncArg(f func()) any {
	if test := runtime_goroutineLeakTest(); test != 0 {
		return &leakTestFunc{f, test}
	}
	return f
}
