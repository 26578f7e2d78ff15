// Package cart keeps each user's shopping cart in the shared single table, prices items from the
// catalog and tells the shopper how far they are from free shipping. Service, store and handler
// are in this one package.
package cart

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"example.com/shop/models"
	"example.com/shop/platform/ids"
	"example.com/shop/platform/metrics"
	"example.com/shop/shipping"
)

// MaxQuantity is the most units of one SKU a cart holds.
const MaxQuantity = 20

// Errors of the cart.
var (
	ErrInvalid  = errors.New("cart: invalid item")
	ErrNotFound = errors.New("cart: item not in cart")
)

// Products looks products up; *catalog.Service implements it.
type Products interface {
	Sellable(ctx context.Context, sku string) (models.Product, error)
}

// Repository stores cart items. Store implements it on the shared table.
type Repository interface {
	Items(ctx context.Context, userID string) ([]models.CartItem, error)
	PutItem(ctx context.Context, userID string, it models.CartItem) error
	RemoveItem(ctx context.Context, userID, sku string) error
	Clear(ctx context.Context, userID string) error
}

// Cart is a user's cart as shown to them.
type Cart struct {
	UserID                  string            `json:"user_id"`
	Items                   []models.CartItem `json:"items"`
	Subtotal                models.Money      `json:"subtotal"`
	FreeShipping            bool              `json:"free_shipping"`
	RemainingToFreeShipping models.Money      `json:"remaining_to_free_shipping"`
}

// Service is the cart's business logic.
type Service struct {
	Repo     Repository
	Products Products
	Clock    ids.Clock
}

// Get returns the user's cart.
func (s *Service) Get(ctx context.Context, userID string) (Cart, error) {
	items, err := s.Repo.Items(ctx, userID)
	if err != nil {
		return Cart{}, fmt.Errorf("cart: loading %s: %w", userID, err)
	}
	return view(userID, items), nil
}

// Add puts qty units of sku in the cart (adding to what is there), priced at today's price.
func (s *Service) Add(ctx context.Context, userID, sku string, qty int) (Cart, error) {
	if qty <= 0 {
		return Cart{}, fmt.Errorf("%w: quantity %d", ErrInvalid, qty)
	}
	items, err := s.Repo.Items(ctx, userID)
	if err != nil {
		return Cart{}, fmt.Errorf("cart: loading %s: %w", userID, err)
	}
	for _, it := range items {
		if it.SKU == sku {
			qty += it.Quantity
		}
	}
	return s.set(ctx, userID, sku, qty)
}

// SetQuantity sets the quantity of sku; 0 removes it.
func (s *Service) SetQuantity(ctx context.Context, userID, sku string, qty int) (Cart, error) {
	if qty < 0 {
		return Cart{}, fmt.Errorf("%w: quantity %d", ErrInvalid, qty)
	}
	if qty == 0 {
		return s.Remove(ctx, userID, sku)
	}
	return s.set(ctx, userID, sku, qty)
}

func (s *Service) set(ctx context.Context, userID, sku string, qty int) (Cart, error) {
	if qty > MaxQuantity {
		return Cart{}, fmt.Errorf("%w: at most %d of %s", ErrInvalid, MaxQuantity, sku)
	}
	p, err := s.Products.Sellable(ctx, sku)
	if err != nil {
		return Cart{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	it := models.CartItem{SKU: sku, Name: p.Name, Quantity: qty, UnitPrice: p.Price, AddedAt: s.Clock.Now()}
	if err := s.Repo.PutItem(ctx, userID, it); err != nil {
		return Cart{}, fmt.Errorf("cart: saving %s for %s: %w", sku, userID, err)
	}
	metrics.Default.Inc("cart_items_put_total")
	return s.Get(ctx, userID)
}

// Remove takes sku out of the cart.
func (s *Service) Remove(ctx context.Context, userID, sku string) (Cart, error) {
	if err := s.Repo.RemoveItem(ctx, userID, sku); err != nil {
		return Cart{}, err
	}
	return s.Get(ctx, userID)
}

// Clear empties the cart.
func (s *Service) Clear(ctx context.Context, userID string) error {
	return s.Repo.Clear(ctx, userID)
}

func view(userID string, items []models.CartItem) Cart {
	if items == nil {
		items = []models.CartItem{}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].SKU < items[j].SKU })
	c := Cart{UserID: userID, Items: items, Subtotal: models.Cents(0)}
	for _, it := range items {
		c.Subtotal = c.Subtotal.Add(it.UnitPrice.Times(it.Quantity))
	}
	// The free-shipping threshold belongs to shipping; the cart reads it straight from there.
	remaining := shipping.FreeShippingOver - c.Subtotal.Cents
	c.FreeShipping = shipping.FreeShippingOver > 0 && remaining <= 0
	c.RemainingToFreeShipping = models.Cents(max(remaining, 0))
	return c
}
