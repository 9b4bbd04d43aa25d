package nodekit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/worker"
)

// Result kinds of workers (Worker.run's NodekitException, TaskResult.kind(),
// Worker.shutdown()). They start at 20.
const (
	// KindWorkerCrashed: the worker process died while the task ran (a
	// segfault, os.Exit, a kill): Nodekit.crashInfoOf(e) or
	// TaskResult.crash() has the details. The JVM is unharmed.
	KindWorkerCrashed = 20
	// KindTaskFailed: the task returned an error; message() is its text.
	KindTaskFailed = 21
	// KindTaskPanic: the task panicked (the worker lives on); message() has
	// the stack.
	KindTaskPanic = 22
	// KindUnknownTask: the worker has no task of that name.
	KindUnknownTask = 23
	// KindPayloadTooLarge: an input or output over
	// WorkerConfig.getMaxPayloadBytes.
	KindPayloadTooLarge = 24
	// KindVersionMismatch: the worker executable is from another build than
	// this library.
	KindVersionMismatch = 25
	// KindWorkerPath: the worker executable is missing or not executable.
	KindWorkerPath = 26
	// KindInvalidArgument: a configuration value out of range (a pool of
	// size 0, ...).
	KindInvalidArgument = 27
)

// defaultWorkerStopMS is WorkerConfig.StopTimeoutMillis by default.
const defaultWorkerStopMS = 10000

// workerKind classifies the errors of core/worker; 0 for any other error.
func workerKind(err error) int {
	switch {
	case errors.Is(err, worker.ErrStartTimeout):
		return KindStartTimeout
	case errors.Is(err, worker.ErrCrashLoop):
		return KindTooManyRestarts
	case errors.Is(err, worker.ErrCrashed):
		return KindWorkerCrashed
	case errors.Is(err, worker.ErrTaskPanic):
		return KindTaskPanic
	case errors.Is(err, worker.ErrTaskFailed):
		return KindTaskFailed
	case errors.Is(err, worker.ErrUnknownTask):
		return KindUnknownTask
	case errors.Is(err, worker.ErrPayloadTooLarge):
		return KindPayloadTooLarge
	case errors.Is(err, worker.ErrVersionMismatch):
		return KindVersionMismatch
	case errors.Is(err, worker.ErrWorkerPath):
		return KindWorkerPath
	case errors.Is(err, worker.ErrPoolSize):
		return KindInvalidArgument
	case errors.Is(err, worker.ErrClosed):
		return KindIllegalState
	}
	return 0
}

// WorkerConfig says how to start a worker or a pool of workers; zero fields
// keep the defaults of core/worker.
type WorkerConfig struct {
	// Path is the worker executable (required): a Go program that registers
	// its tasks and calls worker.Serve, as examples/workerhost does. On
	// Android, ship it as lib<name>.so in the APK's jniLibs and pass
	// getApplicationInfo().nativeLibraryDir + "/lib<name>.so".
	Path                string
	StartTimeoutMillis  int64 // handshake bound; default 10000
	CancelGraceMillis   int64 // how long a cancelled task may run on before its worker is killed; default 1000
	ShutdownGraceMillis int64 // how long a worker may take to exit once told to; default 2000
	// StopTimeoutMillis bounds shutdown(): pending tasks are awaited that
	// long, then the workers are killed; default 10000.
	StopTimeoutMillis int64
	MaxPayloadBytes   int64 // bound on every input, output and progress update; default 256 MiB, at most 2 GiB - 64 KiB
	DiscardStderr     bool  // drop the workers' standard error instead of copying it to this process's
	// PoolSize is the number of workers of startWorkerPool (at least 1).
	PoolSize int
	// MaxTasks (pool) recycles a worker after this many tasks; 0: never.
	MaxTasks int64
	// MaxMemoryBytes (pool) recycles a worker above this resident memory; 0: never.
	MaxMemoryBytes int64
	// CrashLoop (pool) fails the pool when more workers than this crash
	// within a minute; default 10.
	CrashLoop int
	args, env []string
}

// NewWorkerConfig returns a config for the worker executable at path, every
// other field at its default.
func NewWorkerConfig(path string) *WorkerConfig { return &WorkerConfig{Path: path, PoolSize: 1} }

// AddArg appends a command-line argument for the worker.
func (c *WorkerConfig) AddArg(arg string) { c.args = append(c.args, arg) }

// AddEnv adds a "KEY=value" environment variable for the worker.
func (c *WorkerConfig) AddEnv(keyValue string) { c.env = append(c.env, keyValue) }

func (c *WorkerConfig) core(logger Logger) (worker.Config, error) {
	if c == nil || c.Path == "" {
		return worker.Config{}, fmt.Errorf("%w: WorkerConfig.path is required", worker.ErrWorkerPath)
	}
	if c.MaxPayloadBytes < 0 || c.MaxPayloadBytes > 1<<31-1-64<<10 {
		return worker.Config{}, fmt.Errorf("%w: maxPayloadBytes %d out of range", errInvalidArgument, c.MaxPayloadBytes)
	}
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	cfg := worker.Config{
		Path: c.Path, Args: append([]string(nil), c.args...), Env: append([]string(nil), c.env...),
		StartTimeout: ms(c.StartTimeoutMillis), CancelGrace: ms(c.CancelGraceMillis), ShutdownGrace: ms(c.ShutdownGraceMillis),
		MaxPayload: int(c.MaxPayloadBytes), Logger: slogFor(logger),
	}
	if c.DiscardStderr {
		cfg.Stderr = io.Discard
	}
	return cfg, nil
}

var errInvalidArgument = errors.New("invalid argument")

// Worker is a running worker process, or a pool of them (startWorkerPool):
// run tasks on it, then shutdown(). A Worker dropped without shutdown() is
// shut down once collected.
type Worker struct {
	*workerCore // what a cleanup may stop: goroutines never hold *Worker itself
}

type workerCore struct {
	c       caller
	pid     int // the process of a single worker; 0 for a pool
	stopFor time.Duration
	once    sync.Once
	res     *Result
}

// caller is *worker.Worker or *worker.Pool.
type caller interface {
	worker.Caller
	Shutdown(ctx context.Context) error
}

// StartWorker starts one worker process and completes its handshake. A
// worker that dies is not replaced (use startWorkerPool for that). logger may
// be null.
func StartWorker(config *WorkerConfig, logger Logger) (w *Worker, err error) {
	defer guard(&err)
	cfg, err := config.core(logger)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ww, err := worker.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return newWorker(ww, ww.Pid(), config), nil
}

// StartWorkerPool starts config.poolSize workers; tasks go to the least busy
// one, and a worker that dies is replaced (after a backoff; too many crashes
// in a minute fail the pool with KindTooManyRestarts). logger may be null.
func StartWorkerPool(config *WorkerConfig, logger Logger) (w *Worker, err error) {
	defer guard(&err)
	cfg, err := config.core(logger)
	if err != nil {
		return nil, err
	}
	if config.MaxTasks < 0 || config.MaxMemoryBytes < 0 || config.CrashLoop < 0 {
		return nil, fmt.Errorf("%w: maxTasks, maxMemoryBytes and crashLoop must not be negative", errInvalidArgument)
	}
	p, err := worker.StartPool(context.Background(), worker.PoolConfig{
		Worker: cfg, Size: config.PoolSize, MaxTasks: uint64(config.MaxTasks),
		MaxMemory: config.MaxMemoryBytes, CrashLoop: config.CrashLoop,
	})
	if err != nil {
		return nil, err
	}
	return newWorker(p, 0, config), nil
}

func newWorker(c caller, pid int, config *WorkerConfig) *Worker {
	stop := int64(defaultWorkerStopMS)
	if config.StopTimeoutMillis > 0 {
		stop = config.StopTimeoutMillis
	}
	w := &Worker{&workerCore{c: c, pid: pid, stopFor: time.Duration(stop) * time.Millisecond}}
	runtime.AddCleanup(w, (*workerCore).dropped, w.workerCore)
	return w
}

func (wc *workerCore) dropped() { go wc.shutdown() }

// Pid is the worker's process id; 0 for a pool.
func (w *Worker) Pid() int {
	if w.workerCore == nil {
		return 0
	}
	return w.pid
}

// Run runs task with input in the worker and blocks the calling thread
// until it returns its output (null for an empty output). Any thread; calls
// from several threads run at once. It throws a NodekitException whose kind says what went
// wrong: KindWorkerCrashed (Nodekit.crashInfoOf(e) has the details),
// KindTaskFailed, KindTaskPanic, KindUnknownTask, KindPayloadTooLarge, or
// KindIllegalState after shutdown().
func (w *Worker) Run(task string, input []byte) (out []byte, err error) {
	defer guard(&err)
	if w.workerCore == nil {
		return nil, errNoWorker
	}
	return w.c.Call(context.Background(), task, input)
}

var errNoWorker = fmt.Errorf("worker not started: use Nodekit.startWorker: %w", errIllegalState)

// TaskCallback receives the progress updates (onProgress) and then the
// result (onResult, exactly once) of a runAsync, on a background thread
// owned by Go, never the caller's; it should return quickly. Exceptions from
// it are ignored.
type TaskCallback interface {
	// OnProgress receives one progress update the task sent, in order,
	// before onResult.
	OnProgress(update []byte) error
	// OnResult receives the task's TaskResult (never null), exactly once.
	OnResult(result *TaskResult) error
}

// TaskResult is the outcome of a runAsync: isOk() and output(), or the kind
// and message of the failure and, for KindWorkerCrashed, crash().
type TaskResult struct {
	kind    int
	message string
	output  []byte
	crash   *CrashInfo
}

// IsOk reports whether the task returned an output.
func (r *TaskResult) IsOk() bool { return r.kind == KindOK }

// Kind is a Kind* constant.
func (r *TaskResult) Kind() int { return r.kind }

// Message is the error message, "" when ok.
func (r *TaskResult) Message() string { return r.message }

// Output is the task's output (null when empty or failed).
func (r *TaskResult) Output() []byte { return r.output }

// Crash describes the worker's death for KindWorkerCrashed, null otherwise.
func (r *TaskResult) Crash() *CrashInfo { return r.crash }

// TaskHandle is a runAsync in progress.
type TaskHandle struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Cancel cancels the task: the worker cancels its context, and the callback
// receives KindCanceled at once. A task that runs on past the cancel grace
// gets its worker killed. Safe from any thread, also after the result.
func (h *TaskHandle) Cancel() {
	if h != nil && h.cancel != nil {
		h.cancel()
	}
}

// Await blocks the calling thread until the callback has received the
// result, at most timeoutMillis (0: no bound); it returns true if it has.
func (h *TaskHandle) Await(timeoutMillis int64) bool {
	if h == nil || h.done == nil {
		return true
	}
	if timeoutMillis <= 0 {
		<-h.done
		return true
	}
	t := time.NewTimer(time.Duration(timeoutMillis) * time.Millisecond)
	defer t.Stop()
	select {
	case <-h.done:
		return true
	case <-t.C:
		return false
	}
}

// RunAsync runs task without blocking: it returns a TaskHandle at once, and
// cb receives the task's progress updates while it runs, then its
// TaskResult, exactly once, on a Go thread. cb may be null. Never throws:
// failures arrive as the TaskResult's kind.
func (w *Worker) RunAsync(task string, input []byte, cb TaskCallback) *TaskHandle {
	// The bytes of a Java array are only valid during the call.
	input = append([]byte(nil), input...)
	ctx, cancel := context.WithCancel(context.Background())
	h := &TaskHandle{cancel: cancel, done: make(chan struct{})}
	var c caller
	if w.workerCore != nil {
		c = w.c
	}
	go func() {
		defer close(h.done)
		defer cancel()
		var (
			out []byte
			err error
		)
		if c == nil {
			err = errNoWorker
		} else {
			err = lifecycle.Protect(func() error {
				var e error
				out, e = c.Call(ctx, task, input, worker.OnProgress(func(p []byte) {
					if cb != nil {
						var ignored error
						func() {
							defer guard(&ignored)
							_ = cb.OnProgress(p)
						}()
					}
				}))
				return e
			})
		}
		if cb == nil {
			return
		}
		r := taskResultOf(out, err)
		var ignored error
		func() {
			defer guard(&ignored)
			_ = cb.OnResult(r)
		}()
	}()
	return h
}

func taskResultOf(out []byte, err error) *TaskResult {
	if err == nil {
		return &TaskResult{kind: KindOK, output: out}
	}
	return &TaskResult{kind: kindOf(err), message: err.Error(), crash: CrashInfoOf(err)}
}

// Shutdown stops the worker (or pool): new tasks fail, pending ones are
// awaited up to stopTimeoutMillis, then the processes are killed and
// reaped; it blocks until then. It returns the same Result on every call: ok after a clean stop,
// KindWorkerCrashed if a worker had died (or was killed at the deadline),
// KindTooManyRestarts for a failed pool.
func (w *Worker) Shutdown() (res *Result) {
	defer guardResult(&res)
	if w.workerCore == nil {
		return resultOf(errNoWorker)
	}
	return w.shutdown()
}

func (wc *workerCore) shutdown() *Result {
	wc.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wc.stopFor)
		defer cancel()
		wc.res = resultOf(wc.c.Shutdown(ctx))
	})
	return wc.res
}

// Close is shutdown() for try-with-resources; it throws a NodekitException
// if the Result is not ok (see Closer).
func (w *Worker) Close() error { return errorOf(w.Shutdown()) }

// CrashInfo describes a worker process that died.
type CrashInfo struct{ e *worker.CrashError }

// CrashInfoOf returns the crash details of an exception thrown by
// Worker.run (or any error of kind KindWorkerCrashed), or null.
func CrashInfoOf(err error) *CrashInfo {
	var ce *worker.CrashError
	if errors.As(err, &ce) {
		return &CrashInfo{ce}
	}
	return nil
}

// Pid is the dead worker's process id.
func (c *CrashInfo) Pid() int { return c.e.Pid }

// ExitCode is the exit code, -1 if it was killed by a signal.
func (c *CrashInfo) ExitCode() int { return c.e.ExitCode }

// Signal is the number of the signal that killed it (9 for SIGKILL), 0 if it exited.
func (c *CrashInfo) Signal() int { return int(c.e.Signal) }

// Panic is the Go runtime's report ("panic: ...", "fatal error: ..."), "" if none.
func (c *CrashInfo) Panic() string { return c.e.Panic }

// Stack is the goroutine trace that followed the report.
func (c *CrashInfo) Stack() string { return c.e.Stack }

// Stderr is the tail of the worker's standard error.
func (c *CrashInfo) Stderr() string { return c.e.Stderr }

// InFlight names the tasks that were running when it died, one per line.
func (c *CrashInfo) InFlight() string { return strings.Join(c.e.InFlight, "\n") }

// Reason says why it was killed ("" if it died by itself): a task that
// ignored its cancellation, garbage on the channel, a handshake timeout.
func (c *CrashInfo) Reason() string {
	if c.e.Reason == nil {
		return ""
	}
	return c.e.Reason.Error()
}

// String is the crash error's message.
func (c *CrashInfo) String() string { return c.e.Error() }
