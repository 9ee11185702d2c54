// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package http

import (
	"errors"
	"runtime"
)

// AbortAbandonedHandler returns a [Handler] that runs h in a goroutine of
// its own and aborts that goroutine (see [runtime.GoroutineHandle.Abort])
// if the request is abandoned before h returns: when the request's context
// is done because the client closed the connection or reset the HTTP/2
// stream, the server was shut down, or a deadline that an enclosing handler
// such as [TimeoutHandler] put on the context passed.
//
// It is for handlers that spend their time in code that does not watch the
// request's context, such as encoding/json marshaling a large value: without
// it, such a handler goes on computing a response that nobody will read.
// Handlers that watch the context do not need it.
//
// ServeHTTP returns only after h's goroutine has exited, so h never uses the
// [ResponseWriter] after ServeHTTP returned. If h was aborted, ServeHTTP
// panics with [ErrAbortHandler]: the response may have been cut short, and
// the server must close the connection (or reset the HTTP/2 stream) rather
// than end the response as if it were complete. Inside a [TimeoutHandler],
// which has already answered, that panic is dropped. Any other panic of h is
// raised again in ServeHTTP.
//
// The abort runs h's deferred calls and lands only where a panic is safe: in
// h's own code and the packages it calls that are not low-level (see the
// runtime package documentation). A handler blocked writing the response to
// a client that does not read is not interrupted inside net/http; the write
// ends when the connection closes or the server's WriteTimeout passes.
//
// Each request costs one more goroutine and its handle.
func AbortAbandonedHandler(h Handler) Handler {
	return &abortAbandonedHandler{handler: h}
}

type abortAbandonedHandler struct {
	handler Handler
}

func (a *abortAbandonedHandler) ServeHTTP(w ResponseWriter, r *Request) {
	handles := make(chan *runtime.GoroutineHandle, 1)
	finished := make(chan struct{})
	var recovered any // written before finished is closed
	go func() {
		defer func() {
			recovered = recover()
			close(finished)
		}()
		handles <- runtime.GetGoroutineHandle()
		a.handler.ServeHTTP(w, r)
	}()
	handle := <-handles
	select {
	case <-finished:
	case <-r.Context().Done():
		// If h has just returned, the abort finds it gone or
		// running its deferred calls, and does nothing.
		handle.Abort()
		<-finished
	}
	if recovered != nil {
		if err, ok := recovered.(error); ok && errors.Is(err, runtime.ErrAborted) {
			panic(ErrAbortHandler)
		}
		panic(recovered)
	}
}
