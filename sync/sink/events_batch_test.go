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
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// batchTopic is SNS's PublishBatch as AWS answers it, failing some entries on demand (fail
// decides, per call and entry), which moto's server, where PublishBatch runs for real
// (TestEventSinksOnMoto), does not do. It records what it took.
type batchTopic struct {
	mu    sync.Mutex
	calls int
	fail  func(call int, e snstypes.PublishBatchRequestEntry) *snstypes.BatchResultErrorEntry
	took  []snstypes.PublishBatchRequestEntry
	sizes []int
	// problems found in a request: over ten entries, a key twice, FIFO fields missing.
	problems []string
	fifo     bool
}

func (b *batchTopic) PublishBatch(_ context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	out := &sns.PublishBatchOutput{}
	if n := len(in.PublishBatchRequestEntries); n > 10 || n == 0 {
		b.problems = append(b.problems, fmt.Sprintf("batch of %d entries", n))
	}
	b.sizes = append(b.sizes, len(in.PublishBatchRequestEntries))
	groups := map[string]bool{}
	for _, e := range in.PublishBatchRequestEntries {
		var ev sink.Event
		json.Unmarshal([]byte(aws.ToString(e.Message)), &ev)
		g := sink.GroupKey(ev.Keys)
		if groups[g] {
			b.problems = append(b.problems, "key "+g+" twice in one batch")
		}
		groups[g] = true
		if b.fifo && (aws.ToString(e.MessageGroupId) != g || aws.ToString(e.MessageDeduplicationId) != ev.ID) {
			b.problems = append(b.problems, fmt.Sprintf("FIFO entry with group %q dedup %q", aws.ToString(e.MessageGroupId), aws.ToString(e.MessageDeduplicationId)))
		}
		if !b.fifo && e.MessageGroupId != nil {
			b.problems = append(b.problems, "message group on a standard topic")
		}
		if f := b.fail(b.calls, e); f != nil {
			f.Id = e.Id
			out.Failed = append(out.Failed, *f)
			continue
		}
		b.took = append(b.took, e)
		out.Successful = append(out.Successful, snstypes.PublishBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func (b *batchTopic) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return nil, fmt.Errorf("Publish called: the sink must batch")
}

func (b *batchTopic) GetTopicAttributes(context.Context, *sns.GetTopicAttributesInput, ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error) {
	return &sns.GetTopicAttributesOutput{}, nil
}

func (b *batchTopic) ListTopics(context.Context, *sns.ListTopicsInput, ...func(*sns.Options)) (*sns.ListTopicsOutput, error) {
	return &sns.ListTopicsOutput{}, nil
}

func keyedWrites(n, keys int) []sink.Write {
	var ws []sink.Write
	for i := 1; i <= n; i++ {
		k := fmt.Sprintf("k%d", i%keys)
		ws = append(ws, sink.Write{Item: item.Item{"id": S(k), "n": N(i)}, Keys: item.Item{"id": S(k)}, Version: v(i), Ref: fmt.Sprint("s/", i)})
	}
	return ws
}

// TestPublishBatchPartialFailure: entries PublishBatch fails without blaming them (throttling)
// are sent again, alone, before the lane goes on, so every key's events are taken in order;
// batches hold at most ten entries and one per key, with FIFO group and de-duplication ids.
func TestPublishBatchPartialFailure(t *testing.T) {
	for _, fifo := range []bool{false, true} {
		t.Run(fmt.Sprint("fifo=", fifo), func(t *testing.T) {
			topic := &batchTopic{fifo: fifo, fail: func(call int, e snstypes.PublishBatchRequestEntry) *snstypes.BatchResultErrorEntry {
				if call%3 == 1 && aws.ToString(e.Id) != "0" {
					return &snstypes.BatchResultErrorEntry{Code: aws.String("Throttled"), Message: aws.String("slow down"), SenderFault: false}
				}
				return nil
			}}
			arn := "arn:aws:sns:eu-west-1:123456789012:changes"
			if fifo {
				arn += ".fifo"
			}
			s, err := sink.OpenSNS(context.Background(), topic, arn, "shop", "orders", 3, stream.Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ws := keyedWrites(200, 23)
			if _, err := s.Apply(context.Background(), ws); err != nil {
				t.Fatal(err)
			}
			if len(topic.problems) > 0 {
				t.Fatalf("bad requests: %s", strings.Join(topic.problems[:min(5, len(topic.problems))], "; "))
			}
			if len(topic.took) != len(ws) {
				t.Fatalf("took %d entries, want %d", len(topic.took), len(ws))
			}
			last := map[string]string{}
			for _, e := range topic.took {
				var ev sink.Event
				json.Unmarshal([]byte(aws.ToString(e.Message)), &ev)
				k := fmt.Sprint(ev.Keys["id"])
				if ev.SequenceNumber <= last[k] {
					t.Fatalf("key %s: %s taken after %s", k, ev.SequenceNumber, last[k])
				}
				last[k] = ev.SequenceNumber
			}
			full := 0
			for _, n := range topic.sizes {
				if n == 10 {
					full++
				}
			}
			if full == 0 {
				t.Errorf("no batch of ten entries among %v", topic.sizes)
			}
		})
	}
}

// TestPublishBatchSenderFault: an entry SNS blames (SenderFault) is a permanent error naming its
// record and the service's reason: the job isolates and dead-letters it.
func TestPublishBatchSenderFault(t *testing.T) {
	topic := &batchTopic{fail: func(_ int, e snstypes.PublishBatchRequestEntry) *snstypes.BatchResultErrorEntry {
		if strings.Contains(aws.ToString(e.Message), `"record":"s/7"`) {
			return &snstypes.BatchResultErrorEntry{Code: aws.String("InvalidParameter"), Message: aws.String("bad attribute"), SenderFault: true}
		}
		return nil
	}}
	s, err := sink.OpenSNS(context.Background(), topic, "arn:aws:sns:eu-west-1:123456789012:changes", "shop", "orders", 1, stream.Backoff{Initial: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Apply(context.Background(), keyedWrites(12, 12))
	if !sink.IsPermanent(err) || !strings.Contains(err.Error(), "record s/7: rejected: InvalidParameter: bad attribute") {
		t.Errorf("got %v", err)
	}
}
