package goid_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"nodekit.dev/nodekit/internal/goid"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestIDIsStablePerGoroutineAndDistinctAcross(t *testing.T) {
	here := goid.Current()
	assert.Equal(t, here, goid.Current())
	assert.NotZero(t, here)
	other := make(chan uint64)
	go func() { other <- goid.Current() }()
	assert.NotEqual(t, here, <-other)
}
