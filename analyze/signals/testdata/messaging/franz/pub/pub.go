package pub

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TopicRefunds is the refunds topic.
const TopicRefunds = "refunds"

// Refund produces a refund record.
func Refund(ctx context.Context, cl *kgo.Client, v []byte) error {
	return cl.ProduceSync(ctx, &kgo.Record{Topic: TopicRefunds, Value: v}).FirstErr()
}
