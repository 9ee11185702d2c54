// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package profilerecord

// LeakedGoroutine describes a goroutine that the last leak-detection
// garbage collection found blocked forever (status _Gleaked).
type LeakedGoroutine struct {
	ID         uint64    // goroutine ID, as in tracebacks
	ParentID   uint64    // ID of the goroutine that created it
	GoPC       uintptr   // return PC of the go statement that created it
	WaitReason string    // what it waits for: "chan send", "sync.Mutex.Lock", ...
	Test       uint32    // the go test -goleakgc test it belongs to (runtime's g.leakTest); 0 if none
	Stack      []uintptr // return PCs of its stack, innermost first
}
