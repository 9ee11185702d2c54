// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime

import "internal/abi"

// abortSigpanicPC returns the entry the signal handler injects to deliver
// an abort: sigpanic0 sets up the ABIInternal registers, as for a fault.
//
//go:nosplit
func abortSigpanicPC() uintptr { return abi.FuncPCABI0(sigpanic0) }
