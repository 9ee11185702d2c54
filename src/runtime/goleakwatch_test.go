// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"weak"
)

// A leakWatchBox is what one goroutine of a leak-watch population blocks
// on, in one of the ways the detector looks into.
type leakWatchBox struct {
	kind  int
	c, d  chan int
	mu    sync.Mutex
	rw    sync.RWMutex
	wg    sync.WaitGroup
	condL sync.Mutex
	cond  *sync.Cond
	ready bool
}

var leakWatchKinds = []string{"chan receive", "chan send", "select", "sync.Mutex.Lock",
	"sync.RWMutex.Lock", "sync.RWMutex.RLock", "sync.WaitGroup.Wait", "sync.Cond.Wait"}

// newLeakWatchBox makes a box whose waiter will block until release.
func newLeakWatchBox(kind int) *leakWatchBox {
	b := &leakWatchBox{kind: kind, c: make(chan int), d: make(chan int)}
	b.cond = sync.NewCond(&b.condL)
	switch leakWatchKinds[kind] {
	case "sync.Mutex.Lock":
		b.mu.Lock()
	case "sync.RWMutex.Lock":
		b.rw.RLock()
	case "sync.RWMutex.RLock":
		b.rw.Lock()
	case "sync.WaitGroup.Wait":
		b.wg.Add(1)
	}
	return b
}

// wait blocks until release.
func (b *leakWatchBox) wait() {
	switch leakWatchKinds[b.kind] {
	case "chan receive":
		<-b.c
	case "chan send":
		b.c <- 1
	case "select":
		select {
		case <-b.c:
		case <-b.d:
		}
	case "sync.Mutex.Lock":
		b.mu.Lock()
		b.mu.Unlock()
	case "sync.RWMutex.Lock":
		b.rw.Lock()
		b.rw.Unlock()
	case "sync.RWMutex.RLock":
		b.rw.RLock()
		b.rw.RUnlock()
	case "sync.WaitGroup.Wait":
		b.wg.Wait()
	case "sync.Cond.Wait":
		b.condL.Lock()
		for !b.ready {
			b.cond.Wait()
		}
		b.condL.Unlock()
	}
}

// release wakes the waiter.
func (b *leakWatchBox) release() {
	switch leakWatchKinds[b.kind] {
	case "chan receive", "select":
		close(b.c)
	case "chan send":
		<-b.c
	case "sync.Mutex.Lock":
		b.mu.Unlock()
	case "sync.RWMutex.Lock":
		b.rw.RUnlock()
	case "sync.RWMutex.RLock":
		b.rw.Unlock()
	case "sync.WaitGroup.Wait":
		b.wg.Done()
	case "sync.Cond.Wait":
		b.condL.Lock()
		b.ready = true
		b.cond.Broadcast()
		b.condL.Unlock()
	}
}

// A leakWatchPopulation is a set of goroutines, each blocked on its own
// box and holding on its stack the boxes of its successors in the wait
// graph, so that a successor's box is reachable only once its
// predecessor's stack is. Boxes without predecessor are the entries; the
// population is leaked if no entry is kept reachable.
type leakWatchPopulation struct {
	boxes   []weak.Pointer[leakWatchBox]
	goids   []atomic.Uint64
	entries []*leakWatchBox // nil for a leaked population
	exited  sync.WaitGroup
}

// leakWatchWaiter blocks on b, keeping next reachable from its stack.
func leakWatchWaiter(p *leakWatchPopulation, i int, b *leakWatchBox, next []*leakWatchBox) {
	defer p.exited.Done()
	p.goids[i].Store(runtime.Goid())
	b.wait()
	runtime.KeepAlive(b) // for resurrect
	runtime.KeepAlive(next)
}

// startLeakWatchPopulation starts n goroutines; edges(i) lists the
// successors of goroutine i, entries the goroutines whose box the test
// keeps if live.
func startLeakWatchPopulation(n int, edges func(i int) []int, entries []int, live bool) *leakWatchPopulation {
	p := &leakWatchPopulation{
		boxes: make([]weak.Pointer[leakWatchBox], n),
		goids: make([]atomic.Uint64, n),
	}
	boxes := make([]*leakWatchBox, n)
	for i := range boxes {
		boxes[i] = newLeakWatchBox(i % len(leakWatchKinds))
		p.boxes[i] = weak.Make(boxes[i])
	}
	if live {
		for _, i := range entries {
			p.entries = append(p.entries, boxes[i])
		}
	}
	p.exited.Add(n)
	for i := range n {
		var next []*leakWatchBox
		for _, j := range edges(i) {
			next = append(next, boxes[j])
		}
		go leakWatchWaiter(p, i, boxes[i], next)
	}
	return p
}

// resurrect makes every box of p reachable again and returns them. A box
// whose waiter leaked is still alive: the leaked goroutine's stack keeps it
// alive, and the detector marks the stacks of the goroutines it leaves
// leaked.
func (p *leakWatchPopulation) resurrect(t *testing.T) []*leakWatchBox {
	boxes := make([]*leakWatchBox, len(p.boxes))
	for i, w := range p.boxes {
		if boxes[i] = w.Value(); boxes[i] == nil {
			t.Fatalf("box %d of %d was freed", i, len(p.boxes))
		}
	}
	return boxes
}

// waitLeakWatchBlocked waits until n goroutines run leakWatchWaiter and are
// blocked in the box's wait.
func waitLeakWatchBlocked(t *testing.T, n int) {
	buf := make([]byte, 16<<20)
	for {
		buf = buf[:runtime.Stack(buf[:cap(buf)], true)]
		blocked := 0
		for g := range strings.SplitSeq(string(buf), "\n\n") {
			if !strings.Contains(g, "runtime_test.leakWatchWaiter(") {
				continue
			}
			header, _, _ := strings.Cut(g, "\n")
			for _, k := range leakWatchKinds {
				if strings.Contains(header, "["+k) {
					blocked++
					break
				}
			}
		}
		if blocked == n {
			return
		}
		if blocked > n {
			t.Fatalf("%d goroutines blocked in leakWatchWaiter, want %d", blocked, n)
		}
		runtime.Gosched()
	}
}

// TestGoroutineLeakWatch checks that a detection cycle with the watch finds
// the same goroutines leaked as the upstream rounds do, and that it needs
// no more than a few mark fixed points whatever the shape of the wait
// graph, where the rounds need one per link of the longest chain.
func TestGoroutineLeakWatch(t *testing.T) {
	const n = 400
	shapes := []struct {
		name      string
		edges     func(i int) []int
		entries   []int
		minRounds int // upstream rounds, at least
	}{
		{"flat", func(int) []int { return nil }, func() (e []int) {
			for i := range n {
				e = append(e, i)
			}
			return e
		}(), 1},
		{"chain", func(i int) []int {
			if i+1 < n {
				return []int{i + 1}
			}
			return nil
		}, []int{0}, n},
		{"tree", func(i int) (kids []int) {
			for _, k := range []int{2*i + 1, 2*i + 2} {
				if k < n {
					kids = append(kids, k)
				}
			}
			return kids
		}, []int{0}, 8},
		{"ring", func(i int) []int { return []int{(i + 1) % n} }, []int{0}, n},
	}
	for _, shape := range shapes {
		t.Run(shape.name, func(t *testing.T) {
			live := startLeakWatchPopulation(n, shape.edges, shape.entries, true)
			leaked := startLeakWatchPopulation(n/4, func(i int) []int {
				if i+1 < n/4 {
					return []int{i + 1}
				}
				return nil
			}, []int{0}, false)
			waitLeakWatchBlocked(t, n+n/4)

			want := make(map[uint64]bool)
			ours := make(map[uint64]bool)
			for i := range leaked.goids {
				want[leaked.goids[i].Load()] = true
				ours[leaked.goids[i].Load()] = true
			}
			for i := range live.goids {
				ours[live.goids[i].Load()] = true
			}
			upstreamRounds, upstream := runtime.GoroutineLeakGC(false)
			watchRounds, watched := runtime.GoroutineLeakGC(true)
			for _, c := range []struct {
				name   string
				leaked map[uint64]bool
			}{{"upstream rounds", upstream}, {"watch", watched}} {
				if diff := leakWatchDiff(c.leaked, want, ours); diff != "" {
					t.Errorf("with the %s: %s", c.name, diff)
				}
			}
			t.Logf("fixed points: upstream rounds %d, watch %d", upstreamRounds, watchRounds)
			if upstreamRounds < shape.minRounds {
				t.Errorf("upstream rounds took %d fixed points, want at least %d: the population does not have the shape it should", upstreamRounds, shape.minRounds)
			}
			// One fixed point decides, one ends marking after the
			// leaked stacks are scanned; a goroutine waking up during
			// the cycle may add one.
			if watchRounds > 3 {
				t.Errorf("watch took %d fixed points, want at most 3", watchRounds)
			}

			// Make the leaked population reachable: the next detection
			// finds nothing leaked, and its goroutines can be woken.
			boxes := append(live.resurrect(t), leaked.resurrect(t)...)
			_, again := runtime.GoroutineLeakGC(true)
			if diff := leakWatchDiff(again, nil, ours); diff != "" {
				t.Fatalf("with every box reachable: %s", diff)
			}
			for _, b := range boxes {
				b.release()
			}
			live.exited.Wait()
			leaked.exited.Wait()
			runtime.KeepAlive(live.entries)
		})
	}
}

// leakWatchDiff describes how got differs from want among ours, the
// goroutines of the test: other tests may have leaked goroutines too.
func leakWatchDiff(got, want, ours map[uint64]bool) string {
	var missing, extra []uint64
	for id := range ours {
		switch {
		case want[id] && !got[id]:
			missing = append(missing, id)
		case !want[id] && got[id]:
			extra = append(extra, id)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("%d leaked goroutines not found %v, %d found leaked that are not %v", len(missing), missing, len(extra), extra)
}
