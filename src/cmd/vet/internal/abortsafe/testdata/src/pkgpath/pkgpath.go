// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// This file is checked under many package paths: its lock is reported
// only where aborts land.

package pkgpath

import "sync"

var mu sync.Mutex

func lock() {
	mu.Lock()
}
