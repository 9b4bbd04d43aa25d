// Package p2p is a peer-to-peer node built on core/peer: listeners,
// manual, outbound and seed sessions, an address book, and a registry of
// application protocols with broadcast.
//
// # Running a node
//
//	n, err := p2p.New(settings)          // a bad setting is a *SettingError naming it
//	err = n.Register(p2p.Protocol{...})  // before it runs
//	err = n.Start()                      // or use n as a lifecycle.Service: n.Run(ctx)
//	...
//	err = n.Stop()
//
// Inside, Run is a lifecycle.Group of six services started in this order
// and stopped in reverse (observers given to Observe see their events):
//
//	addrbook   loads the book from DataDir; on stop, saves it (last)
//	peers      owns every connected peer; on stop, disconnects them and waits
//	broadcast  on stop, waits up to DrainTimeout for queued messages to be written
//	manual     keeps Settings.Peers connected, exponential backoff with jitter
//	outbound   fills OutboundSlots from the address book; discovery; seeds
//	inbound    accepts; on stop, stops accepting (first)
//
// So a stop is: stop accepting, stop dialing (handshakes in flight are
// cancelled), drain, disconnect, save the address book. Every goroutine has
// exited when Run returns.
//
// # Sessions
//
// Inbound connections are refused, with a reject message giving the code
// and reason, while the node stops, from a banned IP, beyond MaxPerIP, and
// for a node already connected (same nonce). At MaxInbound (counting
// handshakes in flight) a newcomer evicts the inbound peer that connected
// last, and is refused only if every slot is still handshaking: a full
// node never locks out a newcomer that knows no one else (a full seed
// would otherwise leave it with an empty book for good), and long-lived
// connections are the last to go. Outbound slots pick addresses from the book and
// ask their new peers for more (getaddr/addr). A slot with nothing to try
// starts a discovery round, at most every DiscoveryInterval: getaddr to the
// connected peers or, when none is connected or the book is empty, a seed
// session: connect to a seed, ask for addresses, disconnect.
//
// # Identity
//
// Over tcp+tls both sides present a self-signed ed25519 certificate and a
// peer's ID is peer.KeyID of its key; Settings.TrustedKeys limits the node
// to the keys it lists (everything else is refused with
// peer.RejectUntrusted). Over tcp a peer's ID is its remote address.
//
// # Address book
//
// Untried addresses (heard of) and tried ones (handshake succeeded). A full
// tried table does not evict on arrival: its oldest entry is tested first
// and only replaced if that dial fails. Addresses that keep failing rest for
// exponentially longer and, untried, are forgotten after five failures.
//
// # Protocols
//
// An application registers each message type with its size limit, rate
// limit and handler. Frames above the size limit are refused before their
// payload is read; messages above the rate are dropped and raise the
// sender's ban score; a handler error or panic disconnects that peer only.
// Broadcast sends to all peers; with Relay, every node delivers a message
// once and forwards it once (a seen-message cache keyed by a random id).
//
// # Misbehaviour
//
// Malformed frames, wrong magic, oversized or too frequent messages raise a
// per-IP score that halves every BanHalfLife; at BanThreshold the IP is
// banned for BanDuration: its peers are disconnected and it is refused.
//
// # Nothing lost, nothing hidden
//
// Send waits for room in the peer's queue only as long as the caller's ctx;
// Broadcast never waits and skips a peer whose queue is full (counted in its
// Stats.QueueFull). A message accepted for a peer that disconnects before
// writing it is counted in Stats.Dropped.
package p2p
