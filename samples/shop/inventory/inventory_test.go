package inventory

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

	"example.com/shop/platform/ids"
)

// memRepo is an in-memory Repository.
type memRepo struct {
	mu     sync.Mutex
	levels map[string]Level
}

func newMemRepo() *memRepo { return &memRepo{levels: map[string]Level{}} }

func (m *memRepo) Get(_ context.Context, sku string) (Level, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.levels[sku]
	if !ok {
		return Level{}, fmt.Errorf("%w: %s", ErrNotFound, sku)
	}
	return l, nil
}

func (m *memRepo) Put(_ context.Context, l Level) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.levels[l.SKU] = l
	return nil
}

func (m *memRepo) Adjust(_ context.Context, sku string, delta int, at time.Time) (Level, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.levels[sku]
	if !ok {
		return Level{}, ErrNotFound
	}
	if l.OnHand+delta < 0 {
		return Level{}, ErrInsufficientStock
	}
	l.OnHand += delta
	l.UpdatedAt = at
	m.levels[sku] = l
	return l, nil
}

func (m *memRepo) List(context.Context) ([]Level, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Level
	for _, l := range m.levels {
		out = append(out, l)
	}
	return out, nil
}

type alerts struct{ skus []string }

func (a *alerts) LowStock(_ context.Context, sku string, _ int) error {
	a.skus = append(a.skus, sku)
	return nil
}

func newService() (*Service, *alerts) {
	a := &alerts{}
	return &Service{Repo: newMemRepo(), Clock: ids.NewFixedClock(time.Unix(0, 0)), Threshold: 3, Alerter: a}, a
}

func TestAdjustAlertsBelowThreshold(t *testing.T) {
	ctx := context.Background()
	s, a := newService()
	if _, err := s.Set(ctx, "mug", 5); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Adjust(ctx, "mug", -1); err != nil {
		t.Fatal(err)
	}
	if len(a.skus) != 0 {
		t.Fatalf("alerted too early: %v", a.skus)
	}
	l, err := s.Adjust(ctx, "mug", -2)
	if err != nil || l.OnHand != 2 {
		t.Fatalf("level = %+v, %v", l, err)
	}
	if len(a.skus) != 1 || a.skus[0] != "mug" {
		t.Errorf("alerts = %v", a.skus)
	}
	if _, err := s.Adjust(ctx, "mug", -3); !errors.Is(err, ErrInsufficientStock) {
		t.Errorf("err = %v, want ErrInsufficientStock", err)
	}
}

func TestSetValidates(t *testing.T) {
	s, _ := newService()
	if _, err := s.Set(context.Background(), "bad sku", 1); err == nil {
		t.Error("sku with a space accepted")
	}
	if _, err := s.Set(context.Background(), "mug", -1); err == nil {
		t.Error("negative stock accepted")
	}
}

func TestHandler(t *testing.T) {
	s, _ := newService()
	mux := http.NewServeMux()
	(&Handler{Svc: s}).RegisterRoutes(mux)

	do := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec
	}
	if rec := do("PUT", "/inventory/mug", `{"on_hand": 4}`); rec.Code != 200 {
		t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/inventory/mug/adjust", `{"delta": -9}`); rec.Code != http.StatusConflict {
		t.Errorf("over-adjust = %d %s", rec.Code, rec.Body)
	}
	if rec := do("GET", "/inventory/nope", ""); rec.Code != http.StatusNotFound {
		t.Errorf("unknown sku = %d", rec.Code)
	}
	rec := do("GET", "/inventory?below=5", "")
	var body struct{ Levels []Level }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Levels) != 1 {
		t.Errorf("list = %s (%v)", rec.Body, err)
	}
}
