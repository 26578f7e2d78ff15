package sub

import amqp "github.com/rabbitmq/amqp091-go"

const queue = "shipping-orders"

// Consume binds the shipping queue to created orders and reads it.
func Consume(ch *amqp.Channel) (<-chan amqp.Delivery, error) {
	if err := ch.QueueBind(queue, "order.created", "orders", false, nil); err != nil {
		return nil, err
	}
	return ch.Consume(queue, "shipping", false, false, false, false, nil)
}
