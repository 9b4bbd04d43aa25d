package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/p2p"
)

// addP2P adds a small p2p network on loopback to g: p2p-a listens, p2p-b
// keeps a as a manual peer, p2p-c finds its peers through a as a seed; then
// "gossip" broadcasts a line from c every second, relayed to a and b. Each
// node is a lifecycle.Service, started once the previous one runs (so its
// address is known) and stopped in reverse; address books are kept under dir.
func addP2P(g *lifecycle.Group, dir string, log *slog.Logger) error {
	var nodes [3]atomic.Pointer[p2p.Node]
	names := [3]string{"p2p-a", "p2p-b", "p2p-c"}
	for i, name := range names {
		svc := lifecycle.ReadyFunc(func(ctx context.Context) error {
			s := p2p.Settings{
				Listen: []string{"tcp://127.0.0.1:0"}, OutboundSlots: 2, MaxPerIP: -1,
				Magic: []byte("demo"), AppName: "nodekit-demo", AppVersion: "1.0.0",
				DataDir: filepath.Join(dir, name), DiscoveryInterval: time.Second,
				DrainTimeout: 500 * time.Millisecond, Logger: log.With("node", name),
			}
			switch i {
			case 1:
				s.Peers = nodes[0].Load().Addrs()
			case 2:
				s.Seeds = nodes[0].Load().Addrs()
			}
			n, err := p2p.New(s)
			if err != nil {
				return err
			}
			err = n.Register(p2p.Protocol{Command: "chat", MaxSize: 256, Rate: 10, Relay: true,
				Handler: func(m p2p.Message) error {
					fmt.Printf("%-12s got %q\n", name, m.Payload)
					return nil
				}})
			if err != nil {
				return err
			}
			nodes[i].Store(n)
			return n.Run(ctx) // ready (for the group) once the node is
		})
		if err := g.Add(name, svc); err != nil {
			return err
		}
	}
	return g.Add("gossip", lifecycle.ServiceFunc(func(ctx context.Context) error {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for beat := 1; ; beat++ {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				c := nodes[2].Load()
				sent, err := c.Broadcast("chat", fmt.Appendf(nil, "beat %d from p2p-c", beat))
				if err != nil {
					return err
				}
				fmt.Printf("%-12s beat %d broadcast to %d peers (%d connected)\n", "gossip", beat, sent, len(c.Peers()))
			}
		}
	}))
}
