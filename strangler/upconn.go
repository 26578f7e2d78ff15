package strangler

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
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

// errUnsolicited ends a read of bytes that arrived on an idle upstream connection, and a
// write on a connection found holding such bytes.
var errUnsolicited = errors.New("unsolicited bytes on an idle upstream connection")

// idleGuardConn is the TLS front end's plain-HTTP connection to a target. net/http's
// transport reads an idle connection in the background and drops one on which bytes arrive,
// but a request that takes the connection in the meantime gets those bytes as its response.
// Here, once a response's body has been read to its end (guardBody) and until the next request
// takes the connection, a read that returns bytes fails; and a request that takes it while
// bytes are waiting (a peek) fails before writing anything, which the transport retries on
// another connection.
type idleGuardConn struct {
	net.Conn
	state atomic.Uint64 // request generation << 2 | guardIdle | guardDirty
}

const (
	guardIdle  = 1
	guardDirty = 2
)

// take is called as a request takes the connection; it returns the request's generation.
func (c *idleGuardConn) take(reused bool) uint64 {
	for {
		old := c.state.Load()
		next := (old>>2 + 1) << 2
		if old&guardDirty != 0 || old&guardIdle != 0 && reused && !clean(c.Conn) {
			next |= guardDirty
		}
		if c.state.CompareAndSwap(old, next) {
			return next >> 2
		}
	}
}

// done marks the connection idle after the response of generation gen ended, unless another
// request has taken it since.
func (c *idleGuardConn) done(gen uint64) { c.state.CompareAndSwap(gen<<2, gen<<2|guardIdle) }

func (c *idleGuardConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		if s := c.state.Load(); s&guardIdle != 0 {
			c.state.CompareAndSwap(s, s|guardDirty)
			return 0, errUnsolicited
		}
	}
	return n, err
}

func (c *idleGuardConn) Write(b []byte) (int, error) {
	if c.state.Load()&guardDirty != 0 {
		return 0, errUnsolicited
	}
	return c.Conn.Write(b)
}

// guardTransport tells each plain upstream connection when a request takes it and when its
// response has been read to the end.
type guardTransport struct{ t *http.Transport }

func (g guardTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var conn *idleGuardConn
	var gen uint64
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if conn, _ = info.Conn.(*idleGuardConn); conn != nil {
			gen = conn.take(info.Reused)
		}
	}}
	resp, err := g.t.RoundTrip(r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
	if err != nil || conn == nil {
		return resp, err
	}
	resp.Body = &guardBody{ReadCloser: resp.Body, conn: conn, gen: gen}
	return resp, nil
}

type guardBody struct {
	io.ReadCloser
	conn *idleGuardConn
	gen  uint64
}

func (b *guardBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.conn.done(b.gen)
	}
	return n, err
}
