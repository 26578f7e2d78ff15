package strangler

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/upstream"
)

// The plain HTTP/1.1 front end. net/http's server and Transport cost about three times
// nginx's CPU per proxied request here (bench/proxy.sh), most of it in the server's
// per-request goroutines and allocations; fasthttp's server and client reuse every buffer and
// bring carve within reach of nginx. TLS listeners (and with them HTTP/2) stay on net/http
// (ServeHTTP); both front ends share routing, splitting, retries, health reports, metrics and
// the access log (dispatch).

// fastClient returns the fasthttp client of scheme://host, creating it on first use. It is
// shared by every target and reload that names the host, so keep-alive connections outlive
// reloads.
func (p *Proxy) fastClient(scheme, host string) *fasthttp.HostClient {
	key := scheme + "://" + host
	p.clientsMu.Lock()
	defer p.clientsMu.Unlock()
	if c, ok := p.clients[key]; ok {
		return c
	}
	tc := p.transportCfg
	dialer := &net.Dialer{Timeout: tc.DialTimeout.D(), KeepAlive: 30 * time.Second}
	hdrTimeout := tc.ResponseHeaderTimeout.D()
	maxConns := tc.MaxConnsPerHost
	if maxConns <= 0 {
		maxConns = math.MaxInt32
	}
	hc := &fasthttp.HostClient{
		Addr:  host,
		IsTLS: scheme == "https",
		Dial: func(addr string) (net.Conn, error) {
			c, err := dialer.Dial("tcp", addr)
			if err != nil || hdrTimeout <= 0 {
				return c, err
			}
			return &ttfbConn{Conn: c, limit: hdrTimeout}, nil
		},
		TLSConfig:                 &tls.Config{MinVersion: tls.VersionTLS12, ServerName: hostOnly(host)},
		MaxConns:                  maxConns,
		MaxConnWaitTimeout:        tc.DialTimeout.D(),
		MaxIdleConnDuration:       tc.IdleConnTimeout.D(),
		MaxIdemponentCallAttempts: 2, // one more try on a fresh connection when a kept-alive one was closed
		StreamResponseBody:        true,
		DisablePathNormalizing:    true, // forward the path as the client sent it
		NoDefaultUserAgentHeader:  true,
		ReadBufferSize:            16 << 10,
		MaxResponseBodySize:       0,
		RetryIfErr: func(req *fasthttp.Request, attempts int, err error) (bool, bool) {
			// Only a kept-alive connection that the target closed before answering: the
			// request never reached it. Everything else is dispatch's to decide.
			return false, errors.Is(err, fasthttp.ErrConnectionClosed) && idempotent(req)
		},
	}
	p.clients[key] = hc
	return hc
}

func (p *Proxy) closeFastClients() {
	p.clientsMu.Lock()
	defer p.clientsMu.Unlock()
	for _, c := range p.clients {
		c.CloseIdleConnections()
	}
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func idempotent(req *fasthttp.Request) bool {
	h := &req.Header
	return h.IsGet() || h.IsHead() || h.IsPut() || h.IsDelete() || h.IsOptions() || h.IsTrace()
}

// ttfbConn bounds the wait for a target's first response byte (transport.
// response_header_timeout): the request's first write arms a read deadline, the first read
// that returns data restores the deadline the client set (a route timeout, or none), so a
// long response — a download, server-sent events — is not cut by it.
type ttfbConn struct {
	net.Conn
	limit time.Duration
	outer time.Time // the read deadline the HTTP client asked for
	armed time.Time // the first-byte deadline while waiting for it
}

func (c *ttfbConn) Write(b []byte) (int, error) {
	if c.armed.IsZero() {
		c.armed = time.Now().Add(c.limit)
		_ = c.Conn.SetReadDeadline(c.deadline())
	}
	return c.Conn.Write(b)
}

func (c *ttfbConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && !c.armed.IsZero() {
		c.armed = time.Time{}
		_ = c.Conn.SetReadDeadline(c.outer)
	}
	return n, err
}

func (c *ttfbConn) SetReadDeadline(t time.Time) error {
	c.outer = t
	return c.Conn.SetReadDeadline(c.deadline())
}

func (c *ttfbConn) SetDeadline(t time.Time) error {
	c.outer = t
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetReadDeadline(c.deadline())
}

func (c *ttfbConn) deadline() time.Time {
	if c.armed.IsZero() || !c.outer.IsZero() && c.outer.Before(c.armed) {
		return c.outer
	}
	return c.armed
}

// newFastServer is the plain HTTP/1.1 front end's server for cfg; tunnels (upgraded
// connections) end when tunnels is done.
func (p *Proxy) newFastServer(cfg *config.Config, tunnels context.Context) *fasthttp.Server {
	s := cfg.Server
	maxBody := int(s.MaxBodyBytes)
	if maxBody <= 0 {
		maxBody = math.MaxInt
	}
	readTimeout := s.ReadTimeout.D()
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) { p.serveFast(ctx, tunnels) },
		// fasthttp's ReadTimeout covers reading a request's headers (and a body it buffers);
		// HeaderReceived then gives the body read_timeout, which is none by default.
		ReadTimeout:  s.ReadHeaderTimeout.D(),
		WriteTimeout: s.WriteTimeout.D(),
		IdleTimeout:  s.IdleTimeout.D(),
		HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			if readTimeout > 0 {
				return fasthttp.RequestConfig{ReadTimeout: readTimeout}
			}
			return fasthttp.RequestConfig{ReadTimeout: 365 * 24 * time.Hour}
		},
		ReadBufferSize:               s.MaxHeaderBytes,
		MaxRequestBodySize:           maxBody,
		StreamRequestBody:            true,
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		NoDefaultDate:                true,
		DisablePreParseMultipartForm: true,
		ReduceMemoryUsage:            false,
		CloseOnShutdown:              true,
		KeepHijackedConns:            true, // tunnels close their own connections (pipe)
		Logger:                       fastLogger{p.log},
		ErrorHandler:                 fastError,
	}
	return srv
}

// fastError answers requests the server could not read.
func fastError(ctx *fasthttp.RequestCtx, err error) {
	var te interface{ Timeout() bool }
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		ctx.Error("request body too large", http.StatusRequestEntityTooLarge)
	case errors.As(err, new(*fasthttp.ErrSmallBuffer)) || errors.Is(err, fasthttp.ErrSmallReadBuffer):
		ctx.Error("request header fields too large", http.StatusRequestHeaderFieldsTooLarge)
	case errors.As(err, &te) && te.Timeout():
		ctx.Error("request timeout", http.StatusRequestTimeout)
	default:
		// The parser's message quotes the request's bytes: not echoed back.
		ctx.Error("bad request: malformed HTTP/1.1 request", http.StatusBadRequest)
	}
	ctx.SetConnectionClose()
}

type fastLogger struct{ log *slog.Logger }

func (l fastLogger) Printf(format string, args ...any) {
	l.log.Warn("http server", "detail", fmt.Sprintf(format, args...))
}

// fastAttempt is a request of the plain HTTP/1.1 front end.
type fastAttempt struct {
	ctx      *fasthttp.RequestCtx
	tunnels  context.Context
	cookie   []byte // a Set-Cookie value to add to the response (sticky cookie set here)
	deadline time.Time
	upgrade  bool
	trusted  []netip.Prefix
	inHost   []byte // the request's Host header as the client sent it
	scratch  []byte
	names    []byte // header names listed in Connection, NUL-separated
	limit    bodyLimit
}

// bodyLimit fails a request body stream that goes past n bytes.
type bodyLimit struct {
	r io.Reader
	n int64
}

func (l *bodyLimit) Read(b []byte) (int, error) {
	n, err := l.r.Read(b)
	if l.n -= int64(n); l.n < 0 {
		return n, fasthttp.ErrBodyTooLarge
	}
	return n, err
}

// serveFast routes, splits and forwards one request of the plain HTTP/1.1 front end.
func (p *Proxy) serveFast(ctx *fasthttp.RequestCtx, tunnels context.Context) {
	start := time.Now()
	rt := p.rt.Load()
	req := &ctx.Request
	h := &req.Header
	a := p.fastAttempts.Get().(*fastAttempt)
	a.ctx, a.tunnels, a.trusted = ctx, tunnels, rt.trusted
	a.upgrade = h.ConnectionUpgrade()
	clientClose := h.ConnectionClose()
	a.prepare()

	lr := rt.def
	if i := rt.table.MatchWith(b2s(h.Method()), b2s(a.inHost), b2s(ctx.Path()), (*fastHeaders)(h)); i >= 0 {
		lr = rt.routes[i]
	}
	st := lr.state.Load()
	side := 0
	if st.split.Len() > 1 {
		side = a.pickSide(lr, st)
	}
	var target *upstream.Target
	var attempts, status int
	var err error
	switch cl := h.ContentLength(); {
	case lr.maxBody > 0 && int64(cl) > lr.maxBody:
		status = a.fail(http.StatusRequestEntityTooLarge, "request body too large")
	default:
		if lr.timeout > 0 {
			a.deadline = start.Add(lr.timeout)
		}
		if cl == -1 && lr.maxBody > 0 && req.IsBodyStream() {
			// Chunked: the limit is enforced while the body streams to the target.
			a.limit = bodyLimit{r: req.BodyStream(), n: lr.maxBody}
			req.SetBodyStream(&a.limit, -1)
		}
		target, attempts, status, err = dispatch(lr, st, side, a)
		a.limit = bodyLimit{}
	}
	if clientClose {
		ctx.SetConnectionClose()
	}
	st.counters[side][statusClass(status)].Inc()
	elapsed := time.Since(start)
	lr.duration.Observe(elapsed.Seconds())
	if p.sampled(rt) {
		var errText string
		if err != nil {
			errText = err.Error()
		}
		p.logAccess(context.Background(), accessEntry{route: lr.name, upstream: st.pools[side].Name, target: target,
			method: string(h.Method()), host: string(a.inHost), path: string(ctx.Path()), status: status,
			bytes: int64(max(ctx.Response.Header.ContentLength(), 0)), remote: ctx.RemoteAddr().String(),
			attempts: attempts, proto: string(h.Protocol()), err: errText, elapsed: elapsed})
	}
	a.ctx, a.tunnels, a.trusted, a.cookie, a.deadline = nil, nil, nil, a.cookie[:0], time.Time{}
	p.fastAttempts.Put(a)
}

// prepare makes the client's request the outbound one: hop-by-hop headers (with those named
// in Connection) are removed first, then X-Forwarded-For/-Host/-Proto are set, so a client
// cannot make the proxy drop its own headers. Inbound forwarding headers are kept only from a
// trusted peer.
func (a *fastAttempt) prepare() {
	h := &a.ctx.Request.Header
	a.inHost = append(a.inHost[:0], h.Host()...)
	a.dropConnectionNamed(h.PeekAll(fasthttp.HeaderConnection), a.upgradeHeader, h.DelBytes)
	for _, n := range hopHeaders {
		if a.upgrade && (n == "Connection" || n == "Upgrade") {
			continue
		}
		h.Del(n)
	}
	h.Del("Forwarded")

	addr, _ := netip.AddrFromSlice(a.ctx.RemoteIP())
	addr = addr.Unmap()
	trusted := isTrusted(addr, a.trusted)
	xff := a.scratch[:0]
	if trusted {
		for i, v := range h.PeekAll("X-Forwarded-For") {
			if i > 0 {
				xff = append(xff, ", "...)
			}
			xff = append(xff, v...)
		}
		if len(xff) > 0 {
			xff = append(xff, ", "...)
		}
	}
	xff = addr.AppendTo(xff)
	h.SetBytesV("X-Forwarded-For", xff)
	a.scratch = xff
	if !trusted || len(h.Peek("X-Forwarded-Host")) == 0 {
		h.SetBytesV("X-Forwarded-Host", a.inHost)
	}
	if !trusted || len(h.Peek("X-Forwarded-Proto")) == 0 {
		h.Set("X-Forwarded-Proto", "http")
	}
	a.ctx.Request.UseHostHeader = true
}

// dropConnectionNamed deletes the headers that the Connection values vals name, except the
// tokens keep accepts. The names are copied first: deleting moves the values.
func (a *fastAttempt) dropConnectionNamed(vals [][]byte, keep func([]byte) bool, del func([]byte)) {
	a.names = a.names[:0]
	for _, v := range vals {
		for f := range bytes.SplitSeq(v, []byte(",")) {
			if f = bytes.TrimSpace(f); len(f) > 0 && !keep(f) {
				a.names = append(append(a.names, f...), 0)
			}
		}
	}
	for n := range bytes.SplitSeq(a.names, []byte{0}) {
		if len(n) > 0 {
			del(n)
		}
	}
}

func isClose(token []byte) bool { return bytes.EqualFold(token, []byte("close")) }

// upgradeHeader reports whether f, a Connection token, must stay for an upgrade.
func (a *fastAttempt) upgradeHeader(f []byte) bool {
	return a.upgrade && (bytes.EqualFold(f, []byte("Upgrade")) || bytes.EqualFold(f, []byte("keep-alive")))
}

// hopHeaders are the hop-by-hop headers of RFC 9110 §7.6.1 and their predecessors, never
// forwarded (Transfer-Encoding is fasthttp's to frame).
var hopHeaders = [...]string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Upgrade"}

// pickSide is pickSide of the net/http front end for this one.
func (a *fastAttempt) pickSide(lr *liveRoute, st *splitState) int {
	h := &a.ctx.Request.Header
	var key []byte
	switch lr.stickyKey {
	case stickyCookie:
		key = h.Cookie(lr.stickyArg)
		if len(key) == 0 {
			v := newKey()
			key = []byte(v)
			c := &http.Cookie{Name: lr.stickyArg, Value: v, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteLaxMode, MaxAge: lr.cookieTTL}
			a.cookie = append(a.cookie[:0], c.String()...)
		}
	case stickyHeader:
		key = h.Peek(lr.stickyArg)
	case stickyQuery:
		key = s2b(queryValue(b2s(a.ctx.URI().QueryString()), lr.stickyArg))
	}
	if len(key) == 0 {
		return st.split.PickRandom(rand.Uint64())
	}
	return st.split.PickKey(b2s(key))
}

func (a *fastAttempt) send(t *upstream.Target) (int, bool, error) {
	f := t.Handler.(*forwarders)
	req, resp := &a.ctx.Request, &a.ctx.Response
	switch f.hostMode {
	case "":
		req.Header.SetHostBytes(a.inHost)
	case "target":
		req.Header.SetHost(f.host)
	default:
		req.Header.SetHost(f.hostMode)
	}
	if f.basePath != "" {
		a.scratch = append(append(a.scratch[:0], f.basePath...), req.Header.RequestURI()...)
		req.SetRequestURIBytes(a.scratch)
	}
	if f.tls {
		req.URI().SetScheme("https")
	}
	if a.upgrade {
		return a.tunnel(f)
	}
	var err error
	if a.deadline.IsZero() {
		err = f.fast.Do(req, resp)
	} else {
		err = f.fast.DoDeadline(req, resp, a.deadline)
	}
	if f.basePath != "" {
		req.SetRequestURIBytes(a.scratch[len(f.basePath):])
	}
	if err != nil {
		resp.Reset()
		return 0, false, err
	}
	a.stripResponse()
	return resp.StatusCode(), true, nil
}

// stripResponse removes the response's hop-by-hop headers and adds the sticky cookie.
func (a *fastAttempt) stripResponse() {
	h := &a.ctx.Response.Header
	a.dropConnectionNamed(h.PeekAll(fasthttp.HeaderConnection), isClose, h.DelBytes)
	for _, n := range hopHeaders {
		if n != "Connection" {
			h.Del(n)
		}
	}
	// The target closing its connection is no reason to close the client's.
	h.ResetConnectionClose()
	if len(a.cookie) > 0 {
		h.Add("Set-Cookie", b2s(a.cookie))
	}
}

func (a *fastAttempt) fail(status int, msg string) int {
	a.ctx.Response.Reset()
	a.ctx.Error(msg, status)
	return status
}

func (a *fastAttempt) failErr(err error) int {
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return a.fail(http.StatusRequestEntityTooLarge, "request body too large")
	case errors.Is(err, fasthttp.ErrTimeout) || isTimeout(err):
		return a.fail(http.StatusGatewayTimeout, "upstream timed out")
	case errors.As(err, new(*fasthttp.ErrSmallBuffer)):
		return a.fail(http.StatusBadGateway, "upstream response headers too large")
	}
	return a.fail(http.StatusBadGateway, "upstream unreachable")
}

// retryable: the connection to the target failed before any response, and the request is
// idempotent without a body to replay. Timeouts are not retried.
func (a *fastAttempt) retryable(err error) bool {
	req := &a.ctx.Request
	if cl := req.Header.ContentLength(); !idempotent(req) || cl > 0 || cl == -1 || isTimeout(err) || errors.Is(err, fasthttp.ErrTimeout) {
		return false
	}
	if !a.deadline.IsZero() && time.Now().After(a.deadline) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, fasthttp.ErrConnectionClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		isConnReset(err)
}

func (a *fastAttempt) clientFault(err error) bool {
	return errors.Is(err, fasthttp.ErrBodyTooLarge)
}

// tunnel forwards an upgrade request (WebSocket): it writes the request to a new connection
// to the target, and when the target switches protocols, hands both connections to a pipe
// that runs until either side closes or the proxy's drain ends.
func (a *fastAttempt) tunnel(f *forwarders) (int, bool, error) {
	d := net.Dialer{Timeout: f.dialTimeout}
	up, err := d.DialContext(a.tunnels, "tcp", f.host)
	if err != nil {
		return 0, false, err
	}
	if f.tls {
		up = tls.Client(up, &tls.Config{MinVersion: tls.VersionTLS12, ServerName: hostOnly(f.host)})
	}
	bw := bufio.NewWriter(up)
	req := &a.ctx.Request
	if _, err := req.Header.WriteTo(bw); err != nil {
		up.Close()
		return 0, false, err
	}
	if err := bw.Flush(); err != nil {
		up.Close()
		return 0, false, err
	}
	br := bufio.NewReader(up)
	var rh fasthttp.ResponseHeader
	rh.DisableNormalizing()
	if err := rh.Read(br); err != nil {
		up.Close()
		return 0, false, err
	}
	if rh.StatusCode() != http.StatusSwitchingProtocols {
		// Refused: pass the answer on as an ordinary response.
		resp := &a.ctx.Response
		rh.CopyTo(&resp.Header)
		if err := resp.ReadBody(br, 0); err != nil {
			up.Close()
			return 0, false, err
		}
		up.Close()
		return rh.StatusCode(), true, nil
	}
	head := append([]byte(nil), rh.Header()...)
	tunnels := a.tunnels
	a.ctx.HijackSetNoResponse(true)
	a.ctx.Hijack(func(c net.Conn) {
		if _, err := c.Write(head); err != nil {
			up.Close()
			return
		}
		pipe(tunnels, c, up, br)
	})
	return http.StatusSwitchingProtocols, true, nil
}

// pipe copies between the client and the target until one side ends or ctx is done.
func pipe(ctx context.Context, client, up net.Conn, upBuf io.Reader) {
	stop := context.AfterFunc(ctx, func() {
		client.Close()
		up.Close()
	})
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() {
		io.Copy(up, client)
		closeWrite(up)
	})
	io.Copy(client, upBuf)
	closeWrite(client)
	wg.Wait()
	client.Close()
	up.Close()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

// fastHeaders are fasthttp's request headers as route.Headers.
type fastHeaders fasthttp.RequestHeader

func (h *fastHeaders) Has(key, val string) bool {
	for _, v := range (*fasthttp.RequestHeader)(h).PeekAll(key) {
		if string(v) == val {
			return true
		}
	}
	return false
}

// b2s views b as a string without copying; the string must not outlive the request.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// s2b views s as bytes without copying; the bytes must not be written.
func s2b(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func isConnReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED)
}
