package strangler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// Active checks take a target out after `unhealthy` failed checks and bring it back after
// `healthy` passes; traffic follows.
func TestActiveHealthChecks(t *testing.T) {
	var sick atomic.Bool
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && sick.Load() {
			http.Error(w, "sick", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("flaky"))
	}))
	defer flaky.Close()
	steady := newBackend(t, "steady")
	yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
upstreams:
  monolith:
    targets: [%q, %q]
    health: {path: /healthz, interval: 1h, healthy: 2, unhealthy: 3}
default: monolith
`, flaky.URL, steady.URL())
	r := start(t, yaml, startOpts{})
	pool := r.p.Pool("monolith")
	state := func() bool {
		for _, tg := range pool.Targets() {
			if tg.Key == flaky.URL {
				return tg.Healthy()
			}
		}
		t.Fatal("flaky target missing")
		return false
	}
	// The first round runs at start; count ours from after it.
	waitFor(t, "the first health check round", func() bool { return pool.CheckRounds() >= 1 })
	sick.Store(true)
	for i := 1; i <= 3; i++ {
		pool.CheckNow(context.Background())
		if want := i < 3; state() != want {
			t.Fatalf("after %d failed checks healthy=%v, want %v", i, state(), want)
		}
	}
	for range 20 {
		if _, body := get(t, &http.Client{}, r.url+"/x", nil); body != "steady" {
			t.Fatalf("request went to the unhealthy target: %q", body)
		}
	}
	sick.Store(false)
	pool.CheckNow(context.Background())
	if state() {
		t.Fatal("healthy again after one pass; the threshold is 2")
	}
	pool.CheckNow(context.Background())
	if !state() {
		t.Fatal("not healthy after 2 passes")
	}
	seen := map[string]bool{}
	for range 10 {
		_, body := get(t, &http.Client{}, r.url+"/x", nil)
		seen[body] = true
	}
	if !seen["flaky"] || !seen["steady"] {
		t.Errorf("round robin after recovery reached %v", seen)
	}
	if !strings.Contains(r.logs.String(), "target unhealthy") || !strings.Contains(r.logs.String(), "target healthy") {
		t.Error("health transitions not logged")
	}
}

// Passive ejection: a target answering 503 is taken out after `failures` in a row and tried
// again once the ejection has passed (here: eject 1ns, so at once).
func TestPassiveEjectionAndRecovery(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("bad-recovered"))
	}))
	defer bad.Close()
	yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
upstreams:
  monolith: {targets: [%q], passive: {failures: 3, eject: 1h}}
default: monolith
`, bad.URL)
	r := start(t, yaml, startOpts{})
	for i := range 3 {
		if resp, _ := get(t, &http.Client{}, r.url+"/x", nil); resp.StatusCode != 503 {
			t.Fatalf("request %d: %d, want the target's 503", i, resp.StatusCode)
		}
	}
	resp, body := get(t, &http.Client{}, r.url+"/x", nil)
	if resp.StatusCode != 503 || !strings.Contains(body, "no healthy target") {
		t.Fatalf("after 3 failures: %d %q, want the proxy's 503", resp.StatusCode, body)
	}
	// Recovery after the ejection period is covered with a controlled clock in
	// upstream.TestPassiveEjection.
}

func TestDNSTargets(t *testing.T) {
	be := newBackend(t, "dns")
	port := be.srv.Listener.Addr().String()[strings.LastIndexByte(be.srv.Listener.Addr().String(), ':')+1:]
	yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
upstreams:
  monolith: {targets: ["http://localhost:%s"], dns: {interval: 1h, network: ip4}}
default: monolith
`, port)
	r := start(t, yaml, startOpts{})
	pool := r.p.Pool("monolith")
	waitFor(t, "localhost to resolve", func() bool { return len(pool.Targets()) > 0 })
	if got := pool.Targets()[0].Key; got != "http://127.0.0.1:"+port {
		t.Errorf("resolved target %q", got)
	}
	if _, body := get(t, &http.Client{}, r.url+"/x", nil); body != "dns" {
		t.Errorf("through a DNS target: %q", body)
	}
}

func TestLeastRequests(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	yaml := fmt.Sprintf("listen: \"127.0.0.1:0\"\nupstreams: {monolith: {targets: [%q, %q], balance: least_requests}}\ndefault: monolith\n", a.URL(), b.URL())
	r := start(t, yaml, startOpts{})
	pool := r.p.Pool("monolith")
	busy := pool.Targets()[0]
	busy.Begin() // pretend a long request is in flight on a
	defer busy.End()
	for range 10 {
		if _, body := get(t, &http.Client{}, r.url+"/x", nil); body != "b" {
			t.Fatalf("least_requests sent to the busy target: %q", body)
		}
	}
}
