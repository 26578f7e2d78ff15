package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/strangler"
	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/store"
)

// Two replicas share weights through a real etcd (Debian's etcd-server). Their poll is an
// hour, so converging is the watch's doing; a stale write loses; and the fleet keeps working
// across a SIGKILL and restart of etcd.
func TestEtcdReplicasConverge(t *testing.T) {
	etcd := testenv.Etcd(t)
	ctx := context.Background()
	yaml := fleetConfig(t, fmt.Sprintf("{etcd: {endpoints: [%q], key: /carve/weights, poll: 1h}}", etcd.Endpoint))
	cfg, err := config.Parse("fleet.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	newStore := func() *store.Etcd {
		st, err := store.NewEtcd(*cfg.Store.Etcd)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a := startReplica(t, yaml, newStore())
	b := startReplica(t, yaml, newStore())

	if code, body := put(t, a, `{"weights": {"orders": 100, "monolith": 0}}`); code != 200 {
		t.Fatalf("PUT on replica a: %d %s", code, body)
	}
	written := time.Now()
	waitFor(t, "replica b to take the weights replica a wrote", func() bool {
		return b.p.Routes()[0].Weights["orders"] == 100 && b.p.Routes()[0].Version == 1
	})
	t.Logf("replica b applied the write %v after replica a answered it (poll 1h: the watch)", time.Since(written))
	if got := served(t, b); got != "orders" {
		t.Errorf("replica b served %q after converging on orders=100", got)
	}

	// A write from a stale version loses; the stored record is intact.
	st := newStore()
	if _, err := st.Put(ctx, "orders", map[string]int{"orders": 1, "monolith": 1}, 0); !errors.Is(err, strangler.ErrVersionConflict) {
		t.Fatalf("stale write: %v, want a version conflict", err)
	}
	if stored, err := st.Load(ctx); err != nil || stored["orders"].Version != 1 || stored["orders"].Weights["orders"] != 100 {
		t.Fatalf("stored: %+v, %v", stored, err)
	}

	// etcd dies: writes fail with an error saying where; the replicas keep their weights.
	etcd.Kill()
	short, cancel := context.WithTimeout(ctx, time.Second)
	_, err = st.Put(short, "orders", map[string]int{"orders": 5, "monolith": 5}, 1)
	cancel()
	if err == nil || errors.Is(err, strangler.ErrVersionConflict) {
		t.Fatalf("write with etcd down: %v, want an unreachable error", err)
	}
	if w := a.p.Routes()[0].Weights["orders"]; w != 100 {
		t.Errorf("replica a dropped its weights while etcd is down: orders=%d", w)
	}

	// etcd is back (same data): the next change reaches both replicas through the watch.
	if err := etcd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a write after etcd restarted", func() bool {
		code, _ := put(t, b, `{"weights": {"orders": 10, "monolith": 90}}`)
		return code == 200
	})
	waitFor(t, "replica a to converge after the restart", func() bool {
		r := a.p.Routes()[0]
		return r.Weights["orders"] == 10 && r.Version == 2
	})
}
