package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/shop/cart"
	"example.com/shop/catalog"
	"example.com/shop/inventory"
	"example.com/shop/notifications"
	ordersapi "example.com/shop/orders/api"
	"example.com/shop/payments"
	"example.com/shop/platform/logging"
	"example.com/shop/shipping"
	"example.com/shop/users"
)

func newHandler(ready func(context.Context) error) http.Handler {
	// Registering every route would panic on a conflicting pattern; the handlers' services
	// are not needed for the requests below.
	return New(logging.Discard(), Handlers{
		Catalog: &catalog.Handler{}, Inventory: &inventory.Handler{}, Cart: &cart.Handler{},
		Orders: &ordersapi.Handler{}, Payments: &payments.Handler{}, Shipping: &shipping.Handler{},
		Users: &users.Handler{}, Notifications: &notifications.Handler{},
	}, ready)
}

func TestHealthz(t *testing.T) {
	rec := httptest.NewRecorder()
	newHandler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 || rec.Header().Get("X-Request-Id") == "" {
		t.Errorf("healthz = %d, request id %q", rec.Code, rec.Header().Get("X-Request-Id"))
	}
	rec = httptest.NewRecorder()
	newHandler(func(context.Context) error { return errors.New("table missing") }).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "table missing") {
		t.Errorf("unready healthz = %d %s", rec.Code, rec.Body)
	}
}

func TestRoutingAndFallbacks(t *testing.T) {
	h := newHandler(nil)
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/shipping/quote?subtotal=100&country=FR", 200},
		{"GET", "/nowhere", 404},
		{"DELETE", "/orders/ord_1", 405}, // the path exists with other methods
		{"POST", "/orders", 400},         // reaches the orders handler: empty body
		{"GET", "/debug/metrics", 200},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("%s %s = %d, want %d (%s)", tc.method, tc.path, rec.Code, tc.want, rec.Body)
		}
	}
}
