package store_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/strangler"
	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/store"
)

// A lease is held by one holder at a time, renewed by it, and taken over once it expires; on
// DynamoDB Local and on a real etcd. Lease records never show up as weights.
func TestLease(t *testing.T) {
	ctx := context.Background()
	ddb := testenv.DynamoDB(t)
	if err := store.CreateTable(ctx, ddb.Client, "carve-leases"); err != nil {
		t.Fatal(err)
	}
	etcd := testenv.Etcd(t)
	es, err := store.NewEtcd(config.EtcdStore{Endpoints: []string{etcd.Endpoint}, Key: "/carve/lease-test", DialTimeout: config.Duration{Duration: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { es.Close() })
	for name, st := range map[string]strangler.WeightStore{"dynamodb": store.New(ddb.Client, "carve-leases"), "etcd": es} {
		t.Run(name, func(t *testing.T) {
			take := func(holder string, ttl time.Duration) bool {
				ok, err := st.Lease(ctx, "rollout/orders", holder, ttl)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			// A long first lease: on a loaded machine the next call can come late.
			if !take("a", time.Minute) {
				t.Fatal("a could not take a free lease")
			}
			if take("b", time.Minute) {
				t.Fatal("b took a lease a holds")
			}
			if !take("a", 300*time.Millisecond) {
				t.Fatal("a could not renew its lease")
			}
			time.Sleep(400 * time.Millisecond)
			if !take("b", time.Minute) {
				t.Fatal("b could not take an expired lease")
			}
			if take("a", time.Minute) {
				t.Fatal("a took back a lease b holds")
			}
			if _, err := st.Put(ctx, "orders", map[string]int{"orders": 1}, 0); err != nil {
				t.Fatal(err)
			}
			all, err := st.Load(ctx)
			if err != nil || len(all) != 1 {
				t.Errorf("Load = %v, %v; want only the orders weights", all, err)
			}
		})
	}
}

// fakeClock is a rollout clock the test moves.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []chan time.Time
	ats    []time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers, c.ats = append(c.timers, ch), append(c.ats, c.now.Add(d))
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for i, ch := range c.timers {
		if ch != nil && !c.ats[i].After(c.now) {
			ch <- c.now
			c.timers[i] = nil
		}
	}
}

// In fleet mode one replica steps the rollout (it holds the lease); the other follows the
// weights through the store and reports itself as not leading.
func TestFleetRolloutOneReplicaSteps(t *testing.T) {
	ddb := testenv.DynamoDB(t)
	ctx := context.Background()
	if err := store.CreateTable(ctx, ddb.Client, "carve-rollout"); err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(fleetConfig(t, fmt.Sprintf("{dynamodb: {table: carve-rollout, endpoint: %q, poll: 50ms}}", ddb.Endpoint)),
		"split: {orders: 0, monolith: 100}}", "split: {orders: 0, monolith: 100}, rollout: {steps: [50, 100], hold: 1m, gates: {min_requests: 5, max_p99_ratio: 40}}}", 1)
	clocks := []*fakeClock{{now: time.Now()}, {now: time.Now()}}
	reps := []*replica{
		startReplicaWith(t, yaml, strangler.Options{Store: store.New(ddb.Client, "carve-rollout"), Clock: clocks[0], Replica: "a"}),
		startReplicaWith(t, yaml, strangler.Options{Store: store.New(ddb.Client, "carve-rollout"), Clock: clocks[1], Replica: "b"}),
	}
	leader := -1
	waitFor(t, "a leader at 50%", func() bool {
		for i, r := range reps {
			if st, _ := r.p.Rollout("orders"); st.Leader && st.Percent == 50 {
				leader = i
				return true
			}
		}
		return false
	})
	other := reps[1-leader]
	waitFor(t, "the other replica to follow to 50%", func() bool { st, _ := other.p.Rollout("orders"); return st.Percent == 50 })
	if st, _ := other.p.Rollout("orders"); st.Leader {
		t.Fatalf("both replicas lead: %+v", st)
	}
	for range 40 {
		resp, err := http.Get(reps[leader].url + "/orders/1")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for range 100 { // advance until the leader's hold has ended (its wait may start after a move)
		clocks[leader].Advance(time.Minute)
		if st, _ := reps[leader].p.Rollout("orders"); st.Percent == 100 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, r := range reps {
		waitFor(t, fmt.Sprintf("replica %d at 100%%", i), func() bool { return r.p.Routes()[0].Weights["orders"] == 100 })
	}
}
