package worker_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLargePayload sends 256 MiB to a worker and back. The parent allocates
// one copy for the output and none for the input (it is written from the
// caller's slice), so it never holds more than the two.
func TestLargePayload(t *testing.T) {
	w := start(t, quiet())
	const size = 256 << 20
	in := make([]byte, size)
	for i := 0; i < size; i += 4096 {
		in[i] = byte(i / 4096)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := w.Call(context.Background(), "echo", in)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Len(t, out, size)
	for i := 0; i < size; i += 4096 {
		if out[i] != byte(i/4096) {
			require.Failf(t, "corrupted output", "byte %d", i)
		}
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(size+size/16), "the parent allocated %d bytes for a %d-byte round trip", allocated, size)

	n, err := w.Call(context.Background(), "size", in)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(size), string(n))
	out, err = w.Call(context.Background(), "make", []byte(strconv.Itoa(size)))
	require.NoError(t, err)
	assert.Len(t, out, size)
	assert.Equal(t, byte(5), out[5*4096])
	require.NoError(t, w.Shutdown(context.Background()))
}
