package payments

import (
	"context"
	"errors"
	"strings"
	"testing"

	"example.com/shop-orders/orders"
)

func TestSimulator(t *testing.T) {
	ctx := context.Background()
	id, err := Simulator{}.Charge(ctx, "ord_1", "usr_1", orders.Cents(1200), TokenOK)
	if err != nil || !strings.HasPrefix(id, "pay_") {
		t.Errorf("tok_visa: %q, %v", id, err)
	}
	id, err = Simulator{}.Charge(ctx, "ord_1", "usr_1", orders.Cents(1200), TokenDeclined)
	if !errors.Is(err, orders.ErrPaymentDeclined) || id == "" {
		t.Errorf("tok_declined: %q, %v; want a failed payment's id and ErrPaymentDeclined", id, err)
	}
	if _, err := (Simulator{}).Charge(ctx, "ord_1", "usr_1", orders.Cents(0), TokenOK); err == nil {
		t.Error("a zero amount was charged")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := (Simulator{}).Charge(cctx, "ord_1", "usr_1", orders.Cents(1), TokenOK); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}
