// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build !(386 || amd64 || arm || arm64)

package runtime

// abortReturnTrapPC returns 0: this architecture has no abortReturnTrap,
// and abortArmAtReturn sets no trap. An abort that waits for a goroutine
// to leave code where it cannot land is left to sysmon's retries.
//
//go:nosplit
func abortReturnTrapPC() uintptr { return 0 }
