// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

#include "go_asm.h"
#include "textflag.h"

// func abortReturnTrap()
// Entered by the RET of the function whose return address it replaced,
// with that function's results in registers. R16 and R17 hold no
// results (ABIInternal).
TEXT runtime·abortReturnTrap(SB),NOSPLIT|NOFRAME,$0-0
	MOVD	$const_stackPreempt, R16
	MOVD	R16, g_stackguard0(g)
	MOVD	g_abortTrapPC(g), R16
	JMP	(R16)
