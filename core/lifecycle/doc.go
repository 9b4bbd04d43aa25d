// Package lifecycle is the common ground of nodekit: how long-running things
// start, run, report and stop.
//
// # Services
//
// A Service is Run(ctx) error: it blocks until ctx is cancelled or it fails,
// and returns only after every goroutine it started has exited. A service is
// running once Run is entered, unless it implements ReadySignaler (ReadyFunc
// does), in which case it is running once it calls Ready(ctx). A panic in Run
// is recovered into a *PanicError carrying the stack.
//
// # Handles
//
// Start runs a service in the background and returns a *Handle: Stop (cancel
// and wait, bounded by a stop timeout), StopContext (bounded by the caller's
// deadline), Join (wait), Done, Ready, AwaitRunning, State and the start and
// stop durations. RequestStop asks for the stop and never waits. Stop is
// idempotent, safe from any goroutine, and returns what Join returns. From
// inside a callback that the service's end waits for (an Observer, a
// processor's Handler, code run through AsCallback or a Callbacks tracker)
// Stop, Join and AwaitRunning never wait for themselves and never report a
// stop that has not happened: they return ErrCalledFromCallback at once
// (Stop after requesting the stop). NewCallbacks explains how such a call is
// recognised without cost on ordinary Stops.
//
// # Groups
//
// A Group starts services one after another in the order they were added,
// each only when the previous is running, and stops them in exact reverse.
// A failed start stops only what already started. Each service has a start
// and a stop timeout, and the group a total stop timeout; a service that
// overruns is named in a *TimeoutError and left to finish in the background,
// so a stop never hangs. A RestartPolicy restarts a failing service with
// exponential backoff and jitter and fails the group after too many failures
// in a window; ErrDoNotRestart opts a failure out. A Group is itself a
// Service, so groups nest.
//
// # Observers
//
// Observers registered with a priority receive an Event for every
// transition (service, from, to, duration, cause), on one dispatcher
// goroutine, in order: start events to higher priorities first, stop events
// to lower priorities first (as Corda orders its lifecycle observers). A slow
// observer never delays the services, and events are delivered in batches,
// each within about 1 ms of its transition (Observer); a panicking observer
// is logged and the others still receive the event. A group counts as running only once its
// observers have returned for the start events (WithObserverTimeout), so an
// error returned for a start event aborts the start and is what AwaitRunning
// returns (*AbortError). An Observer that is also a BatchObserver receives
// every event queued at that moment, all of one phase (start or stop), in one
// ObserveBatch call at its place in the priority order: the same events in
// the same order, fewer calls (for an observer behind a costly boundary,
// such as the Java facade's).
//
// # Errors
//
// Errors are typed and match with errors.Is and errors.As: ErrStartTimeout
// and ErrStopTimeout (*TimeoutError), ErrAborted (*AbortError),
// ErrTooManyRestarts, ErrCalledFromCallback (*CallbackError), ErrNilService,
// *ServiceError (names the service), *PanicError. A cancelled context is a
// clean stop, never a timeout.
//
// docs/architecture.md describes how a Group runs inside (the start and stop
// relays, one watchdog per phase) and the targets it is measured against.
package lifecycle
