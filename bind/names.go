package nodekit

import "fmt"

// Kinds added after KindPersist (processor.go); kinds are only ever appended
// (the worker kinds, from 20, are in worker.go). Every kind has its name in
// kindNames below.
const (
	// KindCalledFromCallback: stop() or join() was called from inside a
	// callback of the same Group or Processor (a service hook, an observer,
	// an event handler, a persister, a timer), where waiting would wait for
	// itself. It returned at once; stop() has requested the stop. join()
	// from another thread gives the outcome.
	KindCalledFromCallback = 10
	// KindUnhandled: the processor stopped with events it had accepted but
	// its handler had not taken; the message says how many, and
	// Processor.unhandled() returns them.
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

// KindName returns the name of a Kind* constant ("StopTimeout"), or
// "Kind(n)" for a number that is none.
func KindName(kind int) string {
	if kind >= 0 && kind < len(kindNames) && kindNames[kind] != "" {
		return kindNames[kind]
	}
	return fmt.Sprintf("Kind(%d)", kind)
}

// StateName returns the name of a State* constant ("Running"), or
// "State(n)" for a number that is none.
func StateName(state int) string {
	if state >= 0 && state < len(stateNames) {
		return stateNames[state]
	}
	return fmt.Sprintf("State(%d)", state)
}
