// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

#include "go_asm.h"
#include "textflag.h"

// func abortReturnTrap()
// Entered by the RET of the function whose return address it replaced,
// with that function's results in registers and R14 = g, as in the
// caller. R12 and R13 hold no results (ABIInternal).
TEXT runtime·abortReturnTrap(SB),NOSPLIT|NOFRAME,$0-0
	MOVQ	$const_stackPreempt, R12
	MOVQ	R12, g_stackguard0(R14)
	MOVQ	g_abortTrapPC(R14), R12
	JMP	R12
