package monolith_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"example.com/shop-orders/internal/fakeshop"
	"example.com/shop-orders/monolith"
	"example.com/shop-orders/orders"
)

func TestClientMapsAnswers(t *testing.T) {
	ctx := context.Background()
	shop, srv := fakeshop.New()
	defer srv.Close()
	c, err := monolith.New(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.User(ctx, "usr_1")
	if err != nil || u.Address == nil || u.Address.Country != "FR" {
		t.Errorf("user: %+v, %v", u, err)
	}
	if _, err := c.User(ctx, "usr_9"); !errors.Is(err, orders.ErrUserNotFound) {
		t.Errorf("missing user: %v", err)
	}
	if err := c.Adjust(ctx, "pan", -2); !errors.Is(err, orders.ErrOutOfStock) {
		t.Errorf("too little stock: %v", err)
	}
	var me *monolith.Error
	if err := c.Adjust(ctx, "pan", -2); !errors.As(err, &me) || me.Status != 409 || me.Code != "conflict" {
		t.Errorf("monolith error kept: %#v", err)
	}
	if err := c.Adjust(ctx, "pan", -1); err != nil || shop.Level("pan") != 0 {
		t.Errorf("adjust: %v, level %d", err, shop.Level("pan"))
	}
	p, err := c.Product(ctx, "mug")
	if err != nil || p.Price.Cents != 1200 || !p.Active {
		t.Errorf("product: %+v, %v", p, err)
	}
	q, err := c.Quote(ctx, orders.Cents(6000), "FR")
	if err != nil || q.Cents != 0 {
		t.Errorf("quote: %+v, %v", q, err)
	}
}

func TestClientRetriesReadsNotWrites(t *testing.T) {
	ctx := context.Background()
	shop, srv := fakeshop.New()
	defer srv.Close()
	c, _ := monolith.New(srv.URL)
	shop.Fail503 = 1
	if _, err := c.User(ctx, "usr_1"); err != nil {
		t.Errorf("a GET after one 503: %v, want retried", err)
	}
	shop.Fail503 = 1
	if err := c.Adjust(ctx, "mug", -1); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a POST after a 503: %v, want the error (adjust is not idempotent)", err)
	}
	if shop.Level("mug") != 5 {
		t.Errorf("stock changed by a failed adjust: %d", shop.Level("mug"))
	}
}

func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	c, _ := monolith.New(slow.URL)
	c.Timeout = 100 * time.Millisecond
	start := time.Now()
	if _, err := c.User(context.Background(), "usr_1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow monolith: %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if _, err := monolith.New("127.0.0.1:9000"); err == nil {
		t.Error("a URL without scheme accepted")
	}
}
