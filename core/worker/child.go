package worker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"nodekit.dev/nodekit/core/lifecycle"
)

// envMarker is set in a worker's environment to the number of the file
// descriptor of its end of the socketpair.
const envMarker = "NODEKIT_WORKER_FD"

// Main turns the process into a worker if it was started as one, and does
// nothing otherwise. Call it first thing in main, after the worker functions
// are registered (in init functions):
//
//	func main() {
//		worker.Main()
//		// the program as usual
//	}
//
// In a worker, Main serves tasks until the parent closes the channel or dies,
// then exits the process; it never returns.
func Main() {
	if os.Getenv(envMarker) == "" {
		return
	}
	os.Exit(Serve())
}

// Serve runs the worker loop of a dedicated worker executable and returns
// the process exit code: 0 when the parent closed the channel, 2 when the
// process was not started as a worker or the channel broke. Use it as the
// whole main of a worker executable: os.Exit(worker.Serve()).
func Serve() int {
	v := os.Getenv(envMarker)
	fd, err := strconv.Atoi(v)
	if v == "" || err != nil || fd < 3 {
		fmt.Fprintf(os.Stderr, "worker: not started as a nodekit worker (%s=%q)\n", envMarker, v)
		return 2
	}
	// Children of the worker's tasks are not workers.
	_ = os.Unsetenv(envMarker)
	f := os.NewFile(uintptr(fd), "worker-ipc")
	if f == nil {
		fmt.Fprintf(os.Stderr, "worker: file descriptor %d is not open\n", fd)
		return 2
	}
	c, err := newConn(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	defer c.close()
	if err := serve(c); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	return 0
}

// serve is the worker side of the channel: hello, then tasks until end of
// file. Each task runs in its own goroutine. On end of file every running
// task is cancelled and serve returns without waiting for them (the process
// is about to exit, or, in process, they end on their own).
func serve(c *conn) error {
	names := taskNames()
	if err := c.write(frameHello, 0, encodeWorkerHello(BuildID(), names)); err != nil {
		return fmt.Errorf("send hello: %w", err)
	}
	f, err := c.read(helloLimit)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil // the parent gave up (a version mismatch, a timeout)
		}
		return fmt.Errorf("read hello: %w", err)
	}
	limit, parentID, err := decodeParentHello(f)
	if err != nil {
		return err
	}
	if parentID != BuildID() {
		return nil // the parent reports the mismatch and closes the channel
	}
	var (
		mu      sync.Mutex
		cancels = map[uint64]context.CancelFunc{}
	)
	defer func() {
		mu.Lock()
		for _, cancel := range cancels {
			cancel()
		}
		mu.Unlock()
	}()
	for {
		f, err := c.read(limit + helloLimit)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch f.typ {
		case frameCall:
			name, in, err := decodeCall(f.payload)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(context.Background())
			ctx = context.WithValue(ctx, taskKey{}, &taskCtx{conn: c, id: f.id, name: name, limit: limit})
			mu.Lock()
			cancels[f.id] = cancel
			mu.Unlock()
			go func(id uint64) {
				runTask(ctx, c, id, name, in, limit)
				mu.Lock()
				delete(cancels, id)
				mu.Unlock()
				cancel()
			}(f.id)
		case frameCancel:
			mu.Lock()
			cancel := cancels[f.id]
			mu.Unlock()
			if cancel != nil {
				cancel()
			}
		default:
			return &ProtocolError{Msg: fmt.Sprintf("frame type %d sent to a worker", f.typ)}
		}
	}
}

// Error kinds of an error frame.
const (
	errKindFailed  byte = 1
	errKindPanic   byte = 2
	errKindUnknown byte = 3
	errKindPayload byte = 4
)

// maxErrorText bounds the message and the stack of an error frame.
const maxErrorText = 16 << 10

func runTask(ctx context.Context, c *conn, id uint64, name string, in []byte, limit int) {
	fn := lookup(name)
	if fn == nil {
		_ = c.write(frameError, id, encodeTaskError(errKindUnknown, name, ""))
		return
	}
	out, err, panicked, stack := protect(ctx, fn, in)
	switch {
	case panicked:
		_ = c.write(frameError, id, encodeTaskError(errKindPanic, err.Error(), stack))
	case err != nil:
		_ = c.write(frameError, id, encodeTaskError(errKindFailed, err.Error(), ""))
	case len(out) > limit:
		_ = c.write(frameError, id, encodeTaskError(errKindPayload, strconv.Itoa(len(out)), ""))
	default:
		_ = c.write(frameResult, id, out)
	}
}

func protect(ctx context.Context, fn Func, in []byte) (out []byte, err error, panicked bool, stack string) {
	defer func() {
		if pe := lifecycle.Recovered(recover()); pe != nil {
			out, err, panicked, stack = nil, fmt.Errorf("%v", pe.Value), true, string(pe.Stack)
		}
	}()
	out, err = fn(ctx, in)
	return out, err, false, ""
}

// Payload encodings. Strings are prefixed with their length (uint16 for
// names and build identities, uint32 for error texts).

func appendString16(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func readString16(b []byte) (string, []byte, bool) {
	if len(b) < 2 {
		return "", nil, false
	}
	n := int(binary.LittleEndian.Uint16(b))
	if len(b) < 2+n {
		return "", nil, false
	}
	return string(b[2 : 2+n]), b[2+n:], true
}

func encodeWorkerHello(id string, names []string) []byte {
	b := appendString16(nil, id)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(names)))
	for _, n := range names {
		b = appendString16(b, n)
	}
	return b
}

func decodeWorkerHello(f frame) (id string, names []string, err error) {
	bad := &ProtocolError{Msg: "malformed hello from the worker"}
	if f.typ != frameHello || f.id != 0 {
		return "", nil, &ProtocolError{Msg: fmt.Sprintf("expected a hello, got frame type %d", f.typ)}
	}
	id, rest, ok := readString16(f.payload)
	if !ok || len(rest) < 2 {
		return "", nil, bad
	}
	count := int(binary.LittleEndian.Uint16(rest))
	rest = rest[2:]
	for range count {
		var n string
		if n, rest, ok = readString16(rest); !ok {
			return "", nil, bad
		}
		names = append(names, n)
	}
	if len(rest) != 0 {
		return "", nil, bad
	}
	return id, names, nil
}

func encodeParentHello(id string, limit int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(limit))
	return appendString16(b, id)
}

func decodeParentHello(f frame) (limit int, id string, err error) {
	bad := &ProtocolError{Msg: "malformed hello from the parent"}
	if f.typ != frameHello || len(f.payload) < 8 {
		return 0, "", bad
	}
	l := binary.LittleEndian.Uint64(f.payload)
	if l == 0 || l > maxPayloadLimit {
		return 0, "", bad
	}
	id, rest, ok := readString16(f.payload[8:])
	if !ok || len(rest) != 0 {
		return 0, "", bad
	}
	return int(l), id, nil
}

func encodeCallPrefix(name string) []byte { return appendString16(make([]byte, 0, 2+len(name)), name) }

func decodeCall(p []byte) (name string, in []byte, err error) {
	name, in, ok := readString16(p)
	if !ok || name == "" {
		return "", nil, &ProtocolError{Msg: "malformed call"}
	}
	return name, in, nil
}

func encodeTaskError(kind byte, msg, stack string) []byte {
	msg, stack = truncate(msg, maxErrorText), truncate(stack, maxErrorText)
	b := make([]byte, 0, 1+4+len(msg)+len(stack))
	b = append(b, kind)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(msg)))
	b = append(b, msg...)
	return append(b, stack...)
}

func decodeTaskError(p []byte) (kind byte, msg, stack string, err error) {
	if len(p) < 5 || p[0] < errKindFailed || p[0] > errKindPayload {
		return 0, "", "", &ProtocolError{Msg: "malformed task error"}
	}
	n := binary.LittleEndian.Uint32(p[1:5])
	if uint64(n) > uint64(len(p)-5) {
		return 0, "", "", &ProtocolError{Msg: "malformed task error"}
	}
	return p[0], string(p[5 : 5+n]), string(p[5+n:]), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
