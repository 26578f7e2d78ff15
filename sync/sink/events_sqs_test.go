package sink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// queue answers SendMessageBatch as SQS does, failing part of a batch, which no emulator does on
// demand: the SQS sink runs against moto's server in TestEventSinksOnMoto (and, in sync/job, under
// SIGKILL); this fake tests what moto cannot. It fails the first attempt at every entry but one
// without blaming it, and records what it took.
type queue struct {
	mu      sync.Mutex
	missing bool
	calls   int
	took    []sqstypes.SendMessageBatchRequestEntry
	blame   string // an entry whose body contains it is refused with SenderFault
}

func (q *queue) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	out := &sqs.SendMessageBatchOutput{}
	for i, e := range in.Entries {
		switch {
		case q.blame != "" && strings.Contains(aws.ToString(e.MessageBody), q.blame):
			out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InvalidMessageContents"), Message: aws.String("bad character"), SenderFault: true})
		case q.calls%2 == 1 && i > 0:
			out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), SenderFault: false})
		default:
			q.took = append(q.took, e)
			out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id})
		}
	}
	return out, nil
}

func (q *queue) GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	if q.missing {
		return nil, &sqstypes.QueueDoesNotExist{Message: aws.String("The specified queue does not exist.")}
	}
	return &sqs.GetQueueAttributesOutput{}, nil
}

// TestSQSSink: the SQS sink sends the same envelope in SendMessageBatch entries, retries the
// entries SQS fails without blaming them, keeps each key's order, sets FIFO group and
// de-duplication ids on a .fifo queue, dead-letters an entry SQS blames, and refuses a missing
// queue at start.
func TestSQSSink(t *testing.T) {
	ctx := context.Background()
	b := stream.Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond}
	url := "https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo"
	q := &queue{}
	s, err := sink.OpenSQS(ctx, q, url, "shop", "orders", 4, b)
	if err != nil {
		t.Fatal(err)
	}
	ws := keyedWrites(120, 17)
	if _, err := s.Apply(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if len(q.took) != len(ws) {
		t.Fatalf("took %d, want %d", len(q.took), len(ws))
	}
	last := map[string]string{}
	for _, e := range q.took {
		var ev sink.Event
		if err := json.Unmarshal([]byte(aws.ToString(e.MessageBody)), &ev); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprint(ev.Keys["id"])
		if ev.SequenceNumber <= last[k] {
			t.Fatalf("key %s: %s after %s", k, ev.SequenceNumber, last[k])
		}
		last[k] = ev.SequenceNumber
		if aws.ToString(e.MessageGroupId) != sink.GroupKey(ev.Keys) || aws.ToString(e.MessageDeduplicationId) != ev.ID {
			t.Errorf("FIFO ids: group %q dedup %q for %+v", aws.ToString(e.MessageGroupId), aws.ToString(e.MessageDeduplicationId), ev)
		}
		if aws.ToString(e.MessageAttributes["event"].StringValue) != ev.Event || ev.Table != "shop" {
			t.Errorf("attributes %v for %+v", e.MessageAttributes, ev)
		}
	}

	q.blame = `"record":"s/5"`
	_, err = s.Apply(ctx, keyedWrites(8, 8))
	if !sink.IsPermanent(err) || !strings.Contains(err.Error(), "record s/5: rejected: InvalidMessageContents: bad character") {
		t.Errorf("blamed entry: %v", err)
	}

	_, err = sink.OpenSQS(ctx, &queue{missing: true}, url, "shop", "orders", 4, b)
	if err == nil || !strings.Contains(err.Error(), "orders.fifo does not exist: create it, or fix sink.sqs.queue_url") {
		t.Errorf("missing queue: %v", err)
	}
	if _, err := sink.OpenSQS(ctx, q, "sqs://nowhere", "shop", "orders", 4, b); err == nil || !strings.Contains(err.Error(), "is not a queue URL") {
		t.Errorf("bad URL: %v", err)
	}
}
