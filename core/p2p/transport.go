package p2p

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"time"
)

// selfSigned makes the TLS certificate of key: self-signed, so a peer is
// identified by its key (peer.KeyID), not by a certificate authority.
func selfSigned(key ed25519.PrivateKey) (tls.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "nodekit p2p"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(100 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// verifySelfSigned accepts exactly one certificate that is self-signed with
// an ed25519 key: the key is the identity.
func verifySelfSigned(raw [][]byte, _ [][]*x509.Certificate) error {
	if len(raw) != 1 {
		return errors.New("p2p: want exactly one self-signed certificate")
	}
	cert, err := x509.ParseCertificate(raw[0])
	if err != nil {
		return err
	}
	if _, ok := cert.PublicKey.(ed25519.PublicKey); !ok {
		return errors.New("p2p: certificate key is not ed25519")
	}
	return cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature)
}

func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates:          []tls.Certificate{cert},
		MinVersion:            tls.VersionTLS13,
		ClientAuth:            tls.RequireAnyClientCert,
		InsecureSkipVerify:    true, // no CA: verifySelfSigned checks the one certificate instead
		VerifyPeerCertificate: verifySelfSigned,
	}
}

// dial connects to a, with TLS for tcp+tls, within the node's dial and
// handshake timeouts.
func (n *Node) dial(ctx context.Context, a Addr) (net.Conn, error) {
	d := net.Dialer{Timeout: n.s.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", a.HostPort)
	if err != nil {
		return nil, err
	}
	if a.Transport == TCPTLS {
		return n.upgrade(ctx, tls.Client(conn, n.tls))
	}
	return conn, nil
}

// upgrade runs the TLS handshake of tc within the handshake timeout.
func (n *Node) upgrade(ctx context.Context, tc *tls.Conn) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, n.s.HandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		tc.Close()
		return nil, err
	}
	return tc, nil
}
