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
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"sync"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/ryw"
	"github.com/carve-dev/carve/strangler/upstream"
)

// The plain HTTP/1.1 front end. net/http's server and Transport cost about three times
// nginx's CPU per proxied request here (bench/proxy.sh), most of it in the server's
// per-request goroutines and allocations; fasthttp's server and client reuse every buffer and
// bring carve within reach of nginx. It also serves the TLS listener's HTTP/1.1 connections
// (newTLSServer); HTTP/2 goes to net/http (ServeHTTP). Both front ends share routing,
// splitting, retries, health reports, metrics and the access log (dispatch.go), and forward to
// HTTP targets through the same fasthttp clients.

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
			if err != nil {
				return c, err
			}
			uc := &upstreamConn{Conn: c, limit: hdrTimeout}
			if scheme != "https" {
				uc.peek = newPeeker(c)
			}
			return uc, nil
		},
		// The write deadline is set at the start of every request, before a byte of it is
		// written or read from the client: upstreamConn checks there that a kept-alive
		// connection is still clean.
		WriteTimeout:              noWriteDeadline,
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
			// A kept-alive connection found closed or dirty before the request was written
			// (any request), or closed by the target before answering (fasthttp says io.EOF
			// or ErrConnectionClosed; idempotent requests only, as it may have read it).
			// Everything else is dispatch's to decide.
			return false, errors.Is(err, errConnUnusable) ||
				(errors.Is(err, fasthttp.ErrConnectionClosed) || errors.Is(err, io.EOF)) && idempotent(req)
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

// newFastServer is the plain HTTP/1.1 front end's server for cfg; tunnels (upgraded
// connections) end when tunnels is done.
func (p *Proxy) newFastServer(cfg *config.Config, tunnels context.Context) *fasthttp.Server {
	s := cfg.Server
	maxBody := int(s.MaxBodyBytes)
	if maxBody <= 0 {
		maxBody = math.MaxInt
	}
	// What fasthttp reads of a body before the handler runs is bounded by body_timeout (or
	// read_timeout when shorter); clientBody bounds each later read the same way.
	readTimeout := s.BodyTimeout.D()
	if rt := s.ReadTimeout.D(); rt > 0 && rt < readTimeout {
		readTimeout = rt
	}
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) { p.serveFast(ctx, tunnels) },
		// fasthttp's ReadTimeout covers reading a request's headers; HeaderReceived then
		// gives a body its own (a request without one reads nothing more: its deadline is
		// left as it is, which spares a timer update).
		ReadTimeout:  s.ReadHeaderTimeout.D(),
		WriteTimeout: s.WriteTimeout.D(),
		IdleTimeout:  s.IdleTimeout.D(),
		HeaderReceived: func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
			if h.ContentLength() == 0 {
				return fasthttp.RequestConfig{}
			}
			return fasthttp.RequestConfig{ReadTimeout: readTimeout}
		},
		ReadBufferSize:               s.MaxHeaderBytes,
		MaxRequestBodySize:           maxBody,
		StreamRequestBody:            true,
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		NoDefaultDate:                true,
		DisablePreParseMultipartForm: true,
		ReduceMemoryUsage:            false,
		// Parse errors name the fault without quoting the request (which may carry
		// credentials) and are distinguishable (an unsupported Transfer-Encoding is a 501).
		SecureErrorLogMessage: true,
		CloseOnShutdown:       true,
		KeepHijackedConns:     true, // tunnels close their own connections (pipe)
		Logger:                fastLogger{p.log},
		ErrorHandler:          fastError,
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
	case errors.Is(err, fasthttp.ErrUnsupportedTransferEncoding):
		ctx.Error(refuseTE.msg, refuseTE.status)
	case errors.As(err, &te) && te.Timeout():
		ctx.Error("request timeout", http.StatusRequestTimeout)
	default:
		// The parser's message would quote the request's bytes: not echoed back.
		ctx.Error("bad request: malformed HTTP/1.1 request", http.StatusBadRequest)
	}
	ctx.SetConnectionClose()
}

type fastLogger struct{ log *slog.Logger }

func (l fastLogger) Printf(format string, args ...any) {
	l.log.Warn("http server", "detail", redactCredentials(fmt.Sprintf(format, args...)))
}

// credentialHeader matches a credential header's value in text quoting a message.
var credentialHeader = regexp.MustCompile(`(?i)((?:proxy-)?authorization|(?:set-)?cookie)(:\s*)[^\r\n"\\]*`)

// redactCredentials hides the values of Authorization, Proxy-Authorization, Cookie and
// Set-Cookie in a log message. fasthttp's messages no longer quote requests
// (SecureErrorLogMessage); this is the net under that promise.
func redactCredentials(s string) string {
	return credentialHeader.ReplaceAllString(s, "$1$2[redacted]")
}

// fastAttempt is a request of the plain HTTP/1.1 front end.
type fastAttempt struct {
	ctx       *fasthttp.RequestCtx
	tunnels   context.Context
	newCookie []byte    // a Set-Cookie value to add to the response (sticky cookie set here)
	ryw       ryw.Visit // on a read-your-writes route: what the response's cookie records
	deadline  time.Time
	upgrade   bool
	trusted   []netip.Prefix
	inHost    []byte // the request's Host (from an absolute-form target when there is one)
	scratch   []byte
	names     []byte // header names listed in Connection, NUL-separated
	body      clientBody
}

// serveFast routes, splits and forwards one request of the plain HTTP/1.1 front end.
func (p *Proxy) serveFast(ctx *fasthttp.RequestCtx, tunnels context.Context) {
	start := time.Now()
	rt := p.rt.Load()
	req := &ctx.Request
	h := &req.Header
	a := p.fastAttempts.Get().(*fastAttempt)
	a.ctx, a.tunnels, a.trusted = ctx, tunnels, rt.trusted
	// A tunnel only for a real upgrade: Connection naming it and an Upgrade header.
	a.upgrade = h.ConnectionUpgrade() && len(h.Peek(fasthttp.HeaderUpgrade)) > 0
	clientClose := h.ConnectionClose()

	lr := rt.def
	var target *upstream.Target
	var attempts, status int
	var err error
	var reqCopy *shadowCapture
	ref := a.prepare()
	if ref == nil {
		var to *liveRoute
		if to, ref = a.route(rt); ref == nil {
			lr = to
		}
	}
	if ref != nil {
		status = a.refuse(ref)
	}
	st := lr.state.Load()
	side := 0
	if st.split.Len() > 1 && status == 0 {
		side, a.ryw = chooseSide(context.Background(), lr, st, a, b2s(h.Method()), start)
	}
	switch cl := h.ContentLength(); {
	case status != 0:
	case lr.maxBody > 0 && int64(cl) > lr.maxBody:
		status = a.refuse(&refuseTooLarge)
	default:
		if lr.timeout > 0 {
			a.deadline = start.Add(lr.timeout)
		}
		if req.IsBodyStream() {
			limit := int64(-1)
			if lr.maxBody > 0 {
				limit = lr.maxBody
			}
			a.body.reset(req.BodyStream(), ctx.SetReadDeadline, limit, p.serverCfg)
			req.SetBodyStream(&a.body, cl)
		}
		if lr.shadow != nil && !a.upgrade {
			reqCopy = lr.shadow.shadowStart(b2s(h.Method()), st.pools[side], int64(cl), &a.body)
		}
		target, attempts, status, err = dispatch(lr, st, side, a)
	}
	if clientClose {
		ctx.SetConnectionClose()
	}
	elapsed := lr.observe(st, side, status, start)
	if reqCopy != nil && status != 0 && err == nil {
		a.shadowFast(lr.shadow, st.pools[side], reqCopy)
	}
	if p.sampled(rt) {
		p.logAccess(context.Background(), accessEntry{route: lr.name, upstream: st.pools[side].Name, target: target,
			method: string(h.Method()), host: string(a.inHost), path: string(ctx.Path()), status: status,
			bytes: int64(max(ctx.Response.Header.ContentLength(), 0)), remote: ctx.RemoteAddr().String(),
			attempts: attempts, proto: string(h.Protocol()), err: err, elapsed: elapsed})
	}
	a.ctx, a.tunnels, a.trusted, a.newCookie, a.deadline = nil, nil, nil, a.newCookie[:0], time.Time{}
	a.ryw = ryw.Visit{}
	a.body = clientBody{}
	p.fastAttempts.Put(a)
}

// prepare checks the request (syntax.go) and makes it the outbound one: an absolute-form
// target becomes origin-form with its authority as the Host (RFC 9112 §3.2.2), hop-by-hop
// headers (with those named in Connection) are removed first, then X-Forwarded-For/-Host/-Proto
// are set, so a client cannot make the proxy drop its own headers. Inbound forwarding headers
// are kept only from a trusted peer; from anyone else every copy, in any case, is replaced.
func (a *fastAttempt) prepare() *refusal {
	req := &a.ctx.Request
	h := &req.Header
	if ref := checkRequestLine(b2s(h.Method()), b2s(h.Protocol())); ref != nil {
		return ref
	}
	if uri := h.RequestURI(); len(uri) > 0 && uri[0] != '/' {
		u := req.URI()
		a.inHost = append(a.inHost[:0], u.Host()...)
		a.scratch = append(a.scratch[:0], u.RequestURI()...)
		req.SetRequestURIBytes(a.scratch)
		u.SetScheme("http")
	} else {
		a.inHost = append(a.inHost[:0], h.Host()...)
	}
	if ref := checkHost(b2s(a.inHost)); ref != nil {
		return ref
	}
	a.names = a.names[:0]
	stripped, ref := scanRawHeaders(h.RawHeaders(), func(n []byte) { a.names = append(append(a.names, n...), 0) })
	if ref != nil {
		return ref
	}
	a.deleteNames(h.DelBytes)
	a.dropConnectionNamed(h.PeekAll(fasthttp.HeaderConnection), a.upgradeHeader, h.DelBytes)
	for _, n := range hopHeaders {
		if a.upgrade && (n == "Connection" || n == "Upgrade") || !stripped && n != "Connection" {
			continue
		}
		h.Del(n)
	}
	if stripped {
		h.Del("Forwarded")
	}

	addr, _ := netip.AddrFromSlice(a.ctx.RemoteIP())
	addr = addr.Unmap()
	trusted := stripped && isTrusted(addr, a.trusted) // without stripped, no forwarding header came
	xff := a.scratch[:0]
	if trusted {
		xff = joinValues(xff, h.PeekAll("X-Forwarded-For"))
		if len(xff) > 0 {
			xff = append(xff, ", "...)
		}
	}
	xff = addr.AppendTo(xff)
	fhost, fproto := len(xff), 0
	if trusted {
		xff = joinValues(xff, h.PeekAll("X-Forwarded-Host"))
	}
	if len(xff) == fhost {
		xff = append(xff, a.inHost...)
	}
	fproto = len(xff)
	if trusted {
		xff = joinValues(xff, h.PeekAll("X-Forwarded-Proto"))
	}
	if len(xff) == fproto {
		xff = append(xff, a.scheme()...)
	}
	a.scratch = xff
	if stripped {
		for _, n := range forwardedHeaders {
			h.Del(n)
		}
	}
	h.SetBytesV("X-Forwarded-For", xff[:fhost])
	h.SetBytesV("X-Forwarded-Host", xff[fhost:fproto])
	h.SetBytesV("X-Forwarded-Proto", xff[fproto:])
	req.UseHostHeader = true
	return nil
}

// scheme is the client's side: https on the TLS listener's HTTP/1.1 connections.
func (a *fastAttempt) scheme() string {
	if a.ctx.IsTLS() {
		return "https"
	}
	return "http"
}

// route picks the request's route under the path policies (routePath), on the request as
// prepared, and puts the path to forward in its URI.
func (a *fastAttempt) route(rt *runtime) (*liveRoute, *refusal) {
	req := &a.ctx.Request
	h := &req.Header
	uri := h.RequestURI()
	rawPath, query := uri, []byte(nil)
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		rawPath, query = uri[:i], uri[i:]
	}
	lr, _, forward, ref := rt.routePath(b2s(rawPath), func(path string) int {
		return rt.table.MatchWith(b2s(h.Method()), b2s(a.inHost), path, (*fastHeaders)(h))
	})
	if ref == nil && (len(forward) != len(rawPath) || forward != b2s(rawPath)) {
		// normalize: the cleaned path goes upstream (forward is a string of its own here).
		a.scratch = append(append(a.scratch[:0], forward...), query...)
		req.SetRequestURIBytes(a.scratch)
	}
	return lr, ref
}

// joinValues appends vals to dst separated by ", ".
func joinValues(dst []byte, vals [][]byte) []byte {
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, v...)
	}
	return dst
}

// refuse answers a request the proxy will not forward and closes the connection: after a
// malformed request, where the next one starts is not known.
func (a *fastAttempt) refuse(ref *refusal) int {
	a.fail(ref.status, ref.msg)
	a.ctx.SetConnectionClose() // after fail: resetting the response clears it
	return ref.status
}

// deleteNames deletes the NUL-separated header names in a.names.
func (a *fastAttempt) deleteNames(del func([]byte)) {
	for n := range bytes.SplitSeq(a.names, []byte{0}) {
		if len(n) > 0 {
			del(n)
		}
	}
}

// dropConnectionNamed deletes the headers that the Connection values vals name, except the
// tokens keep accepts and the headers that frame the message (Content-Length,
// Transfer-Encoding, Host): those are the proxy's, and dropping them would change where the
// request ends. The names are copied first: deleting moves the values.
func (a *fastAttempt) dropConnectionNamed(vals [][]byte, keep func([]byte) bool, del func([]byte)) {
	a.names = a.names[:0]
	for _, v := range vals {
		for f := range bytes.SplitSeq(v, []byte(",")) {
			if f = bytes.TrimSpace(f); len(f) > 0 && !keep(f) && !framingHeader(f) {
				a.names = append(append(a.names, f...), 0)
			}
		}
	}
	a.deleteNames(del)
}

func framingHeader(name []byte) bool {
	return bytes.EqualFold(name, []byte("Content-Length")) || bytes.EqualFold(name, []byte("Transfer-Encoding")) ||
		bytes.EqualFold(name, []byte("Host"))
}

func isClose(token []byte) bool { return bytes.EqualFold(token, []byte("close")) }

// upgradeHeader reports whether f, a Connection token, must stay for an upgrade.
func (a *fastAttempt) upgradeHeader(f []byte) bool {
	return a.upgrade && (bytes.EqualFold(f, []byte("Upgrade")) || bytes.EqualFold(f, []byte("keep-alive")))
}

// The request as pickSide reads it (stickyRequest); the strings are views of the request's
// bytes, read before it changes.

func (a *fastAttempt) cookie(name string) string { return b2s(a.ctx.Request.Header.Cookie(name)) }
func (a *fastAttempt) header(name string) string { return b2s(a.ctx.Request.Header.Peek(name)) }
func (a *fastAttempt) rawQuery() string          { return b2s(a.ctx.URI().QueryString()) }

// clientTLS: the client's side is TLS when a trusted proxy in front says so (prepare left
// X-Forwarded-Proto as "http" for anyone else).
func (a *fastAttempt) clientTLS() bool {
	return bytes.EqualFold(a.ctx.Request.Header.Peek("X-Forwarded-Proto"), []byte("https"))
}

func (a *fastAttempt) setCookie(v string) { a.newCookie = append(a.newCookie[:0], v...) }

func (a *fastAttempt) send(t *upstream.Target) (int, bool, error) {
	if l, ok := t.Handler.(*lambdaTarget); ok {
		return l.sendFast(a)
	}
	f := t.Handler.(*forwarders)
	req, resp := &a.ctx.Request, &a.ctx.Response
	f.setHost(&req.Header, b2s(a.inHost))
	if f.basePath != "" {
		a.scratch = append(append(a.scratch[:0], f.basePath...), req.Header.RequestURI()...)
		req.SetRequestURIBytes(a.scratch)
	}
	if f.tls || a.ctx.IsTLS() { // the target's scheme, not the client's (fasthttp checks it)
		req.URI().SetScheme(map[bool]string{false: "http", true: "https"}[f.tls])
	}
	req.Header.SetNoDefaultContentType(true) // the target gets the Content-Type the client sent, or none
	if a.upgrade {
		return a.tunnel(f)
	}
	err := doFast(f.fast, req, resp, a.deadline)
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
	if len(a.newCookie) > 0 {
		h.Add("Set-Cookie", b2s(a.newCookie))
	}
	secure := bytes.EqualFold(a.ctx.Request.Header.Peek("X-Forwarded-Proto"), []byte("https"))
	if c := a.ryw.SetCookie(a.ctx.Response.StatusCode(), time.Now(), secure); c != "" {
		h.Add("Set-Cookie", c)
	}
}

func (a *fastAttempt) fail(status int, msg string) int {
	a.ctx.Response.Reset()
	a.ctx.Error(msg, status)
	return status
}

func (a *fastAttempt) failErr(err error) int {
	switch {
	case a.body.fault != nil:
		return a.refuse(a.body.fault)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return a.refuse(&refuseTooLarge)
	}
	return a.fail(forwardFailure(err))
}

// retryable: the connection to the target failed before any response, and the request is
// idempotent without a body to replay. Timeouts are not retried.
func (a *fastAttempt) retryable(err error) bool {
	req := &a.ctx.Request
	if cl := req.Header.ContentLength(); !idempotent(req) || cl > 0 || cl == -1 || isTimeout(err) || errors.Is(err, fasthttp.ErrTimeout) {
		return false
	}
	return (a.deadline.IsZero() || time.Now().Before(a.deadline)) && connFailed(err)
}

func (a *fastAttempt) clientFault(err error) bool {
	return a.body.fault != nil || errors.Is(err, fasthttp.ErrBodyTooLarge)
}

// maxRefusedUpgradeBody bounds the body of a target's answer refusing an upgrade.
const maxRefusedUpgradeBody = 1 << 20

// errRefusalTooLarge is a target's refusal of an upgrade with a body past maxRefusedUpgradeBody.
var errRefusalTooLarge = errors.New("the target refused the upgrade with a body over 1 MiB")

// tunnel forwards an upgrade request (WebSocket) on a connection from the target's pool, so
// that tunnels and requests share one cap, transport.max_conns_per_host (a tunnel waits for a
// free connection like a request does). It writes the request (with its body), waits for the
// answer at most response_header_timeout (and no longer than the proxy runs), and when the
// target switches protocols, hands both connections to a pipe that runs until either side
// closes or the proxy's drain ends. The connection then leaves the pool: it is closed.
func (a *fastAttempt) tunnel(f *forwarders) (int, bool, error) {
	req := &a.ctx.Request
	for range maxUnusableConns {
		cc, err := f.fast.AcquireConn(0, true)
		if err != nil {
			return 0, false, err
		}
		up := cc.Conn()
		release := func() { f.fast.CloseConn(cc) } // closes up and frees its place in the pool
		var deadline time.Time
		if f.hdrTimeout > 0 {
			deadline = time.Now().Add(f.hdrTimeout)
		}
		if err := up.SetDeadline(deadline); err != nil { // a kept-alive one is checked here (upstreamConn)
			release()
			if errors.Is(err, errConnUnusable) {
				continue
			}
			return 0, false, err
		}
		reused := !cc.LastUseTime().IsZero()
		stop := context.AfterFunc(a.tunnels, func() { up.Close() })
		br, rh, err := a.handshake(up)
		if err != nil {
			stop()
			release()
			if reused && req.Header.ContentLength() == 0 && !req.IsBodyStream() &&
				(errors.Is(err, io.EOF) || errors.Is(err, fasthttp.ErrConnectionClosed) || isConnReset(err)) {
				continue // closed by the target as it was taken: nothing was read, try another
			}
			return 0, false, err
		}
		if rh.StatusCode() != http.StatusSwitchingProtocols {
			// Refused: pass the answer on as an ordinary response.
			resp := &a.ctx.Response
			rh.CopyTo(&resp.Header)
			err := resp.ReadBody(br, maxRefusedUpgradeBody)
			stop()
			release()
			if err != nil {
				resp.Reset()
				if errors.Is(err, fasthttp.ErrBodyTooLarge) {
					err = errRefusalTooLarge // the target's, not the client's (fasthttp uses one error for both)
				}
				return 0, false, err
			}
			a.stripResponse()
			return rh.StatusCode(), true, nil
		}
		stop()
		_ = detachTunnel(up)
		head := append([]byte(nil), rh.Header()...)
		tunnels := a.tunnels
		a.ctx.HijackSetNoResponse(true)
		a.ctx.Hijack(func(c net.Conn) {
			defer release()
			if _, err := c.Write(head); err != nil {
				return
			}
			pipe(tunnels, c, up, br)
		})
		return http.StatusSwitchingProtocols, true, nil
	}
	return 0, false, errConnUnusable
}

// handshake writes the upgrade request on up and reads the target's answer.
func (a *fastAttempt) handshake(up net.Conn) (*bufio.Reader, *fasthttp.ResponseHeader, error) {
	bw := bufio.NewWriter(up)
	if err := a.ctx.Request.Write(bw); err != nil {
		return nil, nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, nil, err
	}
	br := bufio.NewReader(up)
	rh := new(fasthttp.ResponseHeader)
	rh.DisableNormalizing()
	if err := rh.Read(br); err != nil {
		return nil, nil, err
	}
	return br, rh, nil
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

// fastServer is the plain front end's trafficServer.
type fastServer struct{ s *fasthttp.Server }

func (f fastServer) serve(ln net.Listener) error {
	if err := f.s.Serve(ln); err != nil {
		return err
	}
	return http.ErrServerClosed
}

// shutdown closes the connections left when ctx ends (CloseOnShutdown).
func (f fastServer) shutdown(ctx context.Context) error { return f.s.ShutdownWithContext(ctx) }
