package p2p

import (
	"context"
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"nodekit.dev/nodekit/core/peer"
)

// runInbound accepts on the listeners bound by setup until ctx ends, then
// closes them and waits for the handshakes in flight (cancelled by ctx).
func (n *Node) runInbound(ctx context.Context) error {
	var wg sync.WaitGroup
	for i, ln := range n.listeners {
		tr := n.addrs[i].Transport
		wg.Go(func() { n.acceptLoop(ctx, ln, tr) })
	}
	<-ctx.Done()
	n.closeListeners()
	wg.Wait()
	return nil
}

func (n *Node) acceptLoop(ctx context.Context, ln net.Listener, transport string) {
	var wg sync.WaitGroup
	defer wg.Wait()
	pause := 5 * time.Millisecond
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			n.s.Logger.Warn("p2p: accept", "addr", ln.Addr().String(), "err", err)
			if !sleep(ctx, pause) { // out of file descriptors or the like: back off
				return
			}
			pause = min(2*pause, time.Second)
			continue
		}
		pause = 5 * time.Millisecond
		wg.Go(func() {
			if transport == TCPTLS {
				tc, err := n.upgrade(ctx, tls.Server(nc, n.tls))
				if err != nil {
					n.s.Logger.Debug("p2p: inbound TLS", "remote", nc.RemoteAddr().String(), "err", err)
					return
				}
				nc = tc
			}
			if _, err := n.serve(ctx, nc, SessionInbound, Addr{}); err != nil {
				n.s.Logger.Debug("p2p: inbound refused", "remote", nc.RemoteAddr().String(), "err", err)
			}
		})
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// jitter returns d ± 50%.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d)
}

// connectTo dials a and serves the connection in session.
func (n *Node) connectTo(ctx context.Context, a Addr, session string) (*conn, error) {
	nc, err := n.dial(ctx, a)
	if err != nil {
		return nil, err
	}
	return n.serve(ctx, nc, session, a)
}

// runManual keeps every manual peer connected: after a failure or a
// disconnect it waits an exponentially growing delay (ReconnectMin doubling
// up to ReconnectMax, ±50% jitter; back to ReconnectMin after a connection
// that outlived its delay) and dials again.
func (n *Node) runManual(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, a := range n.s.peers {
		wg.Go(func() {
			delay := n.s.ReconnectMin
			for ctx.Err() == nil {
				c, err := n.connectTo(ctx, a, SessionManual)
				if err == nil {
					since := time.Now()
					select {
					case <-c.p.Done():
					case <-ctx.Done():
						return
					}
					if time.Since(since) > delay {
						delay = n.s.ReconnectMin
					}
				} else if ctx.Err() == nil {
					n.s.Logger.Debug("p2p: manual peer", "addr", a.String(), "err", err)
				}
				if !sleep(ctx, jitter(delay)) {
					return
				}
				delay = min(2*delay, n.s.ReconnectMax)
			}
		})
	}
	<-ctx.Done() // with no manual peers, still a service until the node stops
	wg.Wait()
	return nil
}

// runOutbound fills the outbound slots from the address book, each slot
// dialing one address at a time and waiting while its peer is connected.
// A slot with nothing to try starts discovery and waits for new addresses.
func (n *Node) runOutbound(ctx context.Context) error {
	var wg sync.WaitGroup
	for range n.s.OutboundSlots {
		wg.Go(func() { n.outboundSlot(ctx) })
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

func (n *Node) outboundSlot(ctx context.Context) {
	for ctx.Err() == nil {
		changed := n.book.Changed()
		a, ok := n.pickAndReserve()
		if !ok {
			n.discover(ctx)
			t := time.NewTimer(jitter(n.s.DiscoveryInterval))
			select {
			case <-changed:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
			continue
		}
		n.book.Attempt(a)
		c, err := n.connectTo(ctx, a, SessionOutbound)
		n.mu.Lock()
		delete(n.dialing, a.String())
		n.mu.Unlock()
		if err != nil {
			var rej *peer.RejectError
			switch {
			case ctx.Err() != nil:
				return
			case errors.As(err, &rej) && (rej.Code == peer.RejectDuplicate || rej.Code == peer.RejectShutdown ||
				rej.Code == peer.RejectFull || rej.Code == peer.RejectTooManyIP):
				// reachable, just not now: the attempt's rest applies
			case errors.Is(err, peer.ErrSelfConnection):
				n.book.Remove(a)
			default:
				n.book.Failed(a)
			}
			continue
		}
		n.book.Good(a)
		select {
		case <-c.p.Done():
		case <-ctx.Done():
			return
		}
	}
}

// pickAndReserve picks an address no slot is dialing and no peer is
// connected from, and marks it as being dialed.
func (n *Node) pickAndReserve() (Addr, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a, ok := n.book.Pick(func(s string) bool {
		if _, busy := n.dialing[s]; busy || n.connAddrs[s] > 0 {
			return true
		}
		pa, err := ParseAddr(s)
		return err != nil || n.isSelf(pa) || n.bans.Banned(pa.Host())
	})
	if ok {
		n.dialing[a.String()] = struct{}{}
	}
	return a, ok
}

// discover asks for addresses, at most once per DiscoveryInterval: from
// the connected peers, or, with none connected or an empty book, from a
// seed.
func (n *Node) discover(ctx context.Context) {
	n.mu.Lock()
	if time.Since(n.lastDisc) < n.s.DiscoveryInterval {
		n.mu.Unlock()
		return
	}
	n.lastDisc = time.Now()
	n.mu.Unlock()
	cs := n.snapshot()
	untried, tried := n.book.Len()
	if len(cs) > 0 && untried+tried > 0 || len(n.s.seeds) == 0 {
		for _, c := range cs {
			c.p.TrySend(CmdGetAddr, nil)
		}
		return
	}
	n.seed(ctx)
}

// seed connects to the seeds in random order until one answers getaddr,
// then disconnects from it.
func (n *Node) seed(ctx context.Context) {
	for _, i := range rand.Perm(len(n.s.seeds)) {
		a := n.s.seeds[i]
		c, err := n.connectTo(ctx, a, SessionSeed)
		if err != nil {
			n.s.Logger.Debug("p2p: seed", "addr", a.String(), "err", err)
			continue
		}
		t := time.NewTimer(n.s.HandshakeTimeout)
		select {
		case <-c.gotAddr:
		case <-c.p.Done():
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		c.p.Disconnect()
		select {
		case <-c.gotAddr:
			return
		default:
		}
	}
}
