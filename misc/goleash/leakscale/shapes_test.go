// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package leakscale measures how the cost of a goroutine leak detection
// cycle grows with the number of blocked goroutines and the shape of the
// graph of who can wake whom, against a plain GC cycle on the same heap.
//
// A leaked goroutine can never be woken again, so each population is built
// once per process: the shape and the size come from flags, and run.bash
// runs one process per shape and size, alternating go1.26.8 and the fork.
package leakscale

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"testing"
	"time"
)

var (
	shapeFlag = flag.String("leakscale.shape", "flat", "wait graph of the population: flat, chain, tree or cyclic")
	sizeFlag  = flag.Int("leakscale.n", 1000, "number of blocked goroutines")
)

type token struct{}

// roots is what the benchmark keeps reachable: the goroutines blocked on
// something reachable from here are not leaked, the others are.
var roots []any

// ballastNode makes a 16 MiB heap of small pointerful objects, so that a
// plain GC cycle has real marking work besides the goroutines.
type ballastNode struct {
	next *ballastNode
	pad  [7]uintptr
}

func addBallast() {
	var head *ballastNode
	for range 16 << 20 / 64 {
		head = &ballastNode{next: head}
	}
	roots = append(roots, head)
}

// stage passes tokens from in to out: blocked in receive, it holds out on
// its stack, so out can be reached only once stage's stack is a root.
func stage(in <-chan token, out chan<- token) {
	for v := range in {
		out <- v
	}
	close(out)
}

// node passes tokens from in to each of its children.
func node(in <-chan token, kids []chan token) {
	for v := range in {
		for _, k := range kids {
			k <- v
		}
	}
}

// paddedMutex is too big for the tiny allocator: a live and a leaked
// sync.Mutex sharing a 16-byte tiny block would be marked together, and the
// leaked one's waiter would not be found leaked (by any toolchain).
type paddedMutex struct {
	sync.Mutex
	_ [16]byte
}

// flat blocks n goroutines on objects of their own, a third on channel
// receives, a third on sync.Mutex.Lock and a third in a two-case select;
// the objects of all but the last tenth are kept reachable.
func flat(n int) (leaked int) {
	live := n - n/10
	for i := range n {
		var keep []any
		switch i % 3 {
		case 0:
			c := make(chan token)
			go func() { <-c }()
			keep = append(keep, c)
		case 1:
			mu := new(paddedMutex)
			mu.Lock()
			go func() { mu.Lock() }()
			keep = append(keep, mu)
		case 2:
			c1, c2 := make(chan token), make(chan token)
			go func() {
				select {
				case <-c1:
				case c2 <- token{}:
				}
			}()
			keep = append(keep, c1, c2)
		}
		if i < live {
			roots = append(roots, keep...)
		}
	}
	return n - live
}

// chain blocks n goroutines in a pipeline: each stage waits on the channel
// that only the previous stage's stack holds. The detector of go1.26.8
// needs one stop-the-world round per stage to see that the live pipeline
// can run.
func chain(n int) (leaked int) {
	pipeline := func(n int) chan token {
		head := make(chan token)
		in := head
		for range n {
			out := make(chan token)
			go stage(in, out)
			in = out
		}
		return head
	}
	leaked = n / 10
	roots = append(roots, pipeline(n-leaked))
	pipeline(leaked)
	return leaked
}

// tree blocks n goroutines in a binary tree: each node waits on the channel
// that only its parent's stack holds.
func tree(n int) (leaked int) {
	build := func(n int) chan token {
		cs := make([]chan token, n)
		for i := range cs {
			cs[i] = make(chan token)
		}
		for i := range cs {
			var kids []chan token
			for _, k := range []int{2*i + 1, 2*i + 2} {
				if k < n {
					kids = append(kids, cs[k])
				}
			}
			go node(cs[i], kids)
		}
		return cs[0]
	}
	leaked = n / 10
	roots = append(roots, build(n-leaked))
	build(leaked)
	return leaked
}

// cyclic blocks n goroutines in rings: each waits on the channel that only
// the previous goroutine of its ring holds. One channel of the live ring is
// reachable; no channel of the leaked ring is.
func cyclic(n int) (leaked int) {
	ring := func(n int) chan token {
		cs := make([]chan token, n)
		for i := range cs {
			cs[i] = make(chan token)
		}
		for i := range cs {
			go stage(cs[i], cs[(i+1)%n])
		}
		return cs[0]
	}
	leaked = n / 10
	roots = append(roots, ring(n-leaked))
	ring(leaked)
	return leaked
}

var shapes = map[string]func(int) int{
	"flat":   flat,
	"chain":  chain,
	"tree":   tree,
	"cyclic": cyclic,
}

var (
	populateOnce sync.Once
	wantLeaked   int
)

// populate builds the population of the flags once per process and waits
// until every goroutine of it has blocked.
func populate(tb testing.TB) {
	populateOnce.Do(func() {
		build, ok := shapes[*shapeFlag]
		if !ok {
			fmt.Fprintf(os.Stderr, "leakscale: unknown shape %q\n", *shapeFlag)
			os.Exit(2)
		}
		addBallast()
		before := runtime.NumGoroutine()
		wantLeaked = build(*sizeFlag)
		// Wait until the new goroutines have all run up to their block;
		// a goroutine that has not run yet counts as runnable, not leaked.
		for blocked(before) < *sizeFlag {
			runtime.Gosched()
		}
	})
}

// blocked counts the goroutines blocked in a channel or mutex wait.
func blocked(before int) int {
	if runtime.NumGoroutine() < before+*sizeFlag {
		return 0
	}
	buf := make([]byte, 64<<20)
	buf = buf[:runtime.Stack(buf, true)]
	count := 0
	for _, state := range []string{"[chan receive]", "[chan send]", "[select]", "[sync.Mutex.Lock]", "[chan receive (nil chan)]"} {
		count += bytes.Count(buf, []byte(state))
	}
	return count
}

func leakProfile(tb testing.TB) *pprof.Profile {
	p := pprof.Lookup("goroutineleak")
	if p == nil {
		tb.Fatal("no goroutineleak profile: build go1.26.8's binary with GOEXPERIMENT=goroutineleakprofile")
	}
	return p
}

// detect runs one leak detection cycle and returns how many goroutines it
// found leaked.
func detect(tb testing.TB, p *pprof.Profile) int {
	if err := p.WriteTo(io.Discard, 0); err != nil {
		tb.Fatal(err)
	}
	return leakedNow()
}

// leakedNow counts the goroutines that the last detection left leaked.
func leakedNow() int {
	buf := make([]byte, 64<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Count(buf, []byte(" (leaked)]"))
}

// TestShape checks that the population of the flags is found leaked
// exactly as built.
func TestShape(t *testing.T) {
	populate(t)
	if got := detect(t, leakProfile(t)); got != wantLeaked {
		t.Fatalf("shape=%s n=%d: detection found %d goroutines leaked, want %d", *shapeFlag, *sizeFlag, got, wantLeaked)
	}
}

// BenchmarkCycle times a plain GC cycle (op=gc) and a leak detection cycle
// (op=detect) on the same population. ns/op is the whole operation:
// runtime.GC, which also sweeps the heap, or writing the goroutineleak
// profile, which also collects and formats the leaked goroutines' stacks.
// cycle-ns/op is the GC cycle alone: from the call to the end of the
// cycle's mark termination (GCStats.LastGC), the same in both ops.
func BenchmarkCycle(b *testing.B) {
	populate(b)
	name := fmt.Sprintf("shape=%s/n=%d", *shapeFlag, *sizeFlag)
	b.Run(name+"/op=gc", func(b *testing.B) {
		timeCycles(b, runtime.GC)
	})
	b.Run(name+"/op=detect", func(b *testing.B) {
		p := leakProfile(b)
		timeCycles(b, func() {
			if err := p.WriteTo(io.Discard, 0); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(leakedNow()), "leaked")
	})
}

// timeCycles runs op, which runs one GC cycle, b.N times, and reports the
// mean time from the call to the end of the cycle's mark termination.
func timeCycles(b *testing.B, op func()) {
	var cycles time.Duration
	var stats debug.GCStats
	for b.Loop() {
		start := time.Now()
		op()
		debug.ReadGCStats(&stats)
		cycles += stats.LastGC.Sub(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(cycles.Nanoseconds())/float64(b.N), "cycle-ns/op")
}
