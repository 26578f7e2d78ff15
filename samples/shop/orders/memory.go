package orders

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"example.com/shop/models"
)

// MemoryRepo is an in-memory Repository, for tests and for running the orders logic without
// DynamoDB.
type MemoryRepo struct {
	mu     sync.Mutex
	orders map[string]models.Order
}

// NewMemoryRepo returns an empty MemoryRepo.
func NewMemoryRepo() *MemoryRepo { return &MemoryRepo{orders: map[string]models.Order{}} }

var _ Repository = (*MemoryRepo)(nil)

// Create stores a new order.
func (m *MemoryRepo) Create(_ context.Context, o models.Order) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.orders[o.ID]; ok {
		return fmt.Errorf("%w: %s", ErrExists, o.ID)
	}
	m.orders[o.ID] = clone(o)
	return nil
}

// Get returns an order.
func (m *MemoryRepo) Get(_ context.Context, id string) (models.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[id]
	if !ok {
		return models.Order{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return clone(o), nil
}

// ListByUser returns a user's orders, newest first.
func (m *MemoryRepo) ListByUser(_ context.Context, userID string, limit int) ([]models.Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []models.Order
	for _, o := range m.orders {
		if o.UserID == userID {
			out = append(out, clone(o))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Update replaces an order whose stored status is still expect.
func (m *MemoryRepo) Update(_ context.Context, o models.Order, expect models.OrderStatus) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.orders[o.ID]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, o.ID)
	}
	if cur.Status != expect {
		return fmt.Errorf("%w: %s is %s, not %s", ErrConflict, o.ID, cur.Status, expect)
	}
	m.orders[o.ID] = clone(o)
	return nil
}

func clone(o models.Order) models.Order {
	o.Lines = append([]models.OrderLine(nil), o.Lines...)
	return o
}
