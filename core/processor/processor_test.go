package processor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/clock"
	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/processor"
)

const waitTimeout = 10 * time.Second

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatal("nothing received")
		var zero T
		return zero
	}
}

// memPersister records every persist in memory and can be told to fail.
type memPersister struct {
	mu     sync.Mutex
	writes []string
	fail   error
	seen   chan string
}

func newMem() *memPersister { return &memPersister{seen: make(chan string, 100)} }

func (m *memPersister) Persist(key string, data []byte) error {
	m.mu.Lock()
	fail := m.fail
	if fail == nil {
		m.writes = append(m.writes, key+"="+string(data))
	}
	m.mu.Unlock()
	m.seen <- key + "=" + string(data)
	return fail
}

func (m *memPersister) get() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.writes...)
}

func TestEventsAreHandledInOrderFromAllSources(t *testing.T) {
	a, b := processor.NewQueue(), processor.NewQueue()
	got := make(chan processor.Event, 100)
	h := processor.Start(processor.Config{
		Sources: []processor.Source{a, b},
		Handler: processor.HandlerFunc(func(e processor.Event) error { got <- e; return nil }),
		Logger:  quiet(),
	})
	a.Push("a1", "a2")
	assert.Equal(t, "a1", recv(t, got))
	assert.Equal(t, "a2", recv(t, got))
	b.Push("b1")
	a.Push("a3")
	first, second := recv(t, got), recv(t, got)
	assert.ElementsMatch(t, []processor.Event{"b1", "a3"}, []processor.Event{first, second})
	require.NoError(t, h.Stop())
	assert.Equal(t, uint64(4), h.Counters().Handled)
	assert.Zero(t, a.Len()+b.Len())
}

func TestRefusedEventIsRetriedWithBackoffInOrder(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	q := processor.NewQueue()
	var mu sync.Mutex
	var seen []string
	refuse := map[string]int{"e2": 2} // refuse e2 twice
	handled := make(chan string, 100)
	h := processor.Start(processor.Config{
		Sources: []processor.Source{q},
		Handler: processor.HandlerFunc(func(e processor.Event) error {
			s := e.(string)
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, s)
			if refuse[s] > 0 {
				refuse[s]--
				return errors.New("database busy")
			}
			handled <- s
			return nil
		}),
		RetryBackoff: time.Second, Clock: fake, Logger: quiet(),
	})
	q.Push("e1", "e2", "e3")
	assert.Equal(t, "e1", recv(t, handled))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, fake.WaitTimers(ctx, 1)) // first retry armed: 1s
	q.Push("e4")                                // queued behind the refused event, not handled yet
	require.NoError(t, fake.WaitTimers(ctx, 1))
	fake.Advance(time.Second)
	require.NoError(t, fake.WaitTimers(ctx, 1)) // second retry armed: 2s (doubled)
	fake.Advance(2*time.Second - time.Nanosecond)
	assert.Equal(t, 1, fake.Timers(), "not retried before the doubled backoff")
	fake.Advance(time.Nanosecond)
	assert.Equal(t, "e2", recv(t, handled))
	assert.Equal(t, "e3", recv(t, handled))
	assert.Equal(t, "e4", recv(t, handled))
	require.NoError(t, h.Stop())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"e1", "e2", "e2", "e2", "e3", "e4"}, seen)
	c := h.Counters()
	assert.Equal(t, uint64(2), c.Retries)
	assert.Equal(t, uint64(4), c.Handled)
}

func TestUnhandledEventsAreReportedAfterStop(t *testing.T) {
	q := processor.NewQueue()
	refused := make(chan struct{}, 1)
	h := processor.Start(processor.Config{
		Sources: []processor.Source{q},
		Handler: processor.HandlerFunc(func(processor.Event) error {
			select {
			case refused <- struct{}{}:
			default:
			}
			return errors.New("never")
		}),
		RetryBackoff: time.Hour, Logger: quiet(),
	})
	require.NoError(t, q.Push(1, 2, 3))
	recv(t, refused)
	err := h.Stop()
	require.ErrorIs(t, err, processor.ErrUnhandled, "no event is lost without a word")
	var ue *processor.UnhandledError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, 3, ue.Count)
	assert.Equal(t, []processor.Event{1, 2, 3}, h.Unhandled())
}

func TestStateIsPersistedOnlyWhenChanged(t *testing.T) {
	state := processor.NewBlob([]byte("v0"))
	mem := newMem()
	q := processor.NewQueue()
	handled := make(chan struct{}, 10)
	h := processor.Start(processor.Config{
		Sources: []processor.Source{q}, State: state, Persister: mem, StateKey: "node",
		Handler: processor.HandlerFunc(func(e processor.Event) error {
			if e == "change" {
				state.Set([]byte("v1"))
			}
			handled <- struct{}{}
			return nil
		}),
		Logger: quiet(),
	})
	q.Push("no change")
	recv(t, handled)
	q.Push("change")
	recv(t, handled)
	assert.Equal(t, "node=v1", recv(t, mem.seen))
	state.Set([]byte("v2")) // a change from outside the handler wakes the loop too
	assert.Equal(t, "node=v2", recv(t, mem.seen))
	require.NoError(t, h.Stop())
	assert.Equal(t, []string{"node=v1", "node=v2"}, mem.get(), "clean state is not persisted again on stop")
	assert.Equal(t, uint64(2), h.Counters().Persists)
}

func TestFinalPersistOnStop(t *testing.T) {
	state := processor.NewBlob(nil)
	mem := newMem()
	blocked := make(chan struct{})
	release := make(chan struct{})
	q := processor.NewQueue()
	h := processor.Start(processor.Config{
		Sources: []processor.Source{q}, State: state, Persister: mem,
		Handler: processor.HandlerFunc(func(processor.Event) error {
			close(blocked)
			<-release // the state changes while the handler runs; stop arrives meanwhile
			state.Set([]byte("last"))
			return nil
		}),
		Logger: quiet(),
	})
	q.Push("x")
	<-blocked
	stopped := make(chan error, 1)
	go func() { stopped <- h.Stop() }()
	close(release)
	require.NoError(t, recv(t, stopped))
	assert.Equal(t, "state=last", mem.get()[len(mem.get())-1])
}

func TestPersistFailureStopsAndFinalPersistIsReported(t *testing.T) {
	state := processor.NewBlob(nil)
	mem := newMem()
	diskFull := errors.New("no space left on device")
	mem.fail = diskFull
	h := processor.Start(processor.Config{State: state, Persister: mem, Logger: quiet()})
	state.Set([]byte("x"))
	err := h.Join()
	require.Error(t, err)
	assert.ErrorIs(t, err, processor.ErrPersist)
	assert.ErrorIs(t, err, diskFull)
	var pe *processor.PersistError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "state", pe.Key)
	assert.False(t, pe.Final)
	assert.Contains(t, err.Error(), `final persist of "state" failed: no space left on device`)
	assert.Equal(t, uint64(2), h.Counters().PersistFailures, "the loop's persist and the final one")
	assert.Equal(t, lifecycle.Failed, h.State())
}

func TestSnapshotErrorIsAPersistError(t *testing.T) {
	h := processor.Start(processor.Config{State: badState{}, Persister: newMem(), Logger: quiet()})
	err := h.Join()
	assert.ErrorIs(t, err, processor.ErrPersist)
	assert.Contains(t, err.Error(), "snapshot: cannot encode")
}

type badState struct{}

func (badState) Version() uint64                   { return 7 }
func (badState) Snapshot() (uint64, []byte, error) { return 0, nil, errors.New("cannot encode") }

func TestHandlerPanicStopsWithStackAndPersists(t *testing.T) {
	state := processor.NewBlob(nil)
	mem := newMem()
	q := processor.NewQueue()
	h := processor.Start(processor.Config{
		Sources: []processor.Source{q}, State: state, Persister: mem, Logger: quiet(),
		Handler: processor.HandlerFunc(func(e processor.Event) error {
			state.Set([]byte("before panic"))
			panic("handler bug")
		}),
	})
	q.Push("x")
	err := h.Join()
	var pe *lifecycle.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "handler bug", pe.Value)
	assert.Contains(t, string(pe.Stack), "TestHandlerPanicStopsWithStackAndPersists")
	assert.Contains(t, err.Error(), "handler: panic: handler bug")
	assert.Equal(t, []string{"state=before panic"}, mem.get(), "the final persist ran")
}

func TestPersisterPanicIsAPersistErrorWithStack(t *testing.T) {
	state := processor.NewBlob(nil)
	h := processor.Start(processor.Config{State: state, Logger: quiet(),
		Persister: persistFunc(func(string, []byte) error { panic("persister bug") })})
	state.Set([]byte("x"))
	err := h.Join()
	assert.ErrorIs(t, err, processor.ErrPersist)
	var pe *lifecycle.PanicError
	assert.ErrorAs(t, err, &pe)
}

type persistFunc func(string, []byte) error

func (f persistFunc) Persist(k string, d []byte) error { return f(k, d) }

func TestTimersFireOnScheduleWithoutBursts(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	fired := make(chan time.Time, 100)
	h := processor.Start(processor.Config{
		Timers: []processor.Timer{{Name: "ping", Interval: 10 * time.Second, Fire: func(now time.Time) error {
			fired <- now
			if now.Unix() == 20 {
				return errors.New("peer gone")
			}
			return nil
		}}},
		Clock: fake, Logger: quiet(),
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for _, at := range []int64{10, 20} {
		require.NoError(t, fake.WaitTimers(ctx, 1))
		fake.Advance(10 * time.Second)
		assert.Equal(t, at, recv(t, fired).Unix())
	}
	require.NoError(t, fake.WaitTimers(ctx, 1))
	fake.Advance(35 * time.Second) // three periods missed: one firing, then every 10s from now
	assert.Equal(t, int64(55), recv(t, fired).Unix())
	require.NoError(t, fake.WaitTimers(ctx, 1))
	fake.Advance(10 * time.Second)
	assert.Equal(t, int64(65), recv(t, fired).Unix())
	require.NoError(t, h.Stop())
	c := h.Counters()
	assert.Equal(t, uint64(4), c.TimerFires)
	assert.Equal(t, uint64(1), c.TimerFailures)
}

func TestTimerPanicStopsTheProcessor(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	h := processor.Start(processor.Config{
		Timers: []processor.Timer{{Name: "sweep", Interval: time.Second, Fire: func(time.Time) error { panic("sweep bug") }}},
		Clock:  fake, Logger: quiet(),
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, fake.WaitTimers(ctx, 1))
	fake.Advance(time.Second)
	err := h.Join()
	var pe *lifecycle.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), `timer "sweep"`)
}

func TestIdleProcessorArmsOnlyItsNextDeadline(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	h := processor.Start(processor.Config{
		Timers: []processor.Timer{{Name: "slow", Interval: time.Minute, Fire: func(time.Time) error { return nil }}},
		Clock:  fake, Logger: quiet(),
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, fake.WaitTimers(ctx, 1))
	assert.Equal(t, 1, fake.Timers(), "one deadline for everything")
	fake.Advance(59 * time.Second)
	assert.Equal(t, uint64(1), h.Counters().Passes, "no pass before the timer is due")
	require.NoError(t, h.Stop())
}

func TestSuspendIsDetectedOnce(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	var wallMu sync.Mutex
	skew := time.Duration(0)
	resumed := make(chan time.Duration, 10)
	q := processor.NewQueue()
	handled := make(chan struct{}, 10)
	h := processor.Start(processor.Config{
		Sources: []processor.Source{q},
		Handler: processor.HandlerFunc(func(processor.Event) error { handled <- struct{}{}; return nil }),
		Clock:   fake,
		Wall: func() time.Time {
			wallMu.Lock()
			defer wallMu.Unlock()
			return fake.Now().Add(skew)
		},
		OnResume: func(slept time.Duration) { resumed <- slept },
		Logger:   quiet(),
	})
	q.Push(1)
	recv(t, handled)
	wallMu.Lock()
	skew = time.Hour // the device slept an hour: wall moved, monotonic did not
	wallMu.Unlock()
	q.Push(2)
	recv(t, handled)
	assert.Equal(t, time.Hour, recv(t, resumed))
	q.Push(3)
	recv(t, handled)
	require.NoError(t, h.Stop())
	assert.Equal(t, uint64(1), h.Counters().Resumes)
	assert.Empty(t, resumed)
}

func TestStopDeadlineNamesThePersister(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	state := processor.NewBlob(nil)
	h := processor.Start(processor.Config{State: state, Logger: quiet(),
		Persister: persistFunc(func(string, []byte) error { close(entered); <-release; return nil })})
	state.Set([]byte("x"))
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := h.StopContext(ctx)
	assert.ErrorIs(t, err, lifecycle.ErrStopTimeout)
	assert.Contains(t, err.Error(), "processor (in persister)")
	close(release) // the abandoned Run now finishes in the background (goleak waits for it)
}

func TestRunOnlyOnce(t *testing.T) {
	p := processor.New(processor.Config{Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, p.Run(ctx), "one pass, then the cancelled context ends it")
	assert.ErrorIs(t, p.Run(context.Background()), processor.ErrAlreadyRunning)
	assert.Equal(t, uint64(1), p.Counters().Passes)
}

func TestNilHandlerDropsEvents(t *testing.T) {
	q := processor.NewQueue()
	h := processor.Start(processor.Config{Sources: []processor.Source{q}, Logger: quiet()})
	require.NoError(t, q.Push(1, 2))
	require.NoError(t, h.Stop()) // every accepted event has been offered to the handler: dropped
	assert.Zero(t, q.Len())
	assert.Empty(t, h.Unhandled())
}

func ExampleStart() {
	q := processor.NewQueue()
	state := processor.NewBlob(nil)
	done := make(chan struct{})
	h := processor.Start(processor.Config{
		Sources: []processor.Source{q},
		State:   state,
		Handler: processor.HandlerFunc(func(e processor.Event) error {
			state.Set([]byte(fmt.Sprint("last event: ", e)))
			if e == 3 {
				close(done)
			}
			return nil
		}),
		Persister: persistFunc(func(key string, data []byte) error {
			return nil // a FilesystemPersister in a real node
		}),
	})
	q.Push(1, 2, 3)
	<-done
	fmt.Println(h.Stop(), string(state.Get()))
	// Output: <nil> last event: 3
}

// batcher takes at most limit events per call, and nothing while refusing.
type batcher struct {
	mu      sync.Mutex
	limit   int
	refuse  bool
	batches [][]processor.Event
	seen    chan int
}

func (b *batcher) Handle(processor.Event) error { panic("HandleBatch is used instead") }

func (b *batcher) HandleBatch(events []processor.Event) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refuse {
		b.seen <- 0
		return 0, errors.New("busy")
	}
	n := min(len(events), b.limit)
	b.batches = append(b.batches, append([]processor.Event(nil), events[:n]...))
	b.seen <- n
	return n, nil
}

func TestBatchHandlerGetsAllPendingEventsAndRetriesTheRest(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	q := processor.NewQueue()
	b := &batcher{limit: 2, refuse: true, seen: make(chan int, 100)}
	h := processor.Start(processor.Config{Sources: []processor.Source{q}, Handler: b,
		RetryBackoff: time.Second, Clock: fake, Logger: quiet()})
	q.Push(1, 2, 3)
	assert.Equal(t, 0, recv(t, b.seen), "refused: nothing taken")
	b.mu.Lock()
	b.refuse = false
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, fake.WaitTimers(ctx, 1))
	fake.Advance(time.Second)
	assert.Equal(t, 2, recv(t, b.seen), "took two of three")
	require.NoError(t, fake.WaitTimers(ctx, 1)) // the third waits for a retry
	q.Push(4)
	fake.Advance(time.Second)
	assert.Equal(t, 2, recv(t, b.seen), "the rest, in order, with the new event behind it")
	require.NoError(t, h.Stop())
	assert.Equal(t, [][]processor.Event{{1, 2}, {3, 4}}, b.batches)
	c := h.Counters()
	assert.Equal(t, uint64(4), c.Handled)
	assert.Equal(t, uint64(2), c.Retries)
}
