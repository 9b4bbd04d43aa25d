package nodekit

import "fmt"

// Result kinds added after KindPersist (kinds are only ever appended; the
// worker kinds start at 20). Every kind has a name: see Nodekit.kindName.
const (
	// KindCalledFromCallback: stop() or join() was called on the thread of
	// a callback of the same Group or Processor (a Service hook, an
	// Observer, an EventHandler, a Persister, a TimerCallback), where
	// waiting would wait for itself. It returned at once instead of
	// blocking; stop() has requested the stop. Call join() (or joinAsync)
	// from another thread for the outcome.
	KindCalledFromCallback = 10
	// KindUnhandled: the processor stopped with events that submit() had
	// accepted but its handler had not handled (it kept throwing, or the
	// stop timeout came first); message() says how many,
	// Processor.unhandledCount() counts them and Processor.unhandled()
	// returns them.
	KindUnhandled = 11
)

// kindNames and stateNames are the one table of names for the Kind* and
// State* constants: KindName and StateName read them, and so do the tests
// and examples.
var (
	kindNames = [...]string{
		KindOK: "OK", KindFailed: "Failed", KindPanic: "Panic", KindStartTimeout: "StartTimeout",
		KindStopTimeout: "StopTimeout", KindCanceled: "Canceled", KindAborted: "Aborted",
		KindTooManyRestarts: "TooManyRestarts", KindIllegalState: "IllegalState", KindPersist: "Persist",
		KindCalledFromCallback: "CalledFromCallback", KindUnhandled: "Unhandled",
		KindWorkerCrashed: "WorkerCrashed", KindTaskFailed: "TaskFailed", KindTaskPanic: "TaskPanic",
		KindUnknownTask: "UnknownTask", KindPayloadTooLarge: "PayloadTooLarge",
		KindVersionMismatch: "VersionMismatch", KindWorkerPath: "WorkerPath",
		KindInvalidArgument: "InvalidArgument",
	}
	stateNames = [...]string{
		StateNew: "New", StateStarting: "Starting", StateRunning: "Running",
		StateStopping: "Stopping", StateStopped: "Stopped", StateFailed: "Failed",
	}
)

// KindName returns the name of a Kind* constant, as in
// Nodekit.kindName(result.kind()) == "StopTimeout", or "Kind(n)" for a
// number that is none. Never null; any thread.
func KindName(kind int) string {
	if kind >= 0 && kind < len(kindNames) && kindNames[kind] != "" {
		return kindNames[kind]
	}
	return fmt.Sprintf("Kind(%d)", kind)
}

// StateName returns the name of a State* constant, as in
// Nodekit.stateName(processor.state()) == "Running", or "State(n)" for a
// number that is none. Never null; any thread.
func StateName(state int) string {
	if state >= 0 && state < len(stateNames) {
		return stateNames[state]
	}
	return fmt.Sprintf("State(%d)", state)
}
