package nodekit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type memStore struct {
	mu     sync.Mutex
	data   map[string]string
	fail   error
	writes chan string
}

func newMemStore() *memStore {
	return &memStore{data: map[string]string{}, writes: make(chan string, 100)}
}

func (m *memStore) Persist(key string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.data[key] = string(data)
	m.writes <- key + "=" + string(data)
	return nil
}

type handlerFunc func([]byte) error

func (f handlerFunc) HandleEvent(e []byte) error { return f(e) }

func TestProcessorFacadeHandlesEventsAndPersists(t *testing.T) {
	store := newMemStore()
	got := make(chan string, 10)
	cfg := NewProcessorConfig()
	cfg.StateKey = "wallet"
	cfg.InitialState = []byte("loaded")
	p, err := StartProcessor(cfg, store, handlerFunc(func(e []byte) error { got <- string(e); return nil }), nil)
	require.NoError(t, err)
	buf := []byte("hello")
	require.NoError(t, p.Submit(buf))
	buf[0] = 'j' // the processor kept a copy
	assert.Equal(t, "hello", <-got)
	require.NoError(t, p.UpdateState([]byte("v1")))
	assert.Equal(t, "wallet=v1", <-store.writes)
	res := p.Stop()
	assert.True(t, res.IsOk(), res.String())
	c := p.Counters()
	assert.Equal(t, int64(1), c.EventsHandled)
	assert.Equal(t, int64(1), c.Persists)
	assert.Equal(t, StateStopped, p.State())
}

func TestProcessorFacadeNullEverything(t *testing.T) {
	p, err := StartProcessor(nil, nil, nil, nil)
	require.NoError(t, err)
	p.Submit([]byte("dropped"))
	p.UpdateState([]byte("kept nowhere"))
	assert.True(t, p.Stop().IsOk())
	assert.True(t, p.Join().IsOk())
}

func TestProcessorFacadeHandlerExceptionRetries(t *testing.T) {
	cfg := NewProcessorConfig()
	cfg.RetryBackoffMillis = 1
	attempts := make(chan int, 10)
	n := 0
	p, err := StartProcessor(cfg, nil, handlerFunc(func(e []byte) error {
		n++
		attempts <- n
		if n < 3 {
			return errors.New("java.lang.IllegalStateException: not yet")
		}
		return nil
	}), nil)
	require.NoError(t, err)
	p.Submit([]byte("x"))
	for want := 1; want <= 3; want++ {
		assert.Equal(t, want, <-attempts)
	}
	require.True(t, p.Stop().IsOk())
	assert.Equal(t, int64(2), p.Counters().Retries)
}

func TestProcessorFacadePersisterExceptionIsKindPersist(t *testing.T) {
	store := newMemStore()
	store.fail = errors.New("java.io.IOException: disk full")
	p, err := StartProcessor(nil, store, nil, nil)
	require.NoError(t, err)
	p.UpdateState([]byte("x"))
	res := p.Join()
	assert.Equal(t, KindPersist, res.Kind())
	assert.Contains(t, res.Message(), "java.io.IOException: disk full")
	assert.Equal(t, res.Message(), p.Stop().Message())
}

type timerFunc func(int64) error

func (f timerFunc) Fire(now int64) error { return f(now) }

func TestProcessorFacadeTimers(t *testing.T) {
	cfg := NewProcessorConfig()
	require.Error(t, cfg.AddTimer("bad", 0, timerFunc(func(int64) error { return nil })))
	require.Error(t, cfg.AddTimer("null", 10, nil))
	fired := make(chan int64, 100)
	require.NoError(t, cfg.AddTimer("tick", 1, timerFunc(func(now int64) error { fired <- now; return nil })))
	p, err := StartProcessor(cfg, nil, nil, nil)
	require.NoError(t, err)
	first, second := <-fired, <-fired
	assert.Greater(t, second, first-1)
	require.True(t, p.Stop().IsOk())
	assert.GreaterOrEqual(t, p.Counters().TimerFires, int64(2))
}

func TestDroppedProcessorIsStoppedWhenCollected(t *testing.T) {
	store := newMemStore()
	var inner *procLive // holding the inner part does not keep the facade object alive
	func() {
		p, err := StartProcessor(nil, store, nil, nil)
		require.NoError(t, err)
		p.UpdateState([]byte("last words"))
		inner = p.live.Load()
	}()
	require.True(t, gcUntil(inner.h.Done()), "the dropped processor was not stopped") // GCs: what CollectDropped does after each Java GC
	require.Equal(t, StateStopped, int(inner.h.State()))
	require.NoError(t, inner.h.Join())
	store.mu.Lock()
	defer store.mu.Unlock()
	assert.Equal(t, "last words", store.data["state"], "persisted by the loop or by the final persist")
}

func TestFilePersisterLoadsBack(t *testing.T) {
	dir := t.TempDir()
	fp, err := NewFilePersister(dir)
	require.NoError(t, err)
	data, err := fp.Load("state")
	require.NoError(t, err)
	assert.Nil(t, data, "nothing persisted yet")
	cfg := NewProcessorConfig()
	p, err := StartProcessor(cfg, fp, nil, nil)
	require.NoError(t, err)
	p.UpdateState([]byte("counter=41"))
	require.True(t, p.Stop().IsOk())
	data, err = fp.Load("state")
	require.NoError(t, err)
	assert.Equal(t, "counter=41", string(data))
	_, err = NewFilePersister("")
	assert.Error(t, err)
}

func TestStopFromInsideJavaHandler(t *testing.T) {
	var p *Processor
	ready := make(chan struct{})
	stopped := make(chan *Result, 1)
	p, err := StartProcessor(nil, nil, handlerFunc(func([]byte) error {
		<-ready
		stopped <- p.Stop()
		return nil
	}), nil)
	require.NoError(t, err)
	p.Submit([]byte("stop yourself"))
	close(ready)
	select {
	case r := <-stopped:
		assert.Equal(t, KindCalledFromCallback, r.Kind(), "requested, not waited for: %v", r)
	case <-time.After(waitTimeout):
		t.Fatal("stop() from inside the handler deadlocked")
	}
	assert.True(t, p.Join().IsOk())
}

func TestSubmitAfterStopThrows(t *testing.T) {
	p, err := StartProcessor(nil, nil, nil, nil)
	require.NoError(t, err)
	require.True(t, p.Stop().IsOk())
	assert.ErrorContains(t, p.Submit([]byte("late")), "processor has stopped")
	assert.ErrorContains(t, p.UpdateState([]byte("late")), "processor has stopped")
}

// batchRecorder unpacks batches as a Java BatchEventHandler would.
type batchRecorder struct {
	mu     sync.Mutex
	events []string
	sizes  []int
	limit  int // take at most this many per call (0: all)
	fail   error
	calls  chan int
}

func (b *batchRecorder) HandleEvents(data []byte, count int) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		err := b.fail
		b.fail = nil
		b.calls <- 0
		return 0, err
	}
	take := count
	if b.limit > 0 {
		take = min(count, b.limit)
	}
	for i := 0; i < take; i++ {
		n := binary.BigEndian.Uint32(data)
		b.events = append(b.events, string(data[4:4+n]))
		data = data[4+n:]
	}
	b.sizes = append(b.sizes, count)
	b.calls <- take
	return take, nil
}

// warmUp submits one event and waits until p's loop has handled it: the loop
// has attached its queue, so an Attach by the test after it is the one that
// stays. What the recorder saw of it is forgotten.
func (b *batchRecorder) warmUp(t *testing.T, p *Processor) {
	t.Helper()
	require.NoError(t, p.Submit([]byte("warm-up")))
	select {
	case n := <-b.calls:
		require.Equal(t, 1, n)
	case <-time.After(waitTimeout):
		t.Fatal("the warm-up event was not handled")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events, b.sizes = nil, nil
}

func (b *batchRecorder) got() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.events...)
}

func TestBatchProcessorPacksAndChunks(t *testing.T) {
	b := &batchRecorder{calls: make(chan int, 10000)}
	p, err := StartBatchProcessor(nil, nil, b, nil)
	require.NoError(t, err)
	b.warmUp(t, p)
	p.live.Load().queue.Attach(func() {}) // hold back wake-ups: the events pile up, then go in one pass
	var want []string
	for i := range 2500 {
		e := fmt.Sprint("event-", i)
		want = append(want, e)
		require.NoError(t, p.Submit([]byte(e)))
	}
	p.live.Load().p.Wake()
	total := 0
	for total < 2500 {
		total += <-b.calls
	}
	require.True(t, p.Stop().IsOk())
	assert.Equal(t, want, b.got(), "every event, in order, bytes intact")
	assert.Equal(t, []int{1024, 1024, 452}, b.sizes, "chunks of at most 1024 events")
	assert.Equal(t, int64(2500+1), p.Counters().EventsHandled, "the warm-up event and the 2,500")
}

func TestBatchProcessorRetriesWhatWasNotTaken(t *testing.T) {
	b := &batchRecorder{calls: make(chan int, 100), limit: 1}
	cfg := NewProcessorConfig()
	cfg.RetryBackoffMillis = 1
	p, err := StartBatchProcessor(cfg, nil, b, nil)
	require.NoError(t, err)
	b.warmUp(t, p)
	b.mu.Lock()
	b.fail = errors.New("java.lang.IllegalStateException: busy")
	b.mu.Unlock()
	p.live.Load().queue.Attach(func() {})
	for _, e := range []string{"a", "b", "c"} {
		require.NoError(t, p.Submit([]byte(e)))
	}
	p.live.Load().p.Wake()
	taken := 0
	for taken < 3 {
		taken += <-b.calls
	}
	require.True(t, p.Stop().IsOk())
	assert.Equal(t, []string{"a", "b", "c"}, b.got())
	assert.GreaterOrEqual(t, p.Counters().Retries, int64(3), "the exception, then two partial batches")
}

func pack(events ...string) []byte {
	var b []byte
	for _, e := range events {
		b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
		b = append(b, e...)
	}
	return b
}

func TestSubmitBatchUnpacksInOrderAndRejectsBadInput(t *testing.T) {
	got := make(chan string, 10)
	p, err := StartProcessor(nil, nil, handlerFunc(func(e []byte) error { got <- string(e); return nil }), nil)
	require.NoError(t, err)
	data := pack("one", "", "three")
	require.NoError(t, p.SubmitBatch(data, 3))
	data[4] = 'X' // the processor kept copies
	assert.Equal(t, []string{"one", "", "three"}, []string{<-got, <-got, <-got})

	assert.ErrorContains(t, p.SubmitBatch(pack("a", "b"), 3), "event 2 of 3 is truncated")
	assert.ErrorContains(t, p.SubmitBatch(pack("a", "b"), 1), "bytes after the 1 events")
	assert.ErrorContains(t, p.SubmitBatch([]byte{0, 0, 0, 9, 'x'}, 1), "truncated")
	require.True(t, p.Stop().IsOk())
	assert.Equal(t, int64(3), p.Counters().EventsHandled, "a rejected batch queues nothing")
	assert.ErrorContains(t, p.SubmitBatch(pack("late"), 1), "processor has stopped")
}
