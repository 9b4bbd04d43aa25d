package peer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nodekit.dev/nodekit/core/lifecycle"
)

func TestHandshakeExchangesVersionsAndMessagesFlow(t *testing.T) {
	got := make(chan string, 10)
	in := testConfig(func(c *Config) {
		c.OnMessage = func(p *Peer, cmd string, payload []byte) error {
			got <- cmd + ":" + string(payload)
			return nil
		}
	})
	po, pi := handshakePair(t, testConfig(), in)
	require.Equal(t, uint64(2), po.Remote().Nonce)
	require.Equal(t, "peer_test", po.Remote().UserAgent)
	require.Equal(t, uint64(1), pi.Remote().Nonce)
	require.True(t, pi.Inbound())
	require.False(t, po.Inbound())
	require.False(t, po.Stats().ConnectedSince.IsZero())

	waitOut := running(t, context.Background(), po)
	waitIn := running(t, context.Background(), pi)
	for i := range 3 {
		require.NoError(t, po.Send(context.Background(), "chat", []byte(fmt.Sprint("hello ", i))))
	}
	for i := range 3 {
		require.Equal(t, fmt.Sprint("chat:hello ", i), <-got)
	}
	po.Disconnect()
	po.Disconnect() // idempotent
	require.NoError(t, waitOut())
	err := waitIn()
	require.ErrorIs(t, err, ErrDisconnected)
	s := pi.Stats()
	require.Equal(t, uint64(2+3), s.MsgsRecv) // version, verack, 3 chats
	require.Equal(t, po.Stats().BytesSent, s.BytesRecv)
}

func TestHandshakeRejections(t *testing.T) {
	cases := []struct {
		name            string
		out, in         Version
		inCfg           func(*Config)
		onVersion       func(*Version) error
		wantOut, wantIn error
		wantCode        RejectCode
	}{
		{name: "self connection", out: testVersion(7), in: testVersion(7),
			wantOut: ErrSelfConnection, wantIn: ErrSelfConnection},
		{name: "protocol too old", out: func() Version { v := testVersion(1); v.Protocol = 1; return v }(), in: testVersion(2),
			inCfg: func(c *Config) { c.MinProtocol = 2 }, wantOut: ErrRejected, wantIn: ErrProtocolTooOld, wantCode: RejectVersion},
		{name: "other app", out: func() Version { v := testVersion(1); v.AppName = "other"; return v }(), in: testVersion(2),
			wantOut: ErrAppMismatch, wantIn: ErrAppMismatch},
		{name: "incompatible app version", out: func() Version { v := testVersion(1); v.AppVersion = "2.0"; return v }(), in: testVersion(2),
			wantOut: ErrAppMismatch, wantIn: ErrAppMismatch},
		{name: "onVersion refuses", out: testVersion(1), in: testVersion(2),
			onVersion: func(*Version) error { return errors.New("not today") },
			wantOut:   ErrRejected, wantIn: ErrVersionRejected, wantCode: RejectByCallback},
		{name: "onVersion refuses with a code", out: testVersion(1), in: testVersion(2),
			onVersion: func(*Version) error { return &RejectError{Code: RejectDuplicate, Reason: "dup"} },
			wantOut:   ErrRejected, wantIn: ErrVersionRejected, wantCode: RejectDuplicate},
		{name: "onVersion panics", out: testVersion(1), in: testVersion(2),
			onVersion: func(*Version) error { panic("boom") },
			wantOut:   ErrRejected, wantIn: ErrVersionRejected, wantCode: RejectByCallback},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, a := tcpPair(t)
			inCfg := testConfig()
			if tc.inCfg != nil {
				inCfg = testConfig(tc.inCfg)
			}
			po, err := New(d, false, testConfig())
			require.NoError(t, err)
			pi, err := New(a, true, inCfg)
			require.NoError(t, err)
			errs := make(chan error, 1)
			go func() { errs <- pi.Handshake(context.Background(), tc.in, tc.onVersion) }()
			errOut := po.Handshake(context.Background(), tc.out, nil)
			errIn := <-errs
			// Both sides refuse each other for a symmetric check; the side
			// that refuses second may see the other's reject first.
			if tc.wantOut == tc.wantIn {
				require.True(t, errors.Is(errOut, tc.wantOut) || errors.Is(errOut, ErrRejected), "%v", errOut)
			} else {
				require.ErrorIs(t, errOut, tc.wantOut)
			}
			require.ErrorIs(t, errIn, tc.wantIn)
			if tc.wantCode != 0 {
				var re *RejectError
				require.ErrorAs(t, errOut, &re)
				require.Equal(t, tc.wantCode, re.Code)
			}
			if tc.name == "onVersion panics" {
				var pe *lifecycle.PanicError
				require.ErrorAs(t, errIn, &pe)
			}
			<-po.Done()
			<-pi.Done()
			require.Nil(t, pi.Remote())
		})
	}
}

func TestHandshakeInvalidLocalVersion(t *testing.T) {
	d, _ := tcpPair(t)
	p, err := New(d, false, testConfig())
	require.NoError(t, err)
	v := testVersion(1)
	v.AppVersion = "one"
	require.ErrorIs(t, p.Handshake(context.Background(), v, nil), ErrInvalidVersion)
	require.ErrorIs(t, p.Handshake(context.Background(), testVersion(1), nil), ErrMisuse)
}

func TestHandshakeTimeoutAndCancelAreDistinct(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		d, _ := tcpPair(t) // the other end never answers
		p, err := New(d, false, testConfig(func(c *Config) { c.HandshakeTimeout = 50 * time.Millisecond }))
		require.NoError(t, err)
		err = p.Handshake(context.Background(), testVersion(1), nil)
		require.ErrorIs(t, err, ErrHandshakeTimeout)
		require.NotErrorIs(t, err, ErrCanceled)
		require.NotErrorIs(t, err, context.Canceled)
	})
	t.Run("cancel", func(t *testing.T) {
		d, _ := tcpPair(t)
		p, err := New(d, false, testConfig())
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		err = p.Handshake(ctx, testVersion(1), nil)
		require.ErrorIs(t, err, ErrCanceled)
		require.ErrorIs(t, err, context.Canceled)
		require.NotErrorIs(t, err, ErrHandshakeTimeout)
		require.Less(t, time.Since(start), DefaultHandshakeTimeout/2, "a cancelled handshake returns at once, not at its 10 s deadline")
		select {
		case <-p.Done():
		default:
			t.Fatal("a failed handshake disconnects")
		}
	})
}

func TestHandshakeFirstMessageMustBeVersion(t *testing.T) {
	d, a := tcpPair(t)
	p, err := New(a, true, testConfig())
	require.NoError(t, err)
	var ping [8]byte
	_, err = d.Write(rawFrame(testMagic, CmdPing, ping[:]))
	require.NoError(t, err)
	require.ErrorIs(t, p.Handshake(context.Background(), testVersion(1), nil), ErrNotVersion)
}

// rawHandshake completes a handshake on conn by hand, as a remote would.
func rawHandshake(t *testing.T, conn net.Conn, local *Peer) {
	t.Helper()
	errs := make(chan error, 1)
	go func() { errs <- local.Handshake(context.Background(), testVersion(1), nil) }()
	v := testVersion(99)
	v.Time = time.Now()
	_, err := conn.Write(rawFrame(testMagic, CmdVersion, v.encode()))
	require.NoError(t, err)
	_, err = conn.Write(rawFrame(testMagic, CmdVerAck, nil))
	require.NoError(t, err)
	require.NoError(t, <-errs)
}

func TestMalformedFramesDisconnectWithTypedErrors(t *testing.T) {
	var h [HeaderSize]byte
	withHeader := func(f func(*[HeaderSize]byte)) []byte {
		putHeader(&h, testMagic, "chat", []byte("hi"))
		f(&h)
		return append(append([]byte(nil), h[:]...), "hi"...)
	}
	cases := []struct {
		name  string
		bytes []byte
		close bool
		want  ErrorKind
	}{
		{"wrong magic", rawFrame(Magic{'m', 'a', 'i', 'n'}, "chat", []byte("hi")), false, ErrBadMagic},
		{"unprintable command", rawFrame(testMagic, "ch\x01t", nil), false, ErrBadCommand},
		{"bytes after the padding", withHeader(func(h *[HeaderSize]byte) { h[15] = 'x' }), false, ErrBadCommand},
		{"unknown command", rawFrame(testMagic, "nosuch", nil), false, ErrUnknownCommand},
		{"over the command's limit", rawFrame(testMagic, "chat", make([]byte, 1025)), false, ErrPayloadTooLarge},
		{"length of 4 GiB", withHeader(func(h *[HeaderSize]byte) { binary.LittleEndian.PutUint32(h[16:], ^uint32(0)) }), false, ErrPayloadTooLarge},
		{"bad checksum", withHeader(func(h *[HeaderSize]byte) { h[20] ^= 1 }), false, ErrBadChecksum},
		{"connection ends inside a payload", rawFrame(testMagic, "chat", []byte("hello"))[:HeaderSize+2], true, ErrDisconnected},
		{"connection ends inside a header", rawFrame(testMagic, "chat", nil)[:10], true, ErrDisconnected},
		{"version after the handshake", rawFrame(testMagic, CmdVersion, []byte{}), false, ErrMalformed},
		{"ping of the wrong size", rawFrame(testMagic, CmdPing, []byte{1}), false, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, a := tcpPair(t)
			p, err := New(a, true, testConfig())
			require.NoError(t, err)
			rawHandshake(t, d, p)
			wait := running(t, context.Background(), p)
			_, err = d.Write(tc.bytes)
			require.NoError(t, err)
			if tc.close {
				d.(*net.TCPConn).CloseWrite()
			}
			err = wait()
			require.ErrorIs(t, err, tc.want)
			var pe *Error
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.want, pe.Kind)
		})
	}
}

func TestLyingLengthAllocatesOnlyWhatArrives(t *testing.T) {
	c, _, err := testConfig(func(c *Config) { c.Commands = map[string]uint32{"big": 16 << 20}; c.MaxPayload = 16 << 20 }).compile()
	require.NoError(t, err)
	var h [HeaderSize]byte
	putHeader(&h, testMagic, "big", make([]byte, 16<<20))
	r := &chunks{parts: [][]byte{h[:], make([]byte, 100)}}
	var hdr [HeaderSize]byte
	var buf []byte
	_, _, err = c.readFrame(r, &hdr, &buf)
	require.ErrorIs(t, err, ErrDisconnected)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.LessOrEqual(t, cap(buf), growStep, "a 16 MiB header followed by 100 bytes must not allocate 16 MiB")
}

type chunks struct{ parts [][]byte }

func (c *chunks) Read(b []byte) (int, error) {
	if len(c.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(b, c.parts[0])
	c.parts[0] = c.parts[0][n:]
	if len(c.parts[0]) == 0 {
		c.parts = c.parts[1:]
	}
	return n, nil
}

func TestSendValidatesBeforeQueueing(t *testing.T) {
	po, _ := handshakePair(t, testConfig(), testConfig())
	ctx := context.Background()
	require.ErrorIs(t, po.Send(ctx, "nosuch", nil), ErrUnknownCommand)
	require.ErrorIs(t, po.Send(ctx, "chat", make([]byte, 1025)), ErrPayloadTooLarge)
	require.ErrorIs(t, po.Send(ctx, CmdPing, make([]byte, 8)), ErrBadCommand)
	require.Zero(t, po.Stats().Queued)
}

func TestFullQueueIsTypedAndQueuedMessagesAreCountedAsDropped(t *testing.T) {
	po, _ := handshakePair(t, testConfig(func(c *Config) { c.QueueSize = 2 }), testConfig())
	// Run is not started, so nothing drains the queue.
	require.NoError(t, po.TrySend("chat", []byte("a")))
	require.NoError(t, po.TrySend("chat", []byte("b")))
	require.ErrorIs(t, po.TrySend("chat", []byte("c")), ErrQueueFull)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := po.Send(ctx, "chat", []byte("d"))
	require.ErrorIs(t, err, ErrCanceled)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	s := po.Stats()
	require.Equal(t, 2, s.Queued)
	require.Equal(t, uint64(1), s.QueueFull)
	po.Disconnect()
	s = po.Stats()
	require.Equal(t, uint64(2), s.Dropped)
	require.ErrorIs(t, po.TrySend("chat", nil), ErrDisconnected)
	require.ErrorIs(t, po.Send(context.Background(), "chat", nil), ErrDisconnected)
	require.ErrorIs(t, po.Run(context.Background()), ErrDisconnected)
}

func TestRunMisuse(t *testing.T) {
	d, _ := tcpPair(t)
	p, err := New(d, false, testConfig())
	require.NoError(t, err)
	require.ErrorIs(t, p.Run(context.Background()), ErrMisuse)
	_, err = New(d, false, &Config{Commands: map[string]uint32{"ping": 8}})
	require.ErrorIs(t, err, ErrMisuse)
	require.ErrorContains(t, err, "Config.Commands")
}

func TestPingMeasuresRTTAndStallAndIdleDisconnect(t *testing.T) {
	t.Run("rtt", func(t *testing.T) {
		fast := func(c *Config) { c.PingInterval = 10 * time.Millisecond }
		po, pi := handshakePair(t, testConfig(fast), testConfig())
		running(t, context.Background(), po)
		running(t, context.Background(), pi)
		require.Eventually(t, func() bool { return po.Stats().RTT > 0 }, 5*time.Second, 5*time.Millisecond)
	})
	t.Run("stall", func(t *testing.T) {
		d, a := tcpPair(t)
		p, err := New(a, true, testConfig(func(c *Config) {
			c.PingInterval, c.StallTimeout, c.IdleTimeout = 10*time.Millisecond, 50*time.Millisecond, time.Minute
		}))
		require.NoError(t, err)
		rawHandshake(t, d, p) // the raw remote never answers pings
		require.ErrorIs(t, running(t, context.Background(), p)(), ErrStalled)
	})
	t.Run("idle", func(t *testing.T) {
		d, a := tcpPair(t)
		p, err := New(a, true, testConfig(func(c *Config) {
			c.PingInterval, c.StallTimeout, c.IdleTimeout = time.Minute, time.Minute, 50*time.Millisecond
		}))
		require.NoError(t, err)
		rawHandshake(t, d, p)
		require.ErrorIs(t, running(t, context.Background(), p)(), ErrIdleTimeout)
	})
}

func TestHandlerPanicDisconnectsWithStack(t *testing.T) {
	in := testConfig(func(c *Config) {
		c.OnMessage = func(*Peer, string, []byte) error { panic("handler bug") }
	})
	po, pi := handshakePair(t, testConfig(), in)
	running(t, context.Background(), po)
	wait := running(t, context.Background(), pi)
	require.NoError(t, po.Send(context.Background(), "chat", []byte("x")))
	err := wait()
	require.ErrorIs(t, err, ErrHandlerFailed)
	var pe *lifecycle.PanicError
	require.ErrorAs(t, err, &pe)
	require.Contains(t, string(pe.Stack), "peer_test.go")
}

func TestFlushWaitsForTheWrite(t *testing.T) {
	var n atomic.Int32
	po, pi := handshakePair(t, testConfig(), testConfig(func(c *Config) {
		c.OnMessage = func(*Peer, string, []byte) error { n.Add(1); return nil }
	}))
	running(t, context.Background(), po)
	running(t, context.Background(), pi)
	for range 100 {
		require.NoError(t, po.Send(context.Background(), "chat", []byte("x")))
	}
	require.NoError(t, po.Flush(context.Background()))
	require.Equal(t, uint64(2+100), po.Stats().MsgsSent) // version, verack, 100 chats; no ping at the default interval
	po.Disconnect()
	require.ErrorIs(t, po.Flush(context.Background()), ErrDisconnected)
}

func TestCancelDuringHeavyTrafficReturnsPromptlyAndCountsEveryMessage(t *testing.T) {
	var received atomic.Uint64
	flowing := make(chan struct{}) // closed at the 10,000th message
	po, pi := handshakePair(t, testConfig(), testConfig(func(c *Config) {
		c.OnMessage = func(*Peer, string, []byte) error {
			if received.Add(1) == 10000 {
				close(flowing)
			}
			return nil
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	waitOut := running(t, ctx, po)
	waitIn := running(t, context.Background(), pi)
	var accepted atomic.Uint64
	var wg sync.WaitGroup
	payload := make([]byte, 200)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if err := po.Send(context.Background(), "chat", payload); err != nil {
					assert.ErrorIs(t, err, ErrDisconnected)
					return
				}
				accepted.Add(1)
			}
		}()
	}
	select {
	case <-flowing:
	case <-time.After(30 * time.Second):
		t.Fatalf("only %d messages arrived in 30 s", received.Load())
	}
	start := time.Now()
	cancel()
	err := waitOut()
	require.Less(t, time.Since(start), DefaultWriteTimeout/2, "Run returns at the cancel, not at a write deadline")
	require.ErrorIs(t, err, ErrCanceled)
	require.ErrorIs(t, err, context.Canceled)
	wg.Wait() // every sender is released by the disconnect
	require.ErrorIs(t, waitIn(), ErrDisconnected)
	s := po.Stats()
	require.Equal(t, accepted.Load(), s.MsgsSent-2+s.Dropped, "every accepted message is either written or counted as dropped")
	require.GreaterOrEqual(t, s.MsgsSent-2, received.Load())
}

// TestFramesWithinCountsWholeFrames: after a write that fails part way, the
// frames the connection took whole are sent, the cut one is not.
func TestFramesWithinCountsWholeFrames(t *testing.T) {
	c, _, err := testConfig().compile()
	require.NoError(t, err)
	b := c.appendFrame(nil, "chat", []byte("hello"))
	first := len(b)
	b = c.appendFrame(b, "chat", nil)
	b = c.appendFrame(b, "chat", []byte("world"))
	for n, want := range map[int]int{0: 0, HeaderSize: 0, first - 1: 0, first: 1, first + HeaderSize: 2, len(b) - 1: 2, len(b): 3} {
		assert.Equal(t, want, framesWithin(b[:n]), "%d of %d bytes", n, len(b))
	}
}
