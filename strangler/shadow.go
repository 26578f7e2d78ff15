package strangler

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/ryw"
	"github.com/carve-dev/carve/strangler/upstream"
)

// Shadow traffic: a sampled copy of a route's request goes to a candidate upstream after the
// primary answered, from a bounded queue served by a few workers, so it never changes, delays
// or fails the client's response. The candidate's answer is compared with the primary's
// (shadow_diff.go); on some copies a second primary call learns which fields differ between
// two healthy primary answers (noise, in the manner of Twitter's Diffy) and those are ignored.
// Results go to metrics and a bounded store of differing fields (shadow_store.go).
//
// Both front ends pass through one seam after the response: each captures the exchange its
// own way (shadow_capture.go) and hands it to shadower.submit.

// exchange is one request and the primary's answer, copied out of the front end.
type exchange struct {
	method, host, uri, remote string
	reqHeader                 http.Header
	reqBody                   []byte
	primary                   *answer
	primaryPool               *upstream.Pool
	at                        time.Time     // when it was queued, after the primary answered
	noised                    bool          // its noise call was made (or passed over) before the candidate's
	waited                    time.Duration // from queued to taken by a worker
}

// answer is a response as compared.
type answer struct {
	Status int         `json:"status"`
	Header http.Header `json:"headers,omitempty"`
	Body   []byte      `json:"-"`
	err    error
}

var (
	errShadowBodyTooLarge = errors.New("shadow answer larger than shadow.max_body_bytes")
	errNoTarget           = errors.New("no healthy target")
)

// shadower copies one route's sampled requests to its candidate upstream.
type shadower struct {
	route     string
	cfg       config.Shadow
	candidate *upstream.Pool
	methods   []string
	queue     chan *exchange
	store     *diffStore
	log       *slog.Logger
	noiseLeft atomic.Int64 // copies that still call the primary twice (warm-up)
	// slow is set while the candidate answers after noisePrompt: a noise call after its answer
	// would come too late, so it is made before (compare).
	slow atomic.Bool
	// synced is, on a read_your_writes route, the watermark of the sync feeding the
	// candidate: a copy waits until it passes the moment the primary answered (at most
	// syncWait), so that the candidate answers from data at least as recent as the primary's
	// and replication lag is not counted as a difference.
	synced   *ryw.Source
	syncWait time.Duration
	// sources are the route's sync watermarks by upstream: before asking the primary again,
	// a differing copy waits (at most syncWait) for the sync feeding the primary too, so that
	// the second answer holds every write the candidate's side took before the first.
	sources map[string]*ryw.Source
	// parked holds the copies waiting for that sync, their noise call made (bounded like the
	// queue); release hands each to the workers through ready once the sync has passed it,
	// so a waiting copy holds no worker.
	parked, ready chan *exchange

	dropQueue, dropBody, dropSync, dropChanged prometheus.Counter
}

func (p *Proxy) newShadower(rt *runtime, name string, sc *config.Shadow, g *ryw.Guard) *shadower {
	s := &shadower{route: name, cfg: *sc, candidate: rt.pools[sc.Upstream], methods: sc.Methods,
		queue: make(chan *exchange, sc.Queue), store: p.diffStore(name), log: p.log,
		dropQueue:   p.m.shadowDropped.WithLabelValues(name, "queue_full"),
		dropBody:    p.m.shadowDropped.WithLabelValues(name, "body_too_large"),
		dropSync:    p.m.shadowDropped.WithLabelValues(name, "sync_behind"),
		dropChanged: p.m.shadowDropped.WithLabelValues(name, "state_changed"),
	}
	if g != nil && g.Sources[sc.Upstream] != nil {
		s.synced, s.syncWait, s.sources = g.Sources[sc.Upstream], g.MaxWait, g.Sources
		s.parked, s.ready = make(chan *exchange, sc.Queue), make(chan *exchange)
	}
	s.noiseLeft.Store(int64(sc.NoiseWarmup))
	return s
}

// wants reports whether a request with method, served by pool, is to be copied: the method
// is listed, the primary is not the candidate itself, and the sample says so.
func (s *shadower) wants(method string, pool *upstream.Pool) bool {
	if s == nil || pool == s.candidate || !slices.Contains(s.methods, method) {
		return false
	}
	return s.cfg.Sample >= 1 || rand.Float64() < s.cfg.Sample
}

// noisePrompt bounds how late a noise call may be made: later, the primary's data may have
// changed since its first answer (the user wrote again), and a state change would be learned as
// noise and hide that field from then on.
const noisePrompt = 50 * time.Millisecond

// submit queues ex, or drops it (counted) when the queue is full: never blocks.
func (s *shadower) submit(ex *exchange) {
	ex.at = time.Now()
	select {
	case s.queue <- ex:
	default:
		s.dropQueue.Inc()
	}
}

// run serves the queue with cfg.Concurrency workers until ctx is done (and, when a sync feeds
// the candidate, releases the parked copies).
func (s *shadower) run(ctx context.Context) {
	var wg sync.WaitGroup
	if s.parked != nil {
		wg.Go(func() { s.release(ctx) })
	}
	for range s.cfg.Concurrency {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case ex := <-s.ready: // nil without a sync: never
					s.compareCandidate(ctx, ex)
				case ex := <-s.queue:
					s.compare(ctx, ex)
				}
			}
		})
	}
	wg.Wait()
}

// compare asks the primary again at once when the noise call cannot wait for the candidate's
// answer — on the warm-up copies, when the candidate answers too late for a prompt noise call,
// and for a copy parked until the sync passes it — then compares the candidate's answer, or
// parks the copy (dropped, counted, when parked is full). Otherwise the noise call, if any,
// comes after the candidate's answer, on a difference not known as noise (compareCandidate):
// a candidate that answers as the primary does then costs the primary no second call.
func (s *shadower) compare(ctx context.Context, ex *exchange) {
	ex.waited = time.Since(ex.at)
	if s.parked != nil || s.slow.Load() || s.noiseLeft.Load() > 0 {
		ex.noised = true
		s.learnNoise(ctx, ex)
	}
	if s.parked == nil {
		s.compareCandidate(ctx, ex)
		return
	}
	select {
	case s.parked <- ex:
	default:
		s.dropQueue.Inc()
	}
}

// learnNoise calls the primary again on a noise sample, promptly, and learns as noise the
// fields in which its two answers differ.
func (s *shadower) learnNoise(ctx context.Context, ex *exchange) {
	if time.Since(ex.at) < noisePrompt && s.wantNoise() {
		if again := s.call(ctx, ex.primaryPool, ex); again.err == nil {
			s.store.learnNoise(diffAnswers(ex.primary, again, s.cfg.Headers))
		}
	}
}

// release hands the parked copies to the workers, oldest first, each once the sync feeding the
// candidate has passed the moment its primary answered; one it has not passed within syncWait
// is dropped and counted.
func (s *shadower) release(ctx context.Context) {
	for {
		var ex *exchange
		select {
		case <-ctx.Done():
			return
		case ex = <-s.parked:
		}
		if !s.waitSynced(ctx, s.synced, ex.at) {
			if ctx.Err() == nil {
				s.dropSync.Inc()
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case s.ready <- ex:
		}
	}
}

// compareCandidate calls the candidate with ex's request and records its differences from the
// primary's answer.
func (s *shadower) compareCandidate(ctx context.Context, ex *exchange) {
	epoch := s.store.currentEpoch()
	start := time.Now()
	cand := s.call(ctx, s.candidate, ex)
	if s.parked == nil {
		// Would a noise call after this answer still be prompt? (A parked copy is late by
		// design; its noise call always goes first.)
		s.slow.Store(ex.waited+time.Since(start) >= noisePrompt)
	}
	if cand.err != nil && ctx.Err() != nil {
		return // shutting down: not the candidate's fault
	}
	if cand.err == errShadowBodyTooLarge {
		s.dropBody.Inc()
		return
	}
	var diffs []fieldDiff
	if cand.err != nil { // no answer: its status is the finding, with why
		diffs = []fieldDiff{{Field: "status", Path: "status", Primary: strconv.Itoa(ex.primary.Status),
			Candidate: strconv.Itoa(cand.Status) + ": " + cand.err.Error()}}
	} else {
		diffs = diffAnswers(ex.primary, cand, s.cfg.Headers)
		if !ex.noised && s.store.real(diffs) {
			s.learnNoise(ctx, ex)
		}
		if s.synced != nil && s.store.real(diffs) && s.changedSince(ctx, ex) {
			s.dropChanged.Inc()
			return
		}
	}
	s.store.record(ex, cand, diffs, epoch)
}

// changedSince reports whether the data changed since the primary's answer: the primary,
// asked again after the candidate answered, answers otherwise (a write applied while the copy
// waited for the sync, such as a list that gained an item, whose later writes the candidate
// may show in part). Such a copy compares two states, not two implementations, and is dropped
// (counted). A difference counts only when the primary still answers as it did: the
// candidate, which had every change up to that answer, had to answer the same.
func (s *shadower) changedSince(ctx context.Context, ex *exchange) bool {
	if src := s.sources[ex.primaryPool.Name]; src != nil {
		// The candidate's side takes writes of its own, up to its answer (now): once the sync
		// feeding the primary has passed now, the second answer holds them, and is unchanged
		// only if no write on either side changed the answer since the first.
		s.waitSynced(ctx, src, time.Now())
	}
	fresh := s.call(ctx, ex.primaryPool, ex)
	return fresh.err == nil && s.store.real(diffAnswers(ex.primary, fresh, s.cfg.Headers))
}

// waitSynced waits until src's watermark passes at: every change made before the primary
// answered is then in the store that sync feeds. False when it does not within syncWait or ctx
// ends.
func (s *shadower) waitSynced(ctx context.Context, src *ryw.Source, at time.Time) bool {
	deadline := at.Add(s.syncWait)
	for {
		now := time.Now()
		if wm, _ := src.Watermark(ctx, now); !wm.Before(at) {
			return true
		}
		if now.After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(ryw.Refresh):
		}
	}
}

func (s *shadower) wantNoise() bool {
	if s.noiseLeft.Load() > 0 && s.noiseLeft.Add(-1) >= 0 {
		return true
	}
	n := *s.cfg.Noise
	return n > 0 && (n >= 1 || rand.Float64() < n)
}

// call sends ex's request to a target of pool as live traffic would go (the same Host, base
// path and forwarding headers; an HTTP target through its fasthttp client, the cheaper one, a
// Lambda function through its forwarder) and captures the answer, its body bounded by max_body_bytes. Target health is not touched: a copy's
// failure is a finding, not a reason to eject.
func (s *shadower) call(ctx context.Context, pool *upstream.Pool, ex *exchange) *answer {
	t := pool.Next(nil)
	if t == nil {
		return &answer{Status: http.StatusServiceUnavailable, err: errNoTarget}
	}
	if f, ok := t.Handler.(*forwarders); ok {
		t.Begin()
		defer t.End()
		return s.callFast(f, ex)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout.D())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, ex.method, "http://"+ex.host+ex.uri, bytes.NewReader(ex.reqBody))
	if err != nil {
		return &answer{err: err}
	}
	req.Host, req.RemoteAddr, req.Header = ex.host, ex.remote, ex.reqHeader.Clone()
	req.ContentLength = int64(len(ex.reqBody))
	if len(ex.reqBody) == 0 {
		req.Body = http.NoBody
	}
	w := &captureWriter{header: http.Header{}, max: s.cfg.MaxBodyBytes}
	var rec recorder
	rec.reset(w)
	t.Begin()
	t.Handler.ServeHTTP(&rec, req)
	t.End()
	a := &answer{Status: rec.status, Header: w.header, Body: w.body.Bytes(), err: rec.err}
	switch {
	case w.over:
		a.err = errShadowBodyTooLarge
	case rec.err != nil:
		a.Status = http.StatusBadGateway // as the client would have seen it
	}
	return a
}

// captureWriter keeps a copy's answer in memory, up to max body bytes.
type captureWriter struct {
	header http.Header
	body   bytes.Buffer
	max    int64
	over   bool
}

func (w *captureWriter) Header() http.Header { return w.header }
func (w *captureWriter) WriteHeader(int)     {}
func (w *captureWriter) Write(b []byte) (int, error) {
	if int64(w.body.Len()+len(b)) > w.max {
		w.over = true
		return len(b), nil
	}
	return w.body.Write(b)
}

// shadowCapture bounds what a front end keeps of one exchange for a copy.
type shadowCapture struct {
	max  int64
	body []byte
	over bool
}

func (c *shadowCapture) write(b []byte) {
	if c.over || int64(len(c.body)+len(b)) > c.max {
		c.over = true
		return
	}
	c.body = append(c.body, b...)
}

// callFast sends ex's request to an HTTP target with its fasthttp client. ex's headers are
// already the outbound ones (hop-by-hop headers removed, X-Forwarded-* set).
func (s *shadower) callFast(f *forwarders, ex *exchange) *answer {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.DisableNormalizing()
	req.Header.SetMethod(ex.method)
	req.SetRequestURI(f.basePath + ex.uri)
	for k, vs := range ex.reqHeader {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	f.setHost(&req.Header, ex.host)
	req.UseHostHeader = true
	if f.tls {
		req.URI().SetScheme("https")
	}
	if len(ex.reqBody) > 0 {
		req.SetBodyRaw(ex.reqBody)
	}
	// As for the primary: kept-alive connections a restarted candidate left closed are passed
	// over (every idle one is, after a deploy), not reported as the candidate's 502.
	err := doFast(f.fast, req, resp, time.Now().Add(s.cfg.Timeout.D()))
	if err != nil {
		return &answer{Status: http.StatusBadGateway, err: err}
	}
	a := &answer{Status: resp.StatusCode(), Header: http.Header{}}
	for k, v := range resp.Header.All() {
		a.Header.Add(string(k), string(v))
	}
	if cl := resp.Header.ContentLength(); int64(cl) > s.cfg.MaxBodyBytes {
		return &answer{err: errShadowBodyTooLarge}
	}
	var buf bytes.Buffer
	if stream := resp.BodyStream(); stream != nil {
		n, err := io.Copy(&buf, io.LimitReader(stream, s.cfg.MaxBodyBytes+1))
		if n > s.cfg.MaxBodyBytes {
			return &answer{err: errShadowBodyTooLarge}
		}
		if err != nil {
			return &answer{Status: http.StatusBadGateway, err: err}
		}
	} else {
		buf.Write(resp.Body())
	}
	a.Body = buf.Bytes()
	return a
}
