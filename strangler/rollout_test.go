package strangler

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeClock is a rollout clock the test moves: a hold of a minute takes no time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock by d and fires the timers due, once the controller waits on one
// (else the move would pass before its next wait started).
func (c *fakeClock) Advance(t *testing.T, d time.Duration) {
	t.Helper()
	waitFor(t, "the rollout to wait", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.timers) > 0
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
}

// startClocked is start with a rollout clock.
func startClocked(t *testing.T, yaml string, clock Clock) *running {
	t.Helper()
	return start(t, yaml, startOpts{env: token, clock: clock})
}

// rolloutBackend answers 200 with a small JSON body; every failEvery-th request (when set)
// gets a 500, and price is what it says.
func rolloutBackend(t *testing.T, price int, failEvery int64) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if failEvery > 0 && n%failEvery == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id": 7, "price": %d}`, price)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func rolloutConfig(mono, cand, extra string) string {
	return testConfig(mono, cand, `  - name: orders
    match: {paths: ["/orders/"]}
    split: {monolith: 100, orders: 0}
    rollout: {steps: [10, 50, 100], hold: 1m, gates: {min_requests: 20, max_p99_ratio: 40}}
`+extra)
}

// drive sends GETs until the candidate has served n requests in the hold (the proxy's own
// count: shadow copies reach the candidate too).
func drive(t *testing.T, r *running, n int64) {
	t.Helper()
	for i := 0; ; i++ {
		st, _ := r.p.Rollout("orders")
		if st.Requests >= n {
			return
		}
		if i > 20000 {
			t.Fatalf("the candidate got %d of %d requests: %+v", st.Requests, n, st)
		}
		resp, err := http.Get(r.url + "/orders/1")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func waitPercent(t *testing.T, r *running, pct int) RolloutStatus {
	t.Helper()
	var st RolloutStatus
	for range 1000 {
		if st, _ = r.p.Rollout("orders"); st.Percent == pct {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the rollout never reached %d%%: %+v", pct, st)
	return st
}

// A good candidate goes 0 → 10 → 50 → 100 with no operator step, each step held for a
// (fake) minute and judged by the gates.
func TestRolloutGoodCandidateReaches100(t *testing.T) {
	mono, _ := rolloutBackend(t, 10, 0)
	cand, _ := rolloutBackend(t, 10, 0)
	clock := newFakeClock()
	r := startClocked(t, rolloutConfig(mono.URL, cand.URL, ""), clock)
	for _, pct := range []int{10, 50, 100} {
		waitPercent(t, r, pct)
		drive(t, r, 25)
		clock.Advance(t, time.Minute)
	}
	waitFor(t, "the rollout done", func() bool { st, _ := r.p.Rollout("orders"); return st.State == RolloutDone })
	st, _ := r.p.Rollout("orders")
	if st.Percent != 100 || st.Rollbacks != 0 || st.LastGood != 100 {
		t.Errorf("status = %+v, want done at 100%% without rollbacks", st)
	}
	if w := r.p.Routes()[0].Weights; w["orders"] != 100 || w["monolith"] != 0 {
		t.Errorf("weights = %v", w)
	}
	if got := testutil.ToFloat64(r.p.m.rolloutStep.WithLabelValues("orders")); got != 100 {
		t.Errorf("carve_proxy_rollout_step = %v", got)
	}
}

// A candidate failing 5% of its requests is rolled back to 0 at the end of its first hold and
// the rollout pauses, with a log event naming the gate and its figures.
func TestRolloutFaultyCandidateRolledBack(t *testing.T) {
	mono, _ := rolloutBackend(t, 10, 0)
	cand, _ := rolloutBackend(t, 10, 20)
	clock := newFakeClock()
	r := startClocked(t, rolloutConfig(mono.URL, cand.URL, ""), clock)
	waitPercent(t, r, 10)
	drive(t, r, 40)
	clock.Advance(t, time.Minute) // one hold
	st := waitPercent(t, r, 0)
	waitFor(t, "paused", func() bool { st, _ = r.p.Rollout("orders"); return st.State == RolloutPaused })
	if st.Rollbacks != 1 || st.LastGood != 0 {
		t.Errorf("status = %+v, want one rollback to 0", st)
	}
	failed := ""
	for _, g := range st.Gates {
		if !g.Pass {
			failed = g.Gate
		}
	}
	if failed != "max_error_rate_ratio" {
		t.Errorf("gates = %+v, want max_error_rate_ratio failing", st.Gates)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, `"msg":"rollout rolled back: gate failed"`) || !strings.Contains(logs, `"gate":"max_error_rate_ratio"`) {
		t.Errorf("no rollback event naming the gate in the log:\n%s", logs)
	}
	if got := testutil.ToFloat64(r.p.m.rolloutRollbacks.WithLabelValues("orders", "max_error_rate_ratio")); got != 1 {
		t.Errorf("carve_proxy_rollout_rollbacks_total = %v", got)
	}
	// Paused: time passing changes nothing; resume enters the step again.
	clock.Advance(t, time.Minute)
	time.Sleep(20 * time.Millisecond)
	if st, _ := r.p.Rollout("orders"); st.Percent != 0 {
		t.Errorf("a paused rollout stepped to %d%%", st.Percent)
	}
	if _, err := r.p.Control(context.Background(), "orders", "resume"); err != nil {
		t.Fatal(err)
	}
	waitPercent(t, r, 10)
}

// A candidate whose answers differ from the monolith's in a field is caught by the shadow
// diff gate (its error rate and latency are fine) and rolled back in one hold.
func TestRolloutDiffGate(t *testing.T) {
	mono, _ := rolloutBackend(t, 10, 0)
	cand, _ := rolloutBackend(t, 11, 0)
	clock := newFakeClock()
	yaml := strings.Replace(rolloutConfig(mono.URL, cand.URL, ""), "    rollout:", "    shadow: {upstream: orders, sample: 1, noise: 0, noise_warmup: 1}\n    rollout:", 1)
	r := startClocked(t, yaml, clock)
	waitPercent(t, r, 10)
	drive(t, r, 25)
	waitFor(t, "shadow comparisons", func() bool { rep, _ := r.p.Diff("orders", 1); return rep.Compared >= 20 })
	clock.Advance(t, time.Minute)
	st := waitPercent(t, r, 0)
	waitFor(t, "paused", func() bool { st, _ = r.p.Rollout("orders"); return st.State == RolloutPaused })
	if !strings.Contains(st.Message, "max_diff_rate") {
		t.Errorf("status = %+v, want a rollback by max_diff_rate", st)
	}
}

// pause, resume and abort through the admin API; unknown routes and actions are refused.
func TestRolloutControl(t *testing.T) {
	mono, _ := rolloutBackend(t, 10, 0)
	cand, _ := rolloutBackend(t, 10, 0)
	clock := newFakeClock()
	r := startClocked(t, rolloutConfig(mono.URL, cand.URL, ""), clock)
	waitPercent(t, r, 10)
	post := func(path string) int {
		req, _ := http.NewRequest("POST", r.admin+path, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post("/routes/orders/rollout/pause"); c != 200 {
		t.Fatalf("pause: %d", c)
	}
	if st, _ := r.p.Rollout("orders"); st.State != RolloutPaused || st.Percent != 10 {
		t.Errorf("after pause: %+v", st)
	}
	if c := post("/routes/orders/rollout/abort"); c != 200 {
		t.Fatalf("abort: %d", c)
	}
	if st, _ := r.p.Rollout("orders"); st.State != RolloutAborted || st.Percent != 0 {
		t.Errorf("after abort: %+v", st)
	}
	if c := post("/routes/orders/rollout/jump"); c != 400 {
		t.Errorf("unknown action: %d, want 400", c)
	}
	if c := post("/routes/nope/rollout/pause"); c != 404 {
		t.Errorf("unknown route: %d, want 404", c)
	}
}
