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
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/job"
)

// The applied watermark is a promise the proxy's read-your-writes acts on: once it has passed
// the moment a write returned, the sink holds the write. Rounds of writes, each followed by a
// read of the sink as soon as /watermark passes the round's last write, never find an old value.
func TestWatermarkPromisesWhatIsApplied(t *testing.T) {
	ddb := testenv.DynamoDB(t)
	c := ddb.Client
	CreateTable(t, c, "shop", "pk", true)
	CreateTable(t, c, "orders", "order_id", false)
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
	url := fmt.Sprintf("http://127.0.0.1:%d/watermark", port)
	watermark := func() time.Time {
		resp, err := http.Get(url)
		if err != nil {
			return time.Time{}
		}
		defer resp.Body.Close()
		var body struct {
			UnixMs int64 `json:"watermark_unix_ms"`
		}
		if json.NewDecoder(resp.Body).Decode(&body) != nil || body.UnixMs == 0 {
			return time.Time{}
		}
		return time.UnixMilli(body.UnixMs)
	}
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
	// An idle stream keeps the watermark moving: it follows the clock, a stream delay behind.
	time.Sleep(1500 * time.Millisecond)
	if wm := watermark(); time.Since(wm) > 2*time.Second {
		t.Errorf("idle: the watermark %v is %v behind the clock, want under 2s", wm, time.Since(wm))
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
