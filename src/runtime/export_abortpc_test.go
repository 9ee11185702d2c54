// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build unix || windows

package runtime

import (
	"internal/abi"
	"internal/runtime/sys"
)

// AbortAsyncPCs returns the pcs of the function whose entry is entry at
// which the preemption signal could deliver an abort, by the checks of the
// pc alone that isAsyncSafePoint and abortAtAsyncSafePoint make (the
// goroutine's state and its outer frames aside).
func AbortAsyncPCs(entry uintptr) []uintptr {
	f := findfunc(entry)
	if !f.valid() || f.entry() != entry {
		return nil
	}
	// The end of the function's code: where its SP delta table ends.
	end, val := entry, int32(-1)
	for p := f.datap.pctab[f.pcsp:]; ; {
		var ok bool
		if p, ok = step(p, &end, &val, end == entry); !ok {
			break
		}
	}
	var pcs []uintptr
	for pc := entry; pc < end; pc += sys.PCQuantum {
		if pcdatavalue(f, abi.PCDATA_UnsafePoint, pc) == abi.UnsafePointUnsafe {
			continue
		}
		if !abortSafeFunc(f, pc) || abortLockHeld(f, pc) {
			continue
		}
		if f.deferreturn != 0 && !abortDeferFrameReady(f, pc) {
			continue
		}
		pcs = append(pcs, pc)
	}
	return pcs
}
