package strangler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/carve-dev/carve/internal/testenv"
)

// Targets from a real etcd (Debian's etcd-server): instances added and removed under the
// prefix are served and dropped live, health checks apply to them as to static targets, a key
// that is not a target URL is skipped, and the pool keeps its targets while etcd is down and
// follows it again after a restart.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestEtcdDiscovery(t *testing.T) {
	etcd := testenv.Etcd(t)
	ctx := context.Background()
	kv, err := clientv3.New(clientv3.Config{Endpoints: []string{etcd.Endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	putKey := func(k, v string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := kv.Put(ctx, k, v); err != nil {
			t.Fatalf("put %s: %v", k, err)
		}
	}
	mono, one, two := newBackend(t, "monolith"), newBackend(t, "one"), newBackend(t, "two")
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.WriteHeader(http.StatusInternalServerError)
		}
		fmt.Fprint(w, "sick")
	}))
	defer sick.Close()
	putKey("/services/orders/a", one.URL())

	r := start(t, fmt.Sprintf(`listen: "127.0.0.1:0"
access_log: {sample: 0}
upstreams:
  monolith: {targets: [%q]}
  orders: {etcd: {endpoints: [%q], prefix: /services/orders/}, health: {path: /healthz, interval: 50ms, unhealthy: 1}}
routes:
  - {name: orders, match: {paths: ["/orders/"]}, split: {orders: 1}}
default: monolith
`, mono.URL(), etcd.Endpoint), startOpts{})
	pool := r.p.Pool("orders")
	targets := func() []string {
		var out []string
		for _, tg := range pool.Targets() {
			out = append(out, tg.Key)
		}
		slices.Sort(out)
		return out
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (targets %v)", what, targets())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	served := func(n int) map[string]int {
		t.Helper()
		seen := map[string]int{}
		for range n {
			_, b := get(t, http.DefaultClient, r.url+"/orders/1", nil)
			seen[b]++
		}
		return seen
	}
	if got := targets(); !slices.Equal(got, []string{one.URL()}) {
		t.Fatalf("targets at start: %v, want [%s]", got, one.URL())
	}

	putKey("/services/orders/b", two.URL())
	putKey("/services/orders/c", sick.URL)
	putKey("/services/orders/junk", "not a url")
	waitUntil("three targets (the junk key skipped)", func() bool { return len(targets()) == 3 })
	waitUntil("the sick instance to fail its health check", func() bool {
		for _, tg := range pool.Targets() {
			if tg.Key == sick.URL {
				return !tg.Healthy()
			}
		}
		return false
	})
	if seen := served(40); seen["one"] == 0 || seen["two"] == 0 || seen["sick"] != 0 {
		t.Errorf("served by %v: want one and two, never the unhealthy instance", seen)
	}

	// A reload keeps the targets (and their health) while the new pool reads etcd.
	if err := r.p.ReloadFile(r.file); err != nil {
		t.Fatal(err)
	}
	pool = r.p.Pool("orders")
	if got := targets(); len(got) != 3 {
		t.Errorf("targets after a reload: %v", got)
	}
	for _, tg := range pool.Targets() {
		if tg.Key == sick.URL && tg.Healthy() {
			t.Error("the sick instance came back healthy after a reload")
		}
	}

	if _, err := kv.Delete(ctx, "/services/orders/a"); err != nil {
		t.Fatal(err)
	}
	waitUntil("instance a to be dropped", func() bool { return !slices.Contains(targets(), one.URL()) })
	if seen := served(20); seen["two"] != 20 {
		t.Errorf("after a was deregistered, served by %v; want only two", seen)
	}

	etcd.Kill()
	if seen := served(10); seen["two"] != 10 {
		t.Errorf("with etcd down, served by %v; want the last known targets", seen)
	}
	if err := etcd.Start(); err != nil {
		t.Fatal(err)
	}
	putKey("/services/orders/a", one.URL())
	waitUntil("instance a to come back after etcd restarted", func() bool { return slices.Contains(targets(), one.URL()) })
}
