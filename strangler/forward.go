package strangler

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/route"
	"github.com/carve-dev/carve/strangler/ryw"
	"github.com/carve-dev/carve/strangler/upstream"
)

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

// forwarders are a target's two forwarders: httputil.ReverseProxy for the net/http front end
// (TLS and HTTP/2) and a fasthttp client for the plain HTTP/1.1 front end.
type forwarders struct {
	rp       *httputil.ReverseProxy
	fast     *fasthttp.HostClient
	host     string // the target's host:port
	basePath string // the target URL's path without its trailing slash
	tls      bool
	hostMode string // the upstream's host_header
	// hdrTimeout bounds a tunnel's (upgrade's) handshake on the plain front end.
	hdrTimeout time.Duration
	// slots caps the target's open tunnels on the TLS front end at max_conns_per_host (nil:
	// no cap). net/http's transport stops counting a connection once it switches protocols;
	// the plain front end's tunnels are counted by fasthttp's pool with its requests.
	slots chan struct{}
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

// forwarderFor returns the builder of a target's forwarders within runtime rt.
func (p *Proxy) forwarderFor(rt *runtime, u *config.Upstream) func(*url.URL) http.Handler {
	hostMode := u.HostHeader
	return func(target *url.URL) http.Handler {
		scheme, host, basePath := target.Scheme, target.Host, strings.TrimSuffix(target.Path, "/")
		rp := &httputil.ReverseProxy{
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
		return &forwarders{rp: rp, fast: p.fastClient(scheme, host), host: host, basePath: basePath,
			tls: scheme == "https", hostMode: hostMode,
			hdrTimeout: p.transportCfg.ResponseHeaderTimeout.D(), slots: p.tunnelSlots(scheme, host)}
	}
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

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
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

type stickyKind uint8

const (
	stickyNone stickyKind = iota
	stickyCookie
	stickyHeader
	stickyQuery
)

// maxTried bounds the targets one request may try (the first plus retries).
const maxTried = 11

// attempt is one request being forwarded, as a front end (net/http or fasthttp) does it;
// dispatch drives it through the targets of the chosen upstream.
type attempt interface {
	// send forwards the request to t. It returns the response status (0 when none came),
	// whether a response was committed to the client (nothing else may be written then) and
	// the forwarding error.
	send(t *upstream.Target) (status int, committed bool, err error)
	// fail answers the client with status and msg and returns status.
	fail(status int, msg string) int
	// failErr answers the client for forwarding error err and returns the status sent.
	failErr(err error) int
	// retryable reports whether the request may go to another target after err.
	retryable(err error) bool
	// clientFault reports whether err was the client's doing (it must not count against the
	// target).
	clientFault(err error) bool
}

// dispatch forwards a to a healthy target of the split's side, retrying idempotent requests
// on another target after a connection failure, and reports each outcome to the pool. It
// returns the last target tried, the number of attempts, the status sent and the last error.
func dispatch(lr *liveRoute, st *splitState, side int, a attempt) (target *upstream.Target, attempts, status int, err error) {
	pool := st.pools[side]
	var tried [maxTried]*upstream.Target
	for {
		t := pool.Next(tried[:attempts])
		if t == nil {
			if attempts == 0 {
				st.unavail[side].Inc()
				return nil, 0, a.fail(http.StatusServiceUnavailable, "no healthy target for upstream "+pool.Name), nil
			}
			return target, attempts, a.fail(http.StatusBadGateway, "upstream "+pool.Name+" unreachable"), err
		}
		target = t
		tried[attempts] = t
		attempts++
		t.Begin()
		var committed bool
		status, committed, err = a.send(t)
		t.End()
		if err != nil && (a.clientFault(err) || atLimit(err)) {
			// The client's doing (a malformed or trickled body, a client gone), or the proxy's
			// own cap on connections to the target: the target's health is not touched, and
			// no other target gets the request.
			if committed {
				return target, attempts, status, err
			}
			return target, attempts, a.failErr(err), err
		}
		failed := err != nil ||
			status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
		pool.Report(t, !failed)
		if err == nil || committed {
			return target, attempts, status, err
		}
		if attempts <= lr.retries && attempts < maxTried && a.retryable(err) {
			st.retries[side].Inc()
			continue
		}
		return target, attempts, a.failErr(err), err
	}
}

// atLimit reports whether err is the proxy's cap on connections to a target
// (transport.max_conns_per_host): no connection was free within dial_timeout, or no tunnel
// slot was.
func atLimit(err error) bool {
	return errors.Is(err, fasthttp.ErrNoFreeConns) || errors.Is(err, errTunnelsFull)
}

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

// ServeHTTP routes, splits and forwards one request (the TLS and HTTP/2 front end; plain
// HTTP/1.1 is served by serveFast).
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rt := p.rt.Load()
	lr := rt.def
	a := p.attempts.Get().(*stdAttempt)
	a.rec.reset(w)
	ref := checkMethod(r.Method)
	if r.ProtoMajor == 1 && ref == nil {
		ref = checkRequestLine(r.Method, r.Proto)
	}
	if ref == nil {
		ref = checkHost(r.Host)
	}
	if ref == nil && r.ProtoMajor == 1 && r.ProtoMinor == 0 && len(r.TransferEncoding) > 0 {
		ref = &refuseTE10 // RFC 9112 §6.1: faulty framing; net/http's server would read no body
	}
	if ref == nil {
		escaped := r.URL.EscapedPath()
		to, routeOn, forward, pref := rt.routePath(escaped, func(path string) int {
			return rt.table.MatchWith(r.Method, r.Host, path, route.StdHeaders(r.Header))
		})
		if ref = pref; ref == nil {
			lr = to
			if forward != escaped {
				r.URL.Path, r.URL.RawPath = routeOn, forward // normalize: the cleaned path goes upstream
			}
		}
	}
	st := lr.state.Load()
	side := 0
	if st.split.Len() > 1 && ref == nil {
		side = p.pickSide(lr, st, w, r)
		if g := lr.ryw; g != nil {
			side, a.rec.ryw = g.Choose(r.Context(), cookieValue(r, g.Cookie), side, st.names, start, ryw.IsWrite(r.Method))
			a.rec.secure = r.TLS != nil
		}
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
			r = r.WithContext(ctx)
		}
		if lr.shadow != nil {
			if reqCopy = lr.shadow.shadowStart(r.Method, st.pools[side], r.ContentLength, a.body); reqCopy != nil {
				a.rec.capture = &shadowCapture{max: lr.shadow.cfg.MaxBodyBytes}
			}
		}
		a.r = r
		target, attempts, _, _ = dispatch(lr, st, side, a)
	}
	rec := &a.rec
	elapsed := lr.observe(st, side, rec.status, start)
	if reqCopy != nil && rec.status != 0 && rec.err == nil && !rec.hijacked {
		a.shadowStd(lr.shadow, st.pools[side], reqCopy)
	}
	if p.sampled(rt) {
		var errText string
		if rec.err != nil {
			errText = rec.err.Error()
		}
		p.logAccess(r.Context(), accessEntry{route: lr.name, upstream: st.pools[side].Name, target: target,
			method: r.Method, host: r.Host, path: r.URL.Path, status: rec.status, bytes: rec.bytes,
			remote: r.RemoteAddr, attempts: attempts, proto: r.Proto, err: errText, elapsed: elapsed})
	}
	a.r, a.body = nil, nil
	a.rec.reset(nil)
	p.attempts.Put(a)
}

// statusClass is a status's index in statusClasses (0 for none or an invalid one).
func statusClass(status int) int {
	if status >= 100 && status < 600 {
		return status / 100
	}
	return 0
}

// retryable reports whether r may go to another target after err: the connection to the
// target failed before any response (refused, reset, closed), and the request is idempotent
// without a body to replay. Timeouts are not retried: a slow target would get the load twice.
func retryable(r *http.Request, err error) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
	default:
		return false
	}
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		return false
	}
	if r.Context().Err() != nil || isTimeout(err) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
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

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// pickSide chooses the side of a split for r: sticky by key when the route says so and the
// key is present (setting the cookie when absent), otherwise at random by weight.
func (p *Proxy) pickSide(lr *liveRoute, st *splitState, w http.ResponseWriter, r *http.Request) int {
	var key string
	switch lr.stickyKey {
	case stickyCookie:
		key = cookieValue(r, lr.stickyArg)
		if key == "" {
			key = newKey()
			c := &http.Cookie{Name: lr.stickyArg, Value: key, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, MaxAge: lr.cookieTTL}
			if v := c.String(); v != "" {
				w.Header().Add("Set-Cookie", v)
			}
		}
	case stickyHeader:
		if vs := r.Header[lr.stickyArg]; len(vs) > 0 {
			key = vs[0]
		}
	case stickyQuery:
		key = queryValue(r.URL.RawQuery, lr.stickyArg)
	}
	if key == "" {
		return st.split.PickRandom(rand.Uint64())
	}
	return st.split.PickKey(key)
}

func newKey() string {
	var b [12]byte
	_, _ = crand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// cookieValue finds a cookie without parsing every cookie into values (no allocation).
func cookieValue(r *http.Request, name string) string {
	for _, line := range r.Header["Cookie"] {
		for len(line) > 0 {
			var part string
			if i := strings.IndexByte(line, ';'); i >= 0 {
				part, line = line[:i], line[i+1:]
			} else {
				part, line = line, ""
			}
			part = strings.TrimSpace(part)
			if len(part) > len(name) && part[len(name)] == '=' && part[:len(name)] == name {
				v := part[len(name)+1:]
				if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				return v
			}
		}
	}
	return ""
}

// queryValue finds a raw query parameter's (still escaped) value without parsing the query.
func queryValue(raw, name string) string {
	for len(raw) > 0 {
		var part string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			part, raw = raw[:i], raw[i+1:]
		} else {
			part, raw = raw, ""
		}
		if len(part) > len(name) && part[len(name)] == '=' && part[:len(name)] == name {
			return part[len(name)+1:]
		}
	}
	return ""
}

func (p *Proxy) sampled(rt *runtime) bool {
	s := *rt.cfg.AccessLog.Sample
	switch {
	case s >= 1:
		return true
	case s <= 0:
		return false
	}
	return rand.Float64() < s
}

// accessEntry is one access-log line.
type accessEntry struct {
	route, upstream                   string
	target                            *upstream.Target
	method, host, path, remote, proto string
	status, attempts                  int
	bytes                             int64
	err                               string
	elapsed                           time.Duration
}

func (p *Proxy) logAccess(ctx context.Context, e accessEntry) {
	target := ""
	if e.target != nil {
		target = e.target.Key
	}
	status := e.status
	if status == 0 {
		status = 499 // the client closed the connection before a response
	}
	attrs := []slog.Attr{
		slog.String("route", e.route), slog.String("upstream", e.upstream), slog.String("target", target),
		slog.String("method", e.method), slog.String("host", e.host), slog.String("path", e.path),
		slog.Int("status", status), slog.Int64("bytes", e.bytes),
		slog.Float64("duration_ms", float64(e.elapsed.Microseconds())/1000), slog.String("remote", e.remote),
		slog.Int("attempts", e.attempts), slog.String("proto", e.proto),
	}
	if e.err != "" {
		attrs = append(attrs, slog.String("err", e.err))
	}
	p.access.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}
