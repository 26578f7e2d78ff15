package backfill_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/backfill"
	"github.com/carve-dev/carve/sync/config"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/sink"
)

// TestBackfillPublishesSnapshots: a backfill into an SNS pipeline publishes one SNAPSHOT event
// per selected item, carrying the stream position as its sequence number; --repair skips the
// pipeline (a topic cannot be read back) instead of failing.
func TestBackfillPublishesSnapshots(t *testing.T) {
	ddb := testenv.DynamoDB(t)
	g := testenv.GoAWS(t, []testenv.Topic{{Name: "snapshots", Queues: []string{"q"}}})
	CreateTable(t, ddb.Client, "shop", "pk", true)
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "sync.yaml"), []byte(`
source: {table: shop, endpoint: "`+ddb.Endpoint+`"}
checkpoints: {file: "`+dir+`/cp.json"}
pipelines:
  - name: orders
    where: {key_prefix: {pk: "ORDER#"}}
    map: {rename: {n: amount}}
    sink: {sns: {topic_arn: "`+g.TopicArn("snapshots")+`", endpoint: "`+g.Endpoint+`"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 25; i++ {
		Put(t, ddb.Client, "shop", item.Item{"pk": S(fmt.Sprintf("ORDER#%02d", i)), "n": N(i)})
	}
	Put(t, ddb.Client, "shop", item.Item{"pk": S("USER#1")})
	res, err := backfill.Run(context.Background(), cfg, backfill.Options{Segments: 2, Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Written["orders"] != 25 {
		t.Errorf("written %v, want 25", res.Written)
	}
	ms, err := g.Drain(context.Background(), "q")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range ms {
		var e sink.Event
		if err := json.Unmarshal([]byte(m.Body), &e); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprint(e.Keys["pk"])
		if e.Event != sink.Snapshot || e.SequenceNumber != res.Version || e.Old != nil || e.New["amount"] == nil || e.ApproximateCreationTime != nil || e.Record != "scan/pk="+k {
			t.Errorf("snapshot event %+v", e)
		}
		seen[k] = true
	}
	if len(ms) != 25 || len(seen) != 25 {
		t.Errorf("%d events for %d keys, want 25", len(ms), len(seen))
	}
}
