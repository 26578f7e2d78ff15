// Package payments takes payments for orders through a card gateway, records them in the
// payments table (payments/store) and refunds them when an order is cancelled. It declares the
// ports it needs: Gateway (payments/gateway implements it) and Notifier (implemented by the
// e-mail adapter in notifications/email, wired in main).
package payments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"example.com/shop/models"
	orderevents "example.com/shop/orders/events"
	"example.com/shop/platform/ids"
	"example.com/shop/platform/logging"
	"example.com/shop/platform/metrics"
)

// Errors of the payments domain.
var (
	ErrDeclined      = errors.New("payments: card declined")
	ErrNotFound      = errors.New("payments: payment not found")
	ErrInvalid       = errors.New("payments: invalid payment")
	ErrNotRefundable = errors.New("payments: payment cannot be refunded")
)

// Status of a payment.
type Status string

// Payment statuses.
const (
	Captured Status = "captured"
	Declined Status = "declined"
	Refunded Status = "refunded"
)

// Payment is one charge of a card for an order.
type Payment struct {
	ID         string       `json:"id" dynamodbav:"id"`
	OrderID    string       `json:"order_id" dynamodbav:"order_id"`
	UserID     string       `json:"user_id" dynamodbav:"user_id"`
	Amount     models.Money `json:"amount" dynamodbav:"amount"`
	Status     Status       `json:"status" dynamodbav:"status"`
	GatewayRef string       `json:"gateway_ref,omitempty" dynamodbav:"gateway_ref,omitempty"`
	Reason     string       `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
	CreatedAt  time.Time    `json:"created_at" dynamodbav:"created_at"`
	RefundedAt *time.Time   `json:"refunded_at,omitempty" dynamodbav:"refunded_at,omitempty"`
}

// Gateway is the card processor.
type Gateway interface {
	// Charge takes amount from the card behind token. idempotencyKey makes retries safe. A
	// declined card is an error wrapping ErrDeclined.
	Charge(ctx context.Context, token string, amount models.Money, idempotencyKey string) (ref string, err error)
	Refund(ctx context.Context, ref string, amount models.Money) error
}

// Repository stores payments. payments/store implements it on DynamoDB.
type Repository interface {
	Put(ctx context.Context, p Payment) error
	Get(ctx context.Context, id string) (Payment, error)
	ByOrder(ctx context.Context, orderID string) ([]Payment, error)
}

// Notifier tells customers about their money. It is a port: its methods use only plain types so
// that an adapter can implement it without importing this package.
type Notifier interface {
	PaymentCaptured(ctx context.Context, userID, orderID string, amountCents int64, currency string) error
	PaymentRefunded(ctx context.Context, userID, orderID string, amountCents int64, currency string) error
}

// Service is the payments business logic.
type Service struct {
	Repo     Repository
	Gateway  Gateway
	Notifier Notifier // may be nil
	IDs      ids.Generator
	Clock    ids.Clock
}

// ChargeRequest asks to pay for an order.
type ChargeRequest struct {
	OrderID   string       `json:"order_id"`
	UserID    string       `json:"user_id"`
	Amount    models.Money `json:"amount"`
	CardToken string       `json:"card_token"`
}

// Charge takes the payment of an order. A declined card is recorded and returned as an error
// wrapping ErrDeclined together with the declined payment.
func (s *Service) Charge(ctx context.Context, req ChargeRequest) (Payment, error) {
	if req.OrderID == "" || req.UserID == "" || req.CardToken == "" {
		return Payment{}, fmt.Errorf("%w: order, user and card token are required", ErrInvalid)
	}
	if req.Amount.Cents <= 0 {
		return Payment{}, fmt.Errorf("%w: amount %v", ErrInvalid, req.Amount)
	}
	p := Payment{
		ID: s.IDs.New("pay"), OrderID: req.OrderID, UserID: req.UserID,
		Amount: req.Amount, CreatedAt: s.Clock.Now(),
	}
	ref, err := s.Gateway.Charge(ctx, req.CardToken, req.Amount, req.OrderID)
	switch {
	case errors.Is(err, ErrDeclined):
		p.Status, p.Reason = Declined, err.Error()
		metrics.Default.Inc("payments_declined_total")
	case err != nil:
		return Payment{}, fmt.Errorf("payments: charging order %s: %w", req.OrderID, err)
	default:
		p.Status, p.GatewayRef = Captured, ref
		metrics.Default.Inc("payments_captured_total")
	}
	if perr := s.Repo.Put(ctx, p); perr != nil {
		return Payment{}, fmt.Errorf("payments: recording %s: %w", p.ID, perr)
	}
	if p.Status == Declined {
		return p, fmt.Errorf("payments: order %s: %w", req.OrderID, ErrDeclined)
	}
	s.notify(ctx, p, s.notifierCaptured)
	return p, nil
}

// ChargeOrder is Charge with plain arguments; it implements the orders domain's Payments port.
func (s *Service) ChargeOrder(ctx context.Context, orderID, userID string, amount models.Money, cardToken string) (string, error) {
	p, err := s.Charge(ctx, ChargeRequest{OrderID: orderID, UserID: userID, Amount: amount, CardToken: cardToken})
	return p.ID, err
}

// Get returns one payment.
func (s *Service) Get(ctx context.Context, id string) (Payment, error) { return s.Repo.Get(ctx, id) }

// ByOrder returns an order's payments, oldest first.
func (s *Service) ByOrder(ctx context.Context, orderID string) ([]Payment, error) {
	return s.Repo.ByOrder(ctx, orderID)
}

// Refund gives a captured payment back in full.
func (s *Service) Refund(ctx context.Context, id string) (Payment, error) {
	p, err := s.Repo.Get(ctx, id)
	if err != nil {
		return Payment{}, err
	}
	if p.Status != Captured {
		return Payment{}, fmt.Errorf("%w: %s is %s", ErrNotRefundable, id, p.Status)
	}
	if err := s.Gateway.Refund(ctx, p.GatewayRef, p.Amount); err != nil {
		return Payment{}, fmt.Errorf("payments: refunding %s: %w", id, err)
	}
	now := s.Clock.Now()
	p.Status, p.RefundedAt = Refunded, &now
	if err := s.Repo.Put(ctx, p); err != nil {
		return Payment{}, fmt.Errorf("payments: recording refund of %s: %w", id, err)
	}
	metrics.Default.Inc("payments_refunded_total")
	s.notify(ctx, p, s.notifierRefunded)
	return p, nil
}

// OnOrderCancelled refunds every captured payment of a cancelled order.
func (s *Service) OnOrderCancelled(ctx context.Context, ev orderevents.OrderCancelled) error {
	pays, err := s.Repo.ByOrder(ctx, ev.OrderID)
	if err != nil {
		return fmt.Errorf("payments: loading payments of %s: %w", ev.OrderID, err)
	}
	var errs []error
	for _, p := range pays {
		if p.Status != Captured {
			continue
		}
		if _, err := s.Refund(ctx, p.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) notifierCaptured(ctx context.Context, p Payment) error {
	return s.Notifier.PaymentCaptured(ctx, p.UserID, p.OrderID, p.Amount.Cents, p.Amount.Currency)
}

func (s *Service) notifierRefunded(ctx context.Context, p Payment) error {
	return s.Notifier.PaymentRefunded(ctx, p.UserID, p.OrderID, p.Amount.Cents, p.Amount.Currency)
}

// notify sends a customer notification; a failure is logged, never fails the payment.
func (s *Service) notify(ctx context.Context, p Payment, send func(context.Context, Payment) error) {
	if s.Notifier == nil {
		return
	}
	if err := send(ctx, p); err != nil {
		logging.From(ctx).WarnContext(ctx, "payment notification failed", "payment_id", p.ID, "err", err)
	}
}
