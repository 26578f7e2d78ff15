package models

import "testing"

func TestMoney(t *testing.T) {
	m := Cents(1999).Times(3).Add(Cents(3))
	if m.Cents != 6000 || m.String() != "60.00 EUR" {
		t.Errorf("m = %v (%d)", m, m.Cents)
	}
	if s := Cents(-5).String(); s != "-0.05 EUR" {
		t.Errorf("negative = %s", s)
	}
	if s := (Money{}).Add(Cents(1)).Currency; s != Currency {
		t.Errorf("empty currency should take the other's, got %q", s)
	}
}

func TestAddressValidate(t *testing.T) {
	ok := Address{Name: "Ada", Line1: "1 Main St", City: "Paris", PostalCode: "75001", Country: "FR"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := ok
	bad.City, bad.Name = "", ""
	if err := bad.Validate(); err == nil || err.Error() != "address: missing city, name" {
		t.Errorf("err = %v", err)
	}
	bad = ok
	bad.Country = "fr"
	if bad.Validate() == nil {
		t.Error("lower-case country accepted")
	}
}

func TestOrderStatusTransitions(t *testing.T) {
	for _, tc := range []struct {
		from, to OrderStatus
		ok       bool
	}{
		{OrderPending, OrderPaid, true},
		{OrderPaid, OrderShipped, true},
		{OrderPaid, OrderCancelled, true},
		{OrderShipped, OrderCancelled, false},
		{OrderCancelled, OrderPaid, false},
		{OrderPending, OrderShipped, false},
	} {
		if got := tc.from.CanMoveTo(tc.to); got != tc.ok {
			t.Errorf("%s -> %s = %v", tc.from, tc.to, got)
		}
	}
}

func TestSubtotal(t *testing.T) {
	lines := []OrderLine{{Quantity: 2, UnitPrice: Cents(250)}, {Quantity: 1, UnitPrice: Cents(100)}}
	if got := Subtotal(lines); got.Cents != 600 {
		t.Errorf("subtotal = %v", got)
	}
}
