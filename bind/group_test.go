package nodekit

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitTimeout = 10 * time.Second

// hooks is a Service as a Java class would implement it.
type hooks struct {
	name     string
	log      *calls
	startErr error
	stopErr  error
	onStart  func()
	onStop   func()
}

func (h *hooks) Start() error {
	h.log.add("start " + h.name)
	if h.onStart != nil {
		h.onStart()
	}
	return h.startErr
}

func (h *hooks) Stop() error {
	h.log.add("stop " + h.name)
	if h.onStop != nil {
		h.onStop()
	}
	return h.stopErr
}

type calls struct {
	mu    sync.Mutex
	lines []string
	ch    chan string
}

func newCalls() *calls { return &calls{ch: make(chan string, 100)} }

func (c *calls) add(s string) {
	c.mu.Lock()
	c.lines = append(c.lines, s)
	c.mu.Unlock()
	c.ch <- s
}

func (c *calls) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

func (c *calls) await(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case got := <-c.ch:
			if got == want {
				return
			}
		case <-deadline:
			t.Fatalf("%q never happened; saw %v", want, c.get())
		}
	}
}

// serviceState is g.ServiceState(name) for a name that must exist.
func serviceState(t *testing.T, g *Group, name string) int {
	t.Helper()
	s, err := g.ServiceState(name)
	require.NoError(t, err)
	return s
}

type eventLog struct{ c *calls }

func (o eventLog) OnEvent(service string, _, to int, _ int64, _ string, _ int, _ int64) error {
	o.c.add(service + ":" + StateName(to))
	return nil
}

func TestGroupStartStopOrderAndResult(t *testing.T) {
	c := newCalls()
	g := NewGroup()
	require.NoError(t, g.Add("a", &hooks{name: "a", log: c}))
	require.NoError(t, g.Add("b", &hooks{name: "b", log: c}))
	res := g.Start()
	require.True(t, res.IsOk(), res.String())
	assert.Equal(t, StateRunning, g.State())
	assert.Equal(t, StateRunning, serviceState(t, g, "b"))
	_, err := g.ServiceState("nope")
	assert.ErrorIs(t, err, errIllegalState, "an unknown name is an error, not a state")
	res = g.Stop()
	assert.True(t, res.IsOk())
	assert.Equal(t, KindOK, res.Kind())
	assert.Equal(t, "", res.Message())
	assert.Equal(t, "ok", res.String())
	assert.Equal(t, []string{"start a", "start b", "stop b", "stop a"}, c.get())
	assert.Equal(t, StateStopped, g.State())
	assert.True(t, g.Join().IsOk())
	assert.Equal(t, KindIllegalState, g.Start().Kind(), "a group starts once")
}

func TestHookErrorRollsBackAndIsReported(t *testing.T) {
	c := newCalls()
	g := NewGroup()
	require.NoError(t, g.Add("a", &hooks{name: "a", log: c}))
	require.NoError(t, g.Add("b", &hooks{name: "b", log: c, startErr: errors.New("java.io.IOException: port in use")}))
	require.NoError(t, g.Add("c", &hooks{name: "c", log: c}))
	res := g.Start()
	require.False(t, res.IsOk())
	assert.Equal(t, KindFailed, res.Kind())
	assert.Contains(t, res.Message(), `service "b": start: java.io.IOException: port in use`)
	assert.Equal(t, []string{"start a", "start b", "stop a"}, c.get())
	assert.Equal(t, StateFailed, g.State())
	assert.Equal(t, res.Message(), g.Stop().Message(), "stop after a failure returns the same outcome")
}

func TestNullServiceObserverLogger(t *testing.T) {
	g := NewGroup()
	g.SetLogger(nil)
	g.Observe(5, nil)
	require.NoError(t, g.Add("no-hooks", nil))
	require.NoError(t, g.AddWithOptions("no-options", nil, nil))
	require.True(t, g.Start().IsOk())
	require.True(t, g.Stop().IsOk())
}

func TestDuplicateNameAndAddAfterStartThrow(t *testing.T) {
	g := NewGroup()
	require.NoError(t, g.Add("a", nil))
	assert.ErrorContains(t, g.Add("a", nil), "duplicate service name")
	require.True(t, g.Start().IsOk())
	assert.ErrorContains(t, g.Add("b", nil), "already started")
	require.True(t, g.Stop().IsOk())
}

func TestJoinAndStopBeforeStart(t *testing.T) {
	g := NewGroup()
	assert.Equal(t, KindIllegalState, g.Join().Kind())
	assert.Equal(t, StateNew, g.State())
	assert.True(t, g.Stop().IsOk())
	assert.Equal(t, KindIllegalState, g.Start().Kind())
}

type abortingObserver struct{}

func (abortingObserver) OnEvent(service string, _, to int, _ int64, _ string, _ int, _ int64) error {
	if service == "b" && to == StateRunning {
		return errors.New("not today")
	}
	return nil
}

func TestObserverAbortKind(t *testing.T) {
	c := newCalls()
	g := NewGroup()
	g.Observe(1, abortingObserver{})
	require.NoError(t, g.Add("a", &hooks{name: "a", log: c}))
	require.NoError(t, g.Add("b", &hooks{name: "b", log: c}))
	res := g.Start()
	if res.IsOk() { // the veto may land just after the group became ready
		res = g.Join()
	}
	assert.Equal(t, KindAborted, res.Kind(), res.String())
	assert.Contains(t, res.Message(), "not today")
	assert.Equal(t, []string{"start a", "start b", "stop b", "stop a"}, c.get())
}

func TestPanickingHookIsKindPanic(t *testing.T) {
	g := NewGroup()
	require.NoError(t, g.Add("a", &hooks{name: "a", log: newCalls(), onStart: func() { panic("hook bug") }}))
	res := g.Start()
	assert.Equal(t, KindPanic, res.Kind())
	assert.Contains(t, res.Message(), "hook bug")
	assert.Contains(t, res.Message(), "goroutine", "the stack is in the message")
}

type stopper struct {
	g   *Group
	res chan *Result
}

func (s stopper) OnEvent(service string, _, to int, _ int64, _ string, _ int, _ int64) error {
	if service == "a" && to == StateRunning {
		s.res <- s.g.Stop()
	}
	return nil
}

func TestStopFromInsideObserver(t *testing.T) {
	g := NewGroup()
	res := make(chan *Result, 1)
	g.Observe(0, stopper{g, res})
	require.NoError(t, g.Add("a", nil))
	g.Start()
	select {
	case r := <-res:
		assert.Equal(t, KindCalledFromCallback, r.Kind(), "requested, not waited for: %v", r)
	case <-time.After(waitTimeout):
		t.Fatal("stop from the observer never returned")
	}
	assert.True(t, g.Join().IsOk())
}

func TestStopFromInsideHook(t *testing.T) {
	c := newCalls()
	g := NewGroup()
	h := &hooks{name: "a", log: c}
	h.onStart = func() { g.Stop() }
	require.NoError(t, g.Add("a", h))
	g.Start()
	assert.True(t, g.Join().IsOk())
	assert.Equal(t, []string{"start a", "stop a"}, c.get())
}

func TestRestartOptions(t *testing.T) {
	c := newCalls()
	g := NewGroup()
	o := NewServiceOptions()
	o.StopTimeoutMillis = 50
	o.Restart = true
	o.RestartBackoffMillis = 1
	require.NoError(t, g.AddWithOptions("a", &hooks{name: "a", log: c}, o))
	require.True(t, g.Start().IsOk())
	require.True(t, g.Stop().IsOk())
}

func TestStopTimeoutKindNamesTheService(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	g := NewGroup()
	o := NewServiceOptions()
	o.StopTimeoutMillis = 20
	require.NoError(t, g.AddWithOptions("wedged", stuckStop{release}, o))
	require.True(t, g.Start().IsOk())
	res := g.Stop()
	assert.Equal(t, KindStopTimeout, res.Kind())
	assert.Contains(t, res.Message(), "wedged")
}

type stuckStop struct{ release chan struct{} }

func (stuckStop) Start() error  { return nil }
func (s stuckStop) Stop() error { <-s.release; return nil }

type javaLogger struct{ c *calls }

func (l javaLogger) Log(level int, msg string) error {
	l.c.add(strings.Join([]string{[...]string{"DEBUG", "INFO", "WARN", "ERROR"}[(level+4)/4], msg}, " "))
	return nil
}

func TestLoggerReceivesLines(t *testing.T) {
	c := newCalls()
	g := NewGroup()
	g.SetLogger(javaLogger{c})
	g.Observe(0, panicky{})
	require.NoError(t, g.Add("a", nil))
	require.True(t, g.Start().IsOk())
	require.True(t, g.Stop().IsOk())
	lines := c.get()
	require.NotEmpty(t, lines)
	assert.True(t, strings.HasPrefix(lines[0], "ERROR lifecycle: observer failed"), lines[0])
}

type panicky struct{}

func (panicky) OnEvent(string, int, int, int64, string, int, int64) error { panic("observer bug") }

func TestDroppedGroupIsStoppedWhenCollected(t *testing.T) {
	stopped := make(chan struct{})
	func() {
		g := NewGroup()
		require.NoError(t, g.Add("a", &hooks{name: "a", log: newCalls(), onStop: func() { close(stopped) }}))
		require.True(t, g.Start().IsOk())
	}() // g is unreachable now
	// GCs: what CollectDropped does after each Java GC.
	require.True(t, gcUntil(stopped), "a dropped group was not stopped")
}

func TestKindOfClassifiesByCause(t *testing.T) {
	assert.Equal(t, KindFailed, kindOf(errors.New("x")))
	assert.Equal(t, KindFailed, kindOf(errors.Join(errors.New("x"), errors.New("y"))))
}

func TestStopDuringStartIsKindCanceled(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	c := newCalls()
	g := NewGroup()
	require.NoError(t, g.Add("slow", &hooks{name: "slow", log: c, onStart: func() { close(entered); <-release }}))
	require.NoError(t, g.Add("never", &hooks{name: "never", log: c}))
	started := make(chan *Result, 1)
	go func() { started <- g.Start() }()
	<-entered
	stopped := make(chan *Result, 1)
	go func() { stopped <- g.Stop() }()
	deadline := time.After(waitTimeout)
	for g.State() != StateStopping { // stop() has taken effect
		select {
		case <-deadline:
			t.Fatal("stop() did not take effect")
		case <-time.After(time.Millisecond):
		}
	}
	close(release)
	res := <-started
	assert.Equal(t, KindCanceled, res.Kind(), res.String())
	assert.True(t, (<-stopped).IsOk())
	assert.Equal(t, []string{"start slow", "stop slow"}, c.get(), "the later service never started")
}

func TestZeroValueGroupAndProcessorNeverPanic(t *testing.T) {
	var g Group // what Java cannot make (NewGroup is its constructor), but Go can
	assert.Equal(t, KindIllegalState, g.Start().Kind())
	assert.Equal(t, KindIllegalState, g.Stop().Kind())
	assert.Equal(t, KindIllegalState, g.Join().Kind())
	assert.Error(t, g.Add("a", nil))
	assert.Error(t, g.SetLogger(nil))
	assert.Error(t, g.FailService("a", "x"))
	g.Observe(1, nil)
	assert.Equal(t, StateNew, g.State())
	_, err := g.ServiceState("a")
	assert.Error(t, err)

	var p Processor // Java: new Processor()
	assert.ErrorContains(t, p.Submit([]byte("x")), "use Nodekit.startProcessor")
	assert.Error(t, p.UpdateState([]byte("x")))
	assert.Equal(t, KindIllegalState, p.Stop().Kind())
	assert.Equal(t, KindIllegalState, p.Join().Kind())
	assert.Equal(t, StateNew, p.State())
	assert.Zero(t, p.Counters().EventsHandled)
}

func TestSettingsAfterAddThrow(t *testing.T) {
	g := NewGroup()
	require.NoError(t, g.SetStopTimeoutMillis(1000))
	require.NoError(t, g.Add("a", nil))
	assert.ErrorContains(t, g.SetLogger(nil), "before the first add()")
	assert.ErrorContains(t, g.SetStopTimeoutMillis(5), "before the first add()")
	require.True(t, g.Stop().IsOk())
}

func TestFailServiceRestartsWithPolicy(t *testing.T) {
	c := newCalls()
	g := NewGroup()
	o := NewServiceOptions()
	o.Restart = true
	o.RestartBackoffMillis = 1
	require.NoError(t, g.AddWithOptions("conn", &hooks{name: "conn", log: c}, o))
	require.True(t, g.Start().IsOk())
	c.await(t, "start conn")
	require.NoError(t, g.FailService("conn", "socket reset"))
	c.await(t, "stop conn")
	c.await(t, "start conn") // restarted after the backoff
	assert.ErrorContains(t, g.FailService("nope", "x"), "no such service")
	require.True(t, g.Stop().IsOk())
	assert.Equal(t, []string{"start conn", "stop conn", "start conn", "stop conn"}, c.get())
}

func TestFailServiceWithoutRestartStopsTheGroup(t *testing.T) {
	c := newCalls()
	g := NewGroup()
	require.NoError(t, g.Add("a", &hooks{name: "a", log: c}))
	require.NoError(t, g.Add("conn", &hooks{name: "conn", log: c}))
	require.True(t, g.Start().IsOk())
	require.NoError(t, g.FailService("conn", "socket reset"))
	res := g.Join()
	assert.Equal(t, KindFailed, res.Kind())
	assert.Contains(t, res.Message(), `service "conn": socket reset`)
	assert.Equal(t, []string{"start a", "start conn", "stop conn", "stop a"}, c.get())
}
