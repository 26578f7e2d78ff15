package orders

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// MemoryRepo is an in-memory Repository for tests.
type MemoryRepo struct {
	mu     sync.Mutex
	orders map[string]Order
}

var _ Repository = (*MemoryRepo)(nil)

// Create stores a new order.
func (m *MemoryRepo) Create(_ context.Context, o Order) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.orders == nil {
		m.orders = map[string]Order{}
	}
	if _, ok := m.orders[o.ID]; ok {
		return fmt.Errorf("%w: %s", ErrExists, o.ID)
	}
	m.orders[o.ID] = o
	return nil
}

// Get returns an order.
func (m *MemoryRepo) Get(_ context.Context, id string) (Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[id]
	if !ok {
		return Order{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return o, nil
}

// ListByUser returns the user's orders, newest first.
func (m *MemoryRepo) ListByUser(_ context.Context, userID string, limit int) ([]Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Order
	for _, o := range m.orders {
		if o.UserID == userID {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b Order) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Update replaces an order whose status is still expect.
func (m *MemoryRepo) Update(_ context.Context, o Order, expect Status) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.orders[o.ID]
	if !ok || cur.Status != expect {
		return fmt.Errorf("%w: %s is no longer %s", ErrConflict, o.ID, expect)
	}
	m.orders[o.ID] = o
	return nil
}
