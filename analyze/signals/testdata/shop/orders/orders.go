// Package orders places orders.
package orders

import (
	"context"
	"fmt"

	"example.com/shop/inventory"
)

// TableOrders is the orders table.
const TableOrders = "orders"

// Order is an order: plain data.
type Order struct {
	ID    string
	Total int
}

// Key is the order's partition key.
func (o Order) Key() string { return "ORDER#" + o.ID }

// Store is the port for saving orders.
type Store interface {
	Save(ctx context.Context, o Order) error
}

// Notifier tells the customer.
type Notifier interface {
	Notify(id string) error
}

// Service places orders.
type Service struct {
	store  Store
	stock  *inventory.Service
	notify Notifier
}

// NewService returns a service.
func NewService(s Store, stock *inventory.Service, n Notifier) *Service {
	return &Service{store: s, stock: stock, notify: n}
}

// Place places an order.
func (s *Service) Place(ctx context.Context, o Order) error {
	if err := s.stock.Reserve(ctx, o.ID, 1); err != nil && err != inventory.ErrOutOfStock {
		return fmt.Errorf("reserve: %w", err)
	}
	if err := s.store.Save(ctx, o); err != nil {
		return err
	}
	return s.notify.Notify(o.ID)
}

// Stock is what orders needs of the stock: a consumer's view, which inventory.Service
// satisfies among its other methods.
type Stock interface {
	Reserve(ctx context.Context, sku string, n int) error
}
