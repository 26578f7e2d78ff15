package strangler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/carve-dev/carve/strangler/config"
)

// Automatic rollout: per route, a controller raises the candidate's weight through the
// configured steps on its own. Each step is held for rollout.hold and judged by gates
// computed from the proxy's own figures over that hold (rollout_stats.go, and the shadow
// diff store): the candidate's error rate and p99 against the primary's, the shadow diff
// rate, a minimum of requests. A failing gate sets the weight back to the last good step at
// once and pauses, with a log event naming the gate and its figures. In fleet mode only the
// replica holding the rollout's lease in the store steps; every replica reports.

// Clock is the rollout's time source. Tests pass one they move by hand, so a hold of minutes
// takes milliseconds.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Rollout states.
const (
	RolloutRunning = "running"
	RolloutPaused  = "paused"
	RolloutDone    = "done"
	RolloutAborted = "aborted"
)

// Floors under the primary's figures, so that a primary without errors or with a sub-ms p99
// on loopback does not make every candidate fail.
const (
	minErrorRateBase = 0.005
	minP99Base       = 5 * time.Millisecond
)

// leaseTTL is how long a fleet replica holds a rollout's lease without renewing it; it renews
// every leaseTTL/3.
const leaseTTL = 30 * time.Second

// ErrNoRollout is returned for the rollout of a route without one.
var ErrNoRollout = errors.New("route has no rollout")

// GateResult is one gate's verdict over a hold.
type GateResult struct {
	Gate      string  `json:"gate"`
	Pass      bool    `json:"pass"`
	Candidate float64 `json:"candidate"`
	Primary   float64 `json:"primary"`
	Limit     float64 `json:"limit"`
}

// RolloutStatus is a route's rollout as the admin API shows it (GET /routes/{name}/rollout).
type RolloutStatus struct {
	Route     string       `json:"route"`
	Candidate string       `json:"candidate"`
	Primary   string       `json:"primary"`
	State     string       `json:"state"`
	Percent   int          `json:"percent"`
	Steps     []int        `json:"steps"`
	LastGood  int          `json:"last_good"`
	Hold      string       `json:"hold"`
	HeldFor   string       `json:"held_for,omitempty"`
	Leader    bool         `json:"leader"`
	Requests  int64        `json:"window_requests"`
	Gates     []GateResult `json:"gates,omitempty"`
	Rollbacks int          `json:"rollbacks"`
	Message   string       `json:"message,omitempty"`
}

// rollout is one route's controller.
type rollout struct {
	p                  *Proxy
	route              string
	cfg                config.Rollout
	split              map[string]int // the file's split it was built for
	candidate, primary string
	clock              Clock
	wake               chan struct{}
	cancel             context.CancelFunc
	done               chan struct{}

	mu        sync.Mutex
	state     string
	leader    bool
	step      int  // index in cfg.Steps of the step entered last; -1 before the first
	holding   bool // the step is being held (false after a rollback)
	percent   int
	lastGood  int
	since     time.Time
	base      [2]statsSnapshot // candidate, primary at the start of the hold
	gates     []GateResult
	rollbacks int
	message   string
	// ref are the primary's figures of the last hold in which it served min_requests: at the
	// high steps it serves too few (none at 100%) for an error rate or a p99 of its own, and
	// the candidate is judged against these.
	ref    statsSnapshot
	hasRef bool
}

func (p *Proxy) newRollout(rc *config.Route) *rollout {
	r := &rollout{p: p, route: rc.Name, cfg: *rc.Rollout, split: rc.Split, candidate: rc.Rollout.Upstream,
		clock: p.clock, wake: make(chan struct{}, 1), done: make(chan struct{}), state: RolloutRunning, step: -1}
	for name := range rc.Split {
		if name != r.candidate {
			r.primary = name
		}
	}
	return r
}

// syncRollouts starts a controller for each route with a rollout, keeps those whose config is
// unchanged, and stops the others.
func (p *Proxy) syncRollouts(cfg *config.Config) {
	p.rolloutsMu.Lock()
	defer p.rolloutsMu.Unlock()
	keep := map[string]bool{}
	for _, rc := range cfg.Routes {
		if rc.Rollout == nil {
			continue
		}
		if old := p.rollouts[rc.Name]; old != nil {
			if reflect.DeepEqual(old.cfg, *rc.Rollout) && maps.Equal(old.split, rc.Split) {
				keep[rc.Name] = true
				continue
			}
			old.stop()
		}
		r := p.newRollout(rc)
		ctx, cancel := context.WithCancel(p.ctx)
		r.cancel = cancel
		p.rollouts[rc.Name] = r
		keep[rc.Name] = true
		go func() {
			defer close(r.done)
			r.run(ctx)
		}()
	}
	for name, r := range p.rollouts {
		if !keep[name] {
			r.stop()
			delete(p.rollouts, name)
		}
	}
}

func (p *Proxy) stopRollouts() {
	p.rolloutsMu.Lock()
	defer p.rolloutsMu.Unlock()
	for _, r := range p.rollouts {
		r.stop()
	}
}

func (r *rollout) stop() {
	r.cancel()
	<-r.done
}

func (r *rollout) run(ctx context.Context) {
	tick := r.cfg.Hold.D()
	if r.p.store != nil {
		tick = min(tick, leaseTTL/3)
	}
	for {
		r.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-r.clock.After(tick):
		}
	}
}

// tick is one look at the rollout: take or renew the lease, enter the first step, or judge
// the hold that has run its time.
func (r *rollout) tick(ctx context.Context) {
	leader := r.takeLease(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	if leader && !r.leader {
		r.takeOver()
	}
	r.leader = leader
	if !leader || r.state != RolloutRunning {
		return
	}
	if !r.holding {
		r.enter(ctx, r.step+1)
		return
	}
	if r.clock.Now().Sub(r.since) < r.cfg.Hold.D() {
		return
	}
	cand, prim, compared, differing := r.window()
	if cand.requests < int64(r.cfg.Gates.MinRequests) {
		r.message = fmt.Sprintf("holding %d%%: %d of the %d candidate requests the gates need", r.percent, cand.requests, r.cfg.Gates.MinRequests)
		return
	}
	if prim.requests >= int64(r.cfg.Gates.MinRequests) {
		r.ref, r.hasRef = prim, true
	} else if r.hasRef {
		prim = r.ref
	}
	r.gates = r.judge(cand, prim, compared, differing)
	for _, g := range r.gates {
		if !g.Pass {
			r.rollback(ctx, g, cand.requests)
			return
		}
	}
	r.lastGood = r.percent
	r.p.log.Info("rollout step passed", "route", r.route, "candidate", r.candidate, "percent", r.percent, "requests", cand.requests)
	if r.step+1 >= len(r.cfg.Steps) {
		r.state, r.holding, r.message = RolloutDone, false, fmt.Sprintf("%s serves %d%%", r.candidate, r.percent)
		r.p.log.Info("rollout done", "route", r.route, "candidate", r.candidate, "percent", r.percent)
		return
	}
	r.enter(ctx, r.step+1)
}

// takeOver starts from the weights this replica serves (a restart, or another replica's
// lease expired): the step at or below them is held again before going on.
func (r *rollout) takeOver() {
	cur := r.currentPercent()
	r.step, r.holding, r.percent, r.lastGood = -1, false, cur, cur
	for i, s := range r.cfg.Steps {
		if s <= cur {
			r.step = i
		}
	}
	if r.step >= 0 && r.cfg.Steps[r.step] == cur {
		r.holding = true
		if r.step > 0 {
			r.lastGood = r.cfg.Steps[r.step-1]
		} else {
			r.lastGood = 0
		}
		r.startHold()
	}
	if r.step == len(r.cfg.Steps)-1 && cur == 100 && !r.holding {
		r.state = RolloutDone
	}
	r.p.m.rolloutStep.WithLabelValues(r.route).Set(float64(cur))
}

func (r *rollout) currentPercent() int {
	lr := r.p.rt.Load().route(r.route)
	if lr == nil {
		return 0
	}
	w := lr.state.Load().split.Weights()
	sum := 0
	for _, v := range w {
		sum += v
	}
	if sum == 0 {
		return 0
	}
	return w[r.candidate] * 100 / sum
}

// enter sets the weights of step i and starts holding it.
func (r *rollout) enter(ctx context.Context, i int) {
	if i >= len(r.cfg.Steps) {
		r.state = RolloutDone
		return
	}
	pct := r.cfg.Steps[i]
	if err := r.setPercent(ctx, pct); err != nil {
		r.state, r.message = RolloutPaused, fmt.Sprintf("could not set %d%%: %v; resume to retry", pct, err)
		r.p.log.Warn("rollout paused: weights not set", "route", r.route, "percent", pct, "err", err)
		return
	}
	r.step, r.percent, r.holding, r.message = i, pct, true, ""
	r.startHold()
	r.p.log.Info("rollout step", "route", r.route, "candidate", r.candidate, "percent", pct, "hold", r.cfg.Hold.D().String())
}

func (r *rollout) startHold() {
	r.since = r.clock.Now()
	cand, prim := r.figures()
	r.base = [2]statsSnapshot{cand, prim}
	if d := r.diffs(); d != nil {
		d.startWindow()
	}
}

func (r *rollout) setPercent(ctx context.Context, pct int) error {
	_, err := r.p.SetWeights(ctx, r.route, map[string]int{r.candidate: pct, r.primary: 100 - pct}, "rollout")
	if errors.Is(err, ErrVersionConflict) { // another writer: read the store and try once more
		if err = r.p.SyncStore(ctx); err == nil {
			_, err = r.p.SetWeights(ctx, r.route, map[string]int{r.candidate: pct, r.primary: 100 - pct}, "rollout")
		}
	}
	if err == nil {
		r.p.m.rolloutStep.WithLabelValues(r.route).Set(float64(pct))
	}
	return err
}

// figures are the running totals of both sides the gates are computed from.
func (r *rollout) figures() (cand, prim statsSnapshot) {
	return r.p.sideStats(r.route, r.candidate).snapshot(), r.p.sideStats(r.route, r.primary).snapshot()
}

// diffs is the route's shadow results, nil when the route has no shadow.
func (r *rollout) diffs() *diffStore {
	if lr := r.p.rt.Load().route(r.route); lr != nil && lr.shadow != nil {
		return lr.shadow.store
	}
	return nil
}

// window are the figures since the hold started; the shadow copies counted are those whose
// candidate call started in the hold (a late copy of the build before is not counted).
func (r *rollout) window() (cand, prim statsSnapshot, compared, differing int64) {
	c, p := r.figures()
	if d := r.diffs(); d != nil {
		compared, differing = d.window()
	}
	return c.since(r.base[0]), p.since(r.base[1]), compared, differing
}

func (r *rollout) judge(cand, prim statsSnapshot, compared, differing int64) []GateResult {
	g := r.cfg.Gates
	out := []GateResult{{Gate: "min_requests", Pass: true, Candidate: float64(cand.requests), Primary: float64(prim.requests), Limit: float64(g.MinRequests)}}
	er := GateResult{Gate: "max_error_rate_ratio", Candidate: cand.errorRate(), Primary: prim.errorRate()}
	er.Limit = g.MaxErrorRateRatio * max(er.Primary, minErrorRateBase)
	er.Pass = er.Candidate <= er.Limit
	lat := GateResult{Gate: "max_p99_ratio", Candidate: cand.p99().Seconds(), Primary: prim.p99().Seconds()}
	lat.Limit = g.MaxP99Ratio * max(lat.Primary, minP99Base.Seconds())
	lat.Pass = lat.Candidate <= lat.Limit
	out = append(out, er, lat)
	if compared > 0 {
		d := GateResult{Gate: "max_diff_rate", Candidate: float64(differing) / float64(compared), Limit: g.MaxDiffRate}
		d.Pass = d.Candidate <= d.Limit
		out = append(out, d)
	}
	return out
}

// rollback sets the last good step's weights at once and pauses.
func (r *rollout) rollback(ctx context.Context, failed GateResult, requests int64) {
	from := r.percent
	r.rollbacks++
	r.p.m.rolloutRollbacks.WithLabelValues(r.route, failed.Gate).Inc()
	r.p.log.Warn("rollout rolled back: gate failed", "route", r.route, "candidate", r.candidate, "gate", failed.Gate,
		"candidate_value", failed.Candidate, "primary_value", failed.Primary, "limit", failed.Limit,
		"requests", requests, "from_percent", from, "to_percent", r.lastGood)
	r.state, r.holding = RolloutPaused, false
	r.message = fmt.Sprintf("rolled back from %d%% to %d%%: %s %.4g over the limit %.4g (primary %.4g); fix the candidate, then resume",
		from, r.lastGood, failed.Gate, failed.Candidate, failed.Limit, failed.Primary)
	if err := r.setPercent(ctx, r.lastGood); err != nil {
		r.message += fmt.Sprintf("; setting %d%% failed: %v", r.lastGood, err)
		r.p.log.Error("rollback weights not set", "route", r.route, "percent", r.lastGood, "err", err)
		return
	}
	r.percent = r.lastGood
	r.step = -1
	for i, s := range r.cfg.Steps {
		if s <= r.lastGood {
			r.step = i
		}
	}
}

// Control changes a route's rollout: "pause" stops stepping (the weights stay), "resume"
// goes on (re-holding the current step, or entering the next after a rollback), "abort"
// sets the candidate's weight to 0 and stops.
func (p *Proxy) Control(ctx context.Context, route, action string) (RolloutStatus, error) {
	r, err := p.rollout(route)
	if err != nil {
		return RolloutStatus{}, err
	}
	r.mu.Lock()
	switch action {
	case "pause":
		if r.state == RolloutRunning {
			r.state, r.message = RolloutPaused, "paused by the operator"
		}
	case "resume":
		switch r.state {
		case RolloutPaused:
			r.state, r.message = RolloutRunning, ""
			if r.holding {
				r.startHold()
			}
		case RolloutAborted:
			r.state, r.message, r.step, r.holding, r.lastGood = RolloutRunning, "", -1, false, 0
		}
	case "abort":
		r.state, r.holding, r.step = RolloutAborted, false, -1
		r.message = "aborted by the operator"
		if err := r.setPercent(ctx, 0); err != nil {
			r.message += fmt.Sprintf("; setting 0%% failed: %v", err)
		} else {
			r.percent, r.lastGood = 0, 0
		}
		p.log.Warn("rollout aborted", "route", route, "candidate", r.candidate)
	default:
		r.mu.Unlock()
		return RolloutStatus{}, fmt.Errorf("unknown rollout action %q: use pause, resume or abort", action)
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return r.status(), nil
}

// Rollout returns a route's rollout status.
func (p *Proxy) Rollout(route string) (RolloutStatus, error) {
	r, err := p.rollout(route)
	if err != nil {
		return RolloutStatus{}, err
	}
	return r.status(), nil
}

func (p *Proxy) rollout(route string) (*rollout, error) {
	p.rolloutsMu.Lock()
	defer p.rolloutsMu.Unlock()
	if r := p.rollouts[route]; r != nil {
		return r, nil
	}
	if p.rt.Load().route(route) == nil {
		return nil, fmt.Errorf("route %q: %w; list routes with GET /routes", route, ErrUnknownRoute)
	}
	return nil, fmt.Errorf("route %q: %w: add rollout: {steps: [1, 5, 25, 50, 100], hold: 5m} to it", route, ErrNoRollout)
}

func (r *rollout) status() RolloutStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := RolloutStatus{Route: r.route, Candidate: r.candidate, Primary: r.primary, State: r.state, Percent: r.currentPercent(),
		Steps: slices.Clone(r.cfg.Steps), LastGood: r.lastGood, Hold: r.cfg.Hold.D().String(), Leader: r.leader,
		Gates: slices.Clone(r.gates), Rollbacks: r.rollbacks, Message: r.message}
	if r.holding && r.state == RolloutRunning {
		s.HeldFor = r.clock.Now().Sub(r.since).Round(time.Millisecond).String()
		cand, _, _, _ := r.window()
		s.Requests = cand.requests
	}
	return s
}

// takeLease reports whether this replica steps the rollout: always without a store; in
// fleet mode when it holds (took or renewed) the route's lease.
func (r *rollout) takeLease(ctx context.Context) bool {
	if r.p.store == nil {
		return true
	}
	ok, err := r.p.store.Lease(ctx, "rollout/"+r.route, r.p.replica, leaseTTL)
	if err != nil {
		if ctx.Err() == nil {
			r.p.log.Warn("rollout lease not taken; not stepping", "route", r.route, "err", err)
		}
		return false
	}
	return ok
}

func (p *Proxy) rolloutHandlers(mux *http.ServeMux, auth func(http.HandlerFunc) http.Handler) {
	answer := func(w http.ResponseWriter, s RolloutStatus, err error) {
		switch {
		case errors.Is(err, ErrUnknownRoute) || errors.Is(err, ErrNoRollout):
			writeError(w, http.StatusNotFound, err)
		case err != nil:
			writeError(w, http.StatusBadRequest, err)
		default:
			writeJSON(w, http.StatusOK, s)
		}
	}
	mux.Handle("GET /routes/{name}/rollout", auth(func(w http.ResponseWriter, r *http.Request) {
		s, err := p.Rollout(r.PathValue("name"))
		answer(w, s, err)
	}))
	mux.Handle("POST /routes/{name}/rollout/{action}", auth(func(w http.ResponseWriter, r *http.Request) {
		s, err := p.Control(r.Context(), r.PathValue("name"), r.PathValue("action"))
		answer(w, s, err)
	}))
}
