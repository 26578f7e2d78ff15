package strangler

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/route"
	"github.com/carve-dev/carve/strangler/ryw"
	"github.com/carve-dev/carve/strangler/upstream"
)

// The TLS listener (newTLSServer) serves HTTP/1.1 with the plain front end (fast.go) and
// HTTP/2 with net/http's server, which hands each request to ServeHTTP: it checks and routes
// the request, chooses the split's side and forwards it through dispatch (dispatch.go) — to an
// HTTP target with the target's fasthttp client, like the plain front end (sendFast); to a
// Lambda function, or for gRPC, with httputil.ReverseProxy. ServeHTTP also serves HTTP/1
// when Proxy is mounted as an http.Handler; upgrades then take ReverseProxy's tunnel.

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
// outbound request before Rewrite runs, so a client cannot make us drop ours.
func setForwarded(pr *httputil.ProxyRequest, trusted []netip.Prefix) {
	vals := make([]string, 3)
	vals[0], vals[1], vals[2] = forwardedValues(pr.In, trusted)
	h := pr.Out.Header
	h["X-Forwarded-For"] = vals[0:1:1]
	h["X-Forwarded-Host"] = vals[1:2:2]
	h["X-Forwarded-Proto"] = vals[2:3:3]
}

// forwardedValues are X-Forwarded-For, -Host and -Proto for in: the peer, the request's Host
// and scheme. The inbound values are kept only when the peer is a trusted proxy (For then
// lists them before the peer).
func forwardedValues(in *http.Request, trusted []netip.Prefix) (xff, host, proto string) {
	addr, ip := peerIP(in.RemoteAddr)
	xff, host, proto = ip, in.Host, "http"
	if in.TLS != nil {
		proto = "https"
	}
	if !isTrusted(addr, trusted) {
		return xff, host, proto
	}
	if prior, ok := forwardedValue(in, "X-Forwarded-For"); ok {
		xff = prior + ", " + ip
	}
	if v, ok := forwardedValue(in, "X-Forwarded-Host"); ok {
		host = v
	}
	if v, ok := forwardedValue(in, "X-Forwarded-Proto"); ok {
		proto = v
	}
	return xff, host, proto
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
	rec     recorder
	r       *http.Request
	body    *clientBody // nil without a body
	bufs    *bufferPool
	trusted []netip.Prefix
	scratch []byte
	// transport: the request goes to HTTP targets through net/http's transport
	// (viaTransport), not the fasthttp client.
	transport bool
	// clientGone: writing the response to the client failed (its doing, not the target's).
	clientGone bool
	// abort: the target's body failed after the status was sent; the response must end
	// cut short rather than look complete.
	abort bool
}

// send forwards the request to t: an HTTP target through its fasthttp client (sendFast), the
// plain front end's upstream path; a Lambda function, an upgrade or gRPC through
// httputil.ReverseProxy.
func (a *stdAttempt) send(t *upstream.Target) (int, bool, error) {
	a.rec.err = nil
	if f, ok := t.Handler.(*forwarders); ok && !a.transport {
		return a.sendFast(f)
	}
	t.Handler.ServeHTTP(&a.rec, a.r)
	return a.rec.status, a.rec.wrote, a.rec.err
}

func (a *stdAttempt) fail(status int, msg string) int {
	http.Error(&a.rec, msg, status)
	return status
}

func (a *stdAttempt) failErr(err error) int {
	switch {
	case a.body != nil && a.body.fault != nil:
		return a.refuse(a.body.fault)
	case errors.Is(err, context.Canceled) && a.r.Context().Err() != nil:
		return 0 // the client is gone; nobody reads a status
	}
	return a.fail(forwardFailure(err))
}

// refuse answers a request the proxy will not forward and closes the connection (HTTP/1).
func (a *stdAttempt) refuse(ref *refusal) int {
	a.rec.Header().Set("Connection", "close")
	return a.fail(ref.status, ref.msg)
}

func (a *stdAttempt) retryable(err error) bool { return retryable(a.r, err) }

func (a *stdAttempt) clientFault(err error) bool {
	return a.body != nil && a.body.fault != nil || a.clientGone || clientFault(a.r, err)
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

// ServeHTTP routes, splits and forwards one request (the TLS and HTTP/2 front end; plain
// HTTP/1.1 is served by serveFast).
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := r.Context()
	rt := p.rt.Load()
	a := p.attempts.Get().(*stdAttempt)
	a.rec.reset(w)
	a.rec.secure = r.TLS != nil
	a.r, a.trusted = r, rt.trusted
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
	abort := a.abort
	a.r, a.body, a.trusted, a.transport, a.clientGone, a.abort = nil, nil, nil, false, false, false
	a.rec.reset(nil)
	p.attempts.Put(a)
	if abort {
		panic(http.ErrAbortHandler) // net/http's server ends the response cut short, quietly
	}
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
	// An HTTP/2 request without a body still has one that reads nothing (ContentLength 0):
	// no clientBody for it, so the target gets no body stream to read either.
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
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
	a.transport = viaTransport(r)
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

// viaTransport reports whether r goes to an HTTP target through net/http's transport rather
// than the fasthttp client both front ends share: an upgrade (WebSocket; the transport hands
// the switched connection to ReverseProxy's tunnel) or gRPC, which needs HTTP/2 to the target
// and its trailers relayed, which only net/http's transport does.
func viaTransport(r *http.Request) bool {
	return isUpgrade(r) || strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc")
}

// sendFast forwards the request to an HTTP target through the target's fasthttp client, the
// plain front end's upstream path — pooled connections checked before reuse (a target that
// answered twice cannot shift responses), response_header_timeout up to the end of the header
// block — and relays the answer, streaming its body.
func (a *stdAttempt) sendFast(f *forwarders) (int, bool, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	defer fasthttp.ReleaseRequest(req)
	a.outbound(req, f)
	resp.Header.SetNoDefaultContentType(true)
	var deadline time.Time
	if d, ok := a.r.Context().Deadline(); ok {
		deadline = d
	}
	if err := doFast(f.fast, req, resp, deadline); err != nil {
		return 0, false, err
	}
	return a.relay(resp)
}

// outbound makes req the request a target gets: the client's method, path (after the route's
// path policy, under the target's base path), query and end-to-end headers; hop-by-hop headers
// and those Connection names dropped, as are header names with an underscore; the Host the
// upstream's host_header says; X-Forwarded-For/-Host/-Proto the proxy's (setForwarded's
// values); the body streamed through clientBody.
func (a *stdAttempt) outbound(req *fasthttp.Request, f *forwarders) {
	r := a.r
	h := &req.Header
	h.DisableNormalizing() // net/http's server has put the names in canonical form already
	h.SetMethod(r.Method)
	if r.ProtoMajor == 1 && r.ProtoMinor == 0 {
		h.SetProtocol("HTTP/1.0") // as the plain front end: the client's version
	}
	uri := append(append(a.scratch[:0], f.basePath...), r.URL.EscapedPath()...)
	if r.URL.RawQuery != "" || r.URL.ForceQuery {
		uri = append(append(uri, '?'), r.URL.RawQuery...)
	}
	a.scratch = uri
	req.SetRequestURIBytes(uri)
	named := r.Header["Connection"]
	for k, vs := range r.Header {
		if !endToEnd(k) || len(named) > 0 && connectionNames(named, k) {
			continue
		}
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	xff, xfh, xfp := forwardedValues(r, a.trusted)
	h.Set("X-Forwarded-For", xff)
	h.Set("X-Forwarded-Host", xfh)
	h.Set("X-Forwarded-Proto", xfp)
	switch f.hostMode {
	case "":
		h.SetHost(r.Host)
	case "target":
		h.SetHost(f.host)
	default:
		h.SetHost(f.hostMode)
	}
	req.UseHostHeader = true
	if f.tls {
		req.URI().SetScheme("https")
	}
	h.SetNoDefaultContentType(true) // the target gets the Content-Type the client sent, or none
	if a.body != nil {
		req.SetBodyStream(a.body, int(r.ContentLength)) // -1: chunked
	}
}

// endToEnd reports whether the client's header k may go to the target as it is: not a
// hop-by-hop header, not framing (the body sets it), not a forwarding header (the proxy sets
// those), and without an underscore (a target may read X_User as X-User).
func endToEnd(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer",
		"Upgrade", "Transfer-Encoding", "Content-Length", "Host", "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto":
		return false
	}
	return strings.IndexByte(k, '_') < 0
}

// connectionNames reports whether the Connection values vals name header k.
func connectionNames(vals []string, k string) bool {
	for _, v := range vals {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), k) {
				return true
			}
		}
	}
	return false
}

// relay writes the target's answer to the client: its status, its end-to-end headers and its
// body, streamed (flushed as it comes when its length is unknown or it is an event stream).
// A body that fails once the status is sent leaves the response cut short (abort).
func (a *stdAttempt) relay(resp *fasthttp.Response) (int, bool, error) {
	w := &a.rec
	dst := w.Header()
	rh := &resp.Header
	named := rh.PeekAll(fasthttp.HeaderConnection)
	for k, v := range rh.All() {
		key := headerKey(k)
		if !endToEnd(key) || key == "Connection" || len(named) > 0 && namedIn(named, k) {
			continue
		}
		dst[key] = append(dst[key], string(v))
	}
	status := resp.StatusCode()
	cl := rh.ContentLength()
	if cl >= 0 && bodyAllowed(status) {
		dst["Content-Length"] = []string{strconv.Itoa(cl)}
	}
	if _, ok := dst["Content-Type"]; !ok {
		dst["Content-Type"] = nil // no sniffing: the client gets what the target sent
	}
	w.WriteHeader(status)
	stream := resp.BodyStream()
	if stream == nil {
		if body := resp.Body(); len(body) > 0 {
			if _, err := w.Write(body); err != nil {
				a.clientGone = true
				return status, true, err
			}
		}
		return status, true, nil
	}
	flush := cl < 0 || bytes.HasPrefix(rh.ContentType(), []byte("text/event-stream"))
	buf := a.bufs.Get()
	defer a.bufs.Put(buf)
	for {
		n, rerr := stream.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				a.clientGone = true // the stream, not read to its end, closes its connection
				return status, true, err
			}
			if flush {
				w.Flush()
			}
		}
		switch {
		case rerr == io.EOF:
			return status, true, nil
		case rerr != nil:
			a.abort = true // the client must not take a cut body for a whole one
			return status, true, rerr
		}
	}
}

// namedIn reports whether the Connection values vals name header k.
func namedIn(vals [][]byte, k []byte) bool {
	for _, v := range vals {
		for tok := range bytes.SplitSeq(v, []byte(",")) {
			if bytes.EqualFold(bytes.TrimSpace(tok), k) {
				return true
			}
		}
	}
	return false
}

// bodyAllowed reports whether a response with status may have a body (and so a length).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// headerKey is a response header's name as a string: the common names without allocating.
func headerKey(k []byte) string {
	switch string(k) {
	case "Content-Type":
		return "Content-Type"
	case "Content-Length":
		return "Content-Length"
	case "Content-Encoding":
		return "Content-Encoding"
	case "Date":
		return "Date"
	case "Server":
		return "Server"
	case "Set-Cookie":
		return "Set-Cookie"
	case "Cache-Control":
		return "Cache-Control"
	case "Etag":
		return "Etag"
	case "Last-Modified":
		return "Last-Modified"
	case "Vary":
		return "Vary"
	case "Location":
		return "Location"
	case "Connection":
		return "Connection"
	}
	return string(k)
}
