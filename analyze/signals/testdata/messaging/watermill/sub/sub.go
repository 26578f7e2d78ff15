// Package sub handles placed orders and publishes their invoices.
package sub

import (
	"github.com/ThreeDotsLabs/watermill/message"
)

// Register adds the handlers to the router.
func Register(r *message.Router, s message.Subscriber, p message.Publisher) {
	r.AddHandler("invoice", "orders.placed", s, "invoices.created", p, func(m *message.Message) ([]*message.Message, error) {
		return []*message.Message{m}, nil
	})
	r.AddNoPublisherHandler("audit", "invoices.created", s, func(m *message.Message) error { return nil })
}
