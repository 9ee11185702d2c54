// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package testdeps

import (
	"context"
	"internal/profilerecord"
	"runtime/pprof"
	_ "unsafe" // for go:linkname
)

// goroutineLeaks is implemented in runtime/pprof/goleakgc.go.
//
//go:linkname goroutineLeaks runtime/pprof.goroutineLeaks
func goroutineLeaks(key, value string) []profilerecord.LeakedGoroutine

// GoroutineLeaks returns the goroutines that are blocked forever and carry
// the profiler label key=value (all of them if value is empty), for
// go test -goleakgc.
func (TestDeps) GoroutineLeaks(key, value string) []profilerecord.LeakedGoroutine {
	return goroutineLeaks(key, value)
}

// WithGoroutineLabel returns ctx with the profiler label key=value added.
func (TestDeps) WithGoroutineLabel(ctx context.Context, key, value string) context.Context {
	return pprof.WithLabels(ctx, pprof.Labels(key, value))
}

// SetGoroutineLabels sets the calling goroutine's profiler labels to those
// of ctx.
func (TestDeps) SetGoroutineLabels(ctx context.Context) {
	pprof.SetGoroutineLabels(ctx)
}
