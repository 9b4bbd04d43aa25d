package processor_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/processor"
)

func TestConfigIsRefusedAtTheDoor(t *testing.T) {
	fire := func(time.Time) error { return nil }
	cases := map[string]struct {
		cfg   processor.Config
		field string
	}{
		"nil source":    {processor.Config{Sources: []processor.Source{processor.NewQueue(), nil}}, "Sources[1]"},
		"nil fire":      {processor.Config{Timers: []processor.Timer{{Name: "t", Interval: time.Second}}}, "Timers[0].Fire"},
		"zero interval": {processor.Config{Timers: []processor.Timer{{Name: "ok", Interval: time.Second, Fire: fire}, {Name: "t", Fire: fire}}}, "Timers[1].Interval"},
		"negative":      {processor.Config{Timers: []processor.Timer{{Name: "t", Interval: -time.Second, Fire: fire}}}, "Timers[0].Interval"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.cfg.Logger = quiet()
			h := processor.Start(c.cfg)
			err := h.Join()
			require.ErrorIs(t, err, processor.ErrConfig)
			var ce *processor.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, c.field, ce.Field)
			assert.Equal(t, uint64(0), h.Counters().Passes, "nothing ran")
			assert.Equal(t, uint64(0), h.Counters().TimerFires)
		})
	}
}

func TestPushAfterTheProcessorEndedIsRefused(t *testing.T) {
	q := processor.NewQueue()
	h := processor.Start(processor.Config{Sources: []processor.Source{q}, Logger: quiet(),
		Handler: processor.HandlerFunc(func(processor.Event) error { return nil })})
	require.NoError(t, h.Stop())
	assert.ErrorIs(t, q.Push("late"), processor.ErrClosed)
	assert.Zero(t, q.Len(), "nothing was queued")
}

// Pushers race the stop: every Push that returned nil is handled before Stop
// returns, or is reported; none is lost.
func TestEveryAcceptedPushIsHandledOrReported(t *testing.T) {
	for round := 0; round < 20; round++ {
		q := processor.NewQueue()
		var handled atomic.Int64
		h := processor.Start(processor.Config{Sources: []processor.Source{q}, Logger: quiet(),
			Handler: processor.HandlerFunc(func(processor.Event) error { handled.Add(1); return nil })})
		var accepted atomic.Int64
		var wg sync.WaitGroup
		started := make(chan struct{}, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				started <- struct{}{}
				for q.Push(1) == nil {
					accepted.Add(1)
				}
			}()
		}
		for range 4 {
			<-started
		}
		err := h.Stop()
		wg.Wait() // every pusher saw ErrClosed
		require.NoError(t, err)
		assert.Empty(t, h.Unhandled())
		require.Equal(t, accepted.Load(), handled.Load(), "round %d: every accepted event was handled", round)
	}
}

func TestEventsAcceptedButRefusedAtStopAreReported(t *testing.T) {
	q := processor.NewQueue()
	block := make(chan struct{})
	inHandler := make(chan struct{}, 1)
	h := processor.Start(processor.Config{Sources: []processor.Source{q}, Logger: quiet(), RetryBackoff: time.Hour,
		Handler: processor.HandlerFunc(func(e processor.Event) error {
			if e == "first" {
				inHandler <- struct{}{}
				<-block
				return nil
			}
			return errors.New("downstream gone")
		})})
	require.NoError(t, q.Push("first"))
	recv(t, inHandler)
	require.NoError(t, q.Push("second", "third")) // queued while the handler is busy
	stopped := make(chan error, 1)
	go func() { stopped <- h.Stop() }()
	close(block)
	err := recv(t, stopped)
	var ue *processor.UnhandledError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, 2, ue.Count)
	assert.Equal(t, []processor.Event{"second", "third"}, h.Unhandled())
}

type badBatcher struct{ n int }

func (b badBatcher) Handle(processor.Event) error { panic("HandleBatch is used instead") }

func (b badBatcher) HandleBatch(events []processor.Event) (int, error) {
	if b.n < 0 {
		return b.n, nil
	}
	return len(events) + b.n, nil
}

func TestBatchCountOutsideTheBatchIsAnError(t *testing.T) {
	for _, n := range []int{-1, 1} {
		q := processor.NewQueue()
		require.NoError(t, q.Push("a", "b"))
		p := processor.New(processor.Config{Sources: []processor.Source{q}, Handler: badBatcher{n}, Logger: quiet()})
		err := p.Run(context.Background())
		require.ErrorIs(t, err, processor.ErrBatchCount, "count %d", n)
		assert.Contains(t, err.Error(), "for 2 events")
		assert.Equal(t, []processor.Event{"a", "b"}, p.Unhandled(), "nothing counts as handled")
		assert.Equal(t, uint64(0), p.Counters().Handled)
	}
}
