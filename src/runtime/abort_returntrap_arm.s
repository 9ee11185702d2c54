// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

#include "go_asm.h"
#include "textflag.h"

// func abortReturnTrap()
// Entered by the RET of the function whose return address it replaced.
// Results are in memory (ABI0): no register but g holds anything the
// caller reads.
TEXT runtime·abortReturnTrap(SB),NOSPLIT|NOFRAME,$0-0
	MOVW	$const_stackPreempt, R1
	MOVW	R1, g_stackguard0(g)
	MOVW	g_abortTrapPC(g), R1
	B	(R1)
