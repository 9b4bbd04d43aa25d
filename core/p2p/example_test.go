package p2p_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"nodekit.dev/nodekit/core/p2p"
)

// Two nodes on loopback: b keeps a as a manual peer; a message broadcast by
// b reaches a's handler.
func Example() {
	got := make(chan string, 1)
	settings := p2p.Settings{
		Listen: []string{"tcp://127.0.0.1:0"}, OutboundSlots: 1, MaxPerIP: -1,
		Magic: []byte("demo"), AppName: "example", AppVersion: "1.0.0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	chat := p2p.Protocol{Command: "chat", MaxSize: 1024, Rate: 50, Relay: true, Handler: func(m p2p.Message) error {
		got <- string(m.Payload) // Payload is only valid during the call: string() copies it
		return nil
	}}

	a, err := p2p.New(settings)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = a.Register(chat)
	if err := a.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer a.Stop()

	settings.Peers = a.Addrs()
	b, _ := p2p.New(settings)
	_ = b.Register(chat)
	if err := b.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer b.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.WaitPeers(ctx, 1); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("b's peer is a", b.Peers()[0].Session, "peer")
	n, _ := b.Broadcast("chat", []byte("hello from b"))
	fmt.Println("broadcast to", n, "peer")
	fmt.Println("a got:", <-got)
	// Output:
	// b's peer is a manual peer
	// broadcast to 1 peer
	// a got: hello from b
}
