package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/clock"
	"nodekit.dev/nodekit/core/lifecycle"
)

func TestGroupStartsInOrderAndStopsInReverse(t *testing.T) {
	j := &journal{}
	g := lifecycle.NewGroup()
	for _, name := range []string{"a", "b", "c"} {
		require.NoError(t, g.Add(name, blocker(j, name)))
	}
	h := startGroup(t, g)
	require.NoError(t, h.Stop())
	// A service that does not signal readiness counts as running once launched,
	// so its goroutine may enter Run only after a later service has stopped;
	// the stops themselves are strictly reversed.
	var stops []string
	for _, l := range j.get() {
		if l[:4] == "stop" {
			stops = append(stops, l)
		}
	}
	assert.Equal(t, []string{"stop c", "stop b", "stop a"}, stops)
	for _, s := range g.Status() {
		assert.Equal(t, lifecycle.Stopped, s.State, s.Name)
	}
}

// readyService signals readiness only after it has recorded its start, so the
// group's order of starting is observable exactly.
func readyService(j *journal, name string) lifecycle.Service {
	return lifecycle.ReadyFunc(func(ctx context.Context) error {
		j.add("start %s", name)
		lifecycle.Ready(ctx)
		<-ctx.Done()
		j.add("stop %s", name)
		return nil
	})
}

func TestGroupWaitsForEachServiceToBeReady(t *testing.T) {
	j := &journal{}
	g := lifecycle.NewGroup()
	for _, name := range []string{"a", "b", "c"} {
		require.NoError(t, g.Add(name, readyService(j, name)))
	}
	h := startGroup(t, g)
	require.NoError(t, h.Stop())
	assert.Equal(t, []string{"start a", "start b", "start c", "stop c", "stop b", "stop a"}, j.get())
}

func TestFailedStartRollsBackOnlyStartedServices(t *testing.T) {
	j := &journal{}
	boom := errors.New("boom")
	g := lifecycle.NewGroup()
	require.NoError(t, g.Add("a", readyService(j, "a")))
	require.NoError(t, g.Add("b", readyService(j, "b")))
	require.NoError(t, g.Add("c", lifecycle.ReadyFunc(func(ctx context.Context) error {
		j.add("start c")
		return boom
	})))
	require.NoError(t, g.Add("d", readyService(j, "d")))

	err := g.Run(context.Background())
	require.Error(t, err)
	assert.ErrorIs(t, err, boom)
	var se *lifecycle.ServiceError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "c", se.Service)
	assert.Equal(t, []string{"start a", "start b", "start c", "stop b", "stop a"}, j.get())

	states := map[string]lifecycle.State{}
	for _, s := range g.Status() {
		states[s.Name] = s.State
	}
	assert.Equal(t, map[string]lifecycle.State{"a": lifecycle.Stopped, "b": lifecycle.Stopped,
		"c": lifecycle.Failed, "d": lifecycle.New}, states)
}

func TestRunningServiceFailureStopsGroupInReverse(t *testing.T) {
	j := &journal{}
	fail := make(chan struct{})
	boom := errors.New("disk gone")
	g := lifecycle.NewGroup()
	require.NoError(t, g.Add("a", readyService(j, "a")))
	require.NoError(t, g.Add("b", lifecycle.ServiceFunc(func(ctx context.Context) error {
		<-fail
		return boom
	})))
	require.NoError(t, g.Add("c", readyService(j, "c")))
	h := startGroup(t, g)
	close(fail)
	err := h.Join()
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, lifecycle.Failed, h.State())
	assert.Equal(t, []string{"start a", "start c", "stop c", "stop a"}, j.get())
	assert.ErrorIs(t, h.Stop(), boom, "Stop after the end returns the same error")
}

func TestServiceReturningNilHasFinishedAndGroupGoesOn(t *testing.T) {
	j := &journal{}
	g := lifecycle.NewGroup()
	obs := newRecorder()
	g.Observe(0, obs)
	require.NoError(t, g.Add("oneshot", lifecycle.ServiceFunc(func(context.Context) error { return nil })))
	require.NoError(t, g.Add("b", readyService(j, "b")))
	h := startGroup(t, g)
	obs.until(t, "oneshot", lifecycle.Stopped)
	assert.Equal(t, lifecycle.Running, h.State())
	require.NoError(t, h.Stop())
}

func TestStopTimeoutNamesTheServiceAndDoesNotHang(t *testing.T) {
	release := make(chan struct{})
	exited := make(chan struct{})
	fake := clock.NewFake(time.Unix(0, 0))
	j := &journal{}
	g := lifecycle.NewGroup(lifecycle.WithClock(fake), lifecycle.WithGroupStopTimeout(time.Minute))
	require.NoError(t, g.Add("a", readyService(j, "a")))
	require.NoError(t, g.Add("stubborn", lifecycle.ServiceFunc(func(ctx context.Context) error {
		defer close(exited)
		<-release // ignores ctx
		return nil
	}), lifecycle.WithStopTimeout(2*time.Second)))
	require.NoError(t, g.Add("c", readyService(j, "c")))
	obs := newRecorder()
	g.Observe(0, obs)

	h := startGroup(t, g)
	stopped := make(chan error, 1)
	go func() { stopped <- h.Stop() }()
	obs.until(t, "stubborn", lifecycle.Stopping)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, fake.WaitTimers(ctx, 1)) // the group is waiting for "stubborn"
	fake.Advance(2 * time.Second)
	err := recv(t, stopped)

	require.Error(t, err)
	assert.ErrorIs(t, err, lifecycle.ErrStopTimeout)
	assert.NotErrorIs(t, err, context.Canceled)
	var te *lifecycle.TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, []string{"stubborn"}, te.Names)
	assert.Equal(t, 2*time.Second, te.Timeout)
	assert.Contains(t, err.Error(), "stubborn")
	assert.Equal(t, []string{"start a", "start c", "stop c", "stop a"}, j.get(), "the others still stop, in reverse")

	close(release) // let the leftover finish, for goleak
	recv(t, exited)
}

func TestGroupStopTimeoutIsSharedByAllServices(t *testing.T) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	fake := clock.NewFake(time.Unix(0, 0))
	g := lifecycle.NewGroup(lifecycle.WithClock(fake), lifecycle.WithGroupStopTimeout(3*time.Second))
	for _, name := range []string{"x", "y"} {
		wg.Add(1)
		require.NoError(t, g.Add(name, lifecycle.ServiceFunc(func(ctx context.Context) error {
			defer wg.Done()
			<-release
			return nil
		}), lifecycle.WithStopTimeout(10*time.Second)))
	}
	obs := newRecorder()
	g.Observe(0, obs)
	h := startGroup(t, g)
	stopped := make(chan error, 1)
	go func() { stopped <- h.Stop() }()
	obs.until(t, "y", lifecycle.Stopping)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, fake.WaitTimers(ctx, 1))
	fake.Advance(3 * time.Second) // y overruns the whole budget; x gets nothing left
	err := recv(t, stopped)
	var te *lifecycle.TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, []string{"y", "x"}, te.Names)
	close(release)
	wg.Wait()
}

func TestStartTimeoutRollsBack(t *testing.T) {
	j := &journal{}
	fake := clock.NewFake(time.Unix(0, 0))
	g := lifecycle.NewGroup(lifecycle.WithClock(fake))
	require.NoError(t, g.Add("a", readyService(j, "a")))
	require.NoError(t, g.Add("slow", lifecycle.ReadyFunc(func(ctx context.Context) error {
		<-ctx.Done() // never ready
		j.add("stop slow")
		return nil
	}), lifecycle.WithStartTimeout(5*time.Second)))
	obs, done := runObserved(g)
	obs.until(t, "slow", lifecycle.Starting)
	awaitTimers(t, fake, 1)
	fake.Advance(5 * time.Second)
	err := recv(t, done)
	assert.ErrorIs(t, err, lifecycle.ErrStartTimeout)
	assert.NotErrorIs(t, err, lifecycle.ErrStopTimeout)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), `service "slow"`)
	// slow is cancelled and left behind at once; a is rolled back.
	assert.ElementsMatch(t, []string{"start a", "stop slow", "stop a"}, j.get())
}

func TestCancelledStartIsACleanStopNotATimeout(t *testing.T) {
	entered := make(chan struct{})
	g := lifecycle.NewGroup()
	require.NoError(t, g.Add("never-ready", lifecycle.ReadyFunc(func(ctx context.Context) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	})))
	h := lifecycle.Start("group", g)
	recv(t, entered)
	assert.Equal(t, lifecycle.Starting, h.State())
	require.NoError(t, h.Stop())
	assert.Equal(t, lifecycle.Stopped, h.State())
	assert.ErrorIs(t, h.AwaitRunning(context.Background()), lifecycle.ErrNotRunning)
}

func TestStopRacingStart(t *testing.T) {
	for i := range 200 {
		var mu sync.Mutex
		live := 0
		g := lifecycle.NewGroup()
		for k := range 5 {
			svc := lifecycle.ReadyFunc(func(ctx context.Context) error {
				mu.Lock()
				live++
				mu.Unlock()
				lifecycle.Ready(ctx)
				<-ctx.Done()
				mu.Lock()
				live--
				mu.Unlock()
				return ctx.Err()
			})
			require.NoError(t, g.Add(fmt.Sprint("s", k), svc))
		}
		h := lifecycle.Start("group", g)
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for s := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[s] = h.Stop() }()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err, "iteration %d", i)
		}
		require.NoError(t, h.Join())
		mu.Lock()
		require.Zero(t, live, "iteration %d: a started service was not stopped", i)
		mu.Unlock()
		for _, s := range g.Status() {
			require.Contains(t, []lifecycle.State{lifecycle.New, lifecycle.Stopped}, s.State, "iteration %d: %s", i, s.Name)
		}
	}
}

func TestPanicInServiceBecomesPanicError(t *testing.T) {
	g := lifecycle.NewGroup()
	require.NoError(t, g.Add("bad", lifecycle.ServiceFunc(func(context.Context) error {
		var m map[string]int
		m["x"] = 1 // nil map write
		return nil
	})))
	err := g.Run(context.Background())
	var pe *lifecycle.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Error(), "assignment to entry in nil map")
	assert.Contains(t, string(pe.Stack), "TestPanicInServiceBecomesPanicError")
}

func TestAddValidation(t *testing.T) {
	g := lifecycle.NewGroup()
	require.NoError(t, g.Add("a", lifecycle.ServiceFunc(func(context.Context) error { return nil })))
	assert.ErrorIs(t, g.Add("a", lifecycle.ServiceFunc(nil)), lifecycle.ErrDuplicateName)
	h := startGroup(t, g)
	assert.ErrorIs(t, g.Add("b", lifecycle.ServiceFunc(nil)), lifecycle.ErrAlreadyStarted)
	assert.ErrorIs(t, g.Run(context.Background()), lifecycle.ErrAlreadyStarted)
	require.NoError(t, h.Stop())
}

// Names are looked up by scanning in a small group and in a hash table in a
// large one, which doubles as the group grows: a duplicate is refused, and a
// new name accepted, on both sides of the switch and across every doubling.
func TestAddRefusesDuplicatesInLargeGroups(t *testing.T) {
	g := lifecycle.NewGroup()
	noop := lifecycle.ServiceFunc(func(context.Context) error { return nil })
	for i := range 300 {
		name := fmt.Sprintf("s%d", i)
		require.NoError(t, g.Add(name, noop))
		for _, dup := range []string{"s0", name, fmt.Sprintf("s%d", i/2)} {
			require.ErrorIs(t, g.Add(dup, noop), lifecycle.ErrDuplicateName, "after %d services, %s", i+1, dup)
		}
	}
	assert.Len(t, g.Status(), 300)
}

func TestNestedGroups(t *testing.T) {
	j := &journal{}
	inner := lifecycle.NewGroup()
	require.NoError(t, inner.Add("i1", readyService(j, "i1")))
	require.NoError(t, inner.Add("i2", readyService(j, "i2")))
	outer := lifecycle.NewGroup()
	require.NoError(t, outer.Add("o1", readyService(j, "o1")))
	require.NoError(t, outer.Add("inner", inner))
	require.NoError(t, outer.Add("o2", readyService(j, "o2")))
	h := startGroup(t, outer)
	require.NoError(t, h.Stop())
	assert.Equal(t, []string{"start o1", "start i1", "start i2", "start o2",
		"stop o2", "stop i2", "stop i1", "stop o1"}, j.get())
}

func TestStatusIsExactWhileTheGroupRunsAndFromItsOwnCallbacks(t *testing.T) {
	const n = 20
	g := lifecycle.NewGroup()
	sawStarting := make(chan string, n)
	for i := range n {
		name := fmt.Sprintf("svc-%d", i)
		require.NoError(t, g.Add(name, lifecycle.ReadyFunc(func(ctx context.Context) error {
			// From inside Run, before Ready: this service is Starting, every
			// later one is still New.
			for j, s := range g.Status() {
				switch {
				case j == i && s.State == lifecycle.Starting:
					sawStarting <- s.Name
				case j > i && s.State != lifecycle.New:
					return fmt.Errorf("%s is %s while %s starts", s.Name, s.State, name)
				}
			}
			lifecycle.Ready(ctx)
			<-ctx.Done()
			return nil
		})))
	}
	var observed atomic.Int32
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if len(g.Status()) != n { // an observer may read Status too
			return errors.New("status lost services")
		}
		observed.Add(1)
		return nil
	}))
	stop := make(chan struct{})
	reader := make(chan error, 1)
	go func() { // and anyone else, all along
		for {
			select {
			case <-stop:
				reader <- nil
				return
			default:
			}
			for _, s := range g.Status() {
				if s.State < lifecycle.New || s.State > lifecycle.Failed {
					reader <- fmt.Errorf("%s in state %d", s.Name, s.State)
					return
				}
			}
		}
	}()
	h := lifecycle.Start("group", g)
	require.NoError(t, h.AwaitRunning(context.Background()))
	require.NoError(t, h.Stop())
	close(stop)
	require.NoError(t, <-reader)
	require.Len(t, sawStarting, n, "every service saw itself Starting")
	require.Equal(t, int32(4*n), observed.Load())
	for _, s := range g.Status() {
		require.Equal(t, lifecycle.Stopped, s.State, s.Name)
		require.Positive(t, s.StartDuration, s.Name)
	}
}

type ctxKey struct{}

// The context a Group passes to Run: no deadline, the values of the group's
// context, Err nil until its own cancellation and context.Canceled after;
// a Ready after the first, and Ready from a service that does not signal
// readiness, change nothing.
func TestGroupServiceContextKeepsTheContextContract(t *testing.T) {
	type seen struct {
		deadline            bool
		value               any
		errBefore, errAfter error
	}
	got := make(chan seen, 1)
	g := lifecycle.NewGroup()
	rec := newRecorder()
	g.Observe(0, rec)
	require.NoError(t, g.Add("first", lifecycle.ServiceFunc(func(ctx context.Context) error {
		lifecycle.Ready(ctx) // not a ReadySignaler: ignored
		<-ctx.Done()
		return ctx.Err()
	})))
	require.NoError(t, g.Add("twice", lifecycle.ReadyFunc(func(ctx context.Context) error {
		var s seen
		_, s.deadline = ctx.Deadline()
		s.value = ctx.Value(ctxKey{})
		s.errBefore = ctx.Err()
		lifecycle.Ready(ctx)
		lifecycle.Ready(ctx)
		<-ctx.Done()
		s.errAfter = ctx.Err()
		got <- s
		return ctx.Err()
	})))
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), ctxKey{}, "v"), waitTimeout)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- g.Run(ctx) }()
	events := rec.until(t, "twice", lifecycle.Running)
	cancel()
	require.NoError(t, recv(t, runErr))
	s := recv(t, got)
	assert.False(t, s.deadline, "the group's deadline is not the service's")
	assert.Equal(t, "v", s.value)
	assert.NoError(t, s.errBefore)
	assert.ErrorIs(t, s.errAfter, context.Canceled)
	running := map[string]int{}
	for _, e := range append(events, rec.until(t, "first", lifecycle.Stopped)...) {
		if e.To == lifecycle.Running {
			running[e.Service]++
		}
	}
	assert.Equal(t, map[string]int{"first": 1, "twice": 1}, running, "one Running event each")
	for _, st := range g.Status() {
		assert.Equal(t, lifecycle.Stopped, st.State, st.Name)
	}
}

// The largest timeouts mean "never": they do not wrap around into the past
// and time out at once.
func TestGroupTakesTheLargestTimeoutsAsNever(t *testing.T) {
	const never = time.Duration(math.MaxInt64)
	g := lifecycle.NewGroup(lifecycle.WithGroupStopTimeout(never), lifecycle.WithObserverTimeout(never))
	rec := newRecorder()
	g.Observe(0, rec)
	for _, name := range []string{"a", "b"} {
		require.NoError(t, g.Add(name, lifecycle.ReadyFunc(func(ctx context.Context) error {
			lifecycle.Ready(ctx)
			<-ctx.Done()
			return nil
		}), lifecycle.WithStartTimeout(never), lifecycle.WithStopTimeout(never),
			lifecycle.WithRestart(lifecycle.RestartPolicy{Backoff: never, MaxBackoff: never})))
	}
	h := lifecycle.Start("group", g)
	require.NoError(t, h.AwaitRunning(context.Background()))
	require.NoError(t, h.Stop())
	for _, s := range g.Status() {
		assert.Equal(t, lifecycle.Stopped, s.State, s.Name)
		assert.NoError(t, s.Err, s.Name)
	}
}

// A "never" start timeout before a finite one leaves the finite one in
// force: the later service still times out. (The patient service starts a
// second into the run, so that its deadline would wrap around if "never"
// were added to the run's time.)
func TestNeverStartTimeoutDoesNotHideALaterOne(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	g := lifecycle.NewGroup(lifecycle.WithClock(fake))
	release := make(chan struct{})
	require.NoError(t, g.Add("first", lifecycle.ReadyFunc(func(ctx context.Context) error {
		<-release
		lifecycle.Ready(ctx)
		<-ctx.Done()
		return nil
	})))
	require.NoError(t, g.Add("patient", lifecycle.ReadyFunc(func(ctx context.Context) error {
		lifecycle.Ready(ctx)
		<-ctx.Done()
		return nil
	}), lifecycle.WithStartTimeout(time.Duration(math.MaxInt64))))
	require.NoError(t, g.Add("stuck", lifecycle.ReadyFunc(func(ctx context.Context) error {
		<-ctx.Done() // never ready
		return nil
	}), lifecycle.WithStartTimeout(5*time.Second)))
	obs, done := runObserved(g)
	obs.until(t, "first", lifecycle.Starting)
	awaitTimers(t, fake, 1)
	fake.Advance(time.Second)
	close(release)
	obs.until(t, "stuck", lifecycle.Starting)
	fake.Advance(5 * time.Second)
	err := recv(t, done)
	assert.ErrorIs(t, err, lifecycle.ErrStartTimeout)
	assert.Contains(t, err.Error(), `service "stuck"`)
}
