package cart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/shop/models"
	"example.com/shop/platform/ids"
	"example.com/shop/shipping"
)

type memRepo struct {
	mu    sync.Mutex
	carts map[string]map[string]models.CartItem
}

func (m *memRepo) Items(_ context.Context, userID string) ([]models.CartItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []models.CartItem
	for _, it := range m.carts[userID] {
		out = append(out, it)
	}
	return out, nil
}

func (m *memRepo) PutItem(_ context.Context, userID string, it models.CartItem) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.carts[userID] == nil {
		m.carts[userID] = map[string]models.CartItem{}
	}
	m.carts[userID][it.SKU] = it
	return nil
}

func (m *memRepo) RemoveItem(_ context.Context, userID, sku string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.carts[userID][sku]; !ok {
		return ErrNotFound
	}
	delete(m.carts[userID], sku)
	return nil
}

func (m *memRepo) Clear(_ context.Context, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.carts, userID)
	return nil
}

type products map[string]models.Product

func (p products) Sellable(_ context.Context, sku string) (models.Product, error) {
	prod, ok := p[sku]
	if !ok {
		return models.Product{}, fmt.Errorf("no product %s", sku)
	}
	return prod, nil
}

func newService() *Service {
	return &Service{
		Repo: &memRepo{carts: map[string]map[string]models.CartItem{}},
		Products: products{
			"mug": {SKU: "mug", Name: "Mug", Price: models.Cents(1200)},
			"pan": {SKU: "pan", Name: "Pan", Price: models.Cents(3000)},
		},
		Clock: ids.NewFixedClock(time.Unix(0, 0)),
	}
}

func TestAddAccumulatesAndPrices(t *testing.T) {
	defer func(old int64) { shipping.FreeShippingOver = old }(shipping.FreeShippingOver)
	shipping.FreeShippingOver = 5000
	ctx := context.Background()
	s := newService()
	if _, err := s.Add(ctx, "u1", "mug", 1); err != nil {
		t.Fatal(err)
	}
	c, err := s.Add(ctx, "u1", "mug", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Items) != 1 || c.Items[0].Quantity != 2 || c.Subtotal.Cents != 2400 {
		t.Fatalf("cart = %+v", c)
	}
	if c.FreeShipping || c.RemainingToFreeShipping.Cents != 2600 {
		t.Errorf("free shipping = %v, remaining %d", c.FreeShipping, c.RemainingToFreeShipping.Cents)
	}
	c, _ = s.Add(ctx, "u1", "pan", 1)
	if !c.FreeShipping || c.RemainingToFreeShipping.Cents != 0 {
		t.Errorf("5400 should ship free: %+v", c)
	}
}

func TestValidation(t *testing.T) {
	ctx := context.Background()
	s := newService()
	if _, err := s.Add(ctx, "u1", "mug", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("zero quantity: %v", err)
	}
	if _, err := s.Add(ctx, "u1", "ghost", 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown product: %v", err)
	}
	if _, err := s.SetQuantity(ctx, "u1", "mug", MaxQuantity+1); !errors.Is(err, ErrInvalid) {
		t.Errorf("too many: %v", err)
	}
	if _, err := s.Remove(ctx, "u1", "mug"); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove missing: %v", err)
	}
}

func TestHandler(t *testing.T) {
	mux := http.NewServeMux()
	(&Handler{Svc: newService()}).RegisterRoutes(mux)
	do := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec
	}
	if rec := do("POST", "/cart/u1/items", `{"sku":"mug","quantity":2}`); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"cents":2400`) {
		t.Fatalf("add = %d %s", rec.Code, rec.Body)
	}
	if rec := do("PUT", "/cart/u1/items/mug", `{"quantity":0}`); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"items":[]`) {
		t.Errorf("set 0 = %d %s", rec.Code, rec.Body)
	}
	if rec := do("DELETE", "/cart/u1/items/mug", ""); rec.Code != 404 {
		t.Errorf("remove missing = %d", rec.Code)
	}
	if rec := do("DELETE", "/cart/u1", ""); rec.Code != 204 {
		t.Errorf("clear = %d", rec.Code)
	}
}
