// run -gcflags=-l

// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Test, with inlining off, that an abort never lands between a Lock of a sync.Mutex or
// sync.RWMutex and the Unlock that releases it in the same function, on
// any path between them and by either delivery path (at a call, or by the
// preemption signal in a loop without calls), and that a goroutine
// waiting for such a lock can still be aborted.

package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

type state struct {
	mu    sync.Mutex
	rw    sync.RWMutex
	inner struct{ mu sync.Mutex }
	m     map[int]int
	n     int
}

type embedded struct {
	sync.Mutex
	n int
}

var (
	s     = &state{m: map[int]int{}}
	e     embedded
	gmu   sync.Mutex
	sink  int
	gate  sync.Mutex
	steps int
)

//go:noinline
func work(i int) int { return i*3 + 1 }

var cases = []struct {
	name string
	f    func(i int)
}{
	{"calls", func(i int) {
		s.mu.Lock()
		s.m[i%1000] = work(i) // calls into the runtime and user code
		s.mu.Unlock()
	}},
	{"loop", func(i int) {
		s.mu.Lock()
		for j := 0; j < 1000; j++ { // no calls: only the signal reaches it
			s.n += j
		}
		s.mu.Unlock()
	}},
	{"global", func(i int) {
		gmu.Lock()
		sink += work(i)
		gmu.Unlock()
	}},
	{"field", func(i int) {
		s.inner.mu.Lock()
		sink += work(i)
		s.inner.mu.Unlock()
	}},
	{"embedded", func(i int) {
		e.Lock()
		e.n += work(i)
		e.Unlock()
	}},
	{"rlock", func(i int) {
		s.rw.RLock()
		sink += work(i)
		s.rw.RUnlock()
	}},
	{"wlock", func(i int) {
		s.rw.Lock()
		sink += work(i)
		s.rw.Unlock()
	}},
	{"branches", func(i int) {
		s.mu.Lock()
		if i%2 == 0 {
			sink += work(i)
			s.mu.Unlock()
			return
		}
		for j := 0; j < 10; j++ {
			sink += work(j)
		}
		s.mu.Unlock()
	}},
	{"crossed", func(i int) {
		s.mu.Lock()
		gmu.Lock()
		sink += work(i)
		s.mu.Unlock()
		sink += work(i) // gmu still held
		gmu.Unlock()
	}},
	{"trylock", func(i int) {
		if s.mu.TryLock() {
			sink += work(i)
			s.mu.Unlock()
		}
	}},
}

// free reports which lock the aborted goroutine left held, if any.
func free() string {
	for _, l := range []struct {
		name string
		mu   interface{ TryLock() bool }
	}{{"s.mu", &s.mu}, {"gmu", &gmu}, {"s.inner.mu", &s.inner.mu}, {"e", &e.Mutex}, {"s.rw", &s.rw}} {
		if !l.mu.TryLock() {
			return l.name
		}
		l.mu.(interface{ Unlock() }).Unlock()
	}
	return ""
}

func run(name string, f func(int), delay time.Duration) {
	handles := make(chan *runtime.GoroutineHandle)
	go func() {
		defer func() { recover() }()
		handles <- runtime.GetGoroutineHandle()
		for i := 0; ; i++ {
			f(i)
			sink += work(i) // outside every lock: the abort lands here
		}
	}()
	h := <-handles
	time.Sleep(delay)
	h.Abort()
	select {
	case <-h.Done():
	case <-time.After(time.Minute):
		panic(name + ": not aborted in a minute")
	}
	if held := free(); held != "" {
		panic(fmt.Sprintf("%s: an abort left %s locked", name, held))
	}
}

func main() {
	for round := 0; round < 30; round++ {
		for _, c := range cases {
			run(c.name, c.f, time.Duration(round%10)*20*time.Microsecond)
		}
	}

	// The wait for a lock stays cancellable: the goroutine holds nothing.
	gate.Lock()
	handles := make(chan *runtime.GoroutineHandle)
	go func() {
		defer func() { recover() }()
		handles <- runtime.GetGoroutineHandle()
		gate.Lock()
		steps++
		gate.Unlock()
	}()
	h := <-handles
	time.Sleep(10 * time.Millisecond)
	h.Abort()
	select {
	case <-h.Done():
	case <-time.After(time.Minute):
		panic("a goroutine waiting in Lock was not aborted")
	}
	gate.Unlock()
	if steps != 0 {
		panic("the aborted waiter took the lock")
	}
}
