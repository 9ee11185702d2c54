// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

#include "go_asm.h"
#include "go_tls.h"
#include "textflag.h"

// func abortReturnTrap()
// Entered by the RET of the function whose return address it replaced.
// Results are in memory (ABI0): no register holds anything the caller
// reads.
TEXT runtime·abortReturnTrap(SB),NOSPLIT|NOFRAME,$0-0
	get_tls(CX)
	MOVL	g(CX), AX
	MOVL	$const_stackPreempt, CX
	MOVL	CX, g_stackguard0(AX)
	MOVL	g_abortTrapPC(AX), CX
	JMP	CX
