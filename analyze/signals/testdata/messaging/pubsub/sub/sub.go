// Package sub receives invoices from Google Pub/Sub.
package sub

import (
	"context"

	"cloud.google.com/go/pubsub/v2"
)

// Receive handles every issued invoice.
func Receive(ctx context.Context, c *pubsub.Client, handle func(string)) error {
	return c.Subscriber("invoices-issued").Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		handle(string(m.Data))
		m.Ack()
	})
}
