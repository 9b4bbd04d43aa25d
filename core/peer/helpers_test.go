package peer

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testMagic = Magic{'t', 'e', 's', 't'}

func testConfig(mod ...func(*Config)) *Config {
	c := &Config{Magic: testMagic, Commands: map[string]uint32{"chat": 1024, "big": 256 << 10}}
	for _, m := range mod {
		m(c)
	}
	return c
}

func testVersion(nonce uint64) Version {
	return Version{Protocol: 1, AppName: "test", AppVersion: "1.2.0", Nonce: nonce, UserAgent: "peer_test"}
}

// tcpPair returns the two ends of a real loopback TCP connection.
func tcpPair(t testing.TB) (dialed, accepted net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	a := <-acc
	require.NotNil(t, a)
	t.Cleanup(func() { d.Close(); a.Close() })
	return d, a
}

// handshakePair returns two peers that completed their handshake.
func handshakePair(t testing.TB, out, in *Config) (*Peer, *Peer) {
	t.Helper()
	d, a := tcpPair(t)
	po, err := New(d, false, out)
	require.NoError(t, err)
	pi, err := New(a, true, in)
	require.NoError(t, err)
	errs := make(chan error, 1)
	go func() { errs <- pi.Handshake(context.Background(), testVersion(2), nil) }()
	require.NoError(t, po.Handshake(context.Background(), testVersion(1), nil))
	require.NoError(t, <-errs)
	return po, pi
}

// running starts p.Run and returns a function that waits for its result.
func running(t testing.TB, ctx context.Context, p *Peer) func() error {
	t.Helper()
	res := make(chan error, 1)
	go func() { res <- p.Run(ctx) }()
	var once sync.Once
	var err error
	wait := func() error {
		once.Do(func() {
			select {
			case err = <-res:
			case <-time.After(5 * time.Second):
				t.Fatalf("Run of %s did not return", p.ID())
			}
		})
		return err
	}
	t.Cleanup(func() { p.Disconnect(); wait() })
	return wait
}

// rawFrame encodes a frame with the given magic, command field and payload.
func rawFrame(magic Magic, cmd string, payload []byte) []byte {
	c := codec{magic: magic}
	return c.appendFrame(nil, cmd, payload)
}
