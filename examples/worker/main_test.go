package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"nodekit.dev/nodekit/core/worker"
)

// The test binary is its own worker, as the program is.
func TestMain(m *testing.M) {
	worker.Main()
	// Race-enabled workers would otherwise linger 1 s at exit.
	_ = os.Setenv("GORACE", "atexit_sleep_ms=0")
	goleak.VerifyTestMain(m)
}

func TestCrashesAreReported(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(&out, []string{"3", "boom", "12", "segv", "x", "exit", "7"}))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 8, out.String())
	assert.Equal(t, "square(3) = 9", lines[0])
	assert.Contains(t, lines[1], "square(boom) crashed its worker")
	assert.Contains(t, lines[1], "exit code 2): panic: assignment to entry in nil map")
	assert.Equal(t, "square(12) = 144", lines[2])
	assert.Contains(t, lines[3], "square(segv) crashed its worker")
	assert.Contains(t, lines[3], "unexpected fault address")
	assert.Contains(t, lines[4], `square(x) failed: strconv.Atoi: parsing "x"`)
	assert.Contains(t, lines[5], "square(exit) crashed its worker")
	assert.Contains(t, lines[5], "exit code 4")
	assert.Equal(t, "square(7) = 49", lines[6])
	assert.Equal(t, "3 workers crashed and were replaced", lines[7])
}
