package job_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/carve-dev/carve/internal/testenv"
	. "github.com/carve-dev/carve/sync/internal/synctest"
)

// TestEventSinksOnMotoUnderSIGKILL runs the SQS sink and the SNS sink's PublishBatch path against
// moto's server, which speaks what goaws does not (the SDK's SQS client, PublishBatch): a busy
// table (updates, deletes, a shard rollover) is published by three pipelines — to a standard
// queue, to a FIFO queue, and to a FIFO topic with a FIFO queue subscribed — while `carve sync
// run` is killed with SIGKILL three times and restarted. Each queue must receive every change,
// each key's in stream order, replays carrying the ids (and bodies) of their first delivery; the
// SNS sink must publish with PublishBatch (no fallback to Publish), and nothing is dead-lettered.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestEventSinksOnMotoUnderSIGKILL(t *testing.T) {
	bin := buildCarve(t)
	ddb := testenv.DynamoDB(t)
	m := testenv.MotoServer(t)
	ctx := context.Background()
	et := CreateEventTargets(t, m)
	std, fifo, topic, consumer := et.Queue, et.FIFOQueue, et.FIFOTopic, et.TopicQueue
	CreateTable(t, ddb.Client, "shop", "pk", true)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sync.yaml")
	y := `
source: {table: shop, endpoint: "` + ddb.Endpoint + `"}
worker: {lease_duration: 1500ms, shard_sync: 200ms, idle_wait: 50ms, batch_size: 100}
dead_letter: {file: "` + dir + `/dlq.jsonl"}
pipelines:
  - name: sqs-standard
    where: {key_prefix: {pk: "ORDER#"}}
    sink: {sqs: {queue_url: "` + std + `", endpoint: "` + m.Endpoint + `"}}
  - name: sqs-fifo
    where: {key_prefix: {pk: "ORDER#"}}
    sink: {sqs: {queue_url: "` + fifo + `", endpoint: "` + m.Endpoint + `"}}
  - name: sns-fifo
    where: {key_prefix: {pk: "ORDER#"}}
    sink: {sns: {topic_arn: "` + topic + `", endpoint: "` + m.Endpoint + `"}}
`
	if err := os.WriteFile(cfgPath, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	queues := []struct{ pipeline, url string }{{"sqs-standard", std}, {"sqs-fifo", fifo}, {"sns-fifo", consumer}}
	got := make([]received, len(queues))
	// Consumers drain the queues all along: moto's SQS costs time in proportion to a queue's length
	// at every send, receive and delete, so a queue left to fill slows everything to a crawl.
	consumeCtx, stopConsumers := context.WithCancel(ctx)
	var consumers sync.WaitGroup
	for i, q := range queues {
		consumers.Add(1)
		go func() {
			defer consumers.Done()
			for consumeCtx.Err() == nil {
				ms, err := m.Receive(consumeCtx, q.url, 10, time.Second)
				if err == nil {
					err = got[i].add(ms)
				}
				if err != nil && consumeCtx.Err() == nil {
					t.Errorf("%s: %v", q.pipeline, err)
					return
				}
			}
		}()
	}
	defer func() { stopConsumers(); consumers.Wait() }()
	deliveries := func(i int) int {
		got[i].mu.Lock()
		defer got[i].mu.Unlock()
		return len(got[i].events)
	}

	writing := busyLoad(t, ddb, 300, 30, 150, 11)
	ws := newWorkers(t, bin, cfgPath, dir)
	ws.killRepeatedly(3, 5, 1600*time.Millisecond, 1200*time.Millisecond, func(k int) {
		t.Logf("after SIGKILL %d: %d, %d, %d deliveries", k, deliveries(0), deliveries(1), deliveries(2))
	})
	<-writing

	cmd := ws.start()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	for i, q := range queues {
		want := streamEvents(t, ddb, "shop", q.pipeline, "ORDER#")
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			msg := got[i].check(want)
			if msg == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s\nworker log tail:\n%s", q.pipeline, msg, ws.logTail(3000))
			}
		}
		changes := 0
		for _, ids := range want {
			changes += len(ids)
		}
		t.Logf("%s: %d deliveries of %d changes", q.pipeline, deliveries(i), changes)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "dlq.jsonl")); len(b) > 0 {
		t.Errorf("dead letters: %s", b)
	}
	if log := ws.logTail(1 << 30); strings.Contains(log, "does not implement PublishBatch") {
		t.Errorf("the SNS sink fell back to Publish on moto:\n%s", tailOf(log, 3000))
	}
}
