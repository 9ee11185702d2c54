// run

// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Test that a program built by Goleash knows it: runtime.Version names the
// fork and its go1.26.8 base, in the form cmd/go understands.

package main

import (
	"regexp"
	"runtime"
)

func main() {
	v := runtime.Version()
	if !regexp.MustCompile(`^go1\.26\.8 goleash[0-9]+(-X:\S+)?$`).MatchString(v) {
		panic("runtime.Version() = " + v + ", want go1.26.8 goleashN")
	}
}
