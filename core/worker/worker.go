package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"
)

// Defaults of Config.
const (
	DefaultStartTimeout  = 10 * time.Second
	DefaultCancelGrace   = time.Second
	DefaultShutdownGrace = 2 * time.Second
	DefaultMaxPayload    = 256 << 20
	DefaultStderrTail    = 16 << 10
)

// Config says how to start a worker. The zero value starts this executable
// as a worker, with the defaults above.
type Config struct {
	// Path is the worker executable; "" runs this executable again (which
	// must call Main first thing in main).
	Path string
	// Args are the worker's command-line arguments (after the program name).
	Args []string
	// Env is added to this process's environment for the worker.
	Env []string
	// Dir is the worker's working directory ("" : this process's).
	Dir string
	// InProcess runs the tasks in this process instead, over the same
	// channel and with the same API but without isolation: a panic in a
	// task is still a *TaskError, but os.Exit or a fatal error ends this
	// process, and a task that ignores its cancellation cannot be killed
	// (its calls fail and it is left running). For platforms or tests that
	// cannot spawn processes.
	InProcess bool
	// StartTimeout bounds the handshake (default DefaultStartTimeout). A
	// worker that exits during the handshake is reported at once, not after
	// the timeout.
	StartTimeout time.Duration
	// CancelGrace is how long a task may run on after its call was
	// cancelled before its worker is killed (default DefaultCancelGrace).
	CancelGrace time.Duration
	// ShutdownGrace is how long Shutdown lets the worker exit by itself
	// once the channel is closed, before it kills the process group
	// (default DefaultShutdownGrace).
	ShutdownGrace time.Duration
	// MaxPayload bounds every input, output and progress update, in bytes
	// (default DefaultMaxPayload, at most 2 GiB - 64 KiB). Nothing larger is
	// sent or allocated; an input over it fails the call at once.
	MaxPayload int
	// Stderr receives a copy of everything the worker writes to its
	// standard error (nil: this process's standard error; io.Discard to
	// drop it).
	Stderr io.Writer
	// StderrTail is how many of the last bytes of standard error a
	// *CrashError carries (default DefaultStderrTail).
	StderrTail int
	// Logger receives the worker's start, crash and kill events (nil:
	// slog.Default()).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.StartTimeout <= 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.CancelGrace <= 0 {
		c.CancelGrace = DefaultCancelGrace
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.MaxPayload <= 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.StderrTail <= 0 {
		c.StderrTail = DefaultStderrTail
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// validate checks what can be checked before spawning.
func (c Config) validate() error {
	if c.MaxPayload > maxPayloadLimit {
		return &PayloadError{Size: c.MaxPayload, Limit: maxPayloadLimit}
	}
	if c.InProcess || c.Path == "" {
		return nil
	}
	return checkExecutable(c.Path)
}

// checkExecutable reports a missing or non-executable file as *PathError.
func checkExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return &PathError{Path: path, Err: err}
	}
	if st.IsDir() {
		return &PathError{Path: path, Err: errors.New("is a directory")}
	}
	if st.Mode().Perm()&0o111 == 0 {
		return &PathError{Path: path, Err: errors.New("not executable")}
	}
	return nil
}

// A CallOption configures one Call.
type CallOption func(*callOptions)

type callOptions struct {
	progress func([]byte)
}

// OnProgress makes fn receive the task's progress updates (see Progress),
// in order, on the calling goroutine, while Call waits; updates the caller
// is too slow for are dropped, the latest kept. fn must not call back into
// the same Call.
func OnProgress(fn func(update []byte)) CallOption {
	return func(o *callOptions) { o.progress = fn }
}

// Worker is one worker process and the channel to it. Its methods are safe
// for concurrent use. A Worker that died stays dead: Call fails with
// ErrClosed, Err returns the *CrashError; a Pool replaces dead workers.
type Worker struct {
	cfg   Config
	path  string
	pid   int
	proc  process // nil until spawned
	conn  *conn
	names map[string]bool
	start time.Time

	tap     *stderrTap
	tapDone chan struct{} // the tap has drained standard error
	stderrR *os.File

	readerDone chan struct{} // the reader goroutine has returned
	exited     chan struct{} // the process has been reaped (or, in process, serve returned)
	killCh     chan struct{} // closed by kill
	dead       chan struct{} // closed once dead and every pending call has failed
	handshake  chan error    // the reader's handshake outcome

	mu         sync.Mutex
	nextID     uint64
	pending    map[uint64]*call
	closing    bool          // Shutdown was called: no new calls
	idle       chan struct{} // closed when closing and nothing is pending
	terminated bool          // the channel was closed by Shutdown
	killReason error
	killOnce   sync.Once
	err        error // the outcome once dead: nil after a clean shutdown
	gone       bool  // fail has run: nothing can be pending any more
	completed  uint64
	exitCode   int            // set by waitLoop
	signal     syscall.Signal // set by waitLoop
}

// process is the spawned worker, or the in-process server.
type process interface {
	wait() (exitCode int, sig syscall.Signal) // reaps; exitCode -1 if unknown
	kill()                                    // SIGKILL to the process group
}

type call struct {
	name      string
	done      chan struct{}
	out       []byte
	err       error
	progress  chan []byte // nil without OnProgress
	cancelled bool        // guarded by Worker.mu
	timer     *time.Timer // the cancel grace timer, guarded by Worker.mu
}

// Start spawns a worker and completes the handshake: the worker must report
// this executable's BuildID (or Start returns a *VersionError) and its
// registered tasks. A worker that exits during the handshake fails Start at
// once with a *CrashError; one that does not answer within StartTimeout is
// killed (a *CrashError whose Reason is ErrStartTimeout). ctx bounds Start
// only, not the worker's life.
func Start(ctx context.Context, cfg Config) (*Worker, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	w := &Worker{
		cfg:        cfg,
		start:      time.Now(),
		tapDone:    make(chan struct{}),
		readerDone: make(chan struct{}),
		exited:     make(chan struct{}),
		killCh:     make(chan struct{}),
		dead:       make(chan struct{}),
		handshake:  make(chan error, 1),
		pending:    map[uint64]*call{},
		tap:        newStderrTap(cfg.Stderr, cfg.StderrTail),
	}
	var err error
	if cfg.InProcess {
		err = w.startInProcess()
	} else {
		err = w.spawn()
	}
	if err != nil {
		return nil, err
	}
	go w.readLoop()
	go w.monitor()
	if err := w.conn.write(frameHello, 0, encodeParentHello(BuildID(), cfg.MaxPayload)); err != nil {
		w.kill(fmt.Errorf("send hello: %w", err))
	}
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case err = <-w.handshake:
		if err == nil {
			cfg.Logger.Debug("worker started", "pid", w.pid, "path", w.path, "in", time.Since(w.start))
			return w, nil
		}
		// A version mismatch or a malformed hello: kill the worker. The
		// channel ended instead: the worker is dying by itself.
		var ve *VersionError
		if errors.As(err, &ve) || errors.Is(err, ErrProtocol) {
			w.kill(err)
		}
	case <-w.dead:
	case <-timer.C:
		w.kill(fmt.Errorf("%w after %s", ErrStartTimeout, cfg.StartTimeout))
	case <-ctx.Done():
		w.kill(ctx.Err())
		<-w.dead
		return nil, ctx.Err()
	}
	<-w.dead
	var ve *VersionError
	if errors.As(err, &ve) {
		return nil, ve
	}
	return nil, w.err
}

// startInProcess serves the tasks of this executable on a goroutine, over a
// socketpair.
func (w *Worker) startInProcess() error {
	a, b, err := socketpair()
	if err != nil {
		return err
	}
	w.path, w.pid = "(in process)", os.Getpid()
	if w.conn, err = newConn(a); err != nil {
		b.Close()
		return err
	}
	child, err := newConn(b)
	if err != nil {
		_ = w.conn.close()
		return err
	}
	p := &inProcess{done: make(chan struct{}), child: child}
	go func() {
		defer close(p.done)
		if err := serve(child); err != nil {
			p.err = err
		}
	}()
	w.proc = p
	close(w.tapDone)
	go w.waitLoop()
	return nil
}

type inProcess struct {
	child *conn
	done  chan struct{}
	err   error
}

func (p *inProcess) wait() (int, syscall.Signal) {
	<-p.done
	_ = p.child.close()
	if p.err != nil {
		return 2, 0
	}
	return 0, 0
}

func (p *inProcess) kill() { p.child.shutdown() }

// waitLoop reaps the process.
func (w *Worker) waitLoop() {
	defer close(w.exited)
	code, sig := w.proc.wait()
	w.mu.Lock()
	w.exitCode, w.signal = code, sig
	w.mu.Unlock()
}

// readLoop reads the worker's frames: the hello, then results, errors and
// progress updates. It returns when the channel ends or breaks.
func (w *Worker) readLoop() {
	defer close(w.readerDone)
	f, err := w.conn.read(helloLimit)
	if err != nil {
		w.handshake <- err
		w.setKillReason(protocolOnly(err))
		return
	}
	id, names, err := decodeWorkerHello(f)
	if err == nil && id != BuildID() {
		err = &VersionError{Path: w.path, Parent: BuildID(), Worker: id}
	}
	if err != nil {
		w.handshake <- err
		return
	}
	w.names = make(map[string]bool, len(names))
	for _, n := range names {
		w.names[n] = true
	}
	w.handshake <- nil
	limit := w.cfg.MaxPayload + helloLimit
	for {
		f, err := w.conn.read(limit)
		if err != nil {
			w.setKillReason(protocolOnly(err))
			return
		}
		if err := w.deliver(f); err != nil {
			w.setKillReason(err)
			return
		}
	}
}

// protocolOnly keeps a *ProtocolError (the worker broke the protocol) and
// drops the rest (end of file, a shut down socket: the worker died).
func protocolOnly(err error) error {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

func (w *Worker) setKillReason(err error) {
	if err != nil {
		w.kill(err)
	}
}

// deliver hands a frame from the worker to its call.
func (w *Worker) deliver(f frame) error {
	w.mu.Lock()
	c := w.pending[f.id]
	if c == nil {
		w.mu.Unlock()
		return &ProtocolError{Msg: fmt.Sprintf("frame type %d for request %d, which is not pending", f.typ, f.id)}
	}
	switch f.typ {
	case frameProgress:
		cancelled := c.cancelled
		w.mu.Unlock()
		if c.progress != nil && !cancelled {
			pushLatest(c.progress, f.payload)
		}
		return nil
	case frameResult:
		c.out = f.payload
	case frameError:
		kind, msg, stack, err := decodeTaskError(f.payload)
		if err != nil {
			w.mu.Unlock()
			return err
		}
		c.err = taskError(c.name, kind, msg, stack, w.cfg.MaxPayload)
	default:
		w.mu.Unlock()
		return &ProtocolError{Msg: fmt.Sprintf("frame type %d sent to the parent", f.typ)}
	}
	delete(w.pending, f.id)
	if c.timer != nil {
		c.timer.Stop()
	}
	w.completed++
	w.checkIdle()
	w.mu.Unlock()
	close(c.done)
	return nil
}

func taskError(name string, kind byte, msg, stack string, limit int) error {
	switch kind {
	case errKindUnknown:
		return fmt.Errorf("%w %q", ErrUnknownTask, name)
	case errKindPayload:
		size := 0
		_, _ = fmt.Sscan(msg, &size)
		return &PayloadError{Task: name, Output: true, Size: size, Limit: limit}
	case errKindPanic:
		return &TaskError{Task: name, Message: msg, Panic: true, Stack: stack}
	default:
		return &TaskError{Task: name, Message: msg}
	}
}

// pushLatest sends v on ch (which has one sender), dropping the oldest
// queued value if ch is full.
func pushLatest(ch chan []byte, v []byte) {
	select {
	case ch <- v:
		return
	default:
	}
	select {
	case <-ch:
	default:
	}
	ch <- v
}

// checkIdle closes idle when Shutdown waits and nothing is pending. w.mu is held.
func (w *Worker) checkIdle() {
	if w.closing && len(w.pending) == 0 && w.idle != nil {
		select {
		case <-w.idle:
		default:
			close(w.idle)
		}
	}
}

// Call runs task in the worker with input in and returns its output.
//
// It fails at once with ErrUnknownTask if the worker has no such task, with
// a *PayloadError if in is over MaxPayload, and with ErrClosed once the
// worker is shutting down or dead. A task that returns an error or panics
// is a *TaskError. If the worker dies while the task runs, Call returns the
// *CrashError that every call pending on it gets; the task is not run
// again. If ctx ends first, the worker is told to cancel the task and Call
// returns ctx.Err() at once; a task that runs on past CancelGrace gets its
// worker killed.
func (w *Worker) Call(ctx context.Context, task string, in []byte, opts ...CallOption) ([]byte, error) {
	var o callOptions
	for _, opt := range opts {
		opt(&o)
	}
	if !w.names[task] {
		return nil, fmt.Errorf("%w %q", ErrUnknownTask, task)
	}
	if len(in) > w.cfg.MaxPayload {
		return nil, &PayloadError{Task: task, Size: len(in), Limit: w.cfg.MaxPayload}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &call{name: task, done: make(chan struct{})}
	if o.progress != nil {
		c.progress = make(chan []byte, 16)
	}
	w.mu.Lock()
	if err := w.closedErr(); err != nil {
		w.mu.Unlock()
		return nil, err
	}
	w.nextID++
	id := w.nextID
	w.pending[id] = c
	w.mu.Unlock()
	if err := w.conn.write(frameCall, id, encodeCallPrefix(task), in); err != nil {
		// The channel broke: the worker is dying, and its monitor fails
		// this call with the crash.
		w.conn.shutdown()
	}
	for {
		select {
		case <-c.done:
			drainProgress(c.progress, o.progress)
			return c.out, c.err
		case p := <-c.progress:
			o.progress(p)
		case <-ctx.Done():
			w.cancel(id, c)
			return nil, ctx.Err()
		}
	}
}

func drainProgress(ch chan []byte, fn func([]byte)) {
	for {
		select {
		case p := <-ch:
			fn(p)
		default:
			return
		}
	}
}

// closedErr is the error of a call that cannot be sent. w.mu is held.
func (w *Worker) closedErr() error {
	select {
	case <-w.killCh:
	default:
		if !w.closing && !w.gone {
			return nil
		}
	}
	if w.err != nil {
		return fmt.Errorf("%w: the worker died: %v", ErrClosed, w.err)
	}
	return ErrClosed
}

// cancel tells the worker to cancel call id and arms the grace timer.
func (w *Worker) cancel(id uint64, c *call) {
	w.mu.Lock()
	if w.pending[id] != c {
		w.mu.Unlock()
		return
	}
	c.cancelled = true
	grace := w.cfg.CancelGrace
	c.timer = time.AfterFunc(grace, func() {
		w.kill(fmt.Errorf("%w: task %q still running %s after its call was cancelled", ErrCancelIgnored, c.name, grace))
	})
	w.checkIdle()
	w.mu.Unlock()
	_ = w.conn.write(frameCancel, id)
}

// kill ends the worker now: the process group gets SIGKILL, and every
// pending call fails with a *CrashError whose Reason is reason.
func (w *Worker) kill(reason error) {
	w.killOnce.Do(func() {
		w.mu.Lock()
		w.killReason = reason
		w.mu.Unlock()
		close(w.killCh)
	})
}

// monitor waits for the worker to end (its channel closed, its process
// exited, or a kill), makes sure the process is dead and reaped, collects
// its standard error, and fails what is pending.
func (w *Worker) monitor() {
	select {
	case <-w.readerDone:
	case <-w.exited:
	case <-w.killCh:
	}
	// A worker that closed its channel or exited by itself is given a
	// moment to finish exiting (the whole grace after a Shutdown).
	grace := 100 * time.Millisecond
	w.mu.Lock()
	if w.terminated {
		grace = w.cfg.ShutdownGrace
	}
	w.mu.Unlock()
	t := time.NewTimer(grace)
	select {
	case <-w.exited:
	case <-w.killCh:
	case <-t.C:
	}
	t.Stop()
	select {
	case <-w.exited:
	default:
		w.proc.kill()
	}
	w.conn.shutdown()
	<-w.exited
	w.proc.kill() // what is left of the process group
	w.collectStderr()
	<-w.readerDone
	_ = w.conn.close()
	w.fail()
	close(w.dead)
}

// collectStderr waits briefly for standard error to reach end of file (a
// grandchild may hold it open), then stops draining it.
func (w *Worker) collectStderr() {
	t := time.NewTimer(100 * time.Millisecond)
	defer t.Stop()
	select {
	case <-w.tapDone:
	case <-t.C:
		_ = w.stderrR.Close()
		<-w.tapDone
	}
}

// fail records the outcome and fails every pending call with it.
func (w *Worker) fail() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gone = true
	clean := w.terminated && w.killReason == nil && w.exitCode == 0 && w.signal == 0 && len(w.pending) == 0
	if !clean {
		ce := &CrashError{Pid: w.pid, ExitCode: w.exitCode, Signal: w.signal, Reason: w.killReason}
		if w.signal != 0 {
			ce.ExitCode = -1
		}
		ce.Panic, ce.Stack, ce.Stderr = w.tap.crash()
		ids := make([]uint64, 0, len(w.pending))
		for id := range w.pending {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			c := w.pending[id]
			name := c.name
			if c.cancelled {
				name += " (cancelled)"
			}
			ce.InFlight = append(ce.InFlight, name)
		}
		w.err = ce
		w.cfg.Logger.Warn("worker died", "pid", w.pid, "path", w.path, "err", ce)
	}
	for id, c := range w.pending {
		if c.timer != nil {
			c.timer.Stop()
		}
		c.err = w.err
		if c.err == nil {
			c.err = ErrClosed
		}
		delete(w.pending, id)
		close(c.done)
	}
	w.checkIdle()
}

// Shutdown stops the worker gracefully: new calls fail with ErrClosed,
// pending calls are awaited, then the channel is closed so the worker exits,
// and after ShutdownGrace its process group is killed; the process is
// always reaped. If ctx ends before the pending calls, the worker is killed
// and they fail with a *CrashError whose Reason is ErrClosed. Shutdown
// returns nil after a clean exit, the *CrashError otherwise (also if the
// worker had died before); it is idempotent.
func (w *Worker) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	if !w.closing {
		w.closing = true
		w.idle = make(chan struct{})
		w.checkIdle()
	}
	idle := w.idle
	w.mu.Unlock()
	select {
	case <-idle:
		w.mu.Lock()
		w.terminated = true
		w.mu.Unlock()
		w.conn.closeWrite()
		select {
		case <-w.dead:
		case <-ctx.Done():
			w.kill(fmt.Errorf("%w: the shutdown deadline passed before the worker exited", ErrClosed))
		}
	case <-w.dead:
	case <-ctx.Done():
		w.kill(fmt.Errorf("%w: the shutdown deadline passed with tasks pending", ErrClosed))
	}
	<-w.dead
	return w.Err()
}

// Done is closed when the worker is dead (and reaped) and every call pending
// on it has failed.
func (w *Worker) Done() <-chan struct{} { return w.dead }

// Err returns nil while the worker lives and after a clean Shutdown, and
// the *CrashError once it died otherwise.
func (w *Worker) Err() error {
	select {
	case <-w.dead:
	default:
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Pid is the worker's process id (this process's in process).
func (w *Worker) Pid() int { return w.pid }

// Tasks returns the names of the tasks the worker registered, sorted.
func (w *Worker) Tasks() []string {
	names := make([]string, 0, len(w.names))
	for n := range w.names {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Pending is the number of calls in flight on the worker.
func (w *Worker) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// Completed is the number of calls the worker has answered.
func (w *Worker) Completed() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.completed
}
