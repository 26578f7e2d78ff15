// Command app wires the services on one bus: the subscriptions it makes are the handlers'.
package main

import (
	"example.com/bus/billing"
	"example.com/bus/events"
	"example.com/bus/shipping"
)

func main() {
	b := &events.Bus{}
	billing.Start(b)
	b.Subscribe(events.OrderPaid, shipping.OnPaid)
}
