package job_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/prometheus/client_golang/prometheus/testutil"

	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/job"
	"github.com/carve-dev/carve/sync/stream"
)

const copyAll = `
source: {table: src, endpoint: "{{endpoint}}"}
checkpoints: {file: "{{dir}}/cp.json"}
dead_letter: {file: "{{dir}}/dlq.jsonl"}
worker: {shard_sync: 100ms, idle_wait: 50ms, lease_duration: 2s}
pipelines:
  - name: copy
    sink: {dynamodb: {table: dst}}
`

// TestLineageAcrossRollovers writes across three shard rollovers of DynamoDB Local (real parent →
// child lineage) while the job runs, updating the same items in every shard: the sink must end
// with every item at its last value, which needs each parent read before its child.
func TestLineageAcrossRollovers(t *testing.T) {
	ddb := Tables(t, Source("src"), Target("dst", "pk"))
	c := ddb.Client
	ctx := context.Background()
	// Records in the first shard before the job starts, then rollovers while it runs.
	for i := 0; i < 10; i++ {
		Put(t, c, "src", item.Item{"pk": S(fmt.Sprint("k", i)), "gen": N(0)})
	}
	if err := ddb.Rollover(ctx); err != nil {
		t.Fatal(err)
	}
	start(t, parse(t, ddb.Endpoint, copyAll), job.Options{})
	for gen := 1; gen <= 3; gen++ {
		for i := 0; i < 10; i++ {
			Put(t, c, "src", item.Item{"pk": S(fmt.Sprint("k", i)), "gen": N(gen)})
		}
		if gen < 3 {
			if err := ddb.Rollover(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	Delete(t, c, "src", item.Item{"pk": S("k9")})
	arn, _ := stream.Resolve(ctx, c, "src")
	shards, err := stream.ListShards(ctx, ddb.Streams, arn, stream.Backoff{})
	if err != nil || len(shards) != 4 {
		t.Fatalf("want 4 shards in a chain, got %d (%v)", len(shards), err)
	}
	Eventually(t, 30*time.Second, func() string {
		for i := 0; i < 9; i++ {
			it := Get(t, c, "dst", item.Item{"pk": S(fmt.Sprint("k", i))})
			if item.ScalarString(it["gen"]) != "3" {
				return fmt.Sprintf("k%d at %v", i, item.PlainMap(it))
			}
		}
		if !item.IsTombstone(Get(t, c, "dst", item.Item{"pk": S("k9")})) {
			return "k9 not deleted"
		}
		return ""
	})
}

// TestIteratorExpiryAndTrimmedData dilates DynamoDB Local's clock: first by a minute (every
// iterator expires; the job renews after its last record and loses nothing), then by 25 hours
// while the job is stopped (its checkpoint is past retention: the shard stops with an error
// telling the operator to backfill).
func TestIteratorExpiryAndTrimmedData(t *testing.T) {
	ddb := Tables(t, Source("src"), Target("dst", "pk"))
	c := ddb.Client
	ctx := context.Background()
	cfg := parse(t, ddb.Endpoint, copyAll)
	stop := start(t, cfg, job.Options{})
	put := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			Put(t, c, "src", item.Item{"pk": S(fmt.Sprint("k", i))})
		}
	}
	count := func(n int) func() string {
		return func() string {
			if got := len(Scan(t, c, "dst")); got != n {
				return fmt.Sprintf("dst has %d items, want %d", got, n)
			}
			return ""
		}
	}
	put(0, 5)
	Eventually(t, 20*time.Second, count(5))
	if err := ddb.Dilate(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	put(5, 10)
	Eventually(t, 20*time.Second, count(10))
	stop(context.Canceled)

	// While the job is down, more writes, then the records age past the 24-hour retention.
	put(10, 15)
	if err := ddb.Dilate(ctx, 25*time.Hour); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var shardErr error
	start(t, cfg, job.Options{OnShardError: func(_ string, err error) {
		mu.Lock()
		defer mu.Unlock()
		shardErr = err
	}})
	Eventually(t, 20*time.Second, func() string {
		mu.Lock()
		defer mu.Unlock()
		if !errors.Is(shardErr, stream.ErrTrimmed) {
			return fmt.Sprintf("no trimmed-data error yet (%v)", shardErr)
		}
		return ""
	})
	t.Logf("operator sees: %v", shardErr)
}

// TestStreamReenabledMovesToNewStream: the source table's stream is disabled and enabled again
// (a new stream ARN) while the job runs. The job notices, says that changes made while the
// stream was off need a backfill (a shard error), finishes the old stream and applies the new
// stream's changes.
func TestStreamReenabledMovesToNewStream(t *testing.T) {
	ddb := Tables(t, Source("src"), Target("dst", "pk"))
	c := ddb.Client
	ctx := context.Background()
	var errs shardErrors
	j, err := job.New(ctx, parse(t, ddb.Endpoint, copyAll), job.Options{Logger: logger(t), OnShardError: errs.record})
	if err != nil {
		t.Fatal(err)
	}
	runJob(t, j)
	applied := func(k string) func() string {
		return func() string {
			if Get(t, c, "dst", item.Item{"pk": S(k)}) == nil {
				return k + " not applied"
			}
			return ""
		}
	}
	Put(t, c, "src", item.Item{"pk": S("before")})
	Eventually(t, 20*time.Second, applied("before"))
	setStream := func(on bool) {
		spec := &dtypes.StreamSpecification{StreamEnabled: aws.Bool(on)}
		if on {
			spec.StreamViewType = dtypes.StreamViewTypeNewAndOldImages
		}
		if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("src"), StreamSpecification: spec}); err != nil {
			t.Fatal(err)
		}
	}
	setStream(false)
	Put(t, c, "src", item.Item{"pk": S("while-off")}) // in no stream: only a backfill brings it
	setStream(true)
	Put(t, c, "src", item.Item{"pk": S("after")})
	Eventually(t, 30*time.Second, applied("after"))
	if err := errs.get(""); err == nil || !strings.Contains(err.Error(), "carve sync backfill") || !strings.Contains(err.Error(), "new stream") {
		t.Fatalf("the job did not report the new stream and the backfill it needs: %v", err)
	}
	if n := testutil.ToFloat64(j.Metrics().ShardErrors.WithLabelValues("stream_replaced")); n != 1 {
		t.Fatalf("shard_errors{reason=stream_replaced} = %v, want 1", n)
	}
}
