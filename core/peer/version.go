package peer

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// The built-in commands. Applications may not use these names.
const (
	CmdVersion = "version"
	CmdVerAck  = "verack"
	CmdReject  = "reject"
	CmdPing    = "ping"
	CmdPong    = "pong"
)

// Field limits of a Version, in bytes.
const (
	MaxAppNameLen    = 64
	MaxAppVersionLen = 32
	MaxAddrLen       = 255
	MaxUserAgentLen  = 255
	maxVersionSize   = 4 + 8 + 8 + 1 + MaxAppNameLen + 1 + MaxAppVersionLen + 1 + MaxAddrLen + 1 + MaxUserAgentLen
	maxRejectSize    = 2 + 1 + 255
)

// Version is what each side announces in the handshake.
type Version struct {
	// Protocol is the wire protocol version; the remote must send at least
	// Config.MinProtocol.
	Protocol uint32
	// AppName must be equal on both sides (1..64 bytes).
	AppName string
	// AppVersion is "major.minor[.patch]"; both sides must have the same
	// major, and for major 0 the same minor.
	AppVersion string
	// Nonce is random per node run: a remote that sends ours back is
	// ourselves (ErrSelfConnection).
	Nonce uint64
	// ListenAddr is where the sender accepts connections ("" if it does not),
	// as "transport://host:port".
	ListenAddr string
	// UserAgent is free text for logs (≤ 255 bytes).
	UserAgent string
	// Time is the sender's clock, in seconds.
	Time time.Time
}

func (v *Version) validate() error {
	switch {
	case v.AppName == "" || len(v.AppName) > MaxAppNameLen:
		return newErr(ErrInvalidVersion, nil, "AppName must be 1..%d bytes, got %d", MaxAppNameLen, len(v.AppName))
	case len(v.AppVersion) > MaxAppVersionLen:
		return newErr(ErrInvalidVersion, nil, "AppVersion longer than %d bytes", MaxAppVersionLen)
	case len(v.ListenAddr) > MaxAddrLen:
		return newErr(ErrInvalidVersion, nil, "ListenAddr longer than %d bytes", MaxAddrLen)
	case len(v.UserAgent) > MaxUserAgentLen:
		return newErr(ErrInvalidVersion, nil, "UserAgent longer than %d bytes", MaxUserAgentLen)
	}
	if _, _, ok := majorMinor(v.AppVersion); !ok {
		return newErr(ErrInvalidVersion, nil, "AppVersion %q is not major.minor[.patch]", v.AppVersion)
	}
	return nil
}

// majorMinor parses "major.minor[.patch]".
func majorMinor(s string) (major, minor uint64, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, false
	}
	var nums [3]uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return 0, 0, false
		}
		nums[i] = n
	}
	return nums[0], nums[1], true
}

// compatible reports whether two valid app versions can talk.
func compatible(a, b string) bool {
	amaj, amin, _ := majorMinor(a)
	bmaj, bmin, _ := majorMinor(b)
	return amaj == bmaj && (amaj != 0 || amin == bmin)
}

func (v *Version) encode() []byte {
	b := make([]byte, 0, 32+len(v.AppName)+len(v.AppVersion)+len(v.ListenAddr)+len(v.UserAgent))
	b = binary.LittleEndian.AppendUint32(b, v.Protocol)
	b = binary.LittleEndian.AppendUint64(b, v.Nonce)
	b = binary.LittleEndian.AppendUint64(b, uint64(v.Time.Unix()))
	for _, s := range [...]string{v.AppName, v.AppVersion, v.ListenAddr, v.UserAgent} {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeVersion(b []byte) (*Version, error) {
	bad := func(what string) error { return newErr(ErrMalformed, nil, "version: %s", what) }
	if len(b) < 20 {
		return nil, bad("shorter than its fixed fields")
	}
	v := &Version{
		Protocol: binary.LittleEndian.Uint32(b[0:4]),
		Nonce:    binary.LittleEndian.Uint64(b[4:12]),
		Time:     time.Unix(int64(binary.LittleEndian.Uint64(b[12:20])), 0),
	}
	b = b[20:]
	var strs [4]string
	for i := range strs {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return nil, bad("truncated string field")
		}
		strs[i], b = string(b[1:1+int(b[0])]), b[1+int(b[0]):]
	}
	if len(b) != 0 {
		return nil, bad("trailing bytes")
	}
	v.AppName, v.AppVersion, v.ListenAddr, v.UserAgent = strs[0], strs[1], strs[2], strs[3]
	if err := v.validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// RejectCode says why a peer was refused; it travels in a reject message.
type RejectCode uint16

// Reject codes. Applications may use values from 1000 up.
const (
	RejectOther      RejectCode = 0
	RejectVersion    RejectCode = 1 // incompatible version
	RejectFull       RejectCode = 2 // no free inbound slot
	RejectTooManyIP  RejectCode = 3 // too many connections from the remote's IP
	RejectBanned     RejectCode = 4 // the remote is banned
	RejectDuplicate  RejectCode = 5 // already connected to that node
	RejectShutdown   RejectCode = 6 // the node is stopping
	RejectSelf       RejectCode = 7 // a connection to ourselves
	RejectByCallback RejectCode = 8 // the application's onVersion refused
	RejectUntrusted  RejectCode = 9 // the remote's key is not trusted
)

func encodeReject(code RejectCode, reason string) []byte {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	b := binary.LittleEndian.AppendUint16(nil, uint16(code))
	b = append(b, byte(len(reason)))
	return append(b, reason...)
}

func decodeReject(b []byte) (RejectCode, string, error) {
	if len(b) < 3 || len(b) != 3+int(b[2]) {
		return 0, "", newErr(ErrMalformed, nil, "reject: bad length")
	}
	return RejectCode(binary.LittleEndian.Uint16(b)), string(b[3:]), nil
}

// RejectError is the Err of an ErrRejected or ErrVersionRejected *Error: the
// code and reason the refusing side sent.
type RejectError struct {
	Code   RejectCode
	Reason string
}

func (e *RejectError) Error() string { return "reject " + strconv.Itoa(int(e.Code)) + ": " + e.Reason }

// CheckVersion reports whether v keeps the field limits and has a valid
// AppVersion (an ErrInvalidVersion *Error if not), as Handshake checks both
// sides' versions.
func CheckVersion(v Version) error { return v.validate() }
