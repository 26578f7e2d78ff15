package job_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/carve-dev/carve/sync/checkpoint"
	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/internal/fakestream"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/job"
)

// slowSink is a proxy in front of DynamoDB Local that holds every BatchWriteItem for a while
// before passing it on: a slow network or an overloaded sink. A request whose client gave up
// meanwhile never reaches the table.
type slowSink struct {
	mu       sync.Mutex
	delay    time.Duration
	inflight int
}

func (s *slowSink) serve(t *testing.T, endpoint string) string {
	return proxyDynamoDB(t, endpoint, func(w http.ResponseWriter, r *http.Request, op string, _ []byte, forward http.Handler) {
		s.mu.Lock()
		d := s.delay
		slow := d > 0 && op == "BatchWriteItem"
		if slow {
			s.inflight++
		}
		s.mu.Unlock()
		if !slow {
			forward.ServeHTTP(w, r)
			return
		}
		defer func() {
			s.mu.Lock()
			s.inflight--
			s.mu.Unlock()
		}()
		select {
		case <-time.After(d):
			forward.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	})
}

func (s *slowSink) set(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

func (s *slowSink) busy() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight
}

// TestLeaseFenceSlowSinkSecondWorker: worker w1 holds both shards and writes k=v1 in batch mode
// (no condition in the write) through a sink slower than its lease. A second worker joins and
// asks for one shard. w1 must stop writing before w2 may start: w1's write is cut at the lease's
// fence, w2 replays v1 and applies v2, and no late write of w1 lands after it. The item ends at
// v2.
func TestLeaseFenceSlowSinkSecondWorker(t *testing.T) {
	ddb := Tables(t, Target("items", "pk"))
	c := ddb.Client
	var slow slowSink
	slowEndpoint := slow.serve(t, ddb.Endpoint)

	f := fakeStream("s0", "s1")
	conf := func(id, sinkEndpoint string) *config.Config {
		return sharedWorker(t, ddb.Endpoint, sinkEndpoint, id, "lease_duration: 1500ms", "retry: {attempts: 3, initial: 5ms, max: 20ms}")
	}
	opts := job.Options{Streams: f, StreamArn: "arn:fake"}
	start(t, conf("w1", slowEndpoint), opts)
	rows := leaseRows(t, c)
	owner := func(shard string) string {
		if l := rows()[shard]; l.Owner != "" && time.Now().Before(l.Expiry) {
			return l.Owner
		}
		return ""
	}
	Eventually(t, 10*time.Second, func() string {
		if owner("s0") != "w1" || owner("s1") != "w1" {
			return "w1 does not hold both shards yet"
		}
		return ""
	})
	val := func() string { return item.Str(Get(t, c, "items", item.Item{"pk": S("k")}), "v") }

	slow.set(5 * time.Second) // longer than the lease
	f.Put("s1", "k", "v1")
	Eventually(t, 10*time.Second, func() string {
		if slow.busy() == 0 {
			return "w1's write of v1 has not reached the slow sink"
		}
		return ""
	})
	start(t, conf("w2", ddb.Endpoint), opts)
	Eventually(t, 15*time.Second, func() string {
		if o := owner("s1"); o != "w2" {
			return fmt.Sprintf("s1 owned by %q, want w2", o)
		}
		return ""
	})
	Eventually(t, 10*time.Second, func() string {
		if v := val(); v != "v1" {
			return fmt.Sprintf("k = %q, want w2's replay of v1", v)
		}
		return ""
	})
	f.Put("s1", "k", "v2")
	Eventually(t, 10*time.Second, func() string {
		if v := val(); v != "v2" {
			return fmt.Sprintf("k = %q, want v2", v)
		}
		return ""
	})
	// Whatever w1 still had in flight has landed or was dropped by now.
	Eventually(t, 15*time.Second, func() string {
		if n := slow.busy(); n > 0 {
			return fmt.Sprintf("%d writes still held by the slow sink", n)
		}
		return ""
	})
	if v := val(); v != "v2" {
		t.Fatalf("k = %q after w1's late write, want v2: two workers wrote one shard at once", v)
	}
}

// fakeStream is a fake stream arn:fake with open shards of these ids.
func fakeStream(ids ...string) *fakestream.Stream {
	f := fakestream.New("arn:fake")
	for _, id := range ids {
		f.AddShard(id, "")
	}
	return f
}

// sharedWorker is the config of worker id on the fake stream: it shares leases with other
// workers in the checkpoint table carve-sync on DynamoDB Local at endpoint, and copies every
// record into the table items at sinkEndpoint in batch mode (no condition in the write). worker
// adds settings to the worker block, lines top-level YAML.
func sharedWorker(t testing.TB, endpoint, sinkEndpoint, id, worker, lines string) *config.Config {
	return parse(t, "", `
source: {table: fake}
checkpoints: {dynamodb: {table: carve-sync, endpoint: "`+endpoint+`"}}
dead_letter: {file: "{{dir}}/dlq.jsonl"}
worker: {id: `+id+`, shard_sync: 100ms, idle_wait: 40ms, `+worker+`}
`+lines+`
pipelines:
  - name: copy
    sink: {dynamodb: {table: items, endpoint: "`+sinkEndpoint+`", write_mode: batch}}
`)
}

// leaseRows returns a function reading the lease rows of arn:fake in the table carve-sync, by
// shard.
func leaseRows(t testing.TB, c checkpoint.DynamoDBAPI) func() map[string]checkpoint.Lease {
	store, err := checkpoint.OpenDynamoDB(context.Background(), c, "carve-sync")
	if err != nil {
		t.Fatal(err)
	}
	return func() map[string]checkpoint.Lease {
		ls, err := store.Leases(context.Background(), "arn:fake")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]checkpoint.Lease{}
		for _, l := range ls {
			out[l.Shard] = l
		}
		return out
	}
}
