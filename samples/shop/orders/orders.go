// Package orders places, cancels and tracks orders. This package is the business logic and its
// ports; orders/api is the HTTP handler, orders/store the DynamoDB repository (in the shared
// single table) and orders/events the events the domain publishes.
package orders

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"example.com/shop/models"
	orderevents "example.com/shop/orders/events"
	"example.com/shop/payments"
	"example.com/shop/platform/events"
	"example.com/shop/platform/ids"
	"example.com/shop/platform/logging"
	"example.com/shop/platform/metrics"
	"example.com/shop/shipping"
)

// MaxQuantity is the most units of one SKU an order takes.
const MaxQuantity = 20

// Errors of the orders domain.
var (
	ErrNotFound        = errors.New("orders: order not found")
	ErrExists          = errors.New("orders: order already exists")
	ErrInvalid         = errors.New("orders: invalid order")
	ErrPaymentDeclined = errors.New("orders: payment declined")
	ErrConflict        = errors.New("orders: order changed concurrently")
)

// Repository stores orders. orders/store implements it on the shared table.
type Repository interface {
	Create(ctx context.Context, o models.Order) error
	Get(ctx context.Context, id string) (models.Order, error)
	// ListByUser returns the user's orders, newest first, at most limit of them.
	ListByUser(ctx context.Context, userID string, limit int) ([]models.Order, error)
	// Update replaces o if its stored status is still expect, else fails with ErrConflict.
	Update(ctx context.Context, o models.Order, expect models.OrderStatus) error
}

// Catalog prices products; *catalog.Service implements it.
type Catalog interface {
	Sellable(ctx context.Context, sku string) (models.Product, error)
}

// Payments takes the payment of an order; *payments.Service implements it. A declined card is
// an error wrapping payments.ErrDeclined.
type Payments interface {
	ChargeOrder(ctx context.Context, orderID, userID string, amount models.Money, cardToken string) (paymentID string, err error)
}

// Service is the orders business logic.
type Service struct {
	Repo     Repository
	Catalog  Catalog
	Payments Payments
	Events   events.Publisher
	IDs      ids.Generator
	Clock    ids.Clock
}

// Item is a SKU and quantity asked for.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// PlaceInput is an order to place.
type PlaceInput struct {
	UserID    string
	Items     []Item
	ShipTo    models.Address
	CardToken string
}

// MergeItems adds up the quantities of repeated SKUs and sorts by SKU.
func MergeItems(items []Item) []Item {
	qty := map[string]int{}
	for _, it := range items {
		qty[strings.TrimSpace(it.SKU)] += it.Quantity
	}
	out := make([]Item, 0, len(qty))
	for sku, q := range qty {
		out = append(out, Item{SKU: sku, Quantity: q})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out
}

// Validate checks an order before anything is priced, reserved or charged.
func (in PlaceInput) Validate() error {
	if in.UserID == "" {
		return fmt.Errorf("%w: user_id is required", ErrInvalid)
	}
	if len(in.Items) == 0 {
		return fmt.Errorf("%w: no items", ErrInvalid)
	}
	for _, it := range MergeItems(in.Items) {
		if it.SKU == "" {
			return fmt.Errorf("%w: item without sku", ErrInvalid)
		}
		if it.Quantity <= 0 || it.Quantity > MaxQuantity {
			return fmt.Errorf("%w: quantity %d of %s not in 1..%d", ErrInvalid, it.Quantity, it.SKU, MaxQuantity)
		}
	}
	if err := in.ShipTo.Validate(); err != nil {
		return fmt.Errorf("%w: ship_to: %v", ErrInvalid, err)
	}
	if in.CardToken == "" {
		return fmt.Errorf("%w: card_token is required", ErrInvalid)
	}
	return nil
}

// Place prices, stores and charges an order, then publishes OrderPlaced. Stock is the caller's
// business (see orders/api). A declined card leaves a failed order and returns it with an error
// wrapping ErrPaymentDeclined.
func (s *Service) Place(ctx context.Context, in PlaceInput) (models.Order, error) {
	if err := in.Validate(); err != nil {
		return models.Order{}, err
	}
	now := s.Clock.Now()
	o := models.Order{
		ID: s.IDs.New("ord"), UserID: in.UserID, Status: models.OrderPending,
		ShipTo: in.ShipTo, CreatedAt: now, UpdatedAt: now,
	}
	for _, it := range MergeItems(in.Items) {
		p, err := s.Catalog.Sellable(ctx, it.SKU)
		if err != nil {
			return models.Order{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		o.Lines = append(o.Lines, models.OrderLine{SKU: p.SKU, Name: p.Name, Quantity: it.Quantity, UnitPrice: p.Price})
	}
	o.Subtotal = models.Subtotal(o.Lines)
	o.Shipping = shipping.Quote(o.Subtotal, o.ShipTo.Country)
	o.Total = o.Subtotal.Add(o.Shipping)
	if err := s.Repo.Create(ctx, o); err != nil {
		return models.Order{}, fmt.Errorf("orders: storing %s: %w", o.ID, err)
	}

	paymentID, err := s.Payments.ChargeOrder(ctx, o.ID, o.UserID, o.Total, in.CardToken)
	if errors.Is(err, payments.ErrDeclined) {
		o.Status, o.PaymentID, o.UpdatedAt = models.OrderFailed, paymentID, s.Clock.Now()
		if uerr := s.Repo.Update(ctx, o, models.OrderPending); uerr != nil {
			return models.Order{}, fmt.Errorf("orders: marking %s failed: %w", o.ID, uerr)
		}
		metrics.Default.Inc("orders_declined_total")
		return o, fmt.Errorf("%w: order %s", ErrPaymentDeclined, o.ID)
	}
	if err != nil {
		return models.Order{}, fmt.Errorf("orders: charging %s: %w", o.ID, err)
	}
	o.Status, o.PaymentID, o.UpdatedAt = models.OrderPaid, paymentID, s.Clock.Now()
	if err := s.Repo.Update(ctx, o, models.OrderPending); err != nil {
		return models.Order{}, fmt.Errorf("orders: marking %s paid: %w", o.ID, err)
	}
	metrics.Default.Inc("orders_placed_total")
	metrics.Default.Add("orders_revenue_cents", o.Total.Cents)
	s.publish(ctx, orderevents.TopicOrderPlaced, orderevents.OrderPlaced{
		OrderID: o.ID, UserID: o.UserID, PaymentID: o.PaymentID, Lines: orderevents.LinesOf(o.Lines),
		Total: o.Total, ShipTo: o.ShipTo, PlacedAt: o.UpdatedAt,
	})
	return o, nil
}

// Get returns one order.
func (s *Service) Get(ctx context.Context, id string) (models.Order, error) {
	return s.Repo.Get(ctx, id)
}

// ListByUser returns a user's most recent orders.
func (s *Service) ListByUser(ctx context.Context, userID string, limit int) ([]models.Order, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	return s.Repo.ListByUser(ctx, userID, limit)
}

// Cancel cancels a pending or paid order and publishes OrderCancelled (payments refunds,
// shipping cancels the parcel). It returns the cancelled order; putting its stock back is the
// caller's business, as taking it was.
func (s *Service) Cancel(ctx context.Context, id, reason string) (models.Order, error) {
	o, err := s.Repo.Get(ctx, id)
	if err != nil {
		return models.Order{}, err
	}
	if !o.Status.CanMoveTo(models.OrderCancelled) {
		return models.Order{}, fmt.Errorf("%w: %s is %s", models.ErrInvalidTransition, id, o.Status)
	}
	prev := o.Status
	o.Status, o.UpdatedAt = models.OrderCancelled, s.Clock.Now()
	if err := s.Repo.Update(ctx, o, prev); err != nil {
		return models.Order{}, fmt.Errorf("orders: cancelling %s: %w", id, err)
	}
	metrics.Default.Inc("orders_cancelled_total")
	s.publish(ctx, orderevents.TopicOrderCancelled, orderevents.OrderCancelled{
		OrderID: o.ID, UserID: o.UserID, PaymentID: o.PaymentID, Lines: orderevents.LinesOf(o.Lines),
		Reason: reason, CancelledAt: o.UpdatedAt,
	})
	return o, nil
}

// OnShipmentDispatched marks the order shipped with its tracking number.
func (s *Service) OnShipmentDispatched(ctx context.Context, ev shipping.ShipmentDispatched) error {
	o, err := s.Repo.Get(ctx, ev.OrderID)
	if err != nil {
		return err
	}
	if o.Status == models.OrderShipped {
		return nil // duplicate delivery
	}
	if !o.Status.CanMoveTo(models.OrderShipped) {
		return fmt.Errorf("%w: %s is %s", models.ErrInvalidTransition, o.ID, o.Status)
	}
	prev := o.Status
	o.Status, o.Tracking, o.UpdatedAt = models.OrderShipped, ev.Tracking, s.Clock.Now()
	return s.Repo.Update(ctx, o, prev)
}

func (s *Service) publish(ctx context.Context, topic string, ev any) {
	if err := s.Events.Publish(ctx, topic, ev); err != nil {
		logging.From(ctx).WarnContext(ctx, "publishing order event", "topic", topic, "err", err)
	}
}
