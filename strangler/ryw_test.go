package strangler

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carve-dev/carve/strangler/config"
)

// watermarkServer is a sync job's /watermark endpoint whose value the test sets.
type watermarkServer struct {
	srv *httptest.Server
	ms  atomic.Int64
}

func newWatermarkServer(t *testing.T) *watermarkServer {
	w := &watermarkServer{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(rw, `{"watermark_unix_ms": %d}`, w.ms.Load())
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// A user who wrote on the monolith and whom a weight change sends to the service stays on the
// monolith until the sync toward the service has applied the write; then moves. A user who never
// wrote moves at once; a forged cookie is ignored; past max_wait the user moves and is counted.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestReadYourWritesAcrossAWeightChange(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	wm := newWatermarkServer(t)
	for _, fe := range withH2(t) {
		t.Run(fe.name, func(t *testing.T) {
			r := start(t, fe.tls+testConfig(mono.URL(), orders.URL(), fmt.Sprintf(`  - name: orders
    match: {paths: ["/orders/"]}
    split: {monolith: 100, orders: 0}
    read_your_writes: {secret_env: RYW_KEY, max_wait: 1s, watermarks: {orders: %q}}`, wm.srv.URL)), startOpts{tls: fe.tls != "", env: map[string]string{"TOKEN": "s3cret", "RYW_KEY": "0123456789abcdef-key"}})
			client := func() *http.Client {
				jar, _ := cookiejar.New(nil)
				return &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: fe.h2}}
			}
			do := func(c *http.Client, method string) string {
				t.Helper()
				req, _ := http.NewRequest(method, r.url+"/orders/1", strings.NewReader("x"))
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return string(b)
			}
			writer, reader := client(), client()
			wm.ms.Store(time.Now().Add(-time.Hour).UnixMilli())
			if got := do(writer, "POST"); got != "monolith" {
				t.Fatalf("the write went to %s, want monolith", got)
			}
			do(reader, "GET")
			if _, err := r.p.SetWeights(context.Background(), "orders", map[string]int{"monolith": 0, "orders": 100}, "test"); err != nil {
				t.Fatal(err)
			}
			// The sync has not applied the write: the writer reads from the monolith.
			for range 3 {
				if got := do(writer, "GET"); got != "monolith" {
					t.Fatalf("with the watermark behind its write the writer read from %s, want monolith", got)
				}
			}
			if got := do(reader, "GET"); got != "orders" {
				t.Errorf("a user who never wrote read from %s, want orders", got)
			}
			// A forged cookie (a write far in the past) is not believed: the writer's own
			// signed cookie still holds it.
			forged := client()
			u := mustParse(t, r.url+"/orders/")
			forged.Jar.SetCookies(u, []*http.Cookie{{Name: "carve_ryw", Value: "monolith.1.0000"}})
			if got := do(forged, "GET"); got != "orders" {
				t.Errorf("a forged cookie sent the user to %s, want orders (ignored)", got)
			}
			// The watermark passes the write: the writer moves.
			wm.ms.Store(time.Now().Add(time.Second).UnixMilli())
			time.Sleep(150 * time.Millisecond) // past the watermark cache
			if got := do(writer, "GET"); got != "orders" {
				t.Errorf("with the watermark past its write the writer read from %s, want orders", got)
			}
			// A write on orders, then back to the monolith: no sync feeds the monolith, so nothing
			// holds the user there (the guarantee is for the directions a sync feeds).
			if got := do(writer, "POST"); got != "orders" {
				t.Fatalf("the second write went to %s, want orders", got)
			}
			// max_wait: a write the watermark never reaches holds the user for at most 1s.
			if _, err := r.p.SetWeights(context.Background(), "orders", map[string]int{"monolith": 100, "orders": 0}, "test"); err != nil {
				t.Fatal(err)
			}
			// The watermark stays where it was (a sync that stopped): a write after it is never
			// applied.
			time.Sleep(time.Until(time.UnixMilli(wm.ms.Load())) + 50*time.Millisecond)
			late := client()
			if got := do(late, "POST"); got != "monolith" {
				t.Fatalf("the third write went to %s, want monolith", got)
			}
			if _, err := r.p.SetWeights(context.Background(), "orders", map[string]int{"monolith": 0, "orders": 100}, "test"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(150 * time.Millisecond)
			if got := do(late, "GET"); got != "monolith" {
				t.Fatalf("within max_wait the writer read from %s, want monolith", got)
			}
			// It keeps writing: held writes do not restart the wait.
			for range 4 {
				time.Sleep(200 * time.Millisecond)
				if got := do(late, "POST"); got != "monolith" {
					t.Fatalf("a write within max_wait went to %s, want monolith", got)
				}
			}
			time.Sleep(400 * time.Millisecond)
			if got := do(late, "GET"); got != "orders" {
				t.Errorf("past max_wait from the first hold the writer read from %s, want orders", got)
			}
			metrics := scrape(t, r)
			for _, want := range []string{`carve_proxy_ryw_held_total{route="orders"} 8`, `carve_proxy_ryw_forced_total{route="orders"} 1`} {
				if !strings.Contains(metrics, want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	}
}

func TestReadYourWritesConfig(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{`read_your_writes: {watermarks: {orders: "http://127.0.0.1:1/watermark"}}`, "secret_env: missing"},
		{`read_your_writes: {secret_env: K, watermarks: {payments: "http://127.0.0.1:1/watermark"}}`, `upstream "payments" is not in this route's split`},
		{`read_your_writes: {secret_env: K, watermarks: {orders: "127.0.0.1:1"}}`, "bad URL"},
		{`read_your_writes: {secret_env: K, max_wait: 2h, watermarks: {orders: "http://127.0.0.1:1/w"}}`, "out of range"},
		{`read_your_writes: {secret_env: K}`, "watermarks: missing"},
	} {
		yaml := fmt.Sprintf("listen: \":8080\"\nupstreams:\n  monolith: {targets: [\"http://127.0.0.1:1\"]}\n  orders: {targets: [\"http://127.0.0.1:2\"]}\nroutes:\n  - name: orders\n    match: {paths: [\"/orders/\"]}\n    split: {monolith: 1, orders: 0}\n    %s\ndefault: monolith\n", tc.yaml)
		_, err := config.Parse("proxy.yaml", []byte(yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "proxy.yaml:9") {
			t.Errorf("%s: err %v, want %q at proxy.yaml:9", tc.yaml, err, tc.want)
		}
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
