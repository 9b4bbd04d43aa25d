package worker

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"nodekit.dev/nodekit/core/worker"
)

func nodekitConfig() worker.Config {
	return worker.Config{Stderr: io.Discard, Logger: slog.New(slog.DiscardHandler), MaxPayload: 256<<20 + 1}
}

func startNodekit(b *testing.B) *worker.Worker {
	b.Helper()
	w, err := worker.Start(context.Background(), nodekitConfig())
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// startPlugin starts the test binary as a go-plugin plugin; extra is passed
// to it as file descriptor 3 if not nil.
func startPlugin(b *testing.B, extra *os.File) (*plugin.Client, *echoClient) {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	if extra != nil {
		cmd.ExtraFiles = []*os.File{extra}
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugin.PluginSet{"echo": &echoPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolNetRPC},
		Logger:           hclog.NewNullLogger(),
		Stderr:           io.Discard,
	})
	rpcClient, err := client.Client()
	if err != nil {
		client.Kill()
		b.Fatal(err)
	}
	raw, err := rpcClient.Dispense("echo")
	if err != nil {
		client.Kill()
		b.Fatal(err)
	}
	return client, raw.(*echoClient)
}

// samples records the duration of each operation and reports the median
// and the 99th percentile next to the mean (ns/op).
type samples []time.Duration

func (s samples) report(b *testing.B, unit time.Duration, name string) {
	if len(s) == 0 {
		return
	}
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	b.ReportMetric(float64(sum.Nanoseconds())/float64(len(s)), "ns/op")
	b.ReportMetric(float64(s[len(s)/2])/float64(unit), name+"-p50")
	b.ReportMetric(float64(s[len(s)*99/100])/float64(unit), name+"-p99")
}

// BenchmarkSpawn: start a worker and complete the handshake (go-plugin:
// NewClient, Client and Dispense). Shutting it down is not timed. The floor
// is exec-only: start this binary with an environment that makes it exit at
// once, and reap it.
func BenchmarkSpawn(b *testing.B) {
	b.Run("exec-only", func(b *testing.B) {
		exe, err := os.Executable()
		if err != nil {
			b.Fatal(err)
		}
		var s samples
		for b.Loop() {
			t0 := time.Now()
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), exitAtOnce+"=1")
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
			s = append(s, time.Since(t0))
		}
		s.report(b, time.Millisecond, "ms")
	})
	b.Run("nodekit", func(b *testing.B) {
		var s samples
		for b.Loop() {
			t0 := time.Now()
			w := startNodekit(b)
			s = append(s, time.Since(t0))
			b.StopTimer()
			if err := w.Shutdown(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		s.report(b, time.Millisecond, "ms")
	})
	b.Run("go-plugin", func(b *testing.B) {
		var s samples
		for b.Loop() {
			t0 := time.Now()
			client, _ := startPlugin(b, nil)
			s = append(s, time.Since(t0))
			b.StopTimer()
			client.Kill()
			b.StartTimer()
		}
		s.report(b, time.Millisecond, "ms")
	})
}

// roundTrip benchmarks one echo of size bytes per operation.
func roundTrip(b *testing.B, size int, unit time.Duration, name string) {
	in := bytes.Repeat([]byte{'x'}, size)
	check := func(out []byte, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if len(out) != size {
			b.Fatalf("echo returned %d bytes, want %d", len(out), size)
		}
	}
	b.Run("nodekit", func(b *testing.B) {
		w := startNodekit(b)
		defer w.Shutdown(context.Background())
		b.SetBytes(int64(2 * size))
		s := make(samples, 0, 1024)
		for b.Loop() {
			t0 := time.Now()
			out, err := w.Call(context.Background(), "echo", in)
			s = append(s, time.Since(t0))
			check(out, err)
		}
		s.report(b, unit, name)
	})
	b.Run("go-plugin", func(b *testing.B) {
		client, echo := startPlugin(b, nil)
		defer client.Kill()
		b.SetBytes(int64(2 * size))
		s := make(samples, 0, 1024)
		for b.Loop() {
			t0 := time.Now()
			out, err := echo.Echo(in)
			s = append(s, time.Since(t0))
			check(out, err)
		}
		s.report(b, unit, name)
	})
}

// BenchmarkRoundTrip64B: a 64-byte request echoed back. The floor is
// raw-socketpair: 64 bytes to a child process and back over the same kind of
// socket, without nodekit's frames and bookkeeping.
func BenchmarkRoundTrip64B(b *testing.B) {
	b.Run("raw-socketpair", func(b *testing.B) {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		parent, child := os.NewFile(uintptr(fds[0]), "raw"), os.NewFile(uintptr(fds[1]), "raw")
		exe, err := os.Executable()
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), rawEcho+"=1")
		cmd.ExtraFiles = []*os.File{child}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		child.Close()
		c, err := net.FileConn(parent)
		parent.Close()
		if err != nil {
			b.Fatal(err)
		}
		defer func() {
			c.Close()
			_ = cmd.Wait()
		}()
		buf := bytes.Repeat([]byte{'x'}, 64)
		s := make(samples, 0, 1024)
		b.SetBytes(128)
		for b.Loop() {
			t0 := time.Now()
			if _, err := c.Write(buf); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				b.Fatal(err)
			}
			s = append(s, time.Since(t0))
		}
		s.report(b, time.Microsecond, "µs")
	})
	roundTrip(b, 64, time.Microsecond, "µs")
}

// BenchmarkRoundTrip1MiB: a 1 MiB request echoed back.
func BenchmarkRoundTrip1MiB(b *testing.B) { roundTrip(b, 1<<20, time.Microsecond, "µs") }

// BenchmarkThroughput256MiB: 256 MiB to the worker and back; MB/s counts
// both directions.
func BenchmarkThroughput256MiB(b *testing.B) { roundTrip(b, 256<<20, time.Millisecond, "ms") }

// BenchmarkDeathToError: a call is running when its worker is killed
// (SIGKILL); timed from the kill to the call's error.
func BenchmarkDeathToError(b *testing.B) {
	b.Run("nodekit", func(b *testing.B) {
		var s samples
		for b.Loop() {
			b.StopTimer()
			w := startNodekit(b)
			started := make(chan struct{}, 1)
			errc := make(chan error, 1)
			go func() {
				_, err := w.Call(context.Background(), "block", nil, worker.OnProgress(func([]byte) { started <- struct{}{} }))
				errc <- err
			}()
			<-started
			b.StartTimer()
			t0 := time.Now()
			if err := syscall.Kill(w.Pid(), syscall.SIGKILL); err != nil {
				b.Fatal(err)
			}
			err := <-errc
			s = append(s, time.Since(t0))
			if err == nil {
				b.Fatal("the call survived its worker")
			}
			<-w.Done()
		}
		s.report(b, time.Millisecond, "ms")
	})
	b.Run("go-plugin", func(b *testing.B) {
		var s samples
		for b.Loop() {
			b.StopTimer()
			r, pw, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			client, echo := startPlugin(b, pw)
			pw.Close()
			errc := make(chan error, 1)
			go func() { errc <- echo.Block() }()
			if _, err := r.Read(make([]byte, 1)); err != nil {
				b.Fatal(err)
			}
			r.Close()
			pid := client.ReattachConfig().Pid
			b.StartTimer()
			t0 := time.Now()
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				b.Fatal(err)
			}
			err = <-errc
			s = append(s, time.Since(t0))
			if err == nil {
				b.Fatal("the call survived its plugin")
			}
			client.Kill()
		}
		s.report(b, time.Millisecond, "ms")
	})
}
