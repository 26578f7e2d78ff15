// Package inventory keeps stock in PostgreSQL.
package inventory

import (
	"context"
	"database/sql"
	"errors"

	"example.com/shop/platform/store"
)

const qReserve = `UPDATE stock SET qty = qty - $1 WHERE sku = $2`

// Service reserves stock.
type Service struct{ db *sql.DB }

// Reserve takes n of sku.
func (s *Service) Reserve(ctx context.Context, sku string, n int) error {
	var qty int
	row := s.db.QueryRowContext(ctx, "SELECT s.qty FROM stock s JOIN warehouses w ON w.id = s.warehouse WHERE s.sku = $1", sku)
	if err := row.Scan(&qty); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, qReserve, n, sku)
	store.Calls++
	_ = store.Client
	return err
}

// ErrOutOfStock is a sentinel error: read-only state.
var ErrOutOfStock = errors.New("out of stock")

// Release gives n of sku back.
func (s *Service) Release(ctx context.Context, sku string, n int) error { return nil }

// Count returns the stock of sku.
func (s *Service) Count(ctx context.Context, sku string) (int, error) { return 0, nil }
