package sub

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"example.com/franz/pub"
)

// New consumes refunds in the ledger group.
func New() (*kgo.Client, error) {
	return kgo.NewClient(kgo.SeedBrokers("localhost:9092"), kgo.ConsumerGroup("ledger"), kgo.ConsumeTopics(pub.TopicRefunds))
}
