package nodekit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/processor"
)

// Result kinds: the stable integer that Result.kind() returns and that
// NodekitException.kind() carries, one per kind of outcome (Nodekit.kindName
// gives its name). New kinds are only ever appended, so a number never
// changes meaning; treat a number you do not know as KindFailed.
const (
	// KindOK: success; Result.isOk() is true and message() is "".
	KindOK = 0
	// KindFailed: a service, hook or callback failed (a Java exception or a
	// Go error); message() is its text. Also the kind of any failure that
	// has no kind of its own.
	KindFailed = 1
	// KindPanic: a Go panic was recovered (in nodekit or in a Go service);
	// message() has the stack. The JVM was not harmed.
	KindPanic = 2
	// KindStartTimeout: a service (or a worker) was not ready within its
	// start timeout.
	KindStartTimeout = 3
	// KindStopTimeout: something did not stop within its stop timeout (a
	// callback that does not return, say); message() names what it was
	// busy with. stop() returned at the timeout instead of blocking on.
	KindStopTimeout = 4
	// KindCanceled: the operation was cancelled before it completed.
	KindCanceled = 5
	// KindAborted: an Observer threw from a start event, refusing the start.
	KindAborted = 6
	// KindTooManyRestarts: a service failed more often than its restart
	// policy allows, and was given up on.
	KindTooManyRestarts = 7
	// KindIllegalState: the call does not fit the object's state: started
	// twice, a duplicate name, a method of an object made with `new` instead
	// of its factory, submit() after the processor ended.
	KindIllegalState = 8
)

// Result is the outcome of join(), stop() and their async forms: isOk(),
// kind() (a Kind* constant) and message() ("" when ok). It is immutable and
// safe to share between threads. join() and stop() return it instead of
// throwing; close() turns a non-ok Result into a NodekitException.
type Result struct {
	kind    int
	message string
}

// okResult is every successful outcome: Results are immutable, and one
// shared object means a successful call hands Java no new Go object to pin.
var okResult = &Result{kind: KindOK}

func resultOf(err error) *Result {
	if err == nil {
		return okResult
	}
	return &Result{kind: kindOf(err), message: err.Error()}
}

// IsOk returns true if the operation succeeded (kind() is KindOK).
func (r *Result) IsOk() bool { return r.kind == KindOK }

// Kind returns one of the Kind* constants (a long in Java; compare it
// with Nodekit.KindStopTimeout and so on, or name it with Nodekit.kindName).
func (r *Result) Kind() int { return r.kind }

// Message returns the error message, or "" (never null) when ok.
func (r *Result) Message() string { return r.message }

// String is Java's toString(): "ok", or "kind N: message".
func (r *Result) String() string {
	if r.IsOk() {
		return "ok"
	}
	return fmt.Sprintf("kind %d: %s", r.kind, r.message)
}

// kindOf classifies err by its first cause: for a joined error (the cause of a
// failed start followed by what went wrong while stopping) the cause decides.
func kindOf(err error) int {
	for {
		j, ok := err.(interface{ Unwrap() []error })
		if !ok || len(j.Unwrap()) == 0 {
			break
		}
		err = j.Unwrap()[0]
	}
	if k := workerKind(err); k != 0 {
		return k
	}
	var pe *lifecycle.PanicError
	switch {
	case errors.Is(err, processor.ErrPersist):
		return KindPersist
	case errors.Is(err, lifecycle.ErrCalledFromCallback):
		return KindCalledFromCallback
	case errors.Is(err, processor.ErrUnhandled):
		return KindUnhandled
	case errors.As(err, &pe):
		return KindPanic
	case errors.Is(err, lifecycle.ErrAborted):
		return KindAborted
	case errors.Is(err, lifecycle.ErrTooManyRestarts):
		return KindTooManyRestarts
	case errors.Is(err, lifecycle.ErrStartTimeout):
		return KindStartTimeout
	case errors.Is(err, lifecycle.ErrStopTimeout):
		return KindStopTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, lifecycle.ErrAlreadyStarted), errors.Is(err, lifecycle.ErrDuplicateName), errors.Is(err, errIllegalState):
		return KindIllegalState
	}
	return KindFailed
}

var errIllegalState = errors.New("illegal state")

// guard turns a panic in a facade entry point into *errp.
func guard(errp *error) {
	if pe := lifecycle.Recovered(recover()); pe != nil {
		*errp = pe
	}
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// guardResult turns a panic in a facade entry point that returns a *Result
// into a KindPanic result.
func guardResult(res **Result) {
	if pe := lifecycle.Recovered(recover()); pe != nil {
		*res = resultOf(pe)
	}
}

// closed reports whether done is closed.
func closed(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
