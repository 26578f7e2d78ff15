// Package upstream holds the pools of targets a route's split sends traffic to: balancing
// (round robin, least requests), active health checks, passive ejection with recovery, and
// targets from a static list, from DNS, from an etcd prefix, or one Lambda function.
package upstream

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/carve-dev/carve/strangler/config"
)

// Target is one backend address of a pool.
type Target struct {
	// URL is the target's base URL.
	URL *url.URL
	// Key identifies the target across reloads and DNS refreshes (its URL as a string).
	Key string
	// Handler forwards a request to this target; set by the pool's NewHandler.
	Handler http.Handler

	healthy      atomic.Bool  // active health: false after Unhealthy consecutive failed checks
	ejectedUntil atomic.Int64 // passive: unix nanoseconds until which it sits out; 0 if not ejected
	failures     atomic.Int32 // passive: consecutive failures from live traffic
	inflight     atomic.Int64

	// consecutive passed and failed health checks: written by the health-check loop under its
	// pool's lock, read by a reloaded pool taking the target over (while the old loop may
	// still be running), hence atomic
	passes, fails atomic.Int32
}

// Healthy reports the active health state.
func (t *Target) Healthy() bool { return t.healthy.Load() }

// Ejected reports whether live-traffic failures have ejected the target right now.
func (t *Target) Ejected(now int64) bool {
	u := t.ejectedUntil.Load()
	return u != 0 && now < u
}

// InFlight is the number of requests being forwarded to the target.
func (t *Target) InFlight() int64 { return t.inflight.Load() }

// Begin and End bracket a forwarded request (least-requests balancing).
func (t *Target) Begin() { t.inflight.Add(1) }

// End is the counterpart of Begin.
func (t *Target) End() { t.inflight.Add(-1) }

func (t *Target) available(now int64) bool {
	if !t.healthy.Load() {
		return false
	}
	u := t.ejectedUntil.Load()
	return u == 0 || now >= u
}

// Pool is a named upstream: its targets and how one is chosen.
type Pool struct {
	// Name is the upstream's name in the config.
	Name string

	cfg        config.Upstream
	newHandler func(*url.URL) http.Handler
	log        *slog.Logger
	client     *http.Client
	resolver   Resolver

	now     func() time.Time
	targets atomic.Pointer[[]*Target]
	rr      atomic.Uint64
	rounds  atomic.Uint64 // completed rounds of active checks
	leastRq bool

	mu   sync.Mutex // serialises target-set rebuilds
	prev map[string]*Target

	etcd *clientv3.Client // targets from etcd; owned by Run, which closes it
}

// Resolver looks up the addresses of a host (net.Resolver satisfies it).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netipAddr, error)
}

// Options are what a pool needs from the proxy around it.
type Options struct {
	// NewHandler builds the forwarder of a target.
	NewHandler func(*url.URL) http.Handler
	// Client performs active health checks.
	Client *http.Client
	// Log receives health transitions.
	Log *slog.Logger
	// Previous is the pool of the same name in the config being replaced: targets with the
	// same URL keep their health state.
	Previous *Pool
	// Resolver for DNS targets (default net.DefaultResolver).
	Resolver Resolver
	// Now is the clock for passive ejection (default time.Now).
	Now func() time.Time
}

// New builds the pool name from its config. DNS targets are resolved by Run; until then the
// pool uses the targets of opts.Previous, if any.
func New(name string, cfg config.Upstream, opts Options) *Pool {
	p := &Pool{Name: name, cfg: cfg, newHandler: opts.NewHandler, log: opts.Log, client: opts.Client,
		leastRq: cfg.Balance == "least_requests", resolver: opts.Resolver}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now = opts.Now; p.now == nil {
		p.now = time.Now
	}
	if p.resolver == nil {
		p.resolver = netResolver{}
	}
	prev := map[string]*Target{}
	if opts.Previous != nil {
		for _, t := range opts.Previous.Targets() {
			prev[t.Key] = t
		}
	}
	p.prev = prev
	switch {
	case cfg.Lambda != nil:
		p.setTargets([]*url.URL{LambdaURL(name)})
	case cfg.Etcd != nil:
		p.startEtcd(name, opts.Previous)
	case cfg.DNS == nil:
		var urls []*url.URL
		for _, s := range cfg.Targets {
			u, _ := config.ParseTarget(s) // validated
			urls = append(urls, u)
		}
		p.setTargets(urls)
	case opts.Previous != nil && opts.Previous.cfg.DNS != nil && slices.Equal(opts.Previous.cfg.Targets, cfg.Targets):
		var urls []*url.URL
		for _, t := range opts.Previous.Targets() {
			urls = append(urls, t.URL)
		}
		p.setTargets(urls)
	default:
		empty := []*Target{}
		p.targets.Store(&empty)
		// Resolve once now so the pool serves from the start; Run keeps it fresh.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := p.Resolve(ctx); err != nil {
			p.log.Warn("resolving upstream targets failed; retrying every dns.interval", "upstream", name, "err", err)
		}
		cancel()
	}
	return p
}

// LambdaURL is the URL standing for a Lambda upstream's function as its one target.
func LambdaURL(upstream string) *url.URL { return &url.URL{Scheme: "lambda", Host: upstream} }

// setTargets replaces the target set, keeping the state of targets already known.
func (p *Pool) setTargets(urls []*url.URL) {
	p.mu.Lock()
	defer p.mu.Unlock()
	known := map[string]*Target{}
	for k, t := range p.prev {
		known[k] = t
	}
	if cur := p.targets.Load(); cur != nil {
		for _, t := range *cur {
			known[t.Key] = t
		}
	}
	ts := make([]*Target, 0, len(urls))
	for _, u := range urls {
		key := u.String()
		t := &Target{URL: u, Key: key}
		if old, ok := known[key]; ok {
			t.healthy.Store(old.healthy.Load())
			t.ejectedUntil.Store(old.ejectedUntil.Load())
			t.passes.Store(old.passes.Load())
			t.fails.Store(old.fails.Load())
		} else {
			t.healthy.Store(true) // innocent until a check says otherwise
		}
		if p.newHandler != nil {
			t.Handler = p.newHandler(u)
		}
		ts = append(ts, t)
	}
	p.targets.Store(&ts)
}

// Targets returns the current targets (do not modify).
func (p *Pool) Targets() []*Target { return *p.targets.Load() }

// Config returns the pool's config.
func (p *Pool) Config() config.Upstream { return p.cfg }

// Next picks an available target that is not in tried, or nil when none is left. It
// allocates nothing.
func (p *Pool) Next(tried []*Target) *Target {
	ts := *p.targets.Load()
	n := len(ts)
	if n == 0 {
		return nil
	}
	now := p.now().UnixNano()
	if p.leastRq {
		var best *Target
		bestN := int64(0)
		start := int(p.rr.Add(1) % uint64(n)) // rotate the start so ties spread
		for i := 0; i < n; i++ {
			t := ts[(start+i)%n]
			if !t.available(now) || contains(tried, t) {
				continue
			}
			if c := t.inflight.Load(); best == nil || c < bestN {
				best, bestN = t, c
			}
		}
		return best
	}
	start := int(p.rr.Add(1) % uint64(n))
	for i := 0; i < n; i++ {
		t := ts[(start+i)%n]
		if t.available(now) && !contains(tried, t) {
			return t
		}
	}
	return nil
}

func contains(ts []*Target, t *Target) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// Report records the outcome of forwarding to t: a failure is a connection error or a
// 502/503/504 from the target. After Passive.Failures consecutive failures the target is
// ejected for Passive.Eject; it is tried again when that has passed.
func (p *Pool) Report(t *Target, ok bool) {
	if ok {
		if t.failures.Load() != 0 {
			t.failures.Store(0)
		}
		return
	}
	limit := p.cfg.Passive.Failures
	if limit < 0 {
		return
	}
	if n := t.failures.Add(1); int(n) >= limit {
		t.failures.Store(0)
		until := p.now().Add(p.cfg.Passive.Eject.D()).UnixNano()
		t.ejectedUntil.Store(until)
		p.log.Warn("target ejected after consecutive failures", "upstream", p.Name, "target", t.Key,
			"failures", n, "for", p.cfg.Passive.Eject.D().String())
	}
}

// Run performs DNS refreshes, follows etcd and runs active health checks until ctx is done.
func (p *Pool) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if p.cfg.DNS != nil {
		wg.Go(func() { p.runDNS(ctx) })
	}
	if p.etcd != nil {
		wg.Go(func() { p.runEtcd(ctx) })
	}
	if p.cfg.Health != nil {
		wg.Go(func() { p.runHealth(ctx) })
	}
	wg.Wait()
}

func (p *Pool) runHealth(ctx context.Context) {
	h := p.cfg.Health
	tick := time.NewTicker(h.Interval.D())
	defer tick.Stop()
	for {
		p.checkAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// CheckNow runs one round of active health checks (tests and the admin API use it).
func (p *Pool) CheckNow(ctx context.Context) { p.checkAll(ctx) }

func (p *Pool) checkAll(ctx context.Context) {
	if p.cfg.Health == nil {
		return
	}
	var wg sync.WaitGroup
	for _, t := range p.Targets() {
		wg.Go(func() { p.check(ctx, t) })
	}
	wg.Wait()
	p.rounds.Add(1)
}

// CheckRounds is the number of completed rounds of active health checks.
func (p *Pool) CheckRounds() uint64 { return p.rounds.Load() }

func (p *Pool) check(parent context.Context, t *Target) {
	h := p.cfg.Health
	ctx, cancel := context.WithTimeout(parent, h.Timeout.D())
	defer cancel()
	ok := false
	u := *t.URL
	u.Path = singleJoin(u.Path, h.Path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err == nil {
		req.Header.Set("User-Agent", "carve-proxy-health")
		if resp, err := p.client.Do(req); err == nil {
			_, _ = drain(resp)
			ok = resp.StatusCode >= 200 && resp.StatusCode < 400
		}
	}
	if parent.Err() != nil {
		return // shutting down: not the target's fault
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if ok {
		t.fails.Store(0)
		passes := t.passes.Add(1)
		if !t.healthy.Load() && int(passes) >= h.Healthy {
			t.healthy.Store(true)
			t.ejectedUntil.Store(0)
			p.log.Info("target healthy", "upstream", p.Name, "target", t.Key, "passes", passes)
		}
		return
	}
	t.passes.Store(0)
	fails := t.fails.Add(1)
	if t.healthy.Load() && int(fails) >= h.Unhealthy {
		t.healthy.Store(false)
		p.log.Warn("target unhealthy", "upstream", p.Name, "target", t.Key, "failed_checks", fails)
	}
}

func singleJoin(a, b string) string {
	switch {
	case a == "" || a == "/":
		return b
	case a[len(a)-1] == '/':
		return a + b[1:]
	}
	return a + b
}
