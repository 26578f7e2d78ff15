package strangler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoutingAndDefault(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	r := start(t, twoSided(mono.URL(), orders.URL(), "    timeout: 5s"), startOpts{env: token})
	c := &http.Client{}
	if _, body := get(t, c, r.url+"/catalog/1", nil); body != "monolith" {
		t.Errorf("unmatched path went to %q, want the default monolith", body)
	}
	// Weighted sticky split through the real proxy: 2000 users, 25% expected on orders.
	const n = 2000
	onOrders := 0
	for i := range n {
		_, body := get(t, c, r.url+"/orders/1", map[string]string{"X-User-ID": fmt.Sprint("u", i)})
		if body == "orders" {
			onOrders++
		}
	}
	sigma := math.Sqrt(n * 0.25 * 0.75)
	if d := math.Abs(float64(onOrders) - n*0.25); d > 3*sigma {
		t.Errorf("%d of %d users on orders, more than 3σ (%.0f) from %d", onOrders, n, 3*sigma, n/4)
	}
}

// Header conditions through the real proxy: beta testers of the same path go to orders.
func TestHeaderRoute(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
upstreams: {monolith: {targets: [%q]}, orders: {targets: [%q]}}
routes:
  - {name: orders, match: {paths: ["/orders/"]}, split: {monolith: 1}}
  - {name: beta, match: {paths: ["/orders/"], headers: {X-Beta: "1"}}, split: {orders: 1}}
  - {name: shop, match: {paths: ["GET /orders/{id}"], hosts: ["shop.example.com"]}, split: {orders: 1}}
default: monolith
`, mono.URL(), orders.URL())
	r := start(t, yaml, startOpts{})
	c := &http.Client{}
	for _, tc := range []struct {
		hdr  map[string]string
		host string
		want string
	}{
		{nil, "", "monolith"},
		{map[string]string{"X-Beta": "1"}, "", "orders"},
		{map[string]string{"X-Beta": "0"}, "", "monolith"},
		{nil, "shop.example.com", "orders"},
	} {
		req, _ := http.NewRequest("GET", r.url+"/orders/7", nil)
		for k, v := range tc.hdr {
			req.Header.Set(k, v)
		}
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != tc.want {
			t.Errorf("headers %v host %q: %q, want %q", tc.hdr, tc.host, b, tc.want)
		}
	}
}

func TestStickyCookieAndMonotoneShift(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	yaml := strings.Replace(twoSided(mono.URL(), orders.URL(), ""), "sticky: {header: X-User-ID}", "sticky: {cookie: carve-orders, cookie_ttl: 1h}", 1)
	r := start(t, yaml, startOpts{env: token})
	c := &http.Client{}

	// A first request without the cookie gets one set; later requests carry it.
	resp, _ := get(t, c, r.url+"/orders/x", nil)
	ck := resp.Cookies()
	if len(ck) != 1 || ck[0].Name != "carve-orders" || ck[0].Value == "" || ck[0].MaxAge != 3600 || !ck[0].HttpOnly {
		t.Fatalf("want one carve-orders cookie, got %v", resp.Header["Set-Cookie"])
	}
	users := make([]string, 300)
	side := map[string]string{}
	for i := range users {
		users[i] = fmt.Sprintf("user%03d", i)
		for range 2 { // the same user lands on the same side each time
			resp, body := get(t, c, r.url+"/orders/x", map[string]string{"Cookie": "carve-orders=" + users[i]})
			if len(resp.Header["Set-Cookie"]) != 0 {
				t.Fatal("cookie set again although the request carried it")
			}
			if prev, ok := side[users[i]]; ok && prev != body {
				t.Fatalf("user %s flipped from %s to %s with unchanged weights", users[i], prev, body)
			}
			side[users[i]] = body
		}
	}
	// Raise orders step by step through the admin API: nobody on orders goes back.
	for _, w := range []int{40, 60, 80, 100} {
		setWeights(t, r, "orders", map[string]int{"orders": w, "monolith": 100 - w}, http.StatusOK)
		for _, u := range users {
			_, body := get(t, c, r.url+"/orders/x", map[string]string{"Cookie": "carve-orders=" + u})
			if side[u] == "orders" && body != "orders" {
				t.Fatalf("orders weight %d: user %s moved back from orders to %s", w, u, body)
			}
			side[u] = body
		}
	}
	for u, s := range side {
		if s != "orders" {
			t.Fatalf("at 100%% user %s is still on %s", u, s)
		}
	}
}

func setWeights(t *testing.T, r *running, route string, w map[string]int, want int) string {
	t.Helper()
	b, _ := json.Marshal(WeightsRequest{Weights: w})
	req, _ := http.NewRequest("PUT", r.admin+"/routes/"+route+"/weights", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("PUT weights %v: %d %s, want %d", w, resp.StatusCode, body, want)
	}
	return string(body)
}

// A target killed mid-run costs idempotent requests nothing: the connection failure is
// retried on the other target.
func TestFailoverOnKilledTarget(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
access_log: {sample: 0}
upstreams:
  monolith: {targets: [%q, %q], passive: {failures: 2, eject: 1m}}
default: monolith
`, a.URL(), b.URL())
	r := start(t, yaml, startOpts{})
	c := &http.Client{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	killed := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := range 150 {
				if w == 0 && i == 40 {
					a.srv.CloseClientConnections()
					a.srv.Listener.Close() // refuses new connections from now on
					close(killed)
				}
				resp, err := c.Get(r.url + "/x")
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					mu.Lock()
					failures = append(failures, resp.Status)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	<-killed
	if len(failures) > 0 {
		t.Fatalf("%d client errors after a target was killed, e.g. %s", len(failures), failures[0])
	}
	ups := r.p.Upstreams()[0]
	for _, tg := range ups.Targets {
		if tg.URL == a.URL() && !tg.Ejected {
			t.Errorf("killed target %s not ejected: %+v", a.URL(), tg)
		}
	}
	if !strings.Contains(scrape(t, r), `carve_proxy_retries_total{route="default",upstream="monolith"}`) {
		t.Error("no retries counted")
	}
}

func scrape(t *testing.T, r *running) string {
	t.Helper()
	req, _ := http.NewRequest("GET", r.admin+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func TestAllTargetsDown(t *testing.T) {
	a := newBackend(t, "a")
	url := a.URL()
	a.srv.Close()
	yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
admin: {listen: "127.0.0.1:0", token_env: TOKEN}
upstreams:
  monolith: {targets: [%q], passive: {failures: 1, eject: 1m}}
default: monolith
`, url)
	r := start(t, yaml, startOpts{env: token})
	resp, body := get(t, &http.Client{}, r.url+"/x", nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "unreachable") {
		t.Errorf("first request to a dead target: %d %q, want 502", resp.StatusCode, body)
	}
	resp, body = get(t, &http.Client{}, r.url+"/x", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "no healthy target for upstream monolith") {
		t.Errorf("with the only target ejected: %d %q, want 503", resp.StatusCode, body)
	}
	m := scrape(t, r)
	for _, want := range []string{
		`carve_proxy_upstream_unavailable_total{route="default",upstream="monolith"} 1`,
		`carve_proxy_upstream_healthy{target="` + url + `",upstream="monolith"} 0`,
		`carve_proxy_requests_total{class="5xx",route="default",upstream="monolith"} 2`,
		`carve_proxy_request_duration_seconds_count{route="default"} 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !strings.Contains(r.logs.String(), `"msg":"request"`) || !strings.Contains(r.logs.String(), `"status":503`) {
		t.Errorf("no access log line for the 503: %s", r.logs.String())
	}
}

func TestBodyAndHeaderLimits(t *testing.T) {
	mono := newBackend(t, "monolith")
	yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
server: {max_body_bytes: 1000, max_header_bytes: 4096}
upstreams:
  monolith: {targets: [%q], passive: {failures: 1, eject: 1h}}
default: monolith
`, mono.URL())
	r := start(t, yaml, startOpts{})
	resp, err := http.Post(r.url+"/x", "text/plain", strings.NewReader(strings.Repeat("a", 2000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2000-byte body with a 1000 limit: %d, want 413", resp.StatusCode)
	}
	// Without a Content-Length the limit is enforced while streaming.
	resp, err = http.Post(r.url+"/x", "text/plain", io.MultiReader(strings.NewReader(strings.Repeat("a", 2000))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 2000-byte body: %d, want 413", resp.StatusCode)
	}
	resp, _ = get(t, &http.Client{}, r.url+"/x", map[string]string{"X-Big": strings.Repeat("b", 10000)})
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("10 kB header with a 4 kB limit: %d, want 431", resp.StatusCode)
	}
	// The client's oversized bodies did not count against the target (one failure ejects it).
	resp, err = http.Post(r.url+"/x", "text/plain", strings.NewReader("small"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("small body after the 413s: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestAccessLogSampling(t *testing.T) {
	mono := newBackend(t, "monolith")
	yaml := fmt.Sprintf("listen: \"127.0.0.1:0\"\naccess_log: {sample: 0.5}\nupstreams: {monolith: {targets: [%q]}}\ndefault: monolith\n", mono.URL())
	r := start(t, yaml, startOpts{})
	for range 200 {
		get(t, &http.Client{}, r.url+"/x", nil)
	}
	n := strings.Count(r.logs.String(), `"msg":"request"`)
	// Binomial(200, 0.5): 6σ either side is 58..142.
	if n < 58 || n > 142 {
		t.Errorf("%d of 200 requests logged with sample 0.5", n)
	}
	var line map[string]any
	for _, l := range strings.Split(r.logs.String(), "\n") {
		if strings.Contains(l, `"msg":"request"`) {
			json.Unmarshal([]byte(l), &line)
			break
		}
	}
	for _, k := range []string{"route", "upstream", "target", "method", "path", "status", "bytes", "duration_ms", "remote"} {
		if _, ok := line[k]; !ok {
			t.Errorf("access log line lacks %q: %v", k, line)
		}
	}
	_ = time.Second
}
