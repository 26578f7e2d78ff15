package orders

import "example.com/bus/events"

// Place places an order and tells whoever listens.
func Place(b *events.Bus, id string) {
	b.Publish(events.OrderPlaced, id)
}
