// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package testdeps

import (
	"internal/profilerecord"
	_ "unsafe" // for go:linkname
)

// goroutineLeaks is implemented in runtime/pprof/goleakgc.go.
//
//go:linkname goroutineLeaks runtime/pprof.goroutineLeaks
func goroutineLeaks(test uint32) []profilerecord.LeakedGoroutine

// GoroutineLeaks returns the goroutines that are blocked forever and belong
// to test (all of them if test is 0), for go test -goleakgc.
func (TestDeps) GoroutineLeaks(test uint32) []profilerecord.LeakedGoroutine {
	return goroutineLeaks(test)
}
