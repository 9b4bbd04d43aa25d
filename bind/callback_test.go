package nodekit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// within fails the test if f does not return within waitTimeout.
func within[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("%s blocked", what)
		panic("unreachable")
	}
}

func TestJoinAndStopInsideAHookReturnAtOnceWithTheirKind(t *testing.T) {
	g := NewGroup()
	inside := make(chan [2]*Result, 1)
	h := &hooks{name: "a", log: newCalls()}
	h.onStart = func() { inside <- [2]*Result{g.Join(), g.Stop()} }
	require.NoError(t, g.Add("a", h))
	g.Start()
	got := within(t, "join()/stop() inside the start hook", func() [2]*Result { return <-inside })
	assert.Equal(t, KindCalledFromCallback, got[0].Kind(), "join: %v", got[0])
	assert.Equal(t, KindCalledFromCallback, got[1].Kind(), "stop: %v", got[1])
	assert.True(t, within(t, "join()", g.Join).IsOk(), "the stop requested from the hook happened")
	assert.Equal(t, StateStopped, g.State())
}

// stopHook is a service whose stop() hook runs onStop.
type stopHook struct{ onStop func() }

func (stopHook) Start() error  { return nil }
func (h stopHook) Stop() error { h.onStop(); return nil }

func TestJoinAndStopInsideAStopHookReturnAtOnceWithTheirKind(t *testing.T) {
	g := NewGroup()
	inside := make(chan [2]*Result, 1)
	require.NoError(t, g.Add("a", stopHook{func() { inside <- [2]*Result{g.Join(), g.Stop()} }}))
	require.True(t, g.Start().IsOk())
	stopped := within(t, "stop()", g.Stop)
	got := <-inside
	assert.Equal(t, KindCalledFromCallback, got[0].Kind(), "join: %v", got[0])
	assert.Equal(t, KindCalledFromCallback, got[1].Kind(), "stop: %v", got[1])
	assert.True(t, stopped.IsOk(), "the stop itself: %v", stopped)
}

func TestStopFromAnotherThreadWhileAHookRunsWaitsForIt(t *testing.T) {
	g := NewGroup()
	entered, release := make(chan struct{}), make(chan struct{})
	h := &hooks{name: "a", log: newCalls(), onStart: func() { close(entered); <-release }}
	require.NoError(t, g.Add("a", h))
	started := make(chan *Result, 1)
	go func() { started <- g.Start() }()
	<-entered
	stopped := make(chan *Result, 1)
	go func() { stopped <- g.Stop() }()
	select {
	case r := <-stopped:
		t.Fatalf("stop() from outside the hook returned while the hook ran: %v", r)
	case <-time.After(50 * time.Millisecond): // stop() is waiting, as it should
	}
	close(release)
	r := within(t, "stop()", func() *Result { return <-stopped })
	assert.True(t, r.IsOk(), "stop: %v", r)
	assert.NotEqual(t, KindCalledFromCallback, (<-started).Kind())
}

func TestRequestStopFromInsideAnObserverAndOutside(t *testing.T) {
	g := NewGroup()
	g.Observe(0, observerFunc(func(e event) error {
		if e.To == StateRunning {
			g.RequestStop()
		}
		return nil
	}))
	require.NoError(t, g.Add("a", nil))
	g.Start()
	assert.True(t, within(t, "join()", g.Join).IsOk())
	g.RequestStop() // idempotent, after the end too

	before := NewGroup()
	before.RequestStop()
	assert.True(t, within(t, "join()", before.Join).IsOk())
	assert.Equal(t, KindIllegalState, before.Start().Kind(), "requestStop before start: it can no longer start")
}

func TestProcessorJoinStopRequestStopInsideTheHandler(t *testing.T) {
	var p *Processor
	ready, inside := make(chan struct{}), make(chan [2]*Result, 1)
	p, err := StartProcessor(nil, nil, handlerFunc(func([]byte) error {
		<-ready
		p.RequestStop()
		inside <- [2]*Result{p.Join(), p.Stop()}
		return nil
	}), nil)
	require.NoError(t, err)
	require.NoError(t, p.Submit([]byte("e")))
	close(ready)
	got := within(t, "join()/stop() inside the handler", func() [2]*Result { return <-inside })
	assert.Equal(t, KindCalledFromCallback, got[0].Kind())
	assert.Equal(t, KindCalledFromCallback, got[1].Kind())
	assert.True(t, within(t, "join()", p.Join).IsOk())
}

func TestProcessorStopReportsAndReturnsUnhandledEvents(t *testing.T) {
	refuse := errors.New("not now")
	cfg := NewProcessorConfig()
	cfg.StopTimeoutMillis = 300
	cfg.RetryBackoffMillis = 1
	p, err := StartProcessor(cfg, nil, handlerFunc(func([]byte) error { return refuse }), nil)
	require.NoError(t, err)
	require.NoError(t, p.Submit([]byte("one")))
	require.NoError(t, p.Submit([]byte("two")))
	assert.Equal(t, 0, p.UnhandledCount(), "nothing is reported while it runs")
	r := p.Stop()
	assert.Equal(t, KindUnhandled, r.Kind(), "%v", r)
	assert.Contains(t, r.Message(), "2 events")
	assert.Equal(t, 2, p.UnhandledCount())
	events, err := unpack(p.Unhandled(), p.UnhandledCount())
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "two"}, events, "in order")
}

func TestEmptyServiceNameIsRefused(t *testing.T) {
	g := NewGroup()
	assert.ErrorIs(t, g.Add("", nil), errIllegalState, "Java null arrives as \"\"")
	require.NoError(t, g.Add("a", nil))
}

func TestKindAndStateNames(t *testing.T) {
	assert.Equal(t, "StopTimeout", KindName(KindStopTimeout))
	assert.Equal(t, "Unhandled", KindName(KindUnhandled))
	assert.Equal(t, "Kind(99)", KindName(99))
	assert.Equal(t, "Running", StateName(StateRunning))
	assert.Equal(t, "State(-1)", StateName(-1))
	for k := KindOK; k <= KindUnhandled; k++ {
		assert.NotContains(t, KindName(k), "Kind(", "kind %d has no name", k)
	}
	assert.Equal(t, "WorkerCrashed", KindName(KindWorkerCrashed))
}

// event is what an Observer receives, as one value.
type event struct {
	Service  string
	From, To int
}

type observerFunc func(event) error

func (f observerFunc) OnEvent(service string, from, to int, _ int64, _ string, _ int, _ int64) error {
	return f(event{service, from, to})
}

// unpack reads the packed format of BatchEventHandler.
func unpack(data []byte, count int) ([]string, error) {
	var out []string
	for i := 0; i < count; i++ {
		if len(data) < 4 {
			return nil, errors.New("truncated")
		}
		n := int(data[0])<<24 | int(data[1])<<16 | int(data[2])<<8 | int(data[3])
		out = append(out, string(data[4:4+n]))
		data = data[4+n:]
	}
	return out, nil
}

// listenerLog is an Observer as Java implements it, logging every field.
type listenerLog struct{ c *calls }

func (l listenerLog) OnEvent(service string, from, to int, _ int64, err string, kind int, at int64) error {
	l.c.add(service + ":" + StateName(from) + ">" + StateName(to) + ":" + err + ":" + KindName(kind))
	return nil
}

func TestObserverGetsEveryFieldAsPlainValues(t *testing.T) {
	obs, lis := newCalls(), newCalls()
	g := NewGroup()
	g.Observe(0, eventLog{obs})
	g.Observe(0, listenerLog{lis})
	g.Observe(0, nil) // ignored
	require.NoError(t, g.Add("a", &hooks{name: "a", log: newCalls(), stopErr: errors.New("boom")}))
	require.True(t, g.Start().IsOk())
	g.Stop()
	lis.await(t, "a:Stopping>Failed:stop: boom:Failed")
	obs.await(t, "a:Failed")
	assert.Equal(t, []string{"a:New>Starting::OK", "a:Starting>Running::OK", "a:Running>Stopping::OK",
		"a:Stopping>Failed:stop: boom:Failed"}, lis.get())
}

type refusingListener struct{}

func (refusingListener) OnEvent(_ string, _, to int, _ int64, _ string, _ int, _ int64) error {
	if to == StateRunning {
		return errors.New("not today")
	}
	return nil
}

func TestObserverExceptionOnAStartEventAborts(t *testing.T) {
	g := NewGroup()
	g.Observe(0, refusingListener{})
	require.NoError(t, g.Add("a", nil))
	assert.Equal(t, KindAborted, g.Start().Kind())
}

// fieldLog is an Observer that logs every field of every event.
type fieldLog struct{ c *calls }

func (l fieldLog) OnEvent(service string, from, to int, nanos int64, err string, kind int, at int64) error {
	l.c.add(fmt.Sprint(service, from, to, nanos, err, kind, at))
	return nil
}

// batchFieldLog is a BatchObserver that reads each batch back, as
// Event.unpack does in Java, and logs the fields as fieldLog does.
type batchFieldLog struct {
	c     *calls
	sizes *calls
}

func (l batchFieldLog) OnEvents(data []byte, count int) error {
	r := bytes.NewReader(data)
	num := func(v any) { _ = binary.Read(r, binary.BigEndian, v) }
	str := func() string {
		var n int32
		num(&n)
		b := make([]byte, n)
		_, _ = io.ReadFull(r, b)
		return string(b)
	}
	for range count {
		service := str()
		var from, to, kind int32
		var nanos, at int64
		num(&from)
		num(&to)
		num(&nanos)
		err := str()
		num(&kind)
		num(&at)
		l.c.add(fmt.Sprint(service, int(from), int(to), nanos, err, int(kind), at))
	}
	if r.Len() != 0 {
		return fmt.Errorf("%d bytes after %d events", r.Len(), count)
	}
	l.sizes.add(strconv.Itoa(count))
	return nil
}

func TestBatchObserverGetsTheSameFieldsAsAnObserver(t *testing.T) {
	one, batched, sizes := newCalls(), newCalls(), newCalls()
	g := NewGroup()
	g.Observe(0, fieldLog{one})
	g.ObserveBatch(0, batchFieldLog{batched, sizes})
	g.ObserveBatch(0, nil) // ignored
	require.NoError(t, g.Add("a", nil))
	require.NoError(t, g.Add("ß-b", &hooks{name: "b", log: newCalls(), stopErr: errors.New("boom ✗")}))
	require.True(t, g.Start().IsOk())
	assert.Equal(t, KindFailed, g.Stop().Kind(), "b's stop hook failed")
	// stop() returned after every observer had received every event.
	assert.Equal(t, one.get(), batched.get())
	assert.Len(t, one.get(), 8)
	total := 0
	for _, s := range sizes.get() {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		total += n
	}
	assert.Equal(t, 8, total, "every event came in exactly one batch")
}

type refusingBatch struct{}

func (refusingBatch) OnEvents([]byte, int) error { return errors.New("not today") }

func TestBatchObserverExceptionOnStartEventsAborts(t *testing.T) {
	g := NewGroup()
	g.ObserveBatch(3, refusingBatch{})
	require.NoError(t, g.Add("a", nil))
	res := g.Start()
	assert.Equal(t, KindAborted, res.Kind())
	assert.Contains(t, res.Message(), "not today")
	assert.Contains(t, res.Message(), "priority 3")
}
