// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Command abortdemo is the module that misc/goleash/ecosystem.bash points
// gopls, staticcheck and govulncheck at. It uses Goleash's goroutine
// handles, so it builds only with the fork, and calls net/http, on which
// the script's vulnerability database has its entries.
package main

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
)

// work hands its goroutine's handle to main, then waits for a value that
// never comes: only an abort ends it. It sends what it recovered on out.
func work(handles chan<- *runtime.GoroutineHandle, out chan<- any) {
	defer func() { out <- recover() }()
	handles <- runtime.GetGoroutineHandle()
	<-make(chan struct{})
}

func main() {
	handles := make(chan *runtime.GoroutineHandle)
	out := make(chan any, 1)
	go work(handles, out)
	h := <-handles
	h.Abort()
	<-h.Done()
	if r := <-out; r != runtime.ErrAborted {
		fmt.Fprintf(os.Stderr, "abortdemo: %v recovered %v, want runtime.ErrAborted\n", h, r)
		os.Exit(1)
	}
	fmt.Printf("%v: %v; server says %q\n", h, runtime.ErrAborted, http.StatusText(http.StatusServiceUnavailable))
}
