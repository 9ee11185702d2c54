// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that the server's logger and the test may
// use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestHandlerAborted checks that a handler that ends with an abort is
// treated like one that panics with ErrAbortHandler: the response is cut
// off and nothing is logged. A handler that panics otherwise is logged,
// which shows that the log is watched.
func TestHandlerAborted(t *testing.T) {
	for _, proto := range []string{"HTTP/1", "HTTP/2"} {
		t.Run(proto, func(t *testing.T) {
			for _, abort := range []bool{true, false} {
				var logbuf syncBuffer
				handles := make(chan *runtime.GoroutineHandle, 1)
				ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !abort {
						panic("boom")
					}
					handles <- runtime.GetGoroutineHandle()
					select {}
				}))
				ts.Config.ErrorLog = log.New(&logbuf, "", 0)
				if proto == "HTTP/2" {
					ts.EnableHTTP2 = true
					ts.StartTLS()
				} else {
					ts.Start()
				}
				errc := make(chan error, 1)
				go func() {
					res, err := ts.Client().Get(ts.URL)
					if err == nil {
						res.Body.Close()
					}
					errc <- err
				}()
				if abort {
					h := <-handles
					h.Abort()
					select {
					case <-h.Done():
					case <-time.After(time.Minute):
						t.Fatalf("aborted handler %v did not exit", h)
					}
				}
				if err := <-errc; err == nil {
					t.Errorf("abort=%v: request succeeded", abort)
				}
				ts.Close()
				logged := logbuf.String()
				if abort && strings.Contains(logged, "panic serving") {
					t.Errorf("aborted handler logged:\n%s", logged)
				}
				if !abort {
					// HTTP/2 resets the stream before it logs the
					// panic: the client may see the error first.
					for deadline := time.Now().Add(time.Minute); !strings.Contains(logged, "boom") && time.Now().Before(deadline); {
						time.Sleep(time.Millisecond)
						logged = logbuf.String()
					}
					if !strings.Contains(logged, "boom") {
						t.Errorf("panicking handler not logged; log:\n%s", logged)
					}
				}
			}
		})
	}
}

// marshalForever marshals a large value until something stops it: the
// work that AbortAbandonedHandler is for, since it never looks at a
// context.
func marshalForever() {
	v := make([]map[string]any, 2000)
	for i := range v {
		v[i] = map[string]any{"name": strings.Repeat("x", 64), "n": i, "tags": []string{"a", "b"}}
	}
	for {
		if _, err := json.Marshal(v); err != nil {
			panic(err)
		}
	}
}

// newAbortTestServer starts a server for h, over HTTP/2 if proto says so,
// and returns it with its error log.
func newAbortTestServer(t *testing.T, proto string, h http.Handler) (*httptest.Server, *syncBuffer) {
	t.Helper()
	logbuf := new(syncBuffer)
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(logbuf, "", 0)
	if proto == "HTTP/2" {
		ts.EnableHTTP2 = true
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts, logbuf
}

// waitClosed fails the test unless c is closed within a minute.
func waitClosed(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(time.Minute):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not happen in a minute; all goroutines:\n%s", what, buf)
	}
}

func TestAbortAbandonedHandlerClientGone(t *testing.T) {
	for _, proto := range []string{"HTTP/1", "HTTP/2"} {
		t.Run(proto, func(t *testing.T) {
			started := make(chan struct{})
			unwound := make(chan struct{})
			var recovered any
			ts, logbuf := newAbortTestServer(t, proto, http.AbortAbandonedHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer func() {
					recovered = recover()
					close(unwound)
					panic(recovered)
				}()
				close(started)
				marshalForever()
			})))
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL, nil)
			errc := make(chan error, 1)
			go func() {
				res, err := ts.Client().Do(req)
				if err == nil {
					res.Body.Close()
				}
				errc <- err
			}()
			<-started
			cancel() // the client gives up
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Errorf("client: %v, want context.Canceled", err)
			}
			waitClosed(t, unwound, "the abort of the abandoned handler")
			if err, ok := recovered.(error); !ok || !errors.Is(err, runtime.ErrAborted) {
				t.Errorf("handler recovered %v, want runtime.ErrAborted", recovered)
			}
			ts.Close()
			if logged := logbuf.String(); strings.Contains(logged, "panic") {
				t.Errorf("aborted handler logged:\n%s", logged)
			}
		})
	}
}

func TestAbortAbandonedHandlerInTimeoutHandler(t *testing.T) {
	unwound := make(chan struct{})
	h := http.TimeoutHandler(http.AbortAbandonedHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(unwound)
		marshalForever()
	})), 20*time.Millisecond, "too slow")
	ts, logbuf := newAbortTestServer(t, "HTTP/1", h)
	res, err := ts.Client().Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusServiceUnavailable || string(body) != "too slow" {
		t.Errorf("got %v %q, %v; want 503 \"too slow\"", res.Status, body, err)
	}
	waitClosed(t, unwound, "the abort of the timed-out handler")
	ts.Close()
	if logged := logbuf.String(); strings.Contains(logged, "panic") {
		t.Errorf("aborted handler logged:\n%s", logged)
	}
}

// An aborted handler's response must not look complete to the client.
func TestAbortAbandonedHandlerCutsResponse(t *testing.T) {
	inner := http.AbortAbandonedHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		marshalForever()
	}))
	ts, _ := newAbortTestServer(t, "HTTP/1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 50*time.Millisecond)
		defer cancel()
		inner.ServeHTTP(w, r.WithContext(ctx))
	}))
	res, err := ts.Client().Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "partial" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read %q, %v; want \"partial\", unexpected EOF", body, err)
	}
}

// Handlers that finish keep their responses and their panics, and a
// connection reused for many requests sees no stray abort.
func TestAbortAbandonedHandlerPassThrough(t *testing.T) {
	ts, logbuf := newAbortTestServer(t, "HTTP/1", http.AbortAbandonedHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		io.WriteString(w, r.URL.Path)
	})))
	c := ts.Client()
	for i := 0; i < 200; i++ {
		path := "/" + strings.Repeat("a", i%7)
		res, err := c.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || string(body) != path {
			t.Fatalf("request %d: got %q, %v; want %q", i, body, err, path)
		}
	}
	if _, err := c.Get(ts.URL + "/panic"); err == nil {
		t.Errorf("request to a panicking handler succeeded")
	}
	for deadline := time.Now().Add(time.Minute); !strings.Contains(logbuf.String(), "boom"); {
		if time.Now().After(deadline) {
			t.Fatalf("the handler's panic was not logged; log:\n%s", logbuf.String())
		}
		time.Sleep(time.Millisecond)
	}
}
