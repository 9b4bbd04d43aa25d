package nodekit

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// resultChan is a ResultCallback that hands each Result to a channel.
type resultChan chan *Result

func (c resultChan) OnResult(r *Result) error { c <- r; return nil }

func nextResult(t *testing.T, c resultChan) *Result {
	t.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(10 * time.Second):
		require.FailNow(t, "no result within 10 s")
		return nil
	}
}

func TestJoinAsyncDeliversTheOutcomeOnceTheProcessorStops(t *testing.T) {
	handled := make(chan struct{}, 1)
	p, err := StartProcessor(nil, nil, handlerFunc(func([]byte) error { handled <- struct{}{}; return nil }), nil)
	require.NoError(t, err)
	got := make(resultChan, 2)
	p.JoinAsync(got)
	require.NoError(t, p.Submit([]byte("e")))
	select { // a round trip through the processor's loop, with joinAsync waiting
	case <-handled:
	case <-time.After(waitTimeout):
		require.FailNow(t, "the event was not handled")
	}
	select {
	case r := <-got:
		require.FailNow(t, "joinAsync delivered before the stop", "%v", r)
	default:
	}
	stopped := make(resultChan, 1)
	p.StopAsync(stopped)
	assert.True(t, nextResult(t, stopped).IsOk())
	assert.True(t, nextResult(t, got).IsOk())
	assert.Empty(t, got, "delivered once")
}

func TestCancelledJoinAsyncNeverDeliversAndLeavesNoGoroutine(t *testing.T) {
	g := NewGroup()
	require.NoError(t, g.Add("a", nil))
	require.True(t, g.Start().IsOk())
	got := make(resultChan, 1)
	pend := g.JoinAsync(got)
	pend.Cancel()
	pend.Cancel() // idempotent
	require.True(t, g.Stop().IsOk())
	// Once the waiting goroutine has exited, it can deliver nothing more.
	goleak.VerifyNone(t)
	assert.Empty(t, got, "a cancelled joinAsync delivered")
}

func TestJoinAsyncBeforeStartIsIllegalState(t *testing.T) {
	got := make(resultChan, 1)
	NewGroup().JoinAsync(got)
	assert.Equal(t, KindIllegalState, nextResult(t, got).Kind())
	(&Processor{}).JoinAsync(got)
	assert.Equal(t, KindIllegalState, nextResult(t, got).Kind())
}

func TestStopAsyncReportsAFailedStop(t *testing.T) {
	p, err := StartProcessor(nil, failingPersister{}, nil, nil)
	require.NoError(t, err)
	require.NoError(t, p.UpdateState([]byte("x")))
	got := make(resultChan, 1)
	p.StopAsync(got)
	assert.Equal(t, KindPersist, nextResult(t, got).Kind())
}

type failingPersister struct{}

func (failingPersister) Persist(string, []byte) error { return errors.New("disk full") }

func TestCloseIsStopAndCarriesTheKind(t *testing.T) {
	g := NewGroup()
	require.NoError(t, g.Add("a", nil))
	require.True(t, g.Start().IsOk())
	require.NoError(t, g.Close())
	require.NoError(t, g.Close(), "idempotent")
	assert.Equal(t, StateStopped, g.State())

	p, err := StartProcessor(nil, failingPersister{}, nil, nil)
	require.NoError(t, err)
	require.NoError(t, p.UpdateState([]byte("x")))
	err = p.Close()
	require.Error(t, err)
	assert.Equal(t, KindPersist, ErrorKind(err))
	assert.Contains(t, err.Error(), "disk full")
	assert.Equal(t, KindPersist, ErrorKind(p.Close()), "every close has stop's outcome")
}

func TestErrorKindOfMisuse(t *testing.T) {
	g := NewGroup()
	require.NoError(t, g.Add("a", nil))
	err := g.Add("a", nil)
	require.Error(t, err)
	assert.Equal(t, KindIllegalState, ErrorKind(err))
	assert.Equal(t, KindOK, ErrorKind(nil))
	assert.Equal(t, KindFailed, ErrorKind(errors.New("other")))
	require.True(t, g.Stop().IsOk())
}

func TestNodeJoinAsyncAndStopAsync(t *testing.T) {
	n, err := StartNode(chatConfig(), nil, nil)
	require.NoError(t, err)
	joined := make(resultChan, 1)
	n.JoinAsync(joined)
	cancelled := make(resultChan, 1)
	n.JoinAsync(cancelled).Cancel()
	stopped := make(resultChan, 1)
	n.StopAsync(stopped)
	assert.True(t, nextResult(t, stopped).IsOk())
	assert.True(t, nextResult(t, joined).IsOk())
	assert.Empty(t, cancelled)
	(&Node{}).JoinAsync(joined)
	assert.Equal(t, KindIllegalState, nextResult(t, joined).Kind())
}
