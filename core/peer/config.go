package peer

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults for the zero fields of a Config.
const (
	DefaultMaxPayload       = 1 << 20
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultPingInterval     = 30 * time.Second
	DefaultStallTimeout     = 15 * time.Second
	DefaultIdleTimeout      = 90 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultQueueSize        = 256
)

// WriteBytesPerSecond scales write deadlines to size: a write of n bytes may
// take Config.WriteTimeout plus n/WriteBytesPerSecond seconds.
const WriteBytesPerSecond = 256 << 10

// Config is what the peers of one network share. Build it once, pass the
// same pointer to every New, and do not change it after the first New: the
// frame limits are compiled on first use.
type Config struct {
	// Magic is the network's 4 bytes; frames with another magic are refused.
	Magic Magic
	// Commands are the application's commands and the largest payload each
	// may carry; a frame of any other command is ErrUnknownCommand. Names are
	// 1..12 printable ASCII bytes and may not be a built-in command.
	Commands map[string]uint32
	// MaxPayload caps every frame (default DefaultMaxPayload, at most
	// MaxPayloadHard).
	MaxPayload uint32
	// MinProtocol is the lowest Version.Protocol accepted from a remote.
	MinProtocol uint32

	HandshakeTimeout time.Duration // whole handshake (default DefaultHandshakeTimeout)
	PingInterval     time.Duration // a ping after this long without one (default DefaultPingInterval)
	StallTimeout     time.Duration // a ping unanswered this long disconnects (default DefaultStallTimeout)
	IdleTimeout      time.Duration // nothing received this long disconnects (default DefaultIdleTimeout)
	WriteTimeout     time.Duration // base write deadline, scaled up by size (default DefaultWriteTimeout)
	QueueSize        int           // messages queued per peer for sending (default DefaultQueueSize)

	// OnMessage receives every application message, on the peer's reader
	// goroutine, one at a time, in order. payload is valid only until it
	// returns (copy it to keep it). An error or a panic disconnects the peer
	// with ErrHandlerFailed. Nil drops application messages.
	OnMessage func(p *Peer, command string, payload []byte) error

	// Logger receives disconnect reasons at debug level (default slog.Default()).
	Logger *slog.Logger

	once sync.Once
	c    *codec
	err  error
	norm *Config
}

var builtins = map[string]uint32{
	CmdVersion: maxVersionSize,
	CmdVerAck:  0,
	CmdReject:  maxRejectSize,
	CmdPing:    8,
	CmdPong:    8,
}

// compile validates c and fills in its defaults, once.
func (c *Config) compile() (*codec, *Config, error) {
	c.once.Do(func() {
		n := &Config{
			Magic: c.Magic, MaxPayload: c.MaxPayload, MinProtocol: c.MinProtocol,
			HandshakeTimeout: c.HandshakeTimeout, PingInterval: c.PingInterval, StallTimeout: c.StallTimeout,
			IdleTimeout: c.IdleTimeout, WriteTimeout: c.WriteTimeout, QueueSize: c.QueueSize,
			OnMessage: c.OnMessage, Logger: c.Logger,
		}
		def := func(d *time.Duration, v time.Duration) {
			if *d == 0 {
				*d = v
			}
		}
		def(&n.HandshakeTimeout, DefaultHandshakeTimeout)
		def(&n.PingInterval, DefaultPingInterval)
		def(&n.StallTimeout, DefaultStallTimeout)
		def(&n.IdleTimeout, DefaultIdleTimeout)
		def(&n.WriteTimeout, DefaultWriteTimeout)
		if n.MaxPayload == 0 {
			n.MaxPayload = DefaultMaxPayload
		}
		if n.QueueSize == 0 {
			n.QueueSize = DefaultQueueSize
		}
		if n.Logger == nil {
			n.Logger = slog.Default()
		}
		c.err = n.check(c.Commands)
		if c.err != nil {
			return
		}
		cd := &codec{magic: n.Magic, max: n.MaxPayload, cmds: make(map[string]*cmdLimit, len(builtins)+len(c.Commands))}
		for name, max := range builtins {
			cd.cmds[name] = &cmdLimit{name: name, max: max}
		}
		for name, max := range c.Commands {
			cd.cmds[name] = &cmdLimit{name: name, max: max}
		}
		c.c, c.norm = cd, n
	})
	return c.c, c.norm, c.err
}

func (n *Config) check(cmds map[string]uint32) error {
	bad := func(field, format string, args ...any) error {
		return newErr(ErrMisuse, nil, "Config.%s: %s", field, fmt.Sprintf(format, args...))
	}
	if n.MaxPayload > MaxPayloadHard {
		return bad("MaxPayload", "%d is over the hard limit %d", n.MaxPayload, MaxPayloadHard)
	}
	if n.QueueSize < 0 {
		return bad("QueueSize", "negative (%d)", n.QueueSize)
	}
	for name, d := range map[string]time.Duration{"HandshakeTimeout": n.HandshakeTimeout, "PingInterval": n.PingInterval,
		"StallTimeout": n.StallTimeout, "IdleTimeout": n.IdleTimeout, "WriteTimeout": n.WriteTimeout} {
		if d < 0 {
			return bad(name, "negative (%s)", d)
		}
	}
	for name, max := range cmds {
		if !validCommand(name) {
			return bad("Commands", "%q is not 1..%d printable ASCII bytes", name, MaxCommandLen)
		}
		if _, ok := builtins[name]; ok {
			return bad("Commands", "%q is a built-in command", name)
		}
		if max > n.MaxPayload {
			return bad("Commands", "%q allows %d bytes, over MaxPayload %d", name, max, n.MaxPayload)
		}
	}
	return nil
}
