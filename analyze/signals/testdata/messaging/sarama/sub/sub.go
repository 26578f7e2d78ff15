package sub

import (
	"context"

	"github.com/IBM/sarama"
)

// Run consumes payments in a group.
func Run(ctx context.Context, g sarama.ConsumerGroup, h sarama.ConsumerGroupHandler) error {
	return g.Consume(ctx, []string{"payments"}, h)
}
