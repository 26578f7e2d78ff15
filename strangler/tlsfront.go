package strangler

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/route"
	"github.com/carve-dev/carve/strangler/ryw"
	"github.com/carve-dev/carve/strangler/upstream"
)

// The TLS front end (HTTP/1.1 and HTTP/2 by ALPN): net/http's server hands each request to
// ServeHTTP, which checks and routes it, chooses the split's side and forwards it through
// dispatch (dispatch.go) with httputil.ReverseProxy.

// newTransport is the upstream transport: a keep-alive pool sized for a proxy (Go's default
// keeps 2 idle connections per host, which costs a third of the throughput).
func newTransport(c config.Transport) *http.Transport {
	d := &net.Dialer{Timeout: c.DialTimeout.D(), KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil, // never an environment proxy between us and our targets
		DialContext:           d.DialContext,
		MaxIdleConns:          0, // bounded per host instead
		MaxIdleConnsPerHost:   c.MaxIdleConnsPerHost,
		MaxConnsPerHost:       c.MaxConnsPerHost,
		IdleConnTimeout:       c.IdleConnTimeout.D(),
		ResponseHeaderTimeout: c.ResponseHeaderTimeout.D(),
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		// A proxy passes Accept-Encoding through as the client sent it; Go's default would
		// ask upstreams for gzip and then spend CPU decompressing it for clients that did
		// not ask.
		DisableCompression: true,
	}
}

// bufferPool lends ReverseProxy its 32 KiB copy buffers instead of allocating one per
// response. It pools array pointers, so neither Get nor Put allocates.
type bufferPool struct{ p sync.Pool }

const copyBufSize = 32 << 10

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { return new([copyBufSize]byte) }}}
}

func (b *bufferPool) Get() []byte { return b.p.Get().(*[copyBufSize]byte)[:] }

func (b *bufferPool) Put(x []byte) {
	if cap(x) >= copyBufSize {
		b.p.Put((*[copyBufSize]byte)(x[:copyBufSize]))
	}
}

// errTunnelsFull is a tunnel refused on the TLS front end because its target has
// max_conns_per_host open.
var errTunnelsFull = errors.New("too many tunnels to the target (transport.max_conns_per_host)")

func (f *forwarders) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.slots != nil && isUpgrade(r) {
		select {
		case f.slots <- struct{}{}:
			defer func() { <-f.slots }() // ReverseProxy returns when the tunnel ends
		default:
			recordError(w, r, errTunnelsFull)
			return
		}
	}
	f.rp.ServeHTTP(w, r)
}

// isUpgrade reports whether r asks to switch protocols as httputil.ReverseProxy reads it: an
// Upgrade header and a Connection header naming it.
func isUpgrade(r *http.Request) bool {
	if r.ProtoMajor != 1 || r.Header.Get("Upgrade") == "" {
		return false
	}
	for _, v := range r.Header["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// tunnelSlots returns the semaphore capping scheme://host's tunnels on the TLS front end at
// max_conns_per_host (nil without a cap), shared across targets and reloads like the clients.
func (p *Proxy) tunnelSlots(scheme, host string) chan struct{} {
	n := p.transportCfg.MaxConnsPerHost
	if n <= 0 {
		return nil
	}
	key := scheme + "://" + host
	p.clientsMu.Lock()
	defer p.clientsMu.Unlock()
	if s, ok := p.slots[key]; ok {
		return s
	}
	s := make(chan struct{}, n)
	p.slots[key] = s
	return s
}

// setForwarded sets X-Forwarded-For/-Host/-Proto. ReverseProxy has already removed the
// inbound ones and every hop-by-hop header (including those named in Connection) from the
// outbound request before Rewrite runs, so a client cannot make us drop ours. The inbound
// values are kept only when the peer is a trusted proxy.
func setForwarded(pr *httputil.ProxyRequest, trusted []netip.Prefix) {
	in, h := pr.In, pr.Out.Header
	addr, ip := peerIP(in.RemoteAddr)
	proto := "http"
	if in.TLS != nil {
		proto = "https"
	}
	vals := make([]string, 3)
	vals[0], vals[1], vals[2] = ip, in.Host, proto
	if isTrusted(addr, trusted) {
		if prior, ok := forwardedValue(in, "X-Forwarded-For"); ok {
			vals[0] = prior + ", " + ip
		}
		if v, ok := forwardedValue(in, "X-Forwarded-Host"); ok {
			vals[1] = v
		}
		if v, ok := forwardedValue(in, "X-Forwarded-Proto"); ok {
			vals[2] = v
		}
	}
	h["X-Forwarded-For"] = vals[0:1:1]
	h["X-Forwarded-Host"] = vals[1:2:2]
	h["X-Forwarded-Proto"] = vals[2:3:3]
}

// dropUnderscored deletes header names with an underscore, as the plain front end does
// (scanRawHeaders): a target may read X_User as X-User.
func dropUnderscored(h http.Header) {
	for k := range h {
		if strings.IndexByte(k, '_') >= 0 {
			delete(h, k)
		}
	}
}

// forwardedValue returns an inbound forwarding header unless the client marked it hop-by-hop.
func forwardedValue(in *http.Request, name string) (string, bool) {
	vs := in.Header[name]
	if len(vs) == 0 {
		return "", false
	}
	for _, c := range in.Header["Connection"] {
		for f := range strings.SplitSeq(c, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return "", false
			}
		}
	}
	if len(vs) == 1 {
		return vs[0], true
	}
	return strings.Join(vs, ", "), true
}

// recordError is ReverseProxy's error handler: it writes nothing, so the proxy can retry on
// another target or answer with the right status.
func recordError(w http.ResponseWriter, _ *http.Request, err error) {
	if rec, ok := w.(*recorder); ok {
		rec.err = err
		return
	}
	w.WriteHeader(http.StatusBadGateway)
}

// recorder wraps the client's ResponseWriter to learn the status, the bytes written and a
// forwarding error. It passes flushes and hijacks (WebSocket) through.
type recorder struct {
	w http.ResponseWriter
	// ryw: on a read-your-writes route, what the response's cookie records.
	ryw      ryw.Visit
	secure   bool
	status   int
	bytes    int64
	err      error
	wrote    bool
	hijacked bool
	capture  *shadowCapture // a bounded copy of the body for shadow traffic, or nil
}

func (r *recorder) reset(w http.ResponseWriter) { *r = recorder{w: w} }

func (r *recorder) Header() http.Header { return r.w.Header() }

func (r *recorder) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		r.w.WriteHeader(code) // informational: the final status is still to come
		return
	}
	if !r.wrote {
		r.status, r.wrote = code, true
		if c := r.ryw.SetCookie(code, time.Now(), r.secure); c != "" {
			r.w.Header().Add("Set-Cookie", c)
		}
	}
	r.w.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	n, err := r.w.Write(b)
	r.bytes += int64(n)
	if r.capture != nil {
		r.capture.write(b[:n])
	}
	return n, err
}

func (r *recorder) Flush() { _ = r.FlushError() }

func (r *recorder) FlushError() error {
	switch f := r.w.(type) {
	case interface{ FlushError() error }:
		return f.FlushError()
	case http.Flusher:
		f.Flush()
		return nil
	}
	return http.ErrNotSupported
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.w.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	c, rw, err := hj.Hijack()
	if err == nil {
		r.hijacked, r.wrote, r.status = true, true, http.StatusSwitchingProtocols
	}
	return c, rw, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.w }

// stdAttempt is a request of the net/http front end.
type stdAttempt struct {
	rec  recorder
	r    *http.Request
	body *clientBody // nil without a body
}

func (a *stdAttempt) send(t *upstream.Target) (int, bool, error) {
	a.rec.err = nil
	t.Handler.ServeHTTP(&a.rec, a.r)
	return a.rec.status, a.rec.wrote, a.rec.err
}

func (a *stdAttempt) fail(status int, msg string) int {
	http.Error(&a.rec, msg, status)
	return status
}

func (a *stdAttempt) failErr(err error) int {
	if a.body != nil && a.body.fault != nil {
		return a.refuse(a.body.fault)
	}
	writeForwardError(&a.rec, a.r, err)
	return a.rec.status
}

// refuse answers a request the proxy will not forward and closes the connection (HTTP/1).
func (a *stdAttempt) refuse(ref *refusal) int {
	a.rec.Header().Set("Connection", "close")
	return a.fail(ref.status, ref.msg)
}

func (a *stdAttempt) retryable(err error) bool { return retryable(a.r, err) }

func (a *stdAttempt) clientFault(err error) bool {
	return a.body != nil && a.body.fault != nil || clientFault(a.r, err)
}

// retryable reports whether r may go to another target after err: the connection to the
// target failed before any response (refused, reset, closed), and the request is idempotent
// without a body to replay. Timeouts are not retried: a slow target would get the load twice.
func retryable(r *http.Request, err error) bool {
	if !idempotentMethod(r.Method) || r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		return false
	}
	return r.Context().Err() == nil && !isTimeout(err) && connFailed(err)
}

// clientFault reports whether a forwarding error was the client's doing (it went away, asked
// for a bad upgrade), which must not count against the target. Body faults are the
// clientBody's to tell.
func clientFault(r *http.Request, err error) bool {
	switch {
	case r.Context().Err() != nil && errors.Is(err, context.Canceled):
		return true
	case strings.HasPrefix(err.Error(), "client tried to switch"):
		return true
	}
	return false
}

func writeForwardError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client is gone; nobody reads a status.
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		http.Error(w, "upstream timed out", http.StatusGatewayTimeout)
	case errors.Is(err, errTunnelsFull):
		http.Error(w, "too many tunnels to the target", http.StatusServiceUnavailable)
	default:
		http.Error(w, "upstream unreachable", http.StatusBadGateway)
	}
}

// ServeHTTP routes, splits and forwards one request (the TLS and HTTP/2 front end; plain
// HTTP/1.1 is served by serveFast).
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := r.Context()
	rt := p.rt.Load()
	a := p.attempts.Get().(*stdAttempt)
	a.rec.reset(w)
	a.rec.secure = r.TLS != nil
	a.r = r
	lr, ref := a.route(rt)
	st := lr.state.Load()
	side := 0
	if st.split.Len() > 1 && ref == nil {
		side, a.rec.ryw = chooseSide(ctx, lr, st, a, r.Method, start)
	}
	var target *upstream.Target
	var reqCopy *shadowCapture
	attempts := 0
	switch {
	case ref != nil:
		a.refuse(ref)
	case lr.maxBody > 0 && r.ContentLength > lr.maxBody:
		a.refuse(&refuseTooLarge)
	default:
		target, attempts, reqCopy = a.forward(p, lr, st, side)
	}
	rec := &a.rec
	elapsed := lr.observe(st, side, rec.status, start)
	if reqCopy != nil && rec.status != 0 && rec.err == nil && !rec.hijacked {
		a.shadowStd(lr.shadow, st.pools[side], reqCopy)
	}
	if p.sampled(rt) {
		p.logAccess(ctx, accessEntry{route: lr.name, upstream: st.pools[side].Name, target: target,
			method: r.Method, host: r.Host, path: r.URL.Path, status: rec.status, bytes: rec.bytes,
			remote: r.RemoteAddr, attempts: attempts, proto: r.Proto, err: rec.err, elapsed: elapsed})
	}
	a.r, a.body = nil, nil
	a.rec.reset(nil)
	p.attempts.Put(a)
}

// route checks the request (syntax.go) and routes it under the path policies (routePath),
// putting the path to forward in its URL; a refused request stays on the default route.
func (a *stdAttempt) route(rt *runtime) (*liveRoute, *refusal) {
	r := a.r
	if ref := checkStd(r); ref != nil {
		return rt.def, ref
	}
	escaped := r.URL.EscapedPath()
	lr, routeOn, forward, ref := rt.routePath(escaped, func(path string) int {
		return rt.table.MatchWith(r.Method, r.Host, path, route.StdHeaders(r.Header))
	})
	if ref != nil {
		return rt.def, ref
	}
	if forward != escaped {
		r.URL.Path, r.URL.RawPath = routeOn, forward // normalize: the cleaned path goes upstream
	}
	return lr, nil
}

// checkStd applies the request checks to what net/http's server has parsed.
func checkStd(r *http.Request) *refusal {
	if ref := checkMethod(r.Method); ref != nil {
		return ref
	}
	if r.ProtoMajor == 1 {
		if ref := checkRequestLine(r.Method, r.Proto); ref != nil {
			return ref
		}
	}
	if ref := checkHost(r.Host); ref != nil {
		return ref
	}
	if r.ProtoMajor == 1 && r.ProtoMinor == 0 && len(r.TransferEncoding) > 0 {
		return &refuseTE10 // RFC 9112 §6.1: faulty framing; net/http's server would read no body
	}
	return nil
}

// forward sends an accepted request through dispatch: its body bounded (clientBody), within
// the route's timeout, copied for shadow traffic when sampled.
func (a *stdAttempt) forward(p *Proxy, lr *liveRoute, st *splitState, side int) (*upstream.Target, int, *shadowCapture) {
	r, w := a.r, a.rec.w
	if r.ProtoMajor == 1 && len(r.TransferEncoding) > 0 {
		// net/http's server lets Transfer-Encoding win over a Content-Length and drops
		// the latter before carve sees it; RFC 9112 §6.3 then requires closing the
		// connection, as a peer in front may have framed the body by the length.
		w.Header().Set("Connection", "close")
	}
	if r.Body != nil && r.Body != http.NoBody {
		limit := int64(-1)
		if lr.maxBody > 0 {
			limit = lr.maxBody
		}
		a.body = new(clientBody) // not pooled: the transport may read it after the handler
		a.body.reset(r.Body, http.NewResponseController(w).SetReadDeadline, limit, p.serverCfg)
		r.Body = a.body
	}
	if lr.timeout > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), lr.timeout)
		defer cancel()
		a.r = r.WithContext(ctx)
	}
	var reqCopy *shadowCapture
	if lr.shadow != nil {
		if reqCopy = lr.shadow.shadowStart(r.Method, st.pools[side], r.ContentLength, a.body); reqCopy != nil {
			a.rec.capture = &shadowCapture{max: lr.shadow.cfg.MaxBodyBytes}
		}
	}
	target, attempts, _, _ := dispatch(lr, st, side, a)
	return target, attempts, reqCopy
}

// The request as pickSide reads it (stickyRequest).

func (a *stdAttempt) cookie(name string) string { return cookieValue(a.r.Header["Cookie"], name) }

func (a *stdAttempt) header(name string) string {
	if vs := a.r.Header[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func (a *stdAttempt) rawQuery() string   { return a.r.URL.RawQuery }
func (a *stdAttempt) clientTLS() bool    { return a.r.TLS != nil }
func (a *stdAttempt) setCookie(v string) { a.rec.w.Header().Add("Set-Cookie", v) }

// reverseProxy is a target's forwarder on this front end.
func (p *Proxy) reverseProxy(rt *runtime, scheme, host, basePath, hostMode string) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			out := pr.Out
			out.URL.Scheme, out.URL.Host = scheme, host
			if basePath != "" {
				out.URL.Path = basePath + out.URL.Path
				if out.URL.RawPath != "" {
					out.URL.RawPath = basePath + out.URL.RawPath
				}
			}
			switch hostMode {
			case "":
				out.Host = pr.In.Host
			case "target":
				out.Host = ""
			default:
				out.Host = hostMode
			}
			setForwarded(pr, rt.trusted)
			dropUnderscored(out.Header)
		},
		Transport:    p.transport,
		BufferPool:   p.bufs,
		ErrorHandler: recordError,
		ErrorLog:     slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
}

// newTLSServer is the TLS front end's server for cfg (HTTP/2 negotiated by ALPN); conns is
// the base context of its requests.
func (p *Proxy) newTLSServer(cfg *config.Config, conns context.Context) (trafficServer, error) {
	cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s and key %s: %w", cfg.TLS.CertFile, cfg.TLS.KeyFile, err)
	}
	s := cfg.Server
	return tlsServer{&http.Server{
		Handler:           p,
		ReadHeaderTimeout: s.ReadHeaderTimeout.D(),
		ReadTimeout:       s.ReadTimeout.D(),
		WriteTimeout:      s.WriteTimeout.D(),
		IdleTimeout:       s.IdleTimeout.D(),
		MaxHeaderBytes:    s.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return conns },
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}}, nil
}

// tlsServer is the TLS front end's trafficServer.
type tlsServer struct{ s *http.Server }

func (t tlsServer) serve(ln net.Listener) error { return t.s.ServeTLS(ln, "", "") }

func (t tlsServer) shutdown(ctx context.Context) error {
	err := t.s.Shutdown(ctx)
	if err != nil {
		t.s.Close()
	}
	return err
}
