// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime

// RaceIgnoreDepth is how many race.Disable calls of the calling goroutine
// are not yet undone. An abort that leaves package sync through a wait it
// cancelled must leave it at the depth it had on entry.
func RaceIgnoreDepth() int8 { return getg().raceignore }
