package job_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/prometheus/client_golang/prometheus/testutil"

	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/job"
)

const twoWay = `
source: {table: {{from}}, endpoint: "{{endpoint}}"}
checkpoints: {file: "{{dir}}/cp.json"}
dead_letter: {file: "{{dir}}/dlq.jsonl"}
worker: {shard_sync: 100ms, idle_wait: 40ms}
pipelines:
  - name: {{from}}-to-{{to}}
    both_ways: {version_attribute: ver, tie_winner: shop}
    sink: {dynamodb: {table: {{to}}}}
`

func twoWayConfig(t *testing.T, endpoint, from, to string) string {
	s := twoWay
	for k, v := range map[string]string{"{{from}}": from, "{{to}}": to} {
		for i := 0; i < 3; i++ {
			s = replace(s, k, v)
		}
	}
	return s
}

func replace(s, old, new string) string {
	for {
		i := indexOf(s, old)
		if i < 0 {
			return s
		}
		s = s[:i] + new + s[i+len(old):]
	}
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestBothDirectionsNoEcho runs monolith→service and service→monolith at once: changes cross
// once and are never echoed back (also when the application updates an item sync wrote and
// leaves sync's attributes in place), and concurrent writes on both sides end the same on both.
func TestBothDirectionsNoEcho(t *testing.T) {
	ddb := Tables(t, Source("shop"), Source("orders"))
	c := ddb.Client
	toSvc := parse(t, ddb.Endpoint, twoWayConfig(t, ddb.Endpoint, "shop", "orders"))
	toMono := parse(t, ddb.Endpoint, twoWayConfig(t, ddb.Endpoint, "orders", "shop"))
	run := func() (func(error), func(error), *job.Job, *job.Job) {
		j1, err := job.New(context.Background(), toSvc, job.Options{Logger: logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		j2, err := job.New(context.Background(), toMono, job.Options{Logger: logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		return runJob(t, j1), runJob(t, j2), j1, j2
	}
	stopA, stopB, jA, jB := run()
	get := func(table, k string) item.Item { return Get(t, c, table, item.Item{"pk": S(k)}) }
	same := func(k, val string) func() string {
		return func() string {
			m, s := get("shop", k), get("orders", k)
			if item.Str(m, "val") != val || item.Str(s, "val") != val {
				return fmt.Sprintf("%s: shop %v, orders %v, want val=%s on both", k, item.PlainMap(m), item.PlainMap(s), val)
			}
			return ""
		}
	}
	// 1. The monolith writes; the service side gets it once.
	Put(t, c, "shop", item.Item{"pk": S("k1"), "val": S("mono"), "ver": N(1)})
	Eventually(t, 15*time.Second, same("k1", "mono"))
	// 2. The service updates the item sync wrote, leaving _carve_* in place: it is the
	// application's change and crosses back.
	if _, err := c.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String("orders"), Key: item.Item{"pk": S("k1")},
		UpdateExpression:          aws.String("SET val = :v, ver = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": S("svc"), ":n": N(2)},
	}); err != nil {
		t.Fatal(err)
	}
	Eventually(t, 15*time.Second, same("k1", "svc"))
	// 3. Deletes cross as tombstones.
	Put(t, c, "orders", item.Item{"pk": S("k4"), "val": S("svc"), "ver": N(1)})
	Eventually(t, 15*time.Second, same("k4", "svc"))
	Delete(t, c, "orders", item.Item{"pk": S("k4")})
	Eventually(t, 15*time.Second, func() string {
		if !item.IsTombstone(get("shop", "k4")) {
			return fmt.Sprintf("k4 not deleted on shop: %v", item.PlainMap(get("shop", "k4")))
		}
		return ""
	})
	// No echo: once quiet, no pipeline applies anything more.
	applied := func() float64 {
		return testutil.ToFloat64(jA.Metrics().Applied) + testutil.ToFloat64(jB.Metrics().Applied)
	}
	time.Sleep(time.Second)
	before := applied()
	time.Sleep(1500 * time.Millisecond)
	if after := applied(); after != before {
		t.Fatalf("writes keep flowing while nobody writes (%v → %v): an echo loop", before, after)
	}
	if e := testutil.ToFloat64(jA.Metrics().Skipped.WithLabelValues("shop-to-orders", "echo")) + testutil.ToFloat64(jB.Metrics().Skipped.WithLabelValues("orders-to-shop", "echo")); e < 3 {
		t.Fatalf("only %v echoes recognised", e)
	}
	stopA(context.Canceled)
	stopB(context.Canceled)

	// 4. Concurrent writes to the same items on both sides while sync is down.
	Put(t, c, "shop", item.Item{"pk": S("k2"), "val": S("mono"), "ver": N(10)})     // tie: shop wins
	Put(t, c, "orders", item.Item{"pk": S("k2"), "val": S("svc"), "ver": N(10)})    //
	Put(t, c, "shop", item.Item{"pk": S("k3"), "val": S("mono"), "ver": N(11)})     // higher ver wins
	Put(t, c, "orders", item.Item{"pk": S("k3"), "val": S("svc"), "ver": N(12)})    //
	Put(t, c, "shop", item.Item{"pk": S("k1"), "val": S("mono2"), "ver": N(3)})     // newer than the
	Put(t, c, "orders", item.Item{"pk": S("k1"), "val": S("svc-old"), "ver": N(2)}) // service's rewrite
	run()
	Eventually(t, 20*time.Second, same("k2", "mono"))
	Eventually(t, 20*time.Second, same("k3", "svc"))
	Eventually(t, 20*time.Second, same("k1", "mono2"))
}

func runJob(t *testing.T, j *job.Job) func(error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan struct{})
	go func() { j.Run(ctx); close(done) }()
	stopped := false
	stop := func(cause error) {
		if stopped {
			return
		}
		stopped = true
		cancel(cause)
		<-done
		j.Close()
	}
	t.Cleanup(func() { stop(context.Canceled) })
	return stop
}

// TestTwoWayDeleteOnTieLoserSide: with both directions running, the service (the side that
// loses ties) deletes an item the monolith's application wrote: the delete must reach the
// monolith. The monolith deleting an item the service wrote must reach the service too.
func TestTwoWayDeleteOnTieLoserSide(t *testing.T) {
	ddb := Tables(t, Source("shop"), Source("orders"))
	c := ddb.Client
	runPair(t, ddb.Endpoint, func(from, to string) string { return twoWayConfig(t, ddb.Endpoint, from, to) })
	get := func(table, k string) item.Item { return Get(t, c, table, item.Item{"pk": S(k)}) }
	arrived := func(table, k, val string) func() string {
		return func() string {
			if got := get(table, k); item.Str(got, "val") != val {
				return fmt.Sprintf("%s %s = %v, want val=%s", table, k, item.PlainMap(got), val)
			}
			return ""
		}
	}
	deleted := func(table, k string) func() string {
		return func() string {
			if got := get(table, k); got != nil && !item.IsTombstone(got) {
				return fmt.Sprintf("%s %s = %v, want it deleted", table, k, item.PlainMap(got))
			}
			return ""
		}
	}
	Put(t, c, "shop", item.Item{"pk": S("m1"), "val": S("mono"), "ver": N(1)})
	Put(t, c, "orders", item.Item{"pk": S("s1"), "val": S("svc"), "ver": N(1)})
	Eventually(t, 15*time.Second, arrived("orders", "m1", "mono"))
	Eventually(t, 15*time.Second, arrived("shop", "s1", "svc"))
	Delete(t, c, "orders", item.Item{"pk": S("m1")}) // the tie loser deletes the monolith's item
	Delete(t, c, "shop", item.Item{"pk": S("s1")})   // the tie winner deletes the service's item
	Eventually(t, 15*time.Second, deleted("shop", "m1"))
	Eventually(t, 15*time.Second, deleted("orders", "s1"))
}

// TestVersionOrderTimestamps: with version_type timestamp, RFC 3339 values with different
// fractional digits or offsets compare in time order ("…:00.5Z" is after "…:00Z", though it
// sorts before it as a string).
func TestVersionOrderTimestamps(t *testing.T) {
	ddb := Tables(t, Source("shop"), Source("orders"))
	c := ddb.Client
	conf := func(from, to, typ string) string {
		return replace(twoWayConfig(t, ddb.Endpoint, from, to), "tie_winner: shop}", "tie_winner: shop, version_type: "+typ+"}")
	}
	get := func(table, k string) item.Item { return Get(t, c, table, item.Item{"pk": S(k)}) }
	same := func(k, val string) func() string {
		return func() string {
			m, s := get("shop", k), get("orders", k)
			if item.Str(m, "val") != val || item.Str(s, "val") != val {
				return fmt.Sprintf("%s: shop %v, orders %v, want val=%s on both", k, item.PlainMap(m), item.PlainMap(s), val)
			}
			return ""
		}
	}
	// Concurrent writes while sync is down: the service's write is older in time.
	Put(t, c, "shop", item.Item{"pk": S("t1"), "val": S("mono-later"), "ver": S("2026-01-01T00:00:00.5Z")})
	Put(t, c, "orders", item.Item{"pk": S("t1"), "val": S("svc-earlier"), "ver": S("2026-01-01T00:00:00Z")})
	Put(t, c, "orders", item.Item{"pk": S("t2"), "val": S("svc-later"), "ver": S("2026-01-01T01:00:01+01:00")})
	Put(t, c, "shop", item.Item{"pk": S("t2"), "val": S("mono-earlier"), "ver": S("2026-01-01T00:00:00.999Z")})
	runPair(t, ddb.Endpoint, func(from, to string) string { return conf(from, to, "timestamp") })
	Eventually(t, 20*time.Second, same("t1", "mono-later"))
	Eventually(t, 20*time.Second, same("t2", "svc-later"))
}

// TestVersionOrderCounterRestartAfterDelete: the monolith deletes an item at version 3 and
// recreates it with its counter restarted at 1. The service side holds the tombstone sync wrote
// at version 3; the recreation is a later change from the same origin and must cross anyway. A
// string version against the number the other side holds is dead-lettered, not compared.
func TestVersionOrderCounterRestartAfterDelete(t *testing.T) {
	ddb := Tables(t, Source("shop"), Source("orders"))
	c := ddb.Client
	jobs := runPair(t, ddb.Endpoint, func(from, to string) string { return twoWayConfig(t, ddb.Endpoint, from, to) })
	get := func(table, k string) item.Item { return Get(t, c, table, item.Item{"pk": S(k)}) }
	on := func(table, k, val string) func() string {
		return func() string {
			if got := get(table, k); item.Str(got, "val") != val || item.IsTombstone(got) {
				return fmt.Sprintf("%s %s = %v, want val=%s", table, k, item.PlainMap(got), val)
			}
			return ""
		}
	}
	Put(t, c, "shop", item.Item{"pk": S("c1"), "val": S("first"), "ver": N(3)})
	Eventually(t, 15*time.Second, on("orders", "c1", "first"))
	Delete(t, c, "shop", item.Item{"pk": S("c1")})
	Eventually(t, 15*time.Second, func() string {
		if !item.IsTombstone(get("orders", "c1")) {
			return "c1 not deleted on orders"
		}
		return ""
	})
	Put(t, c, "shop", item.Item{"pk": S("c1"), "val": S("recreated"), "ver": N(1)})
	Eventually(t, 15*time.Second, on("orders", "c1", "recreated"))

	Put(t, c, "shop", item.Item{"pk": S("bad"), "val": S("x"), "ver": N(1)})
	Eventually(t, 15*time.Second, on("orders", "bad", "x"))
	Put(t, c, "shop", item.Item{"pk": S("bad"), "val": S("y"), "ver": S("2")}) // a string now: not comparable
	Eventually(t, 15*time.Second, func() string {
		if n := testutil.ToFloat64(jobs[0].Metrics().DeadLettered.WithLabelValues("shop-to-orders")); n != 1 {
			return fmt.Sprintf("%v dead letters, want the string version dead-lettered", n)
		}
		return ""
	})
}

// runPair runs both directions between shop and orders until the test ends: shop → orders first.
func runPair(t *testing.T, endpoint string, conf func(from, to string) string) []*job.Job {
	t.Helper()
	var jobs []*job.Job
	for _, dir := range [][2]string{{"shop", "orders"}, {"orders", "shop"}} {
		j, err := job.New(context.Background(), parse(t, endpoint, conf(dir[0], dir[1])), job.Options{Logger: logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		runJob(t, j)
		jobs = append(jobs, j)
	}
	return jobs
}
