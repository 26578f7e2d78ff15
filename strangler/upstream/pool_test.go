package upstream

import (
	"net/url"
	"testing"
	"time"

	"github.com/carve-dev/carve/strangler/config"
)

func newTestPool(t *testing.T, now *time.Time, targets ...string) *Pool {
	t.Helper()
	cfg := config.Upstream{Targets: targets, Balance: "round_robin", Passive: config.Passive{Failures: 3, Eject: config.Duration{Duration: 10 * time.Second}}}
	return New("m", cfg, Options{Now: func() time.Time { return *now }})
}

func TestPassiveEjection(t *testing.T) {
	now := time.Unix(1000, 0)
	p := newTestPool(t, &now, "http://127.0.0.1:1", "http://127.0.0.1:2")
	a := p.Targets()[0]
	p.Report(a, false)
	p.Report(a, false)
	p.Report(a, true) // a success resets the count
	p.Report(a, false)
	p.Report(a, false)
	if a.Ejected(now.UnixNano()) {
		t.Fatal("ejected after 2 consecutive failures; the threshold is 3")
	}
	p.Report(a, false)
	if !a.Ejected(now.UnixNano()) {
		t.Fatal("not ejected after 3 consecutive failures")
	}
	for range 10 {
		if p.Next(nil) == a {
			t.Fatal("Next returned the ejected target")
		}
	}
	now = now.Add(10 * time.Second)
	if a.Ejected(now.UnixNano()) {
		t.Fatal("still ejected after the ejection period")
	}
	seen := map[*Target]bool{}
	for range 4 {
		seen[p.Next(nil)] = true
	}
	if !seen[a] {
		t.Fatal("recovered target never chosen")
	}
}

func TestNextSkipsTriedAndRunsOut(t *testing.T) {
	now := time.Unix(1000, 0)
	p := newTestPool(t, &now, "http://127.0.0.1:1", "http://127.0.0.1:2")
	first := p.Next(nil)
	second := p.Next([]*Target{first})
	if second == nil || second == first {
		t.Fatalf("retry got %v after %v", second, first)
	}
	if got := p.Next([]*Target{first, second}); got != nil {
		t.Fatalf("with every target tried Next returned %v", got.Key)
	}
	if n := testing.AllocsPerRun(100, func() { p.Next([]*Target{first}) }); n != 0 {
		t.Errorf("Next allocates %v times", n)
	}
}

func TestStateCarriesOverReload(t *testing.T) {
	now := time.Unix(1000, 0)
	p := newTestPool(t, &now, "http://127.0.0.1:1", "http://127.0.0.1:2")
	p.Targets()[0].healthy.Store(false)
	cfg := p.Config()
	cfg.Targets = append(cfg.Targets, "http://127.0.0.1:3")
	q := New("m", cfg, Options{Previous: p, Now: func() time.Time { return now }})
	byKey := map[string]*Target{}
	for _, tg := range q.Targets() {
		byKey[tg.Key] = tg
	}
	u, _ := url.Parse("http://127.0.0.1:1")
	if byKey[u.String()].Healthy() || !byKey["http://127.0.0.1:2"].Healthy() || !byKey["http://127.0.0.1:3"].Healthy() {
		t.Errorf("health after reload: %v %v %v", byKey[u.String()].Healthy(), byKey["http://127.0.0.1:2"].Healthy(), byKey["http://127.0.0.1:3"].Healthy())
	}
}
