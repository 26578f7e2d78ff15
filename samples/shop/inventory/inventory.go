// Package inventory tracks how many units of each SKU are on hand. It owns the inventory
// table (through inventory/store) and serves the stock admin API.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"example.com/shop/platform/ids"
	"example.com/shop/platform/metrics"
)

// Errors of the inventory domain.
var (
	ErrNotFound          = errors.New("inventory: sku not tracked")
	ErrInsufficientStock = errors.New("inventory: insufficient stock")
)

// Level is the stock of one SKU.
type Level struct {
	SKU       string    `json:"sku" dynamodbav:"sku"`
	OnHand    int       `json:"on_hand" dynamodbav:"on_hand"`
	UpdatedAt time.Time `json:"updated_at" dynamodbav:"updated_at"`
}

// Repository stores stock levels. inventory/store implements it on DynamoDB.
type Repository interface {
	Get(ctx context.Context, sku string) (Level, error)
	Put(ctx context.Context, l Level) error
	// Adjust adds delta to the SKU's stock, failing with ErrInsufficientStock when the result
	// would be negative, and returns the new level.
	Adjust(ctx context.Context, sku string, delta int, at time.Time) (Level, error)
	List(ctx context.Context) ([]Level, error)
}

// LowStockAlerter is told when a SKU drops below the threshold. It is optional.
type LowStockAlerter interface {
	LowStock(ctx context.Context, sku string, onHand int) error
}

// Service is the inventory's business logic.
type Service struct {
	Repo      Repository
	Clock     ids.Clock
	Threshold int             // low-stock threshold; 0 disables alerts
	Alerter   LowStockAlerter // may be nil
}

// Get returns the stock of sku.
func (s *Service) Get(ctx context.Context, sku string) (Level, error) {
	return s.Repo.Get(ctx, sku)
}

// Set overwrites the stock of sku (a stock count).
func (s *Service) Set(ctx context.Context, sku string, onHand int) (Level, error) {
	if err := validSKU(sku); err != nil {
		return Level{}, err
	}
	if onHand < 0 {
		return Level{}, fmt.Errorf("inventory: on_hand %d is negative", onHand)
	}
	l := Level{SKU: sku, OnHand: onHand, UpdatedAt: s.Clock.Now()}
	if err := s.Repo.Put(ctx, l); err != nil {
		return Level{}, fmt.Errorf("inventory: setting %s: %w", sku, err)
	}
	metrics.Default.Inc("inventory_counts_total")
	return l, nil
}

// Adjust adds delta (negative to take stock out) and alerts when the level falls below the
// threshold.
func (s *Service) Adjust(ctx context.Context, sku string, delta int) (Level, error) {
	if err := validSKU(sku); err != nil {
		return Level{}, err
	}
	if delta == 0 {
		return s.Repo.Get(ctx, sku)
	}
	l, err := s.Repo.Adjust(ctx, sku, delta, s.Clock.Now())
	if err != nil {
		return Level{}, fmt.Errorf("inventory: adjusting %s by %d: %w", sku, delta, err)
	}
	if delta < 0 && s.Threshold > 0 && l.OnHand < s.Threshold && s.Alerter != nil {
		if err := s.Alerter.LowStock(ctx, sku, l.OnHand); err != nil {
			return l, fmt.Errorf("inventory: low-stock alert for %s: %w", sku, err)
		}
	}
	return l, nil
}

// Below lists SKUs with fewer than n units, fewest first.
func (s *Service) Below(ctx context.Context, n int) ([]Level, error) {
	all, err := s.Repo.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("inventory: listing: %w", err)
	}
	var low []Level
	for _, l := range all {
		if l.OnHand < n {
			low = append(low, l)
		}
	}
	sort.Slice(low, func(i, j int) bool {
		if low[i].OnHand != low[j].OnHand {
			return low[i].OnHand < low[j].OnHand
		}
		return low[i].SKU < low[j].SKU
	})
	return low, nil
}

func validSKU(sku string) error {
	if sku == "" || len(sku) > 64 || strings.ContainsAny(sku, " #/") {
		return fmt.Errorf("inventory: invalid sku %q", sku)
	}
	return nil
}
