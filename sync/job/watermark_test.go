package job_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/config"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/job"
)

// The applied watermark is a promise the proxy's read-your-writes acts on: once it has passed
// the moment a write returned, the sink holds the write. Rounds of writes, each followed by a
// read of the sink as soon as /watermark passes the round's last write, never find an old value.
func TestWatermarkPromisesWhatIsApplied(t *testing.T) {
	ddb := Tables(t, Source("shop"), Target("orders", "order_id"))
	c := ddb.Client
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := parse(t, ddb.Endpoint, `
source: {table: shop, endpoint: "{{endpoint}}"}
worker: {shard_sync: 200ms, idle_wait: 100ms}
dead_letter: {file: "{{dir}}/dlq.jsonl"}
metrics: {listen: "127.0.0.1:`+fmt.Sprint(port)+`"}
pipelines:
  - name: orders
    map: {key: {pk: order_id}}
    sink: {dynamodb: {table: orders}}
`)
	start(t, cfg, job.Options{})
	watermark := func() time.Time { return readWatermark(port).at }
	checked := 0
	for round := range 5 {
		for i := range 10 {
			Put(t, c, "shop", item.Item{"pk": S(fmt.Sprintf("ORDER#%d", i)), "round": N(round)})
		}
		wrote := time.Now()
		deadline := time.Now().Add(15 * time.Second)
		for watermark().Before(wrote) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the watermark %v never passed the writes at %v", round, watermark(), wrote)
			}
			time.Sleep(20 * time.Millisecond)
		}
		for i := range 10 {
			o := Get(t, c, "orders", item.Item{"order_id": S(fmt.Sprintf("ORDER#%d", i))})
			if got := item.ScalarString(o["round"]); got != fmt.Sprint(round) {
				t.Errorf("round %d: the watermark passed the write, yet ORDER#%d reads round %q from the sink (stale)", round, i, got)
			}
			checked++
		}
	}
	// An idle stream keeps the watermark moving: it follows the clock, a stream delay behind
	// (plus the store's write interval), so it passes a moment taken after the last write.
	// No bound on how fast: a loaded machine only makes it later.
	idle := time.Now()
	for deadline := idle.Add(15 * time.Second); watermark().Before(idle); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("idle: the watermark stays at %v, before %v: it does not follow the clock", watermark(), idle)
		}
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), "carve_sync_applied_watermark_seconds 1.") {
		t.Errorf("metrics lack carve_sync_applied_watermark_seconds with a Unix time")
	}
	t.Logf("%d reads after the watermark passed their write: none stale", checked)
}

// watermarkAnswer is what GET /watermark said (zero at when it failed or said 0).
type watermarkAnswer struct {
	at     time.Time
	shards int
}

// readWatermark reads a worker's /watermark as strangler/ryw does.
func readWatermark(port int) watermarkAnswer {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/watermark", port))
	if err != nil {
		return watermarkAnswer{}
	}
	defer resp.Body.Close()
	var body struct {
		UnixMs int64 `json:"watermark_unix_ms"`
		Shards int   `json:"shards"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil || body.UnixMs == 0 {
		return watermarkAnswer{shards: body.Shards}
	}
	return watermarkAnswer{at: time.UnixMilli(body.UnixMs), shards: body.Shards}
}

// TestWatermarkAcrossWorkers: two workers share two shards through a DynamoDB checkpoint table;
// w1's sink is slow, so its shard lags while w2's is idle and caught up. Neither worker's
// /watermark may pass a write of w1's shard before the sink holds it: the watermark is the whole
// job's, read from the store, not each worker's own shards'. (With per-worker watermarks w2's
// would follow its idle shard and pass the write while w1's sink still holds it back.)
func TestWatermarkAcrossWorkers(t *testing.T) {
	ddb := Tables(t, Target("items", "pk"))
	c := ddb.Client
	var slow slowSink
	slowEndpoint := slow.serve(t, ddb.Endpoint)
	f := fakeStream("s0", "s1")
	conf := func(id, sinkEndpoint string, port int) *config.Config {
		return sharedWorker(t, ddb.Endpoint, sinkEndpoint, id, "lease_duration: 6s, stream_delay: 100ms", fmt.Sprintf(`metrics: {listen: "127.0.0.1:%d"}`, port))
	}
	var ports [2]int
	for i := range ports {
		p, err := testenv.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = p
	}
	opts := job.Options{Streams: f, StreamArn: "arn:fake"}
	start(t, conf("w1", slowEndpoint, ports[0]), opts)
	rows := leaseRows(t, c)
	Eventually(t, 10*time.Second, func() string {
		if r := rows(); r["s0"].Owner != "w1" || r["s1"].Owner != "w1" {
			return "w1 does not hold both shards yet"
		}
		return ""
	})
	start(t, conf("w2", ddb.Endpoint, ports[1]), opts)
	Eventually(t, 20*time.Second, func() string {
		if r := rows(); r["s0"].Owner != "w1" || r["s1"].Owner != "w2" {
			return fmt.Sprintf("owners s0=%q s1=%q, want w1 and w2", r["s0"].Owner, r["s1"].Owner)
		}
		return ""
	})
	// Both answer for both shards once their shards are read.
	Eventually(t, 10*time.Second, func() string {
		for i, p := range ports {
			if a := readWatermark(p); a.at.IsZero() || a.shards != 2 {
				return fmt.Sprintf("w%d: watermark %v over %d shards, want a time over 2", i+1, a.at, a.shards)
			}
		}
		return ""
	})

	slow.set(2 * time.Second) // w1's sink lags; w2's shard stays idle and caught up
	wrote := time.Now()
	f.Put("s0", "k0", "v1")
	f.Put("s1", "k1", "v1")
	inSink := func() bool { return item.Str(Get(t, c, "items", item.Item{"pk": S("k0")}), "v") == "v1" }
	passed := [2]bool{}
	w2Ahead := false // w2's own shard passed the write while w1's had not applied it
	deadline := time.Now().Add(20 * time.Second)
	for !passed[0] || !passed[1] {
		if time.Now().After(deadline) {
			t.Fatalf("the watermarks never passed the write at %v (w1 %v, w2 %v)", wrote, passed[0], passed[1])
		}
		for i, p := range ports {
			if a := readWatermark(p); !a.at.Before(wrote) {
				if !inSink() {
					t.Fatalf("w%d's watermark %v passed the write at %v, yet the sink does not hold it (w1's shard lags)", i+1, a.at, wrote)
				}
				passed[i] = true
			}
		}
		if !inSink() && !rows()["s1"].Mark.Time().Before(wrote) {
			w2Ahead = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !w2Ahead {
		t.Errorf("w2's own shard never passed the write while w1's lagged: the test did not make the case it is about")
	}
}
