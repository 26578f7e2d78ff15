package job_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/deadletter"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/job"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// received is what a consumer of the queue saw: every event in arrival order.
type received struct {
	mu     sync.Mutex
	events []sink.Event
	bodies map[string]string // id → body of its first delivery
}

// drainer is an emulator's queue reader: goaws's names the queue, moto's takes its URL.
type drainer interface {
	Drain(ctx context.Context, queue string) ([]testenv.Message, error)
}

// poll drains the queue into r.
func (r *received) poll(t *testing.T, g drainer, queue string) {
	t.Helper()
	ms, err := g.Drain(context.Background(), queue)
	if err == nil {
		err = r.add(ms)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// add records the messages a consumer received; a redelivered id must carry the same body.
func (r *received) add(ms []testenv.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bodies == nil {
		r.bodies = map[string]string{}
	}
	for _, m := range ms {
		var e sink.Event
		if err := json.Unmarshal([]byte(m.Body), &e); err != nil {
			return fmt.Errorf("not an event: %v: %s", err, m.Body)
		}
		if b, seen := r.bodies[e.ID]; seen && b != m.Body {
			return fmt.Errorf("event %s delivered twice with different bodies:\n%s\n%s", e.ID, b, m.Body)
		} else if !seen {
			r.bodies[e.ID] = m.Body
		}
		r.events = append(r.events, e)
	}
	return nil
}

// streamEvents reads every record of the source table's stream and returns the ids of the
// events pipeline must publish for the records whose key has prefix, by key in stream order.
func streamEvents(t *testing.T, ddb *testenv.DynamoDBLocal, table, pipeline, prefix string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	arn, err := stream.Resolve(ctx, ddb.Client, table)
	if err != nil {
		t.Fatal(err)
	}
	shards, err := stream.ListShards(ctx, ddb.Streams, arn, stream.Backoff{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for _, sh := range shards { // parents first
		it, err := ddb.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: aws.String(sh.ID), ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for next := it.ShardIterator; next != nil; {
			out, err := ddb.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: next})
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range out.Records {
				r, err := stream.ParseRecord(sh.ID, rec)
				if err != nil {
					t.Fatal(err)
				}
				k := item.Str(r.Keys, "pk")
				if strings.HasPrefix(k, prefix) {
					want[k] = append(want[k], sink.EventID(table, pipeline, sink.Write{Ref: r.Shard + "/" + r.Seq, Version: r.Version}))
				}
			}
			if len(out.Records) == 0 {
				break
			}
			next = out.NextShardIterator
		}
	}
	return want
}

// check compares what the consumer saw with what the stream holds: every change arrived, and
// each key's changes arrived in stream order (counting each event at its first delivery; later
// deliveries are the replays consumers de-duplicate by id). It returns "" when they agree.
func (r *received) check(want map[string][]string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := map[string][]string{}
	seen := map[string]bool{}
	for _, e := range r.events {
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		k := fmt.Sprint(e.Keys["pk"])
		got[k] = append(got[k], e.ID)
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, w := got[k], want[k]
		for i := 0; i < max(len(g), len(w)); i++ {
			switch {
			case i >= len(g):
				return fmt.Sprintf("key %s: %d of the stream's %d changes arrived (%d events from %d deliveries so far)", k, len(g), len(w), len(seen), len(r.events))
			case i >= len(w):
				return fmt.Sprintf("key %s: %d events, the stream has %d changes", k, len(g), len(w))
			case g[i] != w[i]:
				return fmt.Sprintf("key %s: event %d is %s, want the stream's %s: out of order or unknown", k, i, g[i], w[i])
			}
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("events for %d keys, want %d", len(got), len(want))
	}
	return ""
}

// TestSNSSinkUnderSIGKILL: a busy table (updates, deletes, a shard rollover) published to an
// SNS topic with a subscribed queue while `carve sync run` is killed with SIGKILL four times and
// restarted: the queue must receive every change, each key's in stream order, replays carrying
// the ids (and bodies) of their first delivery.
func TestSNSSinkUnderSIGKILL(t *testing.T) {
	bin := buildCarve(t)
	ddb := testenv.DynamoDB(t)
	g := testenv.GoAWS(t, []testenv.Topic{{Name: "shop-changes", Queues: []string{"consumer"}}})
	c := ddb.Client
	CreateTable(t, c, "shop", "pk", true)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sync.yaml")
	y := `
source: {table: shop, endpoint: "` + ddb.Endpoint + `"}
worker: {lease_duration: 1500ms, shard_sync: 200ms, idle_wait: 50ms, batch_size: 100}
dead_letter: {file: "` + dir + `/dlq.jsonl"}
pipelines:
  - name: order-events
    where: {key_prefix: {pk: "ORDER#"}}
    sink: {sns: {topic_arn: "` + g.TopicArn("shop-changes") + `", endpoint: "` + g.Endpoint + `"}}
`
	if err := os.WriteFile(cfgPath, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	writing := busyLoad(t, ddb, 1500, 100, 700, 5)
	ws := newWorkers(t, bin, cfgPath, dir)
	var got received
	// Past the lease duration: a restarted worker first waits for its killed predecessor's lease.
	ws.killRepeatedly(4, 3, 1600*time.Millisecond, 1200*time.Millisecond, func(k int) {
		got.poll(t, g, "consumer")
		t.Logf("after SIGKILL %d: %d deliveries", k, len(got.events))
	})
	<-writing

	cmd := ws.start()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	want := streamEvents(t, ddb, "shop", "order-events", "ORDER#")
	deadline := time.Now().Add(60 * time.Second)
	for {
		got.poll(t, g, "consumer")
		msg := got.check(want)
		if msg == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s\nworker log tail:\n%s", msg, ws.logTail(3000))
		}
		time.Sleep(300 * time.Millisecond)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "dlq.jsonl")); len(b) > 0 {
		t.Errorf("dead letters: %s", b)
	}
	t.Logf("%d events delivered for %d distinct changes", len(got.events), len(got.bodies))
}

// TestSNSSinkDeadLettersOversize: an item whose event would exceed 256 KiB is dead-lettered
// with the reason, and the changes around it are published in order; a job whose topic does not
// exist does not start.
func TestSNSSinkDeadLettersOversize(t *testing.T) {
	ddb := testenv.DynamoDB(t)
	g := testenv.GoAWS(t, []testenv.Topic{{Name: "changes.fifo", Queues: []string{"q"}}})
	CreateTable(t, ddb.Client, "src", "pk", true)
	cfg := parse(t, ddb.Endpoint, `
source: {table: src, endpoint: "{{endpoint}}"}
checkpoints: {file: "{{dir}}/cp.json"}
dead_letter: {file: "{{dir}}/dlq.jsonl"}
worker: {shard_sync: 100ms, idle_wait: 50ms, lease_duration: 2s}
retry: {attempts: 2, initial: 10ms, max: 20ms}
pipelines:
  - name: events
    map: {rename: {n: amount}}
    sink: {sns: {topic_arn: "`+g.TopicArn("changes.fifo")+`", endpoint: "`+g.Endpoint+`"}}
`)
	// A topic that does not exist stops the job before it reads anything, saying what to do.
	missing := parse(t, ddb.Endpoint, strings.ReplaceAll(`
source: {table: src, endpoint: "{{endpoint}}"}
checkpoints: {file: "{{dir}}/cp.json"}
pipelines:
  - name: events
    sink: {sns: {topic_arn: "TOPIC", endpoint: "`+g.Endpoint+`"}}
`, "TOPIC", g.TopicArn("nope")))
	if _, err := job.New(context.Background(), missing, job.Options{Logger: logger(t)}); err == nil ||
		!strings.Contains(err.Error(), "pipeline events: sns topic "+g.TopicArn("nope")+" does not exist: create it, or fix sink.sns.topic_arn") {
		t.Errorf("missing topic: %v", err)
	}

	Put(t, ddb.Client, "src", item.Item{"pk": S("a"), "n": N(1)})
	Put(t, ddb.Client, "src", item.Item{"pk": S("big"), "blob": S(strings.Repeat("x", 300*1024))})
	Put(t, ddb.Client, "src", item.Item{"pk": S("a"), "n": N(2)})
	start(t, cfg, job.Options{})
	var got received
	Eventually(t, 30*time.Second, func() string {
		got.poll(t, g, "q")
		if len(got.bodies) < 2 {
			return fmt.Sprintf("%d events", len(got.bodies))
		}
		return ""
	})
	if len(got.events) != 2 || got.events[0].Event != "INSERT" || got.events[1].Event != "MODIFY" ||
		fmt.Sprint(got.events[1].Old["amount"], got.events[1].New["amount"]) != "1 2" {
		t.Errorf("events: %+v", got.events)
	}
	dlq, err := deadletter.OpenFile(cfg.DeadLetter.File)
	if err != nil {
		t.Fatal(err)
	}
	defer dlq.Close()
	Eventually(t, 10*time.Second, func() string {
		es, err := dlq.Entries(context.Background())
		if err != nil {
			return err.Error()
		}
		if len(es) != 1 || fmt.Sprint(es[0].Keys) != "map[pk:map[S:big]]" || !strings.Contains(es[0].Error, "over the 256 KiB") {
			return fmt.Sprintf("dead letters: %+v", es)
		}
		return ""
	})
}
