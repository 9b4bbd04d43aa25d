package worker_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/worker"
)

// buildHost builds examples/workerhost, the dedicated worker executable,
// with extra go build flags.
func buildHost(t *testing.T, flags ...string) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "workerhost")
	args := append([]string{"build", "-o", exe}, flags...)
	cmd := exec.Command("go", append(args, "nodekit.dev/nodekit/examples/workerhost")...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return exe
}

func TestDedicatedExecutable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds examples/workerhost")
	}
	cfg := quiet()
	cfg.Path = buildHost(t, "-buildvcs=false")
	w := start(t, cfg)
	out, err := w.Call(context.Background(), "reverse", []byte("abc"))
	require.NoError(t, err)
	assert.Equal(t, "cba", string(out))
	_, err = w.Call(context.Background(), "segv", nil)
	var ce *worker.CrashError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, ce.Panic, "unexpected fault address")
}

func TestVersionMismatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds examples/workerhost")
	}
	noChildrenAfter(t)
	cfg := quiet()
	cfg.Path = buildHost(t, "-buildvcs=false", "-ldflags=-X nodekit.dev/nodekit/core/worker.buildStamp=another-build")
	_, err := worker.Start(context.Background(), cfg)
	var ve *worker.VersionError
	require.ErrorAs(t, err, &ve)
	require.ErrorIs(t, err, worker.ErrVersionMismatch)
	assert.Equal(t, worker.BuildID(), ve.Parent)
	assert.Contains(t, ve.Worker, "stamp another-build")
}
