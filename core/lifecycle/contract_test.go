package lifecycle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/lifecycle"
)

// neverReady is a service that signals readiness but never calls Ready; it
// ends when cancelled.
var neverReady = lifecycle.ReadyFunc(func(ctx context.Context) error { <-ctx.Done(); return nil })

func TestStartAppliesWithStartTimeout(t *testing.T) {
	h := lifecycle.Start("slow", neverReady, lifecycle.WithStartTimeout(50*time.Millisecond))
	select {
	case <-h.Done():
	case <-time.After(waitTimeout):
		t.Fatal("the handle stayed Starting: WithStartTimeout was ignored")
	}
	err := h.Join()
	require.ErrorIs(t, err, lifecycle.ErrStartTimeout)
	var te *lifecycle.TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, []string{"slow"}, te.Names)
	assert.Equal(t, 50*time.Millisecond, te.Timeout)
	assert.Equal(t, lifecycle.Failed, h.State())
	assert.ErrorIs(t, h.AwaitRunning(context.Background()), lifecycle.ErrStartTimeout)
	assert.ErrorIs(t, h.Stop(), lifecycle.ErrStartTimeout, "Stop reports the same outcome")
}

// A service that ignores its context while starting is left behind at once:
// Start's handle fails soon after the start timeout, not after a stop timeout.
func TestStartLeavesAStuckServiceBehind(t *testing.T) {
	release := make(chan struct{})
	exited := make(chan struct{})
	stuck := lifecycle.ReadyFunc(func(context.Context) error { <-release; close(exited); return nil })
	h := lifecycle.Start("stuck", stuck, lifecycle.WithStartTimeout(50*time.Millisecond), lifecycle.WithStopTimeout(never))
	require.ErrorIs(t, recvErr(t, h), lifecycle.ErrStartTimeout)
	close(release)
	recv(t, exited)
}

func TestGroupStartLeavesAStuckServiceBehindAndRollsBack(t *testing.T) {
	release := make(chan struct{})
	exited := make(chan struct{})
	j := &journal{}
	g := lifecycle.NewGroup(lifecycle.WithGroupStopTimeout(never))
	require.NoError(t, g.Add("a", readyService(j, "a")))
	require.NoError(t, g.Add("stuck", lifecycle.ReadyFunc(func(context.Context) error {
		<-release // ignores its context: a Java start() hook that hangs
		close(exited)
		return nil
	}), lifecycle.WithStartTimeout(50*time.Millisecond), lifecycle.WithStopTimeout(never)))
	h := lifecycle.Start("group", g)
	err := recvErr(t, h) // a stop timeout of an hour would fail this at waitTimeout
	require.ErrorIs(t, err, lifecycle.ErrStartTimeout)
	assert.NotErrorIs(t, err, lifecycle.ErrStopTimeout)
	var te *lifecycle.TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, []string{"stuck"}, te.Names)
	assert.Equal(t, []string{"start a", "stop a"}, j.get(), "the rollback went on")
	st := g.Status()
	assert.Equal(t, lifecycle.Failed, st[1].State)
	close(release)
	recv(t, exited)
}

func TestObserverAbortIsTheOutcomeOfAwaitRunning(t *testing.T) {
	veto := errors.New("licence expired")
	g := lifecycle.NewGroup()
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.Service == "b" && e.To == lifecycle.Running {
			return veto
		}
		return nil
	}))
	require.NoError(t, g.Add("a", idle))
	require.NoError(t, g.Add("b", idle))
	h := lifecycle.Start("group", g)
	err := h.AwaitRunning(context.Background())
	require.ErrorIs(t, err, lifecycle.ErrAborted, "never success before the observers have seen the start")
	assert.ErrorIs(t, err, veto)
	assert.ErrorIs(t, h.Join(), lifecycle.ErrAborted)
	assert.Equal(t, lifecycle.Failed, h.State())
}

func TestObserverOverrunningTheStartIsNamed(t *testing.T) {
	release := make(chan struct{})
	g := lifecycle.NewGroup(lifecycle.WithObserverTimeout(50 * time.Millisecond))
	g.Observe(7, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.To == lifecycle.Running {
			<-release
		}
		return nil
	}))
	require.NoError(t, g.Add("a", idle))
	h := lifecycle.Start("group", g)
	err := h.AwaitRunning(context.Background())
	require.ErrorIs(t, err, lifecycle.ErrStartTimeout)
	assert.Contains(t, err.Error(), "observer (priority 7)")
	close(release)
	assert.ErrorIs(t, h.Join(), lifecycle.ErrStartTimeout)
}

func TestAwaitRunningFromObserverDuringStart(t *testing.T) {
	g := lifecycle.NewGroup()
	var h *lifecycle.Handle
	ready := make(chan struct{})
	result := make(chan error, 1)
	g.Observe(0, lifecycle.ObserverFunc(func(e lifecycle.Event) error {
		if e.To == lifecycle.Running {
			<-ready
			result <- h.AwaitRunning(context.Background())
		}
		return nil
	}))
	require.NoError(t, g.Add("a", idle))
	h = lifecycle.Start("group", g, lifecycle.WithStopTimeout(never))
	close(ready)
	assert.ErrorIs(t, recv(t, result), lifecycle.ErrCalledFromCallback,
		"the group waits for this observer before it is running")
	require.NoError(t, h.AwaitRunning(context.Background()))
	require.NoError(t, h.Stop())
}

func TestNilServiceIsRefusedAtTheDoor(t *testing.T) {
	g := lifecycle.NewGroup()
	err := g.Add("x", nil)
	require.ErrorIs(t, err, lifecycle.ErrNilService)
	assert.Contains(t, err.Error(), `"x"`)
	assert.Empty(t, g.Status(), "nothing was added")

	h := lifecycle.Start("y", nil)
	require.ErrorIs(t, h.Join(), lifecycle.ErrNilService)
	assert.Equal(t, lifecycle.Failed, h.State())
	assert.ErrorIs(t, h.Stop(), lifecycle.ErrNilService)
}

// recvErr waits for h to end and returns its outcome.
func recvErr(t *testing.T, h *lifecycle.Handle) error {
	t.Helper()
	select {
	case <-h.Done():
		return h.Join()
	case <-time.After(waitTimeout):
		t.Fatal("the handle did not end")
		return nil
	}
}
