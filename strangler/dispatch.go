package strangler

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/ryw"
	"github.com/carve-dev/carve/strangler/upstream"
)

// What the two front ends share: the plain HTTP/1.1 one (fast.go, fasthttp) and the TLS one
// with HTTP/2 (tlsfront.go, net/http) each read a request their own way, then choose the
// split's side here (pickSide, chooseSide), forward through dispatch (target choice, retries,
// health reports, telling the client's faults from the target's), and log here (logAccess).

// forwarders are a target's forwarders: httputil.ReverseProxy for the net/http front end
// (TLS and HTTP/2) and a fasthttp client for the plain HTTP/1.1 front end.
type forwarders struct {
	rp       http.Handler // the TLS front end's reverse proxy (tlsfront.go)
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

// setHost sets the Host a fasthttp request goes to the target with, by the upstream's
// host_header: the client's (inHost), the target's, or a fixed name.
func (f *forwarders) setHost(h *fasthttp.RequestHeader, inHost string) {
	switch f.hostMode {
	case "":
		h.SetHost(inHost)
	case "target":
		h.SetHost(f.host)
	default:
		h.SetHost(f.hostMode)
	}
}

// forwarderFor returns the builder of a target's forwarders within runtime rt.
func (p *Proxy) forwarderFor(rt *runtime, u *config.Upstream) func(*url.URL) http.Handler {
	hostMode := u.HostHeader
	return func(target *url.URL) http.Handler {
		scheme, host, basePath := target.Scheme, target.Host, strings.TrimSuffix(target.Path, "/")
		return &forwarders{rp: p.reverseProxy(rt, scheme, host, basePath, hostMode), fast: p.fastClient(scheme, host),
			host: host, basePath: basePath, tls: scheme == "https", hostMode: hostMode,
			hdrTimeout: p.transportCfg.ResponseHeaderTimeout.D(), slots: p.tunnelSlots(scheme, host)}
	}
}

type stickyKind uint8

const (
	stickyNone stickyKind = iota
	stickyCookie
	stickyHeader
	stickyQuery
)

// stickyRequest is what choosing a side reads of a request, as each front end holds it.
type stickyRequest interface {
	// cookie returns the value of the request's cookie name ("" when absent).
	cookie(name string) string
	// header returns the first value of the request's header name (canonical).
	header(name string) string
	// rawQuery returns the request's query, still escaped.
	rawQuery() string
	// clientTLS reports whether the client's side is TLS (the cookie is then Secure).
	clientTLS() bool
	// setCookie adds a Set-Cookie header with value v to the response.
	setCookie(v string)
}

// chooseSide chooses the side of a split for a request: pickSide, then, on a read-your-writes
// route, the guard's choice (which may hold the request back until the side has caught up).
func chooseSide(ctx context.Context, lr *liveRoute, st *splitState, r stickyRequest, method string, start time.Time) (int, ryw.Visit) {
	side := pickSide(lr, st, r)
	g := lr.ryw
	if g == nil {
		return side, ryw.Visit{}
	}
	return g.Choose(ctx, r.cookie(g.Cookie), side, st.names, start, ryw.IsWrite(method))
}

// pickSide chooses the side of a split for r: sticky by key when the route says so and the
// key is present (setting the cookie when absent), otherwise at random by weight.
func pickSide(lr *liveRoute, st *splitState, r stickyRequest) int {
	var key string
	switch lr.stickyKey {
	case stickyCookie:
		if key = r.cookie(lr.stickyArg); key == "" {
			key = newKey()
			c := &http.Cookie{Name: lr.stickyArg, Value: key, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteLaxMode, Secure: r.clientTLS(), MaxAge: lr.cookieTTL}
			if v := c.String(); v != "" {
				r.setCookie(v)
			}
		}
	case stickyHeader:
		key = r.header(lr.stickyArg)
	case stickyQuery:
		key = queryValue(r.rawQuery(), lr.stickyArg)
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

// cookieValue finds a cookie in Cookie header lines without parsing every cookie into values
// (no allocation).
func cookieValue(lines []string, name string) string {
	for _, line := range lines {
		if v, ok := cookieIn(line, name); ok {
			return v
		}
	}
	return ""
}

// cookieIn finds cookie name in one Cookie header line.
func cookieIn(line, name string) (string, bool) {
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
			return v, true
		}
	}
	return "", false
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
		pool.Report(t, !targetFault(status, err))
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

// targetFault reports whether an outcome that was not the client's doing counts against the
// target: a forwarding error (refused, reset, timed out, a malformed response) or a gateway
// status the target answered.
func targetFault(status int, err error) bool {
	return err != nil ||
		status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// atLimit reports whether err is the proxy's cap on connections to a target
// (transport.max_conns_per_host): no connection was free within dial_timeout, or no tunnel
// slot was.
func atLimit(err error) bool {
	return errors.Is(err, fasthttp.ErrNoFreeConns) || errors.Is(err, errTunnelsFull)
}

// idempotentMethod reports whether a request with method may be sent twice.
func idempotentMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// connFailed reports whether err is the connection to the target failing before any response:
// the dial failed, or the connection was refused, reset or closed. Such a request may go to
// another target when it is idempotent and has no body to replay (the front ends check that).
func connFailed(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, fasthttp.ErrConnectionClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		isConnReset(err)
}

func isConnReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
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

// hopHeaders are the hop-by-hop headers of RFC 9110 §7.6.1 and their predecessors, never
// forwarded (Transfer-Encoding is the client library's to frame).
var hopHeaders = [...]string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Upgrade"}

var forwardedHeaders = [...]string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"}

// statusClass is a status's index in statusClasses (0 for none or an invalid one).
func statusClass(status int) int {
	if status >= 100 && status < 600 {
		return status / 100
	}
	return 0
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
	err                               error
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
	if e.err != nil {
		attrs = append(attrs, slog.String("err", e.err.Error()))
	}
	p.access.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

// forwardFailure is the status and message a client gets when forwarding failed with err and
// no response came.
func forwardFailure(err error) (int, string) {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, fasthttp.ErrTimeout) || isTimeout(err):
		return http.StatusGatewayTimeout, "upstream timed out"
	case errors.As(err, new(*fasthttp.ErrSmallBuffer)):
		return http.StatusBadGateway, "upstream response headers too large"
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return http.StatusServiceUnavailable, "upstream connection limit reached (transport.max_conns_per_host)"
	case errors.Is(err, errTunnelsFull):
		return http.StatusServiceUnavailable, "too many tunnels to the target"
	}
	return http.StatusBadGateway, "upstream unreachable"
}

// maxUnusableConns bounds the kept-alive connections one request may find unusable.
const maxUnusableConns = 64

// doFast sends req on a target's fasthttp client (until deadline, when set). Kept-alive
// connections found closed or dirty are closed one by one (after a target restart, every idle
// one is) and the request goes on another: nothing of it was sent, and fasthttp retries them
// by itself only without a body stream.
func doFast(c *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response, deadline time.Time) (err error) {
	for range maxUnusableConns {
		if deadline.IsZero() {
			err = c.Do(req, resp)
		} else {
			err = c.DoDeadline(req, resp, deadline)
		}
		if !errors.Is(err, errConnUnusable) {
			return err
		}
	}
	return err
}
