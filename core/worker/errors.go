package worker

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrUnknownTask: no worker function is registered under the name called.
	ErrUnknownTask = errors.New("worker: unknown task")
	// ErrPoolSize: a Pool of fewer than one worker.
	ErrPoolSize = errors.New("worker: pool size must be at least 1")
	// ErrWorkerPath: the worker executable is missing or not executable.
	ErrWorkerPath = errors.New("worker: worker executable missing or not executable")
	// ErrPayloadTooLarge: an input or output over the configured MaxPayload
	// (*PayloadError).
	ErrPayloadTooLarge = errors.New("worker: payload over the limit")
	// ErrProtocol: the worker wrote something that is not a valid frame
	// (*ProtocolError). The worker is killed.
	ErrProtocol = errors.New("worker: protocol violation on the IPC channel")
	// ErrVersionMismatch: the worker was built from a different build
	// (*VersionError).
	ErrVersionMismatch = errors.New("worker: worker is from a different build")
	// ErrCrashed: the worker process died (*CrashError).
	ErrCrashed = errors.New("worker: worker process crashed")
	// ErrStartTimeout: the worker did not complete its handshake within
	// Config.StartTimeout.
	ErrStartTimeout = errors.New("worker: handshake timed out")
	// ErrClosed: the worker or pool is shut down or shutting down.
	ErrClosed = errors.New("worker: shut down")
	// ErrTaskFailed: the task returned an error (*TaskError).
	ErrTaskFailed = errors.New("worker: task failed")
	// ErrTaskPanic: the task panicked; the worker lives on (*TaskError).
	ErrTaskPanic = errors.New("worker: task panicked")
	// ErrCancelIgnored: a cancelled task did not end within Config.CancelGrace,
	// so its worker was killed (the Reason of the *CrashError).
	ErrCancelIgnored = errors.New("worker: task ignored its cancellation")
	// ErrCrashLoop: a Pool's workers crashed more often than its CrashLoop
	// limit allows; the pool has failed.
	ErrCrashLoop = errors.New("worker: workers crash in a loop")
)

// PathError is a worker executable that cannot be run; it matches
// ErrWorkerPath.
type PathError struct {
	Path string
	Err  error // the file system's error, or why the file cannot be run
}

func (e *PathError) Error() string { return fmt.Sprintf("worker: executable %q: %v", e.Path, e.Err) }

// Is matches ErrWorkerPath.
func (e *PathError) Is(target error) bool { return target == ErrWorkerPath }

// Unwrap returns the underlying error.
func (e *PathError) Unwrap() error { return e.Err }

// PayloadError is an input or output over the limit; it matches
// ErrPayloadTooLarge.
type PayloadError struct {
	Task   string
	Output bool // false: the input was too large; true: the task's output
	Size   int
	Limit  int
}

func (e *PayloadError) Error() string {
	what := "input"
	if e.Output {
		what = "output"
	}
	return fmt.Sprintf("worker: %s of task %q is %d bytes, over the limit of %d", what, e.Task, e.Size, e.Limit)
}

// Is matches ErrPayloadTooLarge.
func (e *PayloadError) Is(target error) bool { return target == ErrPayloadTooLarge }

// ProtocolError is a malformed frame on the IPC channel; it matches
// ErrProtocol.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "worker: protocol violation: " + e.Msg }

// Is matches ErrProtocol.
func (e *ProtocolError) Is(target error) bool { return target == ErrProtocol }

// VersionError is a worker built from a different build than its parent; it
// matches ErrVersionMismatch. The worker is killed.
type VersionError struct {
	Path   string
	Parent string // BuildID of the parent
	Worker string // BuildID the worker reported
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("worker: %s is from build %q, this program is build %q", e.Path, e.Worker, e.Parent)
}

// Is matches ErrVersionMismatch.
func (e *VersionError) Is(target error) bool { return target == ErrVersionMismatch }

// TaskError is a task that returned an error or panicked inside a live
// worker. Errors cross the process boundary as text: Message is the error's
// text, or the panic value; Stack is the panicking goroutine's stack.
type TaskError struct {
	Task    string
	Message string
	Panic   bool
	Stack   string
}

func (e *TaskError) Error() string {
	if e.Panic {
		return fmt.Sprintf("worker: task %q panicked: %s", e.Task, e.Message)
	}
	return fmt.Sprintf("worker: task %q: %s", e.Task, e.Message)
}

// Is matches ErrTaskPanic for a panic and ErrTaskFailed for a returned error.
func (e *TaskError) Is(target error) bool {
	return (e.Panic && target == ErrTaskPanic) || (!e.Panic && target == ErrTaskFailed)
}

// CrashError is a worker process that died. Every call pending on it fails
// with the same *CrashError; it matches ErrCrashed, and through Reason
// ErrProtocol, ErrCancelIgnored, ErrStartTimeout and the like.
type CrashError struct {
	Pid      int
	ExitCode int            // -1 if the process was killed by a signal or the status is unknown
	Signal   syscall.Signal // 0 unless killed by a signal
	// Panic is the Go runtime's report, if the worker printed one: the lines
	// from "panic: ", "fatal error: " or "unexpected fault address" up to the
	// first blank line. Stack is what followed (the goroutine traces).
	Panic string
	Stack string
	// Stderr is the last bytes the worker wrote to its standard error
	// (at most Config.StderrTail).
	Stderr string
	// InFlight names the tasks that were running on the worker when it died.
	InFlight []string
	// Reason is why the parent killed the worker (a *ProtocolError,
	// ErrCancelIgnored, ErrStartTimeout, ErrClosed after a shutdown deadline),
	// nil if the worker died by itself.
	Reason error
}

func (e *CrashError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "worker: worker process %d ", e.Pid)
	switch {
	case e.Reason != nil:
		fmt.Fprintf(&b, "killed (%v)", e.Reason)
	case e.Signal != 0:
		fmt.Fprintf(&b, "killed by signal %v", e.Signal)
	case e.ExitCode >= 0:
		fmt.Fprintf(&b, "exited with code %d", e.ExitCode)
	default:
		b.WriteString("died")
	}
	if e.Panic != "" {
		fmt.Fprintf(&b, ": %s", firstLine(e.Panic))
	}
	if len(e.InFlight) > 0 {
		fmt.Fprintf(&b, " (tasks in flight: %s)", strings.Join(e.InFlight, ", "))
	}
	return b.String()
}

// Is matches ErrCrashed.
func (e *CrashError) Is(target error) bool { return target == ErrCrashed }

// Unwrap returns Reason.
func (e *CrashError) Unwrap() error { return e.Reason }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// ErrNotInTask: Progress was called with a context that is not a task's.
var ErrNotInTask = errors.New("worker: not inside a task")
