// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build unix

// A torture test for (*runtime.GoroutineHandle).Abort: goroutines that
// use the runtime's services are aborted at random moments, and after
// every round the program checks that the runtime and every primitive the
// goroutines shared still work. TestAbortTorture and TestAbortFirstGC in
// package runtime run these programs in fresh processes, since some paths
// (the first GC starting its mark workers) happen once per process.

// It lives in testprognet, not testprog: importing net makes a program
// use cgo, which keeps testprog's deadlock tests from detecting deadlocks.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func init() {
	register("AbortFirstGC", AbortFirstGC)
	register("AbortTorture", AbortTorture)
}

// tortureWatch is a watchdog for a program that may hang with the runtime
// broken: a GC that cannot start, a lock that is never released. The
// program reports progress at the start and end of every step; if none
// comes for the timeout, the watchdog prints the last step and dumps every
// goroutine, runtime frames included. It allocates nothing after it
// started: an allocation could wait for that GC. So does reporting
// progress, for the same reason; only the description of a step, made by
// the caller before it begins the step, allocates.
type tortureWatch struct {
	last    atomic.Int64 // UnixNano of the last progress
	step    atomic.Pointer[string]
	ended   atomic.Bool // the step ended; the hang is between steps
	timeout time.Duration
}

func startTortureWatch(timeout time.Duration) *tortureWatch {
	w := &tortureWatch{timeout: timeout}
	start := "start"
	w.step.Store(&start)
	w.last.Store(time.Now().UnixNano())
	debug.SetTraceback("system")
	go func() {
		for {
			time.Sleep(50 * time.Millisecond)
			if time.Now().UnixNano()-w.last.Load() > int64(w.timeout) {
				if w.ended.Load() {
					println("FAIL: hung after this step ended:", *w.step.Load())
				} else {
					println("FAIL: hung:", *w.step.Load())
				}
				println("watchdog: the abort torture test made no progress in time")
				syscall.Kill(os.Getpid(), syscall.SIGQUIT)
				select {}
			}
		}
	}()
	return w
}

// begin reports the start of a step, described by what.
func (w *tortureWatch) begin(what string) {
	w.step.Store(&what)
	w.ended.Store(false)
	w.last.Store(time.Now().UnixNano())
}

// end reports the end of the current step.
func (w *tortureWatch) end() {
	w.ended.Store(true)
	w.last.Store(time.Now().UnixNano())
}

var firstGCSink []int

// AbortFirstGC aborts, at random moments, a goroutine that allocates large
// slices. In a fresh process the first of these allocations starts the
// first GC, which starts the GC's mark workers and waits for each of them
// to start: that wait is the runtime's, and an abort must not cancel it.
func AbortFirstGC() {
	rounds := envInt("GOLEASH_FIRSTGC_ROUNDS", 100)
	w := startTortureWatch(time.Duration(envInt("GOLEASH_TORTURE_TIMEOUT_S", 20)) * time.Second)
	var aborted atomic.Int64 // goroutines whose deferred call saw the abort
	for round := 0; round < rounds; round++ {
		h := make(chan *runtime.GoroutineHandle, 1)
		go func() {
			defer func() {
				if err, ok := recover().(error); ok && errors.Is(err, runtime.ErrAborted) {
					aborted.Add(1)
				}
			}()
			h <- runtime.GetGoroutineHandle()
			for {
				firstGCSink = make([]int, 1<<24)
			}
		}()
		g := <-h
		time.Sleep(time.Duration(round%7) * time.Millisecond)
		w.begin("AbortFirstGC: round " + strconv.Itoa(round) + ": waiting for the aborted " + g.String() + " to end")
		g.Abort()
		<-g.Done()
		w.end()
	}
	w.begin("AbortFirstGC: runtime.GC after the last round")
	runtime.GC()
	w.end()
	if n := aborted.Load(); n != int64(rounds) {
		fmt.Printf("AbortFirstGC: %d of %d goroutines recovered the abort\n", n, rounds)
		os.Exit(1)
	}
	fmt.Printf("OK rounds=%d aborts=%d\n", rounds, aborted.Load())
}

func envInt(name string, def int) int {
	if s := os.Getenv(name); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			panic(name + ": " + err.Error())
		}
		return n
	}
	return def
}

// tortureState is what the goroutines of all rounds share. The goroutines
// keep it consistent with deferred cleanup only, as code that may be
// aborted must; the exception is hmu, locked and unlocked by hand
// (service "handlock"), which relies on no abort landing between Lock and
// Unlock in the same function.
type tortureState struct {
	mu   sync.Mutex
	m    map[int]int // m[k] == -k for every k, under mu
	hmu  sync.Mutex  // locked by hand
	hx   int
	rw   sync.RWMutex
	pair [2]int // pair[0]+pair[1] == 0 unless rw is held for writing

	tokens chan int // each token is in the channel or held by a goroutine that gives it back
	ping   chan int // unbuffered, for selects
	box    chan int // buffered, for selects

	once    *sync.Once // new every round
	onceRan atomic.Int32

	pool sync.Pool

	pr, pw *os.File // a pipe that readers and writers share
	ln     net.Listener
	conn   net.Conn // a connection to ln's echo server that goroutines share

	sigs chan os.Signal // SIGUSR1 always has a handler: this channel

	maxProcs  int
	gcPercent int

	sink       atomic.Uintptr
	finalized  atomic.Int64
	afterFuncs atomic.Int64
	rwBroken   atomic.Int64
}

// The byte that a check writes through the shared pipe and connection to
// see that they still work; goroutines never write it.
const tortureMarker = 'Z'

// A tortureService is the body of an aborted goroutine: it loops until
// aborted.
type tortureService struct {
	name string
	run  func(s *tortureState, r *rand.Rand)
}

var tortureServices = []tortureService{
	{"alloc", tortureAlloc},
	{"large", tortureLarge},
	{"gc", tortureGC},
	{"memstats", tortureMemStats},
	{"gcpercent", tortureGCPercent},
	{"gomaxprocs", tortureGOMAXPROCS},
	{"finalizer", tortureFinalizer},
	{"timer", tortureTimer},
	{"context", tortureContext},
	{"select", tortureSelect},
	{"chanclose", tortureChanClose},
	{"tokens", tortureTokens},
	{"map", tortureMap},
	{"recurse", tortureRecurse},
	{"spawn", tortureSpawn},
	{"reflect", tortureReflect},
	{"once", tortureOnce},
	{"pool", torturePool},
	{"mutex", tortureMutex},
	{"rwmutex", tortureRWMutex},
	{"signal", tortureSignal},
	{"pipe", torturePipe},
	{"tcp", tortureTCP},
	// Not in "all", so that their failures are told apart: they rely on
	// the compiler keeping aborts out of the window between acquiring
	// something and deferring its release, and out of a Lock..Unlock
	// region written by hand.
	{"dial", tortureDial},
	{"handlock", tortureHandLock},
}

type tortureNode struct {
	next *tortureNode
	buf  []byte
	s    string
}

func tortureAlloc(s *tortureState, r *rand.Rand) {
	var list *tortureNode
	n := 0
	for {
		list = &tortureNode{next: list, buf: make([]byte, r.IntN(2048)), s: strconv.Itoa(n)}
		var x any = n // an interface conversion that allocates
		s.sink.Add(uintptr(len(list.buf) + x.(int)))
		if n++; n%256 == 0 {
			list = nil
		}
	}
}

var largeSink atomic.Pointer[[]*int]

func tortureLarge(s *tortureState, r *rand.Rand) {
	var keep []byte
	for {
		keep = make([]byte, 1<<(12+r.IntN(12)))
		keep[len(keep)-1] = 1
		if r.IntN(4) == 0 {
			p := make([]*int, 1<<(8+r.IntN(12)))
			p[0] = new(int)
			largeSink.Store(&p)
		}
		s.sink.Add(uintptr(len(keep)))
	}
}

func tortureGC(s *tortureState, r *rand.Rand) {
	for {
		runtime.GC()
		if r.IntN(4) == 0 {
			runtime.Gosched()
		}
		s.sink.Add(uintptr(len(make([]int, 100))))
	}
}

func tortureMemStats(s *tortureState, r *rand.Rand) {
	var ms runtime.MemStats
	samples := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/sched/goroutines:goroutines"}, {Name: "/gc/cycles/total:gc-cycles"}}
	buf := make([]byte, 64<<10)
	for {
		switch r.IntN(3) {
		case 0:
			runtime.ReadMemStats(&ms)
			s.sink.Add(uintptr(ms.NumGC))
		case 1:
			metrics.Read(samples)
		case 2:
			s.sink.Add(uintptr(runtime.Stack(buf, r.IntN(4) == 0)))
		}
	}
}

func tortureGCPercent(s *tortureState, r *rand.Rand) {
	for {
		debug.SetGCPercent(10 + r.IntN(300))
		if r.IntN(8) == 0 {
			debug.FreeOSMemory()
		}
		s.sink.Add(uintptr(len(make([]byte, 4096))))
	}
}

func tortureGOMAXPROCS(s *tortureState, r *rand.Rand) {
	for {
		runtime.GOMAXPROCS(1 + r.IntN(s.maxProcs+1))
		time.Sleep(time.Duration(r.IntN(200)) * time.Microsecond)
	}
}

type tortureFinalized struct {
	_ [64]byte
	n int
}

func tortureFinalizer(s *tortureState, r *rand.Rand) {
	for {
		p := &tortureFinalized{n: r.IntN(100)}
		if r.IntN(2) == 0 {
			runtime.SetFinalizer(p, func(p *tortureFinalized) { s.finalized.Add(1) })
		} else {
			runtime.AddCleanup(p, func(int) { s.finalized.Add(1) }, p.n)
		}
		if r.IntN(16) == 0 {
			runtime.GC()
		}
		runtime.KeepAlive(p)
	}
}

func tortureTimer(s *tortureState, r *rand.Rand) {
	d := func() time.Duration { return time.Duration(r.IntN(500)) * time.Microsecond }
	for {
		func() {
			t := time.NewTimer(d())
			defer t.Stop()
			if r.IntN(2) == 0 {
				t.Reset(d())
			}
			if r.IntN(4) == 0 {
				t.Stop()
			}
			af := time.AfterFunc(d(), func() { s.afterFuncs.Add(1) })
			if r.IntN(2) == 0 {
				af.Stop()
			} else if r.IntN(2) == 0 {
				af.Reset(d())
			}
			tk := time.NewTicker(time.Millisecond)
			defer tk.Stop()
			select {
			case <-t.C:
			case <-tk.C:
			case <-time.After(d()):
			}
			time.Sleep(d() / 4)
		}()
	}
}

func tortureContext(s *tortureState, r *rand.Rand) {
	for {
		func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stop := context.AfterFunc(ctx, func() { s.afterFuncs.Add(1) })
			switch r.IntN(3) {
			case 0:
				cancel()
			case 1:
				stop()
			case 2:
				tctx, tcancel := context.WithTimeout(ctx, time.Duration(r.IntN(300))*time.Microsecond)
				defer tcancel()
				<-tctx.Done()
			}
		}()
	}
}

var tortureClosed = func() chan int { c := make(chan int); close(c); return c }()

func tortureSelect(s *tortureState, r *rand.Rand) {
	own := make(chan int, 1)
	var never chan int
	cases := make([]reflect.SelectCase, 0, 4)
	for i := 0; ; i++ {
		closed := never
		if r.IntN(8) == 0 {
			closed = tortureClosed
		}
		timeout := time.After(time.Duration(r.IntN(1000)) * time.Microsecond)
		if r.IntN(8) == 0 {
			select {
			case own <- i:
			default:
			}
		}
		select {
		case v := <-s.ping:
			s.sink.Add(uintptr(v))
		case s.ping <- i:
		case v := <-s.box:
			s.sink.Add(uintptr(v))
		case s.box <- i:
		case v := <-own:
			s.sink.Add(uintptr(v))
		case <-closed:
		case <-never:
		case never <- 1:
		case <-timeout:
		}
		if r.IntN(8) == 0 {
			// reflect.Select is not cancelled; the abort lands after it.
			cases = append(cases[:0],
				reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.ping)},
				reflect.SelectCase{Dir: reflect.SelectSend, Chan: reflect.ValueOf(s.box), Send: reflect.ValueOf(i)},
				reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(time.After(100 * time.Microsecond))})
			reflect.Select(cases)
		}
		select {
		case v := <-own:
			s.sink.Add(uintptr(v))
		default:
		}
	}
}

// tortureChanClose closes, in a deferred call, the channel its children
// range over. It waits for the children once they are told to end: a
// loop that started goroutines faster than they ran to their end piled
// up tens of thousands of runnable goroutines, and the scheduler's global
// run queue starved the main goroutine for more than the watchdog's 20
// seconds (go1.26.8 does the same with this loop).
func tortureChanClose(s *tortureState, r *rand.Rand) {
	for {
		func() {
			ch := make(chan int, r.IntN(3))
			var children sync.WaitGroup
			defer children.Wait()
			// Closing ends the children, whether or not this goroutine
			// is aborted.
			defer close(ch)
			for range 1 + r.IntN(4) {
				children.Go(func() {
					for v := range ch {
						s.sink.Add(uintptr(v))
					}
				})
			}
			for i := range r.IntN(16) {
				ch <- i
			}
		}()
	}
}

// tortureTokens takes tokens and gives them back in a deferred call. The
// receive writes the token straight into tok, so a token is either still
// in the channel or in tok, where the deferred call finds it.
func tortureTokens(s *tortureState, r *rand.Rand) {
	for {
		func() {
			tok := -1
			defer func() {
				if tok >= 0 {
					s.tokens <- tok
				}
			}()
			tok = <-s.tokens
			time.Sleep(time.Duration(r.IntN(100)) * time.Microsecond)
		}()
	}
}

func tortureMap(s *tortureState, r *rand.Rand) {
	for {
		// Growth of a private map.
		m := make(map[int]*tortureNode)
		n := 1 + r.IntN(20000)
		for i := 0; i < n; i++ {
			m[i] = &tortureNode{s: "x"}
			if i%7 == 0 {
				delete(m, i/2)
			}
		}
		ms := make(map[string][]int)
		for i := range n / 4 {
			ms[strconv.Itoa(i)] = make([]int, i%8)
		}
		for k := range m {
			if k%3 == 0 {
				delete(m, k)
			}
		}
		// The shared map, under a lock released by defer.
		for range 16 {
			func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				k := r.IntN(4096)
				if _, ok := s.m[k]; ok {
					delete(s.m, k)
				} else {
					s.m[k] = -k
				}
			}()
		}
	}
}

//go:noinline
func tortureDeep(n int, defers bool) int {
	var pad [16]int
	pad[n%16] = n
	if n == 0 {
		return pad[0]
	}
	if defers && n%64 == 0 {
		defer func() { pad[0]++ }()
	}
	return tortureDeep(n-1, defers) + pad[n%16]
}

func tortureRecurse(s *tortureState, r *rand.Rand) {
	for {
		s.sink.Add(uintptr(tortureDeep(r.IntN(1<<14), r.IntN(2) == 0)))
	}
}

func tortureSpawn(s *tortureState, r *rand.Rand) {
	for {
		var wg sync.WaitGroup
		for range 1 + r.IntN(8) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.sink.Add(uintptr(tortureDeep(64, false)))
				if r := rand.IntN(4); r == 0 {
					time.Sleep(100 * time.Microsecond)
				} else if r == 1 {
					runtime.Gosched()
				}
			}()
		}
		wg.Wait()
	}
}

type tortureReflectT struct{ n int }

//go:noinline
func (t tortureReflectT) Work(k int) int {
	x := 0
	for i := 0; i < k; i++ {
		x += tortureDeep(8, false) + len(make([]byte, 16))
	}
	return x + t.n
}

func tortureReflect(s *tortureState, r *rand.Rand) {
	fv := reflect.ValueOf(tortureReflectT{1}.Work)
	mv := reflect.ValueOf(tortureReflectT{2}).MethodByName("Work")
	made := reflect.MakeFunc(fv.Type(), func(args []reflect.Value) []reflect.Value {
		k := int(args[0].Int())
		return []reflect.Value{reflect.ValueOf(tortureReflectT{3}.Work(k))}
	})
	mf := made.Interface().(func(int) int)
	for {
		k := reflect.ValueOf(r.IntN(5000))
		var out int
		switch r.IntN(3) {
		case 0:
			out = int(fv.Call([]reflect.Value{k})[0].Int())
		case 1:
			out = int(mv.Call([]reflect.Value{k})[0].Int())
		case 2:
			out = mf(int(k.Int()))
		}
		s.sink.Add(uintptr(out))
	}
}

func tortureOnce(s *tortureState, r *rand.Rand) {
	once := s.once
	for {
		// One Once per round, whose function sleeps: others wait in
		// Do meanwhile, a wait no abort may cancel.
		once.Do(func() {
			time.Sleep(time.Duration(r.IntN(2000)) * time.Microsecond)
			s.onceRan.Add(1)
		})
		v := sync.OnceValue(func() int { return tortureDeep(r.IntN(256), false) })
		s.sink.Add(uintptr(v() + v()))
	}
}

func torturePool(s *tortureState, r *rand.Rand) {
	for {
		b := s.pool.Get().(*[]byte)
		*b = append((*b)[:0], make([]byte, r.IntN(512))...)
		s.pool.Put(b)
		if r.IntN(64) == 0 {
			for range 64 {
				s.pool.Put(new([]byte))
			}
		}
	}
}

func tortureMutex(s *tortureState, r *rand.Rand) {
	for {
		func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			k := r.IntN(4096)
			s.m[k] = -k
		}()
	}
}

func tortureRWMutex(s *tortureState, r *rand.Rand) {
	for {
		if r.IntN(4) == 0 {
			func() {
				s.rw.Lock()
				defer s.rw.Unlock()
				runtime.MaskAbort(func() {
					s.pair[0]++
					runtime.Gosched()
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

// tortureHandLock locks by hand, with no defer: correct only if no abort
// lands between Lock returning and Unlock.
func tortureHandLock(s *tortureState, r *rand.Rand) {
	for {
		s.hmu.Lock()
		s.hx++
		s.hmu.Unlock()
		if r.IntN(16) == 0 {
			runtime.Gosched()
		}
	}
}

func tortureSignal(s *tortureState, r *rand.Rand) {
	pid := os.Getpid()
	for {
		func() {
			c := make(chan os.Signal, 1)
			signal.Notify(c, syscall.SIGUSR1)
			defer signal.Stop(c)
			syscall.Kill(pid, syscall.SIGUSR1)
			select {
			case <-c:
			case <-time.After(time.Duration(r.IntN(1000)) * time.Microsecond):
			}
		}()
	}
}

// tortureBytes returns n bytes that are never tortureMarker.
func tortureBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(r.IntN(25))
	}
	return b
}

func torturePipe(s *tortureState, r *rand.Rand) {
	buf := make([]byte, 4096)
	for {
		switch r.IntN(3) {
		case 0: // read the shared pipe, blocking until a writer writes
			n, _ := s.pr.Read(buf)
			s.sink.Add(uintptr(n))
		case 1:
			s.pw.Write(tortureBytes(r, 1+r.IntN(8192)))
		case 2: // a private pipe, closed by defer
			func() {
				pr, pw, err := os.Pipe()
				if err != nil {
					panic(err)
				}
				defer pr.Close()
				defer pw.Close()
				msg := tortureBytes(r, 1+r.IntN(100))
				go pw.Write(msg) // a pipe buffers 100 bytes: this never blocks
				n, _ := pr.Read(buf)
				s.sink.Add(uintptr(n))
			}()
		}
	}
}

func tortureTCP(s *tortureState, r *rand.Rand) {
	buf := make([]byte, 4096)
	for {
		switch r.IntN(3) {
		case 0: // read the shared connection, blocking until the echo
			n, _ := s.conn.Read(buf)
			s.sink.Add(uintptr(n))
		case 1:
			s.conn.Write(tortureBytes(r, 1+r.IntN(4096)))
		case 2: // a private connection, closed by defer
			func() {
				// Dialed with the abort masked: service "dial" shows
				// why.
				var c net.Conn
				defer func() {
					if c != nil {
						c.Close()
					}
				}()
				runtime.MaskAbort(func() {
					var err error
					if c, err = net.Dial("tcp", s.ln.Addr().String()); err != nil {
						panic(err)
					}
				})
				msg := tortureBytes(r, 1+r.IntN(1000))
				c.Write(msg)
				io.ReadFull(c, buf[:len(msg)])
			}()
		}
	}
}

// tortureDial dials as Go code does: the connection is closed by a defer
// after Dial returned it. It does nothing else, so that the abort lands
// in this function, between Dial and the defer or after the defer, and
// not in a wait: an abort that arrives while Dial runs in package net is
// held until Dial returns.
func tortureDial(s *tortureState, r *rand.Rand) {
	for {
		func() {
			c, err := net.Dial("tcp", s.ln.Addr().String())
			if err != nil {
				panic(err)
			}
			defer c.Close()
		}()
	}
}

// tortureEcho echoes every connection to ln until ln is closed. It is the
// runtime's user, not a victim: it is never aborted.
func tortureEcho(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			// Hide ReadFrom: splicing would take a pipe from a pool,
			// which looks like a descriptor leak until a GC empties it.
			io.Copy(struct{ io.Writer }{c}, struct{ io.Reader }{c})
		}()
	}
}

// A tortureVictim is one aborted goroutine.
type tortureVictim struct {
	service   string
	h         *runtime.GoroutineHandle
	recovers  bool // its deferred call recovers
	recovered any
	deferRan  bool
	returned  bool   // the service's loop returned: it never should
	landed    []byte // the stack in its deferred call: where the abort landed
}

// AbortTorture runs rounds of the torture test. In each round, a few
// goroutines run random services, are aborted at a random moment, and the
// program then checks that they all ended as aborted and that the runtime
// and the shared primitives work. It prints "OK rounds=R aborts=N" if
// every check passed, and exits with status 1 after the first round that
// failed one.
//
// Environment: GOLEASH_TORTURE_SEED (default: from the clock),
// GOLEASH_TORTURE_ROUNDS (default 1), GOLEASH_TORTURE_DURATION_MS (if set,
// rounds go on until that much time has passed, at least ROUNDS of them),
// GOLEASH_TORTURE_SERVICES ("all", the default, or a comma-separated list
// of services; "all" leaves out "dial" and "handlock"), GOLEASH_TORTURE_WORKERS (the
// most goroutines per round, default 8), GOLEASH_TORTURE_TIMEOUT_S (how
// long a step may take before the watchdog dumps the goroutines, default
// 20).
func AbortTorture() {
	start := time.Now()
	watch := startTortureWatch(time.Duration(envInt("GOLEASH_TORTURE_TIMEOUT_S", 20)) * time.Second)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("GOLEASH_TORTURE_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			panic(err)
		}
	}
	rounds := envInt("GOLEASH_TORTURE_ROUNDS", 1)
	duration := time.Duration(envInt("GOLEASH_TORTURE_DURATION_MS", 0)) * time.Millisecond
	maxWorkers := envInt("GOLEASH_TORTURE_WORKERS", 8)
	var services []tortureService
	for _, name := range strings.Split(cmp(os.Getenv("GOLEASH_TORTURE_SERVICES"), "all"), ",") {
		found := false
		for _, sv := range tortureServices {
			if sv.name == name || name == "all" && sv.name != "handlock" && sv.name != "dial" {
				services = append(services, sv)
				found = true
			}
		}
		if !found {
			fmt.Println("unknown service", name)
			os.Exit(2)
		}
	}
	r := rand.New(rand.NewPCG(seed, 0x70727475))

	s := setupTorture()
	baseGoroutines := runtime.NumGoroutine()
	baseFDs := countFDs()

	aborts := 0
	round := 0
	for ; round < rounds || duration > 0 && time.Since(start) < duration; round++ {
		if err := tortureRound(s, r, watch, services, maxWorkers, round, &aborts, baseGoroutines, baseFDs); err != nil {
			fmt.Printf("FAIL seed=%d round=%d: %v\n", seed, round, err)
			os.Exit(1)
		}
	}
	fmt.Printf("OK rounds=%d aborts=%d\n", round, aborts)
}

var tortureVerbose = os.Getenv("GOLEASH_TORTURE_VERBOSE") != ""

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func setupTorture() *tortureState {
	s := &tortureState{
		m:      make(map[int]int),
		tokens: make(chan int, 8),
		ping:   make(chan int),
		box:    make(chan int, 4),
		sigs:   make(chan os.Signal, 1),
	}
	for i := range cap(s.tokens) {
		s.tokens <- i
	}
	s.pool.New = func() any { return new([]byte) }
	s.maxProcs = runtime.GOMAXPROCS(0)
	s.gcPercent = debug.SetGCPercent(100)
	debug.SetGCPercent(s.gcPercent)
	// SIGUSR1 keeps a handler while goroutines register and unregister
	// theirs: otherwise a signal sent after the last Stop would kill
	// the program.
	signal.Notify(s.sigs, syscall.SIGUSR1)
	var err error
	if s.pr, s.pw, err = os.Pipe(); err != nil {
		panic(err)
	}
	if s.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		panic(err)
	}
	go tortureEcho(s.ln)
	if s.conn, err = net.Dial("tcp", s.ln.Addr().String()); err != nil {
		panic(err)
	}
	// Wait until the echo goroutine of s.conn runs, so that the
	// goroutine count is stable.
	s.conn.Write([]byte{tortureMarker})
	if _, err := io.ReadFull(s.conn, make([]byte, 1)); err != nil {
		panic(err)
	}
	return s
}

// countFDs returns the number of open file descriptors, or -1 if it cannot
// tell.
func countFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

func tortureRound(s *tortureState, r *rand.Rand, watch *tortureWatch, services []tortureService, maxWorkers, round int, aborts *int, baseGoroutines, baseFDs int) error {
	s.once = new(sync.Once)
	s.onceRan.Store(0)
	n := 1 + r.IntN(maxWorkers)
	victims := make([]*tortureVictim, n)
	for i := range victims {
		sv := services[r.IntN(len(services))]
		if i == 0 && round == 0 {
			// The first round of a process allocates enough to
			// start the first GC while aborts land.
			for _, x := range services {
				if x.name == "large" {
					sv = x
				}
			}
		}
		v := &tortureVictim{service: sv.name, recovers: r.IntN(4) != 0}
		victims[i] = v
		ready := make(chan struct{})
		seed := r.Uint64()
		go func() {
			defer func() {
				v.landed = debug.Stack()
				if v.recovers {
					v.recovered = recover()
				}
				v.deferRan = true
			}()
			v.h = runtime.GetGoroutineHandle()
			close(ready)
			sv.run(s, rand.New(rand.NewPCG(seed, 1)))
			v.returned = true
		}()
		<-ready
	}
	var names []string
	for _, v := range victims {
		names = append(names, v.h.String()+" "+v.service)
	}
	what := fmt.Sprintf("round %d [%s]", round, strings.Join(names, ", "))

	switch r.IntN(4) {
	case 0:
	case 1:
		runtime.Gosched()
	case 2:
		time.Sleep(time.Duration(r.IntN(200)) * time.Microsecond)
	case 3:
		time.Sleep(time.Duration(r.IntN(8000)) * time.Microsecond)
	}
	for _, i := range r.Perm(n) {
		victims[i].h.Abort()
		if r.IntN(4) == 0 {
			time.Sleep(time.Duration(r.IntN(100)) * time.Microsecond)
		}
		if r.IntN(8) == 0 {
			victims[i].h.Abort() // a second Abort does nothing
		}
	}
	var errs []string
	for _, v := range victims {
		watch.begin(what + ": waiting for the aborted " + v.h.String() + " (" + v.service + ") to end")
		<-v.h.Done()
		watch.end()
		switch {
		case v.returned:
			errs = append(errs, fmt.Sprintf("%v (%s) returned from its service", v.h, v.service))
		case !v.deferRan:
			errs = append(errs, fmt.Sprintf("%v (%s) ended without running its deferred call", v.h, v.service))
		case v.recovers && !isAborted(v.recovered):
			errs = append(errs, fmt.Sprintf("%v (%s) recovered %v, want runtime.ErrAborted", v.h, v.service, v.recovered))
		}
		*aborts++
	}
	if err := tortureCheck(s, watch, what, baseGoroutines, baseFDs); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		var landed strings.Builder
		for _, v := range victims {
			fmt.Fprintf(&landed, "\n%v (%s) ended from:\n%s", v.h, v.service, v.landed)
		}
		return fmt.Errorf("%s:\n\t%s\n%s", what, strings.Join(errs, "\n\t"), landed.String())
	}
	return nil
}

func isAborted(v any) bool {
	err, ok := v.(error)
	return ok && errors.Is(err, runtime.ErrAborted)
}

// eventually retries cond until it holds or two seconds have passed.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(2 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// tortureCheck checks, after the victims of a round ended, that the
// runtime works and that every primitive they shared is free and usable.
func tortureCheck(s *tortureState, watch *tortureWatch, what string, baseGoroutines, baseFDs int) error {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	step := func(name string, f func()) {
		watch.begin(what + ": check: " + name)
		t0 := time.Now()
		f()
		if tortureVerbose {
			fmt.Printf("\t%s: %v\n", name, time.Since(t0))
		}
		watch.end()
	}

	// Services that change global settings are undone first.
	runtime.GOMAXPROCS(s.maxProcs)
	debug.SetGCPercent(s.gcPercent)

	// Goroutines and descriptors first: the GC below would run the
	// cleanups that close a leaked os.File or net.Conn, hiding the leak.
	step("goroutines and descriptors", func() {
		if !eventually(func() bool { return runtime.NumGoroutine() <= baseGoroutines }) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			fail("%d goroutines, want %d: some outlived the round:\n%s", runtime.NumGoroutine(), baseGoroutines, buf)
		}
		if baseFDs >= 0 && !eventually(func() bool { return countFDs() <= baseFDs }) {
			var list strings.Builder
			ents, _ := os.ReadDir("/proc/self/fd")
			for _, e := range ents {
				l, _ := os.Readlink("/proc/self/fd/" + e.Name())
				fmt.Fprintf(&list, " %s:%s", e.Name(), l)
			}
			fail("%d open file descriptors, want %d:%s", countFDs(), baseFDs, list.String())
		}
	})
	step("runtime.GC", runtime.GC)
	step("allocation", func() {
		b := make([]byte, 1<<20)
		b[len(b)-1] = 1
		p := &tortureNode{s: "alive"}
		runtime.GC()
		if b[len(b)-1] != 1 || p.s != "alive" {
			fail("allocated memory changed across a GC")
		}
	})
	step("the deferred mutex", func() {
		if !s.mu.TryLock() {
			fail("sync.Mutex used with defer left locked")
			return
		}
		for k, v := range s.m {
			if v != -k {
				fail("map corrupted: m[%d] = %d", k, v)
				break
			}
		}
		s.mu.Unlock()
	})
	step("the hand-locked mutex", func() {
		if !s.hmu.TryLock() {
			fail("handlock: sync.Mutex locked and unlocked by hand left locked: an abort landed between Lock and Unlock")
			// Unlocked here, so that the next rounds test again.
		}
		s.hmu.Unlock()
	})
	step("the RWMutex", func() {
		// The stand-ins of aborted waiters may still be leaving.
		if !eventually(s.rw.TryLock) {
			fail("sync.RWMutex still locked after its users ended")
			return
		}
		s.rw.Unlock()
		if n := s.rwBroken.Load(); n != 0 {
			fail("%d RWMutex readers saw a writer's update half done", n)
		}
	})
	step("the tokens", func() {
		if n := len(s.tokens); n != cap(s.tokens) {
			fail("%d of %d tokens came back", n, cap(s.tokens))
			for len(s.tokens) < cap(s.tokens) {
				s.tokens <- -1
			}
		}
	})
	step("the channels", func() {
		go func() { s.ping <- 1 }()
		if v := <-s.ping; v != 1 {
			fail("the unbuffered channel delivered %d, want 1", v)
		}
		for len(s.box) > 0 {
			<-s.box
		}
		s.box <- 2
		if v := <-s.box; v != 2 {
			fail("the buffered channel delivered %d, want 2", v)
		}
	})
	step("sync.Once", func() {
		s.once.Do(func() {}) // hangs if the Once's mutex is stuck
		if n := s.onceRan.Load(); n > 1 {
			fail("sync.Once ran its function %d times", n)
		}
	})
	step("sync.Pool", func() {
		b := new([]byte)
		s.pool.Put(b)
		if s.pool.Get() == nil {
			fail("sync.Pool.Get returned nil although New is set")
		}
	})
	step("a timer", func() {
		fired := make(chan struct{})
		time.AfterFunc(time.Millisecond, func() { close(fired) })
		<-fired
		t := time.NewTimer(time.Hour)
		t.Reset(time.Millisecond)
		<-t.C
	})
	step("context.AfterFunc", func() {
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		context.AfterFunc(ctx, func() { close(ran) })
		cancel()
		<-ran
	})
	step("a finalizer and a cleanup", func() {
		fin := make(chan struct{})
		cleaned := make(chan struct{})
		func() {
			p := &tortureFinalized{}
			runtime.SetFinalizer(p, func(*tortureFinalized) { close(fin) })
			q := &tortureFinalized{}
			runtime.AddCleanup(q, func(c chan struct{}) { close(c) }, cleaned)
		}()
		for _, c := range []chan struct{}{fin, cleaned} {
			for done := false; !done; {
				runtime.GC()
				select {
				case <-c:
					done = true
				case <-time.After(time.Millisecond):
				}
			}
		}
	})
	step("a signal", func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGUSR1)
		defer signal.Stop(c)
		syscall.Kill(os.Getpid(), syscall.SIGUSR1)
		<-c
	})
	step("the shared pipe", func() {
		if err := drainUntilMarker(s.pr, s.pw); err != nil {
			fail("the shared pipe: %v", err)
		}
	})
	step("the shared TCP connection", func() {
		if err := drainUntilMarker(s.conn, s.conn); err != nil {
			fail("the shared TCP connection: %v", err)
		}
	})
	step("a new TCP connection", func() {
		c, err := net.Dial("tcp", s.ln.Addr().String())
		if err != nil {
			fail("dial: %v", err)
			return
		}
		defer c.Close()
		c.Write([]byte("hello"))
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
			fail("echo: %q, %v", buf, err)
		}
	})
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n\t"))
	}
	return nil
}

type deadliner interface {
	SetReadDeadline(time.Time) error
	Read([]byte) (int, error)
}

// drainUntilMarker writes the marker to w and reads from rd until the
// marker comes back, skipping what the aborted goroutines left in flight.
// The write may wait for the reads to make room: the echo server of a
// connection stops reading while its writes back are blocked.
func drainUntilMarker(rd deadliner, w io.Writer) error {
	werr := make(chan error, 1)
	go func() {
		_, err := w.Write([]byte{tortureMarker})
		werr <- err
	}()
	defer func() { <-werr }()
	rd.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer rd.SetReadDeadline(time.Time{})
	buf := make([]byte, 64<<10)
	for {
		n, err := rd.Read(buf)
		if slices.Contains(buf[:n], tortureMarker) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
