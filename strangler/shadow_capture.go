package strangler

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/carve-dev/carve/strangler/upstream"
)

// The two front ends' halves of the shadow seam: before dispatch, start a capture when the
// request is sampled; after it, build the exchange and submit it. Only sampled requests pay
// for a copy.

// shadowStart decides whether a request is copied and, when it has a body, starts keeping a
// bounded copy of it as it streams to the primary. A body declared larger than
// shadow.max_body_bytes is not copied (counted).
func (s *shadower) shadowStart(method string, pool *upstream.Pool, contentLength int64, body *clientBody) *shadowCapture {
	if !s.wants(method, pool) {
		return nil
	}
	if contentLength > s.cfg.MaxBodyBytes {
		s.dropBody.Inc()
		return nil
	}
	reqCopy := &shadowCapture{max: s.cfg.MaxBodyBytes}
	if body != nil {
		body.tee = reqCopy
	}
	return reqCopy
}

// shadowFast submits the plain front end's exchange. fasthttp streams a response body to the
// client after the handler returns, so a sampled response is read here first: a body of known
// length within max_body_bytes is held (the client gets the same bytes with a
// Content-Length), a larger one is left streaming and not copied.
func (a *fastAttempt) shadowFast(s *shadower, pool *upstream.Pool, reqCopy *shadowCapture) {
	req, resp := &a.ctx.Request, &a.ctx.Response
	if !req.IsBodyStream() {
		reqCopy.write(req.Body())
	}
	if reqCopy.over {
		s.dropBody.Inc()
		return
	}
	body, ok := a.holdResponseBody(s.cfg.MaxBodyBytes)
	if !ok {
		s.dropBody.Inc()
		return
	}
	ex := &exchange{method: string(req.Header.Method()), host: string(a.inHost), uri: string(req.Header.RequestURI()),
		remote: a.ctx.RemoteAddr().String(), reqHeader: http.Header{}, reqBody: reqCopy.body, primaryPool: pool,
		primary: &answer{Status: resp.StatusCode(), Header: http.Header{}, Body: body}}
	for k, v := range req.Header.All() {
		if !framingHeader(k) {
			ex.reqHeader.Add(string(k), string(v))
		}
	}
	for k, v := range resp.Header.All() {
		ex.primary.Header.Add(string(k), string(v))
	}
	s.submit(ex)
}

// holdResponseBody reads a streamed response body into the response (when its length is
// known and at most max, or unknown and it turns out so) and returns a copy of it. A body
// whose read fails is passed on failing, as it would have without the copy.
func (a *fastAttempt) holdResponseBody(max int64) ([]byte, bool) {
	resp := &a.ctx.Response
	stream := resp.BodyStream()
	if stream == nil {
		return bytes.Clone(resp.Body()), true
	}
	if cl := resp.Header.ContentLength(); int64(cl) > max {
		return nil, false
	}
	var buf bytes.Buffer
	_, err := io.Copy(&buf, stream) // bounded by Content-Length when known; else chunked, read whole
	if err != nil {
		resp.SetBodyStream(failingReader{err}, -1)
		return nil, false
	}
	resp.SetBody(buf.Bytes()) // closes the drained stream, freeing its connection
	if int64(buf.Len()) > max {
		return nil, false
	}
	return buf.Bytes(), true
}

// failingReader passes a body read's failure on to the client.
type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// shadowStd submits the TLS front end's exchange: the response went to the client through the
// recorder, which kept a bounded copy of its body.
func (a *stdAttempt) shadowStd(s *shadower, pool *upstream.Pool, reqCopy *shadowCapture) {
	rec, r := &a.rec, a.r
	if reqCopy.over || rec.capture.over {
		s.dropBody.Inc()
		return
	}
	ex := &exchange{method: r.Method, host: r.Host, uri: r.URL.RequestURI(), remote: r.RemoteAddr, reqHeader: outboundHeader(r),
		reqBody: reqCopy.body, primaryPool: pool,
		primary: &answer{Status: rec.status, Header: rec.Header().Clone(), Body: rec.capture.body}}
	s.submit(ex)
}

// outboundHeader is r's header as a target gets it from the TLS front end: hop-by-hop headers
// (and those named in Connection) removed, X-Forwarded-For/-Host/-Proto the peer's.
func outboundHeader(r *http.Request) http.Header {
	h := r.Header.Clone()
	for _, c := range h.Values("Connection") {
		for f := range strings.SplitSeq(c, ",") {
			h.Del(strings.TrimSpace(f))
		}
	}
	for _, n := range hopHeaders {
		h.Del(n)
	}
	h.Del("Forwarded")
	dropUnderscored(h)
	_, ip := peerIP(r.RemoteAddr)
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	h.Set("X-Forwarded-For", ip)
	h.Set("X-Forwarded-Host", r.Host)
	h.Set("X-Forwarded-Proto", proto)
	return h
}
