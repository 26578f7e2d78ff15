package payments_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"example.com/shop/models"
	orderevents "example.com/shop/orders/events"
	"example.com/shop/payments"
	"example.com/shop/payments/gateway"
	"example.com/shop/platform/ids"
)

type memRepo struct {
	mu sync.Mutex
	m  map[string]payments.Payment
}

func (r *memRepo) Put(_ context.Context, p payments.Payment) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[p.ID] = p
	return nil
}

func (r *memRepo) Get(_ context.Context, id string) (payments.Payment, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.m[id]
	if !ok {
		return payments.Payment{}, payments.ErrNotFound
	}
	return p, nil
}

func (r *memRepo) ByOrder(_ context.Context, orderID string) ([]payments.Payment, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []payments.Payment
	for _, p := range r.m {
		if p.OrderID == orderID {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

type notes struct{ sent []string }

func (n *notes) PaymentCaptured(_ context.Context, _, orderID string, _ int64, _ string) error {
	n.sent = append(n.sent, "captured:"+orderID)
	return nil
}

func (n *notes) PaymentRefunded(_ context.Context, _, orderID string, _ int64, _ string) error {
	n.sent = append(n.sent, "refunded:"+orderID)
	return nil
}

func newService() (*payments.Service, *notes) {
	n := &notes{}
	return &payments.Service{
		Repo: &memRepo{m: map[string]payments.Payment{}}, Gateway: gateway.NewSimulator(), Notifier: n,
		IDs: &ids.Sequence{}, Clock: ids.NewFixedClock(time.Unix(0, 0)),
	}, n
}

func TestChargeAndRefundOnCancel(t *testing.T) {
	ctx := context.Background()
	s, n := newService()
	p, err := s.Charge(ctx, payments.ChargeRequest{OrderID: "ord_1", UserID: "usr_1", Amount: models.Cents(2500), CardToken: gateway.TokenOK})
	if err != nil || p.Status != payments.Captured || p.GatewayRef == "" {
		t.Fatalf("charge = %+v, %v", p, err)
	}
	if err := s.OnOrderCancelled(ctx, orderevents.OrderCancelled{OrderID: "ord_1"}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, p.ID)
	if got.Status != payments.Refunded || got.RefundedAt == nil {
		t.Errorf("after cancel = %+v", got)
	}
	if len(n.sent) != 2 || n.sent[0] != "captured:ord_1" || n.sent[1] != "refunded:ord_1" {
		t.Errorf("notifications = %v", n.sent)
	}
	if _, err := s.Refund(ctx, p.ID); !errors.Is(err, payments.ErrNotRefundable) {
		t.Errorf("second refund: %v", err)
	}
}

func TestDeclinedIsRecorded(t *testing.T) {
	ctx := context.Background()
	s, n := newService()
	id, err := s.ChargeOrder(ctx, "ord_2", "usr_1", models.Cents(100), gateway.TokenDeclined)
	if !errors.Is(err, payments.ErrDeclined) {
		t.Fatalf("err = %v", err)
	}
	p, _ := s.Get(ctx, id)
	if p.Status != payments.Declined || p.Reason == "" {
		t.Errorf("declined payment = %+v", p)
	}
	if len(n.sent) != 0 {
		t.Errorf("notified a decline: %v", n.sent)
	}
}

func TestChargeValidation(t *testing.T) {
	s, _ := newService()
	for _, req := range []payments.ChargeRequest{
		{UserID: "u", Amount: models.Cents(1), CardToken: "t"},
		{OrderID: "o", UserID: "u", Amount: models.Cents(0), CardToken: "t"},
		{OrderID: "o", UserID: "u", Amount: models.Cents(1)},
	} {
		if _, err := s.Charge(context.Background(), req); !errors.Is(err, payments.ErrInvalid) {
			t.Errorf("%+v: %v", req, err)
		}
	}
}

func TestHandler(t *testing.T) {
	s, _ := newService()
	p, _ := s.Charge(context.Background(), payments.ChargeRequest{OrderID: "ord_1", UserID: "usr_1", Amount: models.Cents(900), CardToken: gateway.TokenOK})
	mux := http.NewServeMux()
	(&payments.Handler{Svc: s}).RegisterRoutes(mux)
	do := func(method, path string) int {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/payments/" + p.ID, 200},
		{"GET", "/payments?order_id=ord_1", 200},
		{"GET", "/payments", 400},
		{"POST", "/payments/" + p.ID + "/refund", 200},
		{"POST", "/payments/" + p.ID + "/refund", 409},
		{"GET", "/payments/pay_404", 404},
	} {
		if got := do(tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, got, tc.want)
		}
	}
}
