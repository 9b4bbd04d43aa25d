// Package goid reads the current goroutine's id. nodekit uses it only to
// recognise a call made from inside one of its own callback goroutines (where
// waiting for the caller's own completion would deadlock); it is never on a
// hot path.
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
