package job_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/internal/fakestream"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/job"
	"github.com/carve-dev/carve/sync/stream"
)

// shardErrors records the errors a job reports per shard.
type shardErrors struct {
	mu   sync.Mutex
	errs map[string]error
}

func (s *shardErrors) record(shard string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errs == nil {
		s.errs = map[string]error{}
	}
	s.errs[shard] = err
}

func (s *shardErrors) get(shard string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errs[shard]
}

// outage runs a job until it applied the first change of shard s0 and stops it. While it is down
// s0 takes a change that is never applied, closes and expires (expire: AgeOut or Unreadable), and
// its child s1 takes a change b. Then a job runs again, recording its shard errors.
func outage(t *testing.T, dsn string, f *fakestream.Stream, expire func(shard string)) (*job.Job, *shardErrors) {
	t.Helper()
	f.AddShard("s0", "")
	f.Put("s0", "a", "1")
	cfg := pgConfig(t, dsn, "text", "")
	stop := start(t, cfg, job.Options{Streams: f, StreamArn: "arn:fake"})
	Eventually(t, 20*time.Second, wantRows(t, dsn, map[string]string{"a": "1"}))
	stop(context.Canceled)

	f.Put("s0", "a", "2") // never applied: lost with s0
	f.AddShard("s1", "s0")
	f.Put("s1", "b", "1")
	expire("s0")

	errs := &shardErrors{}
	j, err := job.New(context.Background(), cfg, job.Options{Streams: f, StreamArn: "arn:fake", Logger: logger(t), OnShardError: errs.record})
	if err != nil {
		t.Fatal(err)
	}
	runJob(t, j)
	return j, errs
}

// TestOutageParentAgedOutHoldsChildBack: the job applied part of shard s0, then was down while
// s0 took more changes, closed and aged out of the stream (more than 24 hours). Its child s1 must
// not start at its first record as if s0 were done: the shard stops with an error that says to
// backfill, counted in the shard-error metric, and none of s1's changes is applied over the gap.
func TestOutageParentAgedOutHoldsChildBack(t *testing.T) {
	pg := testenv.Postgres(t)
	f := fakestream.New("arn:fake")
	j, errs := outage(t, pg.DSN, f, f.AgeOut)
	Eventually(t, 20*time.Second, func() string {
		if err := errs.get("s1"); !errors.Is(err, stream.ErrTrimmed) || !strings.Contains(err.Error(), "carve sync backfill") {
			return fmt.Sprintf("no error for s1 saying to backfill (got %v)", err)
		}
		return ""
	})
	if n := testutil.ToFloat64(j.Metrics().ShardErrors.WithLabelValues("parent_expired")); n < 1 {
		t.Fatalf("shard-error metric parent_expired = %v, want at least 1", n)
	}
	time.Sleep(500 * time.Millisecond) // a few shard syncs: s1 stays held back
	if got := pgRows(t, pg.DSN); got["b"] != "" {
		t.Fatalf("s1 was applied over the lost changes of s0: rows %v", got)
	}
}

// TestStartLatestEveryOpenShard: with start_from latest, a shard open at start that has a parent
// (the stream rolled over before the job's first start) starts after its newest record too, a
// closed shard is skipped, and a shard opened while the job runs starts at its first record.
func TestStartLatestEveryOpenShard(t *testing.T) {
	pg := testenv.Postgres(t)
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	f.Put("s0", "old0", "x")
	f.Close("s0")
	f.AddShard("s1", "s0")
	f.Put("s1", "old1", "x")
	start(t, pgConfig(t, pg.DSN, "text", "start_from: latest"), job.Options{Streams: f, StreamArn: "arn:fake"})
	Eventually(t, 10*time.Second, func() string {
		for _, c := range f.Calls() {
			if strings.HasPrefix(c, "get s1") {
				return ""
			}
		}
		return "s1 not read yet"
	})
	time.Sleep(200 * time.Millisecond)
	f.Put("s1", "new1", "y")
	f.Close("s1")
	f.AddShard("s2", "s1") // a rollover while running: every change of s2 counts
	f.Put("s2", "new2", "z")
	Eventually(t, 20*time.Second, wantRows(t, pg.DSN, map[string]string{"new1": "y", "new2": "z"}))
	if got := pgRows(t, pg.DSN); got["old0"] != "" || got["old1"] != "" {
		t.Fatalf("changes from before the start were applied: %v", got)
	}
}

// TestPoisonManyAndOversizedDeadLetter: one batch with twenty poison records (values a bigint
// column refuses) among twenty good ones, one poison record so big that its dead-letter entry
// would exceed DynamoDB's 400 KB item limit. The good records are applied, every poison record is
// dead-lettered exactly once (the big one without its images), and the shard moves on.
func TestPoisonManyAndOversizedDeadLetter(t *testing.T) {
	ddb := testenv.DynamoDB(t)
	pg := testenv.Postgres(t)
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	want := map[string]string{}
	poison := 0
	for i := 0; i < 40; i++ {
		k := fmt.Sprintf("k%02d", i)
		if i%2 == 0 {
			f.Put("s0", k, "not-a-number")
			poison++
			continue
		}
		f.Put("s0", k, fmt.Sprint(i))
		want[k] = fmt.Sprint(i)
	}
	blob := strings.Repeat("x", 250<<10)
	img := func(v string) map[string]dtypes.AttributeValue {
		return map[string]dtypes.AttributeValue{"pk": &dtypes.AttributeValueMemberS{Value: "big"},
			"v": &dtypes.AttributeValueMemberS{Value: v}, "blob": &dtypes.AttributeValueMemberS{Value: blob}}
	}
	f.PutImages("s0", dtypes.OperationTypeModify, img("nan"), img("also-nan"))
	poison++
	f.Put("s0", "after", "41")
	want["after"] = "41"
	cfg := parse(t, "", `
source: {table: fake}
checkpoints: {file: "{{dir}}/cp.json"}
dead_letter: {dynamodb: {table: carve-dlq, endpoint: "`+ddb.Endpoint+`"}}
worker: {shard_sync: 100ms, idle_wait: 40ms, lease_duration: 1500ms}
retry: {attempts: 3, initial: 5ms, max: 20ms}
pipelines:
  - name: copy
    map: {key: {pk: id}}
    sink: {postgres: {dsn: "`+pg.DSN+`", table: items, key: [id], columns: {v: bigint}}}
`)
	j, err := job.New(context.Background(), cfg, job.Options{Streams: f, StreamArn: "arn:fake", Logger: logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runJob(t, j)
	Eventually(t, 30*time.Second, wantRows(t, pg.DSN, want))
	Eventually(t, 10*time.Second, func() string {
		if n := len(Scan(t, ddb.Client, "carve-dlq")); n != poison {
			return fmt.Sprintf("%d dead letters, want %d", n, poison)
		}
		return ""
	})
	if n := testutil.ToFloat64(j.Metrics().DeadLettered.WithLabelValues("copy")); n != float64(poison) {
		t.Fatalf("dead-lettered %v times, want %d (each poison record once)", n, poison)
	}
	var omitted int
	for _, e := range Scan(t, ddb.Client, "carve-dlq") {
		if strings.Contains(item.Str(e, "record"), `"images_omitted":true`) {
			omitted++
		}
	}
	if omitted != 1 {
		t.Fatalf("%d dead letters without images, want 1 (the oversized one)", omitted)
	}
}

// TestPoisonStalledShardLagGrows: a sink that fails on every write (its table was deleted: an
// outage, retried until it clears) stalls the shard. The lag metric must keep growing while the
// batch waits, so that the lag alert fires, instead of showing the last applied record's lag.
func TestPoisonStalledShardLagGrows(t *testing.T) {
	ddb := Tables(t, Target("dst", "pk"))
	c := ddb.Client
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	cfg := parse(t, ddb.Endpoint, `
source: {table: fake}
checkpoints: {file: "{{dir}}/cp.json"}
dead_letter: {file: "{{dir}}/dlq.jsonl"}
worker: {shard_sync: 100ms, idle_wait: 40ms, lease_duration: 900ms}
retry: {attempts: 3, initial: 5ms, max: 50ms}
pipelines:
  - name: copy
    sink: {dynamodb: {table: dst, endpoint: "{{endpoint}}"}}
`)
	j, err := job.New(context.Background(), cfg, job.Options{Streams: f, StreamArn: "arn:fake", Logger: logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runJob(t, j)
	f.Put("s0", "a", "1")
	Eventually(t, 10*time.Second, func() string {
		if Get(t, c, "dst", item.Item{"pk": S("a")}) == nil {
			return "a not applied"
		}
		return ""
	})
	lag := func() float64 { return testutil.ToFloat64(j.Metrics().Lag.WithLabelValues("s0")) }
	applied := lag()
	if _, err := c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String("dst")}); err != nil {
		t.Fatal(err)
	}
	f.Put("s0", "b", "2")
	Eventually(t, 15*time.Second, func() string {
		if l := lag(); l < applied+2 {
			return fmt.Sprintf("lag %.2fs while the shard is stuck, want it growing past %.2fs", l, applied+2)
		}
		return ""
	})
}

// TestFinishedShardCleanedUp: once a shard is read to its end its per-shard metric series go,
// and once it has also left the stream its lease row goes: neither grows for ever with the
// stream's rollovers.
func TestFinishedShardCleanedUp(t *testing.T) {
	pg := testenv.Postgres(t)
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	f.Put("s0", "a", "1")
	f.Close("s0")
	f.AddShard("s1", "s0")
	f.Put("s1", "b", "1")
	cfg := pgConfig(t, pg.DSN, "text", "")
	j, err := job.New(context.Background(), cfg, job.Options{Streams: f, StreamArn: "arn:fake", Logger: logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runJob(t, j)
	Eventually(t, 20*time.Second, wantRows(t, pg.DSN, map[string]string{"a": "1", "b": "1"}))
	series := func(shard string) bool {
		mfs, err := j.Metrics().Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "shard" && l.GetValue() == shard {
						return true
					}
				}
			}
		}
		return false
	}
	Eventually(t, 10*time.Second, func() string {
		if series("s0") {
			return "the finished shard s0 still has metric series"
		}
		if !series("s1") {
			return "the open shard s1 has no metric series"
		}
		return ""
	})
	f.AgeOut("s0")
	cp := filepath.Join(filepath.Dir(cfg.File), "cp.json")
	Eventually(t, 10*time.Second, func() string {
		b, err := os.ReadFile(cp)
		if err != nil {
			return err.Error()
		}
		if strings.Contains(string(b), `"Shard": "s0"`) {
			return "the lease row of s0 (done and gone from the stream) is still there"
		}
		if !strings.Contains(string(b), `"Shard": "s1"`) {
			return "the lease row of s1 is missing"
		}
		return ""
	})
}

// TestOutageShardGoneNotMarkedDone: a shard the job had begun expires (ResourceNotFound) while
// still listed. It must stop with an error that says to backfill, not be marked done: its child
// would otherwise start over the changes it lost.
func TestOutageShardGoneNotMarkedDone(t *testing.T) {
	pg := testenv.Postgres(t)
	f := fakestream.New("arn:fake")
	j, errs := outage(t, pg.DSN, f, f.Unreadable)
	Eventually(t, 20*time.Second, func() string {
		if err := errs.get("s0"); !errors.Is(err, stream.ErrShardGone) {
			return fmt.Sprintf("no shard-gone error for s0 (got %v)", err)
		}
		return ""
	})
	if n := testutil.ToFloat64(j.Metrics().ShardErrors.WithLabelValues("gone")); n < 1 {
		t.Fatalf("shard-error metric gone = %v, want at least 1", n)
	}
	time.Sleep(500 * time.Millisecond) // a few shard syncs: s1 stays behind its parent
	if got := pgRows(t, pg.DSN); got["b"] != "" {
		t.Fatalf("s1 was applied after its parent expired with unapplied changes: rows %v", got)
	}
}
