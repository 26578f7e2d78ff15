package notifications

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/shop/models"
	orderevents "example.com/shop/orders/events"
	"example.com/shop/platform/ids"
	"example.com/shop/shipping"
)

// MemoryLog is an in-memory Repository.
type memLog struct {
	mu   sync.Mutex
	msgs []Message
}

func (l *memLog) Put(_ context.Context, m Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, m)
	return nil
}

func (l *memLog) ListByUser(_ context.Context, userID string, limit int) ([]Message, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Message
	for _, m := range l.msgs {
		if m.UserID == userID {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out[:min(limit, len(out))], nil
}

type outbox struct{ sent []Message }

func (o *outbox) Send(_ context.Context, m Message) error {
	if m.To == "bounce@example.com" {
		return errors.New("mailbox full")
	}
	o.sent = append(o.sent, m)
	return nil
}

type directory map[string]models.User

func (d directory) Get(_ context.Context, id string) (models.User, error) {
	u, ok := d[id]
	if !ok {
		return models.User{}, errors.New("no such user")
	}
	return u, nil
}

func newService() (*Service, *outbox) {
	out := &outbox{}
	return &Service{
		Log: &memLog{}, Sender: out,
		Directory: directory{"usr_1": {ID: "usr_1", Email: "ada@example.com"}, "usr_2": {ID: "usr_2", Email: "bounce@example.com"}},
		IDs:       &ids.Sequence{}, Clock: ids.NewFixedClock(time.Unix(0, 0)), OpsEmail: "ops@shop.example",
	}, out
}

func TestEventsBecomeMessages(t *testing.T) {
	ctx := context.Background()
	s, out := newService()
	if err := s.OnOrderPlaced(ctx, orderevents.OrderPlaced{OrderID: "ord_1", UserID: "usr_1", Total: models.Cents(2890),
		Lines: []orderevents.Line{{SKU: "mug", Quantity: 2}}, ShipTo: models.Address{City: "Paris", Country: "FR"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.OnShipmentDispatched(ctx, shipping.ShipmentDispatched{OrderID: "ord_1", UserID: "usr_1", Carrier: "colis", Tracking: "COLIS-1"}); err != nil {
		t.Fatal(err)
	}
	if len(out.sent) != 2 || out.sent[0].To != "ada@example.com" || !strings.Contains(out.sent[0].Body, "28.90 EUR") {
		t.Fatalf("sent = %+v", out.sent)
	}
	hist, _ := s.History(ctx, "usr_1", 0)
	if len(hist) != 2 || hist[0].Kind != "order_shipped" {
		t.Errorf("history = %+v", hist)
	}
}

func TestSendFailures(t *testing.T) {
	ctx := context.Background()
	s, _ := newService()
	if _, err := s.Send(ctx, Message{UserID: "usr_404"}); err == nil {
		t.Error("unknown user: want error")
	}
	if _, err := s.Send(ctx, Message{}); !errors.Is(err, ErrNoRecipient) {
		t.Errorf("no recipient: %v", err)
	}
	if _, err := s.Send(ctx, Message{UserID: "usr_2", Kind: "x"}); err == nil || !strings.Contains(err.Error(), "mailbox full") {
		t.Errorf("bounce: %v", err)
	}
	if err := s.LowStock(ctx, "mug", 1); err != nil {
		t.Errorf("low stock: %v", err)
	}
}

func TestHandler(t *testing.T) {
	s, _ := newService()
	_, _ = s.Send(context.Background(), Message{UserID: "usr_1", Kind: "hello"})
	mux := http.NewServeMux()
	(&Handler{Svc: s}).RegisterRoutes(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/notifications/usr_1?limit=5", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"kind":"hello"`) {
		t.Errorf("history = %d %s", rec.Code, rec.Body)
	}
}
