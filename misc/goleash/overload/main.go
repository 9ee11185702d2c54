// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Overload reproduces, at the scale of a small machine, the incident behind
// runtime.(*GoroutineHandle).Abort (golang/go#50678): an API server whose
// clients all re-LIST at once, time out while the server marshals their
// large responses, and retry, while the server goes on marshaling for
// clients that have left. It runs the same flood against the server with
// http.AbortAbandonedHandler off and on and reports memory, CPU, goroutines
// and the time until every client was served.
//
// Usage:
//
//	overload run [-out DIR] [flags]   both runs, DIR/results.json and DIR/samples-{off,on}.csv
//	overload server [flags]           the server alone (what run starts twice)
//
// See README.md.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: overload run|server [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runScenario(os.Args[2:])
	case "server":
		err = runServer(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "overload:", err)
		os.Exit(1)
	}
}
