// Package pub publishes invoices to Google Pub/Sub.
package pub

import (
	"context"

	"cloud.google.com/go/pubsub/v2"
)

const topic = "invoices-issued"

// Issue publishes one invoice.
func Issue(ctx context.Context, c *pubsub.Client, id string) error {
	p := c.Publisher(topic)
	defer p.Stop()
	_, err := p.Publish(ctx, &pubsub.Message{Data: []byte(id)}).Get(ctx)
	return err
}
