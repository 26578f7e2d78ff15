package email

import (
	"context"
	"strings"
	"testing"
	"time"

	"example.com/shop/models"
	"example.com/shop/notifications"
	"example.com/shop/platform/ids"
)

type outbox struct{ sent []notifications.Message }

func (o *outbox) Send(_ context.Context, m notifications.Message) error {
	o.sent = append(o.sent, m)
	return nil
}

type nolog struct{}

func (nolog) Put(context.Context, notifications.Message) error { return nil }
func (nolog) ListByUser(context.Context, string, int) ([]notifications.Message, error) {
	return nil, nil
}

type directory struct{}

func (directory) Get(_ context.Context, id string) (models.User, error) {
	return models.User{ID: id, Email: id + "@example.com"}, nil
}

func TestPaymentMailer(t *testing.T) {
	out := &outbox{}
	m := &PaymentMailer{Notifications: &notifications.Service{
		Log: nolog{}, Sender: out, Directory: directory{}, IDs: &ids.Sequence{}, Clock: ids.NewFixedClock(time.Unix(0, 0)),
	}}
	ctx := context.Background()
	if err := m.PaymentCaptured(ctx, "usr_1", "ord_1", 2890, "EUR"); err != nil {
		t.Fatal(err)
	}
	if err := m.PaymentRefunded(ctx, "usr_1", "ord_1", 2890, "EUR"); err != nil {
		t.Fatal(err)
	}
	if len(out.sent) != 2 {
		t.Fatalf("sent %d messages", len(out.sent))
	}
	if got := out.sent[0]; got.To != "usr_1@example.com" || got.Kind != "payment_captured" || !strings.Contains(got.Body, "28.90 EUR for order ord_1") {
		t.Errorf("captured = %+v", got)
	}
	if got := out.sent[1]; got.Kind != "payment_refunded" || !strings.Contains(got.Body, "refunded 28.90 EUR") {
		t.Errorf("refunded = %+v", got)
	}
}

func TestRenderUnknownTemplate(t *testing.T) {
	if _, err := Render("nope", "o", models.Cents(1)); err == nil {
		t.Error("want error")
	}
}
