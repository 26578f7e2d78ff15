package pub

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const subjectCreated = "orders.created"

// Created announces an order.
func Created(nc *nats.Conn, js jetstream.JetStream, id string) error {
	if err := nc.Publish(subjectCreated, []byte(id)); err != nil {
		return err
	}
	_, err := js.Publish(context.Background(), "orders.audit", []byte(id))
	return err
}
