package p2p

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"nodekit.dev/nodekit/core/peer"
)

// The node's own commands, reserved like the peer's built-ins.
const (
	CmdGetAddr = "getaddr"
	CmdAddr    = "addr"
)

const (
	maxAddrsPerMsg  = 1000
	addrsPerReply   = 250
	maxAddrPayload  = 2 + maxAddrsPerMsg*(1+peer.MaxAddrLen)
	relayHeaderSize = 8 // the broadcast id in front of a relayed payload
)

// Protocol is an application message type: its command, limits and handler.
type Protocol struct {
	// Command is the message's name on the wire: 1..12 printable ASCII
	// bytes, not a built-in one.
	Command string
	// MaxSize is the largest payload accepted (and sent); bigger frames
	// disconnect the sender before their payload is read.
	MaxSize uint32
	// Rate, if positive, limits each peer to Rate messages per second with
	// bursts of Burst (default: Rate rounded up). A message over the limit
	// is dropped and raises the sender's ban score.
	Rate  float64
	Burst int
	// Relay makes Broadcast gossip the message: every node delivers it to
	// its handler once and forwards it to its other peers; a seen-message
	// cache stops loops. Without Relay, Broadcast reaches direct peers only.
	Relay bool
	// Handler receives each message on the sending peer's reader goroutine,
	// one at a time per peer. An error or panic disconnects that peer only.
	// Nil discards the messages (a relayed one is still forwarded).
	Handler func(Message) error
}

// Message is one received application message.
type Message struct {
	Peer    string // the sender's ID (PeerInfo.ID): reply with Node.Send
	Command string
	Payload []byte // valid only until the handler returns: copy it to keep it
}

// Errors of the node; match them with errors.Is.
var (
	ErrRunning     = errors.New("p2p: node is running")
	ErrNotRunning  = errors.New("p2p: node is not running")
	ErrUnknownPeer = errors.New("p2p: no such peer")
	// ErrDuplicate: a protocol's command is registered already.
	ErrDuplicate = errors.New("p2p: protocol registered twice")
)

func (p *Protocol) check() error {
	if !validCommand(p.Command) {
		return fmt.Errorf("p2p: protocol command %q: want 1..%d printable ASCII bytes", p.Command, peer.MaxCommandLen)
	}
	switch p.Command {
	case peer.CmdVersion, peer.CmdVerAck, peer.CmdReject, peer.CmdPing, peer.CmdPong, CmdGetAddr, CmdAddr:
		return fmt.Errorf("p2p: protocol command %q is reserved", p.Command)
	}
	if p.Relay && p.MaxSize > peer.MaxPayloadHard-relayHeaderSize || p.MaxSize > peer.MaxPayloadHard {
		return fmt.Errorf("p2p: protocol %q: MaxSize %d over the limit %d", p.Command, p.MaxSize, peer.MaxPayloadHard)
	}
	if p.Rate < 0 || math.IsNaN(p.Rate) || math.IsInf(p.Rate, 0) || p.Burst < 0 {
		return fmt.Errorf("p2p: protocol %q: Rate and Burst must be finite and not negative", p.Command)
	}
	if p.Rate > 0 && p.Burst == 0 {
		p.Burst = int(math.Ceil(p.Rate))
	}
	return nil
}

func validCommand(s string) bool {
	if len(s) == 0 || len(s) > peer.MaxCommandLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// wireSize is the frame payload limit of p.
func (p *Protocol) wireSize() uint32 {
	if p.Relay {
		return p.MaxSize + relayHeaderSize
	}
	return p.MaxSize
}

func encodeAddrs(addrs []string) []byte {
	b := binary.LittleEndian.AppendUint16(nil, uint16(len(addrs)))
	for _, a := range addrs {
		b = append(b, byte(len(a)))
		b = append(b, a...)
	}
	return b
}

func decodeAddrs(b []byte) ([]string, error) {
	if len(b) < 2 {
		return nil, errors.New("addr: too short")
	}
	n := int(binary.LittleEndian.Uint16(b))
	if n > maxAddrsPerMsg {
		return nil, fmt.Errorf("addr: %d addresses, limit %d", n, maxAddrsPerMsg)
	}
	b = b[2:]
	out := make([]string, 0, n)
	for range n {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return nil, errors.New("addr: truncated")
		}
		out = append(out, string(b[1:1+int(b[0])]))
		b = b[1+int(b[0]):]
	}
	if len(b) != 0 {
		return nil, errors.New("addr: trailing bytes")
	}
	return out, nil
}
