package orders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Shipping quotes the shipping cost of an order (in the monolith: GET /shipping/quote).
type Shipping interface {
	Quote(ctx context.Context, subtotal Money, country string) (Money, error)
}

// Service places, reads and cancels orders. What the monolith did in-process — reading the
// customer, taking stock, reading the cart, pricing, quoting shipping — goes through the ports.
type Service struct {
	Repo     Repository
	Users    Users
	Stock    Stock
	Catalog  Catalog
	Carts    Carts
	Shipping Shipping
	Payments Payments
	Log      *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// PlaceInput is an order to place: Items, or FromCart; ShipTo defaults to the user's address.
type PlaceInput struct {
	UserID    string   `json:"user_id"`
	Items     []Item   `json:"items,omitempty"`
	FromCart  bool     `json:"from_cart,omitempty"`
	ShipTo    *Address `json:"ship_to,omitempty"`
	CardToken string   `json:"card_token"`
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Place places an order as the monolith did: the customer and the cart are read, the stock
// taken (and put back if anything later fails), the lines priced, the order stored pending,
// the card charged, and the order stored paid (or failed, returned with an error wrapping
// ErrPaymentDeclined). The cart is emptied after a from_cart order.
func (s *Service) Place(ctx context.Context, in PlaceInput) (Order, error) {
	if in.UserID == "" {
		return Order{}, fmt.Errorf("%w: user_id is required", ErrInvalid)
	}
	if in.FromCart && len(in.Items) > 0 {
		return Order{}, fmt.Errorf("%w: give items or from_cart, not both", ErrInvalid)
	}
	user, err := s.Users.User(ctx, in.UserID)
	if err != nil {
		return Order{}, err
	}
	var shipTo Address
	switch {
	case in.ShipTo != nil:
		shipTo = *in.ShipTo
	case user.Address != nil:
		shipTo = *user.Address
	}
	items := in.Items
	if in.FromCart {
		if items, err = s.Carts.Items(ctx, user.ID); err != nil {
			return Order{}, err
		}
	}
	if err := validate(items, shipTo, in.CardToken); err != nil {
		return Order{}, err
	}
	items = MergeItems(items)

	var taken []Item
	defer func() {
		if taken != nil {
			s.putBack(ctx, taken)
		}
	}()
	for _, it := range items {
		if err := s.Stock.Adjust(ctx, it.SKU, -it.Quantity); err != nil {
			return Order{}, err
		}
		taken = append(taken, it)
	}

	now := s.now()
	o := Order{ID: NewID(), UserID: user.ID, Status: Pending, ShipTo: shipTo, CreatedAt: now, UpdatedAt: now}
	sub := Cents(0)
	for _, it := range items {
		p, err := s.Catalog.Product(ctx, it.SKU)
		if err != nil {
			return Order{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if !p.Active {
			return Order{}, fmt.Errorf("%w: product %s is not for sale", ErrInvalid, it.SKU)
		}
		o.Lines = append(o.Lines, Line{SKU: p.SKU, Name: p.Name, Quantity: it.Quantity, UnitPrice: p.Price})
		sub = sub.Add(Money{Cents: p.Price.Cents * int64(it.Quantity), Currency: p.Price.Currency})
	}
	o.Subtotal = sub
	if o.Shipping, err = s.Shipping.Quote(ctx, sub, shipTo.Country); err != nil {
		return Order{}, fmt.Errorf("orders: quoting shipping for %s: %w", o.ID, err)
	}
	o.Total = o.Subtotal.Add(o.Shipping)
	if err := s.Repo.Create(ctx, o); err != nil {
		return Order{}, fmt.Errorf("orders: storing %s: %w", o.ID, err)
	}

	paymentID, err := s.Payments.Charge(ctx, o.ID, o.UserID, o.Total, in.CardToken)
	if errors.Is(err, ErrPaymentDeclined) {
		prev := o
		o.Status, o.PaymentID, o.UpdatedAt = Failed, paymentID, s.later(prev.UpdatedAt)
		if uerr := s.Repo.Update(ctx, o, Pending); uerr != nil {
			return Order{}, fmt.Errorf("orders: marking %s failed: %w", o.ID, uerr)
		}
		return o, fmt.Errorf("%w: order %s", ErrPaymentDeclined, o.ID)
	}
	if err != nil {
		return Order{}, fmt.Errorf("orders: charging %s: %w", o.ID, err)
	}
	o.Status, o.PaymentID, o.UpdatedAt = Paid, paymentID, s.later(o.UpdatedAt)
	if err := s.Repo.Update(ctx, o, Pending); err != nil {
		return Order{}, fmt.Errorf("orders: marking %s paid: %w", o.ID, err)
	}
	taken = nil // the order stands: keep the stock
	if in.FromCart {
		if err := s.Carts.Clear(ctx, user.ID); err != nil {
			s.log().WarnContext(ctx, "clearing cart after order", "user_id", user.ID, "order_id", o.ID, "err", err)
		}
	}
	return o, nil
}

// later is now, or just after prev when the clock has not moved: every write of an order must
// carry a higher updated_at than the last, since sync versions by it.
func (s *Service) later(prev time.Time) time.Time {
	if t := s.now(); t.After(prev) {
		return t
	}
	return prev.Add(time.Microsecond)
}

func validate(items []Item, shipTo Address, token string) error {
	if len(items) == 0 {
		return fmt.Errorf("%w: no items", ErrInvalid)
	}
	for _, it := range MergeItems(items) {
		if it.SKU == "" {
			return fmt.Errorf("%w: item without sku", ErrInvalid)
		}
		if it.Quantity <= 0 || it.Quantity > MaxQuantity {
			return fmt.Errorf("%w: quantity %d of %s not in 1..%d", ErrInvalid, it.Quantity, it.SKU, MaxQuantity)
		}
	}
	if err := shipTo.Validate(); err != nil {
		return fmt.Errorf("%w: ship_to: %v", ErrInvalid, err)
	}
	if token == "" {
		return fmt.Errorf("%w: card_token is required", ErrInvalid)
	}
	return nil
}

// putBack returns stock taken for an order that did not happen, even if the client has gone.
func (s *Service) putBack(ctx context.Context, items []Item) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, it := range items {
		if err := s.Stock.Adjust(ctx, it.SKU, it.Quantity); err != nil {
			s.log().ErrorContext(ctx, "putting stock back", "sku", it.SKU, "quantity", it.Quantity, "err", err)
		}
	}
}

// Get returns one order.
func (s *Service) Get(ctx context.Context, id string) (Order, error) {
	return s.Repo.Get(ctx, id)
}

// ListByUser returns a user's most recent orders (limit 1..100, default 20).
func (s *Service) ListByUser(ctx context.Context, userID string, limit int) ([]Order, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	return s.Repo.ListByUser(ctx, userID, limit)
}

// Cancel cancels a pending or paid order and puts its stock back. The refund stays with the
// monolith's payments (see README: what the extraction leaves open).
func (s *Service) Cancel(ctx context.Context, id string) (Order, error) {
	o, err := s.Repo.Get(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if !o.Status.CanMoveTo(Cancelled) {
		return Order{}, fmt.Errorf("%w: %s is %s", ErrInvalidTransition, id, o.Status)
	}
	prev := o.Status
	o.Status, o.UpdatedAt = Cancelled, s.later(o.UpdatedAt)
	if err := s.Repo.Update(ctx, o, prev); err != nil {
		return Order{}, fmt.Errorf("orders: cancelling %s: %w", id, err)
	}
	items := make([]Item, len(o.Lines))
	for i, l := range o.Lines {
		items[i] = Item{SKU: l.SKU, Quantity: l.Quantity}
	}
	s.putBack(ctx, items)
	return o, nil
}
