// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// config is the scenario: the flood every run gets.
type config struct {
	Items         int           `json:"items"`
	Clients       int           `json:"clients"`
	ClientTimeout time.Duration `json:"clientTimeout"`
	ServerTimeout time.Duration `json:"serverTimeout"`
	Backoff       time.Duration `json:"backoff"`
	BackoffCap    time.Duration `json:"backoffCap"`
	GiveUp        time.Duration `json:"giveUp"`
	Drain         time.Duration `json:"drain"`
	Calibrate     int           `json:"calibrate"`
}

// result is what one run measured. Times are seconds of server uptime, so
// that they line up with the server's samples.
type result struct {
	Abort   bool   `json:"abort"`
	Round   int    `json:"round"`
	Samples string `json:"samples"` // file name in the results directory

	CostPerList float64 `json:"costPerList"` // CPU seconds per LIST on an idle server
	BaseRSS     float64 `json:"baseRSS"`     // MiB before the flood

	FloodStart float64 `json:"floodStart"`
	LoadEnd    float64 `json:"loadEnd"`  // every client served or gone
	DrainEnd   float64 `json:"drainEnd"` // no LIST handler left running

	Served   int `json:"served"`   // clients that got their LIST
	GaveUp   int `json:"gaveUp"`   // clients that gave up
	Attempts int `json:"attempts"` // requests the clients made

	RecoverSeconds float64 `json:"recoverSeconds"` // flood start to the last client served
	DrainSeconds   float64 `json:"drainSeconds"`   // after the clients left, until no handler runs

	PeakRSS        float64 `json:"peakRSS"`        // MiB, VmHWM
	PeakGoroutines int     `json:"peakGoroutines"` // largest sample
	PeakHandlers   int     `json:"peakHandlers"`   // most LIST handlers running at once, sampled
	CPU            float64 `json:"cpu"`            // CPU seconds from flood start to drain end
	UsefulCPU      float64 `json:"usefulCPU"`      // Served × CostPerList
	WastedCPU      float64 `json:"wastedCPU"`      // CPU − UsefulCPU
	CPUAfterLeft   float64 `json:"cpuAfterLeft"`   // CPU spent after every client had left

	Handlers serverStats `json:"handlers"` // the server's counters at the end
}

func runScenario(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	out := fs.String("out", "results", "directory for results.json and the samples")
	modes := fs.String("modes", "off,on", "abort settings to run, in order")
	count := fs.Int("count", 3, "rounds: each runs every mode once; the report shows medians")
	var c config
	fs.IntVar(&c.Items, "items", 8000, "objects in a LIST response")
	fs.IntVar(&c.Clients, "clients", 24, "clients that LIST at once, as after a server restart")
	fs.DurationVar(&c.ClientTimeout, "client-timeout", time.Second, "a client's timeout for one LIST")
	fs.DurationVar(&c.ServerTimeout, "server-timeout", 4*time.Second, "the server's deadline for a LIST (http.TimeoutHandler)")
	fs.DurationVar(&c.Backoff, "backoff", 250*time.Millisecond, "a client's first retry backoff; it doubles with each attempt, with full jitter")
	fs.DurationVar(&c.BackoffCap, "backoff-cap", 4*time.Second, "the largest retry backoff")
	fs.DurationVar(&c.GiveUp, "give-up", 90*time.Second, "how long a client retries before it gives up")
	fs.DurationVar(&c.Drain, "drain", 60*time.Second, "how long to wait for the server's handlers once the clients left")
	fs.IntVar(&c.Calibrate, "calibrate", 5, "LISTs on the idle server to measure the CPU one costs")
	fs.Parse(args)

	if err := os.MkdirAll(*out, 0o777); err != nil {
		return err
	}
	for _, mode := range strings.Split(*modes, ",") {
		if mode != "off" && mode != "on" {
			return fmt.Errorf("-modes: %q is neither off nor on", mode)
		}
	}
	var results []result
	for round := 1; round <= *count; round++ {
		for _, mode := range strings.Split(*modes, ",") {
			fmt.Fprintf(os.Stderr, "overload: round %d, abort %s: %d clients, %d objects per LIST\n", round, mode, c.Clients, c.Items)
			samples := fmt.Sprintf("samples-%s-%d.csv", mode, round)
			r, err := runOnce(c, mode == "on", filepath.Join(*out, samples))
			if err != nil {
				return fmt.Errorf("abort %s: %v", mode, err)
			}
			r.Round, r.Samples = round, samples
			fmt.Fprintf(os.Stderr, "overload: served %d/%d in %.1fs, peak RSS %.0f MiB, %d handlers, CPU %.1fs (wasted %.1fs, %.1fs after the clients left)\n",
				r.Served, c.Clients, r.RecoverSeconds, r.PeakRSS, r.PeakHandlers, r.CPU, r.WastedCPU, r.CPUAfterLeft)
			results = append(results, r)
		}
	}
	data, err := json.MarshalIndent(struct {
		Config  config   `json:"config"`
		Results []result `json:"results"`
	}{c, results}, "", "\t")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "results.json"), append(data, '\n'), 0o666); err != nil {
		return err
	}
	return writeReport(filepath.Join(*out, "report.md"), c, results)
}

// runOnce starts a server, floods it and measures it.
func runOnce(c config, abort bool, samples string) (r result, err error) {
	r.Abort = abort
	exe, err := os.Executable()
	if err != nil {
		return r, err
	}
	cmd := exec.Command(exe, "server", "-abort="+strconv.FormatBool(abort), "-items", fmt.Sprint(c.Items),
		"-timeout", c.ServerTimeout.String(), "-samples", samples)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return r, err
	}
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if werr := cmd.Wait(); err == nil && werr != nil {
			err = fmt.Errorf("server: %v", werr)
		}
		if err == nil {
			r.PeakGoroutines, r.PeakHandlers, err = peakSamples(samples)
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		return r, fmt.Errorf("server did not say where it listens: %q, %v", line, err)
	}
	base := "http://" + addr

	// What one LIST costs when nothing competes with it.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.Clients}}
	before, err := getStats(base)
	if err != nil {
		return r, err
	}
	for i := 0; i < c.Calibrate; i++ {
		if err := list(client, base, time.Minute); err != nil {
			return r, fmt.Errorf("calibration: %v", err)
		}
	}
	after, err := getStats(base)
	if err != nil {
		return r, err
	}
	r.CostPerList = (after.CPU - before.CPU) / float64(c.Calibrate)
	r.BaseRSS = after.RSS

	// The flood: every client LISTs at once and retries until served.
	r.FloodStart, r.CPU = after.Uptime, after.CPU
	floodStart := time.Now()
	var (
		mu       sync.Mutex
		lastDone time.Duration
		wg       sync.WaitGroup
	)
	for i := 0; i < c.Clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			attempts, served := flood(client, base, c)
			mu.Lock()
			defer mu.Unlock()
			r.Attempts += attempts
			if served {
				r.Served++
				lastDone = max(lastDone, time.Since(floodStart))
			} else {
				r.GaveUp++
			}
		}()
	}
	wg.Wait()
	r.RecoverSeconds = lastDone.Seconds()
	left, err := getStats(base)
	if err != nil {
		return r, err
	}
	r.LoadEnd = left.Uptime

	// The clients have left; the server may not have.
	end := left
	for deadline := time.Now().Add(c.Drain); end.InFlight > 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		if end, err = getStats(base); err != nil {
			return r, err
		}
	}
	r.DrainEnd = end.Uptime
	r.DrainSeconds = end.Uptime - left.Uptime
	r.CPUAfterLeft = end.CPU - left.CPU
	r.CPU = end.CPU - r.CPU
	r.UsefulCPU = float64(r.Served) * r.CostPerList
	r.WastedCPU = max(0, r.CPU-r.UsefulCPU)
	r.PeakRSS = end.PeakRSS
	r.Handlers = end
	return r, nil
}

// flood is one client: it LISTs until it is served or gives up, backing
// off with full jitter between attempts. It reports how many requests it
// made and whether one succeeded.
func flood(client *http.Client, base string, c config) (attempts int, served bool) {
	giveUp := time.Now().Add(c.GiveUp)
	for time.Now().Before(giveUp) {
		attempts++
		if list(client, base, c.ClientTimeout) == nil {
			return attempts, true
		}
		backoff := min(c.Backoff<<min(attempts-1, 16), c.BackoffCap)
		time.Sleep(rand.N(backoff))
	}
	return attempts, false
}

// list makes one LIST and reads the whole response within timeout.
func list(client *http.Client, base string, timeout time.Duration) error {
	c := *client
	c.Timeout = timeout
	res, err := c.Get(base + "/list")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, res.Body)
		return errors.New(res.Status)
	}
	var l struct {
		Items []json.RawMessage `json:"items"`
	}
	return json.NewDecoder(res.Body).Decode(&l)
}

func getStats(base string) (serverStats, error) {
	var st serverStats
	res, err := http.Get(base + "/stats")
	if err != nil {
		return st, err
	}
	defer res.Body.Close()
	err = json.NewDecoder(res.Body).Decode(&st)
	return st, err
}

// peakSamples returns the largest goroutine and in-flight handler counts
// in a samples file.
func peakSamples(samples string) (goroutines, handlers int, err error) {
	f, err := os.Open(samples)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return 0, 0, err
	}
	for _, row := range rows[1:] {
		g, err1 := strconv.Atoi(row[2])
		h, err2 := strconv.Atoi(row[3])
		if err := errors.Join(err1, err2); err != nil {
			return 0, 0, fmt.Errorf("%s: %v", samples, err)
		}
		goroutines, handlers = max(goroutines, g), max(handlers, h)
	}
	return goroutines, handlers, nil
}

// writeReport writes the results as a Markdown table: for abort off and
// on, the median over the rounds and its range, and the change of the
// medians.
func writeReport(name string, c config, results []result) error {
	var modes [2][]result // by abort off, on
	for _, r := range results {
		i := 0
		if r.Abort {
			i = 1
		}
		modes[i] = append(modes[i], r)
	}
	if len(modes[0]) == 0 || len(modes[1]) == 0 {
		return fmt.Errorf("report: need runs with abort off and on")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d clients LIST %d objects at once (client timeout %v, server timeout %v, backoff %v doubling to %v with full jitter, giving up after %v); %s. Median of %d rounds (range).\n\n",
		c.Clients, c.Items, c.ClientTimeout, c.ServerTimeout, c.Backoff, c.BackoffCap, c.GiveUp, runtime.Version(), len(modes[0]))
	b.WriteString("| | abort off | abort on | change |\n|---|---:|---:|---:|\n")
	row := func(name, format string, value func(r result) float64) {
		var med [2]float64
		fmt.Fprintf(&b, "| %s |", name)
		for i, rs := range modes {
			v := make([]float64, len(rs))
			for j, r := range rs {
				v[j] = value(r)
			}
			slices.Sort(v)
			med[i] = v[len(v)/2]
			if len(v)%2 == 0 {
				med[i] = (v[len(v)/2-1] + v[len(v)/2]) / 2
			}
			fmt.Fprintf(&b, " "+format, med[i])
			if v[0] != v[len(v)-1] {
				fmt.Fprintf(&b, " ("+format+"–"+format+")", v[0], v[len(v)-1])
			}
			b.WriteString(" |")
		}
		if med[0] != 0 {
			fmt.Fprintf(&b, " %+.0f%% |\n", 100*(med[1]-med[0])/med[0])
		} else {
			b.WriteString(" |\n")
		}
	}
	row("peak resident memory (MiB)", "%.0f", func(r result) float64 { return r.PeakRSS })
	row("peak LIST handlers running", "%.0f", func(r result) float64 { return float64(r.PeakHandlers) })
	row("peak goroutines", "%.0f", func(r result) float64 { return float64(r.PeakGoroutines) })
	row("server CPU, flood to drained (s)", "%.1f", func(r result) float64 { return r.CPU })
	row("of which wasted: not for a served client (s)", "%.1f", func(r result) float64 { return r.WastedCPU })
	row("CPU after every client had left (s)", "%.1f", func(r result) float64 { return r.CPUAfterLeft })
	row("time until every client was served (s)", "%.1f", func(r result) float64 { return r.RecoverSeconds })
	row("clients served", "%.0f", func(r result) float64 { return float64(r.Served) })
	row("requests the clients made", "%.0f", func(r result) float64 { return float64(r.Attempts) })
	row("handlers that finished for nobody", "%.0f", func(r result) float64 { return float64(r.Handlers.Abandoned) })
	row("handlers aborted", "%.0f", func(r result) float64 { return float64(r.Handlers.Aborted) })
	fmt.Fprintf(&b, "\nOne LIST costs %.2f s of CPU on the idle server; wasted CPU is the CPU spent minus that cost for each client served.\n", modes[0][0].CostPerList)
	return os.WriteFile(name, []byte(b.String()), 0o666)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
