// Package payments charges orders for the extracted service. The monolith's payments domain
// has no charge API over HTTP yet (it was only ever called in-process), so until it has one
// the service charges through this simulator of the same card processor: the monolith's test
// tokens behave the same, but the charge is not recorded in the monolith's payments table.
// The README lists this as work the extraction leaves open.
package payments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"example.com/shop-orders/orders"
)

// Test card tokens, as in the monolith's gateway.
const (
	TokenOK       = "tok_visa"
	TokenDeclined = "tok_declined"
	TokenFlaky    = "tok_flaky"
)

// Simulator implements orders.Payments: tok_declined is declined, every other token is charged.
type Simulator struct{}

var _ orders.Payments = Simulator{}

// Charge captures amount for the order and returns a payment id; a declined card returns the
// id of the failed payment and an error wrapping orders.ErrPaymentDeclined.
func (Simulator) Charge(ctx context.Context, orderID, userID string, amount orders.Money, token string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := "pay_" + hex.EncodeToString(b[:])
	if token == TokenDeclined {
		return id, fmt.Errorf("%w: card declined for order %s", orders.ErrPaymentDeclined, orderID)
	}
	if amount.Cents <= 0 {
		return "", fmt.Errorf("payments: order %s: amount %d is not positive", orderID, amount.Cents)
	}
	return id, nil
}
