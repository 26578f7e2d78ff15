// Package strangler is carve's strangler-fig reverse proxy: it matches each request to a
// route, splits the route's traffic among upstreams by weight (sticky per user when asked),
// forwards it to a healthy target of the chosen upstream, and lets operators move weights
// while it runs — from the config file, the admin API, or a store shared by a fleet.
//
// A config is compiled into an immutable runtime (route table, pools, forwarders) and swapped
// atomically; requests in flight finish on the runtime they started with.
package strangler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/lambda"
	"github.com/carve-dev/carve/strangler/route"
	"github.com/carve-dev/carve/strangler/ryw"
	"github.com/carve-dev/carve/strangler/split"
	"github.com/carve-dev/carve/strangler/upstream"
)

// DefaultRoute names requests that no route matches, in metrics and logs.
const DefaultRoute = "default"

// Options are what a Proxy takes besides its config.
type Options struct {
	// Log receives the proxy's own events (reloads, weight changes, health) as JSON.
	Log *slog.Logger
	// AccessLog receives one line per sampled request (default: Log).
	AccessLog *slog.Logger
	// Getenv reads the environment variables the config names: the admin token, the
	// read-your-writes signing keys (default os.Getenv).
	Getenv func(string) string
	// Store shares weights with other replicas (fleet mode); nil for a single proxy.
	Store WeightStore
	// Resolver resolves DNS targets (default net.DefaultResolver).
	Resolver upstream.Resolver
	// Clock times rollout holds (default the system clock); tests pass one they move.
	Clock Clock
	// Replica names this proxy as a holder of store leases (default host name and pid).
	Replica string
}

// Proxy is the strangler proxy: an http.Handler over the current config's runtime.
type Proxy struct {
	log          *slog.Logger
	access       *slog.Logger
	getenv       func(string) string
	store        WeightStore
	resolver     upstream.Resolver
	transport    *http.Transport
	bufs         *bufferPool
	m            *metrics
	attempts     sync.Pool // *stdAttempt
	fastAttempts sync.Pool // *fastAttempt
	transportCfg config.Transport
	serverCfg    config.Server // the traffic listener's limits (read at start, like transportCfg)
	clientsMu    sync.Mutex
	clients      map[string]*fasthttp.HostClient // by scheme://host, shared across reloads
	slots        map[string]chan struct{}        // tunnel caps by scheme://host, likewise

	rt       atomic.Pointer[runtime]
	applyMu  sync.Mutex // serialises Apply and weight changes
	overlays map[string]overlay
	versions map[string]int64 // store versions of route weights
	ready    atomic.Bool

	diffsMu sync.Mutex
	diffs   map[string]*diffStore    // shadow results by route, kept across reloads
	stats   map[[2]string]*sideStats // rollout figures by route and upstream, likewise

	clock      Clock
	replica    string
	rolloutsMu sync.Mutex
	rollouts   map[string]*rollout

	ctx    context.Context // lifetime of background work (health checks, DNS)
	cancel context.CancelFunc
	closed sync.Once
}

// overlay is a weight change made while running (admin API or store), kept across reloads as
// long as the file's own weights for the route do not change.
type overlay struct {
	weights map[string]int
	base    map[string]int // the file's weights when the overlay was made
}

// New builds a proxy for cfg. Background work (health checks, DNS) runs until Close.
func New(cfg *config.Config, opts Options) (*Proxy, error) {
	p := &Proxy{log: opts.Log, access: opts.AccessLog, getenv: opts.Getenv, store: opts.Store, resolver: opts.Resolver,
		overlays: map[string]overlay{}, versions: map[string]int64{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.getenv == nil {
		p.getenv = os.Getenv
	}
	if p.access == nil {
		p.access = p.log
	}
	p.transport = newTransport(cfg.Transport)
	p.bufs = newBufferPool()
	p.attempts.New = func() any { return &stdAttempt{bufs: p.bufs} }
	p.fastAttempts.New = func() any { return new(fastAttempt) }
	p.transportCfg = cfg.Transport
	p.serverCfg = cfg.Server
	p.clients = map[string]*fasthttp.HostClient{}
	p.slots = map[string]chan struct{}{}
	p.diffs = map[string]*diffStore{}
	p.stats = map[[2]string]*sideStats{}
	p.rollouts = map[string]*rollout{}
	p.clock, p.replica = opts.Clock, opts.Replica
	if p.clock == nil {
		p.clock = realClock{}
	}
	if p.replica == "" {
		host, _ := os.Hostname()
		p.replica = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), newKey()[:8])
	}
	p.m = newMetrics(p)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if err := p.Apply(cfg); err != nil {
		p.cancel()
		return nil, err
	}
	p.ready.Store(true)
	return p, nil
}

// Close stops background work and waits for it; it does not close listeners (Run does).
func (p *Proxy) Close() {
	p.closed.Do(func() {
		p.cancel()
		p.stopRollouts()
		if rt := p.rt.Load(); rt != nil {
			rt.stop()
		}
		p.transport.CloseIdleConnections()
		p.closeFastClients()
	})
}

// Registry is the proxy's Prometheus registry.
func (p *Proxy) Registry() *prometheus.Registry { return p.m.reg }

// Config returns the config being served.
func (p *Proxy) Config() *config.Config { return p.rt.Load().cfg }

// runtime is one compiled config: immutable except for route weights, which are swapped
// atomically per route.
type runtime struct {
	cfg     *config.Config
	table   *route.Table
	routes  []*liveRoute // index = config route index
	def     *liveRoute
	pools   map[string]*upstream.Pool
	trusted []netip.Prefix

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// liveRoute is a route as served.
type liveRoute struct {
	name       string
	cfg        *config.Route // nil for the default route
	state      atomic.Pointer[splitState]
	stickyKey  stickyKind
	stickyArg  string // cookie, canonical header or query name
	cookieTTL  int
	timeout    time.Duration
	retries    int
	maxBody    int64
	pathPolicy string // config.PathReject, PathNormalize or PathRaw
	duration   prometheus.Observer
	ryw        *ryw.Guard // nil without read_your_writes
	shadow     *shadower  // nil without shadow traffic
}

// splitState is a route's weights with everything the hot path needs resolved.
type splitState struct {
	split    *split.Split
	pools    []*upstream.Pool
	counters [][6]prometheus.Counter // per side, per status class
	unavail  []prometheus.Counter
	retries  []prometheus.Counter
	names    []string     // upstream name per side
	stats    []*sideStats // per side, for rollout gates (nil entries without a rollout)
}

// at returns the route of a table index, the default route for -1.
func (rt *runtime) at(i int) *liveRoute {
	if i < 0 {
		return rt.def
	}
	return rt.routes[i]
}

// observe counts a request's outcome on its route and side, after the response: the one
// place both front ends report to (metrics, rollout gates), and returns its duration.
func (lr *liveRoute) observe(st *splitState, side, status int, start time.Time) time.Duration {
	st.counters[side][statusClass(status)].Inc()
	elapsed := time.Since(start)
	lr.duration.Observe(elapsed.Seconds())
	if s := st.stats[side]; s != nil {
		s.record(status, elapsed)
	}
	return elapsed
}

func (rt *runtime) all() []*liveRoute { return append(append([]*liveRoute(nil), rt.routes...), rt.def) }

func (rt *runtime) route(name string) *liveRoute {
	if name == DefaultRoute {
		return rt.def
	}
	for _, lr := range rt.routes {
		if lr.name == name {
			return lr
		}
	}
	return nil
}

func (rt *runtime) stop() {
	rt.cancel()
	rt.wg.Wait()
}

// Apply compiles cfg and swaps it in. The previous runtime keeps serving the requests it
// started; its background work is stopped. On error nothing changes.
func (p *Proxy) Apply(cfg *config.Config) error {
	if err := p.swap(cfg); err != nil {
		return err
	}
	p.syncRollouts(cfg) // outside applyMu: a stopping controller may be setting weights
	return nil
}

func (p *Proxy) swap(cfg *config.Config) error {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	old := p.rt.Load()
	rt, err := p.build(cfg, old)
	if err != nil {
		return err
	}
	if old != nil {
		warnRestartOnly(p.log, old.cfg, cfg)
	}
	p.rt.Store(rt)
	if old != nil {
		old.stop()
	}
	return nil
}

func warnRestartOnly(log *slog.Logger, old, cur *config.Config) {
	if old.Listen != cur.Listen || old.Admin != cur.Admin || (old.TLS == nil) != (cur.TLS == nil) ||
		old.Server != cur.Server || old.Transport != cur.Transport {
		log.Warn("listen, admin, tls, server and transport settings apply on restart only; the running values are kept")
	}
}

// build makes the runtime of cfg: its route table, trusted proxies, upstream pools (taking
// over old's target state) and live routes, with the pools' health checks and the shadow
// workers started.
func (p *Proxy) build(cfg *config.Config, old *runtime) (*runtime, error) {
	table, err := cfg.Table()
	if err != nil {
		return nil, err
	}
	rt := &runtime{cfg: cfg, table: table, pools: map[string]*upstream.Pool{}}
	for _, s := range cfg.TrustedProxies {
		pfx, err := config.ParseCIDROrIP(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		rt.trusted = append(rt.trusted, pfx)
	}
	if err := p.buildPools(rt, old); err != nil {
		return nil, err
	}
	for _, rc := range cfg.Routes {
		lr, err := p.buildRoute(rt, rc)
		if err != nil {
			return nil, err
		}
		rt.routes = append(rt.routes, lr)
	}
	for name := range p.overlays {
		if cfg.Route(name) == nil { // route removed: a later route of that name starts afresh
			delete(p.overlays, name)
			delete(p.versions, name)
		}
	}
	rt.def = p.newLiveRoute(DefaultRoute, nil, cfg)
	rt.def.state.Store(p.newSplitState(rt, rt.def, map[string]int{cfg.Default: 1}))
	p.startRuntime(rt)
	return rt, nil
}

// buildPools makes one pool per upstream of rt's config, each taking over the targets' state
// from old's pool of that name.
func (p *Proxy) buildPools(rt *runtime, old *runtime) error {
	cfg := rt.cfg
	healthClient := &http.Client{Transport: p.transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	fns := map[string]*lambda.Function{} // first, as building one may fail
	for name, ucfg := range cfg.Upstreams {
		if ucfg.Lambda != nil {
			fn, err := p.newLambdaFunction(cfg, name, ucfg)
			if err != nil {
				return err
			}
			fns[name] = fn
		}
	}
	for name, ucfg := range cfg.Upstreams {
		var prev *upstream.Pool
		if old != nil {
			prev = old.pools[name]
		}
		newHandler, client := p.forwarderFor(rt, ucfg), healthClient
		if fn := fns[name]; fn != nil { // one target, the function; health checks invoke it too
			newHandler, client = p.lambdaForwarderFor(rt, fn), &http.Client{Transport: fn}
		}
		rt.pools[name] = upstream.New(name, *ucfg, upstream.Options{
			NewHandler: newHandler, Client: client, Log: p.log, Previous: prev, Resolver: p.resolver,
		})
	}
	return nil
}

// buildRoute makes the live route of rc: its read-your-writes guard, shadow, and weights (the
// config's, or the overlay set at run time while the config's split is unchanged).
func (p *Proxy) buildRoute(rt *runtime, rc *config.Route) (*liveRoute, error) {
	lr := p.newLiveRoute(rc.Name, rc, rt.cfg)
	if rc.ReadYourWrites != nil {
		g, err := p.newGuard(rc)
		if err != nil {
			return nil, err
		}
		lr.ryw = g
	}
	weights := rc.Split
	if ov, ok := p.overlays[rc.Name]; ok {
		if maps.Equal(ov.base, rc.Split) && rt.cfg.ValidWeights(ov.weights) == nil {
			weights = ov.weights
		} else {
			delete(p.overlays, rc.Name)
			delete(p.versions, rc.Name)
		}
	}
	if rc.Shadow != nil {
		lr.shadow = p.newShadower(rt, rc.Name, rc.Shadow, lr.ryw)
	}
	lr.state.Store(p.newSplitState(rt, lr, weights))
	return lr, nil
}

// startRuntime starts rt's background work: the pools' health checks and the shadow workers,
// until rt.cancel.
func (p *Proxy) startRuntime(rt *runtime) {
	ctx, cancel := context.WithCancel(p.ctx)
	rt.cancel = cancel
	for _, pool := range rt.pools {
		rt.wg.Go(func() { pool.Run(ctx) })
	}
	for _, lr := range rt.routes {
		if lr.shadow != nil {
			rt.wg.Go(func() { lr.shadow.run(ctx) })
		}
	}
}

func (p *Proxy) newLiveRoute(name string, rc *config.Route, cfg *config.Config) *liveRoute {
	// The server's default policy is read at start, like the other server settings.
	lr := &liveRoute{name: name, cfg: rc, maxBody: cfg.Server.MaxBodyBytes, retries: 1,
		pathPolicy: p.serverCfg.PathPolicy, duration: p.m.duration.WithLabelValues(name)}
	if rc == nil {
		return lr
	}
	if rc.PathPolicy != "" {
		lr.pathPolicy = rc.PathPolicy
	}
	lr.timeout = rc.Timeout.D()
	lr.retries = *rc.Retries
	if rc.MaxBodyBytes > 0 {
		lr.maxBody = rc.MaxBodyBytes
	}
	if s := rc.Sticky; s != nil {
		switch {
		case s.Cookie != "":
			lr.stickyKey, lr.stickyArg, lr.cookieTTL = stickyCookie, s.Cookie, int(s.CookieTTL.D()/time.Second)
		case s.Header != "":
			lr.stickyKey, lr.stickyArg = stickyHeader, http.CanonicalHeaderKey(s.Header)
		case s.Query != "":
			lr.stickyKey, lr.stickyArg = stickyQuery, s.Query
		}
	}
	return lr
}

// newGuard builds a route's read-your-writes guard; its key comes from the environment.
func (p *Proxy) newGuard(rc *config.Route) (*ryw.Guard, error) {
	c := rc.ReadYourWrites
	key := p.getenv(c.SecretEnv)
	if len(key) < 16 {
		return nil, fmt.Errorf("route %s: read_your_writes: the environment variable %s must hold the cookie's signing key, 16 bytes or more (every replica the same); it has %d", rc.Name, c.SecretEnv, len(key))
	}
	sources := map[string]*ryw.Source{}
	for up, u := range c.Watermarks {
		sources[up] = &ryw.Source{URL: u}
	}
	g, err := ryw.NewGuard(c.Cookie, []byte(key), c.MaxWait.D(), sources)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", rc.Name, err)
	}
	g.Held, g.Forced = p.m.rywHeld.WithLabelValues(rc.Name), p.m.rywForced.WithLabelValues(rc.Name)
	return g, nil
}

func (p *Proxy) newSplitState(rt *runtime, lr *liveRoute, weights map[string]int) *splitState {
	st := &splitState{split: split.New(lr.name, weights)}
	for i := 0; i < st.split.Len(); i++ {
		name := st.split.Name(i)
		st.names = append(st.names, name)
		st.pools = append(st.pools, rt.pools[name])
		var cs [6]prometheus.Counter
		for c, class := range statusClasses {
			cs[c] = p.m.requests.WithLabelValues(lr.name, name, class)
		}
		st.counters = append(st.counters, cs)
		st.unavail = append(st.unavail, p.m.unavailable.WithLabelValues(lr.name, name))
		st.retries = append(st.retries, p.m.retries.WithLabelValues(lr.name, name))
		var ss *sideStats
		if lr.cfg != nil && lr.cfg.Rollout != nil {
			ss = p.sideStats(lr.name, name)
		}
		st.stats = append(st.stats, ss)
	}
	return st
}

// ErrUnknownRoute is returned for a weight change of a route that is not configured.
var ErrUnknownRoute = errors.New("unknown route")

// WeightChange is the outcome of setting a route's weights.
type WeightChange struct {
	Route   string         `json:"route"`
	Old     map[string]int `json:"old"`
	New     map[string]int `json:"new"`
	Version int64          `json:"version,omitempty"`
}

// SetWeights validates weights for route and swaps them in; source ("admin", "store") is
// logged and counted. In fleet mode an admin or rollout change is written to the store first, so every
// replica converges on it.
func (p *Proxy) SetWeights(ctx context.Context, routeName string, weights map[string]int, source string) (WeightChange, error) {
	if source != "store" && p.store != nil {
		p.applyMu.Lock()
		ver := p.versions[routeName]
		rt := p.rt.Load()
		p.applyMu.Unlock()
		if rt.route(routeName) == nil || routeName == DefaultRoute {
			return WeightChange{}, fmt.Errorf("set weights of %q: %w", routeName, ErrUnknownRoute)
		}
		if err := rt.cfg.ValidWeights(weights); err != nil {
			return WeightChange{}, fmt.Errorf("set weights of %q: %w", routeName, err)
		}
		nv, err := p.store.Put(ctx, routeName, weights, ver)
		if err != nil {
			return WeightChange{}, fmt.Errorf("set weights of %q in the shared store: %w", routeName, err)
		}
		return p.applyWeights(routeName, weights, source, nv)
	}
	return p.applyWeights(routeName, weights, source, 0)
}

func (p *Proxy) applyWeights(routeName string, weights map[string]int, source string, version int64) (WeightChange, error) {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	rt := p.rt.Load()
	lr := rt.route(routeName)
	if lr == nil || lr.cfg == nil {
		return WeightChange{}, fmt.Errorf("set weights of %q: %w; list routes with GET /routes", routeName, ErrUnknownRoute)
	}
	if err := rt.cfg.ValidWeights(weights); err != nil {
		return WeightChange{}, fmt.Errorf("set weights of %q: %w", routeName, err)
	}
	old := lr.state.Load().split.Weights()
	if version != 0 && version <= p.versions[routeName] {
		// A poll that read the store before a newer write was applied here: keep the newer.
		return WeightChange{Route: routeName, Old: old, New: old, Version: p.versions[routeName]}, nil
	}
	cp := make(map[string]int, len(weights))
	for k, v := range weights {
		cp[k] = v
	}
	lr.state.Store(p.newSplitState(rt, lr, cp))
	p.overlays[routeName] = overlay{weights: cp, base: lr.cfg.Split}
	if version != 0 {
		p.versions[routeName] = version
	}
	p.m.weightSets.WithLabelValues(routeName, source).Inc()
	p.log.Info("route weights changed", "route", routeName, "source", source, "old", old, "new", cp, "version", version)
	return WeightChange{Route: routeName, Old: old, New: cp, Version: version}, nil
}

// RouteStatus is a route as the admin API shows it.
type RouteStatus struct {
	Name      string            `json:"name"`
	Paths     []string          `json:"paths,omitempty"`
	Hosts     []string          `json:"hosts,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	Weights   map[string]int    `json:"weights"`
	FileSplit map[string]int    `json:"file_weights,omitempty"`
	Sticky    *config.Sticky    `json:"sticky,omitempty"`
	Version   int64             `json:"version,omitempty"`
}

// Routes lists the routes being served, the default route last.
func (p *Proxy) Routes() []RouteStatus {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	rt := p.rt.Load()
	var out []RouteStatus
	for _, lr := range rt.all() {
		rs := RouteStatus{Name: lr.name, Weights: lr.state.Load().split.Weights(), Version: p.versions[lr.name]}
		if lr.cfg != nil {
			rs.Paths, rs.Hosts, rs.Headers, rs.FileSplit, rs.Sticky = lr.cfg.Match.Paths, lr.cfg.Match.Hosts, lr.cfg.Match.Headers, lr.cfg.Split, lr.cfg.Sticky
		}
		out = append(out, rs)
	}
	return out
}

// UpstreamStatus is an upstream's targets and their health.
type UpstreamStatus struct {
	Name    string         `json:"name"`
	Balance string         `json:"balance"`
	Targets []TargetStatus `json:"targets"`
}

// TargetStatus is one target's health.
type TargetStatus struct {
	URL       string `json:"url"`
	Available bool   `json:"available"`
	Healthy   bool   `json:"healthy"`
	Ejected   bool   `json:"ejected"`
	InFlight  int64  `json:"in_flight"`
}

// Upstreams lists the upstreams being served and their targets' health.
func (p *Proxy) Upstreams() []UpstreamStatus { return p.rt.Load().upstreamStatus() }

func (rt *runtime) upstreamStatus() []UpstreamStatus {
	now := time.Now().UnixNano()
	var out []UpstreamStatus
	for _, name := range sortedNames(rt.pools) {
		pool := rt.pools[name]
		us := UpstreamStatus{Name: name, Balance: pool.Config().Balance, Targets: []TargetStatus{}}
		for _, t := range pool.Targets() {
			ej := t.Ejected(now)
			us.Targets = append(us.Targets, TargetStatus{URL: t.Key, Healthy: t.Healthy(), Ejected: ej,
				Available: t.Healthy() && !ej, InFlight: t.InFlight()})
		}
		out = append(out, us)
	}
	return out
}

func sortedNames[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// Pool returns the live pool of an upstream (tests and tools).
func (p *Proxy) Pool(name string) *upstream.Pool { return p.rt.Load().pools[name] }

func peerIP(remoteAddr string) (netip.Addr, string) {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, host
	}
	return a.Unmap(), host
}
