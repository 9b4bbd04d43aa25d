package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"nodekit.dev/nodekit/core/lifecycle"
)

// PoolConfig says how to run a Pool. Only Size is required.
type PoolConfig struct {
	// Worker is the configuration of every worker.
	Worker Config
	// Size is the number of workers (at least 1, or NewPool fails with
	// ErrPoolSize).
	Size int
	// MaxTasks recycles a worker after it answered this many calls: it
	// takes no new calls, is replaced, and shuts down once its pending
	// calls are done (0: never).
	MaxTasks uint64
	// MaxMemory recycles a worker whose resident memory exceeds this many
	// bytes, checked after each of its calls (0: never; Linux only).
	MaxMemory int64
	// RestartBackoff is the delay before a crashed worker is replaced; it
	// doubles with every crash of the same slot up to MaxRestartBackoff,
	// and starts over once a replacement lived MaxRestartBackoff
	// (defaults 50 ms and 5 s).
	RestartBackoff    time.Duration
	MaxRestartBackoff time.Duration
	// CrashLoop fails the pool when more than this many workers crash
	// within CrashWindow (defaults 10 and 1 minute); calls then fail with
	// ErrCrashLoop.
	CrashLoop   int
	CrashWindow time.Duration
	// ShutdownTimeout bounds the shutdown Run does when its context ends
	// (default 10 s); workers still busy then are killed.
	ShutdownTimeout time.Duration
}

func (c PoolConfig) withDefaults() PoolConfig {
	if c.RestartBackoff <= 0 {
		c.RestartBackoff = 50 * time.Millisecond
	}
	if c.MaxRestartBackoff <= 0 {
		c.MaxRestartBackoff = 5 * time.Second
	}
	if c.CrashLoop <= 0 {
		c.CrashLoop = 10
	}
	if c.CrashWindow <= 0 {
		c.CrashWindow = time.Minute
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	c.Worker = c.Worker.withDefaults()
	return c
}

// Pool runs calls on a set of workers: each call goes to the live worker
// with the fewest calls in flight. A worker that dies is replaced, after a
// backoff; the calls that were on it fail with its *CrashError and are never
// run again (the caller decides). Its methods are safe for concurrent use.
//
// A Pool is a lifecycle.Service: Run starts it, reports ready, and shuts it
// down when its context ends.
type Pool struct {
	cfg PoolConfig

	mu        sync.Mutex
	slots     []*slot
	changed   chan struct{} // closed and replaced when a worker comes or goes
	started   bool
	closing   bool
	err       error // the pool failed (ErrCrashLoop)
	crashes   []time.Time
	stats     PoolStats
	failed    chan struct{} // closed when err is set
	stop      chan struct{} // closed by Shutdown: supervisors return
	retirings sync.WaitGroup
	supervise sync.WaitGroup
}

type slot struct {
	w        *Worker // nil while it is being replaced
	retire   chan struct{}
	retiring bool
}

// PoolStats counts what happened to a pool's workers.
type PoolStats struct {
	Started  int // workers started, replacements included
	Crashed  int // workers that died
	Recycled int // workers retired after MaxTasks or MaxMemory
}

// NewPool checks cfg and returns a pool that is not started yet (see Start
// and Run).
func NewPool(cfg PoolConfig) (*Pool, error) {
	if cfg.Size < 1 {
		return nil, fmt.Errorf("%w, got %d", ErrPoolSize, cfg.Size)
	}
	if err := cfg.Worker.validate(); err != nil {
		return nil, err
	}
	return &Pool{cfg: cfg.withDefaults(), changed: make(chan struct{}), failed: make(chan struct{}), stop: make(chan struct{})}, nil
}

// StartPool is NewPool followed by Start.
func StartPool(ctx context.Context, cfg PoolConfig) (*Pool, error) {
	p, err := NewPool(cfg)
	if err != nil {
		return nil, err
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Start starts every worker, in parallel, and returns once all completed
// their handshake; if one fails, the others are shut down and its error is
// returned (a *VersionError, a *CrashError, ...).
func (p *Pool) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.started || p.closing {
		p.mu.Unlock()
		return ErrClosed
	}
	p.started = true
	p.mu.Unlock()
	workers := make([]*Worker, p.cfg.Size)
	errs := make([]error, p.cfg.Size)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			workers[i], errs[i] = Start(ctx, p.cfg.Worker)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, w := range workers {
			if w != nil {
				w.kill(ErrClosed)
				<-w.Done()
			}
		}
		return firstErr(errs)
	}
	p.mu.Lock()
	p.slots = make([]*slot, len(workers))
	for i, w := range workers {
		p.slots[i] = &slot{w: w, retire: make(chan struct{})}
		p.stats.Started++
	}
	p.broadcast()
	p.mu.Unlock()
	for i := range p.slots {
		p.supervise.Add(1)
		go p.superviseSlot(p.slots[i])
	}
	return nil
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// broadcast wakes the calls waiting for a worker. p.mu is held.
func (p *Pool) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Call runs task on the live worker with the fewest calls in flight, waiting
// for one if all are being replaced; see Worker.Call for the errors. It fails
// with ErrClosed once the pool is shutting down and with ErrCrashLoop once it
// has failed.
func (p *Pool) Call(ctx context.Context, task string, in []byte, opts ...CallOption) ([]byte, error) {
	for {
		p.mu.Lock()
		if p.err != nil {
			err := p.err
			p.mu.Unlock()
			return nil, err
		}
		if p.closing || !p.started {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		var best *slot
		for _, s := range p.slots {
			if s.w != nil && !s.retiring && (best == nil || s.w.Pending() < best.w.Pending()) {
				best = s
			}
		}
		if best == nil {
			wait := p.changed
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		w := best.w
		p.mu.Unlock()
		out, err := w.Call(ctx, task, in, opts...)
		var ce *CrashError
		if errors.Is(err, ErrClosed) && !errors.As(err, &ce) {
			// The worker died or was retired before the call was sent:
			// the task did not run, so it goes to another worker.
			continue
		}
		p.afterCall(best, w)
		return out, err
	}
}

// afterCall retires w if it reached MaxTasks or MaxMemory.
func (p *Pool) afterCall(s *slot, w *Worker) {
	if p.cfg.MaxTasks == 0 && p.cfg.MaxMemory == 0 {
		return
	}
	retire := p.cfg.MaxTasks > 0 && w.Completed() >= p.cfg.MaxTasks
	if !retire && p.cfg.MaxMemory > 0 && !p.cfg.Worker.InProcess {
		rss, err := residentMemory(w.Pid())
		retire = err == nil && rss > p.cfg.MaxMemory
	}
	if !retire {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.w == w && !s.retiring {
		s.retiring = true
		close(s.retire)
	}
}

// residentMemory reads a process's resident set size from /proc.
func residentMemory(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, errors.New("malformed statm")
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize()), err
}

// superviseSlot replaces the slot's worker when it dies or retires, until
// Shutdown or a crash loop.
func (p *Pool) superviseSlot(s *slot) {
	defer p.supervise.Done()
	backoff := p.cfg.RestartBackoff
	for {
		p.mu.Lock()
		w, retire := s.w, s.retire
		p.mu.Unlock()
		born := time.Now()
		select {
		case <-p.stop:
			return
		case <-retire:
			p.mu.Lock()
			p.stats.Recycled++
			p.mu.Unlock()
			p.retirings.Add(1)
			go func() {
				defer p.retirings.Done()
				ctx, cancel := context.WithTimeout(context.Background(), p.cfg.ShutdownTimeout)
				defer cancel()
				_ = w.Shutdown(ctx)
			}()
			backoff = p.cfg.RestartBackoff
		case <-w.Done():
			if w.Err() == nil {
				// A clean exit without a Shutdown of ours: replace at once.
				backoff = p.cfg.RestartBackoff
				break
			}
			if time.Since(born) > p.cfg.MaxRestartBackoff {
				backoff = p.cfg.RestartBackoff
			}
			if p.crashed(s, w.Err()) {
				return
			}
			if !p.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, p.cfg.MaxRestartBackoff)
		}
		p.mu.Lock()
		s.w, s.retiring = nil, false
		p.mu.Unlock()
		for {
			nw, err := p.startWorker()
			if err == nil {
				p.mu.Lock()
				s.w, s.retire = nw, make(chan struct{})
				p.stats.Started++
				p.broadcast()
				p.mu.Unlock()
				break
			}
			if errors.Is(err, ErrClosed) || p.crashed(s, err) || !p.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, p.cfg.MaxRestartBackoff)
		}
	}
}

// startWorker starts a replacement, abandoned if Shutdown begins.
func (p *Pool) startWorker() (*Worker, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	w, err := Start(ctx, p.cfg.Worker)
	if err != nil && ctx.Err() != nil {
		return nil, ErrClosed
	}
	return w, err
}

// crashed records a crash (or a failed restart) and reports whether the pool
// failed because of it.
func (p *Pool) crashed(s *slot, err error) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Crashed++
	now := time.Now()
	p.crashes = append(p.crashes, now)
	for len(p.crashes) > 0 && now.Sub(p.crashes[0]) > p.cfg.CrashWindow {
		p.crashes = p.crashes[1:]
	}
	s.w = nil
	p.broadcast()
	if len(p.crashes) <= p.cfg.CrashLoop || p.err != nil {
		return p.err != nil
	}
	p.err = fmt.Errorf("%w: %d crashes within %s, the last: %w", ErrCrashLoop, len(p.crashes), p.cfg.CrashWindow, err)
	close(p.failed)
	p.cfg.Worker.Logger.Error("worker pool failed", "err", p.err)
	return true
}

// sleep waits d unless Shutdown begins (false).
func (p *Pool) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.stop:
		return false
	}
}

// Shutdown stops the pool: new calls fail with ErrClosed, replacements stop,
// and every worker is shut down as Worker.Shutdown does (pending calls are
// awaited, until ctx ends). It returns the pool's failure (ErrCrashLoop) or
// the errors of workers killed because ctx ended (ErrClosed), nil otherwise;
// it is idempotent. A worker that crashes, before or during Shutdown, fails
// the calls that were on it with its *CrashError, as at any other time: that
// is not a failure of the shutdown.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.closing {
		p.closing = true
		close(p.stop)
		p.broadcast()
	}
	p.mu.Unlock()
	p.supervise.Wait()
	p.mu.Lock()
	var workers []*Worker
	for _, s := range p.slots {
		if s.w != nil {
			workers = append(workers, s.w)
		}
	}
	failure := p.err
	p.mu.Unlock()
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Shutdown(ctx); errors.Is(err, ErrClosed) {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	p.retirings.Wait()
	return errors.Join(append([]error{failure}, errs...)...)
}

// Stats returns what happened to the pool's workers so far.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Run is the pool as a lifecycle.Service: it starts the workers (unless
// Start did), reports ready, and runs until ctx ends (then it shuts the pool
// down within ShutdownTimeout and returns what Shutdown returns) or the pool
// fails (then it returns the ErrCrashLoop error).
func (p *Pool) Run(ctx context.Context) error {
	p.mu.Lock()
	started := p.started
	p.mu.Unlock()
	if !started {
		if err := p.Start(ctx); err != nil {
			return err
		}
	}
	lifecycle.Ready(ctx)
	var failure error
	select {
	case <-ctx.Done():
	case <-p.failed:
		failure = p.err
	}
	sctx, cancel := context.WithTimeout(context.Background(), p.cfg.ShutdownTimeout)
	defer cancel()
	err := p.Shutdown(sctx)
	if failure != nil {
		return failure
	}
	return err
}

// SignalsReady reports true: Run calls lifecycle.Ready once the workers run.
func (*Pool) SignalsReady() bool { return true }
