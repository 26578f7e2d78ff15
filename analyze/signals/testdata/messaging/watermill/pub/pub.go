// Package pub publishes placed orders through Watermill.
package pub

import (
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// TopicPlaced is where placed orders go.
const TopicPlaced = "orders.placed"

// Place publishes one placed order.
func Place(p message.Publisher, id string) error {
	return p.Publish(TopicPlaced, message.NewMessage(watermill.NewUUID(), []byte(id)))
}
