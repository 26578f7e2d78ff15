package job_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/checkpoint"
	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/deadletter"
	"github.com/carve-dev/carve/sync/internal/fakestream"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/job"
)

// pgConfig copies the fake stream's items (pk, v) into a PostgreSQL table.
func pgConfig(t *testing.T, dsn, vType, extra string) *config.Config {
	return parse(t, "", `
source: {table: fake}
checkpoints: {file: "{{dir}}/cp.json"}
dead_letter: {file: "{{dir}}/dlq.jsonl"}
worker: {shard_sync: 100ms, idle_wait: 40ms, lease_duration: 1500ms}
retry: {attempts: 3, initial: 5ms, max: 20ms}
`+extra+`
pipelines:
  - name: copy
    map: {key: {pk: id}}
    sink: {postgres: {dsn: "`+dsn+`", table: items, key: [id], columns: {v: `+vType+`}}}
`)
}

func pgRows(t *testing.T, dsn string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id, coalesce(v::text, ''), _carve_deleted FROM items")
	if err != nil {
		return nil // table not created yet
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, v string
		var del bool
		rows.Scan(&id, &v, &del)
		if del {
			v = "<deleted>"
		}
		out[id] = v
	}
	return out
}

func wantRows(t *testing.T, dsn string, want map[string]string) func() string {
	return func() string {
		got := pgRows(t, dsn)
		for k, v := range want {
			if got[k] != v {
				return fmt.Sprintf("%s = %q, want %q (%d rows)", k, got[k], v, len(got))
			}
		}
		return ""
	}
}

// TestParentsBeforeChildren: a closed parent, its two children (a split) and a grandchild; the
// job must finish each parent before it opens an iterator on a child.
func TestParentsBeforeChildren(t *testing.T) {
	pg := testenv.Postgres(t)
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	f.AddShard("s1a", "s0")
	f.AddShard("s1b", "s0")
	f.AddShard("s2", "s1a")
	want := map[string]string{}
	for i, sh := range []string{"s0", "s1a", "s1b", "s2"} {
		for k := 0; k < 30; k++ {
			key := fmt.Sprint("k", k)
			if k%4 == i || sh == "s0" {
				f.Put(sh, key, fmt.Sprint(sh, "-", k))
				want[key] = fmt.Sprint(sh, "-", k)
			}
		}
	}
	f.Close("s0")
	f.Close("s1a")
	f.Close("s1b")
	f.PageShards = 1
	start(t, pgConfig(t, pg.DSN, "text", ""), job.Options{Streams: f, StreamArn: "arn:fake"})
	Eventually(t, 20*time.Second, wantRows(t, pg.DSN, want))
	first := map[string]int{}
	lastGet := map[string]int{}
	for i, c := range f.Calls() {
		fs := strings.Fields(c)
		if fs[0] == "iter" {
			if _, ok := first[fs[1]]; !ok {
				first[fs[1]] = i
			}
		} else {
			lastGet[fs[1]] = i
		}
	}
	for child, parent := range map[string]string{"s1a": "s0", "s1b": "s0", "s2": "s1a"} {
		if first[child] < lastGet[parent] {
			t.Errorf("%s was opened (call %d) before its parent %s was finished (call %d)", child, first[child], parent, lastGet[parent])
		}
	}
}

// TestPoisonRecordDeadLettered: a value the sink rejects is retried, then dead-lettered with the
// record and the error; the records around it are applied and the job goes on.
func TestPoisonRecordDeadLettered(t *testing.T) {
	pg := testenv.Postgres(t)
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	f.Put("s0", "a", "1")
	poison := f.Put("s0", "b", "not-a-number")
	f.Put("s0", "c", "3")
	cfg := pgConfig(t, pg.DSN, "bigint", "")
	var m *job.Job
	opts := job.Options{Streams: f, StreamArn: "arn:fake"}
	j, err := job.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	m = j
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done; m.Close() }()
	Eventually(t, 20*time.Second, wantRows(t, pg.DSN, map[string]string{"a": "1", "c": "3"}))
	f.Put("s0", "d", "4")
	Eventually(t, 20*time.Second, wantRows(t, pg.DSN, map[string]string{"d": "4"}))
	if n := testutil.ToFloat64(m.Metrics().DeadLettered.WithLabelValues("copy")); n != 1 {
		t.Fatalf("dead-lettered metric %v, want 1", n)
	}
	if n := testutil.ToFloat64(m.Metrics().Retries.WithLabelValues("copy")); n < 2 {
		t.Fatalf("retries metric %v, want the poison batch retried", n)
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(cfg.File), "dlq.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var e deadletter.Entry
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("dead letter %q: %v", b, err)
	}
	if e.Seq != poison || e.Pipeline != "copy" || fmt.Sprint(e.New["v"]) != "map[S:not-a-number]" || !strings.Contains(e.Error, "does not fit column type bigint") {
		t.Fatalf("dead letter: %+v", e)
	}
}

// TestWorkersSplitShardsAndTakeOver: two workers share four shards through leases in a DynamoDB
// table; when one dies without handing its leases back, the other takes its shards over once
// the leases expire and nothing is lost.
func TestWorkersSplitShardsAndTakeOver(t *testing.T) {
	ddb := testenv.DynamoDB(t)
	pg := testenv.Postgres(t)
	f := fakestream.New("arn:fake")
	for i := 0; i < 4; i++ {
		f.AddShard(fmt.Sprint("s", i), "")
	}
	leases := `checkpoints: {dynamodb: {table: carve-sync, endpoint: "` + ddb.Endpoint + `"}}`
	cfg1 := pgConfig(t, pg.DSN, "text", "")
	cfg1.Checkpoints = mustCheckpoints(t, leases)
	cfg1.Worker.ID = "w1"
	cfg2 := *cfg1
	cfg2.Worker.ID = "w2"
	opts := job.Options{Streams: f, StreamArn: "arn:fake"}
	stop1 := start(t, cfg1, opts)
	store, err := checkpoint.OpenDynamoDB(context.Background(), ddb.Client, "carve-sync")
	if err != nil {
		t.Fatal(err)
	}
	owners := func() map[string]int {
		ls, err := store.Leases(context.Background(), "arn:fake")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, l := range ls {
			if l.Owner != "" && time.Now().Before(l.Expiry) {
				out[l.Owner]++
			}
		}
		return out
	}
	Eventually(t, 10*time.Second, func() string {
		if o := owners(); o["w1"] != 4 {
			return fmt.Sprintf("w1 alone should hold 4 leases: %v", o)
		}
		return ""
	})
	start(t, &cfg2, opts)
	Eventually(t, 15*time.Second, func() string {
		if o := owners(); o["w1"] != 2 || o["w2"] != 2 {
			return fmt.Sprintf("want 2 leases each: %v", o)
		}
		return ""
	})
	want := map[string]string{}
	for i := 0; i < 40; i++ {
		sh := fmt.Sprint("s", i%4)
		f.Put(sh, fmt.Sprint("k", i), "v1")
		want[fmt.Sprint("k", i)] = "v1"
	}
	Eventually(t, 15*time.Second, wantRows(t, pg.DSN, want))

	stop1(job.ErrAbandon) // w1 dies: its leases stay until they expire
	for i := 0; i < 40; i++ {
		f.Put(fmt.Sprint("s", i%4), fmt.Sprint("k", i), "v2")
		want[fmt.Sprint("k", i)] = "v2"
	}
	Eventually(t, 20*time.Second, func() string {
		if o := owners(); o["w2"] != 4 {
			return fmt.Sprintf("w2 should have taken over all 4 leases: %v", o)
		}
		return ""
	})
	Eventually(t, 15*time.Second, wantRows(t, pg.DSN, want))
}

func mustCheckpoints(t *testing.T, y string) config.Checkpoints {
	c, err := config.Parse("x.yaml", []byte("source: {table: x}\n"+y+"\npipelines: [{name: a, sink: {dynamodb: {table: b}}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	return c.Checkpoints
}

var _ = errors.New
