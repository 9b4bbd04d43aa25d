package worker

import (
	"context"
	"io"
	"net"
	"net/rpc"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"nodekit.dev/nodekit/core/worker"
)

// TestMain makes the test binary a nodekit worker or a go-plugin plugin when
// it is started as one, and runs the benchmarks otherwise.
func TestMain(m *testing.M) {
	if os.Getenv(exitAtOnce) != "" {
		os.Exit(0) // the floor of BenchmarkSpawn: start the binary, nothing else
	}
	if os.Getenv(rawEcho) != "" {
		os.Exit(serveRawEcho())
	}
	worker.Main()
	if os.Getenv(handshake.MagicCookieKey) == handshake.MagicCookieValue {
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig: handshake,
			Plugins:         plugin.PluginSet{"echo": &echoPlugin{}},
			Logger:          hclog.NewNullLogger(),
		})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// exitAtOnce makes the test binary exit as soon as it starts.
const exitAtOnce = "NODEKIT_BENCH_EXIT"

// rawEcho makes the test binary echo 64-byte messages on file descriptor 3:
// the floor of BenchmarkRoundTrip64B (the same socketpair and network
// poller, no framing, no multiplexing, no goroutine per call).
const rawEcho = "NODEKIT_BENCH_RAW_ECHO"

func serveRawEcho() int {
	c, err := net.FileConn(os.NewFile(3, "raw"))
	if err != nil {
		return 2
	}
	buf := make([]byte, 64)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return 0
		}
		if _, err := c.Write(buf); err != nil {
			return 0
		}
	}
}

// The nodekit tasks: echo returns its input; block tells the caller it
// started (a progress update) and waits to be killed.
func init() {
	worker.Register("echo", func(_ context.Context, in []byte) ([]byte, error) { return in, nil })
	worker.Register("block", func(ctx context.Context, _ []byte) ([]byte, error) {
		if err := worker.Progress(ctx, []byte("started")); err != nil {
			return nil, err
		}
		<-ctx.Done()
		return nil, ctx.Err()
	})
}

// The go-plugin side: the same two methods over net/rpc.
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "NODEKIT_BENCH_PLUGIN",
	MagicCookieValue: "echo",
}

type echoPlugin struct{}

func (*echoPlugin) Server(*plugin.MuxBroker) (any, error) { return &echoServer{}, nil }
func (*echoPlugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (any, error) {
	return &echoClient{c: c}, nil
}

type echoServer struct{}

func (*echoServer) Echo(in []byte, out *[]byte) error {
	*out = in
	return nil
}

// Block writes one byte to file descriptor 3 (a pipe the benchmark passes)
// to say it started, then waits to be killed.
func (*echoServer) Block(_ struct{}, _ *struct{}) error {
	started := os.NewFile(3, "started")
	_, _ = started.Write([]byte{1})
	time.Sleep(time.Hour)
	return nil
}

type echoClient struct{ c *rpc.Client }

func (e *echoClient) Echo(in []byte) ([]byte, error) {
	var out []byte
	err := e.c.Call("Plugin.Echo", in, &out)
	return out, err
}

func (e *echoClient) Block() error { return e.c.Call("Plugin.Block", struct{}{}, &struct{}{}) }
