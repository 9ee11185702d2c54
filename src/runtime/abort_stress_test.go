// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime_test

import (
	"fmt"
	"internal/testenv"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// abortStressState is what the stressed goroutines share. Each keeps it
// consistent with deferred cleanup or MaskAbort only, as code that may be
// aborted must.
type abortStressState struct {
	mu     sync.Mutex
	m      map[int]int // m[k] == -k for every key, updated under mu
	tokens chan int    // every token is either in the channel or held
	wg     sync.WaitGroup
	ping   chan []byte
	sink   atomic.Uintptr

	rw       sync.RWMutex
	pair     [2]int // pair[0]+pair[1] == 0 whenever rw is not held for writing
	rwBroken atomic.Int64
}

func (s *abortStressState) work(kind int, r *rand.Rand) {
	switch kind {
	case 0: // allocation
		var keep [][]byte
		for {
			b := make([]byte, r.IntN(4096))
			keep = append(keep, b)
			if len(keep) > 64 {
				keep = keep[:0]
			}
			s.sink.Add(uintptr(len(fmt.Sprint(len(b)))))
		}
	case 1: // maps, under a lock released by defer
		for {
			func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				k := r.IntN(1000)
				if _, ok := s.m[k]; ok {
					delete(s.m, k)
				} else {
					s.m[k] = -k
				}
			}()
		}
	case 2: // channels: tokens taken with the abort masked, given back by defer
		for {
			func() {
				// Register the cleanup first, then take the token
				// with the abort masked: no abort can land between
				// taking the token and being sure to give it back.
				var tok int
				var ok bool
				defer func() {
					if ok {
						s.tokens <- tok
					}
				}()
				runtime.MaskAbort(func() {
					select {
					case tok = <-s.tokens:
						ok = true
					default:
					}
				})
				select {
				case b := <-s.ping:
					s.sink.Add(uintptr(len(b)))
				case s.ping <- make([]byte, 16):
				case <-time.After(time.Millisecond):
				}
			}()
		}
	case 3: // garbage collection
		for {
			runtime.GC()
			s.sink.Add(uintptr(len(make([]int, 100))))
		}
	case 4: // blocking primitives
		for {
			s.wg.Wait()
			time.Sleep(time.Duration(r.IntN(100)) * time.Microsecond)
		}
	case 5: // readers and writers; the writer's update is masked
		for {
			if r.IntN(4) == 0 {
				func() {
					s.rw.Lock()
					defer s.rw.Unlock()
					runtime.MaskAbort(func() {
						s.pair[0]++
						runtime.Gosched() // let a reader in, if it could come
						s.pair[1]--
					})
				}()
			} else {
				func() {
					s.rw.RLock()
					defer s.rw.RUnlock()
					if s.pair[0]+s.pair[1] != 0 {
						s.rwBroken.Add(1)
					}
				}()
			}
		}
	}
}

func TestAbortStress(t *testing.T) {
	aborts := 20000
	if testing.Short() {
		aborts = 2000
	}
	if s := os.Getenv("GOLEASH_ABORT_STRESS"); s != "" {
		fmt.Sscan(s, &aborts)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(10))

	s := &abortStressState{
		m:      make(map[int]int),
		tokens: make(chan int, 8),
		ping:   make(chan []byte),
	}
	for i := 0; i < cap(s.tokens); i++ {
		s.tokens <- i
	}
	s.wg.Add(1) // never done: waiters block until aborted

	const workers = 8
	var total, recovered atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for total.Add(1) <= int64(aborts) {
				handles := make(chan *runtime.GoroutineHandle, 1)
				kind := r.IntN(6)
				seed := r.Uint64()
				go func() {
					defer func() {
						if v := recover(); v == runtime.ErrAborted {
							recovered.Add(1)
						} else if v != nil {
							panic(v)
						}
					}()
					handles <- runtime.GetGoroutineHandle()
					s.work(kind, rand.New(rand.NewPCG(seed, 2)))
				}()
				h := <-handles
				time.Sleep(time.Duration(r.IntN(200)) * time.Microsecond)
				h.Abort()
				select {
				case <-h.Done():
				case <-time.After(time.Minute):
					buf := make([]byte, 1<<20)
					buf = buf[:runtime.Stack(buf, true)]
					panic(fmt.Sprintf("%v (work %d) not aborted in a minute:\n%s", h, kind, buf))
				}
			}
		}()
	}
	wg.Wait()

	if n := recovered.Load(); n < int64(aborts) {
		t.Errorf("%d of %d aborted goroutines recovered the abort", n, aborts)
	}
	if len(s.tokens) != cap(s.tokens) {
		t.Errorf("%d of %d tokens came back", len(s.tokens), cap(s.tokens))
	}
	s.mu.Lock()
	for k, v := range s.m {
		if v != -k {
			t.Errorf("map corrupted: m[%d] = %d", k, v)
		}
	}
	s.mu.Unlock()
	if n := s.rwBroken.Load(); n != 0 {
		t.Errorf("%d readers saw a writer's update half done", n)
	}
	// The stand-ins of aborted RWMutex waiters may still be leaving.
	for deadline := time.Now().Add(time.Minute); !s.rw.TryLock(); {
		if time.Now().After(deadline) {
			t.Fatalf("RWMutex still held after every user left")
		}
		time.Sleep(time.Millisecond)
	}
	s.rw.Unlock()
	s.wg.Done()
	s.wg.Wait()
}

func TestAbortStressCheckmark(t *testing.T) {
	// The stress test again, with the GC verifying its marking.
	testenv.MustHaveExec(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := testenv.CleanCmdEnv(testenv.Command(t, exe, "-test.run=^TestAbortStress$", "-test.short"))
	cmd.Env = append(cmd.Env, "GODEBUG=gccheckmark=1", "GOLEASH_ABORT_STRESS=1000")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("%v\n%s", err, out)
	}
}
