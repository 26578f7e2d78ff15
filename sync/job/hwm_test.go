package job_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carve-dev/carve/sync/checkpoint"
	"github.com/carve-dev/carve/sync/internal/fakestream"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/job"
)

// readCounter is a proxy in front of DynamoDB Local that records the keys every BatchGetItem
// asks for: the sink's version reads.
type readCounter struct {
	mu    sync.Mutex
	calls int
	keys  []string
}

func (rc *readCounter) reset() ([]string, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	k, n := rc.keys, rc.calls
	rc.keys, rc.calls = nil, 0
	sort.Strings(k)
	return k, n
}

func (rc *readCounter) serve(t *testing.T, endpoint string) string {
	return proxyDynamoDB(t, endpoint, func(w http.ResponseWriter, r *http.Request, op string, body []byte, forward http.Handler) {
		defer forward.ServeHTTP(w, r)
		if op != "BatchGetItem" {
			return
		}
		var in struct {
			RequestItems map[string]struct {
				Keys []map[string]map[string]string
			}
		}
		json.Unmarshal(body, &in)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.calls++
		for _, ka := range in.RequestItems {
			for _, k := range ka.Keys {
				rc.keys = append(rc.keys, k["pk"]["S"])
			}
		}
	})
}

// proxyDynamoDB serves a reverse proxy to DynamoDB Local that hands every request, its operation
// (e.g. BatchGetItem) and its body to hook, which passes it on with forward (or not). The body is
// read before hook runs: only then does the server notice a client that gave up (hook can wait
// on r.Context()).
func proxyDynamoDB(t *testing.T, endpoint string, hook func(w http.ResponseWriter, r *http.Request, op string, body []byte, forward http.Handler)) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		target := r.Header.Get("X-Amz-Target")
		hook(w, r, target[strings.LastIndexByte(target, '.')+1:], body, proxy)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBatchModeHighWaterMark: a worker takes over a shard whose previous owner raised the applied
// high-water mark to seq 5 and died before checkpointing. The records up to the mark are replayed
// through the version read (an item already holding a newer version, a value or a tombstone's
// target, is not overwritten); the records above it are written blind (no BatchGetItem names
// them), deletes included; later records too, one mark raise per batch.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestBatchModeHighWaterMark(t *testing.T) {
	ddb := Tables(t, Target("items", "pk"))
	c := ddb.Client
	var rc readCounter
	sinkEndpoint := rc.serve(t, ddb.Endpoint)

	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	f.Put("s0", "k0", "old")
	f.Put("s0", "k1", "old")
	f.Put("s0", "k2", "old")
	f.Put("s0", "k4", "") // a delete at or below the mark
	hwm := f.Put("s0", "k3", "old")
	for i := 5; i < 10; i++ {
		f.Put("s0", fmt.Sprint("k", i), "new")
	}
	f.Put("s0", "k9", "") // a delete above the mark

	// What the previous owner (or a backfill at version hwm) left: k0 and k4 at the mark.
	v, _ := item.PadSeq(hwm)
	Put(t, c, "items", item.Item{"pk": S("k0"), "v": S("newer"), item.Seq: S(v)})
	Put(t, c, "items", item.Item{"pk": S("k4"), "v": S("kept"), item.Seq: S(v)})

	cfg := parse(t, "", `
source: {table: fake}
checkpoints: {file: "{{dir}}/cp.json"}
dead_letter: {file: "{{dir}}/dlq.jsonl"}
worker: {shard_sync: 100ms, idle_wait: 40ms, lease_duration: 1500ms}
retry: {attempts: 3, initial: 5ms, max: 20ms}
pipelines:
  - name: copy
    sink: {dynamodb: {table: items, endpoint: "`+sinkEndpoint+`", write_mode: batch}}
`)
	cpPath := filepath.Join(filepath.Dir(cfg.File), "cp.json")
	ctx := context.Background()
	old, err := checkpoint.OpenFile(cpPath)
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := old.Acquire(ctx, "arn:fake", "s0", "", "previous", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, l, err = old.RaiseHwm(ctx, l, hwm); err != nil {
		t.Fatal(err)
	}
	if err := old.Release(ctx, l); err != nil { // no checkpoint: everything is replayed
		t.Fatal(err)
	}
	old.Close()

	start(t, cfg, job.Options{Streams: f, StreamArn: "arn:fake"})
	val := func(k string) string {
		it := Get(t, c, "items", item.Item{"pk": S(k)})
		if item.IsTombstone(it) {
			return "<deleted>"
		}
		return item.Str(it, "v")
	}
	want := map[string]string{"k0": "newer", "k1": "old", "k2": "old", "k3": "old", "k4": "kept",
		"k5": "new", "k6": "new", "k7": "new", "k8": "new", "k9": "<deleted>"}
	check := func() string {
		for k, w := range want {
			if g := val(k); g != w {
				return fmt.Sprintf("%s = %q, want %q", k, g, w)
			}
		}
		return ""
	}
	Eventually(t, 20*time.Second, check)
	time.Sleep(200 * time.Millisecond) // nothing more arrives
	if msg := check(); msg != "" {
		t.Fatal(msg)
	}
	read, _ := rc.reset()
	if got := strings.Join(read, " "); got != "k0 k1 k2 k3 k4" {
		t.Fatalf("version reads named %q, want exactly the records at or below the mark (k0 k1 k2 k3 k4)", got)
	}

	// Steady state: every new record is above the mark the worker raised itself.
	f.Put("s0", "k0", "later")
	f.Put("s0", "k4", "back")
	f.Put("s0", "k1", "")
	want["k0"], want["k4"], want["k1"] = "later", "back", "<deleted>"
	Eventually(t, 20*time.Second, check)
	if read, n := rc.reset(); n != 0 {
		t.Fatalf("%d BatchGetItem calls (keys %v) for records above the mark", n, read)
	}
}
