package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/strangler"
	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/store"
)

type replica struct {
	p     *strangler.Proxy
	url   string
	admin string
}

func startReplica(t *testing.T, yaml string, st strangler.WeightStore) *replica {
	t.Helper()
	return startReplicaWith(t, yaml, strangler.Options{Store: st})
}

func startReplicaWith(t *testing.T, yaml string, opts strangler.Options) *replica {
	t.Helper()
	cfg, err := config.Parse("fleet.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	opts.Getenv = func(string) string { return "tok" }
	p, err := strangler.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	aln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, strangler.RunOptions{Listener: ln, AdminListener: aln}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return &replica{p: p, url: "http://" + ln.Addr().String(), admin: "http://" + aln.Addr().String()}
}

func put(t *testing.T, r *replica, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", r.admin+"/routes/orders/weights", bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// served is what r answers for /orders/1.
func served(t *testing.T, r *replica) string {
	t.Helper()
	resp, err := http.Get(r.url + "/orders/1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return string(got)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// fleetConfig is a replica's config: monolith and orders backends (answering their names), the
// orders route at orders=0 monolith=100, and store.
func fleetConfig(t *testing.T, store string) string {
	mono := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "monolith") }))
	t.Cleanup(mono.Close)
	orders := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "orders") }))
	t.Cleanup(orders.Close)
	return fmt.Sprintf(`listen: "127.0.0.1:0"
admin: {token_env: TOKEN}
access_log: {sample: 0}
upstreams:
  monolith: {targets: [%q]}
  orders: {targets: [%q]}
routes:
  - {name: orders, match: {paths: ["/orders/"]}, split: {orders: 0, monolith: 100}}
default: monolith
store: %s
`, mono.URL, orders.URL, store)
}

// Two replicas share weights through DynamoDB Local: a change made on one is served by the
// other after its next poll; a write based on a stale version is refused.
func TestTwoReplicasConverge(t *testing.T) {
	ddb := testenv.DynamoDB(t)
	ctx := context.Background()
	if err := store.CreateTable(ctx, ddb.Client, "carve-weights"); err != nil {
		t.Fatal(err)
	}
	yaml := fleetConfig(t, fmt.Sprintf("{dynamodb: {table: carve-weights, endpoint: %q, poll: 100ms}}", ddb.Endpoint))
	a := startReplica(t, yaml, store.New(ddb.Client, "carve-weights"))
	b := startReplica(t, yaml, store.New(ddb.Client, "carve-weights"))

	code, body := put(t, a, `{"weights": {"orders": 100, "monolith": 0}}`)
	if code != 200 {
		t.Fatalf("PUT on replica a: %d %s", code, body)
	}
	waitFor(t, "replica b to take the weights replica a wrote", func() bool {
		return b.p.Routes()[0].Weights["orders"] == 100 && b.p.Routes()[0].Version == 1
	})
	if got := served(t, b); got != "orders" {
		t.Errorf("replica b served %q after converging on orders=100", got)
	}

	// b changes them back; a converges too.
	if code, body := put(t, b, `{"weights": {"orders": 10, "monolith": 90}}`); code != 200 {
		t.Fatalf("PUT on replica b: %d %s", code, body)
	}
	waitFor(t, "replica a to converge", func() bool { return a.p.Routes()[0].Weights["orders"] == 10 })

	// A write from a stale version loses.
	st := store.New(ddb.Client, "carve-weights")
	if _, err := st.Put(ctx, "orders", map[string]int{"orders": 1, "monolith": 1}, 1); !errors.Is(err, strangler.ErrVersionConflict) {
		t.Fatalf("stale write: %v, want a version conflict", err)
	}
	stored, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sw := stored["orders"]; sw.Version != 2 || sw.Weights["orders"] != 10 {
		t.Errorf("stored: %+v", sw)
	}
	// Invalid weights never reach the store.
	if code, _ := put(t, a, `{"weights": {"payments": 1}}`); code != http.StatusUnprocessableEntity {
		t.Errorf("invalid weights in fleet mode: %d, want 422", code)
	}
}
