// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime_test

import (
	"errors"
	"fmt"
	"internal/testenv"
	"iter"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestLockToRecvOSThreadSameThread(t *testing.T) {
	s := startSyscallServer()
	defer s.stop()
	serverTid := s.thread()

	const callers = 8
	var wg sync.WaitGroup
	var wrong atomic.Int64
	check := func() {
		if syscall.Gettid() != serverTid {
			wrong.Add(1)
		}
	}
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockToRecvOSThread(s.calls)
			defer runtime.UnlockOSThread()
			check()
			for j := 0; j < 200; j++ {
				switch j % 8 {
				case 0:
					s.do(check) // the server runs on the same thread
				case 1:
					runtime.Gosched()
				case 2:
					if j%64 == 2 {
						runtime.GC()
					}
				case 3:
					time.Sleep(10 * time.Microsecond)
				case 4:
					os.Getpid() // a system call
				case 5:
					func() {
						defer func() { recover() }()
						panic("x")
					}()
				case 6:
					// Nested lock and unlock keep the binding.
					runtime.LockOSThread()
					check()
					runtime.UnlockOSThread()
				case 7:
					// Ping-pong with another bound goroutine.
					c := make(chan int)
					go func() {
						runtime.LockToRecvOSThread(s.calls)
						defer runtime.UnlockOSThread()
						check()
						c <- 1
						check()
						<-c
					}()
					<-c
					c <- 2
				}
				check()
			}
		}()
	}
	wg.Wait()
	if n := wrong.Load(); n != 0 {
		t.Errorf("%d times a bound goroutine ran on another thread than the server's", n)
	}
}

func TestLockToRecvOSThreadGoexit(t *testing.T) {
	s := startSyscallServer()
	defer s.stop()
	serverTid := s.thread()
	// A bound goroutine that exits without unlocking leaves the
	// thread to the others.
	done := make(chan int)
	go func() {
		runtime.LockToRecvOSThread(s.calls)
		defer func() { done <- syscall.Gettid() }()
		runtime.Goexit()
	}()
	if tid := <-done; tid != serverTid {
		t.Errorf("bound goroutine ran its deferred call on thread %d, want %d", tid, serverTid)
	}
	if again := s.thread(); again != serverTid {
		t.Errorf("server moved from thread %d to %d", serverTid, again)
	}
}

func TestLockToRecvOSThreadUnlock(t *testing.T) {
	s := startSyscallServer()
	defer s.stop()
	serverTid := s.thread()
	done := make(chan error)
	go func() {
		runtime.LockToRecvOSThread(s.calls)
		runtime.LockOSThread() // nests
		runtime.UnlockOSThread()
		if syscall.Gettid() != serverTid {
			done <- errors.New("nested unlock unbound the goroutine")
			return
		}
		runtime.UnlockOSThread()
		// Unbound: it must not run on the server's thread any more,
		// which stays locked to the server.
		for i := 0; i < 100; i++ {
			if syscall.Gettid() == serverTid {
				done <- errors.New("unbound goroutine ran on the server's thread")
				return
			}
			runtime.Gosched()
		}
		// And bound again.
		runtime.LockToRecvOSThread(s.calls)
		defer runtime.UnlockOSThread()
		if syscall.Gettid() != serverTid {
			done <- errors.New("goroutine bound again runs on another thread than the server's")
			return
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestLockToRecvOSThreadOwnerExits(t *testing.T) {
	// The owner exits locked while a goroutine is bound to its thread:
	// the thread lives on for it, and exits once it unlocks.
	calls := make(chan func())
	ownerTid := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		ownerTid <- syscall.Gettid()
		(<-calls)()
		// Exit without UnlockOSThread.
	}()
	tid := <-ownerTid
	result := make(chan error)
	go func() {
		runtime.LockToRecvOSThread(calls)
		calls <- func() {}
		time.Sleep(10 * time.Millisecond) // the owner is gone by now
		for i := 0; i < 10; i++ {
			runtime.Gosched()
			if got := syscall.Gettid(); got != tid {
				result <- errors.New("bound goroutine left the thread of the owner that exited")
				return
			}
		}
		runtime.UnlockOSThread()
		result <- nil
	}()
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	// The thread exits.
	task := "/proc/self/task/" + itoa(tid)
	for deadline := time.Now().Add(time.Minute); ; {
		if _, err := os.Stat(task); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d of the exited owner still exists", tid)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLockToRecvOSThreadOwnerUnlocks(t *testing.T) {
	// The owner unlocks while a goroutine is bound to its thread: the
	// owner leaves the thread, which stays the bound goroutine's.
	calls := make(chan func())
	ownerTid := make(chan int)
	ownerAfter := make(chan int)
	go func() {
		runtime.LockOSThread()
		ownerTid <- syscall.Gettid()
		(<-calls)()
		runtime.UnlockOSThread()
		ownerAfter <- syscall.Gettid()
	}()
	tid := <-ownerTid
	result := make(chan error)
	go func() {
		runtime.LockToRecvOSThread(calls)
		calls <- func() {}
		if after := <-ownerAfter; after == tid {
			result <- errors.New("the owner ran on the thread after it unlocked it, with a goroutine bound to it")
			return
		}
		for i := 0; i < 10; i++ {
			runtime.Gosched()
			if syscall.Gettid() != tid {
				result <- errors.New("bound goroutine left the thread when its owner unlocked")
				return
			}
		}
		runtime.UnlockOSThread()
		result <- nil
	}()
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}

// thread returns the ID of the server's thread.
func (s *syscallServer) thread() int {
	var tid int
	s.do(func() { tid = syscall.Gettid() })
	return tid
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// TestLockToRecvOSThreadPtrace checks the binding the way the kernel does:
// ptrace requests are accepted only from the tracer thread. A goroutine
// locked to its thread starts a traced child (Delve's case); goroutines
// bound to that thread can peek at the child, others cannot.
func TestLockToRecvOSThreadPtrace(t *testing.T) {
	testenv.MustHaveExec(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	calls := make(chan func())
	started := make(chan error)
	var pid int
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		pid = cmd.Process.Pid
		// The child stops at its exec; wait for it here, in the tracer.
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || !ws.Stopped() {
			started <- fmt.Errorf("wait4 = %v, status %v; want a stopped child", err, ws)
			cmd.Process.Kill()
			return
		}
		started <- nil
		for f := range calls {
			f()
		}
		cmd.Process.Kill()
		cmd.Wait()
	}()
	if err := <-started; err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skipf("ptrace not permitted here: %v", err)
		}
		if errors.Is(err, syscall.ENOSYS) {
			// qemu-user answers PTRACE_TRACEME with ENOSYS.
			t.Skipf("ptrace not implemented here (as under qemu-user): %v", err)
		}
		t.Fatal(err)
	}
	defer close(calls)
	addr, err := firstMapping(pid)
	if err != nil {
		t.Fatal(err)
	}
	peek := func() error {
		buf := make([]byte, 8)
		_, err := syscall.PtracePeekData(pid, addr, buf)
		return err
	}
	var direct error
	done := make(chan struct{})
	calls <- func() { direct = peek(); close(done) }
	<-done
	if direct != nil {
		t.Fatalf("PTRACE_PEEKDATA from the tracer goroutine: %v", direct)
	}
	if err := peek(); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("PTRACE_PEEKDATA from an unbound goroutine: %v, want ESRCH", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockToRecvOSThread(calls)
			defer runtime.UnlockOSThread()
			for j := 0; j < 100; j++ {
				if err := peek(); err != nil {
					errs <- fmt.Errorf("PTRACE_PEEKDATA from a bound goroutine: %v", err)
					return
				}
				if j%10 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// firstMapping returns the start address of the first mapping of process
// pid.
func firstMapping(pid int) (uintptr, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return 0, err
	}
	start, _, ok := strings.Cut(string(data), "-")
	if !ok {
		return 0, fmt.Errorf("/proc/%d/maps: %q", pid, data)
	}
	addr, err := strconv.ParseUint(start, 16, 64)
	return uintptr(addr), err
}

func TestLockToRecvOSThreadCoroutine(t *testing.T) {
	// iter.Pull switches goroutines on the thread: the binding moves to
	// the coroutine and back.
	s := startSyscallServer()
	defer s.stop()
	serverTid := s.thread()
	done := make(chan error)
	go func() {
		runtime.LockToRecvOSThread(s.calls)
		next, stop := iter.Pull(func(yield func(int) bool) {
			for i := 0; ; i++ {
				if !yield(syscall.Gettid()) {
					return
				}
			}
		})
		for i := 0; i < 10; i++ {
			if tid, _ := next(); tid != serverTid {
				done <- fmt.Errorf("coroutine of a bound goroutine ran on thread %d, want %d", tid, serverTid)
				return
			}
		}
		stop()
		if tid := syscall.Gettid(); tid != serverTid {
			done <- fmt.Errorf("bound goroutine on thread %d after iter.Pull, want %d", tid, serverTid)
			return
		}
		runtime.UnlockOSThread()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestLockToRecvOSThreadStress binds thousands of goroutines to a few
// threads that serve them, with GC cycles, timers and other goroutines
// that are not bound and must keep running.
func TestLockToRecvOSThreadStress(t *testing.T) {
	servers, perServer, rounds := 4, 500, 20
	if testing.Short() {
		perServer, rounds = 200, 10
	}
	var unboundWork atomic.Int64
	stopUnbound := make(chan struct{})
	var unbound sync.WaitGroup
	for i := 0; i < 2; i++ {
		unbound.Add(1)
		go func() {
			defer unbound.Done()
			for {
				select {
				case <-stopUnbound:
					return
				default:
				}
				unboundWork.Add(1)
				time.Sleep(100 * time.Microsecond)
			}
		}()
	}
	var wrong atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < servers; i++ {
		s := startSyscallServer()
		defer s.stop()
		tid := s.thread()
		for j := 0; j < perServer; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockToRecvOSThread(s.calls)
				defer runtime.UnlockOSThread()
				for k := 0; k < rounds; k++ {
					s.do(func() {})
					if k%5 == j%5 {
						time.Sleep(time.Duration(j%50) * time.Microsecond)
					}
					if j == 0 && k%5 == 0 {
						runtime.GC()
					}
					if syscall.Gettid() != tid {
						wrong.Add(1)
					}
				}
			}()
		}
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	before := unboundWork.Load()
	select {
	case <-finished:
	case <-time.After(5 * time.Minute):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("bound goroutines did not finish in 5 minutes:\n%s", buf)
	}
	close(stopUnbound)
	unbound.Wait()
	if n := wrong.Load(); n != 0 {
		t.Errorf("%d times a bound goroutine ran on another thread than its server's", n)
	}
	if unboundWork.Load() == before {
		t.Errorf("unbound goroutines made no progress while the bound ones ran")
	}
}
