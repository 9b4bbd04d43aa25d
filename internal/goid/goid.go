// Package goid reads the current goroutine's id. nodekit uses it only to
// recognise a call made from inside one of its own callback goroutines (where
// waiting for the caller's own completion would deadlock), and never on a hot
// path: once when a goroutine starts delivering callbacks, and in a Stop or
// Join that happens while a callback of the same handle is running (see
// core/lifecycle/callback.go). Reading it costs a few microseconds.
package goid

import (
	"bytes"
	"runtime"
	"strconv"
)

// Current returns the id of the calling goroutine.
func Current() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		panic("goid: unexpected runtime.Stack format: " + err.Error())
	}
	return id
}
