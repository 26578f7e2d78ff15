package backfill_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/backfill"
	"github.com/carve-dev/carve/sync/checkpoint"
	"github.com/carve-dev/carve/sync/config"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/job"
	"github.com/carve-dev/carve/sync/stream"
	"github.com/carve-dev/carve/sync/verify"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// TestBackfillRacesWrites: items exist before sync starts; backfill scans them while writers
// update, insert and delete concurrently; then `sync run` takes over from the position backfill
// handed over. Verify must find no drift in either sink.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestBackfillRacesWrites(t *testing.T) {
	ddb := Tables(t, Source("shop"), Target("orders", "pk"))
	pg := testenv.Postgres(t)
	c := ddb.Client
	dir := t.TempDir()
	y := `
source: {table: shop, endpoint: "` + ddb.Endpoint + `"}
checkpoints: {dynamodb: {table: carve-sync}}
dead_letter: {file: "` + dir + `/dlq.jsonl"}
worker: {shard_sync: 100ms, idle_wait: 40ms}
pipelines:
  - name: orders
    where: {key_prefix: {pk: "ORDER#"}}
    sink: {dynamodb: {table: orders}}
  - name: orders-pg
    where: {key_prefix: {pk: "ORDER#"}}
    map: {key: {pk: id}, rename: {n: amount}}
    sink: {postgres: {dsn: "` + pg.DSN + `", table: orders, key: [id], columns: {amount: bigint, note: text}}}
`
	cfg, err := config.Parse(filepath.Join(dir, "sync.yaml"), []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	// History: some of it still in the stream, all of it in the table.
	for i := 0; i < 300; i++ {
		Put(t, c, "shop", item.Item{"pk": S(fmt.Sprintf("ORDER#%03d", i)), "n": N(i), "note": S("v0")})
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	stopWriting := make(chan struct{})
	res, err := backfill.Run(ctx, cfg, backfill.Options{Segments: 3, AfterPosition: func() {
		// Writers race the scan: updates, deletes and inserts after the stream position.
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(1, 2))
			for n := 0; ; n++ {
				select {
				case <-stopWriting:
					return
				default:
				}
				k := fmt.Sprintf("ORDER#%03d", r.IntN(400))
				if r.IntN(5) == 0 {
					Delete(t, c, "shop", item.Item{"pk": S(k)})
				} else {
					Put(t, c, "shop", item.Item{"pk": S(k), "n": N(n), "note": S("race")})
				}
			}
		}()
		time.Sleep(200 * time.Millisecond)
	}})
	time.Sleep(300 * time.Millisecond)
	close(stopWriting)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.Scanned < 300 || res.Written["orders"] == 0 {
		t.Fatalf("backfill: %+v", res)
	}
	// The hand-over: the shard's checkpoint sits at the stream position, so `run` does not
	// replay the 300 historical records.
	store, err := checkpoint.OpenDynamoDB(ctx, c, "carve-sync")
	if err != nil {
		t.Fatal(err)
	}
	arn, _ := stream.Resolve(ctx, c, "shop")
	leases, err := store.Leases(ctx, arn)
	if err != nil || len(leases) != 1 || leases[0].Checkpoint == "" {
		t.Fatalf("want the checkpoint moved to the stream position, got %+v %v", leases, err)
	}
	if v, _ := item.PadSeq(leases[0].Checkpoint); v != res.Version {
		t.Fatalf("checkpoint %s, backfill version %s", leases[0].Checkpoint, res.Version)
	}
	// The applied high-water mark was raised to the version, so a batch-mode worker reads the
	// sink before writing any record at or below it.
	if leases[0].Hwm < res.Version {
		t.Fatalf("applied high-water mark %q below the backfill version %s", leases[0].Hwm, res.Version)
	}
	// Before the stream catches up, the sinks lack the racing changes.
	rep, err := verify.Run(ctx, cfg, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("drift before the stream caught up: %v", rep.Drift())

	j, err := job.New(ctx, cfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	jctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { j.Run(jctx); close(done) }()
	defer func() { cancel(); <-done; j.Close() }()
	Eventually(t, 30*time.Second, func() string {
		rep, err := verify.Run(ctx, cfg, verify.Options{})
		if err != nil {
			return err.Error()
		}
		if rep.Drift() {
			var b strings.Builder
			rep.WriteText(&b)
			return b.String()
		}
		return ""
	})
}

// TestBackfillRepairTombstonesKeysGoneFromSource: deletes that never reached the sinks (trimmed
// from the stream while sync was down) leave extra items in them. A backfill with Repair
// tombstones them in both sinks (a DynamoDB sink in batch mode and PostgreSQL), so verify
// finds no drift; the items still in the source stay. A shard the job had begun that left the
// stream unfinished (which holds its later shards back) is marked done: the scan covered it.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestBackfillRepairTombstonesKeysGoneFromSource(t *testing.T) {
	ddb := Tables(t, Source("shop"), Target("orders", "pk"))
	pg := testenv.Postgres(t)
	c := ddb.Client
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "sync.yaml"), []byte(`
source: {table: shop, endpoint: "`+ddb.Endpoint+`"}
checkpoints: {file: "`+dir+`/cp.json"}
dead_letter: {file: "`+dir+`/dlq.jsonl"}
pipelines:
  - name: orders
    where: {key_prefix: {pk: "ORDER#"}}
    sink: {dynamodb: {table: orders, write_mode: batch}}
  - name: orders-pg
    where: {key_prefix: {pk: "ORDER#"}}
    map: {key: {pk: id}}
    sink: {postgres: {dsn: "`+pg.DSN+`", table: orders, key: [id], columns: {n: bigint}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		Put(t, c, "shop", item.Item{"pk": S(fmt.Sprintf("ORDER#%d", i)), "n": N(i)})
	}
	Put(t, c, "shop", item.Item{"pk": S("USER#1"), "n": N(1)}) // not the pipelines'
	if _, err := backfill.Run(ctx, cfg, backfill.Options{Repair: true}); err != nil {
		t.Fatal(err)
	}
	// Deletes lost to this consumer: gone from the source, still in the sinks.
	for _, i := range []int{3, 7} {
		Delete(t, c, "shop", item.Item{"pk": S(fmt.Sprintf("ORDER#%d", i))})
	}
	arn, err := stream.Resolve(ctx, c, "shop")
	if err != nil {
		t.Fatal(err)
	}
	store, err := checkpoint.OpenFile(filepath.Join(dir, "cp.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Advance(ctx, arn, "shardId-gone", "000000000000000000123"); err != nil { // unfinished, aged out
		t.Fatal(err)
	}
	store.Close()
	rep, err := verify.Run(ctx, cfg, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pipelines[0].ExtraN != 2 || rep.Pipelines[1].ExtraN != 2 {
		t.Fatalf("before the repair verify should see 2 extra items per sink: %+v", rep.Pipelines)
	}

	res, err := backfill.Run(ctx, cfg, backfill.Options{Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Repaired["orders"] != 2 || res.Repaired["orders-pg"] != 2 {
		t.Fatalf("repaired %v, want 2 per pipeline", res.Repaired)
	}
	if rep, err = verify.Run(ctx, cfg, verify.Options{}); err != nil || rep.Drift() {
		var b strings.Builder
		if rep != nil {
			rep.WriteText(&b)
		}
		t.Fatalf("drift after the repair (%v):\n%s", err, b.String())
	}
	if it := Get(t, c, "orders", item.Item{"pk": S("ORDER#3")}); !item.IsTombstone(it) {
		t.Fatalf("ORDER#3 in the sink: %v, want a tombstone", item.PlainMap(it))
	}
	store, err = checkpoint.OpenFile(filepath.Join(dir, "cp.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	leases, _ := store.Leases(ctx, arn)
	for _, l := range leases {
		if l.Shard == "shardId-gone" && l.Checkpoint != checkpoint.ShardEnd {
			t.Fatalf("the unfinished shard gone from the stream is at %q, want it marked done", l.Checkpoint)
		}
	}
}
