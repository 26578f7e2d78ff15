package gateway

import (
	"context"
	"errors"
	"testing"

	"example.com/shop/models"
	"example.com/shop/payments"
)

func TestChargeIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := NewSimulator()
	a, err := s.Charge(ctx, TokenOK, models.Cents(500), "ord_1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Charge(ctx, TokenOK, models.Cents(500), "ord_1")
	if a != b {
		t.Errorf("retry gave a new charge: %s, %s", a, b)
	}
	if _, err := s.Charge(ctx, TokenOK, models.Cents(600), "ord_1"); err == nil {
		t.Error("reused key with another amount accepted")
	}
}

func TestDeclineAndFlaky(t *testing.T) {
	ctx := context.Background()
	s := NewSimulator()
	if _, err := s.Charge(ctx, TokenDeclined, models.Cents(500), "k"); !errors.Is(err, payments.ErrDeclined) {
		t.Errorf("declined: %v", err)
	}
	if _, err := s.Charge(ctx, TokenFlaky, models.Cents(500), "f"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("flaky first: %v", err)
	}
	if _, err := (Retrying{Next: s, Attempts: 3}).Charge(ctx, TokenFlaky, models.Cents(500), "g"); err != nil {
		t.Errorf("retrying flaky: %v", err)
	}
}

func TestRefundBounded(t *testing.T) {
	ctx := context.Background()
	s := NewSimulator()
	ref, _ := s.Charge(ctx, TokenOK, models.Cents(500), "k")
	if err := s.Refund(ctx, ref, models.Cents(300)); err != nil {
		t.Fatal(err)
	}
	if err := s.Refund(ctx, ref, models.Cents(300)); err == nil {
		t.Error("over-refund accepted")
	}
	if err := s.Refund(ctx, "ch_nope", models.Cents(1)); err == nil {
		t.Error("refund of unknown charge accepted")
	}
}
