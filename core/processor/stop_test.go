package processor_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/processor"
)

// The handles here have a stop timeout of an hour: a Stop that waited for
// itself would hang (and fail at waitTimeout) instead of returning at once.
const never = time.Hour

func TestHandlerStoppingItsOwnProcessorReturnsAtOnce(t *testing.T) {
	q := processor.NewQueue()
	var h *processor.Handle
	stopErr := make(chan error, 1)
	handled := make(chan processor.Event, 10)
	started := make(chan struct{})
	h = processor.Start(processor.Config{Sources: []processor.Source{q}, Logger: quiet(),
		Handler: processor.HandlerFunc(func(e processor.Event) error {
			<-started
			handled <- e
			if e == "stop" {
				stopErr <- h.Stop()
			}
			return nil
		})}, lifecycle.WithStopTimeout(never))
	close(started)
	q.Push("a", "stop")
	err := recv(t, stopErr)
	require.ErrorIs(t, err, lifecycle.ErrCalledFromCallback)
	assert.Contains(t, err.Error(), "RequestStop")
	require.NoError(t, h.Join(), "the stop it requested happens once the handler returns")
	assert.Equal(t, "a", <-handled)
	assert.Equal(t, "stop", <-handled)
	assert.Equal(t, lifecycle.Stopped, h.State())
}

func TestTimerRequestingStop(t *testing.T) {
	var h *processor.Handle
	joinErr := make(chan error, 1)
	ready := make(chan struct{})
	h = processor.Start(processor.Config{Logger: quiet(),
		Timers: []processor.Timer{{Name: "t", Interval: time.Millisecond, Fire: func(time.Time) error {
			<-ready
			joinErr <- h.Join()
			h.RequestStop()
			return nil
		}}}}, lifecycle.WithStopTimeout(never))
	close(ready)
	assert.ErrorIs(t, recv(t, joinErr), lifecycle.ErrCalledFromCallback)
	require.NoError(t, h.Join())
}

func TestPersisterStoppingItsOwnProcessorReturnsAtOnce(t *testing.T) {
	state := processor.NewBlob(nil)
	var h *processor.Handle
	stopErr := make(chan error, 1)
	ready := make(chan struct{})
	h = processor.Start(processor.Config{State: state, Logger: quiet(),
		Persister: persistFunc(func(string, []byte) error {
			select {
			case <-ready:
				ready = nil
				stopErr <- h.Stop()
			default:
			}
			return nil
		})}, lifecycle.WithStopTimeout(never))
	close(ready)
	state.Set([]byte("x"))
	assert.ErrorIs(t, recv(t, stopErr), lifecycle.ErrCalledFromCallback)
	require.NoError(t, h.Join())
}
