package orders_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"example.com/shop/models"
	"example.com/shop/orders"
	orderevents "example.com/shop/orders/events"
	"example.com/shop/payments"
	"example.com/shop/platform/events"
	"example.com/shop/platform/ids"
	"example.com/shop/shipping"
)

type catalog map[string]models.Product

func (c catalog) Sellable(_ context.Context, sku string) (models.Product, error) {
	p, ok := c[sku]
	if !ok {
		return models.Product{}, fmt.Errorf("no product %s", sku)
	}
	return p, nil
}

type charger struct {
	charged []models.Money
}

func (c *charger) ChargeOrder(_ context.Context, orderID, _ string, amount models.Money, token string) (string, error) {
	if token == "tok_declined" {
		return "pay_declined", fmt.Errorf("gateway said no: %w", payments.ErrDeclined)
	}
	c.charged = append(c.charged, amount)
	return "pay_" + orderID, nil
}

var paris = models.Address{Name: "Ada", Line1: "1 Rue", City: "Paris", PostalCode: "75001", Country: "FR"}

func newService() (*orders.Service, *charger, *events.Recorder) {
	ch := &charger{}
	rec := &events.Recorder{}
	return &orders.Service{
		Repo: orders.NewMemoryRepo(),
		Catalog: catalog{
			"mug": {SKU: "mug", Name: "Mug", Price: models.Cents(1200), Active: true},
			"pan": {SKU: "pan", Name: "Pan", Price: models.Cents(4500), Active: true},
		},
		Payments: ch,
		Events:   rec,
		IDs:      &ids.Sequence{},
		Clock:    ids.NewFixedClock(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)),
	}, ch, rec
}

func TestPlacePricesChargesAndPublishes(t *testing.T) {
	defer func(old int64) { shipping.FreeShippingOver = old }(shipping.FreeShippingOver)
	shipping.FreeShippingOver = 5000
	ctx := context.Background()
	s, ch, rec := newService()
	o, err := s.Place(ctx, orders.PlaceInput{
		UserID: "usr_1", ShipTo: paris, CardToken: "tok_visa",
		Items: []orders.Item{{SKU: "mug", Quantity: 1}, {SKU: "mug", Quantity: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != models.OrderPaid || o.PaymentID != "pay_ord_1" {
		t.Errorf("order = %+v", o)
	}
	if len(o.Lines) != 1 || o.Lines[0].Quantity != 2 {
		t.Errorf("lines not merged: %+v", o.Lines)
	}
	if o.Subtotal.Cents != 2400 || o.Shipping.Cents != shipping.DomesticRate || o.Total.Cents != 2400+shipping.DomesticRate {
		t.Errorf("totals = %v + %v = %v", o.Subtotal, o.Shipping, o.Total)
	}
	if len(ch.charged) != 1 || ch.charged[0] != o.Total {
		t.Errorf("charged %v, want %v", ch.charged, o.Total)
	}
	if len(rec.Events) != 1 || rec.Events[0].Topic != orderevents.TopicOrderPlaced {
		t.Fatalf("events = %v", rec.Topics())
	}
	placed := rec.Events[0].Payload.(orderevents.OrderPlaced)
	if placed.OrderID != o.ID || placed.Lines[0].Quantity != 2 {
		t.Errorf("event = %+v", placed)
	}
	stored, _ := s.Get(ctx, o.ID)
	if stored.Status != models.OrderPaid {
		t.Errorf("stored status = %s", stored.Status)
	}
}

func TestPlaceFreeShipping(t *testing.T) {
	defer func(old int64) { shipping.FreeShippingOver = old }(shipping.FreeShippingOver)
	shipping.FreeShippingOver = 5000
	s, _, _ := newService()
	o, err := s.Place(context.Background(), orders.PlaceInput{
		UserID: "usr_1", ShipTo: paris, CardToken: "tok_visa",
		Items: []orders.Item{{SKU: "pan", Quantity: 1}, {SKU: "mug", Quantity: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.Shipping.Cents != 0 || o.Total.Cents != 5700 {
		t.Errorf("shipping %v total %v", o.Shipping, o.Total)
	}
}

func TestPlaceDeclined(t *testing.T) {
	ctx := context.Background()
	s, _, rec := newService()
	o, err := s.Place(ctx, orders.PlaceInput{UserID: "usr_1", ShipTo: paris, CardToken: "tok_declined", Items: []orders.Item{{SKU: "mug", Quantity: 1}}})
	if !errors.Is(err, orders.ErrPaymentDeclined) {
		t.Fatalf("err = %v", err)
	}
	if o.Status != models.OrderFailed {
		t.Errorf("status = %s", o.Status)
	}
	if len(rec.Events) != 0 {
		t.Errorf("published on decline: %v", rec.Topics())
	}
}

func TestPlaceValidation(t *testing.T) {
	s, ch, _ := newService()
	for name, in := range map[string]orders.PlaceInput{
		"no user":     {ShipTo: paris, CardToken: "t", Items: []orders.Item{{SKU: "mug", Quantity: 1}}},
		"no items":    {UserID: "u", ShipTo: paris, CardToken: "t"},
		"zero qty":    {UserID: "u", ShipTo: paris, CardToken: "t", Items: []orders.Item{{SKU: "mug"}}},
		"too many":    {UserID: "u", ShipTo: paris, CardToken: "t", Items: []orders.Item{{SKU: "mug", Quantity: 15}, {SKU: "mug", Quantity: 15}}},
		"bad address": {UserID: "u", CardToken: "t", Items: []orders.Item{{SKU: "mug", Quantity: 1}}},
		"no card":     {UserID: "u", ShipTo: paris, Items: []orders.Item{{SKU: "mug", Quantity: 1}}},
		"unknown sku": {UserID: "u", ShipTo: paris, CardToken: "t", Items: []orders.Item{{SKU: "ghost", Quantity: 1}}},
	} {
		if _, err := s.Place(context.Background(), in); !errors.Is(err, orders.ErrInvalid) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if len(ch.charged) != 0 {
		t.Errorf("charged invalid orders: %v", ch.charged)
	}
}

func TestCancelAndShip(t *testing.T) {
	ctx := context.Background()
	s, _, rec := newService()
	place := func() models.Order {
		o, err := s.Place(ctx, orders.PlaceInput{UserID: "usr_1", ShipTo: paris, CardToken: "tok_visa", Items: []orders.Item{{SKU: "mug", Quantity: 3}}})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	a := place()
	cancelled, err := s.Cancel(ctx, a.ID, "changed my mind")
	if err != nil || cancelled.Status != models.OrderCancelled {
		t.Fatalf("cancel = %+v, %v", cancelled, err)
	}
	if topics := rec.Topics(); topics[len(topics)-1] != orderevents.TopicOrderCancelled {
		t.Errorf("events = %v", topics)
	}
	if _, err := s.Cancel(ctx, a.ID, "again"); !errors.Is(err, models.ErrInvalidTransition) {
		t.Errorf("second cancel: %v", err)
	}

	b := place()
	ev := shipping.ShipmentDispatched{OrderID: b.ID, Tracking: "COLIS-1"}
	for range 2 {
		if err := s.OnShipmentDispatched(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Get(ctx, b.ID)
	if got.Status != models.OrderShipped || got.Tracking != "COLIS-1" {
		t.Errorf("after dispatch = %+v", got)
	}
	if _, err := s.Cancel(ctx, b.ID, "too late"); !errors.Is(err, models.ErrInvalidTransition) {
		t.Errorf("cancel shipped: %v", err)
	}
	list, _ := s.ListByUser(ctx, "usr_1", 0)
	if len(list) != 2 || list[0].ID != b.ID {
		t.Errorf("list = %d orders, first %s", len(list), list[0].ID)
	}
}
