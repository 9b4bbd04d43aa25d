package worker

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// The IPC channel carries frames: a 16-byte header (payload length uint32,
// frame type, three zero bytes, request id uint64; little endian) followed by
// the payload. Both directions use the same format.
const headerSize = 16

// Frame types.
const (
	frameHello    byte = 1 // both ways, first frame: build identity and limits (parent) or task names (worker)
	frameCall     byte = 2 // parent → worker: task name and input
	frameCancel   byte = 3 // parent → worker: cancel the task with this id
	frameResult   byte = 4 // worker → parent: the task's output
	frameError    byte = 5 // worker → parent: the task failed (kind, message, stack)
	frameProgress byte = 6 // worker → parent: a progress update of a running task
	frameLast          = frameProgress
)

// helloLimit bounds the hello frames and the overhead (task name, error
// message and stack) a frame may carry on top of its payload.
const helloLimit = 64 << 10

// maxPayloadLimit is the largest Config.MaxPayload: 2 GiB - 64 KiB, so that
// a frame's length fits its 32-bit field and an int on every platform.
const maxPayloadLimit = 1<<31 - 1 - helloLimit

// frame is one decoded frame. payload is owned by the receiver.
type frame struct {
	typ     byte
	id      uint64
	payload []byte
}

// readFrame reads one frame from r. A frame whose payload would exceed limit,
// an unknown type or non-zero reserved bytes is a *ProtocolError; nothing is
// allocated for a frame before its header has been checked, and never more
// than limit bytes. io.EOF means the other side closed the channel cleanly
// between frames.
func readFrame(r io.Reader, hdr *[headerSize]byte, limit int) (frame, error) {
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return frame{}, &ProtocolError{Msg: "channel closed inside a frame header"}
		}
		return frame{}, err
	}
	n := binary.LittleEndian.Uint32(hdr[0:4])
	f := frame{typ: hdr[4], id: binary.LittleEndian.Uint64(hdr[8:16])}
	if f.typ == 0 || f.typ > frameLast {
		return frame{}, &ProtocolError{Msg: fmt.Sprintf("unknown frame type %d", f.typ)}
	}
	if hdr[5] != 0 || hdr[6] != 0 || hdr[7] != 0 {
		return frame{}, &ProtocolError{Msg: "non-zero reserved header bytes"}
	}
	if uint64(n) > uint64(limit) {
		return frame{}, &ProtocolError{Msg: fmt.Sprintf("frame of %d bytes over the limit of %d", n, limit)}
	}
	if n > 0 {
		f.payload = make([]byte, n)
		if _, err := io.ReadFull(r, f.payload); err != nil {
			return frame{}, &ProtocolError{Msg: fmt.Sprintf("channel closed inside a %d-byte frame: %v", n, err)}
		}
	}
	return f, nil
}

func putHeader(b []byte, typ byte, id uint64, n int) {
	binary.LittleEndian.PutUint32(b[0:4], uint32(n))
	b[4], b[5], b[6], b[7] = typ, 0, 0, 0
	binary.LittleEndian.PutUint64(b[8:16], id)
}

// conn is one end of the socketpair, on the network poller. Writes are
// serialised; a frame is written whole before the next starts.
type conn struct {
	c  *net.UnixConn
	r  *bufio.Reader
	rh [headerSize]byte

	wmu  sync.Mutex
	wbuf []byte
}

// smallFrame is the size up to which a frame is assembled in one buffer and
// written with one system call; larger payloads are written from the caller's
// slice, without a copy.
const smallFrame = 64 << 10

// newConn takes over f, one end of a socketpair.
func newConn(f *os.File) (*conn, error) {
	defer f.Close()
	nc, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("worker: IPC channel: %w", err)
	}
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("worker: IPC channel is a %T, not a Unix socket", nc)
	}
	return &conn{c: uc, r: bufio.NewReaderSize(uc, smallFrame)}, nil
}

// read reads the next frame (one reader at a time).
func (c *conn) read(limit int) (frame, error) { return readFrame(c.r, &c.rh, limit) }

// write sends one frame whose payload is the concatenation of parts.
func (c *conn) write(typ byte, id uint64, parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > maxPayloadLimit+helloLimit {
		return &PayloadError{Size: n, Limit: maxPayloadLimit}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if n+headerSize <= smallFrame {
		b := c.wbuf[:0]
		if cap(b) < smallFrame {
			b = make([]byte, 0, smallFrame)
		}
		b = b[:headerSize]
		putHeader(b, typ, id, n)
		for _, p := range parts {
			b = append(b, p...)
		}
		c.wbuf = b
		_, err := c.c.Write(b)
		return err
	}
	var hdr [headerSize]byte
	putHeader(hdr[:], typ, id, n)
	if _, err := c.c.Write(hdr[:]); err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := c.c.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// shutdown ends both directions: a blocked read returns at once, and the
// other side reads end of file.
func (c *conn) shutdown() {
	_ = c.c.CloseRead()
	_ = c.c.CloseWrite()
}

// closeWrite tells the other side that nothing more will be sent.
func (c *conn) closeWrite() { _ = c.c.CloseWrite() }

func (c *conn) close() error { return c.c.Close() }

// socketpair returns two connected stream sockets, close-on-exec (set under
// ForkLock, as not every Unix has SOCK_CLOEXEC, so that no concurrent fork
// inherits them).
func socketpair() (a, b *os.File, err error) {
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, fmt.Errorf("worker: socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "worker-ipc"), os.NewFile(uintptr(fds[1]), "worker-ipc"), nil
}
