package lifecycle

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrStopTimeout: a service (or an observer) did not stop within its stop timeout.
	ErrStopTimeout = errors.New("stop timed out")
	// ErrStartTimeout: a service did not report ready within its start timeout.
	ErrStartTimeout = errors.New("start timed out")
	// ErrAborted: an observer returned an error for a start event.
	ErrAborted = errors.New("start aborted by an observer")
	// ErrTooManyRestarts: a service failed more often than its RestartPolicy allows.
	ErrTooManyRestarts = errors.New("too many restarts")
	// ErrDoNotRestart, returned (wrapped or not) by a service's Run, exempts that
	// failure from the service's RestartPolicy: the group fails at once.
	ErrDoNotRestart = errors.New("do not restart")
	// ErrAlreadyStarted: a Group is run twice, or changed after it started.
	ErrAlreadyStarted = errors.New("group already started")
	// ErrDuplicateName: two services in a Group have the same name.
	ErrDuplicateName = errors.New("duplicate service name")
	// ErrNilService: Group.Add or Start was given a nil Service.
	ErrNilService = errors.New("nil service")
)

// ServiceError is a failure of one named service.
type ServiceError struct {
	Service string
	Err     error
}

func (e *ServiceError) Error() string { return fmt.Sprintf("service %q: %v", e.Service, e.Err) }

// Unwrap returns the service's own error.
func (e *ServiceError) Unwrap() error { return e.Err }

// TimeoutError names what overran a start or stop timeout. It matches
// ErrStartTimeout or ErrStopTimeout with errors.Is. What overran a stop
// timeout is left to finish in the background.
type TimeoutError struct {
	Stop    bool          // false: start timeout; true: stop timeout
	Names   []string      // the services (or "observer ...") that overran
	Timeout time.Duration // the timeout that was exceeded
}

func (e *TimeoutError) Error() string {
	op := "start"
	if e.Stop {
		op = "stop"
	}
	return fmt.Sprintf("%s timed out after %s: still running: %s", op, e.Timeout, strings.Join(e.Names, ", "))
}

// Is matches ErrStopTimeout or ErrStartTimeout.
func (e *TimeoutError) Is(target error) bool {
	return (e.Stop && target == ErrStopTimeout) || (!e.Stop && target == ErrStartTimeout)
}

// AbortError is a start aborted by an observer; it matches ErrAborted.
type AbortError struct {
	Event    Event // the start event the observer refused
	Priority int   // the observer's priority
	Err      error // what the observer returned
}

func (e *AbortError) Error() string {
	return fmt.Sprintf("observer (priority %d) aborted the start at %s → %s of %q: %v",
		e.Priority, e.Event.From, e.Event.To, e.Event.Service, e.Err)
}

// Is matches ErrAborted.
func (e *AbortError) Is(target error) bool { return target == ErrAborted }

// Unwrap returns the observer's error.
func (e *AbortError) Unwrap() error { return e.Err }

// ErrNotRunning: AwaitRunning on a service that stopped before it was running.
var ErrNotRunning = errors.New("service ended before it was running")

// ErrCalledFromCallback: a Handle's Stop, StopContext, Join or AwaitRunning
// was called from inside a callback that the service's end waits for (see
// Handle.Stop), where waiting would wait for itself. The call returned at
// once; Stop and StopContext have requested the stop. The error is a
// *CallbackError.
var ErrCalledFromCallback = errors.New("called from inside a callback of the same handle")

// CallbackError is a wait refused because it was called from inside one of
// the service's own callbacks; it matches ErrCalledFromCallback.
type CallbackError struct {
	Op      string // "stop", "join" or "await running"
	Service string // the handle's service
}

func (e *CallbackError) Error() string {
	msg := fmt.Sprintf("%s %q: %v: it would wait for itself", e.Op, e.Service, ErrCalledFromCallback)
	if e.Op == "stop" {
		msg += "; the stop is requested and has not happened yet (RequestStop is the call for callbacks)"
	}
	return msg
}

// Is matches ErrCalledFromCallback.
func (e *CallbackError) Is(target error) bool { return target == ErrCalledFromCallback }
