// Package catalog lists products.
package catalog

import (
	"context"
	"net/http"

	"example.com/shop/platform/store"
	"example.com/shop/platform/web"
)

// TableProducts is the products table.
const TableProducts = "products"

// Lookup reads a product through the shared wrapper.
func Lookup(ctx context.Context, sku string) error { return store.Get(ctx, TableProducts, sku) }

type handler struct{}

func (handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {}

// Handler returns the catalog's HTTP handler.
func Handler() http.Handler { return handler{} }

// Get serves a product.
func Get(w http.ResponseWriter, r *http.Request) {}

// List lists products.
func List(w http.ResponseWriter, r *http.Request) {}

// Routes registers the catalog's routes through the shared server.
func Routes(s *web.Server) {
	s.Route("GET /products/{sku}", Get)
	s.Get("/products", List)
}
