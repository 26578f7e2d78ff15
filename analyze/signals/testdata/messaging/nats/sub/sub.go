package sub

import "github.com/nats-io/nats.go"

// Listen consumes created orders in a queue group.
func Listen(nc *nats.Conn) (*nats.Subscription, error) {
	return nc.QueueSubscribe("orders.created", "shipping", func(m *nats.Msg) {})
}
