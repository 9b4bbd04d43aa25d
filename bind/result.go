package nodekit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/processor"
)

// Error kinds: the stable integer in a Result, one per kind of outcome. New
// kinds are only ever appended.
const (
	KindOK              = 0 // success
	KindFailed          = 1 // a service (or hook) failed; the message says how
	KindPanic           = 2 // a panic was recovered; the message has the stack
	KindStartTimeout    = 3 // a service was not ready within its start timeout
	KindStopTimeout     = 4 // something did not stop within its stop timeout; the message names it
	KindCanceled        = 5 // the operation was cancelled
	KindAborted         = 6 // an observer refused a start event
	KindTooManyRestarts = 7 // a service failed more often than its restart policy allows
	KindIllegalState    = 8 // the call does not fit the object's state (e.g. started twice)
)

// Result is the outcome of join() or stop(): isOk(), a Kind* constant and the
// error message ("" when ok).
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

// IsOk reports whether the operation succeeded.
func (r *Result) IsOk() bool { return r.kind == KindOK }

// Kind returns one of the Kind* constants.
func (r *Result) Kind() int { return r.kind }

// Message returns the error message, or "" when ok.
func (r *Result) Message() string { return r.message }

// String returns "ok" or "kind N: message" (Java's toString).
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
