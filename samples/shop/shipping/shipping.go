package shipping

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"example.com/shop/models"
	orderevents "example.com/shop/orders/events"
	"example.com/shop/platform/events"
	"example.com/shop/platform/ids"
	"example.com/shop/platform/logging"
	"example.com/shop/platform/metrics"
)

// Errors of the shipping domain.
var (
	ErrNotFound    = errors.New("shipping: shipment not found")
	ErrExists      = errors.New("shipping: shipment already exists")
	ErrWrongStatus = errors.New("shipping: shipment is not in the right status")
)

// Status of a shipment.
type Status string

// Shipment statuses.
const (
	Pending    Status = "pending"
	Dispatched Status = "dispatched"
	Cancelled  Status = "cancelled"
)

// Shipment is the parcel of one order.
type Shipment struct {
	ID           string         `json:"id" dynamodbav:"id"`
	OrderID      string         `json:"order_id" dynamodbav:"order_id"`
	UserID       string         `json:"user_id" dynamodbav:"user_id"`
	Status       Status         `json:"status" dynamodbav:"status"`
	Items        int            `json:"items" dynamodbav:"items"`
	ShipTo       models.Address `json:"ship_to" dynamodbav:"ship_to"`
	Carrier      string         `json:"carrier,omitempty" dynamodbav:"carrier,omitempty"`
	Tracking     string         `json:"tracking,omitempty" dynamodbav:"tracking,omitempty"`
	CreatedAt    time.Time      `json:"created_at" dynamodbav:"created_at"`
	DispatchedAt *time.Time     `json:"dispatched_at,omitempty" dynamodbav:"dispatched_at,omitempty"`
}

// IDForOrder is the shipment ID of an order: one shipment per order, so creating it from an
// event delivered twice is harmless.
func IDForOrder(orderID string) string { return "shp_" + strings.TrimPrefix(orderID, "ord_") }

// TopicShipmentDispatched is published when a parcel leaves the warehouse.
const TopicShipmentDispatched = "shipping.dispatched"

// ShipmentDispatched is the event the orders and notifications domains react to.
type ShipmentDispatched struct {
	ShipmentID   string    `json:"shipment_id"`
	OrderID      string    `json:"order_id"`
	UserID       string    `json:"user_id"`
	Carrier      string    `json:"carrier"`
	Tracking     string    `json:"tracking"`
	DispatchedAt time.Time `json:"dispatched_at"`
}

// Repository stores shipments. Store implements it on DynamoDB.
type Repository interface {
	Create(ctx context.Context, s Shipment) error
	Get(ctx context.Context, id string) (Shipment, error)
	// Update replaces s if its stored status is still expect.
	Update(ctx context.Context, s Shipment, expect Status) error
}

// Service is the shipping business logic.
type Service struct {
	Repo   Repository
	Events events.Publisher
	Clock  ids.Clock
	// Carrier is the carrier used for dispatches; one contract, one carrier.
	Carrier string
}

// OnOrderPlaced creates the order's shipment. It is idempotent.
func (s *Service) OnOrderPlaced(ctx context.Context, ev orderevents.OrderPlaced) error {
	items := 0
	for _, l := range ev.Lines {
		items += l.Quantity
	}
	sh := Shipment{
		ID: IDForOrder(ev.OrderID), OrderID: ev.OrderID, UserID: ev.UserID,
		Status: Pending, Items: items, ShipTo: ev.ShipTo, CreatedAt: s.Clock.Now(),
	}
	err := s.Repo.Create(ctx, sh)
	if errors.Is(err, ErrExists) {
		logging.From(ctx).InfoContext(ctx, "shipment already exists", "order_id", ev.OrderID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("shipping: creating shipment for %s: %w", ev.OrderID, err)
	}
	metrics.Default.Inc("shipments_created_total")
	return nil
}

// OnOrderCancelled cancels the order's shipment if it has not left yet.
func (s *Service) OnOrderCancelled(ctx context.Context, ev orderevents.OrderCancelled) error {
	sh, err := s.Repo.Get(ctx, IDForOrder(ev.OrderID))
	if errors.Is(err, ErrNotFound) {
		return nil // cancelled before it was paid: no shipment
	}
	if err != nil {
		return err
	}
	if sh.Status != Pending {
		return fmt.Errorf("%w: order %s cancelled but shipment %s is %s", ErrWrongStatus, ev.OrderID, sh.ID, sh.Status)
	}
	sh.Status = Cancelled
	return s.Repo.Update(ctx, sh, Pending)
}

// Get returns a shipment.
func (s *Service) Get(ctx context.Context, id string) (Shipment, error) { return s.Repo.Get(ctx, id) }

// Dispatch hands a pending shipment to the carrier and publishes ShipmentDispatched.
func (s *Service) Dispatch(ctx context.Context, id string) (Shipment, error) {
	sh, err := s.Repo.Get(ctx, id)
	if err != nil {
		return Shipment{}, err
	}
	if sh.Status != Pending {
		return Shipment{}, fmt.Errorf("%w: %s is %s", ErrWrongStatus, id, sh.Status)
	}
	now := s.Clock.Now()
	sh.Status = Dispatched
	sh.Carrier = s.Carrier
	sh.Tracking = fmt.Sprintf("%s-%s", strings.ToUpper(s.Carrier), strings.TrimPrefix(sh.ID, "shp_"))
	sh.DispatchedAt = &now
	if err := s.Repo.Update(ctx, sh, Pending); err != nil {
		return Shipment{}, fmt.Errorf("shipping: dispatching %s: %w", id, err)
	}
	metrics.Default.Inc("shipments_dispatched_total")
	ev := ShipmentDispatched{ShipmentID: sh.ID, OrderID: sh.OrderID, UserID: sh.UserID, Carrier: sh.Carrier, Tracking: sh.Tracking, DispatchedAt: now}
	if err := s.Events.Publish(ctx, TopicShipmentDispatched, ev); err != nil {
		logging.From(ctx).WarnContext(ctx, "publishing dispatch", "shipment_id", sh.ID, "err", err)
	}
	return sh, nil
}
