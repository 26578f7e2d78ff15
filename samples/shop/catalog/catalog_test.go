package catalog

import (
	"context"
	"encoding/json"
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
)

type memRepo struct {
	mu       sync.Mutex
	products map[string]models.Product
}

func (m *memRepo) Get(_ context.Context, sku string) (models.Product, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.products[sku]
	if !ok {
		return models.Product{}, fmt.Errorf("%w: %s", ErrNotFound, sku)
	}
	return p, nil
}

func (m *memRepo) Create(ctx context.Context, p models.Product) error {
	if _, err := m.Get(ctx, p.SKU); err == nil {
		return ErrExists
	}
	return m.Put(ctx, p)
}

func (m *memRepo) Put(_ context.Context, p models.Product) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.products[p.SKU] = p
	return nil
}

func (m *memRepo) Delete(_ context.Context, sku string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.products[sku]; !ok {
		return ErrNotFound
	}
	delete(m.products, sku)
	return nil
}

func (m *memRepo) List(context.Context) ([]models.Product, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []models.Product
	for _, p := range m.products {
		out = append(out, p)
	}
	return out, nil
}

func newService() *Service {
	return &Service{Repo: &memRepo{products: map[string]models.Product{}}, Clock: ids.NewFixedClock(time.Unix(1700000000, 0))}
}

func TestCreateValidatesAndNormalizes(t *testing.T) {
	ctx := context.Background()
	s := newService()
	p, err := s.Create(ctx, models.Product{SKU: " mug-blue ", Name: "Blue mug", Category: " Mugs", Price: models.Money{Cents: 1200}, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.SKU != "mug-blue" || p.Category != "mugs" || p.Price.Currency != models.Currency || p.UpdatedAt.IsZero() {
		t.Errorf("product = %+v", p)
	}
	if _, err := s.Create(ctx, p); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate: err = %v", err)
	}
	for _, bad := range []models.Product{
		{SKU: "a b", Name: "x", Price: models.Cents(1)},
		{SKU: "x", Price: models.Cents(1)},
		{SKU: "x", Name: "x"},
		{SKU: "x", Name: "x", Price: models.Money{Cents: 1, Currency: "USD"}},
	} {
		if _, err := s.Create(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v", bad, err)
		}
	}
}

func TestSellableAndList(t *testing.T) {
	ctx := context.Background()
	s := newService()
	for _, p := range []models.Product{
		{SKU: "mug", Name: "Mug", Category: "kitchen", Price: models.Cents(900), Active: true},
		{SKU: "pan", Name: "Pan", Category: "kitchen", Price: models.Cents(3000), Active: false},
		{SKU: "tee", Name: "Tee shirt", Category: "clothes", Price: models.Cents(1500), Active: true},
	} {
		if _, err := s.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Sellable(ctx, "pan"); !errors.Is(err, ErrInactive) {
		t.Errorf("inactive sellable: %v", err)
	}
	got, _ := s.List(ctx, Filter{Category: "kitchen", ActiveOnly: true})
	if len(got) != 1 || got[0].SKU != "mug" {
		t.Errorf("active kitchen = %+v", got)
	}
	got, _ = s.List(ctx, Filter{Query: "SHIRT"})
	if len(got) != 1 || got[0].SKU != "tee" {
		t.Errorf("query = %+v", got)
	}
}

func TestHandlerRoutes(t *testing.T) {
	mux := http.NewServeMux()
	(&Handler{Svc: newService()}).RegisterRoutes(mux)
	do := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec
	}
	rec := do("POST", "/products", `{"sku":"mug","name":"Mug","category":"kitchen","price":{"cents":900},"active":true}`)
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/products/mug" {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/products", `{"sku":"mug","name":"Mug","price":{"cents":900}}`); rec.Code != http.StatusConflict {
		t.Errorf("duplicate = %d", rec.Code)
	}
	if rec := do("PUT", "/products/mug", `{"name":"Big mug","category":"kitchen","price":{"cents":1100},"active":true}`); rec.Code != 200 {
		t.Errorf("update = %d %s", rec.Code, rec.Body)
	}
	rec = do("GET", "/products/mug", "")
	var p models.Product
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Name != "Big mug" {
		t.Errorf("get = %s", rec.Body)
	}
	if rec := do("GET", "/products?category=kitchen", ""); !strings.Contains(rec.Body.String(), `"sku":"mug"`) {
		t.Errorf("list = %s", rec.Body)
	}
	if rec := do("DELETE", "/products/mug", ""); rec.Code != http.StatusNoContent {
		t.Errorf("delete = %d", rec.Code)
	}
	if rec := do("GET", "/products/mug", ""); rec.Code != http.StatusNotFound {
		t.Errorf("get deleted = %d", rec.Code)
	}
}
