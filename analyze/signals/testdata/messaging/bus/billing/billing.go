package billing

import "example.com/bus/events"

// Start charges placed orders.
func Start(b *events.Bus) {
	b.Subscribe(events.OrderPlaced, func(ev any) { charge(b, ev.(string)) })
}

func charge(b *events.Bus, id string) { b.Publish(events.OrderPaid, id) }
