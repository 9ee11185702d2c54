// run

// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Test that Abort stops goroutines in each state a program can leave them
// in, that their deferred calls run, and that the primitives they were
// blocked on keep working.

package main

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

var hold sync.Mutex

func start(name string, f func()) (h *runtime.GoroutineHandle, result chan string) {
	result = make(chan string, 1)
	handles := make(chan *runtime.GoroutineHandle)
	go func() {
		defer func() {
			err, _ := recover().(error)
			result <- fmt.Sprint(name, ": ", errors.Is(err, errAborted()))
		}()
		handles <- runtime.GetGoroutineHandle()
		f()
	}()
	return <-handles, result
}

func errAborted() error { return runtime.ErrAborted }

//go:noinline
func spin(p *int) {
	for {
		*p++
	}
}

func main() {
	hold.Lock()
	var wg sync.WaitGroup
	wg.Add(1)
	c := make(chan int)
	blocked := make(chan int) // nobody ever sends: the aborted sender must not pair with the receiver
	n := 0
	cases := []struct {
		name string
		f    func()
	}{
		{"spin", func() { spin(&n) }},
		{"recv", func() { <-c }},
		{"send", func() { blocked <- 1 }},
		{"select", func() { select {} }},
		{"sleep", func() { time.Sleep(time.Hour) }},
		{"mutex", func() { hold.Lock() }},
		{"waitgroup", func() { wg.Wait() }},
	}
	var handles []*runtime.GoroutineHandle
	var results []chan string
	for _, tc := range cases {
		h, r := start(tc.name, tc.f)
		handles = append(handles, h)
		results = append(results, r)
	}
	time.Sleep(20 * time.Millisecond)
	for _, h := range handles {
		h.Abort()
	}
	for i, h := range handles {
		<-h.Done()
		if got, want := <-results[i], cases[i].name+": true"; got != want {
			panic(fmt.Sprintf("got %q, want %q", got, want))
		}
	}
	// The primitives still work.
	hold.Unlock()
	hold.Lock()
	hold.Unlock()
	go func() { c <- 2 }()
	if v := <-c; v != 2 {
		panic(fmt.Sprint("received ", v))
	}
	wg.Done()
	wg.Wait()
}
