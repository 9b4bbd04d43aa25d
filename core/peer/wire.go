package peer

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// A frame on the wire is a 24-byte header followed by the payload:
//
//	offset size field
//	     0    4 magic: the network (Config.Magic); a mismatch is ErrBadMagic
//	     4   12 command: printable ASCII, NUL-padded on the right
//	    16    4 payload length, little endian
//	    20    4 CRC-32C (Castagnoli) of the payload, little endian
//
// The length is checked against the command's limit and the global maximum
// before a byte of the payload is read, and the payload buffer grows only as
// bytes actually arrive, so a header that lies about its length costs nothing.
const (
	HeaderSize     = 24
	MaxCommandLen  = 12
	MaxPayloadHard = 32 << 20 // no Config may allow more than this per frame
)

// Magic identifies a network: peers with different magics never talk.
type Magic [4]byte

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// growStep is how much the payload buffer grows per read while a large
// payload arrives.
const growStep = 64 << 10

// codec reads and writes frames of one network with one set of limits.
type codec struct {
	magic Magic
	max   uint32
	cmds  map[string]*cmdLimit
}

type cmdLimit struct {
	name    string // the interned command name
	max     uint32
	flushed chan struct{} // only in a Flush marker's own cmdLimit
}

// validCommand reports whether s is a command name that can be framed.
func validCommand(s string) bool {
	if len(s) == 0 || len(s) > MaxCommandLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// appendFrame appends the frame of cmd and payload to dst.
func (c *codec) appendFrame(dst []byte, cmd string, payload []byte) []byte {
	var h [HeaderSize]byte
	putHeader(&h, c.magic, cmd, payload)
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// framesWithin counts the whole frames at the start of b, a prefix of what
// appendFrame wrote.
func framesWithin(b []byte) int {
	n := 0
	for len(b) >= HeaderSize {
		size := HeaderSize + int(binary.LittleEndian.Uint32(b[16:20]))
		if len(b) < size {
			break
		}
		b = b[size:]
		n++
	}
	return n
}

func putHeader(h *[HeaderSize]byte, magic Magic, cmd string, payload []byte) {
	copy(h[0:4], magic[:])
	clear(h[4:16])
	copy(h[4:16], cmd)
	binary.LittleEndian.PutUint32(h[16:20], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[20:24], crc32.Checksum(payload, crcTable))
}

// readFrame reads one frame from r. buf is the caller's reusable payload
// buffer; the returned payload aliases it and is valid until the next call.
// hdr is scratch space for the header. The error is an *Error (framing kinds;
// ErrDisconnected, wrapping io.ErrUnexpectedEOF, for a connection that ends
// inside a frame) or, for a connection that ends cleanly between frames,
// io.EOF. A frame cut short by the end of the stream is the remote going
// away (its process died, its Run was cancelled mid-write), not bad data:
// it is no misbehaviour.
func (c *codec) readFrame(r io.Reader, hdr *[HeaderSize]byte, buf *[]byte) (cmd string, payload []byte, err error) {
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return "", nil, newErr(ErrDisconnected, err, "the connection ended inside a frame header")
		}
		return "", nil, err
	}
	if [4]byte(hdr[0:4]) != c.magic {
		return "", nil, newErr(ErrBadMagic, nil, "got %x, want %x", hdr[0:4], c.magic[:])
	}
	raw := hdr[4:16]
	n := 0
	for n < len(raw) && raw[n] != 0 {
		n++
	}
	for _, b := range raw[n:] {
		if b != 0 {
			return "", nil, newErr(ErrBadCommand, nil, "bytes after the NUL padding")
		}
	}
	name := raw[:n]
	if !validCommand(string(name)) {
		return "", nil, newErr(ErrBadCommand, nil, "%q", name)
	}
	lim, ok := c.cmds[string(name)]
	if !ok {
		return "", nil, newErr(ErrUnknownCommand, nil, "%q", name)
	}
	size := binary.LittleEndian.Uint32(hdr[16:20])
	if size > lim.max || size > c.max {
		return "", nil, newErr(ErrPayloadTooLarge, nil, "%q: %d bytes, limit %d", lim.name, size, min(lim.max, c.max))
	}
	b := (*buf)[:0]
	for len(b) < int(size) {
		want := min(int(size), len(b)+growStep)
		if cap(b) < want {
			nb := make([]byte, len(b), want)
			copy(nb, b)
			b = nb
		}
		m, err := io.ReadFull(r, b[len(b):want])
		b = b[:len(b)+m]
		if err != nil {
			*buf = b
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return "", nil, newErr(ErrDisconnected, io.ErrUnexpectedEOF, "%q: the connection ended %d bytes into a %d-byte payload", lim.name, len(b), size)
			}
			return "", nil, err
		}
	}
	*buf = b
	if sum := crc32.Checksum(b, crcTable); sum != binary.LittleEndian.Uint32(hdr[20:24]) {
		return "", nil, newErr(ErrBadChecksum, nil, "%q", lim.name)
	}
	return lim.name, b, nil
}
