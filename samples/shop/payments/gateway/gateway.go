// Package gateway is the card processor client. The shop has never had a real processor
// contract in development, so this is a deterministic simulator with the processor's
// behaviour: idempotent charges, declines and transient failures chosen by the card token.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"example.com/shop/models"
	"example.com/shop/payments"
)

// Test card tokens.
const (
	TokenOK       = "tok_visa"
	TokenDeclined = "tok_declined" // always declined
	TokenFlaky    = "tok_flaky"    // fails transiently once per idempotency key, then succeeds
)

// ErrUnavailable is a transient failure: the caller may retry with the same idempotency key.
var ErrUnavailable = errors.New("gateway: processor unavailable")

type charge struct {
	ref      string
	amount   models.Money
	refunded int64
}

// Simulator implements payments.Gateway in memory.
type Simulator struct {
	mu     sync.Mutex
	n      int
	byKey  map[string]*charge
	byRef  map[string]*charge
	flaked map[string]bool
}

var _ payments.Gateway = (*Simulator)(nil)

// NewSimulator returns a simulator with no charges.
func NewSimulator() *Simulator {
	return &Simulator{byKey: map[string]*charge{}, byRef: map[string]*charge{}, flaked: map[string]bool{}}
}

// Charge captures amount, once per idempotency key.
func (s *Simulator) Charge(ctx context.Context, token string, amount models.Money, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.byKey[key]; ok {
		if c.amount != amount {
			return "", fmt.Errorf("gateway: idempotency key %s reused with a different amount", key)
		}
		return c.ref, nil
	}
	switch token {
	case TokenDeclined:
		return "", fmt.Errorf("gateway: token %s: %w", token, payments.ErrDeclined)
	case TokenFlaky:
		if !s.flaked[key] {
			s.flaked[key] = true
			return "", ErrUnavailable
		}
	case "":
		return "", errors.New("gateway: empty card token")
	}
	s.n++
	c := &charge{ref: fmt.Sprintf("ch_%06d", s.n), amount: amount}
	s.byKey[key], s.byRef[c.ref] = c, c
	return c.ref, nil
}

// Refund gives back up to the charged amount.
func (s *Simulator) Refund(ctx context.Context, ref string, amount models.Money) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byRef[ref]
	if !ok {
		return fmt.Errorf("gateway: no charge %s", ref)
	}
	if c.refunded+amount.Cents > c.amount.Cents {
		return fmt.Errorf("gateway: refund of %v exceeds what is left of %s", amount, ref)
	}
	c.refunded += amount.Cents
	return nil
}

// Retrying wraps a Gateway and retries transient failures of Charge a few times.
type Retrying struct {
	Next     payments.Gateway
	Attempts int
}

// Charge retries ErrUnavailable up to Attempts times with the same idempotency key.
func (r Retrying) Charge(ctx context.Context, token string, amount models.Money, key string) (string, error) {
	var err error
	for range max(r.Attempts, 1) {
		var ref string
		ref, err = r.Next.Charge(ctx, token, amount, key)
		if !errors.Is(err, ErrUnavailable) {
			return ref, err
		}
	}
	return "", err
}

// Refund does not retry: a refund is only retried by a person.
func (r Retrying) Refund(ctx context.Context, ref string, amount models.Money) error {
	return r.Next.Refund(ctx, ref, amount)
}
