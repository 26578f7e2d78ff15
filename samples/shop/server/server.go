// Package server is the shop's router: it puts every domain's routes on one net/http ServeMux
// (Go 1.22 method patterns), adds the health and metrics endpoints and wraps it all in the
// common middleware. Most domains register their own routes; the orders routes are registered
// here, as they were before the orders handler got a package of its own.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"example.com/shop/cart"
	"example.com/shop/catalog"
	"example.com/shop/inventory"
	"example.com/shop/notifications"
	ordersapi "example.com/shop/orders/api"
	"example.com/shop/payments"
	"example.com/shop/platform/httpx"
	"example.com/shop/platform/metrics"
	"example.com/shop/shipping"
	"example.com/shop/users"
)

// Handlers are the domains' HTTP handlers.
type Handlers struct {
	Catalog       *catalog.Handler
	Inventory     *inventory.Handler
	Cart          *cart.Handler
	Orders        *ordersapi.Handler
	Payments      *payments.Handler
	Shipping      *shipping.Handler
	Users         *users.Handler
	Notifications *notifications.Handler
}

// RouteRegistrar is a handler that adds its own routes.
type RouteRegistrar interface {
	RegisterRoutes(mux *http.ServeMux)
}

// New returns the shop's HTTP handler. ready is called by /healthz (e.g. a DynamoDB ping); nil
// means always ready.
func New(log *slog.Logger, h Handlers, ready func(context.Context) error) http.Handler {
	mux := http.NewServeMux()

	for _, r := range []RouteRegistrar{h.Catalog, h.Inventory, h.Cart, h.Payments, h.Shipping, h.Users, h.Notifications} {
		r.RegisterRoutes(mux)
	}

	// Orders.
	mux.HandleFunc("POST /orders", h.Orders.Create)
	mux.HandleFunc("GET /orders/{id}", h.Orders.Get)
	mux.HandleFunc("POST /orders/{id}/cancel", h.Orders.Cancel)
	mux.HandleFunc("GET /users/{id}/orders", h.Orders.ListByUser)

	// Platform.
	mux.HandleFunc("GET /healthz", health(ready))
	mux.Handle("GET /debug/metrics", metrics.Default.Handler())

	return httpx.Chain(mux, httpx.RequestID(log), httpx.AccessLog(), httpx.Recover(), countRequests)
}

func health(ready func(context.Context) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := ready(ctx); err != nil {
				httpx.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
				return
			}
		}
		httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

func countRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metrics.Default.Inc("http_requests_total")
		next.ServeHTTP(w, r)
	})
}
