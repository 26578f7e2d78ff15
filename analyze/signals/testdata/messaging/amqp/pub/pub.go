package pub

import (
	"context"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Exchange is where order events go.
const Exchange = "orders"

// Created publishes an order.created event.
func Created(ctx context.Context, ch *amqp.Channel, body []byte) error {
	return ch.PublishWithContext(ctx, Exchange, "order.created", false, false, amqp.Publishing{Body: body})
}
