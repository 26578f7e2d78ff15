package strangler

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// At 100% the monolith serves nothing, so it has no p99 of its own: the candidate is judged
// against the monolith's figures of the last hold in which it served min_requests, not against
// the 5ms floor. Both sides answer in 30ms: a good candidate reaches 100% (before, the floor made
// the limit 3 × 5ms and rolled it back from 100%).
func TestRolloutJudgesTheLastStepByThePrimarysLastFigures(t *testing.T) {
	slow := func() *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(30 * time.Millisecond)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id": 7}`)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	mono, cand := slow(), slow()
	clock := newFakeClock()
	r := startClocked(t, testConfig(mono.URL, cand.URL, `  - name: orders
    match: {paths: ["/orders/"]}
    split: {monolith: 100, orders: 0}
    rollout: {steps: [50, 100], hold: 1m, gates: {min_requests: 20, max_p99_ratio: 3}}`), clock)
	for _, pct := range []int{50, 100} {
		waitPercent(t, r, pct)
		drive(t, r, 40) // at 50%, about as many for the monolith: over min_requests
		clock.Advance(t, time.Minute)
	}
	var st RolloutStatus
	waitFor(t, "the rollout judged at 100%", func() bool {
		st, _ = r.p.Rollout("orders")
		return st.State != RolloutRunning
	})
	if st.State != RolloutDone || st.Rollbacks != 0 {
		t.Fatalf("status = %+v, want done at 100%% without rollbacks", st)
	}
	for _, g := range st.Gates {
		if g.Gate == "max_p99_ratio" && (g.Primary < 0.03 || !g.Pass) {
			t.Errorf("p99 gate at 100%% = %+v, want the monolith's p99 of the 50%% hold (≥ 30ms)", g)
		}
	}
}
