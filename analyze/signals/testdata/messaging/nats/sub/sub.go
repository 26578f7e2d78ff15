package sub

import (
	"context"
	"os"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Listen consumes created orders in a queue group.
func Listen(nc *nats.Conn) (*nats.Subscription, error) {
	return nc.QueueSubscribe("orders.created", "shipping", func(m *nats.Msg) {})
}

// Tail follows a subject an operator configures: carve cannot see it.
func Tail(nc *nats.Conn) (*nats.Subscription, error) {
	return nc.SubscribeSync(os.Getenv("TAIL_SUBJECT"))
}

// Audit reads the audit stream through a JetStream consumer filtered on its subject.
func Audit(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	return js.CreateOrUpdateConsumer(ctx, "ORDERS", jetstream.ConsumerConfig{Durable: "audit", FilterSubject: "orders.audit"})
}
