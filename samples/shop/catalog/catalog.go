// Package catalog manages the products the shop sells: the service, its DynamoDB store (the
// catalog table) and its HTTP handler all live in this one package.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"example.com/shop/models"
	"example.com/shop/platform/ids"
	"example.com/shop/platform/metrics"
)

// Errors of the catalog.
var (
	ErrNotFound = errors.New("catalog: product not found")
	ErrExists   = errors.New("catalog: product already exists")
	ErrInvalid  = errors.New("catalog: invalid product")
	ErrInactive = errors.New("catalog: product is not for sale")
)

// Repository stores products. Store implements it on DynamoDB.
type Repository interface {
	Get(ctx context.Context, sku string) (models.Product, error)
	Create(ctx context.Context, p models.Product) error
	Put(ctx context.Context, p models.Product) error
	Delete(ctx context.Context, sku string) error
	List(ctx context.Context) ([]models.Product, error)
}

// Service is the catalog's business logic.
type Service struct {
	Repo  Repository
	Clock ids.Clock
}

// Get returns one product, active or not.
func (s *Service) Get(ctx context.Context, sku string) (models.Product, error) {
	return s.Repo.Get(ctx, sku)
}

// Sellable returns the product if it can be put in a cart or an order.
func (s *Service) Sellable(ctx context.Context, sku string) (models.Product, error) {
	p, err := s.Repo.Get(ctx, sku)
	if err != nil {
		return models.Product{}, err
	}
	if !p.Active {
		return models.Product{}, fmt.Errorf("%w: %s", ErrInactive, sku)
	}
	return p, nil
}

// Create adds a new product.
func (s *Service) Create(ctx context.Context, p models.Product) (models.Product, error) {
	p = normalize(p)
	if err := validate(p); err != nil {
		return models.Product{}, err
	}
	p.UpdatedAt = s.Clock.Now()
	if err := s.Repo.Create(ctx, p); err != nil {
		return models.Product{}, fmt.Errorf("catalog: creating %s: %w", p.SKU, err)
	}
	metrics.Default.Inc("catalog_products_created_total")
	return p, nil
}

// Update replaces an existing product.
func (s *Service) Update(ctx context.Context, p models.Product) (models.Product, error) {
	p = normalize(p)
	if err := validate(p); err != nil {
		return models.Product{}, err
	}
	if _, err := s.Repo.Get(ctx, p.SKU); err != nil {
		return models.Product{}, err
	}
	p.UpdatedAt = s.Clock.Now()
	if err := s.Repo.Put(ctx, p); err != nil {
		return models.Product{}, fmt.Errorf("catalog: updating %s: %w", p.SKU, err)
	}
	return p, nil
}

// Delete removes a product. Orders keep their own copy of the name and price.
func (s *Service) Delete(ctx context.Context, sku string) error {
	return s.Repo.Delete(ctx, sku)
}

// Filter selects products in List.
type Filter struct {
	Category   string
	Query      string // case-insensitive substring of the name
	ActiveOnly bool
}

// List returns the products matching f, by SKU.
func (s *Service) List(ctx context.Context, f Filter) ([]models.Product, error) {
	all, err := s.Repo.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: listing: %w", err)
	}
	q := strings.ToLower(f.Query)
	out := []models.Product{}
	for _, p := range all {
		if f.Category != "" && p.Category != f.Category {
			continue
		}
		if f.ActiveOnly && !p.Active {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(p.Name), q) {
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out, nil
}

func normalize(p models.Product) models.Product {
	p.SKU = strings.TrimSpace(p.SKU)
	p.Name = strings.TrimSpace(p.Name)
	p.Category = strings.ToLower(strings.TrimSpace(p.Category))
	if p.Price.Currency == "" {
		p.Price.Currency = models.Currency
	}
	return p
}

func validate(p models.Product) error {
	switch {
	case p.SKU == "" || len(p.SKU) > 64 || strings.ContainsAny(p.SKU, " #/"):
		return fmt.Errorf("%w: sku %q", ErrInvalid, p.SKU)
	case p.Name == "":
		return fmt.Errorf("%w: name is empty", ErrInvalid)
	case p.Price.Cents <= 0:
		return fmt.Errorf("%w: price must be positive", ErrInvalid)
	case p.Price.Currency != models.Currency:
		return fmt.Errorf("%w: currency %q is not %s", ErrInvalid, p.Price.Currency, models.Currency)
	}
	return nil
}
