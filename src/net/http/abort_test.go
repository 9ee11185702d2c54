// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package http_test

import (
	"bytes"
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
