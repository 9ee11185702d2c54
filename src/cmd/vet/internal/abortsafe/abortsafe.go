// Copyright 2026 The Goleash Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package abortsafe defines an Analyzer that reports sync mutex locks
// that an abort (runtime.(*GoroutineHandle).Abort) could leave locked.
//
// An abort makes the goroutine panic at its next safe point. The compiler
// keeps aborts out of a critical section whose Lock and Unlock it can
// pair: calls made directly on a *sync.Mutex or *sync.RWMutex (embedded
// or not) in the same function, on the same variable or field path. A
// lock it cannot pair, because the unlock is in another function or the
// lock is a call through an interface, stays exposed: an abort between
// the lock and the unlock unwinds past the unlock, and the mutex stays
// locked forever. This analyzer finds those locks.
package abortsafe

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
)

const Doc = `report mutex locks that an abort could leave locked

A goroutine aborted by runtime.(*GoroutineHandle).Abort panics at its next
safe point. The compiler keeps aborts out of a critical section whose
Lock (or RLock, TryLock, TryRLock) and Unlock (or RUnlock) it can pair: calls
made directly on a sync.Mutex or sync.RWMutex, embedded or not, in the same
function, on the same variable or field path. A lock whose unlock is
deferred in the same function is protected by the deferred call.

The abortsafe check reports the locks the compiler cannot protect:

  - a lock of a sync.Mutex or sync.RWMutex in a function that neither
    unlocks the same receiver nor defers its unlock: the lock is released
    in another function, and an abort landing before that leaves the
    mutex locked forever;
  - a lock through an interface that has Lock and Unlock methods (such as
    sync.Locker), whose dynamic type may be a sync mutex, unless its unlock
    is deferred in the same function.

To fix a report, defer the unlock in the function that locks, or run the
whole critical section inside runtime.MaskAbort, which holds aborts until
it returns. Locks inside a function literal passed to runtime.MaskAbort,
and locks in packages where aborts never land (runtime, sync, os, net,
time, internal packages and the others listed in doc/goleash/abort.md),
are not reported.

The check is off by default: "go vet" does not run it, "go vet -abortsafe"
does.`

var Analyzer = &analysis.Analyzer{
	Name: "abortsafe",
	Doc:  Doc,
	Run:  run,
}

// abortSafePackage reports whether an abort may land in code of the
// package with import path pkg. It mirrors abortSafePackage and
// abortHeldPackage in src/runtime/abort.go, less the entries that exist
// only as symbol name prefixes (cgo stubs, generated type functions):
// keep them in sync.
func abortSafePackage(pkg string) bool {
	if strings.HasSuffix(pkg, "_test") {
		// An external test package is user code whatever its path.
		return true
	}
	switch pkg {
	case "runtime", "sync", "syscall", "os", "net", "time", "context",
		"reflect", "iter", "unique", "weak", "plugin", "testing", "crypto/tls",
		// abortHeldPackage: aborts wait until these packages return.
		"fmt", "bytes", "text/template", "html/template", "log/slog":
		return false
	}
	for _, prefix := range [...]string{"runtime/", "internal/", "sync/", "syscall/", "os/", "net/", "vendor/", "crypto/internal/"} {
		if strings.HasPrefix(pkg, prefix) {
			return false
		}
	}
	return !strings.Contains(pkg, "/internal/") && !strings.HasSuffix(pkg, "/internal")
}

// A lockKind says how a call locks or unlocks.
type lockKind int

const (
	notLock   lockKind = iota
	syncLock           // Lock, RLock, TryLock, TryRLock of a sync.Mutex or sync.RWMutex
	ifaceLock          // Lock or RLock through an interface that can unlock it
	unlock             // Unlock or RUnlock, of a sync mutex or through an interface
)

// A lockCall is a lock found in a function.
type lockCall struct {
	call *ast.CallExpr
	kind lockKind
	key  string // the receiver, canonicalized by receiverKey
	recv string // the receiver as written, for the message
	name string // the method: Lock, RLock, TryLock or TryRLock
}

// A funcInfo describes one function body: a declared function or a
// function literal. Each is compiled as a function of its own, so a lock
// in a function literal does not pair with an unlock in the function
// around it, nor the other way around.
type funcInfo struct {
	outer *funcInfo // the function the literal appears in; nil for a FuncDecl
	locks []lockCall

	// unlocked holds the keys of the receivers this function unlocks by
	// a direct call, deferred holds those whose unlock it defers, directly
	// (defer mu.Unlock()) or by a deferred function literal that unlocks
	// them (defer func() { mu.Unlock() }()).
	unlocked map[string]bool
	deferred map[string]bool

	// masked reports that this is the function literal passed to
	// runtime.MaskAbort, so that it runs with aborts held. calledByOuter
	// reports that the literal is called where it is written, by its
	// outer function (func() { ... }() or defer func() { ... }()), so that
	// it runs with aborts held if the outer function does. deferredByOuter
	// reports that it is called by a defer statement of its outer
	// function, so that the unlocks it makes are deferred unlocks of the
	// outer function.
	masked          bool
	calledByOuter   bool
	deferredByOuter bool
}

// runsMasked reports whether f always runs inside runtime.MaskAbort.
func (f *funcInfo) runsMasked() bool {
	for ; f != nil; f = f.outer {
		if f.masked {
			return true
		}
		if !f.calledByOuter {
			return false
		}
	}
	return false
}

func run(pass *analysis.Pass) (any, error) {
	if !abortSafePackage(pass.Pkg.Path()) {
		return nil, nil
	}
	for _, file := range pass.Files {
		checkFile(pass, file)
	}
	return nil, nil
}

func checkFile(pass *analysis.Pass, file *ast.File) {
	var (
		funcs []*funcInfo
		nodes []ast.Node  // the path from file to the node visited
		inFn  []*funcInfo // for each node of nodes, the innermost function around or at it
		// lits holds the funcInfo of each function literal, created
		// when its parent is seen, which says how the literal is called.
		lits = make(map[*ast.FuncLit]*funcInfo)
	)
	current := func() *funcInfo {
		if len(inFn) == 0 {
			return nil
		}
		return inFn[len(inFn)-1]
	}
	litInfo := func(lit *ast.FuncLit) *funcInfo {
		f := lits[lit]
		if f == nil {
			f = &funcInfo{outer: current(), unlocked: make(map[string]bool), deferred: make(map[string]bool)}
			funcs = append(funcs, f)
			lits[lit] = f
		}
		return f
	}

	ast.Inspect(file, func(n ast.Node) bool {
		if n == nil {
			nodes = nodes[:len(nodes)-1]
			inFn = inFn[:len(inFn)-1]
			return true
		}
		fn := current()
		switch n := n.(type) {
		case *ast.FuncDecl:
			fn = nil
			if n.Body != nil {
				fn = &funcInfo{unlocked: make(map[string]bool), deferred: make(map[string]bool)}
				funcs = append(funcs, fn)
			}
		case *ast.FuncLit:
			fn = litInfo(n)
		case *ast.DeferStmt:
			if fn == nil {
				break
			}
			if lit, ok := ast.Unparen(n.Call.Fun).(*ast.FuncLit); ok {
				litInfo(lit).deferredByOuter = true
			} else if kind, key, _, _ := classify(pass.TypesInfo, n.Call); kind == unlock {
				fn.deferred[key] = true
			}
		case *ast.CallExpr:
			if fn == nil {
				break // a call in a package-level initializer
			}
			if lit, ok := ast.Unparen(n.Fun).(*ast.FuncLit); ok {
				// Called where it is written, unless by a go
				// statement, which runs it in another goroutine.
				if _, isGo := nodes[len(nodes)-1].(*ast.GoStmt); !isGo {
					litInfo(lit).calledByOuter = true
				}
			}
			if len(n.Args) == 1 && isMaskAbort(pass.TypesInfo, n) {
				if lit, ok := ast.Unparen(n.Args[0]).(*ast.FuncLit); ok {
					litInfo(lit).masked = true
				}
			}
			switch kind, key, recv, name := classify(pass.TypesInfo, n); kind {
			case syncLock, ifaceLock:
				fn.locks = append(fn.locks, lockCall{call: n, kind: kind, key: key, recv: recv, name: name})
			case unlock:
				fn.unlocked[key] = true
			}
		}
		nodes = append(nodes, n)
		inFn = append(inFn, fn)
		return true
	})

	// The unlocks of a deferred literal are deferred unlocks of the
	// function that defers it.
	for _, f := range funcs {
		if f.deferredByOuter {
			for key := range f.unlocked {
				f.outer.deferred[key] = true
			}
		}
	}

	for _, f := range funcs {
		if f.runsMasked() {
			continue
		}
		for _, l := range f.locks {
			if f.deferred[l.key] {
				continue
			}
			unlockName := "Unlock"
			if l.name == "RLock" || l.name == "TryRLock" {
				unlockName = "RUnlock"
			}
			switch l.kind {
			case syncLock:
				if f.unlocked[l.key] {
					continue
				}
				pass.Reportf(l.call.Pos(), "%s.%s() is not unlocked in this function: an abort landing before the unlock in another function leaves %s locked forever; defer %s.%s() here, or run the critical section inside runtime.MaskAbort",
					l.recv, l.name, l.recv, l.recv, unlockName)
			case ifaceLock:
				pass.Reportf(l.call.Pos(), "%s.%s() locks through an interface, which the compiler cannot pair with its unlock: if %s is a sync mutex, an abort landing before the unlock leaves it locked forever; defer %s.%s() here, or run the critical section inside runtime.MaskAbort",
					l.recv, l.name, l.recv, l.recv, unlockName)
			}
		}
	}
}

// classify reports whether call locks or unlocks a mutex, and if so the
// key of the receiver (see receiverKey), the receiver as written and the
// method name.
func classify(info *types.Info, call *ast.CallExpr) (kind lockKind, key, recv, name string) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return notLock, "", "", ""
	}
	selection := info.Selections[sel]
	if selection == nil {
		return notLock, "", "", "" // a qualified identifier
	}
	fn, ok := selection.Obj().(*types.Func)
	if !ok {
		return notLock, "", "", ""
	}
	sig := fn.Type().(*types.Signature)
	if sig.Params().Len() != 0 || sig.Recv() == nil {
		return notLock, "", "", ""
	}
	name = fn.Name()
	kind = methodKind(sig, name)
	if kind == notLock {
		return notLock, "", "", ""
	}

	// The receiver: x in x.Lock(), or the argument of a method
	// expression, (*sync.Mutex).Lock(&mu). A method promoted from an
	// embedded field locks that field: s.Lock() is s.Mutex.Lock().
	var x ast.Expr
	switch selection.Kind() {
	case types.MethodVal:
		x = sel.X
	case types.MethodExpr:
		if len(call.Args) != 1 {
			return notLock, "", "", ""
		}
		x = call.Args[0]
	default:
		return notLock, "", "", ""
	}
	index := selection.Index()
	key = receiverKey(info, x) + embeddedPath(selection.Recv(), index[:len(index)-1])
	return kind, key, types.ExprString(stripAddr(x)), name
}

// methodKind says whether a call of the method name with signature sig
// (which has no parameters) locks or unlocks.
func methodKind(sig *types.Signature, name string) lockKind {
	recv := types.Unalias(sig.Recv().Type())
	if ptr, ok := recv.(*types.Pointer); ok {
		recv = types.Unalias(ptr.Elem())
	}
	if named, ok := recv.(*types.Named); ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "sync" &&
		(named.Obj().Name() == "Mutex" || named.Obj().Name() == "RWMutex") {
		switch name {
		case "Lock", "RLock", "TryLock", "TryRLock":
			return syncLock
		case "Unlock", "RUnlock":
			return unlock
		}
		return notLock
	}

	iface, ok := recv.Underlying().(*types.Interface)
	if !ok || sig.Results().Len() != 0 {
		return notLock
	}
	// A lock through an interface is reported only if the interface can
	// also unlock what it locked: only then may its dynamic type be a
	// sync mutex, or a type that embeds one.
	var unlockName string
	switch name {
	case "Lock":
		unlockName = "Unlock"
	case "RLock":
		unlockName = "RUnlock"
	case "Unlock", "RUnlock":
		return unlock
	default:
		return notLock
	}
	for m := range iface.Methods() {
		if m.Name() == unlockName {
			s := m.Type().(*types.Signature)
			if s.Params().Len() == 0 && s.Results().Len() == 0 {
				return ifaceLock
			}
		}
	}
	return notLock
}

// receiverKey returns a string that is the same for two receiver
// expressions that are syntactically the same mutex: the same variable,
// or the same path of fields, element indexes and dereferences from it.
// Parentheses, & and * are dropped (&s.mu, (*p).mu and p.mu are the same
// as s.mu and p.mu), the fields through which a promoted field is
// selected are made explicit (s.mu is s.inner.mu when inner embeds mu),
// and identifiers stand for the objects they denote, so that a variable
// shadowing another of the same name is another mutex.
func receiverKey(info *types.Info, e ast.Expr) string {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return receiverKey(info, e.X)
	case *ast.StarExpr:
		return receiverKey(info, e.X)
	case *ast.UnaryExpr:
		if e.Op == token.AND {
			return receiverKey(info, e.X)
		}
	case *ast.Ident:
		if obj := info.ObjectOf(e); obj != nil {
			return objectKey(obj)
		}
	case *ast.SelectorExpr:
		if sel := info.Selections[e]; sel != nil {
			if sel.Kind() == types.FieldVal {
				index := sel.Index()
				return receiverKey(info, e.X) + embeddedPath(sel.Recv(), index[:len(index)-1]) + "." + e.Sel.Name
			}
		} else if obj := info.ObjectOf(e.Sel); obj != nil {
			return objectKey(obj) // a qualified identifier, pkg.mu
		}
	case *ast.IndexExpr:
		return receiverKey(info, e.X) + "[" + types.ExprString(e.Index) + "]"
	}
	return types.ExprString(e)
}

// objectKey identifies obj in a receiver key.
func objectKey(obj types.Object) string {
	if obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope() {
		return obj.Pkg().Path() + "." + obj.Name()
	}
	return fmt.Sprintf("%s·%d", obj.Name(), obj.Pos())
}

// embeddedPath returns the names of the embedded fields that index
// selects, one after the other, starting from a value of type t, each
// preceded by a dot.
func embeddedPath(t types.Type, index []int) string {
	var b strings.Builder
	for _, i := range index {
		t = types.Unalias(t)
		if ptr, ok := t.(*types.Pointer); ok {
			t = ptr.Elem()
		}
		st, ok := t.Underlying().(*types.Struct)
		if !ok {
			break
		}
		f := st.Field(i)
		b.WriteString(".")
		b.WriteString(f.Name())
		t = f.Type()
	}
	return b.String()
}

// stripAddr removes parentheses and a leading & from e.
func stripAddr(e ast.Expr) ast.Expr {
	e = ast.Unparen(e)
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		return ast.Unparen(u.X)
	}
	return e
}

// isMaskAbort reports whether call calls runtime.MaskAbort.
func isMaskAbort(info *types.Info, call *ast.CallExpr) bool {
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	default:
		return false
	}
	fn, ok := info.Uses[id].(*types.Func)
	return ok && fn.Pkg() != nil && fn.Pkg().Path() == "runtime" && fn.Name() == "MaskAbort" &&
		fn.Type().(*types.Signature).Recv() == nil
}
