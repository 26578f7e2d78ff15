package strangler

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carve-dev/carve/strangler/config"
)

func mustLoad(t *testing.T, file string) *config.Config {
	t.Helper()
	c, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAdminRequiresToken(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	r := start(t, twoSided(mono.URL(), orders.URL(), ""), startOpts{env: token})
	for _, path := range []string{"/routes", "/weights", "/upstreams", "/metrics", "/routes/orders/weights"} {
		for _, auth := range []string{"", "Bearer wrong", "Bearer s3cret2", "bearer s3cret", "s3cret", "Basic czNjcmV0"} {
			req, _ := http.NewRequest("GET", r.admin+path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET %s with %q: %d, want 401", path, auth, resp.StatusCode)
			}
		}
	}
	req, _ := http.NewRequest("PUT", r.admin+"/routes/orders/weights", strings.NewReader(`{"weights":{"orders":100,"monolith":0}}`))
	req.Header.Set("Content-Type", "application/json")
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || r.p.Routes()[0].Weights["orders"] != 25 {
		t.Errorf("PUT without a token: %d, weights %v", resp.StatusCode, r.p.Routes()[0].Weights)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(r.admin + path)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s without a token: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
}

func TestAdminWeights(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	r := start(t, twoSided(mono.URL(), orders.URL(), ""), startOpts{env: token})
	out := setWeights(t, r, "orders", map[string]int{"orders": 50, "monolith": 50}, http.StatusOK)
	if !strings.Contains(out, `"old": {`) || !strings.Contains(out, `"orders": 25`) || !strings.Contains(out, `"orders": 50`) {
		t.Errorf("response lacks old and new weights: %s", out)
	}
	if !strings.Contains(r.logs.String(), `"msg":"route weights changed","route":"orders","source":"admin","old":{"monolith":75,"orders":25},"new":{"monolith":50,"orders":50}`) {
		t.Errorf("change not logged with old and new values: %s", r.logs.String())
	}
	m := scrape(t, r)
	for _, want := range []string{
		`carve_proxy_route_weight{route="orders",upstream="orders"} 50`,
		`carve_proxy_route_weight{route="default",upstream="monolith"} 1`,
		`carve_proxy_weight_changes_total{route="orders",source="admin"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, c := range []struct {
		route string
		w     map[string]int
		code  int
		msg   string
	}{
		{"orders", map[string]int{"payments": 1}, 422, "unknown upstream"},
		{"orders", map[string]int{"orders": -1, "monolith": 1}, 422, "bad weight -1"},
		{"orders", map[string]int{"orders": 0, "monolith": 0}, 422, "all weights are 0"},
		{"orders", map[string]int{}, 422, "missing"},
		{"nope", map[string]int{"orders": 1}, 404, "unknown route"},
		{"default", map[string]int{"orders": 1}, 404, "unknown route"},
	} {
		body := setWeights(t, r, c.route, c.w, c.code)
		if !strings.Contains(body, c.msg) {
			t.Errorf("%s %v: %s lacks %q", c.route, c.w, body, c.msg)
		}
		if strings.Contains(body, ".yaml:") {
			t.Errorf("%s %v: an API error names a config line: %s", c.route, c.w, body)
		}
	}
	// A form post (what a cross-site page can send) is refused.
	req, _ := http.NewRequest("POST", r.admin+"/routes/orders/weights", strings.NewReader("weights=1"))
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form post: %d, want 415", resp.StatusCode)
	}
	// Admin weights survive a reload of an unchanged file and give way when the file's own
	// weights for the route change.
	if err := r.p.ReloadFile(r.file); err != nil {
		t.Fatal(err)
	}
	if w := r.p.Routes()[0].Weights; w["orders"] != 50 {
		t.Errorf("admin weights lost on reloading an unchanged file: %v", w)
	}
	req, _ = http.NewRequest("GET", r.admin+"/upstreams", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, _ = http.DefaultClient.Do(req)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), orders.URL()) || !strings.Contains(string(b), `"available": true`) {
		t.Errorf("upstreams: %s", b)
	}
}

func TestAdminNonLoopbackNeedsToken(t *testing.T) {
	mono := newBackend(t, "monolith")
	// Refused by validation...
	_, err := config.Parse("s.yaml", []byte(fmt.Sprintf("listen: \":0\"\nadmin: {listen: \"0.0.0.0:0\"}\nupstreams: {m: {targets: [%q]}}\ndefault: m\n", mono.URL())))
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("config with a public admin address and no token: %v", err)
	}
	// ...and by Run, whatever listener it is handed.
	cfg, err := config.Parse("s.yaml", []byte(fmt.Sprintf("listen: \":0\"\nupstreams: {m: {targets: [%q]}}\ndefault: m\n", mono.URL())))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	aln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	err = p.Run(context.Background(), RunOptions{Listener: ln, AdminListener: aln})
	if err == nil || !strings.Contains(err.Error(), "not loopback and has no token") {
		t.Fatalf("Run with a public admin listener and no token: %v", err)
	}
	// A token_env naming an empty variable is refused too.
	cfg.Admin.TokenEnv = "CARVE_TEST_UNSET_TOKEN"
	p, _ = New(cfg, Options{Getenv: func(string) string { return "" }})
	if err := p.Run(context.Background(), RunOptions{}); err == nil || !strings.Contains(err.Error(), "CARVE_TEST_UNSET_TOKEN") {
		t.Fatalf("empty token variable: %v", err)
	}
}

// On shutdown /readyz fails first, an in-flight request still completes, Run returns nil.
func TestDrain(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	be := newBackend(t, "monolith")
	slow := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "slow done")
	})}
	sl, _ := net.Listen("tcp", "127.0.0.1:0")
	go slow.Serve(sl)
	defer slow.Close()
	yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
shutdown: {delay: 200ms, timeout: 10s}
upstreams:
  monolith: {targets: [%q]}
  slow: {targets: ["http://%s"]}
routes:
  - {name: slow, match: {paths: ["/slow"]}, split: {slow: 1}}
default: monolith
`, be.URL(), sl.Addr())
	file := writeConfig(t, t.TempDir(), yaml)
	p, err := New(mustLoad(t, file), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	aln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, RunOptions{Listener: ln, AdminListener: aln}) }()
	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{body: string(b)}
	}()
	<-entered
	cancel()
	waitFor(t, "readyz to fail", func() bool {
		resp, err := http.Get("http://" + aln.Addr().String() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	close(release)
	if r := <-res; r.err != nil || r.body != "slow done" {
		t.Fatalf("in-flight request during drain: %q %v", r.body, r.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after drain: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after the drain")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("traffic listener still accepts after the drain")
	}
}
