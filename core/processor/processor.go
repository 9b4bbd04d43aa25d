// Package processor runs a node's background loop: it drains events from
// sources into a handler, persists state when it has changed, fires periodic
// timers, and persists a last time when it stops.
//
// The loop is event driven. It sleeps until a source or the state wakes it,
// the next timer or retry is due (one deadline for all of them), or it is
// stopped; an idle processor makes no wake-ups at all. Each pass:
//
//  1. drains every source, in the order given, and hands the events to the
//     handler in order. A handler error means "not handled, give it to me
//     again": that event and all after it are kept, and retried on a later
//     pass after a backoff (RetryBackoff, doubling up to MaxRetryBackoff);
//  2. persists the state if its Version has moved since the last persist. A
//     persist error stops the processor with a *PersistError;
//  3. fires the timers that are due.
//
// On every stop (cancellation, a persist error, a panic) a final persist is
// attempted if the state has changed, and its error is reported too. A panic
// in the handler, a timer or the persister ends Run with a
// *lifecycle.PanicError (with stack); the process lives.
//
// Processor is a lifecycle.Service: run it in a lifecycle.Group, or Start it
// for a Handle with Join, Stop and StopContext.
package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"nodekit.dev/nodekit/core/clock"
	"nodekit.dev/nodekit/core/lifecycle"
)

// Event is whatever a Source produces and the Handler consumes.
type Event = any

// A Source holds pending events. Drain appends them to buf, in order, removes
// them from the source and returns the extended buf; it must not block. A
// source that also implements Waker is given the processor's wake function.
type Source interface {
	Drain(buf []Event) []Event
}

// Waker is implemented by sources and states that tell the processor when
// they have work: Attach is called once, before Run, with a function that
// wakes the loop. wake never blocks and may be called from any goroutine.
type Waker interface {
	Attach(wake func())
}

// Handler handles one event. A non-nil error means "not handled yet": the
// event is offered again later. Handle is called on the processor's goroutine.
type Handler interface {
	Handle(Event) error
}

// BatchHandler is a Handler that can take all pending events at once; the
// processor then calls HandleBatch once per pass instead of Handle per event.
// It returns how many events, from the first, it handled; the rest (and an
// error, if any) mean "not handled yet" and are offered again after the
// backoff, before later events (a batch that made progress restarts the
// backoff from RetryBackoff). events is only valid during the call.
type BatchHandler interface {
	Handler
	HandleBatch(events []Event) (handled int, err error)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(Event) error

// Handle calls f(e).
func (f HandlerFunc) Handle(e Event) error { return f(e) }

// State is the persistable state of a node. Version is 0 for a state as
// loaded and grows whenever the state changes; the processor persists
// whenever Version differs from the version it last persisted (initially 0).
// Snapshot returns the bytes to persist and the version they show.
// A State that implements Waker wakes the processor when it changes.
type State interface {
	Version() uint64
	Snapshot() (version uint64, data []byte, err error)
}

// Persister stores the processor's state under a key.
type Persister interface {
	Persist(key string, data []byte) error
}

// Timer is a periodic callback, first fired Interval after the processor starts.
// A Fire error is logged and counted; the processor goes on.
type Timer struct {
	Name     string
	Interval time.Duration
	Fire     func(now time.Time) error
}

// Config is what a Processor runs. Every field is optional.
type Config struct {
	Sources   []Source
	Handler   Handler // nil: events are dropped
	State     State   // nil: nothing to persist
	Persister Persister
	StateKey  string // key passed to the Persister; default "state"
	Timers    []Timer

	RetryBackoff    time.Duration // first delay before an event is offered again; default 100ms
	MaxRetryBackoff time.Duration // default 10s

	// OnResume is called (on the processor's goroutine) when the wall clock
	// moved more than SuspendThreshold (default 5s) further than the
	// monotonic clock between two passes: the device was asleep.
	OnResume         func(slept time.Duration)
	SuspendThreshold time.Duration

	Logger *slog.Logger // default slog.Default()
	Clock  clock.Clock  // default clock.Real(); drives timers and backoff
	// Wall reads the wall clock for suspend detection; default
	// time.Now().Round(0). Tests replace it together with Clock.
	Wall func() time.Time
}

// Errors of a processor; match them with errors.Is.
var (
	ErrPersist        = errors.New("persist failed")
	ErrAlreadyRunning = errors.New("processor already started: it runs once")
	// ErrConfig: the Config cannot run (a *ConfigError says which field).
	ErrConfig = errors.New("invalid processor config")
	// ErrBatchCount: a BatchHandler returned a count outside 0..len(events).
	ErrBatchCount = errors.New("batch handler returned a count outside 0..len(events)")
	// ErrUnhandled: the processor stopped with events it had accepted but the
	// handler had not taken (an *UnhandledError); Unhandled returns them.
	ErrUnhandled = errors.New("events left unhandled")
	// ErrClosed: Queue.Push after the processor that drains the queue ended.
	ErrClosed = errors.New("queue closed: its processor has ended")
)

// ConfigError is a Config refused by New; Run (and so Start's handle) fails
// with it at once. It matches ErrConfig.
type ConfigError struct {
	Field  string // e.g. "Sources[1]", "Timers[0].Fire"
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid processor config: %s: %s", e.Field, e.Reason)
}

// Is matches ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// UnhandledError reports events left unhandled when the processor stopped:
// accepted from a source, but not (yet) taken by the handler. Unhandled
// returns them, in order. It matches ErrUnhandled.
type UnhandledError struct {
	Count int
}

func (e *UnhandledError) Error() string {
	return fmt.Sprintf("%d events left unhandled at stop (Unhandled returns them)", e.Count)
}

// Is matches ErrUnhandled.
func (e *UnhandledError) Is(target error) bool { return target == ErrUnhandled }

// validate returns the first problem with cfg, or nil.
func (cfg *Config) validate() error {
	for i, s := range cfg.Sources {
		if s == nil {
			return &ConfigError{Field: fmt.Sprintf("Sources[%d]", i), Reason: "nil source"}
		}
	}
	for i, t := range cfg.Timers {
		switch {
		case t.Fire == nil:
			return &ConfigError{Field: fmt.Sprintf("Timers[%d].Fire", i), Reason: fmt.Sprintf("timer %q has no Fire function", t.Name)}
		case t.Interval <= 0:
			return &ConfigError{Field: fmt.Sprintf("Timers[%d].Interval", i), Reason: fmt.Sprintf("timer %q has interval %s, it must be > 0", t.Name, t.Interval)}
		}
	}
	return nil
}

// PersistError is a failed persist. Final tells whether it was the final
// persist on stop.
type PersistError struct {
	Key   string
	Final bool
	Err   error
}

func (e *PersistError) Error() string {
	which := "persist"
	if e.Final {
		which = "final persist"
	}
	return fmt.Sprintf("%s of %q failed: %v", which, e.Key, e.Err)
}

// Is matches ErrPersist.
func (e *PersistError) Is(target error) bool { return target == ErrPersist }

// Unwrap returns the persister's error.
func (e *PersistError) Unwrap() error { return e.Err }

// Counters are the processor's running totals.
type Counters struct {
	Passes          uint64 // loop passes (each wake-up is one)
	Handled         uint64 // events the handler accepted
	Retries         uint64 // events the handler asked to see again
	Persists        uint64 // successful persists
	PersistFailures uint64
	TimerFires      uint64
	TimerFailures   uint64
	Resumes         uint64 // suspends detected
	LastPersist     time.Duration
}

// Processor is one background loop. Make it with New and run it once.
type Processor struct {
	cfg     Config
	cfgErr  error // from validate: Run fails with it at once
	wake    chan struct{}
	running atomic.Bool

	activity atomic.Pointer[string]

	passes, handled, retries, persists, persistFailures atomic.Uint64
	timerFires, timerFailures, resumes                  atomic.Uint64
	lastPersist                                         atomic.Int64

	mu        sync.Mutex
	unhandled []Event
}

// New makes a processor for cfg and attaches its wake function to the sources
// and state that implement Waker. A Config that cannot run (a nil Source, a
// Timer without Fire or with an Interval <= 0) is refused: Run fails at once
// with a *ConfigError and never calls anything.
func New(cfg Config) *Processor {
	if cfg.StateKey == "" {
		cfg.StateKey = "state"
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 100 * time.Millisecond
	}
	if cfg.MaxRetryBackoff < cfg.RetryBackoff {
		cfg.MaxRetryBackoff = max(10*time.Second, cfg.RetryBackoff)
	}
	if cfg.SuspendThreshold <= 0 {
		cfg.SuspendThreshold = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Wall == nil {
		cfg.Wall = func() time.Time { return time.Now().Round(0) }
	}
	p := &Processor{cfg: cfg, wake: make(chan struct{}, 1), cfgErr: cfg.validate()}
	if p.cfgErr != nil {
		return p
	}
	for _, s := range cfg.Sources {
		if w, ok := s.(Waker); ok {
			w.Attach(p.Wake)
		}
	}
	if w, ok := cfg.State.(Waker); ok {
		w.Attach(p.Wake)
	}
	return p
}

// Handle is a started processor: the lifecycle handle plus the processor.
type Handle struct {
	*lifecycle.Handle
	*Processor
}

// Start runs a new processor for cfg in the background. Stop or StopContext
// it; its stop timeout (WithStopTimeout, default 10s) bounds the final
// persist too.
func Start(cfg Config, opts ...lifecycle.Option) *Handle {
	p := New(cfg)
	return &Handle{Handle: lifecycle.Start("processor", p, opts...), Processor: p}
}

// Wake makes the loop run a pass soon. It never blocks.
func (p *Processor) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Activity names what the loop is busy with ("handler", "persister",
// "timer NAME", "resume callback"), or "" while it sleeps.
func (p *Processor) Activity() string {
	if a := p.activity.Load(); a != nil {
		return *a
	}
	return ""
}

// Counters returns a snapshot of the running totals; safe at any time.
func (p *Processor) Counters() Counters {
	return Counters{
		Passes: p.passes.Load(), Handled: p.handled.Load(), Retries: p.retries.Load(),
		Persists: p.persists.Load(), PersistFailures: p.persistFailures.Load(),
		TimerFires: p.timerFires.Load(), TimerFailures: p.timerFailures.Load(),
		Resumes: p.resumes.Load(), LastPersist: time.Duration(p.lastPersist.Load()),
	}
}

// Unhandled returns, after Run has returned, the events that had been drained
// but not accepted by the handler, in order. When there are any, Run's error
// includes an *UnhandledError (ErrUnhandled) saying how many: no event is
// lost without a word.
func (p *Processor) Unhandled() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.unhandled...)
}

var (
	actHandler   = "handler"
	actPersister = "persister"
	actResume    = "resume callback"
)

// loop is the state of one Run.
type loop struct {
	p         *Processor
	cb        *lifecycle.Callbacks // handler, timers, persister and OnResume run through it
	pending   []Event              // drained, not yet handled
	retryAt   time.Time            // non-zero: pending waits for a retry
	attempts  int                  // consecutive failed attempts of pending[0]
	persisted uint64               // state version last persisted; 0 is "as loaded"
	due       []time.Time
	prevMono  time.Time
	prevWall  time.Time
}

// Run runs the loop until ctx is cancelled (nil, or the final persist's
// error) or the loop fails, then stops: it closes the Queues among its
// sources (a later Push fails with ErrClosed), drains every source a last
// time and, after a clean stop, offers what is pending to the handler once
// more (ignoring any retry backoff); then it makes the final persist. Events
// the handler still has not taken are kept for Unhandled and reported in the
// error. It runs once.
func (p *Processor) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	if p.cfgErr != nil {
		return p.cfgErr
	}
	l := &loop{p: p, cb: lifecycle.NewCallbacks(ctx)}
	defer l.cb.Close()
	now := p.cfg.Clock.Now()
	l.due = make([]time.Time, len(p.cfg.Timers))
	for i, t := range p.cfg.Timers {
		l.due[i] = now.Add(t.Interval)
	}
	err := l.run(ctx)
	err = errors.Join(err, l.drainLast(err == nil))
	var left error
	if n := len(l.pending); n > 0 {
		left = &UnhandledError{Count: n}
	}
	p.mu.Lock()
	p.unhandled = l.pending
	p.mu.Unlock()
	return errors.Join(err, l.persist(true), left)
}

// drainLast closes the queues, drains every source and, if handle is set,
// offers the pending events to the handler once more.
func (l *loop) drainLast(handle bool) error {
	p := l.p
	for _, s := range p.cfg.Sources {
		if q, ok := s.(*Queue); ok {
			q.close()
		}
		l.pending = s.Drain(l.pending)
	}
	if !handle || len(l.pending) == 0 {
		return nil
	}
	defer p.activity.Store(nil)
	return l.handle(p.cfg.Clock.Now())
}

func (l *loop) run(ctx context.Context) error {
	p := l.p
	t := p.cfg.Clock.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for {
		if err := l.pass(); err != nil {
			return err
		}
		next := l.nextDeadline()
		if next.IsZero() {
			select {
			case <-p.wake:
			case <-ctx.Done():
				return nil
			}
			continue
		}
		t.Reset(next.Sub(p.cfg.Clock.Now()))
		select {
		case <-p.wake:
			t.Stop()
		case <-t.C():
		case <-ctx.Done():
			return nil
		}
	}
}

// pass does one round of work: events, persist, timers.
func (l *loop) pass() error {
	p := l.p
	p.passes.Add(1)
	defer p.activity.Store(nil)
	select { // this pass covers every wake that came before it
	case <-p.wake:
	default:
	}
	now := p.cfg.Clock.Now()
	if err := l.detectSuspend(now); err != nil {
		return err
	}
	for _, s := range p.cfg.Sources {
		l.pending = s.Drain(l.pending)
	}
	if len(l.pending) > 0 && !now.Before(l.retryAt) {
		if err := l.handle(now); err != nil {
			return err
		}
	}
	if err := l.persist(false); err != nil {
		return err
	}
	return l.fireTimers(now)
}

// handle offers the pending events to the handler, in order, until one is
// refused.
func (l *loop) handle(now time.Time) error {
	p := l.p
	if p.cfg.Handler == nil {
		clear(l.pending)
		l.pending = l.pending[:0]
		return nil
	}
	p.activity.Store(&actHandler)
	i := 0 // events handled so far
	err := l.cb.Call(func() error { return l.offer(now, &i) })
	// Keep what was not handled, at the front, for the next attempt.
	n := copy(l.pending, l.pending[i:])
	clear(l.pending[n:])
	l.pending = l.pending[:n]
	if err != nil {
		return fmt.Errorf("handler: %w", err)
	}
	return nil
}

// offer hands the pending events to the handler; *i counts those it took. An
// error ends the processor (a panic, or a batch count outside 0..len); a
// refusal is not an error, it schedules the retry.
func (l *loop) offer(now time.Time, i *int) error {
	p := l.p
	refuse := func(herr error) {
		p.retries.Add(1)
		l.attempts++
		delay := min(p.cfg.RetryBackoff<<min(l.attempts-1, 30), p.cfg.MaxRetryBackoff)
		l.retryAt = now.Add(delay)
		p.cfg.Logger.Debug("processor: handler refused an event; will retry", "in", delay, "err", herr)
	}
	if bh, ok := p.cfg.Handler.(BatchHandler); ok {
		n, herr := bh.HandleBatch(l.pending)
		if n < 0 || n > len(l.pending) {
			return fmt.Errorf("HandleBatch returned %d for %d events: %w", n, len(l.pending), ErrBatchCount)
		}
		*i = n
		p.handled.Add(uint64(*i))
		if *i < len(l.pending) {
			if *i > 0 {
				l.attempts = 0 // progress: the backoff starts over
			}
			if herr == nil {
				herr = fmt.Errorf("batch handler took %d of %d events", *i, len(l.pending))
			}
			refuse(herr)
			return nil
		}
	} else {
		for ; *i < len(l.pending); *i++ {
			if herr := p.cfg.Handler.Handle(l.pending[*i]); herr != nil {
				p.handled.Add(uint64(*i)) // the events before it were handled in this pass
				refuse(herr)
				return nil
			}
			l.attempts = 0
		}
		p.handled.Add(uint64(*i))
	}
	l.attempts = 0
	l.retryAt = time.Time{}
	return nil
}

// persist writes the state if it changed since the last persist.
func (l *loop) persist(final bool) error {
	p := l.p
	st := p.cfg.State
	if st == nil || st.Version() == l.persisted {
		return nil
	}
	p.activity.Store(&actPersister)
	defer p.activity.Store(nil)
	start := p.cfg.Clock.Now()
	err := l.cb.Call(func() error {
		v, data, err := st.Snapshot()
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		if p.cfg.Persister != nil {
			if err := p.cfg.Persister.Persist(p.cfg.StateKey, data); err != nil {
				return err
			}
		}
		l.persisted = v
		return nil
	})
	if err != nil {
		p.persistFailures.Add(1)
		return &PersistError{Key: p.cfg.StateKey, Final: final, Err: err}
	}
	p.persists.Add(1)
	p.lastPersist.Store(int64(p.cfg.Clock.Now().Sub(start)))
	return nil
}

// fireTimers calls every timer that is due and schedules its next firing.
func (l *loop) fireTimers(now time.Time) error {
	p := l.p
	for i, t := range p.cfg.Timers {
		if now.Before(l.due[i]) {
			continue
		}
		name := "timer " + t.Name
		p.activity.Store(&name)
		err := l.cb.Call(func() error { return t.Fire(now) })
		p.timerFires.Add(1)
		var pe *lifecycle.PanicError
		if errors.As(err, &pe) {
			return fmt.Errorf("timer %q: %w", t.Name, err)
		}
		if err != nil {
			p.timerFailures.Add(1)
			p.cfg.Logger.Warn("processor: timer failed", "timer", t.Name, "err", err)
		}
		l.due[i] = l.due[i].Add(t.Interval)
		if !l.due[i].After(now) { // missed several periods: no burst, just go on from now
			l.due[i] = now.Add(t.Interval)
		}
	}
	return nil
}

// nextDeadline is the earliest timer or retry, or zero if there is none.
func (l *loop) nextDeadline() time.Time {
	var next time.Time
	for _, d := range l.due {
		if next.IsZero() || d.Before(next) {
			next = d
		}
	}
	if len(l.pending) > 0 && !l.retryAt.IsZero() && (next.IsZero() || l.retryAt.Before(next)) {
		next = l.retryAt
	}
	return next
}

// detectSuspend calls OnResume when the wall clock ran ahead of the
// monotonic clock since the previous pass.
func (l *loop) detectSuspend(mono time.Time) error {
	p := l.p
	wall := p.cfg.Wall()
	prevMono, prevWall := l.prevMono, l.prevWall
	l.prevMono, l.prevWall = mono, wall
	if prevMono.IsZero() || p.cfg.OnResume == nil {
		return nil
	}
	slept := wall.Sub(prevWall) - mono.Sub(prevMono)
	if slept <= p.cfg.SuspendThreshold {
		return nil
	}
	p.resumes.Add(1)
	p.activity.Store(&actResume)
	if err := l.cb.Call(func() error { p.cfg.OnResume(slept); return nil }); err != nil {
		return fmt.Errorf("resume callback: %w", err)
	}
	return nil
}
