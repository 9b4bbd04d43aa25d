package p2p

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"nodekit.dev/nodekit/core/lifecycle"
	"nodekit.dev/nodekit/core/peer"
	"nodekit.dev/nodekit/core/store"
)

// Session names, as PeerInfo.Session reports them.
const (
	SessionInbound  = "inbound"
	SessionOutbound = "outbound"
	SessionManual   = "manual"
	SessionSeed     = "seed"
)

const seenCacheSize = 1 << 16

// Node is a p2p node: listeners, manual, outbound and seed sessions, an
// address book and the application's protocols. It is a lifecycle.Service
// (Run), or use Start, Stop and Join.
//
// Run starts, in order: the address book (loaded from DataDir), the peer set,
// the broadcast drain, the manual, outbound and inbound sessions; each as a
// service of an internal lifecycle.Group whose events go to the observers
// given to Observe. Stopping runs it in reverse: stop accepting, stop dialing
// (in-flight handshakes are cancelled), drain queued messages (bounded by
// DrainTimeout), disconnect every peer gracefully (it writes what is still
// queued, half-closes and waits, at most the peer's WriteTimeout, for the
// remote to close, delivering what the remote sends meanwhile; see
// peer.Peer.Run) and wait for its goroutines, save the address book. So a
// message Broadcast accepted before Stop has reached the remote's handler
// when Stop returns, unless it is counted in Stats.Dropped.
type Node struct {
	s *settings

	mu        sync.Mutex
	protos    map[string]*Protocol
	observers []observer
	running   bool
	handle    *lifecycle.Handle

	// Per Run; set up before the internal group starts.
	nonce     uint64
	pcfg      *peer.Config
	tls       *tls.Config
	book      *addrBook
	bans      *banList
	seen      *seenCache
	store     *store.FilesystemPersister
	listeners []net.Listener
	addrs     []Addr // actual listen addresses
	id        string // peer.KeyID of this run's key
	local     peer.Version

	// Guarded by mu.
	conns     map[*conn]struct{}
	byID      map[string]*conn
	nonces    map[uint64]int
	perIP     map[string]int
	connAddrs map[string]int // dial and advertised addresses of connected peers
	dialing   map[string]struct{}
	nIn, nOut int
	stopping  bool
	peerCtx   context.Context
	peerWG    sync.WaitGroup
	lastDisc  time.Time
	changed   chan struct{} // closed and replaced when a peer connects or disconnects

	dropped atomic.Uint64 // Stats.Dropped of peers already gone
	relayed atomic.Uint64
	evicted atomic.Uint64
}

type observer struct {
	priority int
	obs      lifecycle.Observer
}

// conn is the node's state for one connected peer.
type conn struct {
	p        *peer.Peer
	session  string
	host     string // remote IP
	dialAddr Addr   // for outbound, manual and seed sessions
	listen   Addr   // what the remote announced, with its real IP
	buckets  map[string]*bucket
	getaddr  bucket
	gotAddr  chan struct{} // seed: closed on the first addr message
	gotOnce  sync.Once
	cb       *lifecycle.Callbacks // handlers run as callbacks of the node's handle
	since    time.Time            // when it was registered; guarded by Node.mu
	evicted  bool                 // its inbound slot went to a newcomer; guarded by Node.mu
}

// New checks s and returns a node that is not yet running.
func New(s Settings) (*Node, error) {
	ns, err := s.check()
	if err != nil {
		return nil, err
	}
	return &Node{s: ns, protos: map[string]*Protocol{}}, nil
}

// Register adds an application protocol; it fails while the node runs, for
// a reserved or already registered command, and for bad limits.
func (n *Node) Register(p Protocol) error {
	if n.s == nil {
		return errZeroNode
	}
	if err := p.check(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running {
		return fmt.Errorf("register %q: %w", p.Command, ErrRunning)
	}
	if _, dup := n.protos[p.Command]; dup {
		return fmt.Errorf("%w: %q", ErrDuplicate, p.Command)
	}
	n.protos[p.Command] = &p
	return nil
}

// Observe adds a lifecycle observer of the node's internal services
// ("addrbook", "peers", "broadcast", "manual", "outbound", "inbound"). It
// applies from the next Run.
func (n *Node) Observe(priority int, obs lifecycle.Observer) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.observers = append(n.observers, observer{priority, obs})
}

// SignalsReady reports true: Run is ready once every session runs and the
// listeners accept.
func (n *Node) SignalsReady() bool { return true }

// Start runs the node in the background and returns once it is running, or
// with the error that stopped its start (a listener that cannot bind, a
// corrupt address book, ...).
func (n *Node) Start() error {
	n.mu.Lock()
	if n.handle != nil && !n.handle.State().Terminal() {
		n.mu.Unlock()
		return ErrRunning
	}
	h := lifecycle.Start("p2p", n)
	n.handle = h
	n.mu.Unlock()
	if err := h.AwaitRunning(context.Background()); err != nil {
		return err
	}
	return nil
}

// Stop stops a node started with Start and returns what Run returned; it is
// idempotent.
func (n *Node) Stop() error {
	n.mu.Lock()
	h := n.handle
	n.mu.Unlock()
	if h == nil {
		return ErrNotRunning
	}
	return h.Stop()
}

// Join waits for a node started with Start to end and returns what Run
// returned.
func (n *Node) Join() error {
	n.mu.Lock()
	h := n.handle
	n.mu.Unlock()
	if h == nil {
		return ErrNotRunning
	}
	return h.Join()
}

// errZeroNode: a Node that did not come from New.
var errZeroNode = &SettingError{Setting: "Settings", Reason: "node not made by p2p.New"}

// Run runs the node until ctx is cancelled or a part fails; see Node.
func (n *Node) Run(ctx context.Context) error {
	if n.s == nil {
		return errZeroNode
	}
	n.mu.Lock()
	if n.running {
		n.mu.Unlock()
		return ErrRunning
	}
	n.running = true
	observers := slices.Clone(n.observers)
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.running = false
		n.mu.Unlock()
	}()
	if err := n.setup(); err != nil {
		return err
	}
	g := lifecycle.NewGroup(lifecycle.WithLogger(n.s.Logger),
		lifecycle.WithGroupStopTimeout(n.s.DrainTimeout+n.s.HandshakeTimeout+10*time.Second))
	for _, o := range observers {
		g.Observe(o.priority, o.obs)
	}
	for _, svc := range []struct {
		name string
		svc  lifecycle.Service
	}{
		{"addrbook", lifecycle.ReadyFunc(n.runBook)},
		{"peers", lifecycle.ReadyFunc(n.runPeers)},
		{"broadcast", lifecycle.ReadyFunc(n.runDrain)},
		{"manual", lifecycle.ServiceFunc(n.runManual)},
		{"outbound", lifecycle.ServiceFunc(n.runOutbound)},
		{"inbound", lifecycle.ServiceFunc(n.runInbound)},
	} {
		if err := g.Add(svc.name, svc.svc); err != nil {
			n.closeListeners()
			return err
		}
	}
	err := g.Run(ctx)
	n.closeListeners()
	return err
}

// setup builds the per-run state and binds the listeners, so the address we
// announce is known before any session dials.
func (n *Node) setup() error {
	s := n.s
	key := s.Key
	if key == nil {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		key = k
	}
	cert, err := selfSigned(key)
	if err != nil {
		return err
	}
	id, err := peer.KeyID(key.Public())
	if err != nil {
		return err
	}
	cmds := map[string]uint32{CmdGetAddr: 0, CmdAddr: maxAddrPayload}
	maxPayload := uint32(maxAddrPayload)
	for name, p := range n.protos {
		cmds[name] = p.wireSize()
		maxPayload = max(maxPayload, p.wireSize())
	}
	var nb [8]byte
	rand.Read(nb[:])
	n.nonce = binary.LittleEndian.Uint64(nb[:]) | 1
	n.tls = tlsConfig(cert)
	n.book = newAddrBook()
	n.bans = newBanList(s.BanThreshold, s.BanHalfLife, s.BanDuration)
	n.seen = newSeenCache(seenCacheSize)
	n.pcfg = &peer.Config{
		Magic: s.magic, Commands: cmds, MaxPayload: maxPayload, MinProtocol: s.MinProtocol,
		HandshakeTimeout: s.HandshakeTimeout, PingInterval: s.PingInterval, StallTimeout: s.StallTimeout,
		IdleTimeout: s.IdleTimeout, QueueSize: s.QueueSize, OnMessage: n.onMessage, Logger: s.Logger,
	}
	n.mu.Lock()
	n.conns, n.byID, n.nonces = map[*conn]struct{}{}, map[string]*conn{}, map[uint64]int{}
	n.perIP, n.connAddrs, n.dialing = map[string]int{}, map[string]int{}, map[string]struct{}{}
	n.nIn, n.nOut, n.stopping, n.peerCtx, n.lastDisc = 0, 0, false, nil, time.Time{}
	if n.changed == nil {
		n.changed = make(chan struct{})
	}
	n.mu.Unlock()
	n.store = nil
	if s.DataDir != "" {
		if n.store, err = store.NewFilesystemPersister(s.DataDir); err != nil {
			return &SettingError{Setting: "DataDir", Reason: err.Error()}
		}
	}
	n.listeners = nil
	var lc net.ListenConfig
	var addrs []Addr
	for _, a := range s.listen {
		ln, err := lc.Listen(context.Background(), "tcp", a.HostPort)
		if err != nil {
			n.closeListeners()
			return fmt.Errorf("p2p: listen on %s: %w", a, err)
		}
		n.listeners = append(n.listeners, ln)
		addrs = append(addrs, Addr{Transport: a.Transport, HostPort: ln.Addr().String()})
	}
	n.mu.Lock()
	n.addrs, n.id = addrs, id
	n.mu.Unlock()
	n.local = peer.Version{Protocol: s.Protocol, AppName: s.AppName, AppVersion: s.AppVersion,
		Nonce: n.nonce, UserAgent: s.UserAgent}
	switch {
	case s.external != (Addr{}):
		n.local.ListenAddr = s.external.String()
	case len(n.addrs) > 0:
		n.local.ListenAddr = n.addrs[0].String()
	}
	return nil
}

func (n *Node) closeListeners() {
	for _, ln := range n.listeners {
		ln.Close()
	}
}

// Addrs returns the addresses the node listens on (with the actual ports),
// while it runs.
func (n *Node) Addrs() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.running {
		return nil
	}
	out := make([]string, len(n.addrs))
	for i, a := range n.addrs {
		out[i] = a.String()
	}
	return out
}

// ID is the node's identity over tcp+tls, peer.KeyID of its key (of
// Settings.Key, or of the key made for this run), while it runs; what other
// nodes see as its PeerInfo.ID and put in their TrustedKeys.
func (n *Node) ID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.running {
		return ""
	}
	return n.id
}

// runBook loads the address book, and saves it when it is stopped, last.
func (n *Node) runBook(ctx context.Context) error {
	if n.store != nil {
		if err := n.book.load(n.store); err != nil {
			return err
		}
	}
	lifecycle.Ready(ctx)
	<-ctx.Done()
	if n.store != nil {
		return n.book.save(n.store)
	}
	return nil
}

// runPeers owns the connected peers: their Run context is this service's,
// so stopping it disconnects them all; it returns when every peer's
// goroutines have exited.
func (n *Node) runPeers(ctx context.Context) error {
	n.mu.Lock()
	n.peerCtx = ctx
	n.mu.Unlock()
	lifecycle.Ready(ctx)
	<-ctx.Done()
	n.mu.Lock()
	n.stopping = true
	n.mu.Unlock()
	n.peerWG.Wait()
	return nil
}

// runDrain, when stopped, waits (at most DrainTimeout) until every peer has
// written what was queued for it.
func (n *Node) runDrain(ctx context.Context) error {
	lifecycle.Ready(ctx)
	<-ctx.Done()
	dctx, cancel := context.WithTimeout(context.Background(), n.s.DrainTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, c := range n.snapshot() {
		wg.Go(func() { c.p.Flush(dctx) })
	}
	wg.Wait()
	return nil
}

func (n *Node) snapshot() []*conn {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*conn, 0, len(n.conns))
	for c := range n.conns {
		out = append(out, c)
	}
	return out
}

func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	h, _, _ := net.SplitHostPort(a.String())
	return h
}

// errShutdown: a connection arrived or completed while the node stops.
var errShutdown = errors.New("p2p: node is stopping")

// serve takes a new connection through the limits and the handshake and, on
// success, registers it and runs it until it ends. ctx bounds the handshake
// only (it is the session's context).
func (n *Node) serve(ctx context.Context, nc net.Conn, session string, dialAddr Addr) (*conn, error) {
	inbound := session == SessionInbound
	host := hostOf(nc.RemoteAddr())
	p, err := peer.New(nc, inbound, n.pcfg)
	if err != nil {
		return nil, err
	}
	code, reason := peer.RejectCode(0), ""
	n.mu.Lock()
	switch {
	case n.stopping || n.peerCtx == nil:
		code, reason = peer.RejectShutdown, "node is stopping"
	case n.s.trusted != nil && !n.s.trusted[p.ID()]:
		code, reason = peer.RejectUntrusted, "key not trusted"
	case inbound && n.bans.Banned(host):
		code, reason = peer.RejectBanned, "banned"
	case inbound && n.s.MaxInbound < 0:
		code, reason = peer.RejectFull, "inbound connections not accepted"
	case n.s.MaxPerIP > 0 && n.perIP[host] >= n.s.MaxPerIP:
		code, reason = peer.RejectTooManyIP, fmt.Sprintf("%d connections from %s, limit %d", n.perIP[host], host, n.s.MaxPerIP)
	}
	var victim *conn
	if code == 0 && inbound && n.nIn >= n.s.MaxInbound {
		if victim = n.evictLocked(); victim == nil {
			code, reason = peer.RejectFull, fmt.Sprintf("%d inbound peers (none connected yet to give way), limit %d", n.nIn, n.s.MaxInbound)
		}
	}
	if code == 0 {
		n.perIP[host]++
		if inbound {
			n.nIn++
		}
	}
	n.mu.Unlock()
	if victim != nil {
		n.s.Logger.Debug("p2p: inbound full, evicted the youngest inbound peer", "peer", victim.p.ID(), "for", nc.RemoteAddr().String())
		victim.p.Disconnect()
	}
	if code != 0 {
		p.Reject(code, reason)
		return nil, p.Err()
	}
	release := func() {
		n.mu.Lock()
		n.releaseLocked(host, inbound)
		n.mu.Unlock()
	}
	c := &conn{p: p, session: session, host: host, dialAddr: dialAddr, buckets: map[string]*bucket{},
		getaddr: bucket{rate: 1, burst: 4, tokens: 4, at: time.Now()}}
	if session == SessionSeed {
		c.gotAddr = make(chan struct{})
	}
	now := time.Now()
	for name, pr := range n.protos {
		if pr.Rate > 0 {
			c.buckets[name] = &bucket{rate: pr.Rate, burst: float64(pr.Burst), tokens: float64(pr.Burst), at: now}
		}
	}
	p.SetData(c)
	err = p.Handshake(ctx, n.local, func(v *peer.Version) error {
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.nonces[v.Nonce] > 0 {
			return &peer.RejectError{Code: peer.RejectDuplicate, Reason: "already connected"}
		}
		if n.stopping {
			return &peer.RejectError{Code: peer.RejectShutdown, Reason: "node is stopping"}
		}
		return nil
	})
	if err != nil {
		release()
		return nil, err
	}
	if la, err := ParseAddr(p.Remote().ListenAddr); err == nil && p.Remote().ListenAddr != "" {
		c.listen = la.withHost(host)
	}
	n.mu.Lock()
	if n.stopping {
		n.releaseLocked(host, inbound)
		n.mu.Unlock()
		p.Disconnect()
		return nil, errShutdown
	}
	c.since = time.Now()
	n.conns[c] = struct{}{}
	n.byID[p.ID()] = c
	n.nonces[p.Remote().Nonce]++
	for _, a := range c.addrKeys() {
		n.connAddrs[a]++
	}
	if session == SessionOutbound {
		n.nOut++
	}
	n.peerWG.Add(1)
	peerCtx := n.peerCtx
	n.signalLocked()
	n.mu.Unlock()
	if inbound && c.listen != (Addr{}) {
		n.book.Add(c.listen)
	}
	if session == SessionOutbound || session == SessionSeed {
		p.TrySend(CmdGetAddr, nil)
	}
	go n.runConn(peerCtx, c)
	return c, nil
}

func (n *Node) signalLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// WaitPeers blocks until at least count peers are connected (seed
// connections included) or ctx ends (ctx.Err()). It wakes on every connect
// and disconnect; it does not poll.
func (n *Node) WaitPeers(ctx context.Context, count int) error {
	for {
		n.mu.Lock()
		if n.changed == nil {
			n.changed = make(chan struct{})
		}
		have, wake := len(n.conns), n.changed
		n.mu.Unlock()
		if have >= count {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *conn) addrKeys() []string {
	var out []string
	if c.dialAddr != (Addr{}) {
		out = append(out, c.dialAddr.String())
	}
	if c.listen != (Addr{}) && c.listen != c.dialAddr {
		out = append(out, c.listen.String())
	}
	return out
}

// evictLocked picks the inbound peer that connected last, hands its
// inbound slot over (nIn drops now, so a newcomer takes it) and returns it
// for the caller to disconnect; nil if no inbound peer is connected yet
// (every slot is a handshake in flight). The youngest goes so that
// long-lived connections survive and a newcomer flooding a node evicts its
// own connections first.
func (n *Node) evictLocked() *conn {
	var victim *conn
	for c := range n.conns {
		if c.session == SessionInbound && !c.evicted && (victim == nil || c.since.After(victim.since)) {
			victim = c
		}
	}
	if victim != nil {
		victim.evicted = true
		n.nIn--
		n.evicted.Add(1)
	}
	return victim
}

func (n *Node) releaseLocked(host string, inbound bool) {
	if n.perIP[host]--; n.perIP[host] <= 0 {
		delete(n.perIP, host)
	}
	if inbound {
		n.nIn--
	}
}

// Misbehaviour scores by what ended a connection.
var misbehaviour = map[peer.ErrorKind]float64{
	peer.ErrBadMagic: 100, peer.ErrBadCommand: 50, peer.ErrUnknownCommand: 50,
	peer.ErrPayloadTooLarge: 50, peer.ErrBadChecksum: 50, peer.ErrMalformed: 50,
}

// rateScore is what each message over its protocol's rate limit adds.
const rateScore = 10

func (n *Node) runConn(ctx context.Context, c *conn) {
	defer n.peerWG.Done()
	// The handlers run on this goroutine (the peer's reader): as callbacks,
	// so that a Stop called from one returns at once instead of waiting for
	// the handler that called it.
	c.cb = lifecycle.NewCallbacks(ctx)
	defer c.cb.Close()
	err := c.p.Run(ctx)
	n.dropped.Add(c.p.Stats().Dropped) // final: Run has returned
	n.mu.Lock()
	delete(n.conns, c)
	if n.byID[c.p.ID()] == c {
		delete(n.byID, c.p.ID())
	}
	if n.nonces[c.p.Remote().Nonce]--; n.nonces[c.p.Remote().Nonce] <= 0 {
		delete(n.nonces, c.p.Remote().Nonce)
	}
	for _, a := range c.addrKeys() {
		if n.connAddrs[a]--; n.connAddrs[a] <= 0 {
			delete(n.connAddrs, a)
		}
	}
	if c.session == SessionOutbound {
		n.nOut--
	}
	n.releaseLocked(c.host, c.session == SessionInbound && !c.evicted) // an evicted peer's slot was handed over
	n.signalLocked()
	n.mu.Unlock()
	var pe *peer.Error
	if errors.As(err, &pe) {
		if score := misbehaviour[pe.Kind]; score > 0 {
			n.misbehave(c, score, pe.Error())
		}
	}
}

// misbehave raises c's host's ban score; a ban disconnects it and forgets
// its address.
func (n *Node) misbehave(c *conn, score float64, why string) {
	if n.bans.Add(c.host, score) {
		n.s.Logger.Warn("p2p: banned", "host", c.host, "peer", c.p.ID(), "why", why)
		c.p.Disconnect()
		if c.listen != (Addr{}) {
			n.book.Remove(c.listen)
		}
	}
}

// onMessage is every peer's OnMessage.
func (n *Node) onMessage(p *peer.Peer, cmd string, payload []byte) error {
	c := p.Data().(*conn)
	switch cmd {
	case CmdGetAddr:
		if !c.getaddr.take(time.Now()) {
			return nil // asked too often: ignored
		}
		exclude := c.listen.String()
		addrs := n.book.Sample(addrsPerReply, func(a string) bool { return a == exclude })
		p.TrySend(CmdAddr, encodeAddrs(addrs))
		return nil
	case CmdAddr:
		list, err := decodeAddrs(payload)
		if err != nil {
			n.misbehave(c, 50, err.Error())
			return err
		}
		var add []Addr
		for _, s := range list {
			if a, err := ParseAddr(s); err == nil && !n.isSelf(a) {
				add = append(add, a)
			}
		}
		n.book.Add(add...)
		if c.gotAddr != nil {
			c.gotOnce.Do(func() { close(c.gotAddr) })
		}
		return nil
	}
	pr := n.protos[cmd] // read-only while running
	if b := c.buckets[cmd]; b != nil && !b.take(time.Now()) {
		n.misbehave(c, rateScore, "over the rate limit of "+cmd)
		return nil
	}
	body := payload
	if pr.Relay {
		if len(payload) < relayHeaderSize {
			n.misbehave(c, 50, "relayed message without id")
			return errors.New("p2p: relayed " + cmd + " without its id")
		}
		id := binary.LittleEndian.Uint64(payload)
		if id == 0 || !n.seen.Mark(id) {
			return nil
		}
		body = payload[relayHeaderSize:]
		fwd := slices.Clone(payload)
		defer n.forward(c, cmd, fwd)
	}
	if pr.Handler != nil {
		return c.cb.Call(func() error { return pr.Handler(Message{Peer: p.ID(), Command: cmd, Payload: body}) })
	}
	return nil
}

// forward relays a gossiped frame to every peer but the one it came from.
func (n *Node) forward(from *conn, cmd string, payload []byte) {
	for _, c := range n.snapshot() {
		if c != from && c.session != SessionSeed {
			if c.p.TrySend(cmd, payload) == nil {
				n.relayed.Add(1)
			}
		}
	}
}

func (n *Node) isSelf(a Addr) bool {
	if a.String() == n.local.ListenAddr {
		return true
	}
	return slices.Contains(n.addrs, a)
}

// Broadcast sends a message of a registered protocol to every connected
// peer (seed connections excepted) and returns how many accepted it. For a
// Relay protocol it is gossiped onwards (see Protocol.Relay). A peer whose
// send queue is full is skipped: the message is not queued for it, which
// its Stats.QueueFull counts.
func (n *Node) Broadcast(command string, payload []byte) (int, error) {
	pr, err := n.protoFor(command, payload)
	if err != nil {
		return 0, err
	}
	if pr.Relay {
		payload = n.relayFrame(payload)
	}
	sent := 0
	for _, c := range n.snapshot() {
		if c.session != SessionSeed && c.p.TrySend(command, payload) == nil {
			sent++
		}
	}
	return sent, nil
}

// relayFrame prefixes payload with a new broadcast id, marked as seen so
// the gossip does not come back to us.
func (n *Node) relayFrame(payload []byte) []byte {
	id := mrand.Uint64() | 1
	n.seen.Mark(id)
	framed := make([]byte, relayHeaderSize+len(payload))
	binary.LittleEndian.PutUint64(framed, id)
	copy(framed[relayHeaderSize:], payload)
	return framed
}

func (n *Node) protoFor(command string, payload []byte) (*Protocol, error) {
	n.mu.Lock()
	running := n.running && n.peerCtx != nil
	n.mu.Unlock()
	if !running {
		return nil, ErrNotRunning
	}
	pr := n.protos[command]
	if pr == nil {
		return nil, &peer.Error{Kind: peer.ErrUnknownCommand, Description: fmt.Sprintf("%q is not registered", command)}
	}
	if len(payload) > int(pr.MaxSize) {
		return nil, &peer.Error{Kind: peer.ErrPayloadTooLarge, Description: fmt.Sprintf("%q: %d bytes, MaxSize %d", command, len(payload), pr.MaxSize)}
	}
	return pr, nil
}

// Send queues a message for one peer, waiting for room in its queue until
// ctx ends (see peer.Peer.Send). A relayed protocol's message sent this way
// is delivered to that peer and gossiped from there.
func (n *Node) Send(ctx context.Context, peerID, command string, payload []byte) error {
	pr, err := n.protoFor(command, payload)
	if err != nil {
		return err
	}
	n.mu.Lock()
	c := n.byID[peerID]
	n.mu.Unlock()
	if c == nil {
		return fmt.Errorf("%w: %s", ErrUnknownPeer, peerID)
	}
	if pr.Relay {
		payload = n.relayFrame(payload)
	}
	return c.p.Send(ctx, command, payload)
}

// Disconnect disconnects the peer with that ID; it reports whether there
// was one.
func (n *Node) Disconnect(peerID string) bool {
	n.mu.Lock()
	c := n.byID[peerID]
	n.mu.Unlock()
	if c != nil {
		c.p.Disconnect()
	}
	return c != nil
}

// PeerInfo describes one connected peer.
type PeerInfo struct {
	ID         string // peer.Peer.ID: the key's ID over tcp+tls, the remote address over tcp
	RemoteAddr string
	ListenAddr string // the address the peer announced, with its real IP ("" if none)
	Session    string // SessionInbound, SessionOutbound, SessionManual or SessionSeed
	Version    peer.Version
	Stats      peer.Stats
	BanScore   float64
}

// Peers returns a snapshot of the connected peers, sorted by ID.
func (n *Node) Peers() []PeerInfo {
	cs := n.snapshot()
	out := make([]PeerInfo, 0, len(cs))
	for _, c := range cs {
		info := PeerInfo{ID: c.p.ID(), RemoteAddr: c.p.RemoteAddr().String(), Session: c.session,
			Version: *c.p.Remote(), Stats: c.p.Stats(), BanScore: n.bans.Score(c.host)}
		if c.listen != (Addr{}) {
			info.ListenAddr = c.listen.String()
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b PeerInfo) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// Stats are a node's counters.
type Stats struct {
	Peers, Inbound, Outbound int // connected now (Outbound: the slots' peers)
	Untried, Tried           int // the address book
	// Dropped counts messages accepted for peers that disconnected before
	// writing them, over the node's life, the connected peers included.
	Dropped uint64
	// Relayed counts gossiped messages forwarded to a peer.
	Relayed uint64
	// Evicted counts inbound peers disconnected to make room for a newcomer
	// while MaxInbound was reached.
	Evicted uint64
}

// Stats returns a snapshot of the node's counters.
func (n *Node) Stats() Stats {
	var s Stats
	cs := n.snapshot()
	n.mu.Lock()
	s.Peers, s.Outbound = len(cs), n.nOut
	n.mu.Unlock()
	for _, c := range cs {
		if c.session == SessionInbound {
			s.Inbound++
		}
		s.Dropped += c.p.Stats().Dropped
	}
	if n.book != nil {
		s.Untried, s.Tried = n.book.Len()
	}
	s.Dropped += n.dropped.Load()
	s.Relayed = n.relayed.Load()
	s.Evicted = n.evicted.Load()
	return s
}

// BanScore is the current misbehaviour score of a remote host (an IP).
func (n *Node) BanScore(host string) float64 {
	if n.bans == nil {
		return 0
	}
	return n.bans.Score(host)
}

// Banned reports whether a remote host is banned now.
func (n *Node) Banned(host string) bool { return n.bans != nil && n.bans.Banned(host) }
