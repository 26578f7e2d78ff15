// Package events declares the facts the orders domain publishes on the event bus. Shipping,
// payments and notifications subscribe to them: these types are the orders' published contract.
package events

import (
	"time"

	"example.com/shop/models"
)

// Topics the orders domain publishes on.
const (
	TopicOrderPlaced    = "orders.placed"
	TopicOrderCancelled = "orders.cancelled"
)

// Line is a SKU and quantity of an order.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// OrderPlaced is published once an order is paid for.
type OrderPlaced struct {
	OrderID   string         `json:"order_id"`
	UserID    string         `json:"user_id"`
	PaymentID string         `json:"payment_id"`
	Lines     []Line         `json:"lines"`
	Total     models.Money   `json:"total"`
	ShipTo    models.Address `json:"ship_to"`
	PlacedAt  time.Time      `json:"placed_at"`
}

// OrderCancelled is published when a paid or pending order is cancelled.
type OrderCancelled struct {
	OrderID     string    `json:"order_id"`
	UserID      string    `json:"user_id"`
	PaymentID   string    `json:"payment_id,omitempty"`
	Lines       []Line    `json:"lines"`
	Reason      string    `json:"reason"`
	CancelledAt time.Time `json:"cancelled_at"`
}

// LinesOf converts an order's lines to event lines.
func LinesOf(lines []models.OrderLine) []Line {
	out := make([]Line, len(lines))
	for i, l := range lines {
		out[i] = Line{SKU: l.SKU, Quantity: l.Quantity}
	}
	return out
}
