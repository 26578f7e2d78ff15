package shipping

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/shop/models"
	orderevents "example.com/shop/orders/events"
	"example.com/shop/platform/events"
	"example.com/shop/platform/ids"
)

type memRepo struct {
	mu sync.Mutex
	m  map[string]Shipment
}

func (r *memRepo) Create(_ context.Context, s Shipment) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[s.ID]; ok {
		return ErrExists
	}
	r.m[s.ID] = s
	return nil
}

func (r *memRepo) Get(_ context.Context, id string) (Shipment, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.m[id]
	if !ok {
		return Shipment{}, ErrNotFound
	}
	return s, nil
}

func (r *memRepo) Update(_ context.Context, s Shipment, expect Status) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m[s.ID].Status != expect {
		return ErrWrongStatus
	}
	r.m[s.ID] = s
	return nil
}

func TestQuote(t *testing.T) {
	defer func(old int64) { FreeShippingOver = old }(FreeShippingOver)
	FreeShippingOver = 5000
	for _, tc := range []struct {
		subtotal int64
		country  string
		want     int64
	}{
		{1000, "FR", DomesticRate},
		{5000, "FR", 0},
		{1000, "DE", EURate},
		{9000, "DE", 0},
		{9000, "US", InternationalRate},
	} {
		if got := Quote(models.Cents(tc.subtotal), tc.country); got.Cents != tc.want {
			t.Errorf("Quote(%d, %s) = %d, want %d", tc.subtotal, tc.country, got.Cents, tc.want)
		}
	}
	FreeShippingOver = 0
	if got := Quote(models.Cents(100000), "FR"); got.Cents != DomesticRate {
		t.Errorf("free shipping disabled: got %d", got.Cents)
	}
}

func newService() (*Service, *events.Recorder) {
	rec := &events.Recorder{}
	return &Service{Repo: &memRepo{m: map[string]Shipment{}}, Events: rec, Clock: ids.NewFixedClock(time.Unix(0, 0)), Carrier: "colis"}, rec
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	s, rec := newService()
	placed := orderevents.OrderPlaced{OrderID: "ord_7", UserID: "usr_1", Lines: []orderevents.Line{{SKU: "a", Quantity: 2}, {SKU: "b", Quantity: 1}}}
	for range 2 { // delivered twice: still one shipment
		if err := s.OnOrderPlaced(ctx, placed); err != nil {
			t.Fatal(err)
		}
	}
	sh, err := s.Get(ctx, "shp_7")
	if err != nil || sh.Items != 3 || sh.Status != Pending {
		t.Fatalf("shipment = %+v, %v", sh, err)
	}
	sh, err = s.Dispatch(ctx, "shp_7")
	if err != nil || sh.Tracking != "COLIS-7" {
		t.Fatalf("dispatch = %+v, %v", sh, err)
	}
	if topics := rec.Topics(); len(topics) != 1 || topics[0] != TopicShipmentDispatched {
		t.Errorf("events = %v", topics)
	}
	if _, err := s.Dispatch(ctx, "shp_7"); !errors.Is(err, ErrWrongStatus) {
		t.Errorf("second dispatch: %v", err)
	}
	if err := s.OnOrderCancelled(ctx, orderevents.OrderCancelled{OrderID: "ord_7"}); !errors.Is(err, ErrWrongStatus) {
		t.Errorf("cancel after dispatch: %v", err)
	}
	if err := s.OnOrderCancelled(ctx, orderevents.OrderCancelled{OrderID: "ord_unknown"}); err != nil {
		t.Errorf("cancel without shipment: %v", err)
	}
}

func TestHandler(t *testing.T) {
	s, _ := newService()
	_ = s.OnOrderPlaced(context.Background(), orderevents.OrderPlaced{OrderID: "ord_1", Lines: []orderevents.Line{{SKU: "a", Quantity: 1}}})
	mux := http.NewServeMux()
	(&Handler{Svc: s}).RegisterRoutes(mux)
	do := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}
	if rec := do("GET", "/shipping/quote?subtotal=1000&country=DE"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"zone":"eu"`) {
		t.Errorf("quote = %d %s", rec.Code, rec.Body)
	}
	if rec := do("GET", "/shipping/quote?subtotal=x&country=DE"); rec.Code != 400 {
		t.Errorf("bad quote = %d", rec.Code)
	}
	if rec := do("GET", "/orders/ord_1/shipment"); rec.Code != 200 {
		t.Errorf("for order = %d", rec.Code)
	}
	if rec := do("POST", "/shipments/shp_1/dispatch"); rec.Code != 200 {
		t.Errorf("dispatch = %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/shipments/shp_1/dispatch"); rec.Code != http.StatusConflict {
		t.Errorf("re-dispatch = %d", rec.Code)
	}
}
