// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build 386 || amd64 || arm || arm64

package runtime

import "internal/abi"

// abortReturnTrap is where a function returns whose return address
// abortArmAtReturn replaced: it arms the goroutine's stack guard, as
// sysmon does, and jumps to the return address it replaced
// (g.abortTrapPC). The registers hold the function's results, which it
// leaves alone. Implemented in assembly (abort_returntrap_*.s).
func abortReturnTrap()

// abortReturnTrapPC returns the address that abortArmAtReturn writes in
// place of a return address, or 0 where there is none.
//
//go:nosplit
func abortReturnTrapPC() uintptr { return abi.FuncPCABI0(abortReturnTrap) }
