// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"slices"
	"strings"

	"cmd/vet/internal/abortsafe"

	"golang.org/x/tools/go/analysis"
)

// offByDefault lists the analyzers that, unlike those of the suite, run
// only when their flag is given. abortsafe reports code that is only
// wrong if the program aborts goroutines (runtime.(*GoroutineHandle).Abort).
var offByDefault = []*analysis.Analyzer{
	abortsafe.Analyzer,
}

// withOffByDefault returns suite followed by those analyzers of
// offByDefault that args, the command line, names.
//
// The analyzers are also registered, so that their flags are defined,
// when the command line asks for the flags (cmd/go runs "vet -flags" to
// learn which flags it may pass on, so -abortsafe must be there) or for
// help. Otherwise they are left out: the driver runs every analyzer it
// has when no -NAME flag is true, so an analyzer that was merely present
// would run on a plain "go vet". Named as -NAME=false, an analyzer is
// registered and the driver turns it off.
func withOffByDefault(suite []*analysis.Analyzer, args []string) []*analysis.Analyzer {
	named := make(map[string]bool)
	for _, arg := range args {
		if arg == "help" {
			return slices.Concat(suite, offByDefault)
		}
		name, ok := strings.CutPrefix(arg, "-")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "-")
		name, _, _ = strings.Cut(name, "=")
		if name == "flags" {
			return slices.Concat(suite, offByDefault)
		}
		// -NAME enables an analyzer, -NAME.FLAG sets one of its flags.
		name, _, _ = strings.Cut(name, ".")
		named[name] = true
	}
	all := slices.Clone(suite)
	for _, a := range offByDefault {
		if named[a.Name] {
			all = append(all, a)
		}
	}
	return all
}
