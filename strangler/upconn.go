package strangler

import (
	"bytes"
	"errors"
	"net"
	"time"
)

// errConnUnusable is a kept-alive upstream connection found, as a request was about to be
// written on it, either closed by the target or holding bytes nobody asked for. Nothing of the
// request was sent, so any request may be sent again on another connection.
var errConnUnusable = errors.New("kept-alive upstream connection closed or holding unsolicited bytes")

const crlfcrlf = 0x0d0a0d0a

// upstreamConn is a plain front end's connection to a target.
//
// It bounds the wait for a response's header block (transport.response_header_timeout): the
// first write of a request arms a read deadline, and reads keep it until the bytes read hold
// the end of a header block (CRLF CRLF), then the deadline the HTTP client asked for (a route
// timeout, or none) is restored, so a long response — a download, server-sent events — is not
// cut by it, while a target that trickles its headers, or ends them with bare LFs (which
// fasthttp waits past), is.
//
// And it keeps a response queue from shifting: before a request is written on a connection
// that has carried one, it checks (without blocking) that no byte is waiting on it. A target
// that sent an extra response, or a body after a 204, would otherwise have those bytes read
// as the next user's response; fasthttp does not check. A connection the target closed while
// idle is found the same way, before anything was sent.
type upstreamConn struct {
	net.Conn
	limit time.Duration
	peek  bool      // check for waiting bytes before reuse (not under TLS, whose records may legitimately arrive)
	outer time.Time // the read deadline the HTTP client asked for
	armed time.Time // the header deadline while waiting for the end of the header block
	tail  uint32    // the last bytes read while armed, to find CRLF CRLF across reads
	used  bool      // a response has been read on this connection
}

// SetWriteDeadline is called by fasthttp at the start of every request.
func (c *upstreamConn) SetWriteDeadline(t time.Time) error {
	if c.used && c.peek && !clean(c.Conn) {
		return errConnUnusable
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c *upstreamConn) Write(b []byte) (int, error) {
	if c.armed.IsZero() && c.limit > 0 {
		c.armed, c.tail = time.Now().Add(c.limit), 0
		_ = c.Conn.SetReadDeadline(c.deadline())
	}
	return c.Conn.Write(b)
}

func (c *upstreamConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.used = true
		if !c.armed.IsZero() && c.headerEnd(b[:n]) {
			c.armed = time.Time{}
			_ = c.Conn.SetReadDeadline(c.outer)
		}
	}
	return n, err
}

// headerEnd reports whether b, following what was read before, completes CRLF CRLF.
func (c *upstreamConn) headerEnd(b []byte) bool {
	t := c.tail
	for _, x := range b[:min(3, len(b))] { // a CRLF CRLF that began in an earlier read
		if t = t<<8 | uint32(x); t == crlfcrlf {
			return true
		}
	}
	if bytes.Contains(b, []byte("\r\n\r\n")) {
		return true
	}
	for _, x := range b[max(0, len(b)-3):] {
		c.tail = c.tail<<8 | uint32(x)
	}
	return false
}

func (c *upstreamConn) SetReadDeadline(t time.Time) error {
	c.outer = t
	return c.Conn.SetReadDeadline(c.deadline())
}

func (c *upstreamConn) SetDeadline(t time.Time) error {
	c.outer = t
	if err := c.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetReadDeadline(c.deadline())
}

func (c *upstreamConn) deadline() time.Time {
	if c.armed.IsZero() || !c.outer.IsZero() && c.outer.Before(c.armed) {
		return c.outer
	}
	return c.armed
}
