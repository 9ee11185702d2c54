// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"slices"
	"testing"

	"cmd/vet/internal/abortsafe"
)

func TestOffByDefault(t *testing.T) {
	for _, tt := range []struct {
		args      []string
		abortsafe bool
	}{
		{nil, false},
		{[]string{"vet.cfg"}, false},
		{[]string{"-printf", "vet.cfg"}, false},
		{[]string{"-printf=false", "vet.cfg"}, false},
		{[]string{"-V=full"}, false},
		{[]string{"-abortsafer", "vet.cfg"}, false},
		{[]string{"-c", "abortsafe", "vet.cfg"}, false},

		{[]string{"-flags"}, true},
		{[]string{"--flags"}, true},
		{[]string{"help"}, true},
		{[]string{"help", "abortsafe"}, true},
		{[]string{"-abortsafe", "vet.cfg"}, true},
		{[]string{"--abortsafe", "vet.cfg"}, true},
		{[]string{"-abortsafe=true", "vet.cfg"}, true},
		{[]string{"-printf", "-abortsafe=1", "vet.cfg"}, true},
		// Registered, so that the flag exists; the driver turns it off.
		{[]string{"-abortsafe=false", "vet.cfg"}, true},
	} {
		got := withOffByDefault(suite, tt.args)
		if !slices.Equal(got[:len(suite)], suite) {
			t.Errorf("withOffByDefault(suite, %q) changed the suite", tt.args)
		}
		if has := slices.Contains(got, abortsafe.Analyzer); has != tt.abortsafe || len(got) > len(suite)+1 {
			t.Errorf("withOffByDefault(suite, %q): %d analyzers, abortsafe %v; want %d, abortsafe %v",
				tt.args, len(got), has, len(suite)+btoi(tt.abortsafe), tt.abortsafe)
		}
	}
	if slices.Contains(suite, abortsafe.Analyzer) {
		t.Errorf("abortsafe is in the default suite")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
