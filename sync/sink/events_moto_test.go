package sink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/awsconf"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// TestEventSinksOnMoto runs the SQS sink (standard and FIFO queue) and the SNS sink's
// PublishBatch path (a FIFO topic with a FIFO queue subscribed; no Publish) against moto's server
// with the SDK clients carve builds: every event arrives once, each key's in order, with its attributes and
// FIFO ids; a missing queue or topic stops the sink at start. What moto cannot do — fail part of
// a batch — is tested against fakes (events_sqs_test.go, events_batch_test.go).
func TestEventSinksOnMoto(t *testing.T) {
	m := testenv.MotoServer(t)
	ctx := context.Background()
	b := stream.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond}
	et := CreateEventTargets(t, m)
	std, fifo, topic := et.Queue, et.FIFOQueue, et.FIFOTopic
	sqsc, err := awsconf.SQS(ctx, "", m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	realSNS, err := awsconf.SNS(ctx, "", m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	snsc := &countingSNS{Client: realSNS}
	ws := keyedWrites(100, 13)
	for _, c := range []struct {
		name, queue string
		open        func() (*sink.Events, error)
	}{
		{"sqs standard", std, func() (*sink.Events, error) { return sink.OpenSQS(ctx, sqsc, std, "shop", "orders", 4, b) }},
		{"sqs fifo", fifo, func() (*sink.Events, error) { return sink.OpenSQS(ctx, sqsc, fifo, "shop", "orders", 4, b) }},
		{"sns fifo", et.TopicQueue, func() (*sink.Events, error) { return sink.OpenSNS(ctx, snsc, topic, "shop", "orders", 4, b) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.open()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if _, err := s.Apply(ctx, ws); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d events in %v", len(ws), time.Since(start))
			ms, err := m.Drain(ctx, c.queue)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != len(ws) {
				t.Fatalf("received %d, want %d", len(ms), len(ws))
			}
			last := map[string]string{}
			for _, msg := range ms {
				var e sink.Event
				if err := json.Unmarshal([]byte(msg.Body), &e); err != nil {
					t.Fatal(err)
				}
				k := fmt.Sprint(e.Keys["id"])
				if e.SequenceNumber <= last[k] {
					t.Fatalf("key %s: %s after %s", k, e.SequenceNumber, last[k])
				}
				last[k] = e.SequenceNumber
				if msg.Attributes["event"] != e.Event || msg.Attributes["table"] != "shop" || msg.Attributes["pipeline"] != "orders" {
					t.Errorf("attributes %v of %+v", msg.Attributes, e)
				}
			}
		})
	}
	if b, p := snsc.batches.Load(), snsc.singles.Load(); b < 10 || p != 0 {
		t.Errorf("the SNS sink called PublishBatch %d times and Publish %d times, want only PublishBatch", b, p)
	}
	if _, err := sink.OpenSQS(ctx, sqsc, m.QueueURL("nope"), "shop", "orders", 4, b); err == nil || !strings.Contains(err.Error(), "nope does not exist: create it, or fix sink.sqs.queue_url") {
		t.Errorf("missing queue: %v", err)
	}
	if _, err := sink.OpenSNS(ctx, snsc, m.TopicArn("nope"), "shop", "orders", 4, b); err == nil || !strings.Contains(err.Error(), "nope does not exist: create it, or fix sink.sns.topic_arn") {
		t.Errorf("missing topic: %v", err)
	}
}

// countingSNS is the SDK's SNS client counting the sink's publish calls.
type countingSNS struct {
	*sns.Client
	batches, singles atomic.Int64
}

func (c *countingSNS) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	c.batches.Add(1)
	return c.Client.PublishBatch(ctx, in, opts...)
}

func (c *countingSNS) Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error) {
	c.singles.Add(1)
	return c.Client.Publish(ctx, in, opts...)
}
