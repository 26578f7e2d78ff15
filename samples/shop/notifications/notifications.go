// Package notifications sends messages to customers and to the shop's operators and keeps a log
// of what was sent in the notifications table. It reacts to other domains' events (an order
// placed, a parcel dispatched) and serves each user's notification history.
package notifications

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"example.com/shop/models"
	orderevents "example.com/shop/orders/events"
	"example.com/shop/platform/ids"
	"example.com/shop/platform/metrics"
	"example.com/shop/shipping"
)

// Channels a message goes out on.
const (
	ChannelEmail = "email"
	ChannelOps   = "ops"
)

// ErrNoRecipient is returned when a message has no address and the user has none either.
var ErrNoRecipient = errors.New("notifications: no recipient")

// Message is one notification.
type Message struct {
	ID      string `json:"id" dynamodbav:"id"`
	UserID  string `json:"user_id" dynamodbav:"user_id"`
	Channel string `json:"channel" dynamodbav:"channel"`
	Kind    string `json:"kind" dynamodbav:"kind"` // e.g. "order_confirmed"
	To      string `json:"to" dynamodbav:"to"`
	Subject string `json:"subject" dynamodbav:"subject"`
	Body    string `json:"body" dynamodbav:"body"`
	SentAt  string `json:"sent_at" dynamodbav:"sent_at"`
}

// Sender delivers a message (SMTP, a chat webhook, ...).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Directory finds a user's e-mail address; *users/store.Repo implements it.
type Directory interface {
	Get(ctx context.Context, id string) (models.User, error)
}

// Repository is the log of sent messages. Store implements it on DynamoDB.
type Repository interface {
	Put(ctx context.Context, m Message) error
	ListByUser(ctx context.Context, userID string, limit int) ([]Message, error)
}

// Service sends and records notifications.
type Service struct {
	Log       Repository
	Sender    Sender
	Directory Directory
	IDs       ids.Generator
	Clock     ids.Clock
	OpsEmail  string // where operator alerts go
}

// Send delivers m, looking up the user's address when m.To is empty, and records it.
func (s *Service) Send(ctx context.Context, m Message) (Message, error) {
	if m.To == "" {
		if m.UserID == "" || s.Directory == nil {
			return Message{}, ErrNoRecipient
		}
		u, err := s.Directory.Get(ctx, m.UserID)
		if err != nil {
			return Message{}, fmt.Errorf("notifications: looking up %s: %w", m.UserID, err)
		}
		if u.Email == "" {
			return Message{}, fmt.Errorf("%w: user %s", ErrNoRecipient, m.UserID)
		}
		m.To = u.Email
	}
	if m.Channel == "" {
		m.Channel = ChannelEmail
	}
	m.ID = s.IDs.New("ntf")
	m.SentAt = s.Clock.Now().Format("2006-01-02T15:04:05.000Z07:00")
	if err := s.Sender.Send(ctx, m); err != nil {
		metrics.Default.Inc("notifications_failed_total")
		return Message{}, fmt.Errorf("notifications: sending %s to %s: %w", m.Kind, m.To, err)
	}
	metrics.Default.Inc("notifications_sent_total")
	if err := s.Log.Put(ctx, m); err != nil {
		return m, fmt.Errorf("notifications: recording %s: %w", m.ID, err)
	}
	return m, nil
}

// History returns a user's most recent notifications.
func (s *Service) History(ctx context.Context, userID string, limit int) ([]Message, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	return s.Log.ListByUser(ctx, userID, limit)
}

// OnOrderPlaced confirms an order to its customer.
func (s *Service) OnOrderPlaced(ctx context.Context, ev orderevents.OrderPlaced) error {
	items := 0
	for _, l := range ev.Lines {
		items += l.Quantity
	}
	_, err := s.Send(ctx, Message{
		UserID: ev.UserID, Kind: "order_confirmed",
		Subject: fmt.Sprintf("Your order %s is confirmed", ev.OrderID),
		Body:    fmt.Sprintf("Thank you! %d item(s), %s in total, will ship to %s, %s.", items, ev.Total, ev.ShipTo.City, ev.ShipTo.Country),
	})
	return err
}

// OnShipmentDispatched tells the customer their parcel is on its way.
func (s *Service) OnShipmentDispatched(ctx context.Context, ev shipping.ShipmentDispatched) error {
	_, err := s.Send(ctx, Message{
		UserID: ev.UserID, Kind: "order_shipped",
		Subject: fmt.Sprintf("Your order %s is on its way", ev.OrderID),
		Body:    fmt.Sprintf("%s is carrying it; tracking number %s.", ev.Carrier, ev.Tracking),
	})
	return err
}

// LowStock alerts the operators that a SKU is running out. It makes Service an
// inventory.LowStockAlerter.
func (s *Service) LowStock(ctx context.Context, sku string, onHand int) error {
	_, err := s.Send(ctx, Message{
		UserID: "ops", Channel: ChannelOps, Kind: "low_stock", To: s.OpsEmail,
		Subject: "Low stock: " + sku,
		Body:    fmt.Sprintf("%s has %d unit(s) left.", sku, onHand),
	})
	return err
}

// LogSender "sends" messages by logging them: the development and test Sender.
type LogSender struct {
	Log *slog.Logger
}

// Send logs m.
func (l LogSender) Send(ctx context.Context, m Message) error {
	l.Log.InfoContext(ctx, "notification", "channel", m.Channel, "to", m.To, "kind", m.Kind, "subject", m.Subject)
	return nil
}
