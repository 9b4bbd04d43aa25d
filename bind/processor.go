package nodekit

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/processor"
	"nodekit.dev/nodekit/core/store"
)

// KindPersist: the processor stopped because its Persister failed
// (persist() threw); message() has the exception's text.
const KindPersist = 9

// Persister stores the processor's state. Implement it in Java, or use a
// FilePersister. persist() is called on the processor's background thread
// (never the caller's, never two calls at once), after updateState() and
// once more on stop; it may block (fsync), which delays the next events and
// counts against the stop timeout. An exception stops the processor with
// KindPersist. An empty state arrives as null (gomobile passes an empty
// byte[] as null).
type Persister interface {
	// Persist stores data under key (ProcessorConfig's stateKey), on the
	// processor's thread; data is null for an empty state. Throw to report
	// a failure: the processor stops with KindPersist.
	Persist(key string, data []byte) error
}

// EventHandler receives the events submitted to a processor. handleEvent()
// is called one event at a time and in submit() order, on a background
// thread owned by Go (never the caller's, not always the same one, never two
// at once). It may call submit(), updateState() and requestStop() on its
// processor; stop() and join() from it return KindCalledFromCallback at once.
// An exception means "not handled yet": the same event is offered again
// later, after a backoff, before any later event. An empty byte[] arrives as
// null. Pass null instead of a handler to drop events.
type EventHandler interface {
	// HandleEvent handles one event (null if it was empty), on the
	// processor's thread. Throw to have it offered again after the backoff.
	HandleEvent(event []byte) error
}

// TimerCallback is a periodic callback of a processor (see
// ProcessorConfig.addTimer). fire() runs on the processor's background
// thread, between events (never at the same time as the EventHandler), with
// the current time in Unix milliseconds; a slow fire() delays events. An
// exception is logged and counted (ProcessorCounters.getTimerFailures); the
// timer keeps firing.
type TimerCallback interface {
	// Fire runs one tick, on the processor's thread, with the current time
	// in Unix milliseconds. An exception is logged and counted.
	Fire(nowUnixMillis int64) error
}

// ProcessorConfig configures Nodekit.startProcessor: set its fields with the
// generated setters (setStopTimeoutMillis, ...); a field left at 0 (or null)
// keeps its default. Not thread-safe: fill it in on one thread, then start.
// The processor copies what it needs, so a later change has no effect.
type ProcessorConfig struct {
	StateKey              string // key of the state in the persister; default "state"
	RetryBackoffMillis    int64  // first delay before a refused event comes again; default 100
	MaxRetryBackoffMillis int64  // default 10000
	StopTimeoutMillis     int64  // bound on stop(), final persist included; default 10000
	// InitialState is the state the processor starts from, as loaded (for
	// instance with FilePersister.load); null for none. It is not persisted
	// until updateState() changes it.
	InitialState []byte
	timers       []processor.Timer
}

// NewProcessorConfig returns a config with every field at its default (Java:
// new ProcessorConfig() is the same).
func NewProcessorConfig() *ProcessorConfig { return &ProcessorConfig{} }

// AddTimer adds a periodic callback, first fired intervalMillis after start,
// then every intervalMillis. It throws a NodekitException if callback is null
// or intervalMillis is not positive; name appears in logs.
func (c *ProcessorConfig) AddTimer(name string, intervalMillis int64, callback TimerCallback) error {
	if callback == nil || intervalMillis <= 0 {
		return fmt.Errorf("timer %q: need a callback and a positive interval (got %d ms)", name, intervalMillis)
	}
	c.timers = append(c.timers, processor.Timer{Name: name, Interval: time.Duration(intervalMillis) * time.Millisecond,
		Fire: func(now time.Time) error { return callback.Fire(now.UnixMilli()) }})
	return nil
}

// Processor is a running background processor, from Nodekit.startProcessor:
// one loop on a background thread that hands submitted events to the
// handler, persists the state when updateState() changed it, fires the
// timers, and persists a last time on stop. Every method may be called from
// any thread. submit() and updateState() never block; join(), stop() and
// close() block until it has stopped. Use it in try-with-resources, or call
// stop(). A Processor dropped without stop() is stopped when it is collected.
type Processor struct {
	*proc // what a cleanup may stop: goroutines never hold *Processor itself
}

type proc struct {
	// live is the running processor; nil once it has ended, when end holds
	// its outcome: an ended Processor whose Java proxy the JVM has not
	// collected yet pins only that (its Java handler, persister, timers,
	// queue and state are let go at once).
	live atomic.Pointer[procLive]
	end  atomic.Pointer[procEnd]
}

type procLive struct {
	h     *lifecycle.Handle
	p     *processor.Processor
	queue *processor.Queue
	state *processor.Blob
}

// procEnd is what an ended processor keeps.
type procEnd struct {
	res       *Result
	state     int
	counters  ProcessorCounters
	unhandled []processor.Event // accepted but not handled: Unhandled hands them back
}

// javaLoop runs a processor whose handler, persister and timers are Java
// objects. The processor runs them as callbacks of its handle (see
// lifecycle.NewCallbacks), so that stop() from inside any of them returns at
// once instead of waiting for itself.
type javaLoop struct{ p *processor.Processor }

func (j javaLoop) Run(ctx context.Context) error { return j.p.Run(ctx) }

// Activity names what the loop is busy with, for stop-timeout errors.
func (j javaLoop) Activity() string { return j.p.Activity() }

// StartProcessor starts a processor and returns at once, its loop running on
// a background thread. config, persister, handler and logger may all be
// null: defaults, no persistence, events dropped, no logs. Any thread.
func StartProcessor(config *ProcessorConfig, persister Persister, handler EventHandler, logger Logger) (p *Processor, err error) {
	defer guard(&err)
	var h processor.Handler
	if handler != nil {
		h = javaHandler{handler}
	}
	return startProcessor(config, persister, h, logger)
}

// BatchEventHandler receives events in batches: every event pending when the
// processor wakes, in as few calls as possible (at most 1024 events or 1 MiB
// per call), on the processor's background thread, as EventHandler does. One
// call costs about as much as one EventHandler call, so this is the way to
// hand a Java handler millions of events per second.
type BatchEventHandler interface {
	// HandleEvents receives count events packed into data, each as a 4-byte
	// big-endian length followed by its bytes (EventBatch.unpack; Kotlin:
	// unpackEvents). data is only valid during the call: copy what you keep.
	// It returns how many, from the first, it handled; the rest come again
	// later, after the backoff and before later events. An exception means
	// none was handled.
	HandleEvents(data []byte, count int) (int, error)
}

// StartBatchProcessor is startProcessor with a BatchEventHandler.
func StartBatchProcessor(config *ProcessorConfig, persister Persister, handler BatchEventHandler, logger Logger) (p *Processor, err error) {
	defer guard(&err)
	var h processor.Handler
	if handler != nil {
		h = &javaBatchHandler{h: handler}
	}
	return startProcessor(config, persister, h, logger)
}

func startProcessor(config *ProcessorConfig, persister Persister, handler processor.Handler, logger Logger) (*Processor, error) {
	if config == nil {
		config = NewProcessorConfig()
	}
	pc := &procLive{queue: processor.NewQueue(), state: processor.NewBlob(append([]byte(nil), config.InitialState...))}
	cfg := processor.Config{
		Sources:         []processor.Source{pc.queue},
		State:           pc.state,
		StateKey:        config.StateKey,
		Timers:          append([]processor.Timer(nil), config.timers...),
		RetryBackoff:    time.Duration(config.RetryBackoffMillis) * time.Millisecond,
		MaxRetryBackoff: time.Duration(config.MaxRetryBackoffMillis) * time.Millisecond,
		Logger:          slogFor(logger),
		Handler:         handler,
	}
	if persister != nil {
		cfg.Persister = javaPersister{persister}
	}
	var opts []lifecycle.Option
	if config.StopTimeoutMillis > 0 {
		opts = append(opts, lifecycle.WithStopTimeout(time.Duration(config.StopTimeoutMillis)*time.Millisecond))
	}
	pc.p = processor.New(cfg)
	pc.h = lifecycle.Start("processor", javaLoop{pc.p}, opts...)
	p := &Processor{&proc{}}
	p.live.Store(pc)
	go p.releaseWhenDone(pc)
	runtime.AddCleanup(p, (*proc).dropped, p.proc)
	return p, nil
}

// dropped runs when Go collects a Processor that Java no longer references.
func (pc *proc) dropped() {
	if live := pc.live.Load(); live != nil {
		go live.h.Stop() //nolint:errcheck // nobody is left to receive the result
	}
}

func (pc *proc) releaseWhenDone(live *procLive) {
	<-live.h.Done()
	pc.release(live)
}

// release records the outcome of the ended processor and lets go of the
// rest; it returns the outcome. The first call wins.
func (pc *proc) release(live *procLive) *procEnd {
	if end := pc.end.Load(); end != nil {
		return end
	}
	end := &procEnd{res: resultOf(live.h.Err()), state: int(live.h.State()), counters: countersOf(live.p),
		unhandled: live.p.Unhandled()}
	if !pc.end.CompareAndSwap(nil, end) {
		return pc.end.Load()
	}
	pc.live.Store(nil)
	return end
}

// errNoProcessor is what the methods of a Processor made with Java's
// `new Processor()` (a zero value, not started) report.
var errNoProcessor = fmt.Errorf("processor not started: use Nodekit.startProcessor: %w", errIllegalState)

// errProcessorEnded is what the methods that feed a processor report once it has ended.
var errProcessorEnded = fmt.Errorf("processor has stopped: %w", errIllegalState)

// core returns the running processor (nil, with its outcome in end, once it
// has ended), or an error for a zero-value one.
func (p *Processor) core() (live *procLive, end *procEnd, err error) {
	if p == nil || p.proc == nil {
		return nil, nil, errNoProcessor
	}
	if live := p.live.Load(); live != nil {
		return live, nil, nil
	}
	return nil, p.end.Load(), nil
}

// running returns the running processor, or an error once it has ended.
func (p *Processor) running(op string) (*procLive, error) {
	live, _, err := p.core()
	if err != nil {
		return nil, err
	}
	if live == nil || closed(live.h.Done()) {
		return nil, fmt.Errorf("%s: %w", op, errProcessorEnded)
	}
	return live, nil
}

// Submit queues a copy of event and wakes the processor; it returns at once
// (the queue is unbounded) and the handler gets the event later, on the
// processor's thread. Any thread, including the handler's own. It throws a
// NodekitException (KindIllegalState) if the processor has ended or is
// ending: the event would never be handled. gomobile turns an empty byte[]
// into null: the handler then receives null.
func (p *Processor) Submit(event []byte) (err error) {
	defer guard(&err)
	pc, err := p.running("submit")
	if err != nil {
		return err
	}
	if err := pc.queue.Push(append([]byte(nil), event...)); err != nil {
		return fmt.Errorf("submit: %w: %w", errProcessorEnded, err) // stopping: not accepted
	}
	return nil
}

// SubmitBatch queues count events packed into data as a BatchEventHandler
// receives them (each a 4-byte big-endian length, then its bytes;
// EventBatch.pack; Kotlin: packEvents) with one call instead of count. It
// returns at once, as submit() does. It throws a NodekitException, queueing
// nothing, if data does not hold exactly count events (KindFailed) or the
// processor has ended (KindIllegalState).
func (p *Processor) SubmitBatch(data []byte, count int) (err error) {
	defer guard(&err)
	pc, err := p.running("submit batch")
	if err != nil {
		return err
	}
	events := make([]processor.Event, 0, max(count, 0))
	rest := data
	for i := 0; i < count; i++ {
		if len(rest) < 4 || uint64(len(rest)-4) < uint64(binary.BigEndian.Uint32(rest)) {
			return fmt.Errorf("submit batch: event %d of %d is truncated (%d bytes left)", i, count, len(rest))
		}
		n := binary.BigEndian.Uint32(rest)
		events = append(events, append([]byte(nil), rest[4:4+n]...))
		rest = rest[4+n:]
	}
	if len(rest) != 0 || count < 0 {
		return fmt.Errorf("submit batch: %d bytes after the %d events", len(rest), count)
	}
	if err := pc.queue.Push(events...); err != nil {
		return fmt.Errorf("submit batch: %w: %w", errProcessorEnded, err) // stopping: not accepted
	}
	return nil
}

// UpdateState replaces the state with a copy of snapshot and marks it dirty:
// the processor persists it on its next pass, and on stop at the latest
// (only the latest snapshot is persisted). It returns at once; any thread.
// It throws a NodekitException (KindIllegalState) if the processor has
// ended.
func (p *Processor) UpdateState(snapshot []byte) (err error) {
	defer guard(&err)
	pc, err := p.running("update state")
	if err != nil {
		return err
	}
	pc.state.Set(snapshot)
	return nil
}

// Join blocks the calling thread until the processor has stopped, for as
// long as it runs, and returns the outcome (the same Result as stop()); it
// never throws. From inside one of the processor's own callbacks it returns
// KindCalledFromCallback at once. Use joinAsync not to block.
func (p *Processor) Join() (res *Result) {
	defer guardResult(&res)
	live, end, err := p.core()
	switch {
	case err != nil:
		return resultOf(err)
	case end != nil:
		return end.res
	}
	if err := live.h.Join(); !closed(live.h.Done()) {
		return resultOf(err) // KindCalledFromCallback: from inside one of its callbacks
	}
	return p.release(live).res
}

// Stop stops the processor after a final persist (if the state changed) and
// returns the outcome, the same Result as join(); it never throws. Every
// event submitted before is handled first, or the Result is KindUnhandled and
// unhandled() returns what was left. It blocks until the processor has
// stopped, at most ProcessorConfig's stop timeout (then KindStopTimeout).
// Idempotent (every call returns the same Result) and safe from any thread;
// from inside one of its callbacks it requests the stop and returns
// KindCalledFromCallback at once. Other kinds: KindOK, KindPersist (the
// persister threw), KindPanic. Use stopAsync not to block.
func (p *Processor) Stop() (res *Result) {
	defer guardResult(&res)
	live, end, err := p.core()
	switch {
	case err != nil:
		return resultOf(err)
	case end != nil:
		return end.res
	}
	if err := live.h.Stop(); !closed(live.h.Done()) {
		return resultOf(err) // KindCalledFromCallback: the stop is requested, not waited for
	}
	return p.release(live).res
}

// RequestStop starts the stop (as stop() does) and returns at once, from
// any thread and from inside the processor's own callbacks; join() gives
// the outcome. Idempotent; never throws.
func (p *Processor) RequestStop() {
	if live, _, err := p.core(); err == nil && live != nil {
		live.h.RequestStop()
	}
}

// UnhandledCount returns how many events the processor had accepted but not
// handled when it stopped (0 while it runs): a stop whose Result is
// KindUnhandled left that many, and unhandled() returns them. Never blocks.
func (p *Processor) UnhandledCount() int {
	if _, end, err := p.core(); err == nil && end != nil {
		return len(end.unhandled)
	}
	return 0
}

// Unhandled returns, once the processor has stopped, the events it had
// accepted but not handled, in order, packed as a BatchEventHandler receives
// them (EventBatch.unpack); null if there are none or it still runs. Submit
// them to a new processor (submitBatch) to handle them after all. Never
// blocks.
func (p *Processor) Unhandled() []byte {
	_, end, err := p.core()
	if err != nil || end == nil || len(end.unhandled) == 0 {
		return nil
	}
	var buf []byte
	for _, e := range end.unhandled {
		b := e.([]byte)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
		buf = append(buf, b...)
	}
	return buf
}

// State returns the processor's State* constant (Nodekit.stateName names
// it; StateNew for a Processor made with new). Never blocks; any thread.
func (p *Processor) State() int {
	live, end, err := p.core()
	switch {
	case err != nil:
		return StateNew
	case end != nil:
		return end.state
	}
	return int(live.h.State())
}

// Counters returns a new snapshot of the processor's running totals (all
// zero for a Processor made with new); after the stop, the final totals.
// Never blocks; any thread.
func (p *Processor) Counters() *ProcessorCounters {
	live, end, err := p.core()
	switch {
	case err != nil:
		return &ProcessorCounters{}
	case end != nil:
		c := end.counters
		return &c
	}
	c := countersOf(live.p)
	return &c
}

func countersOf(p *processor.Processor) ProcessorCounters {
	c := p.Counters()
	return ProcessorCounters{
		Passes: int64(c.Passes), EventsHandled: int64(c.Handled), Retries: int64(c.Retries),
		Persists: int64(c.Persists), PersistFailures: int64(c.PersistFailures),
		TimerFires: int64(c.TimerFires), TimerFailures: int64(c.TimerFailures),
		Resumes: int64(c.Resumes), LastPersistNanos: int64(c.LastPersist),
	}
}

// ProcessorCounters is a snapshot of a processor's running totals, read with
// its getters (getEventsHandled(), ...), each a long: loop passes, events
// handled, handler retries, persists and persist failures, timer fires and
// timer failures, resumes, and the duration of the last persist in
// nanoseconds. Changing it changes nothing in the processor.
type ProcessorCounters struct {
	Passes, EventsHandled, Retries, Persists, PersistFailures int64
	TimerFires, TimerFailures, Resumes, LastPersistNanos      int64
}

type javaPersister struct{ p Persister }

func (j javaPersister) Persist(key string, data []byte) error { return j.p.Persist(key, data) }

type javaHandler struct{ h EventHandler }

func (j javaHandler) Handle(e processor.Event) error { return j.h.HandleEvent(e.([]byte)) }

// Limits of one HandleEvents call.
const (
	maxBatchEvents = 1024
	maxBatchBytes  = 1 << 20
)

// javaBatchHandler packs pending events into chunks for a BatchEventHandler.
type javaBatchHandler struct {
	h   BatchEventHandler
	buf []byte // reused: gomobile copies it into a Java array per call
}

func (j *javaBatchHandler) Handle(e processor.Event) error {
	_, err := j.HandleBatch([]processor.Event{e})
	return err
}

func (j *javaBatchHandler) HandleBatch(events []processor.Event) (int, error) {
	done := 0
	for done < len(events) {
		j.buf = j.buf[:0]
		n := 0
		for _, e := range events[done:] {
			b := e.([]byte)
			if n == maxBatchEvents || (n > 0 && len(j.buf)+4+len(b) > maxBatchBytes) {
				break
			}
			j.buf = binary.BigEndian.AppendUint32(j.buf, uint32(len(b)))
			j.buf = append(j.buf, b...)
			n++
		}
		took, err := j.h.HandleEvents(j.buf, n)
		took = min(max(took, 0), n)
		done += took
		if err != nil || took < n {
			return done, err
		}
	}
	return done, nil
}

// FilePersister is a Persister on the file system: each key is one file in
// a directory, written atomically with a checksum and fsync. Pass it to
// Nodekit.startProcessor as the Persister, and load() the state back into
// ProcessorConfig.setInitialState on start. Safe from any thread.
type FilePersister struct {
	fp *store.FilesystemPersister
}

// NewFilePersister opens the directory dir, creating it if needed; it throws
// a NodekitException (KindFailed) if it cannot.
func NewFilePersister(dir string) (*FilePersister, error) {
	fp, err := store.NewFilesystemPersister(dir)
	if err != nil {
		return nil, err
	}
	return &FilePersister{fp: fp}, nil
}

// Persist writes data under key atomically and durably; it blocks for the
// write and fsync, and throws on an I/O error.
func (f *FilePersister) Persist(key string, data []byte) error { return f.fp.Persist(key, data) }

// Load returns the data last persisted under key, or null if there is none
// (or if it was empty: gomobile passes an empty byte[] as null). It blocks
// for the read. A corrupt or truncated file throws a NodekitException
// (KindFailed); it is never treated as empty.
func (f *FilePersister) Load(key string) ([]byte, error) {
	data, err := f.fp.Load(key)
	if isNotExist(err) {
		return nil, nil
	}
	return data, err
}

// Close is stop() for try-with-resources: it blocks as stop() does (at most
// the stop timeout) and throws a NodekitException with the Result's kind and
// message if that Result is not ok. Any thread; idempotent.
func (p *Processor) Close() error { return errorOf(p.Stop()) }

// JoinAsync is join() without blocking: it returns at once and calls
// cb.onResult with join()'s Result, on a Go thread, when the processor has
// stopped. Unlike join() it may be called from the processor's own
// callbacks too. cb may be null (nothing is called). Cancel the returned
// Pending to drop cb early. Never throws.
func (p *Processor) JoinAsync(cb ResultCallback) *Pending {
	live, end, err := p.core()
	switch {
	case err != nil:
		return joinAsync(nil, now(resultOf(err)), cb)
	case end != nil:
		return joinAsync(nil, now(end.res), cb)
	}
	pc := p.proc // not p: goroutines never hold *Processor itself
	return joinAsync(live.h.Done(), func() *Result { return pc.release(live).res }, cb)
}

// StopAsync is stop() without blocking: it starts the stop, returns at once,
// and calls cb.onResult with stop()'s Result, on a Go thread, at most the
// stop timeout later. cb may be null. Cancelling the Pending drops cb; the
// processor still stops. Never throws; any thread.
func (p *Processor) StopAsync(cb ResultCallback) *Pending {
	pend := newPending(cb)
	go func() { pend.deliver(p.Stop()) }()
	return pend
}
