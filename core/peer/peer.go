package peer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"nodekit.dev/nodekit/core/lifecycle"
)

// The states of a Peer.
const (
	stateNew int32 = iota
	stateHandshaking
	stateReady // handshake done, Run not yet called
	stateRunning
	stateClosed
)

// readBufSize is the reader's buffer: frames smaller than this cost one read
// call per buffer-full, not two per frame.
const readBufSize = 4 << 10

// flushAt is how many buffered bytes the writer sends in one write.
const flushAt = 64 << 10

// Peer is one connection to a remote node: New, then Handshake, then Run.
// Send, TrySend, Flush, Disconnect, Stats and the accessors are safe from any
// goroutine at any time.
type Peer struct {
	conn    net.Conn
	inbound bool
	id      string
	cfg     *Config
	codec   *codec

	state     atomic.Int32
	closeOnce sync.Once
	quit      chan struct{}
	causeMu   sync.Mutex
	cause     error
	// stopping is closed when Run's context ends: the writer writes what
	// is queued, half-closes, and the reader reads until the remote closes.
	stopping  chan struct{}
	stopCause error // set before stopping is closed

	remote *Version
	local  Version
	data   any

	// reader side
	r    *bufio.Reader
	hdr  [HeaderSize]byte
	rbuf []byte

	// writer side
	queue      chan outMsg
	sendMu     sync.RWMutex // held shared by senders, exclusively when the queue closes
	sendClosed bool
	ctrl       chan struct{} // cap 1: a pong is due
	pongNonce  atomic.Uint64
	wbuf       []byte

	pingNonce  atomic.Uint64 // nonzero while a ping is unanswered
	pingSentAt atomic.Int64
	rtt        atomic.Int64

	bytesSent, bytesRecv, msgsSent, msgsRecv atomic.Uint64
	dropped, queueFull                       atomic.Uint64
	since, lastRecv, lastSend                atomic.Int64
}

// outMsg is one queued message: 32 bytes, so a full default queue is 8 KiB.
// A Flush marker has a cmd of its own whose flushed channel is set.
type outMsg struct {
	cmd     *cmdLimit
	payload []byte
}

// New wraps an established connection. inbound says who dialed: it is
// reported by Inbound and has no effect on the protocol. New returns an
// ErrMisuse error if cfg is invalid; the connection is then closed.
func New(conn net.Conn, inbound bool, cfg *Config) (*Peer, error) {
	cd, norm, err := cfg.compile()
	if err != nil {
		conn.Close()
		return nil, err
	}
	p := &Peer{
		conn: conn, inbound: inbound, id: IDOf(conn), cfg: norm, codec: cd,
		quit: make(chan struct{}), ctrl: make(chan struct{}, 1), stopping: make(chan struct{}),
		queue: make(chan outMsg, norm.QueueSize),
		r:     bufio.NewReaderSize(conn, readBufSize),
	}
	return p, nil
}

// IDOf names the remote end of conn: for a TLS connection with a client or
// server certificate, KeyID of the certificate's public key; otherwise the
// remote address.
func IDOf(conn net.Conn) string {
	if tc, ok := conn.(*tls.Conn); ok {
		if st := tc.ConnectionState(); len(st.PeerCertificates) > 0 {
			if id, err := KeyID(st.PeerCertificates[0].PublicKey); err == nil {
				return id
			}
		}
	}
	return conn.RemoteAddr().String()
}

// KeyID is the identity of a public key: "key:" and the hex of the first 16
// bytes of the SHA-256 of its PKIX encoding.
func KeyID(pub any) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "key:" + hex.EncodeToString(sum[:16]), nil
}

// ID is the remote's identity (see IDOf).
func (p *Peer) ID() string { return p.id }

// SetData attaches a value of the owner's (a node's per-connection state)
// for Data to return. Call it before Run; it is read without locking.
func (p *Peer) SetData(v any) { p.data = v }

// Data returns the value given to SetData.
func (p *Peer) Data() any { return p.data }

// Inbound reports whether the remote dialed us.
func (p *Peer) Inbound() bool { return p.inbound }

// RemoteAddr is the connection's remote address.
func (p *Peer) RemoteAddr() net.Addr { return p.conn.RemoteAddr() }

// Remote is the version the remote announced; nil until Handshake succeeded.
func (p *Peer) Remote() *Version {
	if p.since.Load() == 0 {
		return nil
	}
	return p.remote
}

// Done is closed when the peer is disconnected.
func (p *Peer) Done() <-chan struct{} { return p.quit }

// Err is why the peer disconnected: nil while connected and after a local
// Disconnect, otherwise an *Error.
func (p *Peer) Err() error {
	p.causeMu.Lock()
	defer p.causeMu.Unlock()
	return p.cause
}

// Disconnect closes the connection. It is idempotent and never blocks; Run
// returns nil once its goroutines have exited.
func (p *Peer) Disconnect() { p.closeWith(nil) }

// closeWith disconnects with cause, the first call only.
func (p *Peer) closeWith(cause error) {
	p.closeOnce.Do(func() {
		p.causeMu.Lock()
		p.cause = cause
		p.causeMu.Unlock()
		old := p.state.Swap(stateClosed)
		close(p.quit)
		p.conn.Close()
		if old != stateRunning {
			p.closeQueue() // no writer will: count what was queued before Run
		}
		if cause != nil {
			p.cfg.Logger.Debug("peer: disconnected", "peer", p.id, "err", cause)
		}
	})
}

// Reject refuses a peer before its handshake: it sends a reject message with
// code and reason (best effort, within a second) and disconnects with an
// ErrRejected cause. It is for a node turning away an inbound connection.
func (p *Peer) Reject(code RejectCode, reason string) {
	if !p.state.CompareAndSwap(stateNew, stateHandshaking) {
		p.Disconnect()
		return
	}
	p.conn.SetDeadline(time.Now().Add(time.Second))
	p.writeDirect(CmdReject, encodeReject(code, reason))
	p.linger()
	p.closeWith(newErr(ErrRejected, &RejectError{Code: code, Reason: reason}, "by us"))
}

// linger ends our side of the connection after a reject so that the remote
// reads the reject: it half-closes and reads until the remote closes (it
// does once it read the reject), for at most a second. A
// plain close with the remote's bytes unread would reset the connection and
// could destroy the reject before the remote read it.
func (p *Peer) linger() {
	if cw, ok := p.conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	p.conn.SetReadDeadline(time.Now().Add(time.Second))
	io.Copy(io.Discard, io.LimitReader(p.conn, 64<<10))
}

// Handshake exchanges versions with the remote and blocks until both sides
// have sent and acknowledged theirs, the handshake deadline
// (Config.HandshakeTimeout) passes (ErrHandshakeTimeout), or ctx ends
// (ErrCanceled, which unwraps to ctx.Err()).
//
// Both sides send local (Time is filled in if zero), read the remote's,
// check it, then send a verack and wait for the remote's. The checks, in
// order: the remote's nonce is not local.Nonce (ErrSelfConnection), its
// Protocol is at least Config.MinProtocol (ErrProtocolTooOld), its AppName
// equals ours and its AppVersion is compatible (ErrAppMismatch), then
// onVersion (may be nil) returns nil (ErrVersionRejected; return a
// *RejectError to choose the code sent). A refusal sends the remote a reject
// message with the reason instead of a verack; the remote's Handshake then
// returns ErrRejected. Any failure disconnects the peer. Handshake may be
// called once.
func (p *Peer) Handshake(ctx context.Context, local Version, onVersion func(remote *Version) error) error {
	if !p.state.CompareAndSwap(stateNew, stateHandshaking) {
		return newErr(ErrMisuse, nil, "Handshake called twice or after Disconnect")
	}
	if local.Time.IsZero() {
		local.Time = time.Now()
	}
	if err := local.validate(); err != nil {
		p.closeWith(err)
		return err
	}
	p.local = local
	p.conn.SetDeadline(time.Now().Add(p.cfg.HandshakeTimeout))
	stop := context.AfterFunc(ctx, func() { p.conn.SetDeadline(time.Unix(1, 0)) })
	err := p.handshake(onVersion)
	if !stop() || ctx.Err() != nil {
		err = newErr(ErrCanceled, context.Cause(ctx), "handshake")
	} else if err != nil && isTimeout(err) {
		err = newErr(ErrHandshakeTimeout, nil, "after %s", p.cfg.HandshakeTimeout)
	}
	if err != nil {
		p.closeWith(err)
		return err
	}
	p.conn.SetDeadline(time.Time{})
	now := time.Now().UnixNano()
	p.since.Store(now)
	p.lastRecv.Store(now)
	if !p.state.CompareAndSwap(stateHandshaking, stateReady) {
		return newErr(ErrDisconnected, nil, "during the handshake")
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func (p *Peer) handshake(onVersion func(*Version) error) error {
	if err := p.writeDirect(CmdVersion, p.local.encode()); err != nil {
		return err
	}
	cmd, payload, err := p.readHandshakeFrame()
	if err != nil {
		return err
	}
	if cmd != CmdVersion {
		return newErr(ErrNotVersion, nil, "got %q", cmd)
	}
	remote, err := decodeVersion(payload)
	if err != nil {
		return err
	}
	refuse := func(kind ErrorKind, code RejectCode, reason string, cause error) error {
		p.writeDirect(CmdReject, encodeReject(code, reason))
		p.linger()
		if cause == nil {
			cause = &RejectError{Code: code, Reason: reason}
		}
		return newErr(kind, cause, "%s", reason)
	}
	switch {
	case remote.Nonce == p.local.Nonce:
		return refuse(ErrSelfConnection, RejectSelf, "connected to ourselves", nil)
	case remote.Protocol < p.cfg.MinProtocol:
		return refuse(ErrProtocolTooOld, RejectVersion, "protocol too old", nil)
	case remote.AppName != p.local.AppName:
		return refuse(ErrAppMismatch, RejectVersion, "app "+remote.AppName+", want "+p.local.AppName, nil)
	case !compatible(remote.AppVersion, p.local.AppVersion):
		return refuse(ErrAppMismatch, RejectVersion, "app version "+remote.AppVersion+" incompatible with "+p.local.AppVersion, nil)
	}
	if onVersion != nil {
		if err := lifecycle.Protect(func() error { return onVersion(remote) }); err != nil {
			var re *RejectError
			if errors.As(err, &re) {
				return refuse(ErrVersionRejected, re.Code, re.Reason, err)
			}
			return refuse(ErrVersionRejected, RejectByCallback, err.Error(), err)
		}
	}
	p.remote = remote
	if err := p.writeDirect(CmdVerAck, nil); err != nil {
		if _, _, rerr := p.readHandshakeFrame(); errors.Is(rerr, ErrRejected) {
			return rerr // the remote refused us first: its reason beats our broken pipe
		}
		return err
	}
	cmd, _, err = p.readHandshakeFrame()
	if err != nil {
		return err
	}
	if cmd != CmdVerAck {
		return newErr(ErrNotVerAck, nil, "got %q", cmd)
	}
	return nil
}

// readHandshakeFrame reads a frame, turning a reject into ErrRejected.
func (p *Peer) readHandshakeFrame() (string, []byte, error) {
	cmd, payload, err := p.codec.readFrame(p.r, &p.hdr, &p.rbuf)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return "", nil, newErr(ErrDisconnected, err, "remote closed during the handshake")
		}
		return "", nil, err
	}
	p.count(&p.msgsRecv, &p.bytesRecv, len(payload))
	if cmd == CmdReject {
		code, reason, err := decodeReject(payload)
		if err != nil {
			return "", nil, err
		}
		return "", nil, newErr(ErrRejected, &RejectError{Code: code, Reason: reason}, "%s", reason)
	}
	return cmd, payload, nil
}

func (p *Peer) count(msgs, bytes *atomic.Uint64, n int) {
	msgs.Add(1)
	bytes.Add(uint64(HeaderSize + n))
}

// writeDirect writes one frame straight to the connection (handshake only).
func (p *Peer) writeDirect(cmd string, payload []byte) error {
	_, err := p.conn.Write(p.codec.appendFrame(nil, cmd, payload))
	if err == nil {
		p.count(&p.msgsSent, &p.bytesSent, len(payload))
	}
	return err
}

// Run serves the peer after a successful Handshake: it reads messages and
// hands application ones to Config.OnMessage, writes what Send queues, pings
// every Config.PingInterval and disconnects on idle, stall or write timeout.
// It blocks until ctx is cancelled or the peer disconnects, and returns only
// after its reader and writer goroutines have exited, with the cause: nil
// after Disconnect, ErrCanceled (unwrapping to ctx.Err()) after ctx ended,
// or the *Error that ended the connection. Run may be called once.
//
// Ending ctx stops the peer gracefully: no message is accepted after it,
// the ones already accepted by Send or TrySend are written, then the
// connection is half-closed and the reader goes on delivering what the
// remote sends until the remote closes too, for at most WriteTimeout, so a
// close never resets the connection with our last messages still unread by
// the remote. Messages that could not be written (the peer disconnected
// first) are counted as Stats.Dropped.
func (p *Peer) Run(ctx context.Context) error {
	if !p.state.CompareAndSwap(stateReady, stateRunning) {
		if p.state.Load() == stateClosed {
			return newErr(ErrDisconnected, p.Err(), "before Run")
		}
		return newErr(ErrMisuse, nil, "Run before a successful Handshake, or twice")
	}
	stop := context.AfterFunc(ctx, func() {
		p.stopCause = newErr(ErrCanceled, context.Cause(ctx), "run")
		close(p.stopping)
	})
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.writeLoop()
	}()
	p.readLoop()
	<-done
	return p.Err()
}

func (p *Peer) readLoop() {
	for {
		// The clock is read only when the frame needs bytes from the socket,
		// not per buffered frame: time.Now was a fifth of the CPU of a busy
		// peer, and idle detection needs no more precision.
		fresh := p.r.Buffered() < HeaderSize
		cmd, payload, err := p.codec.readFrame(p.r, &p.hdr, &p.rbuf)
		if err != nil {
			var pe *Error
			select {
			case <-p.stopping: // the remote closed, or the linger ended
				p.closeWith(p.stopCause)
				return
			default:
			}
			if !errors.As(err, &pe) {
				pe = newErr(ErrDisconnected, err, "read")
			}
			p.closeWith(pe)
			return
		}
		p.count(&p.msgsRecv, &p.bytesRecv, len(payload))
		if fresh {
			p.lastRecv.Store(time.Now().UnixNano())
		}
		if err := p.dispatch(cmd, payload); err != nil {
			p.closeWith(err)
			return
		}
		if cap(p.rbuf) > readBufSize {
			p.rbuf = nil // a large payload's buffer is not kept by an idle peer
		}
	}
}

func (p *Peer) dispatch(cmd string, payload []byte) error {
	switch cmd {
	case CmdPing:
		if len(payload) != 8 {
			return newErr(ErrMalformed, nil, "ping of %d bytes", len(payload))
		}
		p.pongNonce.Store(binary.LittleEndian.Uint64(payload))
		select {
		case p.ctrl <- struct{}{}:
		default:
		}
	case CmdPong:
		if len(payload) != 8 {
			return newErr(ErrMalformed, nil, "pong of %d bytes", len(payload))
		}
		if n := binary.LittleEndian.Uint64(payload); n != 0 && p.pingNonce.CompareAndSwap(n, 0) {
			p.rtt.Store(time.Now().UnixNano() - p.pingSentAt.Load())
		}
	case CmdVersion, CmdVerAck:
		return newErr(ErrMalformed, nil, "%q after the handshake", cmd)
	case CmdReject:
		code, reason, err := decodeReject(payload)
		if err != nil {
			return err
		}
		return newErr(ErrRejected, &RejectError{Code: code, Reason: reason}, "%s", reason)
	default:
		if h := p.cfg.OnMessage; h != nil {
			if err := lifecycle.Protect(func() error { return h(p, cmd, payload) }); err != nil {
				return newErr(ErrHandlerFailed, err, "%q", cmd)
			}
		}
	}
	return nil
}

// checkOut validates an application message before it is queued.
func (p *Peer) checkOut(cmd string, n int) (*cmdLimit, error) {
	if _, builtin := builtins[cmd]; builtin {
		return nil, newErr(ErrBadCommand, nil, "%q is a built-in command", cmd)
	}
	lim, ok := p.codec.cmds[cmd]
	if !ok {
		return nil, newErr(ErrUnknownCommand, nil, "%q is not in Config.Commands", cmd)
	}
	if n > int(lim.max) || n > int(p.codec.max) {
		return nil, newErr(ErrPayloadTooLarge, nil, "%q: %d bytes, limit %d", cmd, n, min(lim.max, p.codec.max))
	}
	return lim, nil
}

// Send queues an application message, waiting for room in the send queue
// until ctx ends (ErrCanceled) or the peer disconnects (ErrDisconnected). The
// command must be in Config.Commands and the payload within its limit. The
// peer keeps payload until it is written: do not change it after Send
// returns nil. A queued message that the peer could not write before it
// disconnected is counted in Stats.Dropped.
func (p *Peer) Send(ctx context.Context, cmd string, payload []byte) error {
	return p.enqueue(ctx, cmd, payload, true)
}

// TrySend is Send without waiting: a full queue returns ErrQueueFull, queues
// nothing, and is counted in Stats.QueueFull.
func (p *Peer) TrySend(cmd string, payload []byte) error {
	return p.enqueue(context.Background(), cmd, payload, false)
}

// enqueue is Send (wait) and TrySend (!wait). Senders hold sendMu shared:
// closeQueue takes it exclusively, so no message gets in after it, and every
// one that got in before is written or counted as dropped.
func (p *Peer) enqueue(ctx context.Context, cmd string, payload []byte, wait bool) error {
	lim, err := p.checkOut(cmd, len(payload))
	if err != nil {
		return err
	}
	p.sendMu.RLock()
	defer p.sendMu.RUnlock()
	if p.sendClosed {
		return newErr(ErrDisconnected, p.Err(), "send %q", cmd)
	}
	m := outMsg{cmd: lim, payload: payload}
	select {
	case p.queue <- m:
		return nil
	default:
	}
	if !wait {
		p.queueFull.Add(1)
		return newErr(ErrQueueFull, nil, "send %q: %d messages queued", cmd, cap(p.queue))
	}
	// A graceful stop (finish) takes sendMu exclusively while the queue may
	// be full: a sender waiting here lets go of it when the stop begins.
	select {
	case p.queue <- m:
		return nil
	case <-p.quit:
		return newErr(ErrDisconnected, p.Err(), "send %q", cmd)
	case <-p.stopping:
		return newErr(ErrDisconnected, p.stopCause, "send %q: the peer is stopping", cmd)
	case <-ctx.Done():
		return newErr(ErrCanceled, context.Cause(ctx), "send %q", cmd)
	}
}

// Flush waits until everything queued before it has been written to the
// connection, the peer disconnects (ErrDisconnected) or ctx ends
// (ErrCanceled).
func (p *Peer) Flush(ctx context.Context) error {
	m := outMsg{cmd: &cmdLimit{flushed: make(chan struct{})}}
	p.sendMu.RLock()
	if p.sendClosed {
		p.sendMu.RUnlock()
		return newErr(ErrDisconnected, p.Err(), "flush")
	}
	select {
	case p.queue <- m:
	case <-p.quit:
	case <-p.stopping: // as in enqueue: never hold sendMu against finish
		p.sendMu.RUnlock()
		return newErr(ErrDisconnected, p.stopCause, "flush: the peer is stopping")
	case <-ctx.Done():
		p.sendMu.RUnlock()
		return newErr(ErrCanceled, context.Cause(ctx), "flush")
	}
	p.sendMu.RUnlock()
	select {
	case <-m.cmd.flushed:
		select {
		case <-p.quit:
			return newErr(ErrDisconnected, p.Err(), "flush")
		default:
			return nil
		}
	case <-p.quit:
		return newErr(ErrDisconnected, p.Err(), "flush")
	case <-ctx.Done():
		return newErr(ErrCanceled, context.Cause(ctx), "flush")
	}
}

func (p *Peer) writeLoop() {
	timer := time.NewTimer(min(p.cfg.PingInterval, p.cfg.IdleTimeout))
	defer timer.Stop()
	p.pingSentAt.Store(time.Now().UnixNano()) // the first ping is due one interval from now
	defer p.closeQueue()
	for {
		var err error
		select {
		case m := <-p.queue:
			err = p.writeBatch(m)
		case <-p.ctrl:
			err = p.writeBatch(outMsg{})
		case <-timer.C:
			var next time.Duration
			next, err = p.keepalive()
			timer.Reset(next)
		case <-p.quit:
			return
		case <-p.stopping:
			p.finish()
			return
		}
		if err != nil {
			p.closeWith(err)
			return
		}
	}
}

// finish is the writer's part of a graceful stop: it closes the queue,
// writes what it holds, and half-closes the connection; the reader then
// reads until the remote closes, or until WriteTimeout.
func (p *Peer) finish() {
	p.sendMu.Lock()
	p.sendClosed = true
	p.sendMu.Unlock()
	if err := p.writeBatch(outMsg{}); err != nil {
		p.closeWith(err)
		return
	}
	cw, ok := p.conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		p.closeWith(p.stopCause)
		return
	}
	p.conn.SetReadDeadline(time.Now().Add(p.cfg.WriteTimeout))
}

// writeBatch writes m and whatever else is queued, up to flushAt bytes per
// write, plus a due pong. A zero m writes only the pong.
func (p *Peer) writeBatch(m outMsg) error {
	pending := 0 // messages in wbuf
	var markers []chan struct{}
	add := func(m outMsg) error {
		switch {
		case m.cmd == nil:
			return nil
		case m.cmd.flushed != nil:
			markers = append(markers, m.cmd.flushed)
			return nil
		case len(m.payload) >= flushAt:
			if err := p.writeOut(&pending); err != nil {
				p.dropped.Add(1)
				return err
			}
			var h [HeaderSize]byte
			putHeader(&h, p.codec.magic, m.cmd.name, m.payload)
			bufs := net.Buffers{h[:], m.payload}
			p.setWriteDeadline(len(m.payload))
			if n, err := bufs.WriteTo(p.conn); err != nil {
				if n == int64(HeaderSize+len(m.payload)) {
					p.count(&p.msgsSent, &p.bytesSent, len(m.payload))
				} else {
					p.bytesSent.Add(uint64(n))
					p.dropped.Add(1)
				}
				return p.writeErr(err)
			}
			p.count(&p.msgsSent, &p.bytesSent, len(m.payload))
			p.lastSend.Store(time.Now().UnixNano())
			return nil
		}
		p.wbuf = p.codec.appendFrame(p.wbuf, m.cmd.name, m.payload)
		pending++
		if len(p.wbuf) >= flushAt {
			return p.writeOut(&pending)
		}
		return nil
	}
	err := add(m)
	for err == nil {
		if n := p.pongNonce.Swap(0); n != 0 {
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], n)
			p.wbuf = p.codec.appendFrame(p.wbuf, CmdPong, b[:])
			pending++
		}
		select {
		case m := <-p.queue:
			err = add(m)
			continue
		default:
		}
		break
	}
	if err == nil {
		err = p.writeOut(&pending)
	}
	p.dropped.Add(uint64(pending))
	for _, c := range markers {
		close(c)
	}
	return err
}

// writeOut writes wbuf; pending is the number of messages in it. A write
// that fails part way counts the frames the connection took whole as sent
// and leaves the rest in pending, for the caller to count as dropped: the
// remote may have received those frames, and a message is never both.
func (p *Peer) writeOut(pending *int) error {
	if len(p.wbuf) == 0 {
		return nil
	}
	p.setWriteDeadline(len(p.wbuf))
	n, err := p.conn.Write(p.wbuf)
	sent := *pending
	if err != nil {
		sent = framesWithin(p.wbuf[:n])
	}
	p.msgsSent.Add(uint64(sent))
	p.bytesSent.Add(uint64(n))
	p.lastSend.Store(time.Now().UnixNano())
	*pending -= sent
	p.wbuf = p.wbuf[:0]
	if err != nil {
		return p.writeErr(err)
	}
	return nil
}

func (p *Peer) setWriteDeadline(n int) {
	d := p.cfg.WriteTimeout + time.Duration(n)*time.Second/WriteBytesPerSecond
	p.conn.SetWriteDeadline(time.Now().Add(d))
}

func (p *Peer) writeErr(err error) error {
	if isTimeout(err) {
		return newErr(ErrWriteTimeout, err, "write")
	}
	return newErr(ErrDisconnected, err, "write")
}

// keepalive disconnects an idle or stalled peer and sends a ping when one is
// due; it returns how long until it must run again.
func (p *Peer) keepalive() (time.Duration, error) {
	now := time.Now().UnixNano()
	cfg := p.cfg
	if idle := time.Duration(now - p.lastRecv.Load()); idle >= cfg.IdleTimeout {
		return 0, newErr(ErrIdleTimeout, nil, "nothing received for %s", idle.Round(time.Millisecond))
	}
	sent := time.Duration(now - p.pingSentAt.Load())
	if p.pingNonce.Load() != 0 {
		if sent >= cfg.StallTimeout {
			return 0, newErr(ErrStalled, nil, "no pong for %s", sent.Round(time.Millisecond))
		}
	} else if sent >= cfg.PingInterval {
		n := rand.Uint64() | 1
		p.pingSentAt.Store(now)
		p.pingNonce.Store(n)
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], n)
		p.wbuf = p.codec.appendFrame(p.wbuf, CmdPing, b[:])
		pending := 1
		err := p.writeOut(&pending)
		if cap(p.wbuf) > readBufSize {
			p.wbuf = nil // an idle peer does not keep a busy peer's buffer
		}
		if err != nil {
			return 0, err
		}
		sent = 0
	}
	next := time.Duration(p.lastRecv.Load() + int64(cfg.IdleTimeout) - now) // until idle
	if p.pingNonce.Load() != 0 {
		next = min(next, cfg.StallTimeout-sent)
	} else {
		next = min(next, cfg.PingInterval-sent)
	}
	return max(next, time.Millisecond), nil
}

// closeQueue refuses further sends and counts what is still queued as
// dropped.
func (p *Peer) closeQueue() {
	p.sendMu.Lock()
	p.sendClosed = true
	p.sendMu.Unlock()
	for {
		select {
		case m := <-p.queue:
			if m.cmd.flushed != nil {
				close(m.cmd.flushed)
			} else {
				p.dropped.Add(1)
			}
		default:
			return
		}
	}
}

// Stats are a peer's counters. Bytes include frame headers.
type Stats struct {
	BytesSent, BytesRecv uint64
	MsgsSent, MsgsRecv   uint64
	// Dropped counts messages accepted by Send or TrySend that were never
	// written because the peer disconnected first.
	Dropped uint64
	// QueueFull counts TrySend calls refused with ErrQueueFull.
	QueueFull uint64
	// Queued is the number of messages waiting to be written.
	Queued int
	// RTT is the round trip of the last answered ping (0 before one).
	RTT                                time.Duration
	ConnectedSince, LastRecv, LastSend time.Time
}

// Stats returns a snapshot of the peer's counters.
func (p *Peer) Stats() Stats {
	t := func(v *atomic.Int64) time.Time {
		if n := v.Load(); n != 0 {
			return time.Unix(0, n)
		}
		return time.Time{}
	}
	return Stats{
		BytesSent: p.bytesSent.Load(), BytesRecv: p.bytesRecv.Load(),
		MsgsSent: p.msgsSent.Load(), MsgsRecv: p.msgsRecv.Load(),
		Dropped: p.dropped.Load(), QueueFull: p.queueFull.Load(), Queued: len(p.queue),
		RTT:            time.Duration(p.rtt.Load()),
		ConnectedSince: t(&p.since), LastRecv: t(&p.lastRecv), LastSend: t(&p.lastSend),
	}
}
