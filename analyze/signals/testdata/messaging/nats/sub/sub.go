package sub

import (
	"os"

	"github.com/nats-io/nats.go"
)

// Listen consumes created orders in a queue group.
func Listen(nc *nats.Conn) (*nats.Subscription, error) {
	return nc.QueueSubscribe("orders.created", "shipping", func(m *nats.Msg) {})
}

// Tail follows a subject an operator configures: carve cannot see it.
func Tail(nc *nats.Conn) (*nats.Subscription, error) {
	return nc.SubscribeSync(os.Getenv("TAIL_SUBJECT"))
}
