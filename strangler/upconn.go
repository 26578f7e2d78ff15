package strangler

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"os"
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
// the end of a header block (CRLF CRLF), so a target that trickles its headers, or ends them
// with bare LFs (which fasthttp waits past), is cut. After that the deadline the HTTP client
// asked for applies, so a long response — a download, server-sent events — is not cut by it.
// Setting a deadline costs a timer update, so on the usual path (no deadline of the client's)
// the header deadline is left in place once the header block has arrived and is set afresh
// only when it has come within the limit: it is set an eighth beyond the limit, a later
// request reuses it while at least the limit is left, and a read that it cuts once the headers
// are in is simply tried again without it. The wait for headers is thus cut between the limit
// and an eighth over it.
//
// And it keeps a response queue from shifting: before a request is written on a connection
// that has carried one, it checks (without blocking) that no byte is waiting on it. A target
// that sent an extra response, or a body after a 204, would otherwise have those bytes read
// as the next user's response; fasthttp does not check. A connection the target closed while
// idle is found the same way, before anything was sent.
type upstreamConn struct {
	net.Conn
	limit   time.Duration
	peek    *peeker   // checks for waiting bytes before reuse (nil under TLS, whose records may legitimately arrive)
	outer   time.Time // the read deadline the HTTP client asked for
	armed   time.Time // the header deadline of the current or an earlier request
	set     time.Time // the read deadline set on Conn
	waiting bool      // the current response's header block has not been read in full
	tail    uint32    // the last bytes read while waiting, to find CRLF CRLF across reads
	used    bool      // a response has been read on this connection
	wset    bool      // a write deadline is set on Conn
	// tunnel: the connection has left the pool for a tunnel, whose reads and writes run at
	// once; every call goes straight to Conn. Set before the tunnel's goroutines start.
	tunnel bool
}

// detachTunnel hands c — an upstreamConn, or a TLS connection over one — to a tunnel: no
// header deadline, no check before reuse (the target may well send first), no deadline left.
func detachTunnel(c net.Conn) error {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if uc, ok := c.(*upstreamConn); ok {
		uc.tunnel = true
	}
	return c.SetDeadline(time.Time{})
}

// noWriteDeadline is the write timeout fasthttp is given (WriteTimeout): it makes fasthttp
// call SetWriteDeadline at the start of every request, which is where upstreamConn checks the
// connection. A deadline that far off is not set on the connection.
const noWriteDeadline = 24 * time.Hour

// SetWriteDeadline is called by fasthttp at the start of every request, before a byte of it
// is read from the client or written.
func (c *upstreamConn) SetWriteDeadline(t time.Time) error {
	if c.tunnel {
		return c.Conn.SetWriteDeadline(t)
	}
	if c.used && c.peek != nil && !c.peek.clean() {
		return errConnUnusable
	}
	if !t.IsZero() && time.Until(t) > noWriteDeadline/2 {
		t = time.Time{}
	}
	if t.IsZero() && !c.wset {
		return nil
	}
	c.wset = !t.IsZero()
	return c.Conn.SetWriteDeadline(t)
}

func (c *upstreamConn) Write(b []byte) (int, error) {
	if !c.tunnel && !c.waiting && c.limit > 0 {
		c.waiting, c.tail = true, 0
		now := time.Now()
		if c.set != c.armed || c.armed.Sub(now) < c.limit {
			c.armed = now.Add(c.limit + c.limit/8)
		}
		c.setRead(c.deadline())
	}
	return c.Conn.Write(b)
}

func (c *upstreamConn) Read(b []byte) (int, error) {
	if c.tunnel {
		return c.Conn.Read(b)
	}
	for {
		n, err := c.Conn.Read(b)
		if n == 0 && !c.waiting && !c.set.IsZero() && c.set != c.outer && errors.Is(err, os.ErrDeadlineExceeded) {
			// The header deadline, left in place, cut a read of a body: not the client's.
			c.setRead(c.outer)
			continue
		}
		if n > 0 {
			c.used = true
			if c.waiting && c.headerEnd(b[:n]) {
				c.waiting = false
				if !c.outer.IsZero() {
					c.setRead(c.outer)
				}
			}
		}
		return n, err
	}
}

// setRead sets Conn's read deadline to t unless it is set already.
func (c *upstreamConn) setRead(t time.Time) error {
	if t == c.set {
		return nil
	}
	c.set = t
	return c.Conn.SetReadDeadline(t)
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
	if c.tunnel {
		return c.Conn.SetReadDeadline(t)
	}
	c.outer = t
	if t.IsZero() && !c.waiting {
		return nil // a header deadline left in place is handled by Read
	}
	return c.setRead(c.deadline())
}

func (c *upstreamConn) SetDeadline(t time.Time) error {
	if err := c.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

// CloseWrite half-closes the connection, as a tunnel does when its client stops sending.
func (c *upstreamConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// deadline is the read deadline while waiting for a header block: the client's or the
// header deadline, whichever comes first.
func (c *upstreamConn) deadline() time.Time {
	if !c.waiting || !c.outer.IsZero() && c.outer.Before(c.armed) {
		return c.outer
	}
	return c.armed
}
