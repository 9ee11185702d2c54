// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// serverStats is what GET /stats returns.
type serverStats struct {
	Uptime     float64 `json:"uptime"`     // seconds since the server started
	CPU        float64 `json:"cpu"`        // user+system CPU seconds of the process
	RSS        float64 `json:"rss"`        // resident memory now, MiB
	PeakRSS    float64 `json:"peakRSS"`    // VmHWM, MiB
	Goroutines int     `json:"goroutines"` // now
	InFlight   int64   `json:"inFlight"`   // LIST handlers running now

	Served    int64 `json:"served"`    // handlers that finished with their client still there
	Abandoned int64 `json:"abandoned"` // handlers that finished after their request was abandoned
	Aborted   int64 `json:"aborted"`   // handlers stopped by an abort
}

type server struct {
	start   time.Time
	objects []Object

	inFlight, served, abandoned, aborted atomic.Int64
}

// list serves GET /list: a fresh copy of every object, marshaled at once,
// as an API server answers a LIST from its cache.
func (s *server) list(w http.ResponseWriter, r *http.Request) {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	defer func() {
		if p := recover(); p != nil {
			if err, ok := p.(error); ok && errors.Is(err, runtime.ErrAborted) {
				s.aborted.Add(1)
			}
			panic(p)
		}
	}()
	body, err := json.Marshal(List{Kind: "PodList", APIVersion: "v1", Items: deepCopy(s.objects)})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if r.Context().Err() != nil {
		s.abandoned.Add(1) // nobody will read it
	} else {
		s.served.Add(1)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func (s *server) stats() serverStats {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	rss, peak := procMemory()
	return serverStats{
		Uptime:     time.Since(s.start).Seconds(),
		CPU:        cpu.Seconds(),
		RSS:        rss,
		PeakRSS:    peak,
		Goroutines: runtime.NumGoroutine(),
		InFlight:   s.inFlight.Load(),
		Served:     s.served.Load(),
		Abandoned:  s.abandoned.Load(),
		Aborted:    s.aborted.Load(),
	}
}

// procMemory returns the process's resident memory and its peak, in MiB.
func procMemory() (rss, peak float64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if k == "VmRSS" {
			rss = kb / 1024
		} else {
			peak = kb / 1024
		}
	}
	return rss, peak
}

// runServer is the "server" command: it serves until SIGTERM, writing a
// sample of its stats every interval to the samples file.
func runServer(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	abort := fs.Bool("abort", false, "wrap the LIST handler in http.AbortAbandonedHandler")
	items := fs.Int("items", 8000, "objects in a LIST response")
	timeout := fs.Duration("timeout", 4*time.Second, "the server's own deadline for a LIST (http.TimeoutHandler)")
	samples := fs.String("samples", "", "write a CSV sample of the stats to this file every -interval")
	interval := fs.Duration("interval", 100*time.Millisecond, "sampling interval")
	fs.Parse(args)

	s := &server{start: time.Now(), objects: makeObjects(*items)}
	var list http.Handler = http.HandlerFunc(s.list)
	if *abort {
		list = http.AbortAbandonedHandler(list)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /list", http.TimeoutHandler(list, *timeout, "LIST timed out"))
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(s.stats())
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	sampled := make(chan error, 1)
	if *samples == "" {
		go func() {
			<-stop
			sampled <- nil
		}()
	} else {
		f, err := os.Create(*samples)
		if err != nil {
			return err
		}
		go func() {
			w := bufio.NewWriter(f)
			fmt.Fprintln(w, "t,rss_mib,goroutines,inflight,cpu_s")
			tick := time.NewTicker(*interval)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
					st := s.stats()
					fmt.Fprintf(w, "%.2f,%.1f,%d,%d,%.3f\n", st.Uptime, st.RSS, st.Goroutines, st.InFlight, st.CPU)
					continue
				case <-stop:
				}
				err := w.Flush()
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				sampled <- err
				return
			}
		}()
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Printf("listening %s\n", ln.Addr())
	return <-sampled
}
