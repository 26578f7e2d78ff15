// Package email renders and sends the e-mails other domains ask for through their own ports.
// PaymentMailer implements the payments domain's Notifier port (payments.Notifier) without
// importing payments: main plugs it in. It sends through the notifications service.
package email

import (
	"bytes"
	"context"
	"fmt"
	"text/template"

	"example.com/shop/models"
	"example.com/shop/notifications"
)

var receipts = template.Must(template.New("receipts").Parse(`
{{define "captured"}}We received your payment of {{.Amount}} for order {{.OrderID}}.
Keep this e-mail as your receipt.{{end}}
{{define "refunded"}}We refunded {{.Amount}} for order {{.OrderID}}.
It can take up to 5 business days to appear on your statement.{{end}}
`))

type receipt struct {
	OrderID string
	Amount  models.Money
}

// Render renders the receipt template name ("captured" or "refunded").
func Render(name, orderID string, amount models.Money) (string, error) {
	var buf bytes.Buffer
	if err := receipts.ExecuteTemplate(&buf, name, receipt{OrderID: orderID, Amount: amount}); err != nil {
		return "", fmt.Errorf("email: rendering %s: %w", name, err)
	}
	return buf.String(), nil
}

// PaymentMailer e-mails payment receipts.
type PaymentMailer struct {
	Notifications *notifications.Service
}

// PaymentCaptured e-mails the receipt of a captured payment.
func (p *PaymentMailer) PaymentCaptured(ctx context.Context, userID, orderID string, amountCents int64, currency string) error {
	return p.send(ctx, "captured", "payment_captured", "Payment received for order "+orderID, userID, orderID, amountCents, currency)
}

// PaymentRefunded e-mails the confirmation of a refund.
func (p *PaymentMailer) PaymentRefunded(ctx context.Context, userID, orderID string, amountCents int64, currency string) error {
	return p.send(ctx, "refunded", "payment_refunded", "Refund for order "+orderID, userID, orderID, amountCents, currency)
}

func (p *PaymentMailer) send(ctx context.Context, tmpl, kind, subject, userID, orderID string, cents int64, currency string) error {
	body, err := Render(tmpl, orderID, models.Money{Cents: cents, Currency: currency})
	if err != nil {
		return err
	}
	_, err = p.Notifications.Send(ctx, notifications.Message{
		UserID: userID, Channel: notifications.ChannelEmail, Kind: kind, Subject: subject, Body: body,
	})
	return err
}
