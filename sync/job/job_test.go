package job_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/config"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/job"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

// parse builds a config from YAML with {{endpoint}} and {{dir}} filled in.
func parse(t testing.TB, endpoint, yaml string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	yaml = strings.ReplaceAll(yaml, "{{endpoint}}", endpoint)
	yaml = strings.ReplaceAll(yaml, "{{dir}}", dir)
	c, err := config.Parse(filepath.Join(dir, "sync.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// start runs a job until the test ends (or stop is called) and returns stop.
func start(t testing.TB, c *config.Config, opts job.Options) (stop func(cause error)) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = logger(t)
	}
	j, err := job.New(context.Background(), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx) }()
	stopped := false
	stop = func(cause error) {
		if stopped {
			return
		}
		stopped = true
		cancel(cause)
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		j.Close()
	}
	t.Cleanup(func() { stop(context.Canceled) })
	return stop
}

// TestEndToEndDynamoDBAndPostgres runs the job from a source table into a DynamoDB and a
// PostgreSQL sink through puts, overwrites, deletes, a filtered-out item and one the
// PostgreSQL mapping refuses, and checks both sinks and the metrics.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestEndToEndDynamoDBAndPostgres(t *testing.T) {
	ddb := Tables(t, Source("shop"), Target("orders", "order_id"))
	pg := testenv.Postgres(t)
	c := ddb.Client
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := parse(t, ddb.Endpoint, `
source: {table: shop, endpoint: "{{endpoint}}"}
worker: {shard_sync: 200ms, idle_wait: 100ms}
dead_letter: {dynamodb: {table: carve-dlq}}
metrics: {listen: "127.0.0.1:`+fmt.Sprint(port)+`"}
pipelines:
  - name: orders
    where: {key_prefix: {pk: "ORDER#"}}
    map: {rename: {amt: amount}, drop: [gsi1pk], key: {pk: order_id}}
    sink: {dynamodb: {table: orders}}
  - name: users-pg
    where: {attribute_equals: {type: user}}
    map: {key: {pk: user_id}}
    sink: {postgres: {dsn: "`+pg.DSN+`", table: users, key: [user_id], columns: {name: text, age: bigint, tags: jsonb}}}
`)
	start(t, cfg, job.Options{})
	for i := 0; i < 20; i++ {
		Put(t, c, "shop", item.Item{"pk": S(fmt.Sprintf("ORDER#%02d", i)), "amt": N(i), "gsi1pk": S("x")})
		Put(t, c, "shop", item.Item{"pk": S(fmt.Sprintf("USER#%02d", i)), "type": S("user"), "name": S(fmt.Sprint("u", i)), "age": N(20 + i), "tags": &typesL})
	}
	Put(t, c, "shop", item.Item{"pk": S("ORDER#05"), "amt": N(500)})
	Delete(t, c, "shop", item.Item{"pk": S("ORDER#06")})
	Delete(t, c, "shop", item.Item{"pk": S("USER#03")})
	Put(t, c, "shop", item.Item{"pk": S("OTHER#1"), "type": S("thing")})
	Put(t, c, "shop", item.Item{"pk": S("USER#99"), "type": S("user"), "age": S("old")}) // poison for bigint
	Eventually(t, 20*time.Second, func() string {
		o := Get(t, c, "orders", item.Item{"order_id": S("ORDER#05")})
		if o == nil || item.ScalarString(o["amount"]) != "500" {
			return fmt.Sprintf("ORDER#05 not updated: %v", o)
		}
		o = Get(t, c, "orders", item.Item{"order_id": S("ORDER#06")})
		if !item.IsTombstone(o) {
			return fmt.Sprintf("ORDER#06 not a tombstone: %v", o)
		}
		return ""
	})
	o := Get(t, c, "orders", item.Item{"order_id": S("ORDER#01")})
	if _, ok := o["gsi1pk"]; ok || item.ScalarString(o["amount"]) != "1" || len(item.Str(o, item.Seq)) != 40 {
		t.Fatalf("mapping: %v", item.PlainMap(o))
	}
	if n := len(Scan(t, c, "orders")); n != 20 {
		t.Fatalf("orders has %d items, want 20 (filter)", n)
	}
	Eventually(t, 20*time.Second, func() string {
		return pgCheck(t, pg.DSN)
	})
	Eventually(t, 20*time.Second, func() string {
		dl := Scan(t, c, "carve-dlq")
		if len(dl) != 1 || !strings.Contains(item.Str(dl[0], "error"), "age") || !strings.Contains(item.Str(dl[0], "record"), "USER#99") {
			return fmt.Sprintf("dead-letter table: %v", dl)
		}
		return ""
	})
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`carve_sync_records_applied_total{pipeline="orders",shard="shardId-`,
		`carve_sync_records_skipped_total{pipeline="orders",reason="filtered"}`,
		`carve_sync_replication_lag_seconds{shard="shardId-`,
		`carve_sync_batch_duration_seconds_bucket{pipeline="users-pg"`,
		`carve_sync_dead_lettered_total{pipeline="users-pg"} 1`,
		`carve_sync_retries_total{pipeline="users-pg"}`,
		`carve_sync_leases_held 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

var typesL = listOf("a", "b")
