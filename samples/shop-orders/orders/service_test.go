package orders_test

import (
	"context"
	"errors"
	"testing"

	"example.com/shop-orders/internal/fakeshop"
	"example.com/shop-orders/monolith"
	"example.com/shop-orders/orders"
	"example.com/shop-orders/payments"
)

func newService(t *testing.T) (*orders.Service, *fakeshop.Shop) {
	t.Helper()
	shop, srv := fakeshop.New()
	t.Cleanup(srv.Close)
	c, err := monolith.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &orders.Service{Repo: &orders.MemoryRepo{}, Users: c, Stock: c, Catalog: c, Carts: c, Shipping: c, Payments: payments.Simulator{}}, shop
}

func TestPlace(t *testing.T) {
	ctx := context.Background()
	svc, shop := newService(t)
	o, err := svc.Place(ctx, orders.PlaceInput{UserID: "usr_1", Items: []orders.Item{{SKU: "mug", Quantity: 1}, {SKU: "mug", Quantity: 1}}, CardToken: "tok_visa"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != orders.Paid || o.PaymentID == "" || len(o.Lines) != 1 || o.Lines[0].Quantity != 2 {
		t.Errorf("order = %+v", o)
	}
	if o.Subtotal.Cents != 2400 || o.Shipping.Cents != 490 || o.Total.Cents != 2890 {
		t.Errorf("amounts: subtotal %d shipping %d total %d, want 2400 490 2890", o.Subtotal.Cents, o.Shipping.Cents, o.Total.Cents)
	}
	if o.ShipTo.City != "Paris" {
		t.Errorf("ship_to = %+v, want the user's address", o.ShipTo)
	}
	if !o.UpdatedAt.After(o.CreatedAt) {
		t.Errorf("updated_at %v not after created_at %v: sync versions by it", o.UpdatedAt, o.CreatedAt)
	}
	if got := shop.Level("mug"); got != 3 {
		t.Errorf("mug stock = %d, want 3", got)
	}
	got, err := svc.Get(ctx, o.ID)
	if err != nil || got.Status != orders.Paid {
		t.Errorf("get: %+v, %v", got, err)
	}
	list, err := svc.ListByUser(ctx, "usr_1", 0)
	if err != nil || len(list) != 1 {
		t.Errorf("list: %v, %v", list, err)
	}
}

func TestPlaceFailuresPutStockBack(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		in    orders.PlaceInput
		is    error
		stock map[string]int
	}{
		{"declined", orders.PlaceInput{UserID: "usr_1", Items: []orders.Item{{SKU: "mug", Quantity: 2}}, CardToken: "tok_declined"}, orders.ErrPaymentDeclined, map[string]int{"mug": 5}},
		{"out of stock after taking some", orders.PlaceInput{UserID: "usr_1", Items: []orders.Item{{SKU: "mug", Quantity: 1}, {SKU: "pan", Quantity: 2}}, CardToken: "tok_visa"}, orders.ErrOutOfStock, map[string]int{"mug": 5, "pan": 1}},
		{"unknown sku", orders.PlaceInput{UserID: "usr_1", Items: []orders.Item{{SKU: "mug", Quantity: 1}, {SKU: "zzz", Quantity: 1}}, CardToken: "tok_visa"}, orders.ErrOutOfStock, map[string]int{"mug": 5}},
		{"inactive product", orders.PlaceInput{UserID: "usr_1", Items: []orders.Item{{SKU: "poster", Quantity: 1}}, CardToken: "tok_visa"}, orders.ErrInvalid, map[string]int{"poster": 3}},
		{"unknown user", orders.PlaceInput{UserID: "usr_2", Items: []orders.Item{{SKU: "mug", Quantity: 1}}, CardToken: "tok_visa"}, orders.ErrUserNotFound, map[string]int{"mug": 5}},
		{"too many", orders.PlaceInput{UserID: "usr_1", Items: []orders.Item{{SKU: "mug", Quantity: 21}}, CardToken: "tok_visa"}, orders.ErrInvalid, map[string]int{"mug": 5}},
		{"no card", orders.PlaceInput{UserID: "usr_1", Items: []orders.Item{{SKU: "mug", Quantity: 1}}}, orders.ErrInvalid, map[string]int{"mug": 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, shop := newService(t)
			o, err := svc.Place(ctx, tc.in)
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			for sku, want := range tc.stock {
				if got := shop.Level(sku); got != want {
					t.Errorf("%s stock = %d, want %d (put back)", sku, got, want)
				}
			}
			if tc.is == orders.ErrPaymentDeclined {
				stored, err := svc.Get(ctx, o.ID)
				if err != nil || stored.Status != orders.Failed {
					t.Errorf("declined order stored as %+v, %v; want failed", stored, err)
				}
			}
		})
	}
}

func TestPlaceFromCartClearsIt(t *testing.T) {
	svc, shop := newService(t)
	shop.Carts["usr_1"] = []map[string]any{{"sku": "pan", "quantity": 1}}
	o, err := svc.Place(context.Background(), orders.PlaceInput{UserID: "usr_1", FromCart: true, CardToken: "tok_visa"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Lines) != 1 || o.Lines[0].SKU != "pan" || o.Shipping.Cents != 490 {
		t.Errorf("order = %+v", o)
	}
	if _, ok := shop.Carts["usr_1"]; ok {
		t.Error("cart not cleared")
	}
}

func TestCancel(t *testing.T) {
	ctx := context.Background()
	svc, shop := newService(t)
	o, err := svc.Place(ctx, orders.PlaceInput{UserID: "usr_1", Items: []orders.Item{{SKU: "mug", Quantity: 2}}, CardToken: "tok_visa"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Cancel(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != orders.Cancelled || !c.UpdatedAt.After(o.UpdatedAt) {
		t.Errorf("cancelled = %+v", c)
	}
	if got := shop.Level("mug"); got != 5 {
		t.Errorf("mug stock = %d, want 5 after cancel", got)
	}
	if _, err := svc.Cancel(ctx, o.ID); !errors.Is(err, orders.ErrInvalidTransition) {
		t.Errorf("second cancel: %v, want ErrInvalidTransition", err)
	}
	if _, err := svc.Cancel(ctx, "ord_x"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("cancel of a missing order: %v", err)
	}
}
