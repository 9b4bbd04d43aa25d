package p2p

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"nodekit.dev/nodekit/core/peer"
)

// Settings configure a Node. New checks them and fills in the defaults of
// zero fields; a bad setting is a *SettingError naming it.
type Settings struct {
	// Listen are the addresses to accept connections on, e.g.
	// "tcp://127.0.0.1:0" (port 0: any free port; see Node.Addrs).
	Listen []string
	// ExternalAddr is the address announced to peers (default: the first
	// listener's actual address).
	ExternalAddr string
	// Peers are manual peers: always connected, reconnected with exponential
	// backoff and jitter, outside the outbound slots.
	Peers []string
	// Seeds are asked for addresses (connect, getaddr, disconnect) whenever
	// the outbound slots find no address to try and no peer is connected.
	Seeds []string
	// OutboundSlots is how many outbound connections to keep, filled from the
	// address book. Zero is valid only with Peers. A slot never dials a node
	// already connected either way, so in a network of N nodes a node can
	// reach its target only if MaxInbound ≤ N−1−OutboundSlots.
	OutboundSlots int
	// MaxInbound caps inbound connections (including those still
	// handshaking). Default 64; negative: accept none. A connection that
	// arrives when the cap is reached evicts the inbound peer that connected
	// last (Stats.Evicted), so a newcomer whose only contact is a full seed
	// still gets addresses; it is refused (peer.RejectFull) only when every
	// inbound slot is a handshake in flight.
	MaxInbound int
	// MaxPerIP caps connections, both ways, per remote IP. Default 8;
	// negative: no cap (loopback networks need that).
	MaxPerIP int

	// Magic is the network's 4 bytes (required): nodes with different magics
	// never talk.
	Magic []byte
	// AppName and AppVersion ("major.minor[.patch]") must be compatible with
	// the remote's (see peer.Version).
	AppName, AppVersion string
	// Protocol is our protocol version (default 1); MinProtocol the lowest
	// accepted.
	Protocol, MinProtocol uint32
	// UserAgent is free text sent in the handshake.
	UserAgent string
	// Key is the node's identity for tcp+tls (default: a new key per Run).
	// Over tcp+tls a peer's ID is peer.KeyID of its key.
	Key ed25519.PrivateKey
	// TrustedKeys, if set, are the only peer IDs (peer.KeyID values,
	// "key:" and 32 hex digits) the node talks to, both ways: it then
	// refuses plain tcp connections and tcp+tls peers with another key
	// (peer.RejectUntrusted).
	TrustedKeys []string

	DialTimeout      time.Duration // per dial (default 5 s)
	HandshakeTimeout time.Duration // per handshake, TLS included (default peer.DefaultHandshakeTimeout)
	PingInterval     time.Duration // default peer.DefaultPingInterval
	StallTimeout     time.Duration // default peer.DefaultStallTimeout
	IdleTimeout      time.Duration // default peer.DefaultIdleTimeout
	// ReconnectMin and ReconnectMax bound the manual peers' backoff
	// (defaults 1 s and 2 min); each wait is the doubled previous one, with
	// ±50% jitter.
	ReconnectMin, ReconnectMax time.Duration
	// DiscoveryInterval is the shortest time between two rounds of address
	// discovery (getaddr to the connected peers, or a seed) while a slot has
	// nothing to try (default 30 s).
	DiscoveryInterval time.Duration
	// DrainTimeout bounds how long Stop waits for queued messages to be
	// written before it disconnects the peers (default 2 s).
	DrainTimeout time.Duration
	// QueueSize is each peer's send queue (default peer.DefaultQueueSize).
	QueueSize int

	// BanThreshold is the misbehaviour score at which a remote IP is banned
	// (default 100) for BanDuration (default 24 h); the score halves every
	// BanHalfLife (default 1 min).
	BanThreshold             float64
	BanDuration, BanHalfLife time.Duration

	// DataDir, if set, keeps the address book there (through core/store):
	// loaded on start (a corrupt file fails the start, naming it) and saved
	// on stop.
	DataDir string

	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// SettingError is a bad setting; Setting names the field.
type SettingError struct {
	Setting string
	Reason  string
}

func (e *SettingError) Error() string { return fmt.Sprintf("p2p: setting %s: %s", e.Setting, e.Reason) }

// settings is Settings after validation.
type settings struct {
	Settings
	listen, peers, seeds []Addr
	external             Addr
	magic                peer.Magic
	trusted              map[string]bool
}

func (s Settings) check() (*settings, error) {
	bad := func(name, format string, args ...any) (*settings, error) {
		return nil, &SettingError{Setting: name, Reason: fmt.Sprintf(format, args...)}
	}
	n := &settings{Settings: s}
	parse := func(name string, in []string) ([]Addr, error) {
		var out []Addr
		for i, a := range in {
			pa, err := ParseAddr(a)
			if err != nil {
				return nil, &SettingError{Setting: fmt.Sprintf("%s[%d]", name, i), Reason: err.Error()}
			}
			out = append(out, pa)
		}
		return out, nil
	}
	var err error
	if n.listen, err = parse("Listen", s.Listen); err != nil {
		return nil, err
	}
	if n.peers, err = parse("Peers", s.Peers); err != nil {
		return nil, err
	}
	if n.seeds, err = parse("Seeds", s.Seeds); err != nil {
		return nil, err
	}
	if s.ExternalAddr != "" {
		if n.external, err = ParseAddr(s.ExternalAddr); err != nil {
			return bad("ExternalAddr", "%v", err)
		}
	}
	for i, k := range s.TrustedKeys {
		if !validKeyID(k) {
			return bad(fmt.Sprintf("TrustedKeys[%d]", i), "%q is not \"key:\" and 32 hex digits (peer.KeyID)", k)
		}
		if n.trusted == nil {
			n.trusted = map[string]bool{}
		}
		n.trusted[k] = true
	}
	if len(s.Magic) != 4 {
		return bad("Magic", "must be 4 bytes, got %d", len(s.Magic))
	}
	n.magic = peer.Magic(s.Magic)
	switch {
	case s.OutboundSlots < 0:
		return bad("OutboundSlots", "negative (%d)", s.OutboundSlots)
	case s.OutboundSlots == 0 && len(s.Peers) == 0:
		return bad("OutboundSlots", "0 with no Peers: the node would never connect out")
	case s.AppName == "" || len(s.AppName) > peer.MaxAppNameLen:
		return bad("AppName", "must be 1..%d bytes", peer.MaxAppNameLen)
	case len(s.UserAgent) > peer.MaxUserAgentLen:
		return bad("UserAgent", "longer than %d bytes", peer.MaxUserAgentLen)
	case s.Key != nil && len(s.Key) != ed25519.PrivateKeySize:
		return bad("Key", "not an ed25519 private key (%d bytes)", len(s.Key))
	case s.BanThreshold < 0:
		return bad("BanThreshold", "negative")
	case s.QueueSize < 0:
		return bad("QueueSize", "negative")
	}
	if v := (peer.Version{AppName: s.AppName, AppVersion: s.AppVersion}); !validAppVersion(v) {
		return bad("AppVersion", "%q is not major.minor[.patch]", s.AppVersion)
	}
	for name, d := range map[string]*time.Duration{
		"DialTimeout": &n.DialTimeout, "HandshakeTimeout": &n.HandshakeTimeout, "PingInterval": &n.PingInterval,
		"StallTimeout": &n.StallTimeout, "IdleTimeout": &n.IdleTimeout, "ReconnectMin": &n.ReconnectMin,
		"ReconnectMax": &n.ReconnectMax, "DiscoveryInterval": &n.DiscoveryInterval, "DrainTimeout": &n.DrainTimeout,
		"BanDuration": &n.BanDuration, "BanHalfLife": &n.BanHalfLife,
	} {
		if *d < 0 {
			return bad(name, "negative (%s)", *d)
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&n.DialTimeout, 5*time.Second)
	def(&n.HandshakeTimeout, peer.DefaultHandshakeTimeout)
	def(&n.ReconnectMin, time.Second)
	def(&n.ReconnectMax, 2*time.Minute)
	def(&n.DiscoveryInterval, 30*time.Second)
	def(&n.DrainTimeout, 2*time.Second)
	def(&n.BanDuration, 24*time.Hour)
	def(&n.BanHalfLife, time.Minute)
	if n.ReconnectMax < n.ReconnectMin {
		return bad("ReconnectMax", "%s is below ReconnectMin %s", n.ReconnectMax, n.ReconnectMin)
	}
	if n.MaxInbound == 0 {
		n.MaxInbound = 64
	}
	if n.MaxPerIP == 0 {
		n.MaxPerIP = 8
	}
	if n.BanThreshold == 0 {
		n.BanThreshold = 100
	}
	if n.Protocol == 0 {
		n.Protocol = 1
	}
	if n.MinProtocol > n.Protocol {
		return bad("MinProtocol", "%d is above Protocol %d", n.MinProtocol, n.Protocol)
	}
	if n.Logger == nil {
		n.Logger = slog.Default()
	}
	return n, nil
}

// validAppVersion checks AppVersion the way the handshake will.
func validAppVersion(v peer.Version) bool {
	return peer.CheckVersion(v) == nil
}

func validKeyID(s string) bool {
	hexPart, ok := strings.CutPrefix(s, "key:")
	if !ok || len(hexPart) != 32 {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil
}
