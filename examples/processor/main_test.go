package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSecondRunContinuesWhereTheFirstStopped(t *testing.T) {
	dir := t.TempDir()
	first, err := run(dir, 600*time.Millisecond)
	require.NoError(t, err)
	require.Positive(t, first, "a 250 ms timer fires within 600 ms")
	onDisk, err := os.ReadFile(filepath.Join(dir, "counter"))
	require.NoError(t, err)
	assert.Contains(t, string(onDisk), strconv.Itoa(first), "the final count is on disk")

	second, err := run(dir, 600*time.Millisecond)
	require.NoError(t, err)
	assert.Greater(t, second, first, "the second run counted on from the first")
}

func TestCorruptStateIsAnErrorNotAFreshStart(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "counter"), []byte("NKP1 garbage"), 0o600))
	_, err := run(dir, time.Millisecond)
	assert.ErrorContains(t, err, "corrupt")
}
