package peer_test

import (
	"context"
	"fmt"
	"net"

	"nodekit.dev/nodekit/core/peer"
)

// Two peers over loopback TCP: handshake, one message, disconnect.
func Example() {
	got := make(chan string, 1)
	cfg := &peer.Config{
		Magic:    peer.Magic{'d', 'e', 'm', 'o'},
		Commands: map[string]uint32{"chat": 1024},
		OnMessage: func(p *peer.Peer, command string, payload []byte) error {
			got <- command + ": " + string(payload) // payload is only valid during the call
			return nil
		},
	}
	version := func(nonce uint64) peer.Version {
		return peer.Version{Protocol: 1, AppName: "demo", AppVersion: "1.0.0", Nonce: nonce}
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	served := make(chan error, 1)
	go func() { // the accepting side
		conn, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		p, _ := peer.New(conn, true, cfg)
		if err := p.Handshake(context.Background(), version(2), nil); err != nil {
			served <- err
			return
		}
		served <- p.Run(context.Background()) // until the remote disconnects
	}()

	conn, _ := net.Dial("tcp", ln.Addr().String())
	p, _ := peer.New(conn, false, cfg)
	err := p.Handshake(context.Background(), version(1), func(remote *peer.Version) error {
		fmt.Println("remote runs", remote.AppName, remote.AppVersion)
		return nil // an error here refuses the remote
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- p.Run(ctx) }()

	_ = p.Send(ctx, "chat", []byte("hello"))
	fmt.Println(<-got)
	cancel()
	fmt.Println("dialer:", <-ran)
	fmt.Println("acceptor:", <-served)
	// Output:
	// remote runs demo 1.0.0
	// chat: hello
	// dialer: ErrCanceled: run: context canceled
	// acceptor: ErrDisconnected: read: EOF
}
