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

	"github.com/carve-dev/carve/strangler/config"
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

// forwarderFor returns the builder of a target's forwarder within runtime rt.
func (p *Proxy) forwarderFor(rt *runtime, u *config.Upstream) func(*url.URL) http.Handler {
	hostMode := u.HostHeader
	return func(target *url.URL) http.Handler {
		scheme, host, basePath := target.Scheme, target.Host, strings.TrimSuffix(target.Path, "/")
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
			},
			Transport:    p.transport,
			BufferPool:   p.bufs,
			ErrorHandler: recordError,
			ErrorLog:     slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		}
	}
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
	w        http.ResponseWriter
	status   int
	bytes    int64
	err      error
	wrote    bool
	hijacked bool
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
	}
	r.w.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	n, err := r.w.Write(b)
	r.bytes += int64(n)
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

// ServeHTTP routes, splits and forwards one request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rt := p.rt.Load()
	lr := rt.def
	if i := rt.table.Match(r); i >= 0 {
		lr = rt.routes[i]
	}
	st := lr.state.Load()
	side := 0
	if st.split.Len() > 1 {
		side = p.pickSide(lr, st, w, r)
	}
	pool := st.pools[side]
	rec := p.recs.Get().(*recorder)
	rec.reset(w)

	var target *upstream.Target
	attempts := 0
	switch {
	case lr.maxBody > 0 && r.ContentLength > lr.maxBody:
		http.Error(rec, "request body too large", http.StatusRequestEntityTooLarge)
	default:
		if lr.maxBody > 0 && r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, lr.maxBody)
		}
		if lr.timeout > 0 {
			ctx, cancel := context.WithTimeout(r.Context(), lr.timeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		var tried [maxTried]*upstream.Target
		for {
			target = pool.Next(tried[:attempts])
			if target == nil {
				if attempts == 0 {
					st.unavail[side].Inc()
					http.Error(rec, "no healthy target for upstream "+pool.Name, http.StatusServiceUnavailable)
				} else {
					http.Error(rec, "upstream "+pool.Name+" unreachable", http.StatusBadGateway)
				}
				break
			}
			tried[attempts] = target
			attempts++
			forward(target, rec, r)
			failed := rec.err != nil && !clientFault(r, rec.err) ||
				rec.err == nil && (rec.status == http.StatusBadGateway || rec.status == http.StatusServiceUnavailable || rec.status == http.StatusGatewayTimeout)
			pool.Report(target, !failed)
			if rec.err == nil || rec.wrote {
				break
			}
			if attempts <= lr.retries && attempts < maxTried && retryable(r, rec.err) {
				st.retries[side].Inc()
				rec.err = nil
				continue
			}
			writeForwardError(rec, r, rec.err)
			break
		}
	}

	class := 0
	if rec.status >= 100 && rec.status < 600 {
		class = rec.status / 100
	}
	st.counters[side][class].Inc()
	elapsed := time.Since(start)
	lr.duration.Observe(elapsed.Seconds())
	if p.sampled(rt) {
		p.logAccess(r, lr, pool.Name, target, rec, attempts, elapsed)
	}
	p.recs.Put(rec)
}

func forward(t *upstream.Target, rec *recorder, r *http.Request) {
	t.Begin()
	defer t.End()
	t.Handler.ServeHTTP(rec, r)
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

// clientFault reports whether a forwarding error was the client's doing (it went away, sent
// too large a body, asked for a bad upgrade), which must not count against the target.
func clientFault(r *http.Request, err error) bool {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return true
	case r.Context().Err() != nil && errors.Is(err, context.Canceled):
		return true
	case strings.HasPrefix(err.Error(), "client tried to switch"):
		return true
	}
	return false
}

func writeForwardError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client is gone; nobody reads a status.
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		http.Error(w, "upstream timed out", http.StatusGatewayTimeout)
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

func (p *Proxy) logAccess(r *http.Request, lr *liveRoute, up string, t *upstream.Target, rec *recorder, attempts int, d time.Duration) {
	target := ""
	if t != nil {
		target = t.Key
	}
	status := rec.status
	if status == 0 {
		status = 499 // the client closed the connection before a response
	}
	attrs := []slog.Attr{
		slog.String("route", lr.name), slog.String("upstream", up), slog.String("target", target),
		slog.String("method", r.Method), slog.String("host", r.Host), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.Int64("bytes", rec.bytes),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.String("remote", r.RemoteAddr),
		slog.Int("attempts", attempts), slog.String("proto", r.Proto),
	}
	if rec.err != nil {
		attrs = append(attrs, slog.String("err", rec.err.Error()))
	}
	p.access.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}
