package p2p

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// The transports.
const (
	TCP    = "tcp"     // plain TCP
	TCPTLS = "tcp+tls" // TCP with TLS 1.3, both sides presenting a self-signed certificate
)

// Addr is where a node listens: "tcp://host:port" or "tcp+tls://host:port".
type Addr struct {
	Transport string // TCP or TCPTLS
	HostPort  string // host:port, as net.Dial takes it
}

func (a Addr) String() string { return a.Transport + "://" + a.HostPort }

// Host is the host part of the address.
func (a Addr) Host() string {
	h, _, _ := net.SplitHostPort(a.HostPort)
	return h
}

// ParseAddr parses "transport://host:port"; a bare "host:port" is TCP. The
// port must be a number (0 is allowed for listening: any free port).
func ParseAddr(s string) (Addr, error) {
	tr, hp, ok := strings.Cut(s, "://")
	if !ok {
		tr, hp = TCP, s
	}
	if tr != TCP && tr != TCPTLS {
		return Addr{}, fmt.Errorf("address %q: unknown transport %q (want %s or %s)", s, tr, TCP, TCPTLS)
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return Addr{}, fmt.Errorf("address %q: %w", s, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return Addr{}, fmt.Errorf("address %q: port %q is not a number up to 65535", s, port)
	}
	if strings.ContainsAny(host, " /") {
		return Addr{}, fmt.Errorf("address %q: bad host %q", s, host)
	}
	return Addr{Transport: tr, HostPort: net.JoinHostPort(host, port)}, nil
}

// withHost replaces the host of a, keeping its transport and port.
func (a Addr) withHost(host string) Addr {
	_, port, _ := net.SplitHostPort(a.HostPort)
	return Addr{Transport: a.Transport, HostPort: net.JoinHostPort(host, port)}
}
